"""Chart geometry for server-rendered SVG: the turnout curve through election day.

Charts are drawn on the server so they appear without JavaScript, in a published copy and on a
slow phone; this module turns figures into coordinates, and the template only places them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # "HH:00"
    pct: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Curve:
    width: int
    height: int
    points: tuple[Point, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def turnout_curve(hours: list[tuple[str, str]]) -> Curve | None:
    """(HH:00, cumulative turnout %) through the day → a line chart scaled to the next 10 %."""
    if not hours:
        return None
    top = max(Decimal(p) for _, p in hours)
    ceiling = max(Decimal(10), ((top // 10) + 1) * 10)
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - TOP - BOTTOM
    first = int(hours[0][0][:2])
    last = max(int(hours[-1][0][:2]), first + 1)

    def x(hour: int) -> float:
        return LEFT + span_x * (hour - first) / (last - first)

    def y(pct: Decimal) -> float:
        return TOP + span_y * float(1 - pct / ceiling)

    points = tuple(Point(x(int(h[:2])), y(Decimal(p)), h, p) for h, p in hours)
    step = 10 if ceiling <= 50 else 20
    y_ticks = tuple(Tick(y(Decimal(v)), f"{v}%") for v in range(0, int(ceiling) + 1, step))
    every = 2 if last - first > 8 else 1
    x_ticks = tuple(Tick(x(h), f"{h:02d}:00") for h in range(first, last + 1, every))
    return Curve(WIDTH, HEIGHT, points, y_ticks, x_ticks)
