"""The device check-in endpoint over HTTP, on SQLite and PostgreSQL.

Every test runs twice more: through the fast path that answers check-ins ahead of the framework
(what a server does) and through the route declared for the OpenAPI document. Both must give the
same answers, since the document describes the one and the stations use the other.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from achyk.api.app import create_app
from achyk.api.device_checkin import DeviceLimits
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import VoterEntry, request_message
from achyk.services.elections import load_election
from achyk.services.register import import_register, register_stats
from achyk.store.database import Database
from factories import device_key, election

SECRET = b"api-test-register-secret-000001"
BORN = date(1980, 1, 1)
VOTERS = [make_kg_pin(Sex.MALE, BORN, i) for i in range(6)]


@pytest.fixture(params=["fast path", "declared route"])
def client(db: Database, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    load_election(db, election())
    import_register(db, "test-2025", [VoterEntry(p, "V", BORN, "1001") for p in VOTERS], SECRET)
    app = create_app(db=db)
    app.state.register_secret = SECRET
    app.state.device_fast_path = request.param == "fast path"
    with TestClient(app) as c:
        yield c


_sent = iter(range(10**9))


def post(
    client: TestClient,
    station: str,
    body: bytes | dict[str, object],
    *,
    device: str | None = None,
    signer: str | None = None,
    timestamp: int | None = None,
    nonce: str | None = None,
    drop: str | None = None,
    prefix: str = "",
) -> tuple[int, dict[str, object]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    device = device or f"{station}-a"
    path = f"{prefix}/api/elections/test-2025/stations/{station}/checkins"
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or f"nonce-{next(_sent):08d}"
    sig = device_key(signer or device).sign(request_message("POST", path, raw, ts, nonce))
    headers = {"X-Device": device, "X-Timestamp": ts, "X-Nonce": nonce,
               "X-Signature": base64.b64encode(sig).decode(),
               "Content-Type": "application/json"}  # fmt: skip
    if drop:
        del headers[drop]
    r = client.post(path, content=raw, headers=headers)
    assert r.headers["content-type"].startswith("application/json")
    return r.status_code, r.json()


def voter(i: int, matched: bool = True) -> dict[str, object]:
    return {"personal_number": VOTERS[i], "biometric": {"matched": matched, "score": 0.9}}


def test_a_ballot_once_then_refusals_that_name_it(client: TestClient, db: Database) -> None:
    status, first = post(client, "1001", voter(0))
    assert status == 200 and first["accepted"] is True and first["reason"] is None
    assert (first["station"], first["message"]) == ("1001", "ballot issued")
    hhmm = str(first["at"])[11:16]  # UTC; refusals show Bishkek time (UTC+6)
    named = f"already voted at station 1001 at {(int(hhmm[:2]) + 6) % 24:02d}:{hhmm[3:]}"
    for station in ("1001", "1002", "9001"):
        status, again = post(client, station, voter(0))
        assert (status, again["reason"], again["message"]) == (409, "already-voted", named)
    status, other = post(client, "1002", voter(1))
    assert (status, other["message"]) == (409, "registered at station 1001, not at this one")
    status, unmatched = post(client, "1001", voter(2, matched=False))
    assert (status, unmatched["reason"]) == (409, "biometric-mismatch")
    status, bad = post(client, "1001", {"personal_number": "12345", "biometric": {
        "matched": True, "score": 0.9}})  # fmt: skip
    assert (status, bad["reason"]) == (409, "bad-personal-number")
    stats = register_stats(db, "test-2025")
    assert (stats.checkins, stats.refusals) == (1, 6)


def test_requests_not_signed_by_the_station_are_refused(client: TestClient, db: Database) -> None:
    cases = {
        "another station's device": dict(device="1002-a"),
        "a key that is not the device's": dict(signer="1001-b"),
        "a stale timestamp": dict(timestamp=int(time.time()) - 3600),
        "a timestamp that is no number": dict(timestamp=-1, nonce="nonce-ts-bad-1"),
    }
    for what, kw in cases.items():
        status, reply = post(client, "1001", voter(3), **kw)  # type: ignore[arg-type]
        assert status == 401, (what, reply)
    status, reply = post(client, "1001", voter(3), nonce="short")
    assert status == 401 and "nonce" in str(reply["detail"])
    assert register_stats(db, "test-2025").checkins == 0


def test_a_replayed_request_is_refused_even_after_a_refusal(client: TestClient) -> None:
    assert post(client, "1001", voter(3), nonce="nonce-replay-01")[0] == 200
    status, reply = post(client, "1001", voter(4), nonce="nonce-replay-01")
    assert status == 401 and "replayed" in str(reply["detail"])
    # A request that was refused (bad number) spends its nonce too: sent again it gets its own
    # refusal back (a resend), and any other request with that nonce is a replay.
    bad = {"personal_number": "00000000000000", "biometric": {"matched": True, "score": 1}}
    refused = post(client, "1001", bad, nonce="nonce-replay-02")
    assert refused[0] == 409
    assert post(client, "1001", bad, nonce="nonce-replay-02") == refused
    status, reply = post(client, "1001", voter(5), nonce="nonce-replay-02")
    assert status == 401 and "replayed" in str(reply["detail"])


def test_malformed_requests_say_what_is_wrong(client: TestClient) -> None:
    status, reply = post(client, "1001", voter(0), drop="X-Nonce")
    assert status == 422 and ["header", "x-nonce"] in [p["loc"] for p in reply["detail"]]  # type: ignore[attr-defined,index]
    status, reply = post(client, "1001", b'{"personal_number": "1"}')
    assert status == 422 and reply["detail"][0]["loc"] == ["biometric"]  # type: ignore[index]
    status, reply = post(client, "1001", {**voter(0), "channel": "fax"})
    assert status == 422
    status, reply = post(client, "1001", b"x" * 5000)
    assert status == 413
    status, reply = post(client, "1001", b"not json")
    assert status == 422
    r = client.post("/api/elections/nope/stations/1001/checkins", content=b"{}", headers={
        "X-Device": "1001-a", "X-Timestamp": "1", "X-Nonce": "nonce-0000", "X-Signature": "AA=="})  # fmt: skip
    assert r.status_code == 404


def test_a_device_over_its_rate_limit_is_slowed(client: TestClient) -> None:
    client.app.state.device_limits = DeviceLimits(rate=0.001, burst=2)  # type: ignore[attr-defined]
    assert post(client, "1001", voter(0))[0] == 200
    assert post(client, "1001", voter(1))[0] == 200
    status, reply = post(client, "1001", voter(2))
    assert status == 429 and "1001-a" in str(reply["detail"])
    assert post(client, "1002", voter(2), device="1002-a")[0] == 409  # other devices go on


def test_no_reply_carries_the_personal_number(client: TestClient) -> None:
    replies = [post(client, "1001", voter(0)), post(client, "1002", voter(0)),
               post(client, "1002", voter(5))]  # fmt: skip
    assert all(VOTERS[0] not in json.dumps(r) and VOTERS[5] not in json.dumps(r)
               for _, r in replies)  # fmt: skip


def test_a_mistyped_number_is_neither_echoed_nor_stored(client: TestClient, db: Database) -> None:
    typo = VOTERS[0][:3] + "13" + VOTERS[0][5:]  # month 13: one key off a real number
    body = {"personal_number": "13102198000007", "biometric": {"matched": True, "score": 0.9}}
    for number in (typo, "13102198000007", "1234567"):
        status, reply = post(client, "1001", {**body, "personal_number": number})
        assert (status, reply["reason"]) == (409, "bad-personal-number")
        assert str(reply["message"]).startswith("not a valid personal number: ")
        assert not any(run in json.dumps(reply) for run in (number, number[1:9], number[:6]))
    with db.read() as s:
        stored = " ".join(str(row) for row in s.execute(text("SELECT * FROM checkin_refusals")))
    assert "13102198000007" not in stored and "31021980" not in stored and "1234567" not in stored


def test_unsigned_requests_cannot_use_up_a_real_devices_rate(client: TestClient) -> None:
    client.app.state.device_limits = DeviceLimits(rate=0.001, burst=2)  # type: ignore[attr-defined]
    for _ in range(5):  # anyone can name a station's device; only its key can sign
        assert post(client, "1001", voter(0), signer="1002-a")[0] == 401
    assert post(client, "1001", voter(0))[0] == 200
    assert post(client, "1001", voter(1))[0] == 200
    assert post(client, "1001", voter(2))[0] == 429


def test_a_device_header_sent_twice_is_refused(client: TestClient) -> None:
    path = "/api/elections/test-2025/stations/1001/checkins"
    headers = [("X-Device", "1001-a"), ("X-Device", "1002-a"), ("X-Timestamp", "1"),
               ("X-Nonce", "nonce-twice-1"), ("X-Signature", "AA==")]  # fmt: skip
    r = client.post(path, content=b"{}", headers=headers)
    assert r.status_code == 400 and "twice" in r.json()["detail"]


def test_missing_headers_are_named_before_an_oversized_body(client: TestClient) -> None:
    status, reply = post(client, "1001", b"x" * 5000, drop="X-Signature")
    assert status == 422 and ["header", "x-signature"] in [p["loc"] for p in reply["detail"]]  # type: ignore[attr-defined,index]


def test_under_a_path_prefix_the_device_signs_the_whole_path(client: TestClient) -> None:
    # uvicorn --root-path /achyk, behind a proxy that serves the API under /achyk.
    with TestClient(client.app, root_path="/achyk") as prefixed:
        prefixed.app.state.device_fast_path = client.app.state.device_fast_path  # type: ignore[attr-defined]
        assert post(prefixed, "1001", voter(0), prefix="/achyk")[0] == 200
        assert post(prefixed, "1001", voter(1), prefix="/achyk", drop="X-Nonce")[0] == 422


def test_a_request_sent_again_after_a_lost_answer_issues_the_ballot_once(
    client: TestClient, db: Database
) -> None:
    sent = int(time.time())
    first = post(client, "1001", voter(0), nonce="nonce-lost-0001", timestamp=sent)
    again = post(client, "1001", voter(0), nonce="nonce-lost-0001", timestamp=sent)
    assert first[0] == again[0] == 200
    assert again[1]["message"] == "ballot issued (this request was recorded when first sent)"
    assert again[1]["at"] == first[1]["at"]
    assert register_stats(db, "test-2025").checkins == 1
