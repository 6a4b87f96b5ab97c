"""The register CSV: every bad row named with its line and reason; all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

from achyk.errors import CsvError
from achyk.formats.register_csv import parse_register_csv

STATIONS = {"1001": None, "1002": None, "9001": "RU"}
DAY = date(2025, 11, 30)
HEADER = "personal_number,name,birth_date,station,country\n"


def test_a_good_file_parses_in_any_column_order() -> None:
    text = (
        "\ufeffStation, NAME ,birth_date,personal_number,country\n"
        "1001,Aibek,1990-06-15,21506199000123,\n"
        "\n"
        "9001,Aigul,1987-10-08,871008401427,ru\n"
    )
    entries = parse_register_csv(text, STATIONS, DAY)
    assert [(e.personal_number, e.station_id, e.abroad_country) for e in entries] == [
        ("21506199000123", "1001", None),
        ("871008401427", "9001", "RU"),
    ]


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = HEADER + "\n".join(
        [
            "21506199000123,Aibek,1990-06-15,1001,",  # line 2: fine
            "871008401428,Aigul,1987-10-08,1001,",  # line 3: check digit
            "21506199000124,Bakyt,15.06.1990,1001,",  # line 4: date format
            "21506199000125,Chynara,1990-06-16,1001,",  # line 5: date differs from PIN
            "21506199000123,Dastan,1990-06-15,1002,",  # line 6: repeated number
            "20101201000001,Elnura,2010-01-01,1001,",  # line 7: under 18
            "21506199000126,Farida,1990-06-15,7777,",  # line 8: unknown station
            "21506199000127,Gulnara,1990-06-15,9001,",  # line 9: abroad station, no country
            "21506199000128,Ilim,1990-06-15",  # line 10: short row
        ]
    )
    with pytest.raises(CsvError) as err:
        parse_register_csv(text, STATIONS, DAY, source="reg.csv")
    by_line: dict[str, list[str]] = {}
    for p in err.value.problems:
        by_line.setdefault(p.where, []).append(p.what)
    assert sorted(by_line, key=lambda w: int(w.split()[1])) == [f"line {n}" for n in range(3, 11)]
    assert "check digit" in by_line["line 3"][0]
    assert "YYYY-MM-DD" in by_line["line 4"][0]
    assert "is not the one the personal number holds" in by_line["line 5"][0]
    assert by_line["line 6"] == ["personal number already on line 2"]
    assert "under 18" in by_line["line 7"][0]
    assert "no station '7777'" in by_line["line 8"][0]
    assert "abroad (RU)" in by_line["line 9"][0]
    assert str(err.value).startswith("reg.csv: 8 problem(s)")
    # Issue 18: no error carries a personal number, or a birth date, from the file or from a
    # number (line 5's real birth date, 1990-06-15, is what its PIN holds).
    shown = str(err.value)
    for row in text.splitlines()[1:]:
        number, _, born = row.split(",")[:3]
        assert number not in shown and born not in shown, row
    assert "1990" not in shown and "871008401428"[:6] not in shown


def test_header_problems_stop_before_rows() -> None:
    with pytest.raises(CsvError) as err:
        parse_register_csv("pin,name\n1,2\n", STATIONS, DAY)
    assert {p.what for p in err.value.problems} >= {
        "unknown column 'pin'",
        "missing column 'personal_number'",
        "missing column 'station'",
    }
    with pytest.raises(CsvError, match="empty"):
        parse_register_csv("", STATIONS, DAY)
