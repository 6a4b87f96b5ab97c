"""The writer's group, written without first looking for earlier answers, on both databases.

Nearly every transmission is new, so the writer commits a group without asking the store for
answers already given to its (device, nonce) pairs; the unique key refuses the transaction when
one was, and the group is then done again, earlier answers read first. These tests put a resend
and a reused nonce into such groups and check that each gets what the careful way gives it, and
that nothing is written twice.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from achyk.cli.transmit import protocol_request, sign_protocol
from achyk.domain.definition import Election
from achyk.services.elections import get_election, load_election
from achyk.services.transmission import (
    SignedProtocol,
    Transmission,
    TransmissionAuthError,
    check_requests,
)
from achyk.services.transmission_queue import _Waiting, _write_group
from achyk.store.database import Database
from achyk.store.models import LogEntryRow, ProtocolRow
from achyk.store.transmission_models import ProtocolTransmissionRow
from factories import device_key, election, protocol_doc


def signed(e: Election, station: str, nonce: str, **votes: int) -> SignedProtocol:
    device = f"{station}-a"
    doc = protocol_doc(station=station, votes=votes or None)
    r = protocol_request("http://x", device_key(device), device,
                         sign_protocol(device_key(device), device, doc), nonce=nonce)  # fmt: skip
    place = e.place(station)
    assert place is not None
    registered = place.station.device(device)
    assert registered is not None
    return SignedProtocol(e.id, station, device, registered.public_key, r.path, r.body,
                          r.headers["X-Timestamp"], nonce, r.headers["X-Signature"])  # fmt: skip


def group(e: Election, *requests: SignedProtocol) -> list[_Waiting]:
    checked = check_requests(e, requests, {}, time.time())
    out = []
    for r, c in zip(requests, checked, strict=True):
        w = _Waiting(r, None, None)
        w.checked = c
        out.append(w)
    return out


def count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def loaded(db: Database) -> Election:
    load_election(db, election())
    return get_election(db, None)


@pytest.mark.parametrize("look_first", [False, True])
def test_a_resend_in_a_group_gets_its_first_answer_and_writes_nothing(
    db: Database, loaded: Election, look_first: bool
) -> None:
    first = signed(loaded, "1001", "nonce-one")
    [w] = group(loaded, first)
    assert _write_group(db, loaded, [w], look_first=False) is False
    assert isinstance(w.outcome, Transmission) and w.outcome.status == 201
    answered: dict[str, Any] = w.outcome.answer
    entries = count(db, LogEntryRow)

    # The same request again, with a new one from another station in the same group.
    again, new = group(loaded, first, signed(loaded, "1002", "nonce-two"))
    resent = _write_group(db, loaded, [again, new], look_first=look_first)
    assert resent is True  # found either way (written twice only when it did not look first)
    assert again.outcome == Transmission(201, answered, resent=True)
    assert isinstance(new.outcome, Transmission) and new.outcome.status == 201
    assert not new.outcome.resent
    assert count(db, ProtocolRow) == 2 and count(db, ProtocolTransmissionRow) == 2
    assert count(db, LogEntryRow) == entries + 1  # the new protocol's entry alone


def test_a_nonce_reused_beside_a_resend_is_refused_and_the_resend_answered(
    db: Database, loaded: Election
) -> None:
    first = signed(loaded, "1001", "nonce-one")
    [w] = group(loaded, first)
    _write_group(db, loaded, [w], look_first=False)
    assert isinstance(w.outcome, Transmission)
    # Another request under the spent nonce, ahead of the first one sent again: the other is
    # refused, the resend gets its answer (not refused as differing from the other).
    other, again = group(loaded, signed(loaded, "1001", "nonce-one", a=1, b=2), first)
    assert _write_group(db, loaded, [other, again], look_first=False) is True
    assert isinstance(other.outcome, TransmissionAuthError)
    assert "nonce nonce-one was already used" in str(other.outcome)
    assert again.outcome == Transmission(201, w.outcome.answer, resent=True)
    assert count(db, ProtocolRow) == 1 and count(db, ProtocolTransmissionRow) == 1


def test_after_a_resend_the_pipeline_looks_first_for_a_while(
    db: Database, loaded: Election
) -> None:
    from achyk.services import transmission_queue as q
    from achyk.services.transmission import transmit_protocol

    def send(r: SignedProtocol) -> Transmission:
        return transmit_protocol(db, r.election_id, r.station_id, device=r.device, path=r.path,
                                 body=r.body, timestamp=r.timestamp, nonce=r.nonce,
                                 signature=r.signature)  # fmt: skip

    def pipeline() -> q.Transmissions:
        [found] = [p for p in q._pipelines.values() if p._db is db and not p.closed]
        return found

    first = signed(loaded, "1001", "nonce-one")
    assert send(first).status == 201
    assert pipeline()._careful == 0  # nothing resent: groups are written without a look
    again = send(first)
    assert again.resent and again.status == 201
    assert pipeline()._careful == q.CAREFUL_GROUPS  # a resend: the next groups look first
    assert send(signed(loaded, "1002", "nonce-two")).status == 201
    assert pipeline()._careful == q.CAREFUL_GROUPS - 1


@pytest.mark.parametrize("key", ["not base64!", "AAAA"])  # not base64; base64 of 3 bytes
def test_a_device_whose_registered_key_is_not_a_key_is_refused_by_the_examiner(key: str) -> None:
    e = election()
    r = replace(signed(e, "1001", "n-1"), public_key=key)
    (checked,) = check_requests(e, [r], {}, time.time())
    assert checked.refused == "device 1001-a has no valid public key"
    assert checked.examination is None
