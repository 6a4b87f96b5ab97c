"""A founded complaint, a recount ordered by the territorial commission, the protocol corrected on
the signed path — and a seat moves, visibly, with the decision behind it on the record.

Hare–Niemeyer on 10 seats, worked by hand: before, party votes a 900, b 600, c 240 (1,740):
quotas 5.17, 3.45, 1.38 → 5 + 3 + 1 by whole quotas, the last seat to the largest remainder (b,
0.45) → a 5, b 4, c 1. After the recount sets aside 200 of a's ballots at station 1001: a 700,
b 600, c 240 (1,540): quotas 4.545, 3.896, 1.558 → 4 + 3 + 1, the two remaining seats to b (0.896)
and c (0.558) → a 4, b 4, c 2.
"""

from __future__ import annotations

import json
from dataclasses import replace

from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.domain.correction import sign_correction
from achyk.domain.definition import Authority
from achyk.domain.seat_results import all_list_seats
from achyk.services.disputes.docket import read_docket
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.elections import load_election
from achyk.services.ledger import log_size
from achyk.services.protocols import (
    Outcome,
    correct_protocol,
    current_protocol_hash,
    submit_protocols,
)
from achyk.services.results import results
from achyk.signing import public_key_b64
from achyk.store.database import Database
from factories import device_key, election, envelope, protocol_doc


def test_a_recount_ordered_on_a_complaint_moves_a_seat(db: Database) -> None:
    tec = Authority("tec-north", "TEC North", public_key_b64(device_key("tec-north")),
                    "territorial", "north")  # fmt: skip
    e = replace(election(), authorities=(*election().authorities, tec))
    load_election(db, e)
    subs = [(s, envelope(protocol_doc(station=s))) for s in ("1001", "1002", "2001")]
    assert all(r.outcome is Outcome.ACCEPTED for r in submit_protocols(db, e.id, subs))
    _, tab = results(db, e.id)
    assert all_list_seats(e, tab)[0].allocation.as_dict() == {"a": 5, "b": 4, "c": 1}

    complaint = file_complaint(db, e.id, {
        "filer": "party", "subject": "station", "station": "1001", "category": "ballot-stuffing",
        "facts": "Two hundred ballots for party A added after the count began.", "body": "territorial",
    }).index  # fmt: skip
    assert complaint is not None

    def step(status: Status, **extra: object) -> int:
        envelope_ = signed_step(device_key("tec-north"), e.id, "tec-north", complaint, status,
                                "reasons given at the hearing", **extra)  # type: ignore[arg-type]  # fmt: skip
        done = record_step(db, e.id, envelope_)
        assert done.index is not None, done.refused
        return done.index

    step(Status.REGISTERED)
    decision = step(Status.DECIDED, decision=Decision.RECOUNT)
    recounted = protocol_doc(station="1001", votes={"a": 100, "b": 200, "c": 80, "against-all": 10},
                             found_stationary=380, valid=390)  # fmt: skip
    supersedes = current_protocol_hash(db, e.id, "1001", "list", "preliminary")
    correction = sign_correction(device_key("cec"), "cec", recounted, supersedes,
                                 f"recount ordered by decision {decision}")  # fmt: skip
    receipt = correct_protocol(db, e.id, json.dumps(correction).encode())
    assert receipt.outcome is Outcome.ACCEPTED, receipt.describe()
    corrected_at = log_size(db, e.id) - 1
    step(Status.EXECUTED, correction=corrected_at)

    _, tab = results(db, e.id)
    assert all_list_seats(e, tab)[0].allocation.as_dict() == {"a": 4, "b": 4, "c": 2}
    case = read_docket(db, e).cases[complaint]
    assert case.status is Status.EXECUTED and case.correction == corrected_at
