"""Forensics on a loaded election: its protocols as a station table, which of them break a control
relation (only imported ones can: signed protocols that do are refused), and where each station's
evidence lives (the log entries of its protocols)."""

from __future__ import annotations

from dataclasses import dataclass

from achyk.domain.definition import Election
from achyk.domain.protocol import check_relations
from achyk.forensics.from_protocols import ContestTable, contest_table
from achyk.services.elections import get_election
from achyk.services.import_results import is_imported
from achyk.services.results import accepted_protocols
from achyk.store.database import Database
from achyk.store.repositories import Protocols


@dataclass(frozen=True, eq=False)
class ElectionForensics:
    election: Election
    table: ContestTable
    broken: frozenset[str]  # stations whose protocol breaks a control relation
    imported: bool  # "imported, not signed"


def election_table(
    db: Database, election_id: str | None, contest_id: str | None = None
) -> tuple[Election, ContestTable]:
    f = election_forensics(db, election_id, contest_id)
    return f.election, f.table


def election_forensics(
    db: Database, election_id: str | None, contest_id: str | None = None
) -> ElectionForensics:
    election = get_election(db, election_id)
    protocols = accepted_protocols(db, election.id)
    table = contest_table(election, protocols, contest_id)
    broken = frozenset(
        p.station_id for p in protocols if p.contest_id == table.contest.id and check_relations(p)
    )
    return ElectionForensics(election, table, broken, is_imported(db, election.id))


def log_entries(db: Database, election_id: str, station_ids: list[str]) -> dict[str, list[int]]:
    """Station → the log indexes of its current protocols (the evidence a flag links to)."""
    out: dict[str, list[int]] = {}
    with db.read() as s:
        protocols = Protocols(s)
        for station in station_ids:  # the flagged few, not every station
            out[station] = [p.log_index for p in protocols.for_station(election_id, station)]
    return out
