"""Complaints on the log, on SQLite and PostgreSQL: filed with evidence, each step signed and judged
before it is logged, refusals kept as evidence, and `achyk verify` re-judging what was logged —
including steps an operator holding the log key appended anyway."""

from __future__ import annotations

import json

import pytest

from achyk.canonical import canonical_json
from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.domain.seat_results import SeatStatus, all_list_seats
from achyk.services.disputes.docket import read_docket
from achyk.services.disputes.evidence import released, releases
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.disputes.simulation import simulate_disputes
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, body_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.models import DisputeEvidenceRow, LogEntryRow
from achyk.store.repositories import Rejections
from achyk.verify.replay import replay
from replayed import definition, evidence, log_entries


@pytest.fixture
def election(db: Database) -> tuple[Database, SimElection]:
    sim = generate(SMALL)
    run_simulation(db, sim)
    return db, sim


_log, _evidence, _definition = log_entries, evidence, definition


def test_every_path_walked_and_verified(election: tuple[Database, SimElection]) -> None:
    db, sim = election
    eid = sim.election.id
    run = simulate_disputes(db, sim)
    cases = read_docket(db, sim.election).cases
    assert cases[run.founded].decision is Decision.RECOUNT
    assert cases[run.founded].correction == run.recount_correction
    assert cases[run.to_court].status is Status.CLOSED and cases[run.to_court].body.value == "court"
    assert cases[run.invalid].status is Status.INVALID
    # the second stuffed station annulled and out of the count; the court challenge holds the seats
    assert cases[run.pending].status is Status.REFERRED and cases[run.pending].pending
    _, tab = results(db, eid)
    assert tab.annulled[run.annulled].decision == run.annulment
    national = tab.national(sim.election.contests[0].id)
    assert national is not None and national.annulled == 1
    assert all(s.status is SeatStatus.WAITING for s in all_list_seats(sim.election, tab))
    with db.read() as s:  # the evidence files are kept whole; the log holds their hashes
        kept = s.query(DisputeEvidenceRow).filter_by(election_id=eid).all()
        entry = json.loads(s.get(LogEntryRow, (eid, run.founded)).entry)
    assert sorted(entry["evidence"]) == sorted(k.sha256 for k in kept) and len(kept) == 2
    # decided: the photo published without its author's name, the video withheld with the reason
    [photo, video] = releases(db, eid)[run.founded]
    assert photo["published_sha256"] and video["published_sha256"] is None and video["note"]
    published = released(db, eid, str(photo["published_sha256"]))
    assert published is not None and b"+996" not in published[0]
    assert replay(_log(db, eid), _definition(db, eid), _evidence(db, eid)).problems == []


def test_a_step_by_the_wrong_body_is_refused_and_kept(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    station = next(iter(sim.election.stations())).station.id
    filed = file_complaint(db, eid, {"filer": "voter", "subject": "station", "station": station,
                                     "category": "counting", "facts": "f", "body": "territorial"})  # fmt: skip
    assert filed.index is not None
    place = sim.election.place(station)
    assert place is not None
    wrong = next(r.id for r in sim.election.regions if r.id != place.region_id)
    envelope = signed_step(body_key(SMALL, f"tec-{wrong}"), eid, f"tec-{wrong}", filed.index,
                           Status.REGISTERED, "not ours to take")  # fmt: skip
    refused = record_step(db, eid, envelope)
    assert refused.index is None and "no jurisdiction over station" in refused.refused[0]
    # forged: the right authority id, another key
    forged = signed_step(body_key(SMALL, f"tec-{wrong}"), eid, f"tec-{place.region_id}",
                         filed.index, Status.REGISTERED, "forged")  # fmt: skip
    assert "signature" in record_step(db, eid, forged).refused[0].lower()
    with db.read() as s:
        kept = [r for r in Rejections(s).for_election(eid) if r.source == "complaint-step"]
    assert len(kept) == 2 and json.loads(kept[0].raw)["authority"] == f"tec-{wrong}"
    assert read_docket(db, sim.election).cases[filed.index].status is Status.FILED


def test_verify_catches_what_an_operator_appends_anyway(
    election: tuple[Database, SimElection],
) -> None:
    """The server refuses these; an operator with the log key could still append them. `verify`
    re-judges every step, so a decision by the wrong body, or an 'executed' step whose correction
    has no recount decision behind it, fails — named by its log entry."""
    db, sim = election
    eid = sim.election.id
    run = simulate_disputes(db, sim)
    entries = _log(db, eid)
    complaint = dict(json.loads(entries[run.to_court]), filed_at="2025-11-30T20:00:00+00:00")
    place = sim.election.place(complaint["station"])
    assert place is not None
    right, wrong = (
        f"tec-{place.region_id}",
        next(f"tec-{r.id}" for r in sim.election.regions if r.id != place.region_id),
    )
    n = len(entries)

    def step(who: str, status: Status, reasons: str, **extra: object) -> dict[str, object]:
        return signed_step(body_key(SMALL, who), eid, who, n, status, reasons, **extra)  # type: ignore[arg-type]

    bad_steps = [
        step(right, Status.REGISTERED, "registered"),  # n + 1: fine
        step(wrong, Status.DECIDED, "decided by a body with no say", decision=Decision.ANNUL),
        step(right, Status.DECIDED, "dismissed", decision=Decision.DISMISS),  # n + 3: fine
        # 'executed' with the recount's correction, on a case that was only dismissed
        step(right, Status.EXECUTED, "a correction with no decision behind it",
             correction=run.recount_correction),
    ]  # fmt: skip
    appended = [canonical_json(complaint)] + [
        canonical_json({**s, "kind": "complaint-step", "election": eid}) for s in bad_steps
    ]
    problems = replay(entries + appended, _definition(db, eid), _evidence(db, eid)).problems
    assert problems == [
        f"log entry {n + 2}: complaint-step: {wrong} has no jurisdiction over station "
        f"{complaint['station']}",
        f"log entry {n + 4}: complaint-step: only a recount or an annulment is executed",
    ], problems
