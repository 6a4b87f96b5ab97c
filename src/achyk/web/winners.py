"""Who wins and why, as the site shows it: the seat rule in words, each party's reason for "—",
a seats chart with the majority line, and the elected candidates of district contests.

Everything here is read from the same seat allocation and tabulation that `results.json` publishes
and `achyk verify` recomputes; this module only arranges it for a reader. Reasons are rebuilt as
structured facts (a share against a threshold, the regions where a party fell short) so that each
language's catalog can phrase them, instead of showing the core's English sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from achyk.domain.definition import Contest, ContestKind, Election, PercentBase
from achyk.domain.outcomes import decide_district
from achyk.domain.protocol import AGAINST_ALL
from achyk.domain.seat_results import ListSeats, SeatStatus, all_list_seats
from achyk.domain.seats import format_pct
from achyk.domain.tabulation import ContestResult, Level, Tabulation
from achyk.errors import AchykError


@dataclass(frozen=True)
class PartySeats:
    id: str
    name: str
    colour: str
    votes: int
    share_pct: str  # truncated to hundredths, as every share on the site
    seats: int
    capped: bool
    no_votes: bool
    below_national: bool  # under the national threshold
    short_regions: tuple[str, ...]  # region names where it is under the regional threshold


@dataclass(frozen=True)
class Segment:
    """One party's part of the seats bar, in percent of the bar's width."""

    id: str
    name: str
    colour: str
    seats: int
    x_pct: float
    width_pct: float


@dataclass(frozen=True)
class SeatsView:
    contest: Contest
    status: str  # final | provisional | undetermined
    seats: int
    method: str
    threshold_pct: Decimal
    region_threshold_pct: Decimal
    cap: int | None
    base_voted: bool
    majority: int  # seats needed for a majority: more than half
    parties: tuple[PartySeats, ...]  # every party, most seats first, then most votes
    segments: tuple[Segment, ...]

    @property
    def has_threshold(self) -> bool:
        return self.threshold_pct > 0

    @property
    def threshold_x_pct(self) -> float:
        """Where the threshold line sits on share bars drawn 0–100 %."""
        return float(self.threshold_pct)


def _pct(votes: int, base: int) -> str:
    return format_pct(Fraction(votes * 100, base)).rstrip("%") if base else "0.00"


def seats_view(
    election: Election, tab: Tabulation, contest: Contest, colours: dict[str, str]
) -> SeatsView | None:
    """The seats of a party-list contest for the page, or None when it has no allocation yet."""
    found: ListSeats | None = next(
        (s for s in all_list_seats(election, tab) if s.contest_id == contest.id), None
    )
    national = tab.national(contest.id)
    if found is None or found.allocation is None or national is None:
        return None
    base = _base(national, contest)
    names = {o.id: o.name for o in contest.options}
    region_names = {r.id: r.name for r in election.regions}
    regional = _regional(election, tab, contest)
    seats = found.allocation.as_dict()
    parties = []
    for party, votes in national.counted.votes:
        if party == AGAINST_ALL:
            continue
        short = tuple(
            region_names.get(rid, rid)
            for rid, (table, r_base) in sorted(regional.items())
            if table.get(party, 0) * 100 < Fraction(contest.region_threshold_pct) * r_base
        )
        parties.append(
            PartySeats(
                id=party,
                name=names.get(party, party),
                colour=colours.get(party, "#595959"),
                votes=votes,
                share_pct=_pct(votes, base),
                seats=seats.get(party, 0),
                capped=party in found.allocation.capped,
                no_votes=votes == 0,
                below_national=votes * 100 < Fraction(contest.threshold_pct) * base,
                short_regions=short,
            )
        )
    parties.sort(key=lambda p: (-p.seats, -p.votes, p.id))
    segments, x = [], 0.0
    for p in parties:
        if p.seats:
            width = 100.0 * p.seats / contest.seats
            segments.append(Segment(p.id, p.name, p.colour, p.seats, round(x, 3), round(width, 3)))
            x += width
    return SeatsView(
        contest=contest,
        status=found.status.value,
        seats=contest.seats,
        method=contest.method.value,
        threshold_pct=contest.threshold_pct,
        region_threshold_pct=contest.region_threshold_pct,
        cap=contest.seat_cap,
        base_voted=contest.base is PercentBase.VOTED,
        majority=contest.seats // 2 + 1,
        parties=tuple(parties),
        segments=tuple(segments),
    )


def _base(r: ContestResult, contest: Contest) -> int:
    return r.counted.found if contest.base is PercentBase.VOTED else r.counted.valid


def _regional(
    election: Election, tab: Tabulation, contest: Contest
) -> dict[str, tuple[dict[str, int], int]]:
    if not contest.region_threshold_pct:
        return {}
    home = {r.id for r in election.regions if not r.abroad}
    return {
        r.unit.id: (dict(r.counted.votes), _base(r, contest))
        for r in tab.at_level(Level.REGION, contest.id)
        if r.unit.id in home
    }


@dataclass(frozen=True)
class DistrictWinners:
    elected: tuple[str, ...]  # option ids, in order of votes
    provisional: bool  # stations of the district are still reporting
    vacant: int  # seats left empty ('against all' ahead, or too few candidates)


def district_winners(contest: Contest, r: ContestResult) -> DistrictWinners | None:
    """The elected of a district contest at its own level, or None before any vote is counted."""
    if contest.kind is not ContestKind.DISTRICT or not r.counted.stations:
        return None
    votes = {o: n for o, n in r.counted.votes if o != AGAINST_ALL}
    against = r.counted.votes_for(AGAINST_ALL) if contest.against_all else None
    try:
        outcome = decide_district(votes, contest.seats, against_all=against)
    except AchykError:  # inconsistent figures are named on the verify page, not guessed here
        return None
    provisional = r.counted.stations < r.stations_expected
    return DistrictWinners(outcome.elected, provisional, contest.seats - len(outcome.elected))


def is_final(status: str) -> bool:
    return status == SeatStatus.FINAL.value


@dataclass(frozen=True)
class SeatNote:
    """What the overview says about the state of the seats on election night."""

    status: str  # final | provisional | undetermined | waiting
    waiting_regions: tuple[str, ...]  # region names, when a regional threshold waits on them
    threshold_pct: str
    reason: str = ""  # why the certification waits: the pending complaints


def seat_note(election: Election, tab: Tabulation, contest: Contest) -> SeatNote | None:
    found = next((s for s in all_list_seats(election, tab) if s.contest_id == contest.id), None)
    if found is None:
        return None
    names = {r.id: r.name for r in election.regions}
    return SeatNote(
        found.status.value,
        tuple(names.get(r, r) for r in found.waiting_regions),
        str(contest.region_threshold_pct),
        found.reason or "" if found.status is SeatStatus.WAITING else "",
    )
