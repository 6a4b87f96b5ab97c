"""Two things a mission records beside its deployment plan: an observer's change of station on the
day, and its long-term observers' areas of responsibility.

A team does not always reach the stations it was drawn: a road is closed, a station has moved, the
team is sent to a complaint. The change is signed by the observer and logged like any submission
("moved from station A to B, because …"), so coverage is counted against the plan as it was carried
out and the departure from the random draw is on the record, not hidden.

Long-term observers (LTOs) arrive weeks before election day and each covers one region or more
(ODIHR Election Observation Handbook, 6th ed., 2010, ch. 5). A mission records the areas signed by
its key; it may draw them from a seed like the STO plan (`lto_draw`), and then anyone redraws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from achyk.observers.deployment import rank
from achyk.observers.model import ObserverError, text


@dataclass(frozen=True)
class Move:
    index: int
    mission: str
    observer: str
    team: str | None
    from_station: str
    to_station: str
    reason: str
    at: str


@dataclass(frozen=True)
class Areas:
    index: int
    mission: str
    seed: str | None
    areas: dict[str, tuple[str, ...]]  # LTO pseudonym → regions


def parse_move(index: int, entry: Mapping[str, Any], mission: str, observer: str,
               team: str | None) -> Move:  # fmt: skip
    """The fields of a `station-change` (its signature and stations are checked by the fold)."""
    origin, target = text(entry, "from", 64), text(entry, "to", 64)
    if origin == target:
        raise ObserverError("a change of station names two different stations")
    return Move(index, mission, observer, team, origin, target, text(entry, "reason", 500),
                text(entry, "at", 40))  # fmt: skip


def lto_draw(seed: str, ltos: Sequence[str], regions: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Regions to long-term observers, every region covered: both ordered by SHA-256 of the seed
    (as the STO draw orders stations); with at least as many LTOs as regions the i-th LTO takes the
    (i mod R)-th region, otherwise the j-th region goes to the (j mod L)-th LTO."""
    if not seed or len(seed) > 128:
        raise ObserverError("a draw needs a seed of 1 to 128 characters")
    people = sorted(ltos, key=lambda p: rank(seed, "lto", p))
    places = sorted(regions, key=lambda r: rank(seed, "region", r))
    if not people or not places:
        return {}
    if len(people) >= len(places):
        return {p: (places[i % len(places)],) for i, p in enumerate(people)}
    out: dict[str, list[str]] = {p: [] for p in people}
    for j, region in enumerate(places):
        out[people[j % len(people)]].append(region)
    return {p: tuple(r) for p, r in out.items()}


def parse_areas(index: int, entry: Mapping[str, Any], mission: str, ltos: Sequence[str],
                regions: Sequence[str]) -> Areas:  # fmt: skip
    """An `lto-areas` entry: every observer named is an LTO of the mission, every area a home
    region of the election; with a seed, the areas are that seed's draw over all its LTOs."""
    seed, given = entry.get("seed"), entry.get("areas")
    if seed is not None and not isinstance(seed, str):
        raise ObserverError("seed: text or null")
    if not isinstance(given, dict) or not given:
        raise ObserverError("areas: an object, LTO pseudonym → list of region ids")
    areas: dict[str, tuple[str, ...]] = {}
    for who, where in sorted(given.items()):
        if who not in ltos:
            raise ObserverError(f"{who!r} is not a long-term observer of {mission}")
        if not isinstance(where, list) or not where or not all(isinstance(r, str) for r in where):
            raise ObserverError(f"areas of {who}: a list of region ids")
        unknown = sorted(set(where) - set(regions))
        if unknown:
            raise ObserverError(f"areas of {who}: no region {', '.join(unknown)} at home")
        areas[who] = tuple(where)
    if seed is not None:
        drawn = lto_draw(seed, ltos, regions)
        if drawn != areas:
            raise ObserverError("the areas are not their seed's draw over the mission's LTOs")
    return Areas(index, mission, seed, areas)
