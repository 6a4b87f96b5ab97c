"""An audit on the log, end to end: seed, rounds, board-signed hand counts, decisions — then verify.

The small profile through the real services; the audit boards' paper differs from the counted
protocols at a few stations (honest misreads). The operator is the adversary: the attacks below
append entries straight into the log (what a dishonest server could do), and `achyk verify` must
name them; the service itself refuses them and keeps each refusal as a rejection entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from achyk.audit.party_list import batches
from achyk.audit.party_list import risks as measure
from achyk.audit.record import AUDIT_PURPOSE, COUNT_PURPOSE
from achyk.audit.sampling import draw
from achyk.domain.seat_results import list_seats
from achyk.errors import InputError
from achyk.services.audit_record import audit_checker, counted_protocols, record_audit_entry
from achyk.services.audit_run import AuditKeys, correct_from_full_count, run_audit
from achyk.services.ledger import append_entries
from achyk.services.publish import publish
from achyk.services.reconciliation import reconcile_election
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.signing import sign
from achyk.sim.generator import BOARD, authority_key, board_key, generate
from achyk.sim.manipulation import manipulate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import Report, verify_record

SEED = "31415926535897932384"  # twenty dice digits
CHECK = "audit: seed → sample, board-signed hand counts, each round's risk, the decision"


def _keys() -> AuditKeys:
    return AuditKeys(
        "cec", authority_key(SMALL), tuple((m, board_key(SMALL, m)) for m, _ in BOARD[:2])
    )


def _paper(db: Database) -> Any:
    counted = counted_protocols(db)

    def paper(station: str) -> tuple[dict[str, int], int]:
        p = counted[(station, "list")]
        votes = dict(p.votes)
        if int(station) % 5 == 0:  # a ballot the board reads for the next party
            first, second = list(votes)[:2]
            if votes[first]:
                votes[first] -= 1
                votes[second] += 1
        return votes, p.invalid

    return paper


def failed(report: Report) -> dict[str, str]:
    return {name: detail for name, ok, detail in report.checks if not ok}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("audit")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    run_simulation(db, generate(SMALL))
    outcome = run_audit(db, None, "list", SEED, "10", _keys(), _paper(db), witnesses=["OSCE/ODIHR"])
    assert outcome.decision in ("confirmed", "full-count")
    assert outcome.discrepancies > 0  # the honest misreads were recorded, not hidden
    publish(db, SMALL.election_id, base / "record")
    return base / "db.sqlite", base / "record"


def test_the_audited_record_verifies(audited: tuple[Path, Path]) -> None:
    report = verify_record(str(audited[1]))
    assert failed(report) == {}
    detail = next(d for name, _, d in report.checks if name == CHECK)
    assert "list:" in detail and "of 40 stations" in detail


def _log_entries(db: Database, kind: str) -> list[dict[str, Any]]:
    from achyk.services.ledger import entries, log_size

    texts = entries(db, SMALL.election_id, 0, log_size(db, SMALL.election_id))
    return [json.loads(t) for t in texts if f'"kind":"{kind}"' in t]


def _seeded(tmp_path: Path) -> tuple[Database, AuditKeys, list[str]]:
    """A fresh small election whose list audit has its seed on the log."""
    db = Database.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_simulation(db, generate(SMALL))
    keys = _keys()
    checker = audit_checker(db)
    assert checker.audits == {}
    election = generate(SMALL).election
    contest = election.contest("list")
    assert contest is not None
    counted = {s: p for (s, c), p in counted_protocols(db).items() if c == "list"}
    population = [b.id for b in batches(election, contest, counted)]
    eid = SMALL.election_id
    seed = {"kind": "audit-seed", "election": eid, "contest": "list", "seed": SEED, "risk_limit": "10",
            "population": population, "witnesses": [], "authority": "cec"}  # fmt: skip
    record_audit_entry(db, None, {**seed, "signature": sign(keys.authority, AUDIT_PURPOSE, seed)})
    return db, keys, population


def test_a_round_that_samples_other_stations_is_named(tmp_path: Path) -> None:
    db, _, population = _seeded(tmp_path)
    # the operator swaps the sampled stations for two it likes
    fake = {"kind": "audit-round", "election": SMALL.election_id, "contest": "list",
            "round": 1, "size": 2, "sample": population[:2]}  # fmt: skip
    assert fake["sample"] != draw(SEED, population, 2)
    with pytest.raises(InputError, match="sampled other stations"):
        record_audit_entry(db, None, fake)
    assert _log_entries(db, "rejection")[-1]["reasons"][0].startswith("audit round 1 of list")
    with db.session() as s:  # written anyway, straight into the log
        append_entries(s, SMALL.election_id, [fake])
    publish(db, SMALL.election_id, tmp_path / "record")
    problems = failed(verify_record(str(tmp_path / "record")))
    assert "sampled other stations than the seed draws" in problems[CHECK]


def test_an_audit_that_stops_before_the_risk_limit_is_named(tmp_path: Path) -> None:
    db, keys, population = _seeded(tmp_path)
    eid = SMALL.election_id
    first = draw(SEED, population, 2)
    record_audit_entry(
        db,
        None,
        {
            "kind": "audit-round",
            "election": eid,
            "contest": "list",
            "round": 1,
            "size": 2,
            "sample": first,
        },
    )
    paper = _paper(db)
    for station in first:
        votes, invalid = paper(station)
        entry = {
            "kind": "audit-count",
            "election": eid,
            "contest": "list",
            "station": station,
            "votes": votes,
            "invalid": invalid,
        }
        # one board member alone, or two of one party, is refused
        alone = [{"member": "board-1", "signature": sign(keys.board[0][1], COUNT_PURPOSE, entry)}]
        with pytest.raises(InputError, match="two board members"):
            record_audit_entry(db, None, {**entry, "signatures": alone})
        sigs = [{"member": m, "signature": sign(k, COUNT_PURPOSE, entry)} for m, k in keys.board]
        record_audit_entry(db, None, {**entry, "signatures": sigs})
    a = audit_checker(db).audits["list"]
    contest = generate(SMALL).election.contest("list")
    assert contest is not None
    risks = {r.id: f"{r.risk:.6f}" for r in measure(contest, a.reported, a.draws, a.counts)}
    decision = {"kind": "audit-decision", "election": eid, "contest": "list", "round": 1,
                "risks": risks, "decision": "confirmed", "authority": "cec"}  # fmt: skip
    signed = {**decision, "signature": sign(keys.authority, AUDIT_PURPOSE, decision)}
    with pytest.raises(InputError, match="before the risk limit was met"):
        record_audit_entry(db, None, signed)
    with db.session() as s:  # the operator writes it anyway
        append_entries(s, eid, [signed])
    publish(db, eid, tmp_path / "record")
    problems = failed(verify_record(str(tmp_path / "record")))
    assert "stopped at round 1 before the risk limit was met" in problems[CHECK]


def test_a_manipulated_election_escalates_to_a_full_count_that_restores_the_seats(
    tmp_path: Path,
) -> None:
    honest_sim = generate(SMALL)
    m = manipulate(honest_sim)
    db = Database.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_simulation(db, m.sim)
    _, tab = results(db)
    election = m.sim.election
    contest = election.contest("list")
    assert contest is not None
    moved = list_seats(election, tab, contest).allocation.as_dict()

    def paper(station: str) -> tuple[dict[str, int], int]:
        return m.true_votes[station]

    outcome = run_audit(db, None, "list", SEED, "10", _keys(), paper)
    assert outcome.decision == "full-count" and outcome.counted == outcome.stations
    # the scanner counted the paper: the reconciliation already shows the written-over stations
    (lst,) = [c for c in reconcile_election(db).contests if c.contest_id == "list"]
    assert {s.station_id for s in lst.outside} >= set(m.stations)
    corrected = correct_from_full_count(db, None, "list", paper, _keys())
    assert sorted(corrected) == sorted(m.stations)
    _, tab = results(db)
    restored = list_seats(election, tab, contest).allocation.as_dict()
    honest_db = Database.open(f"sqlite:///{tmp_path / 'honest.sqlite'}")
    run_simulation(honest_db, honest_sim)
    _, honest_tab = results(honest_db)
    assert restored == list_seats(election, honest_tab, contest).allocation.as_dict() != moved
    publish(db, SMALL.election_id, tmp_path / "record")
    assert failed(verify_record(str(tmp_path / "record"))) == {}
