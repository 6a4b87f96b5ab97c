"""The figures a page updates live: raw numbers (the browser formats them in the page's language).

One summary per (unit, protocol stamp): the unit's totals per contest, as the page's summary and
results tables show them, and the rows of its table of child units (regions on the overview,
districts on a region page, …) for the contest that table follows.
"""

from __future__ import annotations

from typing import Any

from achyk.domain.definition import Contest, ContestKind, Election
from achyk.domain.tabulation import NATIONAL_ID, ContestResult, Level, Tabulation
from achyk.errors import NotFoundError
from achyk.web import pages


def _figures(r: ContestResult) -> dict[str, Any]:
    return {
        "stations_reported": r.counted.stations,
        "stations_expected": r.stations_expected,
        "reported_pct": str(r.reported_pct),
        "turnout_pct": str(r.turnout_pct),
        "issued": r.counted.issued,
        "valid": r.counted.valid,
        "options": {o: {"votes": n, "share_pct": str(r.share_pct(o))} for o, n in r.counted.votes},
    }


def _child(row: pages.ChildRow) -> dict[str, Any]:
    leader = row.leader
    return {
        "stations_reported": row.result.counted.stations,
        "stations_expected": row.result.stations_expected,
        "turnout_pct": str(row.result.turnout_pct),
        "leader": None
        if leader is None
        else {
            "id": leader.id,
            "name": leader.name,
            "colour": leader.colour,
            "share_pct": str(leader.share_pct),
        },
    }


def live_summary(
    election: Election,
    tab: Tabulation,
    stamp: int,
    level: Level = Level.NATIONAL,
    unit_id: str = NATIONAL_ID,
) -> dict[str, Any]:
    """What the page of (level, unit) updates live; NotFoundError for a unit with no results."""
    main: Contest | None
    if level is Level.NATIONAL:
        # the overview shows every contest but the per-district ones, and follows the main one
        contests = [c for c in election.contests if c.kind is not ContestKind.DISTRICT]
        main = pages.primary_contest(election)
    else:
        contests = pages.unit_contests(election, tab, level, unit_id)
        main = contests[0] if contests else None
    figures = {
        c.id: _figures(r)
        for c in contests
        for r in [tab.get(level, unit_id, c.id)]
        if r is not None
    }
    if main is None or main.id not in figures:
        raise NotFoundError(f"no {level.value} {unit_id!r}")
    rows = pages.child_rows(election, tab, level, unit_id, main)
    return {
        "election": election.id,
        "stamp": stamp,
        "contests": figures,
        "children": {"contest": main.id, "units": {row.id: _child(row) for row in rows}},
    }
