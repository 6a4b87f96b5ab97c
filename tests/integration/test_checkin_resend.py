"""Resend means resend: a check-in request sent again (same signed request, same nonce) gets the
answer of that very request — its ballot or its refusal, same status, same reason — and is never
judged anew into a ballot.

Over HTTP against a real uvicorn server, on SQLite and PostgreSQL, with the answer lost at every
point of the exchange (the request cut in its headers or its body, the connection dropped as soon
as the request is sent, the answer cut after its first bytes, the answer received and the device
restarted), with the same request sent several times at once, and, on PostgreSQL, with the
server's database connections killed while devices check voters in.

The attack that opened issue 18: a voter checked in (200); the same voter again (409 "already
voted"); that refused request resent with its nonce came back ``200 ballot issued`` — and the
station hands out a ballot on a 200.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from achyk.api.app import create_app
from achyk.api.device_checkin import DeviceLimits
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import Channel, VoterEntry, request_message
from achyk.services.checkin import voter_hasher
from achyk.services.elections import load_election
from achyk.services.register import import_register
from achyk.store.async_pg import close_pools
from achyk.store.checkin_statements import fast_checkin_async
from achyk.store.database import Database, make_engine, migrate
from achyk.store.register_models import CheckinRow
from conftest import POSTGRES_URL, require_postgres
from factories import device_key, election
from live_server import serving

SECRET = b"resend-test-register-secret-0001"
BORN = date(1980, 1, 1)
VOTERS = [make_kg_pin(Sex.FEMALE, BORN, i) for i in range(60)]
AT_1002 = VOTERS[-1]  # registered at 1002, so refused at 1001 as "other station"
_nonces = itertools.count()


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]

    def wire(self, host: str) -> bytes:
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {host}",
                 f"Content-Length: {len(self.body)}", "Connection: close"]  # fmt: skip
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def signed(number: str, *, matched: bool = True, device: str = "1001-a") -> Request:
    station = device.split("-")[0]
    body = json.dumps({"personal_number": number,
                       "biometric": {"matched": matched, "score": 0.9}}).encode()  # fmt: skip
    path = f"/api/elections/test-2025/stations/{station}/checkins"
    ts, nonce = str(int(time.time())), f"resend-{uuid.uuid4().hex[:8]}-{next(_nonces)}"
    sig = device_key(device).sign(request_message("POST", path, body, ts, nonce))
    headers = {"X-Device": device, "X-Timestamp": ts, "X-Nonce": nonce,
               "X-Signature": base64.b64encode(sig).decode(),
               "Content-Type": "application/json"}  # fmt: skip
    return Request(path, body, headers)


def send(base: str, req: Request) -> tuple[int, dict[str, Any]]:
    r = httpx.post(base + req.path, content=req.body, headers=req.headers, timeout=30)
    return r.status_code, r.json()


def answered(base: str, req: Request, tries: int = 200) -> tuple[int, dict[str, Any]]:
    """What a device does: send, and on a 503 or a dropped link send the same request again."""
    for _ in range(tries):
        try:
            status, body = send(base, req)
        except httpx.TransportError:
            time.sleep(0.02)
            continue
        if status != 503:
            return status, body
        time.sleep(0.02)
    raise AssertionError("no answer but 503 after many resends")


def lose(base: str, req: Request, point: str) -> None:
    """Send the request and lose it, or its answer, at `point`."""
    host = urlsplit(base).netloc
    wire = req.wire(host)
    head_end = wire.index(b"\r\n\r\n") + 4
    cut = {"in the headers": head_end // 2, "in the body": head_end + len(req.body) // 2}
    with socket.create_connection((urlsplit(base).hostname, urlsplit(base).port)) as s:
        s.sendall(wire[: cut.get(point, len(wire))])
        if point in cut or point == "as soon as sent":
            return
        first = s.recv(1)  # the answer has begun: the request was judged
        assert first == b"H"
        if point == "after the answer":
            while s.recv(65536):
                pass


POINTS = ["in the headers", "in the body", "as soon as sent", "in the answer", "after the answer"]


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    load_election(db, election())
    entries = [VoterEntry(p, "V", BORN, "1001") for p in VOTERS[:-1]]
    import_register(db, "test-2025", [*entries, VoterEntry(AT_1002, "W", BORN, "1002")], SECRET)
    app = create_app(db=db)
    app.state.register_secret = SECRET
    app.state.device_limits = DeviceLimits(1e6, 1e6)  # resends are not a flood here
    with serving(app) as base:
        yield base


def checkins(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(CheckinRow)) or 0)


def same_answer(a: tuple[int, dict[str, Any]], b: tuple[int, dict[str, Any]]) -> bool:
    return a[0] == b[0] and a[1]["reason"] == b[1]["reason"] and a[1]["at"] == b[1]["at"]


def test_a_refused_request_sent_again_is_refused_again(server: str, db: Database) -> None:
    first, second = signed(VOTERS[0]), signed(VOTERS[0])
    assert send(server, first)[0] == 200
    refused = send(server, second)
    assert refused[0] == 409 and refused[1]["reason"] == "already-voted"
    for _ in range(3):  # before the fix: 200 "ballot issued (this request was recorded …)"
        again = send(server, second)
        assert again == refused
    resent = send(server, first)
    assert resent[0] == 200 and resent[1]["accepted"] is True
    assert checkins(db) == 1


def test_an_answer_lost_anywhere_is_answered_the_same_when_resent(
    server: str, db: Database
) -> None:
    # At each point, one request of each kind is lost there, then resent until answered.
    for k, point in enumerate(POINTS):
        done, fresh, unmatched = VOTERS[10 + 3 * k : 13 + 3 * k]
        assert send(server, signed(done))[0] == 200
        cases = [
            (signed(fresh), 200, None),
            (signed(done), 409, "already-voted"),
            (signed(unmatched, matched=False), 409, "biometric-mismatch"),
            (signed(AT_1002), 409, "other-station"),
            (signed("12345"), 409, "bad-personal-number"),
        ]
        for req, status, reason in cases:
            lose(server, req, point)
            got = answered(server, req)
            assert (got[0], got[1]["reason"]) == (status, reason), (point, req.body)
            assert same_answer(answered(server, req), got)
        # The voter refused for a failed fingerprint comes back and is matched: a new request,
        # judged on its own, issues the ballot — the refused one, resent, still does not.
        assert send(server, signed(unmatched))[0] == 200
        assert answered(server, cases[2][0])[0] == 409
    assert checkins(db) == 3 * len(POINTS)


def test_the_same_request_sent_many_times_at_once_gets_one_answer(
    server: str, db: Database
) -> None:
    assert send(server, signed(VOTERS[4]))[0] == 200
    fresh, refused = signed(VOTERS[5]), signed(VOTERS[4])
    for req, status in [(fresh, 200), (refused, 409)]:
        results: list[tuple[int, dict[str, Any]]] = []

        def one(r: Request = req, into: list[tuple[int, dict[str, Any]]] = results) -> None:
            into.append(answered(server, r))

        threads = [threading.Thread(target=one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert {r[0] for r in results} == {status}
        assert len({(r[1]["reason"], r[1]["at"]) for r in results}) == 1
    assert checkins(db) == 2


def test_a_nonce_spent_without_an_answer_is_judged_once_then_kept(
    server: str, db: Database
) -> None:
    """PostgreSQL's one-statement path spends the nonce; if the refusal that should follow never
    commits, no answer was given: the resend is judged (refused) and that refusal is its answer."""
    if db.dialect != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    assert send(server, signed(VOTERS[6]))[0] == 200
    req = signed(VOTERS[6])
    voter = voter_hasher(SECRET)(VOTERS[6])
    nonce = req.headers["X-Nonce"]

    async def spend() -> tuple[bool, bool]:
        try:
            from datetime import UTC, datetime

            return await fast_checkin_async(db.engine, "test-2025", voter, "1001",
                                            Channel.STATION, "1001-a", datetime.now(UTC), 9,
                                            nonce)  # fmt: skip
        finally:
            await close_pools()

    assert asyncio.run(spend()) == (True, False)  # spent, not marked; then "the link dropped"
    got = send(server, req)
    assert (got[0], got[1]["reason"]) == (409, "already-voted")
    assert send(server, req) == got
    # The nonce is this request's: the same nonce for another voter is a replay.
    other = signed(VOTERS[7])
    body = other.body
    ts = req.headers["X-Timestamp"]
    sig = device_key("1001-a").sign(request_message("POST", req.path, body, ts, nonce))
    forged = Request(req.path, body, {**req.headers, "X-Signature": base64.b64encode(sig).decode()})
    status, answer = send(server, forged)
    assert status == 401 and "replayed" in answer["detail"]
    assert checkins(db) == 1


# --- database cuts (PostgreSQL) -----------------------------------------------------------------


@pytest.fixture
def cut_db() -> Iterator[tuple[Database, str]]:
    """A PostgreSQL schema whose server connections carry a name of their own, to be killed."""
    require_postgres()
    schema, name = f"t_{uuid.uuid4().hex[:12]}", f"achyk_cut_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema} -capplication_name={name}"}
    )
    migrate(engine)
    db = Database(engine)
    try:
        yield db, name
    finally:
        db.close()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def kill_connections(admin: Engine, name: str) -> int:
    with admin.begin() as c:
        return len(c.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name = :n AND pid <> pg_backend_pid()"), {"n": name},
        ).all())  # fmt: skip


@pytest.mark.slow
@pytest.mark.postgres
def test_under_database_cuts_no_voter_gets_two_ballots(cut_db: tuple[Database, str]) -> None:
    db, name = cut_db
    load_election(db, election())
    import_register(db, "test-2025", [VoterEntry(p, "V", BORN, "1001") for p in VOTERS], SECRET)
    app = create_app(db=db)
    app.state.register_secret = SECRET
    app.state.device_limits = DeviceLimits(1e6, 1e6)  # resends are not a flood here
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)  # by voter
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    kills = 0

    def device(numbers: list[str], dev: str, base: str) -> None:
        for number in numbers:
            for req in (signed(number, device=dev), signed(number, device=dev)):
                # Each request: lost once as soon as sent, then resent until answered, twice.
                with contextlib.suppress(OSError):
                    lose(base, req, "as soon as sent")
                first, again = answered(base, req), answered(base, req)
                with lock:
                    statuses.extend([first[0], again[0]])
                    answers[number].append(first)
                    assert same_answer(first, again), (first, again)

    def cutter() -> None:
        nonlocal kills
        admin = create_engine(POSTGRES_URL)
        while not stop.is_set():
            kills += kill_connections(admin, name)
            stop.wait(0.3)
        admin.dispose()

    with serving(app) as base:
        killer = threading.Thread(target=cutter)
        killer.start()
        groups = [VOTERS[i::3][:6] for i in range(3)]
        devices = [threading.Thread(target=device, args=(g, d, base))
                   for g, d in zip(groups, ["1001-a", "1001-b", "1001-a"], strict=True)]  # fmt: skip
        for t in devices:
            t.start()
        for t in devices:
            t.join()
        stop.set()
        killer.join()
    assert kills > 0
    assert 500 not in statuses
    db.engine.dispose()  # its pooled connections were killed too
    for number, got in answers.items():
        assert [a[0] for a in got] == [200, 409], number  # one ballot, then "already voted"
    assert checkins(db) == sum(len(g) for g in groups)
