"""The vote table read by `achyk seats`: ``party,votes`` or ``party,region,votes``.

The header (the first non-blank row) is required; its columns may come in any order and in any letter case, with
spaces around names and values ignored. The file is UTF-8, with or without a byte-order mark.
Votes are whole non-negative numbers written with ASCII digits only (no signs, separators or
decimals), so that a pasted "1 234" or "12.5" is an error rather than a silent guess.

With a ``region`` column each row gives one party's votes in one region; the national totals
are the sums. A row with an *empty* region counts nationally only (votes from abroad, which in
Kyrgyzstan take no part in the regional threshold). A party may appear once per region.

Every problem is collected with its row number (the header is row 1, blank lines count, as a
spreadsheet shows them) and raised together as one :class:`achyk.errors.CsvError`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from achyk.errors import CsvError, Problem

REQUIRED = ("party", "votes")
OPTIONAL = ("region",)


@dataclass(frozen=True)
class VotesTable:
    """National votes per party and, when the file has regions, votes per region and party."""

    national: tuple[tuple[str, int], ...]  # parties in order of first appearance
    regions: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] | None = None

    def votes(self) -> dict[str, int]:
        return dict(self.national)

    def region_votes(self) -> dict[str, dict[str, int]] | None:
        if self.regions is None:
            return None
        return {region: dict(parties) for region, parties in self.regions}


def _header(number: int, row: list[str], problems: list[Problem]) -> dict[str, int]:
    where = f"row {number}"
    columns: dict[str, int] = {}
    for index, raw in enumerate(row):
        name = raw.strip().lower()
        if name in columns:
            problems.append(Problem(where, f"column '{name}' appears twice"))
        elif name not in REQUIRED + OPTIONAL:
            expected = ", ".join(REQUIRED + OPTIONAL)
            problems.append(Problem(where, f"unknown column '{raw.strip()}' (expected {expected})"))
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            problems.append(Problem(where, f"missing column '{name}'"))
    return columns


def _votes(text: str, where: str, problems: list[Problem]) -> int | None:
    value = text.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    if value.startswith("-") and value[1:].isascii() and value[1:].isdigit():
        problems.append(Problem(where, f"votes '{value}' is negative"))
    elif not value:
        problems.append(Problem(where, "votes is empty"))
    else:
        problems.append(Problem(where, f"votes '{value}' is not a whole number"))
    return None


def parse_votes_csv(text: str, *, source: str = "votes CSV") -> VotesTable:
    """Parse the text of a vote table; ``source`` names the file in the error."""
    if text.startswith("\ufeff"):
        text = text[1:]
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as err:
        raise CsvError(
            source, [Problem(f"row {reader.line_num}", f"unreadable CSV: {err}")]
        ) from err
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise CsvError(
            source, [Problem("row 1", "missing header (party,votes or party,region,votes)")]
        )
    columns = _header(*rows[0], problems)
    if problems:
        raise CsvError(source, problems)
    has_regions = "region" in columns
    national: dict[str, int] = {}
    regions: dict[str, dict[str, int]] = {}
    first_seen: dict[tuple[str, str | None], int] = {}
    for number, row in rows[1:]:
        where = f"row {number}"
        if len(row) != len(columns):
            problems.append(Problem(where, f"expected {len(columns)} fields, found {len(row)}"))
            continue
        party = row[columns["party"]].strip()
        region = row[columns["region"]].strip() if has_regions else None
        votes = _votes(row[columns["votes"]], where, problems)
        if not party:
            problems.append(Problem(where, "party is empty"))
            continue
        key = (party, region)
        if key in first_seen:
            place = f" in region '{region}'" if region else ""
            problems.append(
                Problem(where, f"duplicate party '{party}'{place} (first on row {first_seen[key]})")
            )
            continue
        first_seen[key] = number
        if votes is None:
            continue
        national[party] = national.get(party, 0) + votes
        if region:
            regions.setdefault(region, {})[party] = votes
    if len(rows) == 1:
        problems.append(Problem(f"row {rows[0][0] + 1}", "no data rows after the header"))
    if problems:
        raise CsvError(source, problems)
    return VotesTable(
        national=tuple(national.items()),
        regions=(
            tuple((r, tuple(parties.items())) for r, parties in regions.items())
            if has_regions
            else None
        ),
    )


def read_votes_csv(path: Path) -> VotesTable:
    """Read and parse a vote table file."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CsvError(str(path), [Problem("file", err.strerror or str(err))]) from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        problem = Problem(f"byte {err.start}", "not UTF-8 text")
        raise CsvError(str(path), [problem]) from err
    return parse_votes_csv(text, source=str(path))
