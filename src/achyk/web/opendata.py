"""Open data: the results at every level as JSON (the API's shape) and CSV (one row per ballot line).

JSON documents are exactly what `/api/elections/{id}/results` returns for the same level and unit, so
a figure downloaded from the site and one read from the API can be compared byte for byte.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from typing import Any

from achyk.api.app import unit_result
from achyk.domain.definition import Contest, Election
from achyk.domain.protocol import AGAINST_ALL
from achyk.domain.tabulation import Level, Tabulation
from achyk.jsontext import dumps_indented

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
    "stations_annulled", "reported_pct", "registered", "voters_on_list", "issued", "turnout_pct", "found", "invalid",
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
    return dumps_indented(rows) + "\n"  # json.dumps(rows, ensure_ascii=False, indent=1)


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        head = [row[c] if row[c] is not None else "" for c in CSV_COLUMNS[:18]]
        for o in row["options"]:
            writer.writerow(
                [*head, o["option"], o["name"], o["votes"], o["share_pct"], o["scanner"], o["hand"]]
            )
    return buffer.getvalue()


# Above this many stations the long per-line station files (one row per station and ballot line,
# and a file per station) are left to the live site: at 100,000 stations they were 200 MB.
LONG_STATION_FILES_UP_TO = 5_000


def wide_path(contest: Contest) -> str:
    """One row per station: `data/stations/<contest>.csv.gz`."""
    return f"stations/{contest.id}.csv.gz"


def wide_header(contest: Contest) -> list[str]:
    order = [*contest.option_ids(), *([AGAINST_ALL] if contest.against_all else [])]
    return [
        "station", "name", "district", "region", "country", "registered", "reported", "counted_from",
        "voters_on_list", "issued", "found", "invalid", "valid",
        *order, *(f"scanner:{o}" for o in order), *(f"hand:{o}" for o in order),
    ]  # fmt: skip


# Districts whose stations are read (one query per 500 stations) and held together by wide_rows:
# a query and a release of the held stations per district cost more than their ~70 rows.
WIDE_DISTRICTS_PER_READ = 32


def wide_rows(election: Election, tab: Tabulation, contest: Contest) -> Iterator[list[object]]:
    """Each station of the contest: counted lines, then counted, scanner and hand votes per option."""
    order = [*contest.option_ids(), *([AGAINST_ALL] if contest.against_all else [])]
    districts = [
        (region, district)
        for region in election.regions
        for district in region.districts
        if contest.covers(district.id)
    ]
    for at in range(0, len(districts), WIDE_DISTRICTS_PER_READ):
        group = districts[at : at + WIDE_DISTRICTS_PER_READ]
        tab.release_stations()  # a few districts' stations at a time in memory
        tab.preload([st.id for _, district in group for st in district.stations])
        for region, district in group:
            for st in district.stations:
                r = tab.get(Level.STATION, st.id, contest.id)
                if r is None:
                    continue
                c = r.counted
                source = ("official" if r.hand.stations else "preliminary") if c.stations else ""
                # each count's votes as a dict once (Count.votes_for builds one per option)
                counted, scanner, hand = dict(c.votes), dict(r.scanner.votes), dict(r.hand.votes)
                yield [
                    st.id, st.name, district.id, region.id, st.country or "", st.registered_voters,
                    c.stations, source, c.voters_on_list, c.issued, c.found, c.invalid, c.valid,
                    *(counted.get(o, 0) for o in order), *(scanner.get(o, 0) for o in order),
                    *(hand.get(o, 0) for o in order),
                ]  # fmt: skip


def wide_csv_gz(election: Election, tab: Tabulation, contest: Contest) -> bytes:
    """The wide station table, gzip-compressed (mtime 0: the same figures give the same bytes)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(wide_header(contest))
        writer.writerows(wide_rows(election, tab, contest))
        text.flush()
        text.detach()
    return buffer.getvalue()
