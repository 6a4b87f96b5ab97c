"""The remote-voting ballot board as static lookup data, for the published site's tracking page.

Built from the log alone — its `remote-ballot` entries up to the latest signed checkpoint — so it
holds nothing the public record does not: per ballot its tracking code, short code, status, seq
and log index, and (for the lookup) its entry and inclusion proof. Credentials are in the entries,
as in the record; nothing here links a ballot to a voter.

Files, under the election's `data/`:
- `tracking.json`: the whole board without entries or proofs (open data, one line per ballot);
- `track/<p>.json`: the ballots whose tracking code starts with the hex prefix `p`, with their
  entries and proofs. A browser fetches only the one file its code falls in. The prefix length
  grows with the board so a file holds about 16 ballots (a remote ballot entry is a few KB).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from achyk.errors import VerificationError
from achyk.evoting.ballot import short_code
from achyk.evoting.board import standings
from achyk.evoting.election import RevotePolicy
from achyk.ledger.checkpoint import parse_checkpoint
from achyk.ledger.merkle import MemoryTree, leaf_hash
from achyk.services import ledger
from achyk.store.database import Database

CHUNK = 4096  # log entries read at a time
PER_FILE = 16  # ballots per lookup file, on average
MAX_PREFIX = 4
_BALLOT = '"kind":"remote-ballot"'  # entries are canonical JSON: a cheap test before parsing


@dataclass(frozen=True)
class BoardBallot:
    tracking_code: str
    short_code: str
    status: str  # cast | challenged
    standing: str  # counted | cast | superseded | audited (achyk.evoting.board.standings)
    seq: int
    log_index: int
    entry: str  # the entry's canonical JSON, exactly the bytes the log hashes
    inclusion_proof: tuple[str, ...]  # hex, at the board's tree size

    def public(self) -> dict[str, Any]:
        return {
            "tracking_code": self.tracking_code,
            "short_code": self.short_code,
            "status": self.status,
            "standing": self.standing,
            "seq": self.seq,
            "log_index": self.log_index,
        }

    def with_proof(self) -> dict[str, Any]:
        return {**self.public(), "inclusion_proof": list(self.inclusion_proof), "entry": self.entry}


@dataclass(frozen=True)
class Board:
    election: str
    tree_size: int
    root: str  # hex; equals the root of the signed checkpoint of that size
    ballots: tuple[BoardBallot, ...]

    @property
    def prefix_chars(self) -> int:
        n = 1
        while 16**n * PER_FILE < len(self.ballots) and n < MAX_PREFIX:
            n += 1
        return n

    def lookup_files(self) -> dict[str, list[BoardBallot]]:
        """Lookup file name (the hex prefix) → its ballots, in board order."""
        out: dict[str, list[BoardBallot]] = {}
        for b in self.ballots:
            out.setdefault(b.tracking_code[: self.prefix_chars], []).append(b)
        return out

    def head(self) -> dict[str, Any]:
        return {"election": self.election, "tree_size": self.tree_size, "root": self.root}


def _entries(db: Database, election_id: str, size: int) -> Iterator[tuple[int, str]]:
    for start in range(0, size, CHUNK):
        texts = ledger.entries(db, election_id, start, min(start + CHUNK, size))
        yield from enumerate(texts, start)


def read_board(db: Database, election_id: str) -> Board:
    """Every ballot on the board, with proofs against the latest signed checkpoint."""
    note = ledger.latest_checkpoint(db, election_id)
    checkpoint = parse_checkpoint(note) if note else None
    size = checkpoint.size if checkpoint else ledger.log_size(db, election_id)
    leaves: list[bytes] = []
    found: list[tuple[int, dict[str, Any], str]] = []
    tallied = False
    revote = RevotePolicy.LAST
    for index, text in _entries(db, election_id, size):
        leaves.append(leaf_hash(text.encode()))
        tallied = tallied or '"kind":"remote-tally"' in text
        if '"kind":"remote-params"' in text:
            revote = RevotePolicy(json.loads(text)["params"]["revote"])
        if _BALLOT in text:
            doc = json.loads(text)
            if doc.get("kind") == "remote-ballot":
                found.append((index, doc, text))
    if len(leaves) != size:
        raise VerificationError(f"log of {election_id}: {len(leaves)} entries, expected {size}")
    tree = MemoryTree(leaves)
    root = tree.root()
    if checkpoint is not None and root != checkpoint.root:
        # the stored entries do not hash to what was signed: publish no proof that cannot verify
        raise VerificationError(f"log of {election_id}: entries do not match checkpoint {size}")
    standing = standings([doc for _, doc, _ in found], revote, tallied)
    ballots = tuple(
        BoardBallot(
            str(doc["tracking_code"]), short_code(str(doc["tracking_code"])), str(doc["status"]),
            standing.get(str(doc["tracking_code"]), "cast"), int(doc["seq"]), index, text,
            tuple(h.hex() for h in tree.inclusion_proof(index)),
        )
        for index, doc, text in found
    )  # fmt: skip
    return Board(election_id, size, root.hex(), ballots)


def lookup_documents(board: Board) -> dict[str, dict[str, Any]]:
    """File path under `data/` → JSON document: the board list and its lookup files."""
    docs: dict[str, dict[str, Any]] = {
        "tracking.json": {
            **board.head(),
            "prefix_chars": board.prefix_chars,
            "ballots": [b.public() for b in board.ballots],
        }
    }
    for prefix, ballots in board.lookup_files().items():
        docs[f"track/{prefix}.json"] = {
            **board.head(),
            "ballots": [b.with_proof() for b in ballots],
        }
    return docs
