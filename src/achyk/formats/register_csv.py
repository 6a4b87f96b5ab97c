"""The register file: ``personal_number,name,birth_date,station,country``.

One voter per row. ``personal_number`` is a Kyrgyz PIN (14 digits) or a Kazakh IIN (12 digits, check
digit verified); ``birth_date`` is ISO 8601 (YYYY-MM-DD) and must agree with the number; ``station``
is a station id of the election; ``country`` (ISO 3166-1 alpha-2) is empty for voters at home and
names the country of a voter registered abroad, which must be the country of their station.

The header is required; columns may come in any order and letter case. Every bad row is reported
with its line number (the header is line 1, as a spreadsheet shows it) and its reasons, all at once
in one :class:`achyk.errors.CsvError`: an import is all or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date

from achyk.domain.register import VoterEntry, check_entry
from achyk.errors import CsvError, Problem

REQUIRED = ("personal_number", "name", "birth_date", "station")
OPTIONAL = ("country",)
MAX_PROBLEMS = 1000  # beyond this, the rest would only bury the first ones


def _columns(row: list[str], problems: list[Problem]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, raw in enumerate(row):
        name = raw.strip().lower()
        if name in columns:
            problems.append(Problem("line 1", f"column '{name}' appears twice"))
        elif name not in REQUIRED + OPTIONAL:
            problems.append(Problem("line 1", f"unknown column '{raw.strip()}'"))
        else:
            columns[name] = i
    problems.extend(
        Problem("line 1", f"missing column '{name}'") for name in REQUIRED if name not in columns
    )
    return columns


def parse_register_csv(
    text: str,
    stations: Mapping[str, str | None],
    election_day: date,
    *,
    source: str = "register CSV",
) -> list[VoterEntry]:
    """Parse and check a register file against the election's stations (id → country or None)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise CsvError(source, [Problem("line 1", "the file is empty: a header is required")])
    columns = _columns(header, problems)
    if problems:
        raise CsvError(source, problems)
    entries: list[VoterEntry] = []
    seen: dict[str, int] = {}
    width = max(columns.values()) + 1
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {line}"
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(where, "too many problems; stopped reading"))
            break
        if len(row) < width:
            problems.append(Problem(where, f"{len(row)} fields, expected {len(header)}"))
            continue
        cell = {name: row[i].strip() for name, i in columns.items()}
        try:
            born = date.fromisoformat(cell["birth_date"])
        except ValueError:
            problems.append(Problem(where, f"birth date {cell['birth_date']!r} is not YYYY-MM-DD"))
            continue
        entry = VoterEntry(
            cell["personal_number"],
            cell["name"],
            born,
            cell["station"],
            cell.get("country", "").upper() or None,
        )
        found = check_entry(entry, stations, election_day)
        if entry.personal_number in seen:
            found.append(f"personal number already on line {seen[entry.personal_number]}")
        else:
            seen[entry.personal_number] = line
        if found:
            problems.extend(Problem(where, what) for what in found)
        else:
            entries.append(entry)
    if problems:
        raise CsvError(source, problems)
    return entries
