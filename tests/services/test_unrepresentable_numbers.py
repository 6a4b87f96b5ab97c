"""A number JSON can carry but RFC 8785 cannot (an integer beyond 2^53) is a reason to refuse,
kept as evidence — never a crash. Found by fuzzing the transmission endpoint."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocol
from achyk.store.database import Database
from achyk.store.models import RejectionRow
from factories import election, protocol_doc


def test_an_integer_beyond_2_53_is_refused_and_kept(db: Database) -> None:
    load_election(db, election())
    doc = protocol_doc()
    doc["valid"] = 2**60
    raw = json.dumps({"protocol": doc, "device": "1001-a", "signature": "AAAA"}).encode()
    receipt = submit_protocol(db, None, raw, "huge")
    assert receipt.outcome is Outcome.REJECTED
    # refused before anything else looks at it: the input limits name the number (issue 18)
    assert [str(p) for p in receipt.problems] == [
        "number-out-of-range: 1152921504606846976 is beyond ±(2^53 − 1)"
    ]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(RejectionRow)) == 1


def test_a_correction_with_such_a_number_is_refused_and_kept(db: Database) -> None:
    from achyk.services.protocols import correct_protocol

    load_election(db, election())
    doc = protocol_doc()
    doc["valid"] = 2**60
    raw = json.dumps({"protocol": doc, "supersedes": "x", "reason": "r", "authority": "cec",
                      "signature": "AAAA"}).encode()  # fmt: skip
    receipt = correct_protocol(db, None, raw, "huge correction")
    assert receipt.outcome is Outcome.REJECTED
    assert "number-out-of-range" in str(receipt.problems[0])
