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

from collections.abc import Mapping
from datetime import date

from achyk.domain.register import VoterEntry, check_entry
from achyk.errors import CsvError, Problem
from achyk.formats.csv_table import csv_records

REQUIRED = ("personal_number", "name", "birth_date", "station")
OPTIONAL = ("country",)


def parse_register_csv(
    text: str,
    stations: Mapping[str, str | None],
    election_day: date,
    *,
    source: str = "register CSV",
) -> list[VoterEntry]:
    """Parse and check a register file against the election's stations (id → country or None)."""
    problems: list[Problem] = []
    entries: list[VoterEntry] = []
    seen: dict[str, int] = {}
    for line, where, cell in csv_records(text, source, REQUIRED, problems, OPTIONAL):
        try:
            born = date.fromisoformat(cell["birth_date"])
        except ValueError:
            # Without the value: a birth date, mistyped or not, is personal data.
            problems.append(Problem(where, "birth date is not YYYY-MM-DD"))
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
