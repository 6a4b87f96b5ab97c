"""`achyk protocol submit --dry-run` and `achyk protocol check`: the judgement of a submission,
and not one row written — counted table by table before and after, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

import achyk.cli.protocol as protocol_cli
from achyk.cli.main import app
from achyk.services.elections import load_election
from achyk.services.ledger import log_size
from achyk.services.protocols import Outcome, examine_protocols, submit_protocols
from achyk.store.database import Database
from factories import election, envelope, protocol_doc

runner = CliRunner()


def _row_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as c:
        names = inspect(c).get_table_names()
        return {n: c.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


OTHER_VOTES = {"a": 301, "b": 199, "c": 80, "against-all": 10}


def _batch() -> list[tuple[str, bytes]]:
    """One of each outcome, judged against a store that already holds station 1001's protocol."""
    return [
        ("same.json", envelope(protocol_doc())),  # the very protocol accepted: a duplicate
        ("other.json", envelope(protocol_doc(votes=OTHER_VOTES))),  # the slot holds another
        ("bad.json", envelope(protocol_doc(station="1002", invalid=11))),  # breaks a relation
        ("forged.json", envelope(protocol_doc(station="1002"), device="1001-a")),  # wrong device
        ("new.json", envelope(protocol_doc(station="1002"))),  # accepted
        ("new-again.json", envelope(protocol_doc(station="1002"))),  # a duplicate in the batch
        ("junk.json", b"{not json"),
    ]


EXPECTED = [Outcome.DUPLICATE, Outcome.CONFLICT, Outcome.REJECTED, Outcome.REJECTED,
            Outcome.ACCEPTED, Outcome.DUPLICATE, Outcome.REJECTED]  # fmt: skip


def test_a_dry_run_judges_as_a_submission_would_and_writes_nothing(db: Database) -> None:
    e = election()
    load_election(db, e)
    [first] = submit_protocols(db, e.id, [("first.json", envelope(protocol_doc()))])
    assert first.outcome is Outcome.ACCEPTED
    before, size = _row_counts(db), log_size(db, e.id)
    dry = examine_protocols(db, e.id, _batch())
    assert [r.outcome for r in dry] == EXPECTED
    assert _row_counts(db) == before and log_size(db, e.id) == size
    assert all(r.log_index is None for r in dry)
    assert "valid 590 + invalid 11 = 601 ≠ ballots found 600" in str(dry[2].problems[0])
    # The same batch submitted for real is judged the same, and only then written.
    real = submit_protocols(db, e.id, _batch())
    assert [(r.outcome, r.problems, r.flags, r.document_hash) for r in real] == [
        (r.outcome, r.problems, r.flags, r.document_hash) for r in dry
    ]
    assert log_size(db, e.id) == size + 5  # four refusals kept as evidence, one protocol


def test_the_command_line_dry_run_and_check_write_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol_cli, "open_db", lambda _url: db)  # this test's database
    e = election()
    load_election(db, e)
    submit_protocols(db, e.id, [("first.json", envelope(protocol_doc()))])
    files = []
    for name, raw in _batch():
        path = tmp_path / name
        path.write_bytes(raw)
        files.append(str(path))
    before = _row_counts(db)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["protocol", "submit", "--dry-run", *files])
    assert result.exit_code == 1, result.output  # some would be refused
    out = result.output
    assert "7 protocols: 1 would be accepted, 2 would be duplicate, 3 would be rejected, " \
           "1 would be conflict; dry run: nothing was written" in out  # fmt: skip
    assert "station 1002 list/preliminary: would be rejected" in out
    assert "already holds protocol" in out
    assert not (tmp_path / "refusals.jsonl").exists()
    one = runner.invoke(app, ["protocol", "check", files[4]])
    assert one.exit_code == 0, one.output
    assert "station 1002 list/preliminary: would be accepted" in one.output
    assert _row_counts(db) == before
    # …and then for real: the line says what was done.
    done = runner.invoke(app, ["protocol", "submit", files[4]])
    assert "station 1002 list/preliminary: accepted" in done.output
    assert _row_counts(db) != before
