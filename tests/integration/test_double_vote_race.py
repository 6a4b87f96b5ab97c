"""1,000 concurrent check-ins of one voter from 50 stations, over HTTP, on SQLite and PostgreSQL.

A real uvicorn server on 127.0.0.1, in its own process; every request signed by its station's device. Exactly one
check-in may succeed. Every refusal must say why, and every refusal judged after the winning
check-in must name it ("already voted at station … at hh:mm").
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from achyk.domain.definition import (
    Contest,
    ContestKind,
    Device,
    DeviceRole,
    District,
    Election,
    ElectionType,
    Option,
    Region,
    Station,
)
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import VoterEntry, request_message
from achyk.services.elections import load_election
from achyk.services.register import import_register, register_stats
from achyk.signing import public_key_b64
from achyk.store.database import Database
from factories import device_key

SECRET = b"race-test-register-secret-0001"
STATIONS = [str(3000 + i) for i in range(50)]
VOTER = make_kg_pin(Sex.MALE, date(1975, 6, 15), 4242)


def race_election() -> Election:
    stations = tuple(
        Station(sid, f"Station {sid}", f"School {sid}", 10,
                (Device(f"{sid}-a", DeviceRole.SCANNER, public_key_b64(device_key(f"{sid}-a"))),))
        for sid in STATIONS
    )  # fmt: skip
    return Election(
        "race-2025", "Race", ElectionType.PARLIAMENTARY, "2025-11-30",
        (Contest("list", "List", ContestKind.PARTY_LIST, 5, (Option("a", "A"),)),),
        (Region("r", "Region", (District("d", "District", stations),)),),
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER = """
import sys, uvicorn
from achyk.api.app import create_app
from achyk.store.database import Database
app = create_app(db=Database.open(sys.argv[1], migrate_schema=False))
app.state.register_secret = bytes.fromhex(sys.argv[2])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning",
            timeout_keep_alive=120)
"""


def own_url(db: Database) -> str:
    """A URL that reaches the same data from another process (the test's own PG schema)."""
    url = db.engine.url.render_as_string(hide_password=False)
    if db.dialect == "postgresql":
        with db.session() as s:
            schema = s.execute(text("SELECT current_schema()")).scalar_one()
        url += f"?options=-csearch_path%3D{schema}"
    return url


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    """The API in its own process (a second core for the server), on a free local port."""
    load_election(db, race_election())
    others = [
        VoterEntry(make_kg_pin(Sex.FEMALE, date(1980, 1, 1), i), f"V{i}", date(1980, 1, 1), sid)
        for i, sid in enumerate(STATIONS)
    ]
    home = VoterEntry(VOTER, "Racer", date(1975, 6, 15), STATIONS[0])
    import_register(db, "race-2025", [home, *others], SECRET)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, own_url(db), SECRET.hex(), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/elections", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the API server did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def signed(station: str, body: bytes) -> tuple[str, dict[str, str]]:
    path = f"/api/elections/race-2025/stations/{station}/checkins"
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    sig = device_key(f"{station}-a").sign(request_message("POST", path, body, ts, nonce))
    return path, {
        "X-Device": f"{station}-a", "X-Timestamp": ts, "X-Nonce": nonce,
        "X-Signature": base64.b64encode(sig).decode(), "Content-Type": "application/json",
    }  # fmt: skip


async def fire(base: str, n: int) -> list[httpx.Response]:
    """n check-ins from the devices of 50 stations: one client per station, all released at once."""
    body = json.dumps(
        {"personal_number": VOTER, "biometric": {"matched": True, "score": 0.95}}
    ).encode()
    go = asyncio.Event()

    async def station(k: int) -> list[httpx.Response]:
        mine = [signed(STATIONS[k], body) for _ in range(k, n, len(STATIONS))]
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            await go.wait()
            return list(
                await asyncio.gather(*(client.post(p, content=body, headers=h) for p, h in mine))
            )

    tasks = [asyncio.create_task(station(k)) for k in range(len(STATIONS))]
    await asyncio.sleep(0.2)  # every station's requests signed and waiting
    go.set()
    return [r for batch in await asyncio.gather(*tasks) for r in batch]


def test_one_of_a_thousand_concurrent_check_ins_succeeds(server: str, db: Database) -> None:
    responses = asyncio.run(fire(server, 1000))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(409) == 999
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert winner["station"] == STATIONS[0]
    hhmm = winner["at"][11:16]  # UTC in the response; the message shows UTC+6
    local = f"{(int(hhmm[:2]) + 6) % 24:02d}:{hhmm[3:]}"
    named = f"already voted at station {STATIONS[0]} at {local}"
    not_here = f"registered at station {STATIONS[0]}, not at this one"
    messages = [r.json()["message"] for r in responses if r.status_code == 409]
    assert all(m in (named, not_here) for m in messages), set(messages)
    # Every refusal at the voter's own station came after the winning insert, so names it.
    home = [r.json()["message"] for r in responses
            if r.status_code == 409 and r.json()["station"] == STATIONS[0]]  # fmt: skip
    assert len(home) == 19 and set(home) == {named}
    stats = register_stats(db, "race-2025")
    assert (stats.checkins, stats.refusals) == (1, 999)
    # No response carries the personal number.
    assert all(VOTER not in r.text for r in responses)
