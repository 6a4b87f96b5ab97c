"""A mission's coverage on the region cartogram (`achyk.web.cartogram`): each region's tile shaded
by the share of its assigned stations the mission visited (of all its stations for a mission
without a plan), with "visited / assigned" written on it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from achyk.domain.definition import Election
from achyk.observers.deployment import ABROAD
from achyk.observers.findings import RegionCoverage
from achyk.web.cartogram import TILE, layout, size
from achyk.web.pages import _ink, _mix

COVERAGE_HUE = "#1f6f50"  # one green scale: darker where more of the assigned stations were seen


@dataclass(frozen=True)
class CoverageTile:
    id: str
    name: str
    x: int
    y: int
    fill: str
    ink: str
    visited: int
    assigned: int
    stations: int


@dataclass(frozen=True)
class CoverageMap:
    tiles: tuple[CoverageTile, ...]
    width: int
    height: int
    tile: int = TILE


def coverage_map(election: Election, rows: list[RegionCoverage]) -> CoverageMap:
    names = {r.id: r.name for r in election.regions}
    by_id = {r.region: r for r in rows}
    home = [r.id for r in election.regions if r.id in by_id and r.id != ABROAD]
    placed = layout(home, [ABROAD] if ABROAD in by_id else [])
    tiles = []
    for p in placed:
        row = by_id[p.id]
        strength = Decimal(str(round(row.share, 3)))
        tiles.append(CoverageTile(p.id, names.get(p.id, p.id), p.x, p.y,
                                  _mix(COVERAGE_HUE, strength), _ink(strength), row.visited,
                                  row.assigned, row.stations))  # fmt: skip
    width, height = size(placed)
    return CoverageMap(tuple(tiles), width, height)
