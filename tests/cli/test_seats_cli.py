"""`achyk seats`: the vote-table parser and the command, end to end through Typer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from achyk.cli.seats import seats
from achyk.errors import CsvError
from achyk.formats.votes_csv import parse_votes_csv, read_votes_csv

# Kazakhstan, Mäjilis 2023 (CEC final results, 27 Mar 2023, via Kazinform and The Astana Times;
# see tests/domain/test_seats.py): 6,366,441 took part, 69 list seats, 5% threshold.
KZ_CSV = """party,votes
Amanat,3431510
Auyl,693938
Respublica,547154
Ak Zhol,535139
People's Party,432920
JSDP,331058
Baytaq,146431
"""
KZ_SEATS = {
    "Amanat": 40,
    "Auyl": 8,
    "Respublica": 6,
    "Ak Zhol": 6,
    "People's Party": 5,
    "JSDP": 4,
    "Baytaq": 0,
}

app = typer.Typer()
app.command()(seats)
runner = CliRunner()


def _write(tmp_path: Path, text: str, name: str = "votes.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


# --- the parser --------------------------------------------------------------------------------
def test_national_table() -> None:
    table = parse_votes_csv(KZ_CSV)
    assert table.votes()["Amanat"] == 3_431_510
    assert table.votes()["Baytaq"] == 146_431
    assert list(table.votes()) == list(KZ_SEATS)
    assert table.region_votes() is None


def test_columns_in_any_order_with_spaces_case_and_bom(tmp_path: Path) -> None:
    text = " Votes , REGION , party \n 10 , North , A \n\n 7, South ,A\n3,North, B \n"
    table = read_votes_csv(_write(tmp_path, text, bom=True))
    assert table.votes() == {"A": 17, "B": 3}
    assert table.region_votes() == {"North": {"A": 10, "B": 3}, "South": {"A": 7}}


def test_empty_region_counts_nationally_only() -> None:
    table = parse_votes_csv("party,region,votes\nA,North,10\nA,,4\n")
    assert table.votes() == {"A": 14}
    assert table.region_votes() == {"North": {"A": 10}}


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("party,votes\nA,10\nB,10\nC,abc\n", "row 4", "votes 'abc' is not a whole number"),
        ("party,votes\nA,-3\n", "row 2", "votes '-3' is negative"),
        ("party,votes\nA,1.5\n", "row 2", "votes '1.5' is not a whole number"),
        ("party,votes\nA,1 000\n", "row 2", "votes '1 000' is not a whole number"),
        ("party,votes\nA,\n", "row 2", "votes is empty"),
        ("party,votes\nA,1\nA,2\n", "row 3", "duplicate party 'A' (first on row 2)"),
        (
            "party,region,votes\nA,Osh,1\nB,Osh,1\nA,Osh,2\n",
            "row 4",
            "duplicate party 'A' in region 'Osh' (first on row 2)",
        ),
        ("party,count\nA,1\n", "row 1", "missing column 'votes'"),
        ("party,votes,colour\nA,1,red\n", "row 1", "unknown column 'colour'"),
        ("party,votes\nA,1,2\n", "row 2", "expected 2 fields, found 3"),
        ("party,votes\n,5\n", "row 2", "party is empty"),
        ("party,votes\n", "row 2", "no data rows after the header"),
        ("", "row 1", "missing header"),
    ],
)
def test_bad_csv_names_the_row(text: str, where: str, what: str) -> None:
    with pytest.raises(CsvError) as err:
        parse_votes_csv(text)
    assert any(p.where == where and what in p.what for p in err.value.problems), err.value


def test_every_bad_row_is_reported_at_once() -> None:
    with pytest.raises(CsvError) as err:
        parse_votes_csv("party,votes\nA,x\nB,1\nC,-1\n")
    assert [p.where for p in err.value.problems] == ["row 2", "row 4"]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("party,votes\nÖ,1\n".encode("latin-1"))
    with pytest.raises(CsvError, match="not UTF-8"):
        read_votes_csv(path)


# --- the command -------------------------------------------------------------------------------
def test_json_output_reproduces_kazakhstan_2023(tmp_path: Path) -> None:
    path = _write(tmp_path, KZ_CSV)
    result = runner.invoke(
        app, [str(path), "--seats", "69", "--threshold", "5", "--base", "6366441", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["seats"] == KZ_SEATS
    assert document["excluded"] == {"Baytaq": "2.30% < 5% national threshold"}
    assert document["rules"]["base"] == 6_366_441
    assert document["rules"]["method"] == "hare"


def test_table_output(tmp_path: Path) -> None:
    path = _write(tmp_path, KZ_CSV)
    result = runner.invoke(app, [str(path), "--seats", "69", "--threshold", "5%"])
    assert result.exit_code == 0, result.output
    assert "Amanat" in result.stdout
    # Without --base the % base is the 6,118,150 votes in the table: 3,431,510 / 6,118,150 =
    # 56.0874…%, truncated as every share achyk shows: 56.08% (not the CEC's 53.90% of all who
    # took part).
    assert "56.08%" in result.stdout
    assert "Baytaq" in result.stdout


def test_method_and_cap_options(tmp_path: Path) -> None:
    # Wikipedia "Sainte-Laguë method" example: 8 seats → 3, 3, 1, 1; with a cap of 2 the two
    # surplus seats go, by Sainte-Laguë again, to C and D: 2, 2, 2, 2.
    path = _write(tmp_path, "party,votes\nA,100000\nB,80000\nC,30000\nD,20000\n")
    args = [str(path), "--seats", "8", "--method", "sainte-lague", "--json"]
    plain = json.loads(runner.invoke(app, args).stdout)
    assert plain["seats"] == {"A": 3, "B": 3, "C": 1, "D": 1}
    capped = json.loads(runner.invoke(app, [*args, "--cap", "2"]).stdout)
    assert capped["seats"] == {"A": 2, "B": 2, "C": 2, "D": 2}
    assert capped["capped"] == ["A", "B"]


def test_region_threshold_option(tmp_path: Path) -> None:
    text = "party,region,votes\nA,North,500\nA,South,500\nB,North,400\nB,South,2\nC,North,98\n"
    path = _write(tmp_path, text)
    result = runner.invoke(app, [str(path), "--seats", "10", "--region-threshold", "0.5", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["seats"] == {"A": 10, "B": 0, "C": 0}
    assert document["excluded"]["B"] == "0.39% < 0.5% threshold in region South"
    assert "region South" in document["excluded"]["C"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seats", "0"], "at least 1 is needed"),
        (["--seats", "5", "--method", "droop"], "use one of hare, dhondt, sainte-lague"),
        (["--seats", "5", "--threshold", "five"], "'five' is not a percentage"),
        (["--seats", "5", "--region-threshold", "1"], "needs votes by region"),
        (["--seats", "5", "--base", "10"], "base 10 is less than"),
        (["--seats", "9", "--cap", "2"], "cannot be filled"),
    ],
)
def test_errors_go_to_stderr_with_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    path = _write(tmp_path, "party,votes\nA,60\nB,30\nC,10\n")
    result = runner.invoke(app, [str(path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_csv_exits_2_naming_the_row(tmp_path: Path) -> None:
    path = _write(tmp_path, "party,votes\nA,10\nB,10\nC,abc\n")
    result = runner.invoke(app, [str(path), "--seats", "3"])
    assert result.exit_code == 2
    assert "row 4: votes 'abc' is not a whole number" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, [str(tmp_path / "nope.csv"), "--seats", "3"])
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr
