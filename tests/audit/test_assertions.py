"""The seat-allocation assertions (Blom et al. 2021): sufficient for the reported allocation.

Soundness is checked by brute force: for reported votes and many "true" vote tables near them,
whenever every assertion holds on the true table, allocating seats on the true table gives the
reported allocation. If a single assertion were missing (say, the threshold of one party) a
counterexample would appear within the examples Hypothesis draws.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.audit.assertions import ListReport, seat_assertions
from achyk.domain.definition import Method, PercentBase
from achyk.domain.seats import SeatRules, allocate_seats
from achyk.errors import InputError

PARTIES = ("A", "B", "C", "D", "E")


def _assertions_hold(
    report: ListReport,
    votes: dict[str, int],
    invalid: int,
    regions: dict[str, dict[str, int]] | None,
    region_invalid: dict[str, int] | None,
) -> bool:
    for a in seat_assertions(report):
        if a.region is None:
            total = a.g(votes, invalid)
        else:
            assert regions is not None and region_invalid is not None
            total = a.g(regions[a.region], region_invalid[a.region])
        if not a.holds(total):
            return False
    return True


def _report(
    votes: dict[str, int],
    invalid: int,
    rules: SeatRules,
    regions: dict[str, dict[str, int]] | None = None,
    region_invalid: dict[str, int] | None = None,
) -> ListReport:
    base = sum(votes.values()) + invalid
    region_base = (
        {r: sum(t.values()) + (region_invalid or {})[r] for r, t in regions.items()}
        if regions
        else None
    )
    alloc = allocate_seats(
        votes, rules, base_total=base, region_votes=regions, region_base=region_base
    )
    return ListReport(votes, rules, PercentBase.VOTED, alloc, regions, region_base, base)


def _allocation(
    votes: dict[str, int],
    invalid: int,
    rules: SeatRules,
    regions: dict[str, dict[str, int]] | None = None,
    region_invalid: dict[str, int] | None = None,
) -> dict[str, int]:
    return _report(votes, invalid, rules, regions, region_invalid).allocation.as_dict()


def test_dhondt_small_list_by_hand() -> None:
    # A small D'Hondt list in the manner of Stark & Teague (JETS 2014) and Blom et al. (2021,
    # section 5): 7 seats, A 4600, B 2600, C 1500, D 300. Averages in order: A 4600, B 2600,
    # A 2300, A 1533, C 1500, B 1300, A 1150 — A 4, B 2, C 1, D 0. Each assertion says a party's
    # last seat beats another's next: A/4 > B/3 holds by 3·4600 − 4·2600 = 3400 (scaled) votes.
    votes = {"A": 4600, "B": 2600, "C": 1500, "D": 300}
    rules = SeatRules(seats=7, method=Method.DHONDT)
    report = _report(votes, 0, rules)
    assert report.allocation.as_dict() == {"A": 4, "B": 2, "C": 1, "D": 0}
    by_id = {a.id: a for a in seat_assertions(report)}
    assert by_id["seat:A>B"].g(votes, 0) == 3 * 4600 - 4 * 2600  # A/4 > B/3
    assert by_id["seat:C>A"].g(votes, 0) == 5 * 1500 - 1 * 4600  # C/1 > A/5
    assert by_id["seat:B>D"].g(votes, 0) == 1 * 2600 - 2 * 300  # B/2 > D/1
    assert all(a.holds(a.g(votes, 0)) for a in by_id.values())
    # Move 1800 votes from A to B: B's 3rd seat (4400/3 = 1467) now beats A's 3rd (2800/3 = 933)
    moved = {"A": 2800, "B": 4400, "C": 1500, "D": 300}
    assert not by_id["seat:A>B"].holds(by_id["seat:A>B"].g(moved, 0))
    assert _allocation(moved, 0, rules) != report.allocation.as_dict()


def test_hare_threshold_assertions_by_hand() -> None:
    # 10 seats, Hare, 5% of everyone who voted (1000 ballots, 40 invalid): E 45 votes is below.
    votes = {"A": 500, "B": 300, "C": 115, "E": 45}
    rules = SeatRules(seats=10, method=Method.HARE, threshold_pct=Decimal(5))
    report = _report(votes, 40, rules)
    ids = {a.id: a for a in seat_assertions(report)}
    assert "below:national:E" in ids and "threshold:national:C" in ids
    # C: 115 − 5% of 1000 = 65 > 0; E: 50 − 45 = 5 > 0
    assert ids["threshold:national:C"].g(votes, 40) == 115 - Fraction(5, 100) * 1000
    assert ids["below:national:E"].g(votes, 40) == Fraction(5, 100) * 1000 - 45


vote = st.integers(min_value=0, max_value=400)


@settings(max_examples=200, deadline=None)
@given(
    reported=st.tuples(vote, vote, vote, vote, vote),
    shift=st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(1, 300)), min_size=1, max_size=6
    ),
    invalid=st.integers(0, 40),
    method=st.sampled_from(list(Method)),
    seats=st.integers(1, 12),
    threshold=st.sampled_from([Decimal(0), Decimal(5), Decimal(7)]),
)
def test_assertions_imply_the_allocation(
    reported: tuple[int, ...],
    shift: list[tuple[int, int, int]],
    invalid: int,
    method: Method,
    seats: int,
    threshold: Decimal,
) -> None:
    votes = dict(zip(PARTIES, reported, strict=True))
    if sum(votes.values()) == 0:
        return
    rules = SeatRules(seats=seats, method=method, threshold_pct=threshold)
    report = _report(votes, invalid, rules)
    if not report.allocation.qualified:
        return
    true = dict(votes)
    for src, dst, n in shift:  # votes moved by a miscount, in either direction
        n = min(n, true[PARTIES[src]])
        true[PARTIES[src]] -= n
        true[PARTIES[dst]] += n
    if _assertions_hold(report, true, invalid, None, None):
        assert _allocation(true, invalid, rules) == report.allocation.as_dict()


def test_regional_threshold_and_cap_assertions_imply_the_allocation() -> None:
    # A seeded search rather than Hypothesis: counterexamples to a missing cap assertion need
    # tables where the cap binds and a shift of tens of votes, which plain random draws find
    # within a few thousand tries (dropping the cap or regional assertions makes this fail).
    rnd = random.Random(20210725)  # arXiv 2107.11903, Blom et al.
    parties = PARTIES[:4]
    checked = 0
    for _ in range(4000):
        regions = {r: {p: rnd.randint(0, 40) for p in parties} for r in ("north", "south")}
        region_invalid = {"north": 1, "south": 1}
        if any(sum(t.values()) == 0 for t in regions.values()):
            continue
        votes = {p: regions["north"][p] + regions["south"][p] for p in parties}
        rules = SeatRules(
            seats=rnd.randint(2, 8),
            method=rnd.choice([Method.HARE, Method.DHONDT]),
            threshold_pct=rnd.choice([Decimal(0), Decimal(5)]),
            region_threshold_pct=rnd.choice([Decimal(0), Decimal(10)]),
            cap=rnd.choice([None, 2, 3]),
        )
        try:
            report = _report(votes, 2, rules, regions, region_invalid)
        except InputError:  # a cap that cannot be filled: nothing to audit
            continue
        if not report.allocation.qualified:
            continue
        true_regions = {r: dict(t) for r, t in regions.items()}
        for _ in range(rnd.randint(1, 3)):
            table = true_regions[rnd.choice(["north", "south"])]
            src, dst = rnd.choice(parties), rnd.choice(parties)
            n = min(rnd.randint(1, 60), table[src])
            table[src] -= n
            table[dst] += n
        true = {p: true_regions["north"][p] + true_regions["south"][p] for p in parties}
        if not _assertions_hold(report, true, 2, true_regions, region_invalid):
            continue
        try:
            seats = _allocation(true, 2, rules, true_regions, region_invalid)
        except InputError:  # the true cap cannot be filled at all: not a different allocation
            continue
        assert seats == report.allocation.as_dict(), (regions, rules, true_regions)
        checked += 1
    assert checked > 500  # the search is not vacuous
