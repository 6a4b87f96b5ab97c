"""The complaints the site shows: the public register and each station's, folded from the log."""

from __future__ import annotations

from achyk.disputes.lifecycle import Case
from achyk.domain.definition import Election
from achyk.services.disputes.docket import read_docket
from achyk.store.database import Database


def all_complaints(db: Database, election: Election) -> list[Case]:
    return sorted(read_docket(db, election).cases.values(), key=lambda c: c.complaint.index)


def station_complaints(db: Database, election: Election, station_id: str) -> list[Case]:
    """The complaints about this station, with every step."""
    return [c for c in all_complaints(db, election) if c.complaint.station == station_id]
