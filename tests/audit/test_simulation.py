"""Simulated audits: honest elections stop early; manipulated ones rarely slip through (≤ α).

A list contest of 10 seats (Hare, 5% threshold) over 200 stations. In the manipulated elections
the reported counts give one party votes taken from another (and, past that, votes with no
ballot behind them) at a tenth of the stations — just enough to move one seat. Each trial draws stations with a fresh seed (Rivest's sampler) and
hand-counts them in order until every assertion's risk is at most α or every station is counted.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from achyk.audit import sampling
from achyk.audit.batch import Batch
from achyk.audit.party_list import confirmed_after, plan, report
from achyk.domain.definition import Contest, ContestKind, Method, Option

ALPHA = 0.10
CONTEST = Contest(
    "list", "List", ContestKind.PARTY_LIST, 10,
    tuple(Option(p, p) for p in ("p1", "p2", "p3", "p4")),
    method=Method.HARE, threshold_pct=Decimal(5),
)  # fmt: skip


def _true_batches(rnd: random.Random, stations: int = 200) -> list[Batch]:
    shares = (0.42, 0.30, 0.20, 0.08)
    out = []
    for i in range(stations):
        n = rnd.randint(300, 700)
        votes = {
            p: int(n * s * rnd.uniform(0.8, 1.2))
            for p, s in zip(("p1", "p2", "p3", "p4"), shares, strict=True)
        }
        out.append(Batch(f"s{i:03d}", "north" if i % 2 else "south", votes, rnd.randint(0, 10)))
    return out


def _manipulate(true: list[Batch], rnd: random.Random) -> list[Batch] | None:
    """Write k more votes for p1 at a tenth of the stations, taken from p3 while p3 has any
    (the rest are votes with no ballot behind them): the least k that moves a seat."""
    honest = report(CONTEST, true).allocation.as_dict()
    chosen = set(rnd.sample(range(len(true)), len(true) // 10))

    def shifted(k: int) -> list[Batch]:
        return [
            Batch(b.id, b.region, {**b.votes, "p3": b.votes["p3"] - min(k, b.votes["p3"]), "p1": b.votes["p1"] + k}, b.invalid)
            if i in chosen else b
            for i, b in enumerate(true)
        ]  # fmt: skip

    low, high = 0, 1000
    if report(CONTEST, shifted(high)).allocation.as_dict() == honest:
        return None  # these stations cannot move a seat this way
    while high - low > 1:  # bisection: the seat moves at `high`, not at `low`
        mid = (low + high) // 2
        if report(CONTEST, shifted(mid)).allocation.as_dict() != honest:
            high = mid
        else:
            low = mid
    return shifted(high)


def test_honest_election_stops_early() -> None:
    rnd = random.Random(2026)
    true = _true_batches(rnd)
    actual = {b.id: b for b in true}
    planned = max(p.expected for p in plan(CONTEST, true, ALPHA))
    assert planned < len(true) // 2
    for trial in range(5):
        seed = f"{rnd.randrange(10**20):020d}"
        order = sampling.draw(seed, [b.id for b in true], len(true))
        stopped = confirmed_after(CONTEST, true, order, actual, ALPHA)
        assert stopped is not None and stopped == planned, (
            trial
        )  # no discrepancy: exactly as planned


def test_honest_discrepancies_still_confirm() -> None:
    rnd = random.Random(7)
    true = _true_batches(rnd)
    # the scanner miscounted a few ballots here and there (an invalid ballot read as a vote)
    reported = [
        Batch(b.id, b.region, {**b.votes, "p2": b.votes["p2"] + 1}, b.invalid - 1) if i % 7 == 0 and b.invalid else b
        for i, b in enumerate(true)
    ]  # fmt: skip
    actual = {b.id: b for b in true}
    order = sampling.draw("01382438112797316654", [b.id for b in true], len(true))
    stopped = confirmed_after(CONTEST, reported, order, actual, ALPHA)
    assert stopped is not None and stopped < len(true) // 2


@pytest.mark.slow
def test_manipulated_elections_are_confirmed_at_most_alpha_of_the_time() -> None:
    rnd = random.Random(1808)  # arXiv 1808.10016
    trials, wrongly_confirmed = 0, 0
    while trials < 60:
        true = _true_batches(rnd, stations=120)
        reported = _manipulate(true, rnd)
        if reported is None:
            continue
        trials += 1
        actual = {b.id: b for b in true}
        seed = f"{rnd.randrange(10**20):020d}"
        order = sampling.draw(seed, [b.id for b in reported], len(reported))
        stopped = confirmed_after(CONTEST, reported, order, actual, ALPHA)
        if stopped is not None and stopped < len(reported):
            wrongly_confirmed += 1
    # The risk limit bounds the chance of confirming a wrong outcome: with 60 trials, a sound
    # audit confirms more than 14 wrong outcomes with probability below 0.1% (binomial(60, 0.1)).
    assert wrongly_confirmed <= 14, wrongly_confirmed


def test_a_full_count_decides_every_assertion() -> None:
    rnd = random.Random(11)
    true = _true_batches(rnd, stations=60)
    order = [b.id for b in true]
    actual = {b.id: b for b in true}
    stopped = confirmed_after(CONTEST, true, order, actual, 1e-9)
    assert stopped is not None and stopped <= len(true)  # known by the end: risk 0
    wrong = _manipulate(true, rnd)
    assert wrong is not None
    assert confirmed_after(CONTEST, wrong, order, actual, ALPHA) is None  # known false: risk 1
