"""The election's docket, folded from the log: every complaint and step, in log order.

The log is the only store of record for complaints (the evidence files aside): the docket is
recomputed from `complaint` and `complaint-step` entries, exactly as `achyk verify` recomputes it.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from achyk.disputes.lifecycle import BodyKey, Docket, parse_complaint, parse_step
from achyk.disputes.model import Body
from achyk.domain.definition import Election
from achyk.store.database import Database
from achyk.store.models import LogEntryRow

KINDS = ("complaint", "complaint-step")


def body_keys(election: Election) -> dict[str, BodyKey]:
    return {a.id: BodyKey(a.id, Body(a.body), a.unit) for a in election.authorities}


def station_places(election: Election) -> dict[str, tuple[str, str]]:
    return {p.station.id: (p.district_id, p.region_id) for p in election.stations()}


def fold_docket(session: Session, election: Election) -> Docket:
    """The docket from the log. A logged step is applied as logged: the server only logs steps
    that passed the fold, and a verifier re-judges them (`achyk.verify.disputes`)."""
    q = (
        select(LogEntryRow.idx, LogEntryRow.entry)
        .where(LogEntryRow.election_id == election.id, LogEntryRow.kind.in_(KINDS))
        .order_by(LogEntryRow.idx)
    )
    docket = Docket()
    places: dict[str, tuple[str, str]] | None = None  # built on the first step: results read
    keys = body_keys(election)  # the docket on every refresh, most often with no complaint
    for index, text in session.execute(q):
        entry = json.loads(text)
        if entry["kind"] == "complaint":
            docket.file(parse_complaint(index, entry))
        else:
            places = places if places is not None else station_places(election)
            docket.step(parse_step(index, entry), keys.get(entry["authority"]), places)
    return docket


def has_complaints(db: Database, election_id: str) -> bool:
    """Is any complaint on the log? (One indexed look-up: `ix_log_entries_election_kind`.)"""
    q = select(LogEntryRow.idx).where(
        LogEntryRow.election_id == election_id, LogEntryRow.kind == "complaint"
    )
    with db.read() as s:
        return s.scalar(q.limit(1)) is not None


def read_docket(db: Database, election: Election) -> Docket:
    with db.read() as s:
        return fold_docket(s, election)
