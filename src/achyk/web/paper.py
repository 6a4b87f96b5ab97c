"""The "scanner versus hand count" page of every unit: the two counts side by side.

`e/{id}/paper/` for the nation, `e/{id}/paper/{region|district|country}/{unit}/` below it and
`e/{id}/paper/abroad/`. Figures per option by each count (the tabulation's `scanner` and `hand`
sums), the child units with their ballots found by each count, the stations of the unit whose
counts differ beyond the tolerances (achyk.audit.reconcile defaults), and — for the nation — the
seats each count would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from achyk.audit.reconcile import StationReconciliation
from achyk.domain.definition import Election
from achyk.domain.tabulation import NATIONAL_ID, Level, Tabulation
from achyk.errors import NotFoundError
from achyk.store.database import Database
from achyk.web.paper_summary import PaperSummary, paper_summary

_memo: dict[tuple[str, int], PaperSummary] = {}


def _reconciled(db: Database, election: Election, tab: Tabulation) -> PaperSummary:
    """One reconciliation per tabulation (the static export renders every unit from the same)."""
    key = (election.id, id(tab))
    if key not in _memo:
        _memo.clear()
        _memo[key] = paper_summary(db, election)
    return _memo[key]


_parents_memo: dict[int, tuple[Tabulation, frozenset[str]]] = {}


def _parents(tab: Tabulation) -> frozenset[str]:
    """Every unit that a unit above the stations names its parent (once per tabulation)."""
    hit = _parents_memo.get(id(tab))
    if hit is None or hit[0] is not tab:
        _parents_memo.clear()
        found = frozenset(r.unit.parent for r in tab.aggregates().values() if r.unit.parent)
        hit = _parents_memo[id(tab)] = (tab, found)
    return hit[1]


@dataclass(frozen=True)
class PaperRow:
    id: str
    name: str
    scanner: int
    hand: int

    @property
    def delta(self) -> int:
        return self.scanner - self.hand


def paper_path(base: str, level: Level, unit_id: str) -> str:
    if level is Level.NATIONAL:
        return f"{base}paper/"
    if level is Level.ABROAD:
        return f"{base}paper/abroad/"
    return f"{base}paper/{level.value}/{unit_id}/"


def paper_context(
    db: Database, election: Election, tab: Tabulation, level: Level, unit_id: str
) -> dict[str, Any]:
    from achyk.web.pages import base_path, option_name, primary_contest, unit_names_of, unit_path

    contest = primary_contest(election)
    result = tab.get(level, unit_id, contest.id)
    if result is None:
        raise NotFoundError(f"no {level.value} {unit_id!r}")
    base = base_path(election)
    options = [
        PaperRow(o, option_name(contest, o), result.scanner.votes_for(o), result.hand.votes_for(o))
        for o, _ in result.counted.votes
    ]
    children = []
    names = unit_names_of(election)
    # A district's children are its stations, which this table leaves out: not read at all (unless
    # a unit above the stations names it its parent, as the countries do the "abroad" district).
    parent = unit_id if level is not Level.NATIONAL else NATIONAL_ID
    skip = level is Level.DISTRICT and parent not in _parents(tab)
    below = [] if skip else tab.children(parent, contest.id)
    for r in sorted(below, key=lambda r: r.unit.id):
        if r.unit.level in (Level.ABROAD, Level.STATION):
            continue
        children.append(
            (
                PaperRow(
                    r.unit.id,
                    names.get((r.unit.level.value, r.unit.id), r.unit.name),
                    r.scanner.found,
                    r.hand.found,
                ),
                paper_path(base, r.unit.level, r.unit.id),
            )
        )
    rec = _reconciled(db, election, tab)
    # Every station's reconciliation was sorted into its units once (paper_summary): a unit's
    # page no longer walks the 100,000 stations twice.
    outside: list[StationReconciliation] = rec.outside.get((level, unit_id, contest.id), [])
    compared = rec.compared.get((level, unit_id, contest.id), 0)
    seats = rec.seats.get(contest.id) if level is Level.NATIONAL else None
    seat_rows = (
        [PaperRow(o.id, o.name, seats[0].get(o.id, 0), seats[1].get(o.id, 0)) for o in contest.options]
        if seats else []
    )  # fmt: skip
    return {
        "contest": contest,
        "result": result,
        "options": options,
        "children": children,
        "outside": outside,
        "compared": compared,
        "seat_rows": seat_rows,
        "tolerances": rec.tolerances,
        "unit_link": unit_path(election, level, unit_id),
        "station_path": lambda sid: unit_path(election, Level.STATION, sid),
    }
