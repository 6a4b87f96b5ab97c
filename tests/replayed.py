"""What a verifier reads of a stored election, straight from the database: the log's entries, the
refused submissions' bytes (evidence/I.bin) and the definition — for tests that replay the log
with entries an operator could append."""

from __future__ import annotations

from achyk.formats.definition import election_to_document
from achyk.services.elections import get_election
from achyk.store.database import Database
from achyk.store.models import LogEntryRow
from achyk.store.repositories import Rejections


def log_entries(db: Database, eid: str) -> list[bytes]:
    with db.read() as s:
        rows = s.query(LogEntryRow).filter_by(election_id=eid).order_by(LogEntryRow.idx).all()
        return [r.entry.encode() for r in rows]


def evidence(db: Database, eid: str) -> dict[int, bytes]:
    with db.read() as s:
        return {
            r.log_index: r.raw for r in Rejections(s).for_election(eid) if r.log_index is not None
        }


def definition(db: Database, eid: str) -> object:
    return election_to_document(get_election(db, eid))
