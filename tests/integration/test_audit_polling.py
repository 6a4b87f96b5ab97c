"""BRAVO ballot-polling audits on the log (issue 13): a district contest of the small profile,
its ballots drawn with replacement from the seed, the boards' recorded votes, each round's risk,
the decision — recomputed by `achyk verify`; the Go verifier's side is tests/interop."""

from __future__ import annotations

from pathlib import Path

from achyk.verify.record import Report, verify_record
from polling_records import (
    CHECK,
    EARLY,
    audited,
    log_entries,
    other_sample,
    stopped_early,
)


def failed(report: Report) -> dict[str, str]:
    return {name: detail for name, ok, detail in report.checks if not ok}


def test_an_honest_district_is_confirmed_in_the_first_round(tmp_path: Path) -> None:
    db, outcome, record = audited(tmp_path)
    assert outcome.decision == "confirmed" and outcome.rounds == 1
    assert outcome.drawn < outcome.ballots / 4  # stopped early: a fraction of the paper
    assert outcome.risk <= 0.10
    report = verify_record(str(record))
    assert failed(report) == {}
    detail = next(d for name, _, d in report.checks if name == CHECK)
    assert f"{EARLY}: ballot polling, 1 round(s), {outcome.drawn} draws" in detail
    kinds = [e["kind"] for e in log_entries(db) if e["kind"].startswith("audit-")]
    assert kinds[:2] == ["audit-seed", "audit-round"] and kinds[-1] == "audit-decision"
    assert "audit-ballots" in kinds


def test_a_first_round_too_small_escalates_until_the_risk_limit(tmp_path: Path) -> None:
    _, outcome, record = audited(tmp_path, first_round=100)
    assert outcome.rounds >= 2 and outcome.decision == "confirmed"
    assert failed(verify_record(str(record))) == {}


def test_a_decision_before_the_risk_limit_is_named(tmp_path: Path) -> None:
    problems = failed(verify_record(str(stopped_early(tmp_path))))
    assert "stopped at round 1 before the risk limit was met" in problems[CHECK]


def test_a_sample_other_than_the_seeds_is_named_and_refused(tmp_path: Path) -> None:
    record, refused = other_sample(tmp_path)
    assert "sampled other ballots than the seed draws" in refused  # the service kept it out
    problems = failed(verify_record(str(record)))  # the operator wrote it in anyway
    assert "sampled other ballots than the seed draws" in problems[CHECK]


def test_the_plan_gives_each_district_its_bravo_sizes_and_the_audit_draws_the_90_pct_one(
    tmp_path: Path,
) -> None:
    from achyk.services.audit_plan import plan_election

    db, outcome, _ = audited(tmp_path)
    _, plans = plan_election(db, None, 0.10)
    polled = {p.contest.id: p for p in plans if p.method == "ballot-polling"}
    assert set(polled) == {"d01", "d02", "d03"}
    d = polled[EARLY]
    sizes = dict(d.completion)
    assert d.asn is not None and d.asn < sizes[0.8] <= sizes[0.9]
    assert outcome.drawn == sizes[0.9]  # the first round is the 90 % size
