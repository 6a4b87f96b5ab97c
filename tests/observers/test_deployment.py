"""The deployment draw: stratified, seeded, reproducible, and honest about its allocation."""

from __future__ import annotations

import pytest

from achyk.observers.deployment import ABROAD, allocate, differences, draw, strata_of
from achyk.observers.model import ObserverError


def _strata() -> dict[str, list[str]]:
    places = [(f"n{i}", "north", False) for i in range(60)]
    places += [(f"s{i}", "south", False) for i in range(30)]
    places += [(f"a{i}", "abroad-region", True) for i in range(10)]
    return strata_of(places)


def test_abroad_is_a_stratum_of_its_own() -> None:
    assert sorted(_strata()) == [ABROAD, "north", "south"]


def test_hamilton_allocation_worked_by_hand() -> None:
    # 10 teams over 60/30/10 stations: quotas 6, 3, 1 exactly.
    assert allocate(10, {"north": 60, "south": 30, "abroad": 10}) == {
        "north": 6,
        "south": 3,
        "abroad": 1,
    }
    # 7 teams: quotas 4.2, 2.1, 0.7 → floors 4, 2, 0; the one left goes to the largest remainder.
    assert allocate(7, {"north": 60, "south": 30, "abroad": 10}) == {
        "north": 4,
        "south": 2,
        "abroad": 1,
    }
    # never more than a stratum holds
    assert allocate(50, {"a": 3, "b": 2}) == {"a": 3, "b": 2}


def test_the_draw_is_reproducible_and_depends_on_the_seed() -> None:
    teams = [f"t{i:02}" for i in range(10)]
    a = draw("seed-1", teams, _strata(), 4)
    assert a == draw("seed-1", list(reversed(teams)), _strata(), 4)  # order of listing irrelevant
    assert a.assignments != draw("seed-2", teams, _strata(), 4).assignments
    assert a.strata == {"north": (60, 6), "south": (30, 3), ABROAD: (10, 1)}
    # every team in one stratum, no station twice, four stations each
    seen: list[str] = [s for v in a.assignments.values() for s in v]
    assert len(seen) == len(set(seen)) == 40
    for stations in a.assignments.values():
        assert len(stations) == 4 and len({s[0] for s in stations}) == 1


def test_a_plan_with_a_team_moved_is_not_its_seeds_draw() -> None:
    teams = [f"t{i:02}" for i in range(10)]
    plan = draw("seed-1", teams, _strata(), 4)
    team = sorted(plan.assignments)[0]
    forged = dict(plan.assignments)
    forged[team] = ("n0", "n1", "n2", "n3")
    from dataclasses import replace

    problems = differences(replace(plan, assignments=forged), plan)
    assert problems and team in problems[0]


def test_a_draw_without_a_seed_is_refused() -> None:
    with pytest.raises(ObserverError, match="seed"):
        draw("", ["t"], _strata(), 1)
