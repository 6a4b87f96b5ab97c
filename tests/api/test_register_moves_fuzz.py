"""Schemathesis fuzzes the Form 2 endpoint from the API's OpenAPI document: never a 500.

Each generated request goes twice: as generated (random headers: the authority check turns it
away) and again correctly signed by the test CEC key, so the fuzzed body reaches the move itself.
Neither answer may be a 500, nor quote a voter's personal number.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from achyk.api.app import create_app
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import ELECTION_TZ, VoterEntry
from achyk.domain.signed_request import AUTHORITY_REQUEST_PURPOSE, sign_request
from achyk.services.elections import load_election
from achyk.services.register import import_register
from achyk.store.database import Database
from factories import device_key, election

SECRET = b"fuzz-register-secret-00000002"
BORN = date(1980, 1, 1)
VOTERS = [make_kg_pin(Sex.MALE, BORN, i) for i in range(5)]


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, TestClient]]:
    path: Path = tmp_path_factory.mktemp("fuzz-moves") / "achyk.db"
    db = Database.open(f"sqlite:///{path}")
    day = datetime.now(ELECTION_TZ).date() + timedelta(days=60)
    load_election(db, dataclasses.replace(election(), date=day.isoformat()))
    import_register(db, "test-2025", [VoterEntry(n, "V", BORN, "1001") for n in VOTERS], SECRET)
    app = create_app(db=db)
    app.state.register_secret = SECRET
    yield schemathesis.openapi.from_asgi("/openapi.json", app), TestClient(app)
    db.close()


def test_form2_endpoint_never_answers_500(wired: tuple[Any, TestClient]) -> None:
    api_schema, client = wired
    operations = list(api_schema.include(path_regex=r"register/moves$").get_all_operations())
    assert len(operations) == 1
    operation = operations[0].ok()
    statuses: list[int] = []

    def no_leak(text: str) -> None:
        assert not any(n in text for n in VOTERS), text[:300]

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def never_500(case: Any) -> None:
        case.path_parameters = {**(case.path_parameters or {}), "election_id": "test-2025"}
        response = case.call()
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.path, case.headers, response.text[:300])
        no_leak(response.text)
        body = json.dumps(case.body).encode() if isinstance(case.body, dict) else b"{}"
        path, ts, nonce = (
            "/api/elections/test-2025/register/moves",
            str(int(time.time())),
            (secrets.token_hex(12)),
        )
        sig = sign_request(device_key("cec"), AUTHORITY_REQUEST_PURPOSE, "POST", path, body, ts,
                           nonce)  # fmt: skip
        signed = client.post(path, content=body, headers={
            "X-Authority": "cec", "X-Timestamp": ts, "X-Nonce": nonce, "X-Signature": sig,
            "Content-Type": "application/json"})  # fmt: skip
        statuses.append(signed.status_code)
        assert signed.status_code < 500, (body, signed.text[:300])
        assert signed.status_code != 401, signed.text  # the signature itself always holds
        no_leak(signed.text)

    never_500()
    # The fuzzer really reached the API: as generated, the requests were turned away.
    assert len(statuses) >= 60 and {401, 422} & set(statuses[::2]), sorted(set(statuses))
