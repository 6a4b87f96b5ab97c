"""The complaints the site shows: the public register and each station's, folded from the log."""

from __future__ import annotations

from datetime import UTC, date, datetime

from achyk.disputes.clock import timing
from achyk.disputes.lifecycle import Case
from achyk.disputes.rules import KG
from achyk.domain.definition import Election
from achyk.services.disputes.docket import read_docket
from achyk.store.database import Database


def all_complaints(db: Database, election: Election) -> list[Case]:
    return sorted(read_docket(db, election).cases.values(), key=lambda c: c.complaint.index)


def clocks(election: Election, cases: list[Case], now: datetime | None = None) -> dict[int, str]:
    """Each case's flag for the register: 'overdue', 'late' (decided after its deadline) or ''."""
    day = date.fromisoformat(election.date)
    at = now or datetime.now(UTC)
    rules = election.dispute_rules or KG  # the definition's `disputes:` section, else the KG law
    out = {}
    for c in cases:
        t = timing(c, rules, day, rules.tz)
        out[c.complaint.index] = (
            "overdue" if t.overdue(at) and c.pending else ("late" if t.late else "")
        )
    return out


def station_complaints(db: Database, election: Election, station_id: str) -> list[Case]:
    """The complaints about this station, with every step."""
    return [c for c in all_complaints(db, election) if c.complaint.station == station_id]
