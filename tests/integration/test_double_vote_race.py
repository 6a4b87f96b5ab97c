"""1,000 concurrent check-ins of one voter from 50 stations, over HTTP, on SQLite and PostgreSQL.

A real uvicorn server on 127.0.0.1, in its own process; every request signed by its station's
device. Exactly one check-in may succeed, and every refusal must say why. Two cases:

* abroad: the 50 stations are abroad, where the law lets any voter on the register vote (the
  Kyrgyz 2025 rule), so each request could have won. All 999 refusals name the winner.
* home: the voter is on the list of one of 50 home stations. Refusals there name the winner. The
  other 49 stations may refuse before the winner commits; they then say where the voter is
  registered, which is also true.
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
from achyk.services.elections import get_election, load_election
from achyk.services.register import import_register, register_stats
from achyk.signing import public_key_b64
from achyk.store.database import Database
from factories import device_key

SECRET = b"race-test-register-secret-0001"
STATIONS = [str(3000 + i) for i in range(50)]
VOTER = make_kg_pin(Sex.MALE, date(1975, 6, 15), 4242)


HOME = "100"  # the abroad case's voter is registered at home and travels
COUNTRIES = ("RU", "KZ", "TR", "DE", "AE")


def race_election(abroad: bool) -> Election:
    def station(k: int, sid: str) -> Station:
        device = Device(f"{sid}-a", DeviceRole.SCANNER, public_key_b64(device_key(f"{sid}-a")))
        country = COUNTRIES[k % len(COUNTRIES)] if abroad and sid != HOME else None
        return Station(sid, f"Station {sid}", f"School {sid}", 10, (device,), country, country)

    race = tuple(station(k, sid) for k, sid in enumerate(STATIONS))
    regions = (
        (Region("r", "Region", (District("d", "District", (station(0, HOME),)),)),
         Region("x", "Abroad", (District("dx", "Abroad", race),), abroad=True))
        if abroad
        else (Region("r", "Region", (District("d", "District", race),)),)
    )  # fmt: skip
    return Election(
        "race-2025", "Race", ElectionType.PARLIAMENTARY, "2025-11-30",
        (Contest("list", "List", ContestKind.PARTY_LIST, 5, (Option("a", "A"),)),),
        regions, abroad_any_station=abroad,
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


@pytest.fixture(params=["abroad", "home"])
def server(db: Database, request: pytest.FixtureRequest) -> Iterator[str]:
    """The API in its own process (a second core for the server), on a free local port."""
    abroad = request.param == "abroad"
    election = race_election(abroad)
    load_election(db, election)
    others = [
        VoterEntry(make_kg_pin(Sex.FEMALE, date(1980, 1, 1), i), f"V{i}", date(1980, 1, 1), sid,
                   election.place(sid).station.country)  # type: ignore[union-attr]
        for i, sid in enumerate(STATIONS)
    ]  # fmt: skip
    home = VoterEntry(VOTER, "Racer", date(1975, 6, 15), HOME if abroad else STATIONS[0])
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
    abroad = get_election(db, "race-2025").abroad_any_station
    responses = asyncio.run(fire(server, 1000))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(409) == 999
    winner = next(r.json() for r in responses if r.status_code == 200)
    hhmm = winner["at"][11:16]  # UTC in the response; the message shows UTC+6
    local = f"{(int(hhmm[:2]) + 6) % 24:02d}:{hhmm[3:]}"
    named = f"already voted at station {winner['station']} at {local}"
    refusals = [r.json() for r in responses if r.status_code == 409]
    if abroad:
        # Any of the 50 could have won; every refusal names the one that did.
        assert [r["message"] for r in refusals] == [named] * 999
    else:
        assert winner["station"] == STATIONS[0]
        not_here = f"registered at station {STATIONS[0]}, not at this one"
        assert {r["message"] for r in refusals} <= {named, not_here}
        # Every refusal at the voter's own station came after the winning insert, so names it.
        home = [r["message"] for r in refusals if r["station"] == STATIONS[0]]
        assert home == [named] * 19
    stats = register_stats(db, "race-2025")
    assert (stats.checkins, stats.refusals) == (1, 999)
    # No response carries the personal number.
    assert all(VOTER not in r.text for r in responses)
