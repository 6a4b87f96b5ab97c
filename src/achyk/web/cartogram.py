"""A tile cartogram of the regions: one equal square per region, placed roughly where it lies.

Equal tiles keep a small region with few voters as visible as a large one, which is the point of a
results map. Known countries get a hand-made layout (Kyrgyzstan's oblasts and cities, west to east,
north to south); any other geography falls back to a reading-order grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TILE = 96  # px, one square
GAP = 6

# (column, row) on a 5 × 3 grid, roughly following the map of Kyrgyzstan.
KNOWN_LAYOUTS: dict[str, tuple[int, int]] = {
    "talas": (0, 0), "chuy": (1, 0), "bishkek": (2, 0), "issyk-kul": (3, 0),
    "jalal-abad": (1, 1), "naryn": (2, 1),
    "batken": (0, 2), "osh": (1, 2), "osh-city": (2, 2),
    # the SMALL simulated profile
    "north": (0, 0), "capital": (1, 0), "south": (0, 1),
}  # fmt: skip
COLUMNS = 4


@dataclass(frozen=True)
class Placed:
    id: str
    x: int
    y: int


def layout(region_ids: Sequence[str], abroad_ids: Sequence[str] = ()) -> list[Placed]:
    """Pixel positions for each region tile; stations abroad get a tile in the last column."""
    known = all(r in KNOWN_LAYOUTS for r in region_ids)
    cells: dict[str, tuple[int, int]] = {}
    for i, rid in enumerate(region_ids):
        cells[rid] = KNOWN_LAYOUTS[rid] if known else (i % COLUMNS, i // COLUMNS)
    last_col = max((c for c, _ in cells.values()), default=-1) + 1
    for j, aid in enumerate(abroad_ids):
        cells[aid] = (last_col, j)
    return [Placed(rid, c * (TILE + GAP), r * (TILE + GAP)) for rid, (c, r) in cells.items()]


def size(placed: Sequence[Placed]) -> tuple[int, int]:
    width = max((p.x for p in placed), default=0) + TILE
    height = max((p.y for p in placed), default=0) + TILE
    return width, height
