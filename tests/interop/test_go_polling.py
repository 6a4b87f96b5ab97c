"""The Go verifier recomputes a BRAVO ballot-polling audit (docs/record-format.md, "Ballot
polling"): the honest records pass both verifiers; a decision before the risk limit and a sample
other than the seed's fail both, named the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from achyk.verify.record import verify_record
from go_verifier import go_failed, run_go
from polling_records import audited, other_sample, stopped_early


@pytest.mark.parametrize("first_round", [None, 100])  # confirmed at once; escalated round by round
def test_both_verifiers_pass_a_ballot_polling_audit(
    go_verifier: Path, tmp_path: Path, first_round: int | None
) -> None:
    _, outcome, record = audited(tmp_path, first_round)
    assert (outcome.rounds == 1) == (first_round is None)
    assert verify_record(str(record)).ok
    out = run_go(go_verifier, str(record))
    assert out.returncode == 0, out.stdout + out.stderr


def test_both_verifiers_fail_a_polling_audit_stopped_before_the_risk_limit(
    go_verifier: Path, tmp_path: Path
) -> None:
    record = stopped_early(tmp_path)
    assert not verify_record(str(record)).ok
    go = run_go(go_verifier, str(record))
    assert go.returncode == 1 and go_failed(go), go.stdout
    assert "stopped at round 1 before the risk limit was met" in go.stdout, go.stdout


def test_both_verifiers_fail_a_polling_sample_other_than_the_seeds(
    go_verifier: Path, tmp_path: Path
) -> None:
    record, _ = other_sample(tmp_path)
    assert not verify_record(str(record)).ok
    go = run_go(go_verifier, str(record))
    assert go.returncode == 1 and go_failed(go), go.stdout
    assert "sampled other ballots than the seed draws" in go.stdout, go.stdout
