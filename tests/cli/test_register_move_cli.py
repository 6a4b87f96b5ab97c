"""`achyk register move` and `achyk register moves FILE` as an official runs them, on SQLite and
PostgreSQL: what is printed, what is refused, and that a refused file moves nobody."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import VoterEntry
from achyk.services.elections import load_election
from achyk.services.ledger import log_size
from achyk.services.register import import_register, register_stats
from achyk.store.database import Database
from factories import election

SECRET = b"cli-register-secret-0123456789"
EID = "test-2025"
runner = CliRunner()


def pin(i: int) -> str:
    return make_kg_pin(Sex.FEMALE, date(1985, 3, 1 + i % 28), i)


def cli_url(db: Database) -> str:
    """The URL the command line is given for the fixture's database (its own schema on PostgreSQL)."""
    url = db.engine.url
    if db.dialect == "postgresql":
        with db.engine.connect() as c:
            schema = c.scalar(text("select current_schema()"))
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def setup(db: Database, tmp_path: Path) -> tuple[Database, list[str]]:
    load_election(db, election())
    voters = [
        VoterEntry(pin(i), f"Voter {i}", date(1985, 3, 1 + i % 28), station)
        for i, station in enumerate(["1001", "1001", "1002"])
    ]
    import_register(db, EID, voters, SECRET)
    secret = tmp_path / "register.key"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    return db, ["--secret-file", str(secret), "--database", cli_url(db)]


def run(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 2, str(result.exception)  # an AchykError: `achyk` prints it and exits 2
    return result.exit_code, " ".join(result.output.split())


def test_move_one_voter_and_its_refusals(setup: tuple[Database, list[str]]) -> None:
    db, common = setup
    size = log_size(db, EID)
    move = ["register", "move", *common, "--today", "2025-11-20"]
    code, out = run([*move, pin(0), "--to", "9001"])
    assert code == 0, out
    assert out == f"moved from station 1001 to station 9001 (log entry {size})"
    refusals = [
        (pin(0), "9001", "the voter is already registered at station 9001"),
        (pin(50), "9001", "this personal number is not on the register"),
        (pin(1), "4242", "no station '4242' in election test-2025"),
        ("0000", "9001", "not a valid personal number"),
    ]
    for number, station, reason in refusals:
        code, out = run([*move, number, "--to", station])
        assert code == 1 and reason in out, (number, out)
    code, out = run(["register", "move", *common, "--today", "2025-11-30", pin(1), "--to", "2001"])
    assert code == 1 and "Form 2 is accepted until 2025-11-29; today is 2025-11-30" in out
    code, out = run([*move[:-1], "30.11.2025", pin(1), "--to", "2001"])
    assert code == 2 and "'30.11.2025' is not YYYY-MM-DD" in out
    assert register_stats(db, EID).moves == 1 and log_size(db, EID) == size + 1


def test_moves_from_a_file_all_or_nothing(
    setup: tuple[Database, list[str]], tmp_path: Path
) -> None:
    db, common = setup
    size = log_size(db, EID)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"personal_number,to_station\n{pin(0)},9001\n{pin(1)},1001\n{pin(2)},9999\n",
        encoding="utf-8",
    )
    moves = ["register", "moves", *common, "--today", "2025-11-20"]
    code, out = run([*moves, str(bad)])
    assert code == 2
    assert "line 3: the voter is already registered at station 1001" in out
    assert "line 4: no station '9999' in election test-2025" in out
    assert register_stats(db, EID).moves == 0 and log_size(db, EID) == size
    good = tmp_path / "good.csv"
    good.write_text(f"personal_number,to_station\n{pin(0)},9001\n{pin(2)},2001\n", "utf-8")
    code, out = run([*moves, str(good)])
    assert code == 0, out
    assert out == (
        f"line 2: moved from station 1001 to station 9001 (log entry {size}) "
        f"line 3: moved from station 1002 to station 2001 (log entry {size + 1}) "
        "2 voters moved"
    )
    assert register_stats(db, EID).moves == 2
    code, out = run([*moves, str(tmp_path / "missing.csv")])
    assert code == 2 and "does not exist" in out
