"""Corrections: a signed, reasoned new log entry; the old protocol stays in the history and the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from achyk.canonical import canonical_hash
from achyk.domain.correction import sign_correction
from achyk.services.elections import load_election
from achyk.services.ledger import entries, station_evidence
from achyk.services.protocols import Outcome, correct_protocol, submit_protocol
from achyk.services.publish import publish_record
from achyk.services.results import results
from achyk.store.database import Database
from achyk.verify.record import verify_record
from factories import device_key, election, envelope, protocol_doc

NEW_VOTES = {"a": 290, "b": 210, "c": 80, "against-all": 10}


@pytest.fixture
def accepted(db: Database) -> Database:
    load_election(db, election())
    assert submit_protocol(db, None, envelope(protocol_doc()), "pre").outcome is Outcome.ACCEPTED
    return db


def correction(**changes: object) -> bytes:
    env = sign_correction(device_key("cec"), "cec", protocol_doc(votes=NEW_VOTES),
                          canonical_hash(protocol_doc()), "recount ordered by the CEC, decision 12")  # fmt: skip
    env.update(changes)
    return json.dumps(env).encode()


def test_a_signed_correction_changes_the_figures_visibly(
    accepted: Database, tmp_path: Path
) -> None:
    receipt = correct_protocol(accepted, None, correction())
    assert receipt.outcome is Outcome.ACCEPTED, receipt.describe()
    _, tab = results(accepted)
    assert tab.national("list").counted.votes_for("a") == 290  # type: ignore[union-attr]
    logged = [json.loads(e) for e in entries(accepted, "test-2025", 0, 10)]
    fix = next(e for e in logged if e["kind"] == "correction")
    assert fix["reason"] == "recount ordered by the CEC, decision 12"
    assert logged[fix["supersedes"]]["protocol"]["votes"]["a"] == 300  # the original stays
    history = station_evidence(accepted, "test-2025", "1001")
    assert [(e.superseded, bool(e.corrections)) for e in history] == [(True, False), (False, True)]
    publish_record(accepted, "test-2025", tmp_path / "record")
    report = verify_record(str(tmp_path / "record"))
    assert report.ok, [c for c in report.checks if not c[1]]


def test_a_correction_needs_a_valid_authority_signature(accepted: Database) -> None:
    forged = correction(reason="changed after signing")
    receipt = correct_protocol(accepted, None, forged)
    assert receipt.outcome is Outcome.REJECTED
    assert "signature: authority cec: signature does not verify" in receipt.describe()
    stranger = correction(authority="mayor")
    assert "'mayor' is not an authority" in correct_protocol(accepted, None, stranger).describe()
    _, tab = results(accepted)
    assert tab.national("list").counted.votes_for("a") == 300  # type: ignore[union-attr]


def test_a_correction_must_name_the_current_protocol(accepted: Database) -> None:
    assert correct_protocol(accepted, None, correction()).outcome is Outcome.ACCEPTED
    again = correct_protocol(accepted, None, correction())  # supersedes the old hash: stale
    assert again.outcome is Outcome.REJECTED
    assert "supersedes: the slot holds" in again.describe()


def test_a_corrected_protocol_must_itself_be_valid(accepted: Database) -> None:
    bad = sign_correction(device_key("cec"), "cec", protocol_doc(invalid=99),
                          canonical_hash(protocol_doc()), "typo")  # fmt: skip
    receipt = correct_protocol(accepted, None, json.dumps(bad).encode())
    assert receipt.outcome is Outcome.REJECTED
    assert "valid 590 + invalid 99" in receipt.describe()
