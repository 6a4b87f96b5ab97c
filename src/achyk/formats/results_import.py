"""A CEC's published station-level results, read through a mapping onto achyk's protocol lines.

The mapping (YAML) names the election, the one contest the file holds, the column of each protocol
line, of each party and of the hierarchy (region, district), the file's delimiter and encoding.
Column names are matched exactly after trimming, so Russian-style headers ("Число избирателей,
включенных в список") and Kyrgyz or Kazakh ones are written as they appear. A line the export does
not have may be given as a whole number instead of a column (e.g. `issued_outside: 0`).

Every data row becomes a protocol document, or — when a cell is not a whole number, or the station
is missing or repeats — a refusal with its reasons, kept as evidence. Control relations are NOT
checked here: a published protocol that breaks them is still what the CEC published, so the
service keeps it and flags it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from achyk.domain.definition import ContestKind, ElectionType, Method
from achyk.domain.protocol import AGAINST_ALL, LINES
from achyk.errors import InputError, Problem

LINE_KEYS = tuple(key for key, _ in LINES)
SPACES = str.maketrans("", "", " \u00a0\u202f\t")  # thousands separators some exports use


@dataclass(frozen=True)
class PartyColumn:
    id: str
    name: str
    column: str


@dataclass(frozen=True)
class ResultsMapping:
    election_id: str
    election_name: str
    date: str
    type: ElectionType
    contest_id: str
    contest_name: str
    kind: ContestKind
    seats: int
    method: Method
    threshold_pct: Decimal
    station: str  # column of the station number
    region: str | None  # column; None: one region
    district: str | None  # column; None: the region is the district
    abroad_regions: tuple[str, ...]  # region names whose stations are abroad
    lines: tuple[tuple[str, str | int], ...]  # protocol line → column name or constant
    parties: tuple[PartyColumn, ...]
    against_all: str | None
    delimiter: str
    encoding: str


@dataclass(frozen=True)
class ImportedRow:
    line: int  # line number in the file (header = 1)
    station: str
    region: str
    district: str
    document: dict[str, Any]  # the protocol document (docs/record-format.md, "A protocol")


@dataclass(frozen=True)
class RefusedRow:
    line: int
    station: str | None
    raw: bytes  # the row as it stood in the file (UTF-8): the evidence
    reasons: tuple[str, ...]


def parse_mapping(text: str, source: str = "mapping") -> ResultsMapping:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputError(source, [Problem("yaml", str(err))]) from err
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise InputError(source, [Problem("", "the mapping must be a YAML object")])

    def section(key: str) -> dict[str, Any]:
        value = doc.get(key)
        if not isinstance(value, dict):
            problems.append(Problem(key, "required (an object)"))
            return {}
        return value

    def text_at(obj: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = obj.get(key, default)
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
            problems.append(Problem(f"{where}.{key}", "required (a string)"))
            return ""
        return str(value)

    election, contest, columns = section("election"), section("contest"), section("columns")
    lines_doc = section("lines")
    lines: list[tuple[str, str | int]] = []
    for key in LINE_KEYS:
        value = lines_doc.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            problems.append(Problem(f"lines.{key}", "required (a column name or a whole number)"))
            continue
        lines.append((key, value))
    problems += [Problem(f"lines.{k}", "not a protocol line") for k in lines_doc
                 if k not in LINE_KEYS]  # fmt: skip
    parties: list[PartyColumn] = []
    raw_parties = doc.get("parties")
    if not isinstance(raw_parties, list) or not raw_parties:
        problems.append(Problem("parties", "required (a list of {id, name, column})"))
        raw_parties = []
    for i, party in enumerate(raw_parties):
        if not isinstance(party, dict):
            problems.append(Problem(f"parties[{i}]", "must be an object"))
            continue
        pid = text_at(party, "id", f"parties[{i}]")
        parties.append(PartyColumn(pid, text_at(party, "name", f"parties[{i}]"),
                                   text_at(party, "column", f"parties[{i}]")))  # fmt: skip
    ids = [p.id for p in parties]
    problems += [Problem("parties", f"id {i!r} appears twice") for i in set(ids)
                 if ids.count(i) > 1]  # fmt: skip

    def enum_at(obj: dict[str, Any], key: str, kind: Any, default: str, where: str) -> Any:
        value = str(obj.get(key, default))
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            problems.append(Problem(f"{where}.{key}", f"{value!r} is not one of {choices}"))
            return kind(default)

    seats = contest.get("seats", 0)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
        problems.append(Problem("contest.seats", "a whole number ≥ 0"))
        seats = 0
    try:
        threshold = Decimal(str(contest.get("threshold_pct", 0)))
    except InvalidOperation:
        problems.append(Problem("contest.threshold_pct", "a percentage"))
        threshold = Decimal(0)
    abroad = doc.get("abroad_regions", [])
    if not isinstance(abroad, list):
        problems.append(Problem("abroad_regions", "a list of region names"))
        abroad = []
    mapping = ResultsMapping(
        election_id=text_at(election, "id", "election"),
        election_name=text_at(election, "name", "election"),
        date=text_at(election, "date", "election"),
        type=enum_at(election, "type", ElectionType, "parliamentary", "election"),
        contest_id=text_at(contest, "id", "contest", "list"),
        contest_name=text_at(contest, "name", "contest", "Party list"),
        kind=enum_at(contest, "kind", ContestKind, "party-list", "contest"),
        seats=seats,
        method=enum_at(contest, "method", Method, "hare", "contest"),
        threshold_pct=threshold,
        station=text_at(columns, "station", "columns"),
        region=str(columns["region"]) if columns.get("region") else None,
        district=str(columns["district"]) if columns.get("district") else None,
        abroad_regions=tuple(str(a) for a in abroad),
        lines=tuple(lines),
        parties=tuple(parties),
        against_all=str(columns["against_all"]) if columns.get("against_all") else None,
        delimiter=str(doc.get("delimiter", ",")),
        encoding=str(doc.get("encoding", "utf-8")),
    )
    if len(mapping.delimiter) != 1:
        problems.append(Problem("delimiter", "one character"))
    if problems:
        raise InputError(source, problems)
    return mapping


def decode(data: bytes, mapping: ResultsMapping, source: str) -> str:
    try:
        text = data.decode(mapping.encoding)
    except (LookupError, UnicodeDecodeError) as err:
        raise InputError(source, [Problem("encoding", f"{mapping.encoding}: {err}")]) from err
    return text.removeprefix("\ufeff")


def _number(cells: list[str], at: int, name: str, reasons: list[str]) -> int:
    cell = cells[at].translate(SPACES)
    if not cell.isdigit():
        reasons.append(f"{name}: {cells[at]!r} is not a whole number ≥ 0")
        return 0
    return int(cell)


def read_results(
    text: str, mapping: ResultsMapping, source: str
) -> tuple[list[ImportedRow], list[RefusedRow]]:
    """Every data row as a protocol document or a refusal; a header that lacks a mapped column is
    refused at once, naming every missing column."""
    raw_lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    header = [h.strip() for h in next(reader, [])]
    index = {name: i for i, name in enumerate(header)}
    wanted = [mapping.station, *(c for _, c in mapping.lines if isinstance(c, str)),
              *(p.column for p in mapping.parties)]  # fmt: skip
    wanted += [c for c in (mapping.region, mapping.district, mapping.against_all) if c]
    missing = [Problem("line 1", f"no column {c!r}") for c in dict.fromkeys(wanted)
               if c not in index]  # fmt: skip
    if missing:
        raise InputError(source, missing)
    width = max(index[c] for c in wanted) + 1
    rows: list[ImportedRow] = []
    refused: list[RefusedRow] = []
    seen: set[str] = set()
    votes_keys = [(p.id, index[p.column]) for p in mapping.parties]
    if mapping.against_all:
        votes_keys.append((AGAINST_ALL, index[mapping.against_all]))
    line_cols = [(key, index[c] if isinstance(c, str) else None, c) for key, c in mapping.lines]
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        raw = (raw_lines[line - 1] if line - 1 < len(raw_lines) else "").encode()
        if len(cells) < width:
            refused.append(RefusedRow(line, None, raw, (f"{len(cells)} fields, expected "
                                                        f"{len(header)}",)))  # fmt: skip
            continue
        station = cells[index[mapping.station]].strip()
        reasons: list[str] = []

        doc: dict[str, Any] = {"election": mapping.election_id, "station": station,
                               "contest": mapping.contest_id, "kind": "official"}  # fmt: skip
        for key, at, constant in line_cols:
            doc[key] = _number(cells, at, key, reasons) if at is not None else int(constant)
        doc["votes"] = {option: _number(cells, at, option, reasons) for option, at in votes_keys}
        if not station:
            reasons.append("no station number")
        elif station in seen:
            reasons.append(f"station {station} appears twice; the first row is kept")
        if reasons:
            refused.append(RefusedRow(line, station or None, raw, tuple(reasons)))
            continue
        seen.add(station)
        region = cells[index[mapping.region]].strip() if mapping.region else "—"
        district = cells[index[mapping.district]].strip() if mapping.district else region
        rows.append(ImportedRow(line, station, region, district, doc))
    return rows, refused
