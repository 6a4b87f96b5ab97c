"""POST /api/elections/{id}/register/moves: Form 2 over HTTP, signed by a CEC authority, on SQLite
and PostgreSQL. Every answer — accepted or refused — is checked not to carry the personal number."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import CHECKIN_PURPOSE, ELECTION_TZ, VoterEntry
from achyk.domain.signed_request import AUTHORITY_REQUEST_PURPOSE, sign_request
from achyk.services.elections import load_election
from achyk.services.ledger import log_size
from achyk.services.register import import_register, register_stats
from achyk.store.database import Database
from factories import device_key, election

SECRET = b"api-register-secret-0123456789"
EID = "test-2025"
PATH = f"/api/elections/{EID}/register/moves"
BORN = date(1979, 6, 15)
VOTERS = [make_kg_pin(Sex.MALE, BORN, i) for i in range(4)]
STRANGER = make_kg_pin(Sex.MALE, BORN, 77)  # not on the register


class Client:
    """A test client that signs as a CEC authority and checks no answer quotes a voter."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def post(
        self,
        body: dict[str, Any] | bytes,
        *,
        key: Ed25519PrivateKey | None = None,
        authority: str = "cec",
        purpose: str = AUTHORITY_REQUEST_PURPOSE,
        nonce: str | None = None,
        timestamp: str | None = None,
        signed_body: bytes | None = None,
        path: str = PATH,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        ts = timestamp or str(int(time.time()))
        nonce = nonce or secrets.token_hex(12)
        sig = sign_request(key or device_key("cec"), purpose, "POST", path,
                           raw if signed_body is None else signed_body, ts, nonce)  # fmt: skip
        headers = {"X-Authority": authority, "X-Timestamp": ts, "X-Nonce": nonce,
                   "X-Signature": sig, "Content-Type": "application/json"}  # fmt: skip
        return self.checked(self.http.post(path, content=raw, headers=headers))

    def checked(self, response: httpx.Response) -> httpx.Response:
        for number in [*VOTERS, STRANGER]:
            assert number not in response.text, response.text
        return response


def start(db: Database, day: date) -> Client:
    load_election(db, dataclasses.replace(election(), date=day.isoformat()))
    voters = [VoterEntry(n, "Voter", BORN, "1001") for n in VOTERS]
    import_register(db, EID, voters, SECRET)
    app = create_app(db=db)
    app.state.register_secret = SECRET
    return Client(TestClient(app))


def local_today() -> date:
    return datetime.now(ELECTION_TZ).date()


@pytest.fixture
def client(db: Database) -> Iterator[Client]:
    yield start(db, local_today() + timedelta(days=60))


def test_a_signed_move_answers_stations_and_log_entry(client: Client, db: Database) -> None:
    size = log_size(db, EID)
    r = client.post({"personal_number": VOTERS[0], "to_station": "9001"})
    assert r.status_code == 201, r.text
    assert r.json() == {"election": EID, "from_station": "1001", "to_station": "9001",
                        "log_index": size}  # fmt: skip
    assert register_stats(db, EID).moves == 1 and log_size(db, EID) == size + 1


def test_only_a_fresh_request_signed_by_an_authority_moves_anyone(
    client: Client, db: Database
) -> None:
    body = {"personal_number": VOTERS[1], "to_station": "2001"}
    unsigned = client.checked(client.http.post(PATH, json=body))
    assert unsigned.status_code == 422  # the X- headers are required
    refused = {
        "a station device's key": client.post(body, key=device_key("1001-a")),
        "an unknown authority": client.post(body, authority="mallory"),
        "the check-in purpose": client.post(body, purpose=CHECKIN_PURPOSE),
        "another body": client.post(body, signed_body=b'{"to_station": "2001"}'),
        "a stale timestamp": client.post(body, timestamp=str(int(time.time()) - 3600)),
        "a bad nonce": client.post(body, nonce="short"),
    }
    for what, r in refused.items():
        assert r.status_code == 401, (what, r.text)
    assert "does not verify" in refused["a station device's key"].json()["detail"]
    assert "not an authority" in refused["an unknown authority"].json()["detail"]
    assert "stale" in refused["a stale timestamp"].json()["detail"]
    assert register_stats(db, EID).moves == 0
    once = client.post(body, nonce="nonce-0001")
    assert once.status_code == 201, once.text
    replay = client.post(body, nonce="nonce-0001")
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    assert register_stats(db, EID).moves == 1


def test_refusals_are_409_or_422_with_the_reason(client: Client, db: Database) -> None:
    cases = [
        ({"personal_number": VOTERS[2], "to_station": "1001"}, 409, "already registered at 1001"),
        ({"personal_number": STRANGER, "to_station": "9001"}, 409, "not on the register"),
        ({"personal_number": VOTERS[2], "to_station": "4242"}, 422, "no station '4242'"),
        ({"personal_number": VOTERS[2][:-1], "to_station": "9001"}, 422, "not a valid personal"),
    ]
    for body, status, reason in cases:
        r = client.post(body)
        assert r.status_code == status, (body, r.text)
        assert reason.replace("at 1001", "at station 1001") in r.json()["detail"]
    # A malformed body is refused without echoing what it held.
    extra = client.post({"personal_number": VOTERS[2], "to_station": "9001", "name": "Aibek"})
    assert extra.status_code == 422 and "Aibek" not in extra.text
    missing = client.post({"personal_number": VOTERS[2]})
    assert missing.status_code == 422
    assert client.post(b"not json").status_code == 422
    assert register_stats(db, EID).moves == 0


def test_from_election_day_on_a_move_is_409(db: Database) -> None:
    client = start(db, local_today() - timedelta(days=1))
    r = client.post({"personal_number": VOTERS[0], "to_station": "9001"})
    assert r.status_code == 409 and "Form 2 is accepted until" in r.json()["detail"]
    assert register_stats(db, EID).moves == 0


def test_unknown_election_is_404(client: Client) -> None:
    path = "/api/elections/nowhere/register/moves"
    body = {"personal_number": VOTERS[0], "to_station": "9001"}
    assert client.post(body, path=path).status_code == 404


def test_the_openapi_document_describes_the_move(client: Client) -> None:
    doc = client.http.get("/openapi.json").json()
    op = doc["paths"]["/api/elections/{election_id}/register/moves"]["post"]
    assert {"201", "401", "409", "422"} <= set(op["responses"])
    out = doc["components"]["schemas"]["MoveOut"]["properties"]
    assert set(out) == {"election", "from_station", "to_station", "log_index"}
    headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
    assert headers == {"x-authority", "x-timestamp", "x-nonce", "x-signature"}
