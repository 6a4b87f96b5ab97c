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
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from achyk.canonical import canonical_json
from achyk.ledger import (
    Checkpoint,
    HashAt,
    MerkleFrontier,
    leaf_hash,
    tree_consistency_proof,
    tree_inclusion_proof,
    tree_root,
)
from achyk.ledger.signer import NoteSigner, sign_note_by, signer_vkey
from achyk.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    encode_entry_bundle,
    parse_tile_path,
)
from achyk.services.commit_group import writer_lock
from achyk.services.log_key import (
    KeyFileError,
    database_path,
    log_key_path,
    log_signer,
    read_key_file,
    replace_key_file,
)
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore, stored_key, stored_keys
from achyk.store.models import SigningKeyRow
from achyk.store.repositories import Protocols, Rejections
from achyk.store.timestamps import now

ED25519 = 0x01
MAX_ENTRY_BYTES = 65_535


def default_origin(election_id: str, public_key: bytes) -> str:
    """A generated log's origin: unique per log, because it names the log's own key."""
    return f"achyk.local/{election_id}/{hashlib.sha256(public_key).hexdigest()[:8]}"


def _key_row_name(election_id: str) -> str:
    return f"log/{election_id}"


@dataclass(frozen=True)
class LogSigner:
    """Who signs this log's checkpoints, and the origin the checkpoints name (record-format.md,
    "Origins"): pinned when the log starts, so a key rotation never changes it."""

    origin: str
    signer: NoteSigner

    @property
    def vkey(self) -> str:
        return signer_vkey(self.signer)


def _signer(session: Session, election_id: str) -> LogSigner:
    """The log's signer (a key file, never a table: achyk.services.log_key) and its origin.

    A generated key is named by the origin: ``ACHYK_LOG_ORIGIN/ELECTION`` or else
    ``achyk.local/ELECTION/<first 8 hex of SHA-256(public key)>``. With ``ACHYK_LOG_KEY`` the
    origin is ``ACHYK_LOG_ORIGIN/ELECTION`` or else ``KEYNAME/ELECTION``.
    """
    found = _pinned_signer(session, election_id)
    if found is not None:
        return found
    prefix = os.environ.get("ACHYK_LOG_ORIGIN", "").strip().rstrip("/")

    def new_name(public: bytes) -> str:
        return f"{prefix}/{election_id}" if prefix else default_origin(election_id, public)

    signer = log_signer(session, _key_row_name(election_id), election_id, new_name)
    pinned = stored_key(session, f"origin/{election_id}")
    if pinned is not None:
        return LogSigner(pinned.vkey, signer)
    if os.environ.get("ACHYK_LOG_KEY"):
        chosen = f"{prefix or signer.name}/{election_id}"
    else:
        chosen = signer.name  # generated with the origin as its name (or a log begun before)
    session.add(SigningKeyRow(name=f"origin/{election_id}", secret="", vkey=chosen,
                              created_at=now()))  # fmt: skip
    return LogSigner(chosen, signer)


def _pinned_signer(session: Session, election_id: str) -> LogSigner | None:
    """`_signer` of a log under way, as every append finds it: its key row and origin pinned,
    the key file in place and holding the pinned key. Both rows read in one statement (two ORM
    loads were a millisecond of every append: 20 µs of each protocol sent over HTTP, in groups
    of ~85). None for anything else — a new log, a legacy row, a missing or different key file,
    key rows the session has not flushed — which `_signer` then finds, creates or refuses."""
    if session.new or session.dirty:
        return None
    key_name, origin_name = _key_row_name(election_id), f"origin/{election_id}"
    rows = stored_keys(session, [key_name, origin_name])
    key, origin = rows.get(key_name), rows.get(origin_name)
    if key is None or key[0] or origin is None:
        return None
    path = log_key_path(election_id, database_path(session))
    if not path.exists():
        return None
    signer = read_key_file(path)
    if signer_vkey(signer) != key[1]:
        return None
    return LogSigner(origin[1], signer)


def log_vkey(db: Database, election_id: str) -> str:
    """The verifier key of the log (C2SP vkey): what monitors and `achyk verify` trust."""
    with db.session() as s:
        return _signer(s, election_id).vkey


def log_key_location(db: Database, election_id: str) -> tuple[str, str]:
    """(where the log's signing key is, its verifier key), for the operator to see."""
    with db.session() as s:
        vkey = _signer(s, election_id).vkey
        return str(log_key_path(election_id, database_path(s)).resolve()), vkey


def log_origin(db: Database, election_id: str) -> str:
    """The origin line of this election's checkpoints."""
    with db.session() as s:
        return _signer(s, election_id).origin


def append_entries(
    session: Session,
    election_id: str,
    entries: Sequence[dict[str, Any]],
    *,
    also_signed_by: NoteSigner | None = None,
) -> list[int]:
    """Append entries (JSON objects with a "kind") in the caller's transaction; sign a checkpoint.

    Returns the entries' indexes in the log.
    """
    if not entries:
        return []
    encoded = [Encoded(str(entry["kind"]), canonical_json(entry)) for entry in entries]
    return append_encoded(session, election_id, encoded, also_signed_by=also_signed_by)


@dataclass(frozen=True, slots=True)
class Encoded:
    """An entry as the log stores it: its kind, its RFC 8785 bytes and, when the caller has it
    already (an examiner process made it), its RFC 9162 leaf hash."""

    kind: str
    raw: bytes
    leaf: bytes | None = None


