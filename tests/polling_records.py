"""Records with a BRAVO ballot-polling audit of the small profile's district contests, honest and
tampered, for the Python and Go verifier tests (tests/integration, tests/interop)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from achyk.audit import polling_record
from achyk.audit.record import AUDIT_PURPOSE
from achyk.errors import InputError
from achyk.services.audit_polling import PollingOutcome, run_polling_audit
from achyk.services.audit_record import record_audit_entry
from achyk.services.audit_run import AuditKeys
from achyk.services.ledger import append_entries, entries, log_size
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.signing import sign
from achyk.sim.generator import BOARD, authority_key, board_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

SEED = "27182818284590452353"  # twenty dice digits
CHECK = "audit: seed → sample, board-signed hand counts, each round's risk, the decision"
EARLY = "d03"  # the widest district margin of the small profile: confirmed in round 1


def keys() -> AuditKeys:
    return AuditKeys(
        "cec", authority_key(SMALL), tuple((m, board_key(SMALL, m)) for m, _ in BOARD[:2])
    )


def election_db(path: Path) -> Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database.open(f"sqlite:///{path}")
    run_simulation(db, generate(SMALL))
    return db


def audited(base: Path, first_round: int | None = None) -> tuple[Database, PollingOutcome, Path]:
    """The district's audit run through the services and the record published."""
    db = election_db(base / "db.sqlite")
    outcome = run_polling_audit(db, None, EARLY, SEED, "10", keys(), first_round=first_round)
    publish(db, SMALL.election_id, base / "record")
    return db, outcome, base / "record"


def log_entries(db: Database) -> list[dict[str, Any]]:
    texts = entries(db, SMALL.election_id, 0, log_size(db, SMALL.election_id))
    return [json.loads(t) for t in texts]


def stopped_early(base: Path) -> Path:
    """The operator writes a decision 'confirmed' after a first round too small to confirm."""
    db = election_db(base / "db.sqlite")
    outcome = run_polling_audit(db, None, EARLY, SEED, "10", keys(), first_round=10)
    assert outcome.rounds > 1  # the honest audit went on; now forge one that stops
    last = next(e for e in log_entries(db) if e["kind"] == "audit-decision")
    forged = {k: v for k, v in last.items() if k not in ("signature", "election")}
    forged = {**forged, "election": SMALL.election_id, "decision": "confirmed"}
    base_db = election_db(base / "forged.sqlite")
    first = [e for e in log_entries(db) if e["kind"].startswith("audit-")]
    assert [e["kind"] for e in first[:3]] == ["audit-seed", "audit-round", "audit-ballots"]
    # replay the seed, round 1 and its ballots as they were, then the forged decision
    with base_db.session() as s:
        append_entries(s, SMALL.election_id, [*first[:3], {**forged, "signature": sign(
            keys().authority, AUDIT_PURPOSE, forged)}])  # fmt: skip
    publish(base_db, SMALL.election_id, base / "record")
    return base / "record"


def other_sample(base: Path) -> tuple[Path, str]:
    """The operator logs a round whose draws are not the seed's (a sample it chose): the service
    refuses it (the refusal's text is returned), so the operator writes it into the log itself."""
    db = election_db(base / "db.sqlite")
    run_polling_audit(db, None, EARLY, SEED, "10", keys(), first_round=200)
    texts = log_entries(db)
    seed_entry = next(e for e in texts if e["kind"] == "audit-seed")
    ids = polling_record.ballot_ids([tuple(m) for m in seed_entry["manifest"]])
    chosen = ids[:20]  # the first twenty ballots of the first station, not a random draw
    fake = {"kind": "audit-round", "election": SMALL.election_id, "contest": EARLY, "round": 1,
            "size": 20, "sample_sha256": polling_record.sample_hash(chosen)}  # fmt: skip
    db2 = election_db(base / "fake.sqlite")
    record_audit_entry(db2, None, seed_entry)
    try:
        record_audit_entry(db2, None, fake)
        refused = ""
    except InputError as err:
        refused = str(err)
    with db2.session() as s:
        append_entries(s, SMALL.election_id, [fake])
    publish(db2, SMALL.election_id, base / "record")
    return base / "record", refused
