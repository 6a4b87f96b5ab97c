"""Party shares never sum above 100% of their base, at any level, for any election.

A Hypothesis property over random elections: random geography, random protocols satisfying every
control relation, tabulated by achyk.domain.tabulation. The displayed percentages (truncated to two
decimals) and the exact fractions both stay within 100% of the contest's base, and the truncated
share is never more than the exact one (the 2021 failure mode: totals above 100%).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.domain.definition import (
    Contest,
    ContestKind,
    District,
    Election,
    ElectionType,
    Option,
    PercentBase,
    Region,
    Station,
)
from achyk.domain.protocol import AGAINST_ALL, Protocol, ProtocolKind, check_relations
from achyk.domain.tabulation import tabulate


@st.composite
def elections(draw: st.DrawFn) -> tuple[Election, list[Protocol]]:
    n_options = draw(st.integers(1, 8))
    against_all = draw(st.booleans())
    base = draw(st.sampled_from(list(PercentBase)))
    contest = Contest(
        "list", "List", ContestKind.PARTY_LIST, 10,
        tuple(Option(f"p{i}", f"Party {i}") for i in range(n_options)),
        against_all=against_all, base=base,
    )  # fmt: skip
    regions, protocols, number = [], [], 0
    for r in range(draw(st.integers(1, 3))):
        districts = []
        for d in range(draw(st.integers(1, 2))):
            stations = []
            for _ in range(draw(st.integers(1, 3))):
                number += 1
                sid = str(1000 + number)
                voters = draw(st.integers(0, 3000))
                stations.append(Station(sid, sid, "", voters))
                if not draw(st.booleans()):
                    continue  # not reported yet
                issued = draw(st.integers(0, voters))
                outside = draw(st.integers(0, issued))
                found_mobile = draw(st.integers(0, outside))
                found = draw(st.integers(found_mobile, issued))
                invalid = draw(st.integers(0, found))
                valid = found - invalid
                lines = n_options + (1 if against_all else 0)
                cuts = sorted(
                    draw(st.lists(st.integers(0, valid), min_size=lines - 1, max_size=lines - 1))
                )
                votes = [b - a for a, b in zip([0, *cuts], [*cuts, valid], strict=True)]
                ids = [o.id for o in contest.options] + ([AGAINST_ALL] if against_all else [])
                for kind in draw(
                    st.sampled_from(
                        [[ProtocolKind.PRELIMINARY], [ProtocolKind.OFFICIAL], list(ProtocolKind)]
                    )
                ):
                    p = Protocol(
                        "e", sid, "list", kind, voters, issued, issued - outside, outside, 0,
                        found_mobile, found - found_mobile, invalid, valid,
                        tuple(zip(ids, votes, strict=True)),
                    )  # fmt: skip
                    assert check_relations(p) == []
                    protocols.append(p)
            districts.append(District(f"r{r}d{d}", f"District {r}.{d}", tuple(stations)))
        regions.append(Region(f"r{r}", f"Region {r}", tuple(districts)))
    election = Election(
        "e", "E", ElectionType.PARLIAMENTARY, "2025-11-30", (contest,), tuple(regions)
    )
    return election, protocols


@settings(max_examples=150, deadline=None)
@given(elections())
def test_shares_never_sum_above_100_percent(case: tuple[Election, list[Protocol]]) -> None:
    election, protocols = case
    tab = tabulate(election, protocols)
    for result in tab.results.values():
        parties = [o for o, _ in result.counted.votes if o != AGAINST_ALL]
        everything = [o for o, _ in result.counted.votes]
        shown = sum((result.share_pct(o) for o in everything), Decimal(0))
        assert shown <= 100
        assert sum((result.share_pct(o) for o in parties), Decimal(0)) <= 100
        exact = sum((result.share(o) for o in everything), Fraction(0))
        assert exact <= 1
        for o in everything:
            assert Fraction(result.share_pct(o)) / 100 <= result.share(o)  # truncated, never up
        if result.base:
            # the shares of all lines cover their base exactly when the base is the valid votes
            if result.base_kind is PercentBase.VALID:
                assert exact == 1 or result.counted.valid == 0
            assert (
                Decimal(100) - shown < Decimal("0.01") * len(everything)
                or result.base_kind is PercentBase.VOTED
            )
