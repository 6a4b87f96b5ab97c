"""Open data: the results at every level as JSON (the API's shape) and CSV (one row per ballot line).

JSON documents are exactly what `/api/elections/{id}/results` returns for the same level and unit, so
a figure downloaded from the site and one read from the API can be compared byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from achyk.api.app import unit_result
from achyk.domain.definition import Election
from achyk.domain.tabulation import Level, Tabulation

LEVELS: tuple[Level, ...] = (
    Level.NATIONAL,
    Level.REGION,
    Level.DISTRICT,
    Level.STATION,
    Level.ABROAD,
    Level.COUNTRY,
)

CSV_COLUMNS = (
    "level", "unit", "name", "parent", "contest", "stations_expected", "stations_reported",
    "reported_pct", "registered", "voters_on_list", "issued", "turnout_pct", "found", "invalid",
    "valid", "base", "base_total", "option", "option_name", "votes", "share_pct", "scanner", "hand",
)  # fmt: skip


def unit_results(
    election: Election, tab: Tabulation, level: Level, unit_id: str | None = None
) -> list[dict[str, Any]]:
    """Every contest's result at `level` (one unit or all), in the API's order and shape."""
    out = []
    for contest in election.contests:
        for r in sorted(tab.at_level(level, contest.id), key=lambda r: r.unit.id):
            if unit_id is None or r.unit.id == unit_id:
                out.append(unit_result(contest, r).model_dump())
    return out


def units_at(tab: Tabulation, level: Level) -> list[str]:
    return sorted({uid for (lv, uid, _) in tab.results if lv is level})


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        head = [row[c] if row[c] is not None else "" for c in CSV_COLUMNS[:17]]
        for o in row["options"]:
            writer.writerow(
                [*head, o["option"], o["name"], o["votes"], o["share_pct"], o["scanner"], o["hand"]]
            )
    return buffer.getvalue()
