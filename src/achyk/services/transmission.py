"""Stations transmit their protocols over HTTP: a signed request, one answer, kept.

The device signs the request as it signs check-ins (:mod:`achyk.domain.signed_request`: method,
path, body, timestamp, nonce) under :data:`PROTOCOL_REQUEST_PURPOSE`; the body is the protocol
envelope it signed as ever. The protocol is then judged as any submission: accepted, a duplicate,
refused with its reasons, or a conflict — every refusal kept as evidence in the log. The answer is
stored with the outcome, in one transaction: the same signed request sent again (its answer was
lost) gets that answer back, never a new judgement.

A request that fails authentication (unknown device, bad signature, stale, a nonce reused for a
different request) is answered with the reason but not logged: anyone can send one, and logging
them would let anyone fill the public record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from achyk.domain.signed_request import (
    PROTOCOL_REQUEST_PURPOSE,
    RequestAuthError,
    check_request,
    request_message,
)
from achyk.domain.submission import parse_envelope
from achyk.errors import AchykError, NotFoundError, Problem, SignatureError
from achyk.services.elections import get_election
from achyk.services.ingest import transmit
from achyk.services.protocols import Outcome, Receipt
from achyk.signing import load_public_key
from achyk.store.database import Database
from achyk.store.transmission_models import add_transmission, find_transmission

STATUS = {Outcome.ACCEPTED: 201, Outcome.DUPLICATE: 200, Outcome.REJECTED: 422,
          Outcome.CONFLICT: 409}  # fmt: skip


class TransmissionAuthError(AchykError):
    """The request is not signed, just now, by a registered device of the station."""


class OverRateLimit(AchykError):
    """The device (authenticated) sends faster than its limit."""


@dataclass(frozen=True)
class Transmission:
    status: int
    answer: dict[str, Any]
    resent: bool  # the answer recorded for this very request the first time it came


def answer_of(r: Receipt) -> dict[str, Any]:
    return {
        "outcome": r.outcome.value, "station": r.station_id, "contest": r.contest_id,
        "kind": r.kind, "document_hash": r.document_hash, "log_index": r.log_index,
        "problems": [str(p) for p in r.problems], "flags": [str(p) for p in r.flags],
    }  # fmt: skip


def transmit_protocol(
    db: Database, election_id: str, station_id: str, *, device: str, path: str, body: bytes,
    timestamp: str, nonce: str, signature: str, now: datetime | None = None,
    admit: Callable[[str], bool] | None = None,
) -> Transmission:  # fmt: skip
    """Authenticate, answer a resend as recorded, else judge the protocol and keep the answer.

    `admit(device)` is asked once the device is known to have signed (a rate limit charged
    before that could be emptied by anyone: device ids are public). Raises NotFoundError (no
    such election or station), TransmissionAuthError and OverRateLimit.
    """
    election = get_election(db, election_id)
    place = election.place(station_id)
    if place is None:
        raise NotFoundError(f"no station {station_id!r} in election {election.id}")
    registered = place.station.device(device)
    if registered is None:
        raise TransmissionAuthError(
            f"{device!r} is not a registered device of station {station_id}"
        )
    try:
        check_request(
            load_public_key(registered.public_key), PROTOCOL_REQUEST_PURPOSE, method="POST",
            path=path, body=body, timestamp=timestamp, nonce=nonce, signature=signature, now=now,
        )  # fmt: skip
    except (RequestAuthError, SignatureError) as err:
        raise TransmissionAuthError(str(err)) from None
    if admit is not None and not admit(device):
        raise OverRateLimit(f"device {device} is over its rate limit")
    digest = hashlib.sha256(
        request_message(PROTOCOL_REQUEST_PURPOSE, "POST", path, body, timestamp, nonce)
    ).hexdigest()
    held = _recorded(db, device, nonce, digest)
    if held is not None:
        return held

    misaddressed = _misaddressed(body, station_id, device)
    if misaddressed:
        # Not judged, so not a log entry: the public record could not show why (the request's
        # station and device are not in it) and a verifier would see a valid protocol refused.
        # Kept here whole, with the answer, so a resend gets the same answer.
        answer = {"outcome": Outcome.REJECTED.value, "station": station_id, "contest": None,
                  "kind": None, "document_hash": None, "log_index": None,
                  "problems": [str(p) for p in misaddressed], "flags": []}  # fmt: skip
        try:
            with db.session() as s:
                add_transmission(s, election.id, station_id, device, nonce, digest, 422,
                                 json.dumps(answer, ensure_ascii=False), refused=body)  # fmt: skip
        except IntegrityError:
            held = _recorded(db, device, nonce, digest)
            if held is None:
                raise
            return held
        return Transmission(422, answer, resent=False)

    answers: list[tuple[int, dict[str, Any]]] = []

    def record(s: Session, receipts: list[Receipt]) -> None:
        answers.clear()  # a retry of the batch records its own answer
        status, answer = STATUS[receipts[0].outcome], answer_of(receipts[0])
        add_transmission(s, election.id, station_id, device, nonce, digest, status,
                         json.dumps(answer, ensure_ascii=False))  # fmt: skip
        answers.append((status, answer))

    source = f"http:{device}:{nonce}"
    try:
        transmit(db, election, source, body, record)  # examined in a worker, group-committed
    except IntegrityError:
        # The same request arrived twice at once and the other copy recorded its answer first.
        held = _recorded(db, device, nonce, digest)
        if held is None:
            raise
        return held
    status, answer = answers[0]
    return Transmission(status, answer, resent=False)


def _misaddressed(body: bytes, station_id: str, device: str) -> list[Problem]:
    """The envelope must be the one the request names: this station's, signed by this device."""
    envelope, _ = parse_envelope(body)
    if envelope is None:
        return []  # judged (and refused) as any submission
    problems = []
    doc = envelope.get("protocol")
    named = doc.get("station") if isinstance(doc, dict) else None
    if isinstance(named, str) and named != station_id:
        problems.append(Problem("protocol.station", f"{named!r}, but the request is for station "
                                f"{station_id}"))  # fmt: skip
    if isinstance(envelope.get("device"), str) and envelope.get("device") != device:
        problems.append(Problem("device", f"{envelope.get('device')!r}, but the request is "
                                f"signed by device {device}"))  # fmt: skip
    return problems


def _recorded(db: Database, device: str, nonce: str, digest: str) -> Transmission | None:
    with db.read() as s:
        row = find_transmission(s, device, nonce)
        if row is None:
            return None
        if row.request_sha256 != digest:
            raise TransmissionAuthError(
                f"nonce {nonce} was already used by device {device} for another request"
            )
        return Transmission(row.status, json.loads(row.answer), resent=True)
