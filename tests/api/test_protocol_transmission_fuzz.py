"""Fuzzing the protocol transmission endpoint: never a 500, whatever comes.

Unsigned and malformed requests are covered one by one in test_protocol_transmission.py; here
hypothesis sends properly *signed* requests whose bodies are mutations of a valid envelope, so
the fuzz reaches the judgement behind the signature check. (It found that an integer beyond 2^53,
which JSON carries and RFC 8785 cannot, crashed the submission: tests/services/
test_unrepresentable_numbers.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from achyk.api.app import create_app
from achyk.api.device_checkin import DeviceLimits
from achyk.cli.transmit import protocol_request, sign_protocol
from achyk.services.elections import load_election
from achyk.store.database import Database
from factories import device_key, election, protocol_doc


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "achyk.db"
    db = Database.open(f"sqlite:///{path}")
    load_election(db, election())
    app = create_app(db=db)
    app.state.device_limits = DeviceLimits(rate=1e6, burst=1e6)
    yield app
    db.close()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _values(ints: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), ints, st.text(max_size=8), st.lists(ints, max_size=2),
        st.dictionaries(st.text(max_size=4), ints, max_size=3),
    )  # fmt: skip


SIGNABLE = st.integers(-(2**53) + 1, 2**53 - 1)  # what the device can sign (RFC 8785)
PROTOCOL_KEYS = ["election", "station", "contest", "kind", "valid", "invalid", "votes",
                 "cancelled", "form", "lost", "extra"]  # fmt: skip


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    changes=st.dictionaries(st.sampled_from(PROTOCOL_KEYS), _values(SIGNABLE), max_size=3),
    envelope_changes=st.dictionaries(
        st.sampled_from(["device", "signature", "protocol", "x"]),
        _values(st.integers()),
        max_size=2,
    ),
)
def test_signed_mutated_envelopes_are_judged_never_500(
    client: TestClient, changes: dict[str, Any], envelope_changes: dict[str, Any]
) -> None:
    doc = {**protocol_doc(), **changes}
    envelope = {**sign_protocol(device_key("1001-a"), "1001-a", doc), **envelope_changes}
    base = {**protocol_doc(), "station": "1001", "election": "test-2025"}
    # The request is addressed by a sane protocol so that it reaches the route; the body is the
    # mutated envelope, signed as the device would sign it.
    r = protocol_request("http://testserver", device_key("1001-a"), "1001-a", {"protocol": base})
    body = json.dumps(envelope, default=str).encode()
    from achyk.domain.signed_request import PROTOCOL_REQUEST_PURPOSE, device_headers

    headers = device_headers(device_key("1001-a"), PROTOCOL_REQUEST_PURPOSE, "1001-a", r.path, body,
                             r.headers["X-Timestamp"], r.headers["X-Nonce"])  # fmt: skip
    res = client.post(r.path, content=body, headers=headers)
    assert res.status_code in (200, 201, 409, 422), (res.status_code, res.text[:300])
    answer = res.json()
    assert answer["outcome"] in ("accepted", "duplicate", "rejected", "conflict")
    if answer["outcome"] == "rejected":
        assert answer["problems"]
