"""Submitting protocols through the service, on SQLite and PostgreSQL: nothing is ever lost."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from achyk.errors import ConflictError, NotFoundError
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, record_device_switch, submit_protocol
from achyk.services.results import results
from achyk.store.database import Database
from achyk.store.models import ProtocolRow, RejectionRow
from factories import election, envelope, protocol_doc


@pytest.fixture
def loaded(db: Database) -> Database:
    load_election(db, election())
    return db


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_accept_then_resend_is_idempotent(loaded: Database) -> None:
    raw = envelope(protocol_doc())
    assert submit_protocol(loaded, None, raw, "a").outcome is Outcome.ACCEPTED
    assert submit_protocol(loaded, None, raw, "again").outcome is Outcome.DUPLICATE
    assert count(loaded, ProtocolRow) == 1
    assert count(loaded, RejectionRow) == 0


def test_a_different_protocol_for_a_filled_slot_is_a_conflict_kept_as_evidence(
    loaded: Database,
) -> None:
    submit_protocol(loaded, None, envelope(protocol_doc()), "first")
    other = protocol_doc(votes={"a": 301, "b": 199, "c": 80, "against-all": 10})
    receipt = submit_protocol(loaded, None, envelope(other), "second")
    assert receipt.outcome is Outcome.CONFLICT
    assert "already holds protocol" in receipt.describe()
    with loaded.session() as s:
        kept = s.scalars(select(RejectionRow)).one()
        assert json.loads(kept.raw)["protocol"] == other
    _, tab = results(loaded)
    assert tab.national("list").counted.votes_for("a") == 300  # type: ignore[union-attr]


def test_a_broken_protocol_is_rejected_with_reasons_and_kept(loaded: Database) -> None:
    raw = envelope(protocol_doc(invalid=12))
    receipt = submit_protocol(loaded, None, raw, "station-1001.json")
    assert receipt.outcome is Outcome.REJECTED
    assert any("valid 590 + invalid 12" in str(p) for p in receipt.problems)
    with loaded.session() as s:
        kept = s.scalars(select(RejectionRow)).one()
        assert kept.raw == raw and kept.station_id == "1001" and kept.source == "station-1001.json"
    assert count(loaded, ProtocolRow) == 0


def test_garbage_is_kept_too(loaded: Database) -> None:
    receipt = submit_protocol(loaded, None, b"\xff not json", "junk.bin")
    assert receipt.outcome is Outcome.REJECTED
    assert count(loaded, RejectionRow) == 1


def test_signature_must_be_the_stations_scanner(loaded: Database) -> None:
    doc = protocol_doc()
    forged = json.loads(envelope(doc, device="1002-a"))  # another station's key
    forged["device"] = "1001-a"
    receipt = submit_protocol(loaded, None, json.dumps(forged).encode(), "forged")
    assert receipt.outcome is Outcome.REJECTED
    assert "signature: device 1001-a: signature does not verify" in [
        str(p) for p in receipt.problems
    ]
    unsigned = json.dumps({"protocol": doc}).encode()
    receipt = submit_protocol(loaded, None, unsigned, "unsigned")
    assert receipt.outcome is Outcome.REJECTED
    assert "signature" in receipt.describe()


def test_a_backup_signs_only_after_the_switch_is_recorded(loaded: Database) -> None:
    raw = envelope(protocol_doc(), device="1001-b")
    receipt = submit_protocol(loaded, None, raw, "backup-early")
    assert receipt.outcome is Outcome.REJECTED
    assert "no switch to it is recorded" in receipt.describe()
    record_device_switch(loaded, None, "1001", "1001-a", "1001-b", "scanner jammed")
    assert submit_protocol(loaded, None, raw, "backup").outcome is Outcome.ACCEPTED
    with pytest.raises(NotFoundError):
        record_device_switch(loaded, None, "1001", "1001-a", "2001-b", "not this station's")


def test_official_count_is_counted_over_the_preliminary(loaded: Database) -> None:
    submit_protocol(loaded, None, envelope(protocol_doc()), "pre")
    hand = protocol_doc(kind="official", votes={"a": 298, "b": 202, "c": 80, "against-all": 10})
    assert submit_protocol(loaded, None, envelope(hand), "hand").outcome is Outcome.ACCEPTED
    _, tab = results(loaded)
    nat = tab.national("list")
    assert nat is not None
    assert (nat.counted.votes_for("a"), nat.scanner.votes_for("a"), nat.hand.votes_for("a")) == (
        298, 300, 298,
    )  # fmt: skip


def test_reloading_a_different_definition_under_the_same_id_is_a_conflict(
    loaded: Database,
) -> None:
    assert not load_election(loaded, election()).created
    changed = election()
    object.__setattr__(changed, "name", "Another name")
    with pytest.raises(ConflictError):
        load_election(loaded, changed)
