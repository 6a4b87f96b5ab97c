"""No 500, no traceback, no echoed input — and a database fault is a 503 with Retry-After
(issue 18, defects 5 and 7).

Before: every malformed ``/log/tile/…`` path, ``/log/entries/9223372036854775808``, NaN in a
cosignature or a journal body answered 500; read endpoints answered 500 when the database was
gone; there was no liveness or readiness endpoint.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from achyk.api.app import create_app
from achyk.domain.register import request_message
from achyk.services.elections import load_election
from achyk.services.protocols import submit_protocol
from achyk.store.database import Database, make_engine
from factories import device_key, election, envelope, protocol_doc
from live_server import free_port

SECRET = b"no-500-register-secret-000000001"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    load_election(db, election())
    submit_protocol(db, "test-2025", envelope(protocol_doc()), "p.json")
    app = create_app(db=db)
    app.state.register_secret = SECRET
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


MALFORMED_TILES = [
    "0/x", "0/001", "0/x001/002", "0/000.p/0", "0/000.p/256", "0/000.p/", "entries/", "9/000",
    "entries/x999", "0/" + "9" * 40, "-1/000", "0/000/", "..%2F..%2Fetc", "%00", "0/000.p/1x",
    "entries/000.p/99999999999999999999", "70/000", "0/x" + "123/" * 50 + "000",
]  # fmt: skip


def test_malformed_log_paths_are_404_not_500(client: TestClient) -> None:
    for path in MALFORMED_TILES:
        r = client.get(f"/api/elections/test-2025/log/tile/{path}")
        assert r.status_code in (404, 422), (path, r.status_code, r.text[:200])
    for index in ["9223372036854775808", "9223372036854775807", "-1", "99" * 30]:
        r = client.get(f"/api/elections/test-2025/log/entries/{index}")
        assert r.status_code in (404, 422), (index, r.status_code)
    for size in ["9223372036854775808", "-5"]:
        assert client.get(f"/log/checkpoints/{size}").status_code in (404, 422)
    r = client.get("/log/proof/inclusion", params={"index": 2**70, "size": 2**71})
    assert r.status_code in (400, 422)


def test_nan_bodies_are_refused_without_echo(client: TestClient) -> None:
    for body in [b'{"vkey": NaN, "line": "x"}', b'{"vkey": "a", "line": Infinity}',
                 b'{"vkey": 1e999, "line": "' + b"9" * 5000 + b'"}']:  # fmt: skip
        r = client.post("/api/elections/test-2025/log/cosignatures", content=body,
                        headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 422, (body[:40], r.status_code, r.text[:200])
        assert "input" not in r.json()["detail"][0]


def signed_post(client: TestClient, path: str, body: bytes) -> Any:
    ts, nonce = str(int(time.time())), f"n-{time.monotonic_ns()}"
    sig = device_key("1001-a").sign(request_message("POST", path, body, ts, nonce))
    return client.post(path, content=body, headers={
        "X-Device": "1001-a", "X-Timestamp": ts, "X-Nonce": nonce,
        "X-Signature": base64.b64encode(sig).decode(), "Content-Type": "application/json",
    })  # fmt: skip


def test_hostile_journals_are_named_not_500(client: TestClient) -> None:
    path = "/api/elections/test-2025/stations/1001/journals"
    good = {"journal": {"election": "test-2025", "station": "1001", "entries": []},
            "device": "1001-a", "signature": "x"}  # fmt: skip
    bodies = {
        b'{"journal": NaN, "device": "1001-a", "signature": "x"}': "not-a-number",
        json.dumps(good).replace('"entries": []', '"entries": [9007199254740993]').encode():
            "number-out-of-range",
        b"[" * 50_000 + b"]" * 50_000: "too-deep",
        b"\xff\xfe": "not-utf8",
        b'["journal"]': "not a signed journal",
        json.dumps({**good, "journal": ["x"]}).encode(): "not a signed journal",
    }  # fmt: skip
    for body, reason in bodies.items():
        r = signed_post(client, path, body)
        assert r.status_code == 422, (body[:40], r.status_code, r.text[:200])
        assert reason in r.json()["detail"], (reason, r.json())


def test_liveness_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_an_unreachable_database_is_a_503_with_retry_after() -> None:
    # A PostgreSQL URL where nothing listens: every database access fails to connect.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    db = Database(make_engine(url, connect_args={"connect_timeout": 2}))
    app = create_app(db=db)
    app.state.register_secret = SECRET
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/healthz").status_code == 200
        for path in ["/readyz", "/api/elections", "/api/elections/test-2025/results",
                     "/log/checkpoint", "/api/elections/test-2025/log/entries/0"]:  # fmt: skip
            r = c.get(path)
            assert r.status_code == 503 and r.headers["retry-after"] == "2", (path, r.text)
            assert "Traceback" not in r.text
        r = signed_post(
            c,
            "/api/elections/test-2025/stations/1001/checkins",
            b'{"personal_number": "x", "biometric": {"matched": true, "score": 1}}',
        )
        assert r.status_code == 503 and r.headers["retry-after"] == "2", r.text
    db.close()


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = Database.open(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'achyk.db'}")
    load_election(db, election())
    submit_protocol(db, "test-2025", envelope(protocol_doc()), "p.json")
    app = create_app(db=db)
    app.state.register_secret = SECRET
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    db.close()


def test_no_endpoint_answers_500(api_schema: Any) -> None:
    """Schemathesis: every operation in the OpenAPI document, a few examples each."""
    statuses: list[int] = []
    operations = [r.ok() for r in api_schema.get_all_operations()]
    for operation in operations:

        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def never_500(case: Any) -> None:
            if "election_id" in (case.path_parameters or {}):
                case.path_parameters["election_id"] = "test-2025"
            response = case.call()
            statuses.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.path_parameters,
                                                case.query, response.text[:300])  # fmt: skip

        never_500()
    assert len(operations) >= 20 and len(statuses) >= 80, (len(operations), len(statuses))