def append_encoded(
    session: Session,
    election_id: str,
    entries: Sequence[Encoded],
    *,
    head: tuple[int, list[bytes]] | None = None,
    also_signed_by: NoteSigner | None = None,
) -> list[int]:
    """`append_entries` of entries already encoded; `head`: the log's head as the caller locked
    it in this transaction (`LogStore.lock_head`), so that it knew the indexes beforehand."""
    if not entries:
        return []
    store = LogStore(session, election_id)
    size, hashes = store.lock_head() if head is None else head
    frontier = MerkleFrontier.restore(size, hashes)
    texts: list[tuple[str, str]] = []
    leaves: list[bytes] = []
    for entry in entries:
        raw = entry.raw
        if len(raw) > MAX_ENTRY_BYTES:
            raise ValueError(
                f"a {entry.kind} entry of {len(raw):,} bytes exceeds {MAX_ENTRY_BYTES:,}: "
                "the tlog-tiles entry bundle gives each entry a 2-byte length; split it"
            )
        texts.append((entry.kind, raw.decode()))
        leaves.append(entry.leaf or leaf_hash(raw))
    nodes = frontier.extend(leaves)
    store.write(size, texts, nodes, frontier.size, frontier.hashes)
    signer = _signer(session, election_id)
    root = frontier.root()
    note = sign_note_by(
        Checkpoint(signer.origin, frontier.size, root).body(),
        signer.signer,
        *([also_signed_by] if also_signed_by else []),
    )
    store.add_checkpoint(frontier.size, root, note)
    return list(range(size, frontier.size))


@dataclass(frozen=True)
class KeyRotation:
    index: int  # the rotation's entry on the log
    previous: str  # vkey that signed up to and including that entry
    key: str  # vkey that signs from that entry on
    key_file: str  # where the log now expects its key


def rotate_log_key(db: Database, election_id: str, new_key: Path, reason: str) -> KeyRotation:
    """Change the log's signing key, on the record: an entry naming the old and the new key,
    whose checkpoint both keys sign; every later checkpoint is signed by the new key alone.

    The new key file must be the owner's alone, like any key file. Without ``$ACHYK_LOG_KEY`` it
    replaces the key file in the key folder (the old one is kept beside it); with it, the
    operator points ``$ACHYK_LOG_KEY`` at the new file before the next entry.
    """
    if not reason.strip():
        raise KeyFileError("a log key rotation needs a reason (it is written on the log)")
    new = read_key_file(new_key)
    with writer_lock(db), db.session() as s:
        old = _signer(s, election_id)
        entry = {"kind": "log-key-rotation", "election": election_id,
                 "previous": old.vkey, "key": signer_vkey(new), "reason": reason}  # fmt: skip
        if entry["previous"] == entry["key"]:
            raise KeyFileError(f"{new_key} holds the log's current key: nothing to rotate")
        # Its checkpoint signed by both: the old key hands over to the new, which then signs.
        [index] = append_entries(s, election_id, [entry], also_signed_by=new)
        row = stored_key(s, _key_row_name(election_id)) or stored_key(s, f"achyk/{election_id}")
        assert row is not None  # _signer pinned it
        row.vkey = entry["key"]
        target = log_key_path(election_id, database_path(s))
    if os.environ.get("ACHYK_LOG_KEY"):
        return KeyRotation(index, entry["previous"], entry["key"], str(new_key))
    replace_key_file(target, new_key.read_text(encoding="utf-8").strip())
    return KeyRotation(index, entry["previous"], entry["key"], str(target))


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


def rejection_evidence(db: Database, election_id: str, index: int) -> bytes | None:
    """The raw bytes refused by log entry `index`: the record's `evidence/I.bin`."""
    with db.read() as s:
        row = Rejections(s).at(election_id, index)
        return None if row is None else bytes(row.raw)


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
    return stations_evidence(db, election_id, [station_id])[station_id]


def stations_evidence(
    db: Database, election_id: str, station_ids: Sequence[str]
) -> dict[str, list[ProtocolEvidence]]:
    """The evidence of many stations at once (a district's, when the site is published).

    One query for their protocols, one for their entries; the proofs share one memo of stored
    nodes, and neighbouring leaves share most of their path.
    """
    out: dict[str, list[ProtocolEvidence]] = {sid: [] for sid in station_ids}
    with db.read() as s:
        store = LogStore(s, election_id)
        cp = store.latest_checkpoint()
        if cp is None:
            return out
        nodes = hash_at(store)
        by_station = Protocols(s).for_stations(election_id, station_ids)
        texts = store.entries_at(sorted({r.log_index for rs in by_station.values() for r in rs}))
        for sid, rows in by_station.items():
            for r in rows:
                text = texts.get(r.log_index, "")
                doc = json.loads(text) if text else {}
                corrections = []
                if doc.get("kind") == "correction":
                    corrections.append(
                        Correction(r.log_index, doc.get("reason", ""), doc.get("authority", ""),
                                   int(doc.get("supersedes", -1)))
                    )  # fmt: skip
                proof = tree_inclusion_proof(r.log_index, cp.size, nodes)
                out[sid].append(
                    ProtocolEvidence(
                        contest_id=r.contest_id, kind=r.kind, entry_index=r.log_index,
                        entry_hash=hashlib.sha256(text.encode()).hexdigest(),
                        leaf_hash=nodes(0, r.log_index).hex(),
                        inclusion_proof=[p.hex() for p in proof], tree_size=cp.size,
                        root=cp.root, checkpoint=cp.note, device_id=r.device_id,
                        signature=r.signature, superseded=r.superseded, corrections=corrections,
                    )
                )  # fmt: skip
    return out


def evidence(db: Database, election_id: str, index: int) -> bytes | None:
    """The raw bytes of the submission refused by rejection entry ``index``."""
    with db.read() as s:
        row = Rejections(s).at_index(election_id, index)
        return bytes(row.raw) if row is not None else None
