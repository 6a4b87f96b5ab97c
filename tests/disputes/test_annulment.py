"""An executed annulment takes a station out of the count, visibly — on SQLite and PostgreSQL — and
a pending challenge holds the certification; `achyk verify` recomputes both from the log.

Hare–Niemeyer on 10 seats, worked by hand (the contest of tests/factories.py, no threshold):
before, with station 1001's count b-heavy (a 90, b 410, c 80) and 1002, 2001, 9001 each a 300,
b 200, c 80: a 990, b 1010, c 320 (2,320): quotas 4.267, 4.353, 1.379 → 4 + 4 + 1, the last seat
to the largest remainder (c, 0.379) → a 4, b 4, c 2. With 1001 annulled: a 900, b 600, c 240
(1,740): quotas 5.172, 3.448, 1.379 → 5 + 3 + 1, the last to b (0.448) → a 5, b 4, c 1: a seat
moves from c to a.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.domain.definition import Authority
from achyk.domain.published import results_document
from achyk.domain.seat_results import SeatStatus, all_list_seats
from achyk.domain.tabulation import Level, tabulate
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocols
from achyk.services.publish import publish_record
from achyk.services.results import accepted_protocols, recomputed_results, results
from achyk.services.tally import rebuild_totals
from achyk.signing import public_key_b64
from achyk.store.database import Database
from achyk.verify.record import verify_record
from factories import device_key, election, envelope, protocol_doc

B_HEAVY = {"a": 90, "b": 410, "c": 80, "against-all": 10}
TEC = Authority("tec-north", "TEC North", public_key_b64(device_key("tec-north")),
                "territorial", "north")  # fmt: skip


def loaded(db: Database) -> str:
    e = replace(election(), authorities=(*election().authorities, TEC))
    load_election(db, e)
    subs = [("1001", envelope(protocol_doc(station="1001", votes=B_HEAVY)))] + [
        (s, envelope(protocol_doc(station=s))) for s in ("1002", "2001", "9001")
    ]
    assert all(r.outcome is Outcome.ACCEPTED for r in submit_protocols(db, e.id, subs))
    return e.id


def step(db: Database, eid: str, complaint: int, status: Status, **extra: object) -> int:
    envelope_ = signed_step(device_key("tec-north"), eid, "tec-north", complaint, status,
                            "reasons given at the hearing", **extra)  # type: ignore[arg-type]  # fmt: skip
    done = record_step(db, eid, envelope_)
    assert done.index is not None, done.refused
    return done.index


def annul_1001(db: Database, eid: str) -> tuple[int, int, int]:
    complaint = file_complaint(db, eid, {
        "filer": "party", "subject": "station", "station": "1001", "category": "ballot-stuffing",
        "facts": "Ballots added in bundles after the count began.", "body": "territorial",
    }).index  # fmt: skip
    assert complaint is not None
    step(db, eid, complaint, Status.REGISTERED)
    decision = step(db, eid, complaint, Status.DECIDED, decision=Decision.ANNUL)
    executed = step(db, eid, complaint, Status.EXECUTED)
    return complaint, decision, executed


def test_an_executed_annulment_drops_the_station_and_moves_a_seat(db: Database) -> None:
    eid = loaded(db)
    e, tab = results(db, eid)
    assert all_list_seats(e, tab)[0].allocation.as_dict() == {"a": 4, "b": 4, "c": 2}
    complaint, decision, executed = annul_1001(db, eid)

    e, tab = results(db, eid)
    national = tab.national("list")
    assert national is not None
    assert (national.counted.stations, national.annulled, national.stations_expected) == (3, 1, 4)
    assert national.counted.votes_for("b") == 600 and national.counted.issued == 1800
    district = tab.get(Level.DISTRICT, "n1", "d1")  # 1001 is annulled in every contest
    assert district is not None and district.annulled == 1
    own = tab.get(Level.STATION, "1001", "list")  # its own protocol stays on show
    assert own is not None and own.counted.votes_for("b") == 410 and own.annulled == 1
    seats = all_list_seats(e, tab)[0]
    assert seats.allocation.as_dict() == {"a": 5, "b": 4, "c": 1}
    assert seats.status is SeatStatus.FINAL  # 3 counted + 1 annulled of 4: complete
    assert tab.annulled["1001"].as_dict() == {"complaint": complaint, "decision": decision,
                                              "executed": executed, "authority": "tec-north"}  # fmt: skip
    # the running totals are exactly the full fold, before and after a rebuild
    assert tab == recomputed_results(db, eid)[1]
    rebuild_totals(db, e)
    assert results(db, eid)[1] == recomputed_results(db, eid)[1]
    # a late protocol of the annulled station changes its own row only
    late = [("1001", envelope(protocol_doc(station="1001", kind="official", votes=B_HEAVY)))]
    assert submit_protocols(db, eid, late)[0].outcome is Outcome.ACCEPTED
    _, after = results(db, eid)
    assert after.national("list").counted == national.counted  # type: ignore[union-attr]
    assert after == recomputed_results(db, eid)[1]


def test_a_pending_challenge_holds_the_certification(db: Database) -> None:
    eid = loaded(db)
    e, tab = results(db, eid)
    assert all_list_seats(e, tab)[0].status is SeatStatus.FINAL
    pending = file_complaint(db, eid, {
        "filer": "party", "subject": "station", "station": "1002", "category": "counting",
        "facts": "The count was not shown to observers.", "body": "territorial",
    }).index  # fmt: skip
    assert pending is not None
    step(db, eid, pending, Status.REGISTERED)
    e, tab = results(db, eid)
    seats = all_list_seats(e, tab)[0]
    assert seats.status is SeatStatus.WAITING
    assert seats.reason == (
        f"certification waits for the pending complaints {pending} (before the territorial)"
    )
    assert "d1" in tab.waiting  # 1002 votes in district n1's contest too
    step(db, eid, pending, Status.DECIDED, decision=Decision.DISMISS)
    e, tab = results(db, eid)
    assert all_list_seats(e, tab)[0].status is SeatStatus.FINAL and not tab.waiting


def test_verify_recomputes_annulments_and_waiting(db: Database, tmp_path: Path) -> None:
    eid = loaded(db)
    annul_1001(db, eid)
    record = tmp_path / "record"
    publish_record(db, eid, record)
    report = verify_record(str(record))
    assert report.ok, [c for c in report.checks if not c[1]]
    published = json.loads((record / "results.json").read_text())
    assert published["annulled"]["1001"]["authority"] == "tec-north"
    assert published["contests"]["list"]["national/national"]["annulled"] == 1
    assert published["seats"]["list"]["status"] == "final"

    # results that still count the annulled station
    counted = tmp_path / "counted"
    shutil.copytree(record, counted)
    e = election()
    whole = results_document(e, tabulate(e, accepted_protocols(db, eid)))
    (counted / "results.json").write_text(json.dumps(whole))
    failed = [c for c in verify_record(str(counted)).checks if not c[1]]
    assert [name for name, _, _ in failed] == [
        "published results and seats recomputed from the log"
    ]
    assert "annulled: recomputed ({'1001': {'complaint'" in failed[0][2]
    assert "contests.list.district/n1.scanner.valid: published 1180, recomputed 590" in failed[0][2]

    # results that drop a station no decision annulled
    dropped = tmp_path / "dropped"
    shutil.copytree(record, dropped)
    doc = json.loads((record / "results.json").read_text())
    doc["annulled"]["2001"] = doc["annulled"]["1001"]
    (dropped / "results.json").write_text(json.dumps(doc))
    failed = [c for c in verify_record(str(dropped)).checks if not c[1]]
    assert "annulled.2001: published but not recomputed" in failed[0][2]


def test_verify_catches_final_seats_while_a_challenge_is_pending(
    db: Database, tmp_path: Path
) -> None:
    eid = loaded(db)
    pending = file_complaint(db, eid, {
        "filer": "voter", "subject": "election", "station": None, "category": "voter-list",
        "facts": "Names added to the lists on the day.", "body": "central",
    }).index  # fmt: skip
    assert pending is not None
    record = tmp_path / "record"
    publish_record(db, eid, record)
    assert verify_record(str(record)).ok
    doc = json.loads((record / "results.json").read_text())
    assert doc["seats"]["list"]["status"] == "waiting"
    doc["seats"]["list"]["status"] = "final"  # certified while the challenge is pending
    del doc["seats"]["list"]["reason"]
    (record / "results.json").write_text(json.dumps(doc))
    failed = [c for c in verify_record(str(record)).checks if not c[1]]
    assert "seats.list.status: published 'final', recomputed 'waiting'" in failed[0][2]
