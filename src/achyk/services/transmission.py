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

The work is split by what it needs (:mod:`achyk.services.transmission_queue`): what needs only
the definition — the request's signature and freshness, the protocol's examination — runs in the
examiner processes (:func:`check_requests`); what needs the store — the rate limit, an answer
already given to this nonce, the judgement of the slot — runs in the one writer, a batch at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from achyk.domain.definition import Election
from achyk.domain.signed_request import (
    PROTOCOL_REQUEST_PURPOSE,
    RequestAuthError,
    check_request,
)
from achyk.domain.submission import parse_envelope
from achyk.errors import AchykError, NotFoundError, Problem, SignatureError
from achyk.services.elections import get_election
from achyk.services.protocols import Examination, Outcome, Passed, Receipt, examine_submission
from achyk.signing import raw_public_key
from achyk.store.database import Database

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


@dataclass(frozen=True)
class SignedProtocol:
    """One request as it came: addressed to a station, signed by one of its devices."""

    election_id: str
    station_id: str
    device: str
    public_key: str  # the device's registered key (base64), from the definition
    path: str
    body: bytes
    timestamp: str
    nonce: str
    signature: str

    @property
    def source(self) -> str:
        return f"http:{self.device}:{self.nonce}"


@dataclass(frozen=True)
class Checked:
    """What the examiners found of one request, before anything is read from the store."""

    refused: str | None  # why the request is not authentic (answered 401), else None
    digest: str = ""  # SHA-256 of the signed request message: a resend has the same
    misaddressed: tuple[Problem, ...] = ()  # the envelope is another station's or device's
    # the protocol examined, as the writer takes it (None: refused above)
    examination: Examination | Passed | None = None


def answer_of(r: Receipt) -> dict[str, Any]:
    return {
        "outcome": r.outcome.value, "station": r.station_id, "contest": r.contest_id,
        "kind": r.kind, "document_hash": r.document_hash, "log_index": r.log_index,
        "problems": [str(p) for p in r.problems], "flags": [str(p) for p in r.flags],
    }  # fmt: skip


def misaddressed_answer(request: SignedProtocol, problems: Sequence[Problem]) -> dict[str, Any]:
    return {"outcome": Outcome.REJECTED.value, "station": request.station_id, "contest": None,
            "kind": None, "document_hash": None, "log_index": None,
            "problems": [str(p) for p in problems], "flags": []}  # fmt: skip


def addressed(db: Database, election: Election, station_id: str, device: str) -> str:
    """The device's registered public key; NotFoundError (no such station) or
    TransmissionAuthError (not a device of that station) otherwise."""
    place = election.place(station_id)
    if place is None:
        raise NotFoundError(f"no station {station_id!r} in election {election.id}")
    registered = place.station.device(device)
    if registered is None:
        raise TransmissionAuthError(
            f"{device!r} is not a registered device of station {station_id}"
        )
    return registered.public_key


def check_requests(
    election: Election, requests: Sequence[SignedProtocol],
    backups: Mapping[str, Collection[str]], now: float,
) -> list[Checked]:  # fmt: skip
    """Authenticate each request and examine its protocol (pure: the examiner processes run
    this). `now`: the server's clock when the batch formed, seconds since 1970."""
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(now, UTC)
    out = []
    for r in requests:
        try:
            key = raw_public_key(r.public_key)
        except SignatureError:
            out.append(Checked(f"device {r.device} has no valid public key"))
            continue
        try:
            message = check_request(
                key, PROTOCOL_REQUEST_PURPOSE, method="POST", path=r.path, body=r.body,
                timestamp=r.timestamp, nonce=r.nonce, signature=r.signature, now=at,
            )  # fmt: skip
        except RequestAuthError as err:
            out.append(Checked(str(err)))
            continue
        digest = hashlib.sha256(message).hexdigest()
        parsed = parse_envelope(r.body)
        wrong = _misaddressed(parsed[0], r.station_id, r.device)
        if wrong:
            out.append(Checked(None, digest, tuple(wrong)))
            continue
        x = examine_submission(election, r.source, r.body, backups, parsed)
        out.append(Checked(None, digest, (), x.for_writer()))
    return out


def _misaddressed(envelope: dict[str, Any] | None, station_id: str, device: str) -> list[Problem]:
    """The envelope must be the one the request names: this station's, signed by this device."""
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


def _prepare(
    db: Database, election: Election, station_id: str, *, device: str, path: str, body: bytes,
    timestamp: str, nonce: str, signature: str,
) -> SignedProtocol:  # fmt: skip
    public_key = addressed(db, election, station_id, device)
    return SignedProtocol(election.id, station_id, device, public_key, path, body, timestamp,
                          nonce, signature)  # fmt: skip


def transmit_protocol(
    db: Database, election_id: str, station_id: str, *, device: str, path: str, body: bytes,
    timestamp: str, nonce: str, signature: str, admit: Callable[[str], bool] | None = None,
) -> Transmission:  # fmt: skip
    """Authenticate, answer a resend as recorded, else judge the protocol and keep the answer;
    blocks until the answer is committed (from a worker thread).

    `admit(device)` is asked once the device is known to have signed (a rate limit charged
    before that could be emptied by anyone: device ids are public). Raises NotFoundError (no
    such election or station), TransmissionAuthError and OverRateLimit.
    """
    from achyk.services.transmission_queue import enqueue

    election = get_election(db, election_id)
    request = _prepare(db, election, station_id, device=device, path=path, body=body,
                       timestamp=timestamp, nonce=nonce, signature=signature)  # fmt: skip
    answer = enqueue(db, election, request, admit)
    assert isinstance(answer, Future)
    return answer.result()


# Each database's elections, once parsed: the event loop must not wait on a 30 MB parse.
_elections: weakref.WeakKeyDictionary[Database, dict[str, Election]] = weakref.WeakKeyDictionary()


async def transmit_protocol_async(
    db: Database, election_id: str, station_id: str, *, device: str, path: str, body: bytes,
    timestamp: str, nonce: str, signature: str, admit: Callable[[str], bool] | None = None,
) -> Transmission:  # fmt: skip
    """:func:`transmit_protocol` for the event loop: no worker thread waits for the answer."""
    from achyk.services.transmission_queue import enqueue

    known = _elections.setdefault(db, {})
    election = known.get(election_id)
    if election is None:  # the first request parses the definition: not on the event loop
        election = known[election_id] = await asyncio.to_thread(get_election, db, election_id)
    request = _prepare(db, election, station_id, device=device, path=path, body=body,
                       timestamp=timestamp, nonce=nonce, signature=signature)  # fmt: skip
    answer = enqueue(db, election, request, admit, asyncio.get_running_loop())
    assert isinstance(answer, asyncio.Future)
    result: Transmission = await answer
    return result


def now_s() -> float:
    return time.time()


def dumps(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)
