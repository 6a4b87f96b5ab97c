"""The shape every CSV file of the project shares: a required header, then one record per row.

Columns may come in any order and letter case. Rows are named by their line number (the header is
line 1, as a spreadsheet shows it); blank rows are skipped. A bad header is refused at once, with
every problem; rows too short to hold every column are added to the caller's problems, so that a
file's problems are all reported together, up to :data:`MAX_PROBLEMS`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from achyk.errors import CsvError, Problem

MAX_PROBLEMS = 1000  # beyond this, the rest would only bury the first ones


def csv_records(
    text: str,
    source: str,
    required: Sequence[str],
    problems: list[Problem],
    optional: Sequence[str] = (),
) -> Iterator[tuple[int, str, dict[str, str]]]:
    """(line number, "line N", stripped cell by column name) for every record of `text`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise CsvError(source, [Problem("line 1", "the file is empty: a header is required")])
    columns: dict[str, int] = {}
    bad: list[Problem] = []
    for i, raw in enumerate(header):
        name = raw.strip().lower()
        if name in columns:
            bad.append(Problem("line 1", f"column '{name}' appears twice"))
        elif name not in (*required, *optional):
            bad.append(Problem("line 1", f"unknown column '{raw.strip()}'"))
        else:
            columns[name] = i
    bad += [Problem("line 1", f"missing column '{c}'") for c in required if c not in columns]
    if bad:
        raise CsvError(source, bad)
    width = max(columns.values()) + 1
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {line}"
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(where, "too many problems; stopped reading"))
            return
        if len(row) < width:
            problems.append(Problem(where, f"{len(row)} fields, expected {len(header)}"))
            continue
        yield line, where, {name: row[i].strip() for name, i in columns.items()}
