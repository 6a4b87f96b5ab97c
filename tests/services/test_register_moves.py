"""Form 2 moves, one or many, on SQLite and PostgreSQL: all or nothing, logged, never quoting a voter."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from achyk.domain.form2 import MoveRequest
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import MatchResult, Refusal, VoterEntry, voter_hash
from achyk.errors import CsvError
from achyk.formats.moves_csv import parse_moves_csv
from achyk.services.checkin import check_in
from achyk.services.elections import load_election
from achyk.services.ledger import entry, log_size
from achyk.services.register import import_register, register_stats
from achyk.services.register_moves import MovesRefused, move_voter, move_voters
from achyk.store.database import Database
from factories import election

SECRET = b"test-register-secret-0123456789"
EID = "test-2025"
BEFORE = date(2025, 11, 1)  # the test election is on 2025-11-30


def pin(i: int) -> str:
    return make_kg_pin(Sex.MALE, date(1980, 1, 1 + i % 28), i)


@pytest.fixture
def loaded(db: Database) -> Database:
    load_election(db, election())
    voters = [
        VoterEntry(pin(i), f"Voter {i}", date(1980, 1, 1 + i % 28), station)
        for i, station in enumerate(["1001", "1001", "1002", "2001"])
    ]
    import_register(db, EID, voters, SECRET)
    return db


def test_a_move_is_logged_with_the_hash_only_and_check_in_follows_it(loaded: Database) -> None:
    size = log_size(loaded, EID)
    record = move_voter(loaded, EID, pin(0), "9001", SECRET, today=BEFORE)
    assert (record.from_station, record.to_station, record.log_index) == ("1001", "9001", size)
    logged = json.loads(entry(loaded, EID, record.log_index) or "{}")
    assert logged == {"kind": "register-move", "election": EID,
                      "voter": voter_hash(SECRET, pin(0)).hex(), "from": "1001", "to": "9001"}  # fmt: skip
    ok = MatchResult(True, 0.9)
    assert check_in(loaded, EID, "1001", "1001-a", pin(0), ok, SECRET).reason is (
        Refusal.OTHER_STATION
    )
    assert check_in(loaded, EID, "9001", "9001-a", pin(0), ok, SECRET).accepted
    assert register_stats(loaded, EID).moves == 1


def test_refusals_name_the_reason(loaded: Database) -> None:
    cases = [
        ("1001", pin(0), "already registered at station 1001", True),
        ("9001", pin(99), "not on the register", True),
        ("7777", pin(0), "no station '7777' in election test-2025", False),
        ("9001", "12345", "not a valid personal number", False),
    ]
    for station, number, reason, conflict in cases:
        with pytest.raises(MovesRefused, match=reason) as refused:
            move_voter(loaded, EID, number, station, SECRET, today=BEFORE)
        assert refused.value.conflict is conflict
        assert number not in refused.value.reasons
    assert register_stats(loaded, EID).moves == 0


def test_form2_closes_on_the_eve_of_election_day(loaded: Database) -> None:
    move_voter(loaded, EID, pin(0), "9001", SECRET, today=date(2025, 11, 29))
    for day in (date(2025, 11, 30), date(2025, 12, 1)):
        with pytest.raises(MovesRefused, match="accepted until 2025-11-29") as refused:
            move_voter(loaded, EID, pin(1), "9001", SECRET, today=day)
        assert refused.value.conflict


def test_a_batch_is_all_or_nothing_with_every_line_named(loaded: Database) -> None:
    text = (
        "Personal_Number,to_station\n"
        f"{pin(0)},9001\n"
        f"{pin(1)},1001\n"  # already there
        f"{pin(99)},2001\n"  # not on the register
        f"{pin(2)},0000\n"  # no such station
        f"{pin(0)},2001\n"  # the same voter twice
        "\n"
        f"{pin(3)},1002\n"
    )
    requests = parse_moves_csv(text)
    assert [r.where for r in requests] == [f"line {n}" for n in (2, 3, 4, 5, 6, 8)]
    size = log_size(loaded, EID)
    with pytest.raises(MovesRefused) as refused:
        move_voters(loaded, EID, requests, SECRET, today=BEFORE, subject="moves.csv")
    assert [str(p) for p in refused.value.problems] == [
        "line 3: the voter is already registered at station 1001",
        "line 4: this personal number is not on the register",
        "line 5: no station '0000' in election test-2025",
        "line 6: the same voter is moved again (first at line 2)",
    ]
    assert not refused.value.conflict
    assert log_size(loaded, EID) == size and register_stats(loaded, EID).moves == 0
    good = [requests[0], requests[-1]]
    records = move_voters(loaded, EID, good, SECRET, today=BEFORE)
    assert [(r.from_station, r.to_station, r.log_index) for r in records] == [
        ("1001", "9001", size),
        ("2001", "1002", size + 1),
    ]
    assert register_stats(loaded, EID).moves == 2


def test_the_moves_file_names_shape_problems() -> None:
    with pytest.raises(CsvError, match="missing column 'to_station'"):
        parse_moves_csv("personal_number,station\n1,2\n")
    with pytest.raises(CsvError, match="line 3: 1 fields, expected 2"):
        parse_moves_csv("personal_number,to_station\n1,2\n3\n")
    with pytest.raises(CsvError, match="no moves in the file"):
        parse_moves_csv("personal_number,to_station\n\n")
    assert parse_moves_csv("to_station,personal_number\n9001, 123 \n") == [
        MoveRequest("123", "9001", "line 2")
    ]


def test_a_refused_form2_is_kept_as_evidence_without_personal_numbers(loaded: Database) -> None:
    requests = [
        MoveRequest(pin(0), "9001", "line 2"),
        MoveRequest("12345", "9001", "line 3"),  # not a personal number
        MoveRequest(pin(1), "7777", "line 4"),  # no such station
    ]
    with pytest.raises(MovesRefused):
        move_voters(loaded, EID, requests, SECRET, today=BEFORE, subject="moves.csv")
    with pytest.raises(MovesRefused):
        move_voter(loaded, EID, pin(2), "2001", SECRET, today=date(2025, 11, 30))
    with loaded.read() as s:
        rows = s.execute(
            text("SELECT subject, requests, reasons FROM voter_move_refusals ORDER BY id")
        ).all()
    assert [r[0] for r in rows] == ["moves.csv", "Form 2"]
    asked, reasons = json.loads(rows[0][1]), json.loads(rows[0][2])
    assert asked == [
        {"where": "line 2", "voter": voter_hash(SECRET, pin(0)).hex(), "to": "9001"},
        {"where": "line 3", "voter": None, "to": "9001"},
        {"where": "line 4", "voter": voter_hash(SECRET, pin(1)).hex(), "to": "7777"},
    ]
    assert [r["where"] for r in reasons] == ["line 3", "line 4"]
    assert "until 2025-11-29" in json.loads(rows[1][2])[0]["problem"]
    kept = " ".join(" ".join(r) for r in rows)
    assert all(p not in kept for p in (pin(0), pin(1), pin(2), "12345"))
    # Nothing was moved; both refusals are counted.
    stats = register_stats(loaded, EID)
    assert (stats.moves, stats.moves_refused) == (0, 2)
