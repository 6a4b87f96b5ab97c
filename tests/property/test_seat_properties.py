"""Invariants of seat allocation that must hold for any votes, method, threshold and cap."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from achyk.domain.definition import Method
from achyk.domain.seats import SeatRules, allocate_seats

party_votes = st.dictionaries(
    keys=st.text(alphabet="ABCDEFGHIJ", min_size=1, max_size=3),
    values=st.integers(min_value=0, max_value=2_000_000),
    min_size=1,
    max_size=8,
)
methods = st.sampled_from(list(Method))
seat_counts = st.integers(min_value=1, max_value=60)
thresholds = st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(3), Decimal(5), Decimal(7)])


def _feasible_cap(votes: dict[str, int], rules: SeatRules, base: int | None) -> bool:
    """Whether the cap can fill the seats among the parties that qualify."""
    uncapped = SeatRules(rules.seats, rules.method, rules.threshold_pct)
    n = len(allocate_seats(votes, uncapped, base_total=base).qualified)
    return rules.cap is None or n == 0 or rules.cap * n >= rules.seats


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, int], SeatRules, int | None]:
    votes = draw(party_votes)
    extra = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=500_000)))
    base = None if extra is None else sum(votes.values()) + extra
    assume(base is None or base > 0)
    cap = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=60)))
    rules = SeatRules(draw(seat_counts), draw(methods), draw(thresholds), cap=cap)
    assume(_feasible_cap(votes, rules, base))
    return votes, rules, base


@given(cases())
def test_seats_sum_to_the_total_when_a_party_qualifies(
    case: tuple[dict[str, int], SeatRules, int | None],
) -> None:
    votes, rules, base = case
    result = allocate_seats(votes, rules, base_total=base)
    expected = rules.seats if result.qualified else 0
    assert result.total == expected
    assert [p for p, _ in result.seats] == list(votes)


@given(cases())
def test_no_party_exceeds_the_cap(case: tuple[dict[str, int], SeatRules, int | None]) -> None:
    votes, rules, base = case
    result = allocate_seats(votes, rules, base_total=base)
    if rules.cap is not None:
        assert all(n <= rules.cap for n in result.as_dict().values())


@given(cases())
def test_below_threshold_gets_nothing(case: tuple[dict[str, int], SeatRules, int | None]) -> None:
    votes, rules, base = case
    result = allocate_seats(votes, rules, base_total=base)
    denominator = base if base is not None else sum(votes.values())
    for party, v in votes.items():
        below = v == 0 or Fraction(v * 100, denominator) < Fraction(rules.threshold_pct)
        if below:
            assert result.as_dict()[party] == 0
            assert party in dict(result.excluded)
        else:
            assert party in result.qualified


@given(cases())
def test_input_order_does_not_matter(case: tuple[dict[str, int], SeatRules, int | None]) -> None:
    votes, rules, base = case
    reversed_votes = dict(reversed(list(votes.items())))
    forward = allocate_seats(votes, rules, base_total=base).as_dict()
    assert allocate_seats(reversed_votes, rules, base_total=base).as_dict() == forward


@given(party_votes, seat_counts, st.data())
def test_dhondt_more_votes_never_lose_a_seat(
    votes: dict[str, int], seats: int, data: st.DataObject
) -> None:
    party = data.draw(st.sampled_from(sorted(votes)))
    gain = data.draw(st.integers(min_value=1, max_value=1_000_000))
    rules = SeatRules(seats, Method.DHONDT)
    before = allocate_seats(votes, rules).as_dict()[party]
    after = allocate_seats({**votes, party: votes[party] + gain}, rules).as_dict()[party]
    assert after >= before


@given(party_votes, seat_counts, st.sampled_from([Method.DHONDT, Method.SAINTE_LAGUE]))
def test_divisor_methods_are_house_monotone(
    votes: dict[str, int], seats: int, method: Method
) -> None:
    smaller = allocate_seats(votes, SeatRules(seats, method)).as_dict()
    larger = allocate_seats(votes, SeatRules(seats + 1, method)).as_dict()
    assert all(larger[p] >= smaller[p] for p in votes)


@given(party_votes, seat_counts, thresholds)
def test_hare_gives_floor_or_ceiling_of_the_quota(
    votes: dict[str, int], seats: int, threshold: Decimal
) -> None:
    result = allocate_seats(votes, SeatRules(seats, Method.HARE, threshold))
    qualifying_total = sum(votes[p] for p in result.qualified)
    for party in result.qualified:
        quota = Fraction(votes[party] * seats, qualifying_total)
        assert result.as_dict()[party] in (math.floor(quota), math.ceil(quota))
