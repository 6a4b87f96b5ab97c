"""Stations transmit protocols over HTTP (a real uvicorn server), on SQLite and PostgreSQL.

A device signs the request as it signs check-ins; the same signed request sent again after its
answer was lost is answered as it first was; every kind of bad request is refused with its
reason, and every refusal of a protocol is kept as evidence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from achyk.api.app import create_app
from achyk.api.device_checkin import DeviceLimits
from achyk.cli.transmit import SignedRequest, protocol_request, send, sign_protocol
from achyk.formats.definition import election_from_document, election_to_document
from achyk.services.elections import load_election
from achyk.services.protocols import record_device_switch
from achyk.services.publish import publish
from achyk.store.database import Database
from achyk.store.models import ProtocolRow, RejectionRow
from achyk.store.transmission_models import ProtocolTransmissionRow
from achyk.verify.record import verify_record
from factories import device_key, election, protocol_doc
from live_server import serving


def serve(db: Database, burst: int) -> Iterator[str]:
    doc = election_to_document(election())
    doc["form"] = "ru-duma"  # the Russian form: early voting, lost and unaccounted ballots
    load_election(db, election_from_document(doc))
    app = create_app(db=db)
    app.state.device_limits = DeviceLimits(rate=0.001, burst=burst)
    with serving(app) as url:
        yield url


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    yield from serve(db, burst=40)


@pytest.fixture
def tight(db: Database) -> Iterator[str]:
    yield from serve(db, burst=3)


def ru(station: str = "1001", **lines: Any) -> dict[str, Any]:
    doc = protocol_doc(station=station, votes={"a": 500, "b": 300, "c": 150, "against-all": 10})
    doc.update(form="ru-duma", voters_on_list=2000, ballots_received=1500, issued_early=30,
               issued_in_station=900, issued_outside=50, cancelled=515, lost=7, unaccounted=2,
               found_mobile=50, found_stationary=925, invalid=15, valid=960)  # fmt: skip
    doc.update(lines)
    return doc


def request(url: str, doc: dict[str, Any], device: str | None = None, signer: str | None = None,
            **kw: Any) -> SignedRequest:  # fmt: skip
    device = device or f"{doc['station']}-a"
    envelope = sign_protocol(device_key(device), device, doc)
    return protocol_request(url, device_key(signer or device), device, envelope, **kw)


def post(r: SignedRequest, **changes: Any) -> tuple[int, dict[str, Any]]:
    headers = {**r.headers, **changes.pop("headers", {})}
    res = httpx.post(changes.pop("url", r.url), content=changes.pop("body", r.body),
                     headers=headers, timeout=30)  # fmt: skip
    return res.status_code, res.json()


def count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_transmit_then_resend_after_a_lost_answer(server: str, db: Database) -> None:
    r = request(server, ru())
    status, first = send(r)
    assert status == 201 and first["outcome"] == "accepted", first
    assert isinstance(first["log_index"], int) and first["log_index"] >= 1
    assert len(first["document_hash"]) == 64 and first["problems"] == first["flags"] == []
    # The answer was lost: the device sends the very same request; it gets that answer again,
    # not "duplicate", and nothing is recorded twice.
    assert send(r) == (201, first)
    assert count(db, ProtocolRow) == 1
    # A new request (new nonce) with the same protocol is judged: the same protocol, a duplicate.
    status, again = send(request(server, ru()))
    assert (status, again["outcome"], again["log_index"]) == (200, "duplicate", None)


def test_a_flagged_protocol_is_accepted_over_http(server: str, db: Database) -> None:
    doc = ru(found_stationary=940, valid=975, votes={"a": 510, "b": 305, "c": 150,
                                                     "against-all": 10})  # fmt: skip
    status, answer = send(request(server, doc))
    assert status == 201 and answer["outcome"] == "accepted"
    assert answer["flags"] == ["line 7 + line 8: line 7 50 + line 8 940 = 990 > line 3 30 + "
                               "line 4 900 + line 5 50 = 980"]  # fmt: skip
    assert count(db, ProtocolRow) == 1


def test_refusals_of_the_protocol_are_kept_as_evidence_and_resent_as_answered(
    server: str, db: Database
) -> None:
    broken = request(server, ru(lost=6))
    status, answer = send(broken)
    assert status == 422 and answer["outcome"] == "rejected"
    assert answer["problems"] == [
        "line 2 (ballots received by the precinct commission): 1500 ≠ line 3 30 + line 4 900 "
        "+ line 5 50 + line 6 515 + line 11 6 − line 12 2 = 1499"
    ]
    assert isinstance(answer["log_index"], int)
    assert send(broken) == (422, answer)  # the first answer, not judged anew
    # a protocol missing its fields; a body that is not JSON at all
    r = request(server, ru())
    junk = protocol_request(server, device_key("1001-a"), "1001-a",
                            {"protocol": {"election": "test-2025", "station": "1001"}})  # fmt: skip
    status, answer = send(junk)
    assert status == 422 and "protocol.contest: required (a non-empty string)" in answer["problems"]
    not_json = replace(request(server, ru()), body=b"{not json")
    status, answer = send(replace(not_json, headers=signed_as_1001(not_json)))
    assert status == 422 and answer["problems"][0].startswith("line 1, column 2: not-json")
    # the protocol's own signature does not verify (signed by another device's key)
    envelope = sign_protocol(device_key("1002-a"), "1001-a", ru())
    status, answer = send(protocol_request(server, device_key("1001-a"), "1001-a", envelope))
    assert status == 422 and any("signature: device 1001-a" in p for p in answer["problems"])
    # a backup signs before any switch is recorded
    status, answer = send(request(server, ru(), device="1001-b"))
    assert status == 422
    assert answer["problems"] == ["device: backup 1001-b signed, but no switch to it is recorded "
                                  "for station 1001"]  # fmt: skip
    # a different protocol for a filled slot: a conflict, kept
    assert send(r)[0] == 201
    status, answer = send(request(server, ru(votes={"a": 501, "b": 299, "c": 150,
                                                    "against-all": 10})))  # fmt: skip
    assert status == 409 and answer["outcome"] == "conflict"
    assert count(db, RejectionRow) == 6
    # …and after the switch, the backup's protocol for another kind is accepted
    record_device_switch(db, "test-2025", "1001", "1001-a", "1001-b", "scanner failed")
    status, answer = send(request(server, ru(kind="official"), device="1001-b"))
    assert status == 201, answer


def test_misaddressed_envelopes_are_refused_and_kept(server: str, db: Database) -> None:
    # the request is 1001's, the protocol 1002's
    doc = ru(station="1002")
    envelope = sign_protocol(device_key("1002-a"), "1002-a", doc)
    r = protocol_request(server, device_key("1001-a"), "1001-a", envelope)
    r = replace(r, url=r.url.replace("/1002/", "/1001/"), path=r.path.replace("/1002/", "/1001/"))
    r = replace(r, headers=signed_as_1001(r))
    status, answer = send(r)
    assert status == 422
    assert answer["problems"] == [
        "protocol.station: '1002', but the request is for station 1001",
        "device: '1002-a', but the request is signed by device 1001-a",
    ]
    assert send(r) == (422, answer)
    with db.read() as s:
        kept = s.scalars(select(ProtocolTransmissionRow)).one()
        assert kept.refused == r.body and kept.status == 422
    assert count(db, ProtocolRow) == 0


def signed_as_1001(r: SignedRequest) -> dict[str, str]:
    """Re-sign a request for its (changed) path or body, as 1001-a."""
    from achyk.domain.signed_request import PROTOCOL_REQUEST_PURPOSE, device_headers

    h = device_headers(device_key("1001-a"), PROTOCOL_REQUEST_PURPOSE, "1001-a", r.path, r.body,
                       r.headers["X-Timestamp"], r.headers["X-Nonce"])  # fmt: skip
    return {**h, "Content-Type": "application/json"}


def test_every_bad_request_is_refused_with_its_reason(server: str, db: Database) -> None:
    doc = ru()
    stale = int(time.time()) - 3600
    cases: list[tuple[SignedRequest, dict[str, Any], int, str]] = [
        (request(server, doc, device="9999-a"), {}, 401,
         "'9999-a' is not a registered device of station 1001"),
        (request(server, doc, device="1002-a"), {}, 401,
         "'1002-a' is not a registered device of station 1001"),
        (request(server, doc, signer="1002-a"), {}, 401, "the request signature does not verify"),
        (request(server, doc, timestamp=stale), {}, 401, "stale request: timestamp is"),
        (request(server, doc, nonce="short"), {}, 401, "the nonce must be 8–64 characters"),
        (request(server, doc), {"body": request(server, ru(lost=8, unaccounted=3)).body}, 401,
         "the request signature does not verify"),
        (request(server, doc), {"headers": {"X-Signature": "!!"}}, 401, "X-Signature is not base64"),
        (request(server, doc), {"url": f"{server}/api/elections/nope/stations/1001/protocols"},
         404, "no election 'nope'"),
        (request(server, doc), {"url": f"{server}/api/elections/test-2025/stations/7/protocols"},
         404, "no station '7'"),
        (request(server, doc), {"body": b"x" * (300 * 1024)}, 413, "at most 256 KiB"),
    ]  # fmt: skip
    for r, changes, status, reason in cases:
        got, answer = post(r, **changes)
        assert got == status and reason in str(answer["detail"]), (reason, got, answer)
    # a missing header
    r = request(server, doc)
    headers = {k: v for k, v in r.headers.items() if k != "X-Nonce"}
    res = httpx.post(r.url, content=r.body, headers=headers)
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["header", "x-nonce"]
    # a header twice
    res = httpx.post(r.url, content=r.body,
                     headers=[*r.headers.items(), ("X-Nonce", "another-nonce-1")])  # fmt: skip
    assert res.status_code == 400 and "sent twice" in res.json()["detail"]
    # one nonce, two different requests: the second is refused
    assert send(request(server, doc, nonce="nonce-0001"))[0] == 201
    status, answer = send(request(server, ru(kind="official"), nonce="nonce-0001"))
    assert status == 401 and "nonce nonce-0001 was already used" in answer["detail"]
    # None of these was judged, so none is in the log or among the rejections.
    assert count(db, RejectionRow) == 0 and count(db, ProtocolRow) == 1


def test_an_authenticated_device_over_its_rate_limit_is_told_so(tight: str) -> None:
    # Only a device that really signed is charged: forged requests do not empty its bucket.
    for _ in range(5):
        assert send(request(tight, ru(), signer="1002-a"))[0] == 401
    answers = [send(request(tight, ru(kind="official" if i else "preliminary")))
               for i in range(4)]  # fmt: skip
    assert [status for status, _ in answers] == [201, 201, 200, 429]
    assert answers[3][1]["detail"] == "device 1001-a is over its rate limit"


def test_the_transmitted_record_verifies(server: str, db: Database, tmp_path: Path) -> None:
    send(request(server, ru()))  # accepted
    send(
        request(
            server,
            ru(
                station="1002",
                found_stationary=940,
                valid=975,
                votes={"a": 510, "b": 305, "c": 150, "against-all": 10},
            ),
        )
    )  # flagged
    send(request(server, ru(station="2001", lost=6)))  # refused
    record = tmp_path / "record"
    publish(db, "test-2025", record)
    report = verify_record(str(record))
    assert report.ok, [c for c in report.checks if not c[1]]
    definition = json.loads((record / "definition.json").read_text())
    assert definition["form"]["id"] == "ru-duma"
    # The flagged protocol is counted, and listed in the record's anomalies…
    listed = json.loads((record / "anomalies.json").read_text())
    [flagged] = listed["protocols"]
    assert (flagged["station"], flagged["kind"]) == ("1002", "preliminary")
    assert flagged["flags"][0].startswith("line 7 + line 8: line 7 50 + line 8 940 = 990 >")
    # …which an operator can neither empty nor pad: the verifier recomputes it from the log.
    (record / "anomalies.json").write_text(json.dumps({**listed, "protocols": []}))
    failed = {name: detail for name, ok, detail in verify_record(str(record)).checks if not ok}
    detail = failed["anomalies the protocol form flags, recomputed from the log"]
    assert detail.startswith("anomalies.json omits {")


def test_copies_sent_at_once_get_one_answer_and_a_nonce_serves_one_request(
    server: str, db: Database
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # The same signed request, sent six times at once (the answers may fall in one batch):
    # one judgement, one answer, given to every copy.
    r = request(server, ru())
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: post(r), range(6)))
    assert answers == [answers[0]] * 6 and answers[0][0] == 201, answers
    assert count(db, ProtocolRow) == 1 and count(db, ProtocolTransmissionRow) == 1
    # Six different requests under one nonce at once: exactly one is judged, the rest refused.
    # (one device, 2001-a: a nonce is spent per device)
    different = [request(server, ru(station="2001", kind=kind, invalid=15 + i, valid=960 - i),
                         nonce="shared-nonce-1")
                 for kind in ("preliminary", "official") for i in range(3)]  # fmt: skip
    assert len({r.body for r in different}) == 6
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, different))
    judged = [status for status, _ in answers if status != 401]
    assert len(judged) == 1 and judged[0] in (201, 409, 422), answers
    assert all("nonce shared-nonce-1 was already used" in str(a["detail"])
               for status, a in answers if status == 401)  # fmt: skip


@pytest.fixture
def framework(db: Database) -> Iterator[str]:
    """The documented FastAPI route, with the fast path that answers ahead of it turned off."""
    doc = election_to_document(election())
    doc["form"] = "ru-duma"
    load_election(db, election_from_document(doc))
    app = create_app(db=db)
    app.state.device_limits = DeviceLimits(rate=0.001, burst=40)
    app.state.device_fast_path = False
    with serving(app) as url:
        yield url


def test_the_documented_route_answers_as_the_fast_path(framework: str, db: Database) -> None:
    r = request(framework, ru())
    status, first = send(r)
    assert status == 201 and first["outcome"] == "accepted" and first["log_index"] >= 1
    assert send(r) == (201, first)
    assert send(request(framework, ru(lost=6)))[0] == 422
    got, answer = post(request(framework, ru(), signer="1002-a"))
    assert (got, answer["detail"]) == (401, "the request signature does not verify")
    got, answer = post(request(framework, ru()), body=b"x" * (300 * 1024))
    assert got == 413 and "at most 256 KiB" in answer["detail"]
    missing = request(framework, ru())
    headers = {k: v for k, v in missing.headers.items() if k != "X-Nonce"}
    res = httpx.post(missing.url, content=missing.body, headers=headers)
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["header", "x-nonce"]
    assert count(db, ProtocolRow) == 1
