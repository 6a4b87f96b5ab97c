"""The Form 2 file: ``personal_number,to_station``, one change of voting place per row.

The header is required; columns may come in any order and letter case. Rows are named by their line
number (the header is line 1, as a spreadsheet shows it), so that the service's checks — a valid
number, a known station, a voter on the register — name the line too. Shape problems are reported
here all at once in one :class:`achyk.errors.CsvError`.
"""

from __future__ import annotations

from achyk.domain.form2 import MoveRequest
from achyk.errors import CsvError, Problem
from achyk.formats.csv_table import csv_records

COLUMNS = ("personal_number", "to_station")


def parse_moves_csv(text: str, *, source: str = "Form 2 CSV") -> list[MoveRequest]:
    problems: list[Problem] = []
    requests: list[MoveRequest] = []
    for _, where, cell in csv_records(text, source, COLUMNS, problems):
        number, station = cell["personal_number"], cell["to_station"]
        if not number or not station:
            problems.append(Problem(where, "personal_number and to_station are both required"))
            continue
        requests.append(MoveRequest(number, station, where))
    if problems:
        raise CsvError(source, problems)
    if not requests:
        raise CsvError(source, [Problem("", "no moves in the file")])
    return requests
