"""Certifying outcomes from a tabulation: list seats by the law's method, district winners, president.

The inputs are the counted figures (official where present, else preliminary) from `tabulate`; the
rules come from the contest definition, so anyone holding the record recomputes the same seats.
Regional thresholds apply to the regions at home; stations abroad count only in the national total.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from achyk.domain.definition import Contest, ContestKind, Election, PercentBase
from achyk.domain.protocol import AGAINST_ALL
from achyk.domain.seats import SeatAllocation, SeatRules, allocate_seats
from achyk.domain.tabulation import ContestResult, Level, Tabulation
from achyk.errors import InputError


class SeatStatus(Enum):
    """How far the seats can be read from what has been counted so far.

    Election night is a state, not an error: while stations are still reporting the seats are
    *provisional* (they may change with every protocol), and before any votes are counted — or
    while a region whose threshold the law requires has none — they are *undetermined*, with the
    reason. Only when every expected station has reported (or been annulled) are they *final*
    (subject, as always, to corrections and decisions that appear on the log) — unless a pending
    challenge affects the contest: then the certification *waits*, with the reason.
    """

    FINAL = "final"
    WAITING = "waiting"  # complete, but a pending challenge holds the certification
    PROVISIONAL = "provisional"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class ListSeats:
    contest_id: str
    allocation: SeatAllocation | None  # None exactly when UNDETERMINED
    status: SeatStatus = SeatStatus.FINAL
    reason: str | None = None  # why the seats are undetermined, or why certification waits
    waiting_regions: tuple[str, ...] = ()  # home regions with nothing counted, under a threshold


def _party_votes(result: ContestResult) -> dict[str, int]:
    return {o: n for o, n in result.counted.votes if o != AGAINST_ALL}


def _base(result: ContestResult, contest: Contest) -> int:
    c = result.counted
    return c.found if contest.base is PercentBase.VOTED else c.valid


def list_seats(election: Election, tab: Tabulation, contest: Contest) -> ListSeats:
    national = tab.national(contest.id)
    assert national is not None, f"contest {contest.id} has no national result"
    rules = SeatRules(
        seats=contest.seats,
        method=contest.method,
        threshold_pct=contest.threshold_pct,
        region_threshold_pct=contest.region_threshold_pct,
        cap=contest.seat_cap,
    )
    if _base(national, contest) == 0 or not any(_party_votes(national).values()):
        return _undetermined(contest, "no votes counted yet")
    region_votes = region_base = None
    if contest.region_threshold_pct:
        home = {r.id for r in election.regions if not r.abroad}
        regional = [r for r in tab.at_level(Level.REGION, contest.id) if r.unit.id in home]
        silent = sorted(r.unit.id for r in regional if _base(r, contest) == 0)
        if silent:
            reason = (
                f"no votes counted yet in region {', '.join(silent)}: the regional threshold "
                f"of {contest.region_threshold_pct}% cannot be judged"
            )
            return ListSeats(contest.id, None, SeatStatus.UNDETERMINED, reason, tuple(silent))
        region_votes = {r.unit.id: _party_votes(r) for r in regional}
        region_base = {r.unit.id: _base(r, contest) for r in regional}
    allocation = allocate_seats(
        _party_votes(national),
        rules,
        base_total=_base(national, contest),
        region_votes=region_votes,
        region_base=region_base,
    )
    complete = national.counted.stations + national.annulled >= national.stations_expected
    if not complete:
        return ListSeats(contest.id, allocation, SeatStatus.PROVISIONAL)
    held = tab.waiting.get(contest.id)
    if held is not None:
        return ListSeats(contest.id, allocation, SeatStatus.WAITING, held)
    return ListSeats(contest.id, allocation, SeatStatus.FINAL)


def _undetermined(contest: Contest, reason: str) -> ListSeats:
    return ListSeats(contest.id, None, SeatStatus.UNDETERMINED, reason)


def all_list_seats(election: Election, tab: Tabulation) -> list[ListSeats]:
    """The seats of every party-list contest whose seats can be computed from the count so far.

    While results come in, a contest may have no votes yet, or a region at home none yet (so its
    regional threshold cannot be judged): such a contest has no seats yet, rather than an error
    that would take down the results document, the API and `achyk publish` with it.
    """
    out = []
    for c in election.contests:
        if c.kind is not ContestKind.PARTY_LIST or tab.national(c.id) is None:
            continue
        try:
            out.append(list_seats(election, tab, c))
        except InputError:
            continue
    return out
