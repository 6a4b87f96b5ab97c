"""What a mission saw, from its entries on the log: coverage ("visited 94 stations in 13 of 17
regions"), the overall assessments (negative share), incidents by category, quality flags — from
published content only: a mission's unpublished forms are hashes, and stay unread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from achyk.observers.deployment import ABROAD
from achyk.observers.fold import Observers
from achyk.observers.forms import NEGATIVE


@dataclass(frozen=True)
class Coverage:
    mission: str
    kind: str
    name: str
    observers: int
    teams: int
    planned: int  # stations in its deployment plan
    visited: int  # distinct stations it submitted a form from
    visited_planned: int  # of those, stations its plan drew
    regions_visited: int  # home regions with a visited station
    regions: int  # home regions of the election
    abroad_visited: int
    submissions: int
    published: int
    assessments: int  # published forms with an overall assessment
    negative: int  # of which bad or very bad
    incidents: dict[str, int]
    flags: int  # published forms failing a quality check
    copies: int
    moves: tuple[str, ...] = ()  # changes of station on the day, one line each
    lto_areas: dict[str, list[str]] | None = None  # LTO → its regions, as last recorded

    def sentence(self) -> str:
        return (f"visited {self.visited} stations in {self.regions_visited} of {self.regions} "
                f"regions" + (f" and {self.abroad_visited} abroad" if self.abroad_visited else ""))  # fmt: skip


def coverage(state: Observers, strata: Mapping[str, list[str]]) -> list[Coverage]:
    stratum = {s: h for h, ids in strata.items() for s in ids}
    regions = sum(1 for h in strata if h != ABROAD)
    out = []
    for mission in state.missions.values():
        mine = [o for o in state.observations.values() if o.mission == mission.id]
        visited = {o.station for o in mine}
        planned = state.planned(mission.id)  # the plan with the day's recorded changes
        answers = [
            state.contents[o.index].get("answers", {}) for o in mine if o.index in state.contents
        ]
        assessed = [a["assessment"] for a in answers if "assessment" in a]
        incidents = Counter(str(a["category"]) for a in answers if "category" in a)
        out.append(Coverage(
            mission.id, mission.kind.value, mission.name,
            sum(1 for (m, _) in state.observers if m == mission.id),
            len(state.teams(mission.id)), len(planned), len(visited), len(visited & planned),
            len({stratum[s] for s in visited if stratum.get(s, ABROAD) != ABROAD}), regions,
            sum(1 for s in visited if stratum.get(s) == ABROAD), len(mine),
            sum(1 for o in mine if o.published is not None), len(assessed),
            sum(1 for a in assessed if a in NEGATIVE), dict(sorted(incidents.items())),
            sum(1 for o in mine if o.flags), sum(1 for c in state.copies if c.mission == mission.id),
            tuple(f"{m.team or m.observer}: {m.from_station} → {m.to_station} ({m.at[:16]}): "
                  f"{m.reason}" for m in state.moves if m.mission == mission.id),
            {k: list(v) for k, v in state.areas[mission.id].areas.items()}
            if mission.id in state.areas else None,
        ))  # fmt: skip
    return out


@dataclass(frozen=True)
class RegionCoverage:
    region: str  # a region id, or "abroad"
    stations: int
    assigned: int  # by the mission's plan
    visited: int

    @property
    def share(self) -> float:
        """Visited out of assigned (out of all stations for a mission without a plan)."""
        base = self.assigned or self.stations
        return self.visited / base if base else 0.0


def region_coverage(
    state: Observers, mission: str, strata: Mapping[str, list[str]]
) -> list[RegionCoverage]:
    visited = {o.station for o in state.observations.values() if o.mission == mission}
    planned = state.plans[mission][1].stations() if mission in state.plans else set()
    return [
        RegionCoverage(h, len(ids), len(planned.intersection(ids)), len(visited.intersection(ids)))
        for h, ids in sorted(strata.items())
    ]
