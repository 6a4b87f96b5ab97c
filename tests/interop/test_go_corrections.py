"""Corrections, by both verifiers: a CEC correction and a forged one refused as evidence pass;
a correction pointed at another entry, rewritten after signing, or dropped fails both."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from achyk.canonical import canonical_hash, canonical_json
from achyk.domain.correction import sign_correction
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, correct_protocol, submit_protocol
from achyk.services.publish import publish_record
from achyk.store.database import Database
from achyk.verify.record import verify_record
from factories import device_key, election, envelope, protocol_doc
from go_verifier import entries_of, first, log_secret, rebuild, run_go

NEW_VOTES = {"a": 290, "b": 210, "c": 80, "against-all": 10}


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A record with a CEC correction, and a forged correction refused and kept as evidence."""
    base = tmp_path_factory.mktemp("corrected")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    load_election(db, election())
    assert submit_protocol(db, None, envelope(protocol_doc()), "pre").outcome is Outcome.ACCEPTED
    fix = sign_correction(device_key("cec"), "cec", protocol_doc(votes=NEW_VOTES),
                          canonical_hash(protocol_doc()), "recount ordered by the CEC")  # fmt: skip
    assert correct_protocol(db, None, json.dumps(fix).encode()).outcome is Outcome.ACCEPTED
    forged = json.dumps({**fix, "reason": "changed after signing"}).encode()
    assert correct_protocol(db, None, forged).outcome is Outcome.REJECTED
    publish_record(db, "test-2025", base / "record")
    return base / "record", log_secret(db, "test-2025")


def correction_points_elsewhere(record: Path, secret: str) -> None:
    entries = entries_of(record)
    i = first(entries, b"correction")
    fix = json.loads(entries[i])
    fix["supersedes"] = 0
    entries[i] = canonical_json(fix)
    rebuild(record, entries, secret)


def correction_reason_rewritten(record: Path, secret: str) -> None:
    entries = entries_of(record)
    i = first(entries, b"correction")
    fix = json.loads(entries[i])
    fix["reason"] = "no recount was ordered"
    entries[i] = canonical_json(fix)
    rebuild(record, entries, secret)


def correction_dropped(record: Path, secret: str) -> None:
    """The correction removed and the results put back to the uncorrected figures."""
    entries = entries_of(record)
    del entries[first(entries, b"correction") :]
    rebuild(record, entries, secret)


CORRECTION_CASES: list[Callable[[Path, str], None]] = [
    correction_points_elsewhere, correction_reason_rewritten, correction_dropped,
]  # fmt: skip
GO_SAYS_CORRECTIONS = {
    "correction_points_elsewhere": "which is not the current protocol",
    "correction_reason_rewritten": "signature: authority cec: signature does not verify",
    "correction_dropped": "is ahead of the latest checkpoint",
}


def test_both_verifiers_pass_a_corrected_record(
    go_verifier: Path, corrected: tuple[Path, str]
) -> None:
    out = run_go(go_verifier, str(corrected[0]))
    assert out.returncode == 0, out.stdout
    assert "correction 1" in out.stdout and "rejection 1" in out.stdout
    assert verify_record(str(corrected[0])).ok


@pytest.mark.parametrize("tamper", CORRECTION_CASES, ids=lambda f: f.__name__)
def test_both_verifiers_fail_a_tampered_correction(
    go_verifier: Path, corrected: tuple[Path, str], tmp_path: Path,
    tamper: Callable[[Path, str], None],
) -> None:  # fmt: skip
    record = tmp_path / "record"
    shutil.copytree(corrected[0], record)
    tamper(record, corrected[1])
    assert not verify_record(str(record)).ok, "achyk verify passed a tampered record"
    go = run_go(go_verifier, str(record))
    assert go.returncode == 1, go.stdout + go.stderr
    assert GO_SAYS_CORRECTIONS[tamper.__name__] in go.stdout, go.stdout
