"""The election's tamper-evident log: appends, signed checkpoints, proofs, tiles, evidence.

Every append happens inside the caller's transaction together with the rows it justifies, and signs
a checkpoint of the new size in that same transaction: a crash leaves either all of it or none, so
no checkpoint is ever ahead of the stored entries and no accepted protocol is without its entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from achyk.canonical import canonical_json
from achyk.ledger import (
    Checkpoint,
    HashAt,
    MerkleFrontier,
    sign_checkpoint,
    tree_consistency_proof,
    tree_inclusion_proof,
    tree_root,
)
from achyk.ledger.note import format_signer_key, format_vkey, parse_signer_key, raw_public_key
from achyk.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, encode_entry_bundle, parse_tile_path
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore, store_key, stored_key
from achyk.store.repositories import Protocols, Rejections

ED25519 = 0x01
MAX_ENTRY_BYTES = 65_535


def default_origin(election_id: str, public_key: bytes) -> str:
    """A generated log's origin: unique per log, because it names the log's own key."""
    return f"achyk.local/{election_id}/{hashlib.sha256(public_key).hexdigest()[:8]}"


@dataclass(frozen=True)
class Signer:
    origin: str  # the checkpoint's first line: names this log
    name: str  # the signing key's name (signature lines carry it)
    key: Ed25519PrivateKey

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, ED25519, raw_public_key(self.key.public_key()))


def _key_row_name(election_id: str) -> str:
    return f"log/{election_id}"


def _signer(session: Session, election_id: str) -> Signer:
    """The log's signer and origin (docs/record-format.md, "Origins").

    With ACHYK_LOG_KEY (production: the key is a file, never a table), the origin is
    ``ACHYK_LOG_ORIGIN/ELECTION`` or else ``KEYNAME/ELECTION``. A generated key (demo, tests) is
    stored with the origin as its name, fixed when the log starts: ``ACHYK_LOG_ORIGIN/ELECTION``
    or else ``achyk.local/ELECTION/<first 8 hex of SHA-256(public key)>``.
    """
    prefix = os.environ.get("ACHYK_LOG_ORIGIN", "").strip().rstrip("/")
    path = os.environ.get("ACHYK_LOG_KEY")
    if path:
        name, key = _file_signer(path)
        return Signer(f"{prefix or name}/{election_id}", name, key)
    row = stored_key(session, _key_row_name(election_id))
    if row is None:
        row = stored_key(session, f"achyk/{election_id}")  # a log begun before origins were URLs
    if row is None:
        key = Ed25519PrivateKey.generate()
        public = raw_public_key(key.public_key())
        name = f"{prefix}/{election_id}" if prefix else default_origin(election_id, public)
        store_key(session, _key_row_name(election_id), format_signer_key(name, key),
                  format_vkey(name, ED25519, public))  # fmt: skip
        return Signer(name, name, key)
    name, key = parse_signer_key(row.secret)
    return Signer(name, name, key)


@lru_cache(maxsize=8)
def _file_signer(path: str) -> tuple[str, Ed25519PrivateKey]:
    return parse_signer_key(Path(path).read_text(encoding="utf-8").strip())


def log_vkey(db: Database, election_id: str) -> str:
    """The verifier key of the log (C2SP vkey): what monitors and `achyk verify` trust."""
    with db.session() as s:
        return _signer(s, election_id).vkey


def log_origin(db: Database, election_id: str) -> str:
    """The origin line of this election's checkpoints."""
    with db.session() as s:
        return _signer(s, election_id).origin


def append_entries(
    session: Session, election_id: str, entries: Sequence[dict[str, Any]]
) -> list[int]:
    """Append entries (JSON objects with a "kind") in the caller's transaction; sign a checkpoint.

    Returns the entries' indexes in the log.
    """
    if not entries:
        return []
    store = LogStore(session, election_id)
    size, hashes = store.lock_head()
    frontier = MerkleFrontier.restore(size, hashes)
    texts: list[tuple[str, str]] = []
    nodes: list[tuple[int, int, bytes]] = []
    for entry in entries:
        raw = canonical_json(entry)
        if len(raw) > MAX_ENTRY_BYTES:
            raise ValueError(
                f"a {entry.get('kind')} entry of {len(raw):,} bytes exceeds {MAX_ENTRY_BYTES:,}: "
                "the tlog-tiles entry bundle gives each entry a 2-byte length; split it"
            )
        texts.append((str(entry["kind"]), raw.decode()))
        nodes.extend(frontier.append_entry(raw))
    store.write(size, texts, nodes, frontier.size, frontier.hashes)
    signer = _signer(session, election_id)
    note = sign_checkpoint(
        Checkpoint(signer.origin, frontier.size, frontier.root()), signer.name, signer.key
    )
    store.add_checkpoint(frontier.size, frontier.root(), note)
    return list(range(size, frontier.size))


