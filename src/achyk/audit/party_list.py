"""Auditing a party-list contest station by station: the plan, and the risk after hand counts.

The *reported* batches are the counted protocol of every station of the contest (the official
one where there is one, else the preliminary — what the published seats were computed from).
The remote-voting unit has no paper: its tally is proved by the trustees' decryption proofs, and
it is left out of the paper audit altogether — the assertions are those of the allocation on the
stations' counts (the same as the published one unless the remote votes alone move a seat, which
the plan would show as a seat allocation differing from the published one). The seats are recomputed here from the batches with the same rules
as :mod:`achyk.domain.seat_results` (regional thresholds over the home regions only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from achyk.audit.assertions import Assertion, ListReport, seat_assertions
from achyk.audit.batch import (
    AlphaState,
    Batch,
    Scale,
    alpha_step,
    batch_gi,
    expected_stations,
    measure,
    scale,
)
from achyk.audit.completion import stations_for
from achyk.domain.definition import Contest, Election, PercentBase
from achyk.domain.protocol import AGAINST_ALL, Protocol
from achyk.domain.seats import SeatRules, allocate_seats
from achyk.errors import InputError, Problem


def batches(election: Election, contest: Contest, counted: Mapping[str, Protocol]) -> list[Batch]:
    """One batch per station of the contest with a counted protocol, in station-id order."""
    out = []
    for place in sorted(election.stations_in(contest), key=lambda p: p.station.id):
        p = counted.get(place.station.id)
        if p is None or place.station.remote:
            continue
        region = "" if place.station.abroad else place.region_id
        home = any(r.id == place.region_id and not r.abroad for r in election.regions)
        out.append(
            Batch(
                place.station.id,
                region if home else "",
                dict(p.votes),
                p.invalid,
                paper=not place.station.remote,
            )
        )
    return out


def report(contest: Contest, reported: Sequence[Batch]) -> ListReport:
    """The reported votes, base and seat allocation, from the batches alone."""
    votes: dict[str, int] = dict.fromkeys(contest.option_ids(), 0)
    base = 0
    regions: dict[str, dict[str, int]] = {}
    region_base: dict[str, int] = {}
    for b in reported:
        for option, n in b.votes.items():
            if option != AGAINST_ALL:
                votes[option] = votes.get(option, 0) + n
        n_base = b.ballots if contest.base is PercentBase.VOTED else sum(b.votes.values())
        base += n_base
        if b.region:
            table = regions.setdefault(b.region, dict.fromkeys(contest.option_ids(), 0))
            for option, n in b.votes.items():
                if option != AGAINST_ALL:
                    table[option] = table.get(option, 0) + n
            region_base[b.region] = region_base.get(b.region, 0) + n_base
    rules = SeatRules(
        contest.seats, contest.method, contest.threshold_pct, contest.region_threshold_pct,
        contest.seat_cap,
    )  # fmt: skip
    regional = bool(contest.region_threshold_pct)
    allocation = allocate_seats(
        votes,
        rules,
        base_total=base,
        region_votes=regions if regional else None,
        region_base=region_base if regional else None,
    )
    return ListReport(
        votes, rules, contest.base, allocation,
        regions if regional else None, region_base if regional else None, base,
    )  # fmt: skip


@dataclass(frozen=True)
class PlannedAssertion:
    assertion: Assertion
    scale: Scale
    expected: int  # stations to hand-count when every count matches


def plan(contest: Contest, reported: Sequence[Batch], alpha: float) -> list[PlannedAssertion]:
    """Every assertion of the reported allocation with its margins and expected stations."""
    if not 0 < alpha < 1:
        raise InputError("audit plan", [Problem("risk limit", f"{alpha} is not in (0, 1)")])
    out = []
    for a in seat_assertions(report(contest, reported)):
        sc = scale(a, reported)
        out.append(PlannedAssertion(a, sc, expected_stations(sc, alpha)))
    return out


def completion(
    reported: Sequence[Batch], planned: Sequence[PlannedAssertion], alpha: float
) -> dict[float, int]:
    """Stations whose first round confirms every assertion with probability 80 % and 90 %."""
    return stations_for([(p.assertion, p.scale) for p in planned], reported, alpha)


@dataclass(frozen=True)
class AssertionRisk:
    id: str
    text: str
    risk: float


def overstatement_xs(
    a: Assertion,
    sc: Scale,
    reported: Mapping[str, Batch],
    order: Sequence[str],
    actual: Mapping[str, Batch],
) -> list[float]:
    """ALPHA's x for each drawn station: its reported batch against the audit board's count."""
    return [sc.x(batch_gi(a, reported[s]) - batch_gi(a, actual[s])) for s in order]


def risks(
    contest: Contest, reported: Sequence[Batch], order: Sequence[str], actual: Mapping[str, Batch]
) -> list[AssertionRisk]:
    """The measured risk of every assertion after hand-counting the stations of ``order``."""
    by_id = {b.id: b for b in reported}
    missing = [s for s in order if s not in actual or s not in by_id]
    if missing:
        raise InputError(
            "audit risk",
            [Problem(s, "drawn but not hand-counted or not in the population") for s in missing],
        )
    out = []
    for a in seat_assertions(report(contest, reported)):
        sc = scale(a, reported)
        state: AlphaState = measure(sc, overstatement_xs(a, sc, by_id, order, actual))
        out.append(AssertionRisk(a.id, a.text, state.risk))
    return out


def confirmed_after(
    contest: Contest,
    reported: Sequence[Batch],
    order: Sequence[str],
    actual: Mapping[str, Batch],
    alpha: float,
) -> int | None:
    """The least number of drawn stations after which every assertion's risk is at most α.

    None when even every station drawn in ``order`` does not confirm the outcome.
    """
    by_id = {b.id: b for b in reported}
    states = []
    for a in seat_assertions(report(contest, reported)):
        sc = scale(a, reported)
        xs = overstatement_xs(a, sc, by_id, order, actual)
        state, reached = AlphaState(), None
        for j, x in enumerate(xs, start=1):
            state = alpha_step(state, x, sc.stations)
            if state.risk <= alpha:
                reached = j
                break
        if reached is None:
            return None
        states.append(reached)
    return max(states, default=0)
