"""The Form 2 file: ``personal_number,to_station``, one change of voting place per row.

The header is required; columns may come in any order and letter case. Rows are named by their line
number (the header is line 1, as a spreadsheet shows it), so that the service's checks — a valid
number, a known station, a voter on the register — name the line too. Shape problems are reported
here all at once in one :class:`achyk.errors.CsvError`.
"""

from __future__ import annotations

import csv
import io

from achyk.domain.form2 import MoveRequest
from achyk.errors import CsvError, Problem

COLUMNS = ("personal_number", "to_station")
MAX_PROBLEMS = 1000


def parse_moves_csv(text: str, *, source: str = "Form 2 CSV") -> list[MoveRequest]:
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise CsvError(source, [Problem("line 1", "the file is empty: a header is required")])
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = raw.strip().lower()
        if name in columns:
            problems.append(Problem("line 1", f"column '{name}' appears twice"))
        elif name not in COLUMNS:
            problems.append(Problem("line 1", f"unknown column '{raw.strip()}'"))
        else:
            columns[name] = i
    problems += [Problem("line 1", f"missing column '{c}'") for c in COLUMNS if c not in columns]
    if problems:
        raise CsvError(source, problems)
    width = max(columns.values()) + 1
    requests: list[MoveRequest] = []
    for row in reader:
        where = f"line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(where, "too many problems; stopped reading"))
            break
        if len(row) < width:
            problems.append(Problem(where, f"{len(row)} fields, expected {len(header)}"))
            continue
        number, station = (row[columns[c]].strip() for c in COLUMNS)
        if not number or not station:
            problems.append(Problem(where, "personal_number and to_station are both required"))
            continue
        requests.append(MoveRequest(number, station, where))
    if problems:
        raise CsvError(source, problems)
    if not requests:
        raise CsvError(source, [Problem("", "no moves in the file")])
    return requests