class _CachedNodes:
    """hash_at over stored nodes, memoised for one request (proofs revisit nodes)."""

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self.memo: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, idx: int) -> bytes:
        key = (level, idx)
        if key not in self.memo:
            self.memo[key] = self.store.node(level, idx)
        return self.memo[key]


def hash_at(store: LogStore) -> HashAt:
    return _CachedNodes(store)


def latest_checkpoint(db: Database, election_id: str) -> str | None:
    with db.read() as s:
        row = LogStore(s, election_id).latest_checkpoint()
        return row.note if row else None


def checkpoint_history(db: Database, election_id: str) -> list[tuple[int, str]]:
    with db.read() as s:
        return [(r.size, r.note) for r in LogStore(s, election_id).checkpoints()]


def log_size(db: Database, election_id: str) -> int:
    with db.read() as s:
        return LogStore(s, election_id).head()


def entry(db: Database, election_id: str, index: int) -> str | None:
    with db.read() as s:
        return LogStore(s, election_id).entry(index)


def entries(db: Database, election_id: str, start: int, end: int) -> list[str]:
    with db.read() as s:
        return LogStore(s, election_id).entries(start, end)


def inclusion(db: Database, election_id: str, index: int, size: int) -> list[bytes]:
    with db.read() as s:
        return tree_inclusion_proof(index, size, hash_at(LogStore(s, election_id)))


def consistency(db: Database, election_id: str, old: int, new: int) -> list[bytes]:
    with db.read() as s:
        return tree_consistency_proof(old, new, hash_at(LogStore(s, election_id)))


def root_at(db: Database, election_id: str, size: int) -> bytes:
    with db.read() as s:
        return tree_root(size, hash_at(LogStore(s, election_id)))


def tile(db: Database, election_id: str, path: str) -> bytes:
    """A tile (or entry bundle) of the current tree, by its C2SP tlog-tiles path.

    A full tile exists once the tree has grown past it; a partial tile ``.p/W`` exists while
    (or once) its level holds at least W hashes in that tile, so the partial tiles of every
    earlier tree size stay servable. Anything else is a KeyError (404), never another tile.
    """
    level, index, width = parse_tile_path(path)
    with db.read() as s:
        store = LogStore(s, election_id)
        size = store.head()
        start = index * TILE_WIDTH
        if level is None:  # entry bundle
            texts = store.entries(start, start + width) if start + width <= size else []
            if len(texts) != width:
                raise KeyError(path)
            return encode_entry_bundle([t.encode() for t in texts])
        available = (size >> (TILE_HEIGHT * level)) - start  # hashes of this tile at this size
        if available < width:
            raise KeyError(path)
        hashes = store.nodes(TILE_HEIGHT * level, start, start + width)
        if len(hashes) != width:  # the store lost nodes: refuse rather than serve a short tile
            raise KeyError(path)
        return b"".join(hashes)


@dataclass(frozen=True)
class Correction:
    entry_index: int
    reason: str
    authority: str
    supersedes_index: int


@dataclass(frozen=True)
class ProtocolEvidence:
    contest_id: str
    kind: str
    entry_index: int
    entry_hash: str  # hex SHA-256 of the entry bytes (RFC 8785)
    leaf_hash: str  # hex RFC 9162 leaf hash
    inclusion_proof: list[str]
    tree_size: int
    root: str
    checkpoint: str
    device_id: str | None
    signature: str | None
    superseded: bool
    corrections: list[Correction]


def station_evidence(db: Database, election_id: str, station_id: str) -> list[ProtocolEvidence]:
    """Each protocol of a station (current and superseded) with its entry and inclusion proof."""
    with db.read() as s:
        store = LogStore(s, election_id)
        cp = store.latest_checkpoint()
        if cp is None:
            return []
        nodes = hash_at(store)
        out = []
        rows = Protocols(s).for_station(election_id, station_id, include_superseded=True)
        for r in rows:
            text = store.entry(r.log_index) or ""
            doc = json.loads(text) if text else {}
            corrections = []
            if doc.get("kind") == "correction":
                corrections.append(
                    Correction(r.log_index, doc.get("reason", ""), doc.get("authority", ""),
                               int(doc.get("supersedes", -1)))
                )  # fmt: skip
            proof = tree_inclusion_proof(r.log_index, cp.size, nodes)
            out.append(
                ProtocolEvidence(
                    contest_id=r.contest_id, kind=r.kind, entry_index=r.log_index,
                    entry_hash=hashlib.sha256(text.encode()).hexdigest(),
                    leaf_hash=nodes(0, r.log_index).hex(),
                    inclusion_proof=[p.hex() for p in proof], tree_size=cp.size, root=cp.root,
                    checkpoint=cp.note, device_id=r.device_id, signature=r.signature,
                    superseded=r.superseded, corrections=corrections,
                )
            )  # fmt: skip
        return out


def evidence(db: Database, election_id: str, index: int) -> bytes | None:
    """The raw bytes of the submission refused by rejection entry ``index``."""
    with db.read() as s:
        row = Rejections(s).at_index(election_id, index)
        return bytes(row.raw) if row is not None else None
