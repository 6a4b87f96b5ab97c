"""The station table the forensics commands read: `station,voters,issued,received,leader`.

`received` is the ballots found (valid + invalid), `leader` the votes for the overall leader. An
optional `stratum` column (region, "abroad", "remote") gives each station its own comparison group.
Every bad row is named; nothing is silently skipped.
"""

from __future__ import annotations

from achyk.errors import CsvError, Problem
from achyk.forensics.stations import Stations
from achyk.formats.csv_table import csv_records

COLUMNS = ("station", "voters", "issued", "received", "leader")


def read_stations(text: str, source: str) -> Stations:
    problems: list[Problem] = []
    ids: list[str] = []
    numbers: dict[str, list[int]] = {c: [] for c in COLUMNS[1:]}
    strata: list[str] = []
    seen: set[str] = set()
    for _, where, row in csv_records(text, source, COLUMNS, problems, optional=("stratum",)):
        values = []
        for column in COLUMNS[1:]:
            cell = row[column]
            if not cell.isdigit():
                problems.append(Problem(where, f"{column} {cell!r} is not a whole number ≥ 0"))
                break
            values.append(int(cell))
        else:
            station = row["station"]
            if not station or station in seen:
                what = "empty" if not station else "appears twice"
                problems.append(Problem(where, f"station {station!r} {what}"))
                continue
            seen.add(station)
            received, leader = values[2], values[3]
            if leader > received:
                problems.append(Problem(where, f"leader {leader} > received {received}"))
                continue
            ids.append(station)
            for column, value in zip(COLUMNS[1:], values, strict=True):
                numbers[column].append(value)
            strata.append(row.get("stratum", ""))
    if problems:
        raise CsvError(source, problems)
    keep_strata = strata if any(strata) else []
    return Stations.of(ids, numbers["voters"], numbers["issued"], numbers["received"],
                       numbers["leader"], keep_strata)  # fmt: skip
