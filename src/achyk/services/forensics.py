"""Forensics on a loaded election: its protocols as a station table, and where each station's
evidence lives (the log entry of its protocol)."""

from __future__ import annotations

from achyk.domain.definition import Election
from achyk.forensics.from_protocols import ContestTable, contest_table
from achyk.services.elections import get_election
from achyk.services.results import accepted_protocols
from achyk.store.database import Database
from achyk.store.repositories import Protocols


def election_table(
    db: Database, election_id: str | None, contest_id: str | None = None
) -> tuple[Election, ContestTable]:
    election = get_election(db, election_id)
    return election, contest_table(election, accepted_protocols(db, election.id), contest_id)


def log_entries(db: Database, election_id: str, station_ids: list[str]) -> dict[str, list[int]]:
    """Station → the log indexes of its current protocols (the evidence a flag links to)."""
    out: dict[str, list[int]] = {}
    with db.read() as s:
        protocols = Protocols(s)
        for station in station_ids:  # the flagged few, not every station
            out[station] = [p.log_index for p in protocols.for_station(election_id, station)]
    return out


def broken_stations(db: Database, election_id: str) -> set[str]:
    """Stations whose protocol was kept though it breaks a control relation (imported results)."""
    return set()
