"""Check-ins per second over HTTP, under concurrency, on PostgreSQL and on SQLite.

For each database: a 50-station election with a register of N voters, the API served by uvicorn in
its own process on 127.0.0.1, and client processes posting every voter's signed check-in with many
requests in flight. Counted: check-ins the API accepted (HTTP 200) per wall-clock second, the
median of three rounds (each with voters not yet checked in). The
per-device rate limit is lifted for the run (it guards against a runaway device, not load).

    python benchmarks/bench_checkin.py [--voters 6000] [--clients 2] [--concurrency 48]

PostgreSQL comes from $ACHYK_BENCH_POSTGRES_URL (default: the test database); each run uses a
fresh schema, dropped afterwards. The last line reads ``check-ins: N/s on PostgreSQL, N/s on SQLite``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date

import httpx
from sqlalchemy import create_engine, text

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
from achyk.services.register import import_register
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.store.database import Database, make_engine, migrate

SECRET = b"bench-register-secret-000000001"
AIM = 1000
KZ_PEAK = 1_500_000 // 3600
STATIONS = [str(5000 + i) for i in range(50)]
BORN = date(1970, 3, 3)
PG_URL = os.environ.get(
    "ACHYK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The server as it is deployed: uvicorn (uvloop, httptools) with one worker process per core,
# the database and the register secret from the environment.
SERVER = """
import sys, uvicorn
uvicorn.run("achyk.api.app:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
            workers=int(sys.argv[2]), log_level="warning", timeout_keep_alive=120,
            access_log=False)
"""


def key(device: str):  # type: ignore[no-untyped-def]
    return private_key_from_seed(f"bench/{device}".encode())


def bench_election() -> Election:
    stations = tuple(
        Station(sid, f"Station {sid}", f"School {sid}", 1000,
                (Device(f"{sid}-a", DeviceRole.SCANNER, public_key_b64(key(f"{sid}-a"))),))
        for sid in STATIONS
    )  # fmt: skip
    return Election(
        "bench-2025", "Bench", ElectionType.PARLIAMENTARY, "2025-11-30",
        (Contest("list", "List", ContestKind.PARTY_LIST, 5, (Option("a", "A"),)),),
        (Region("r", "Region", (District("d", "District", stations),)),),
    )  # fmt: skip


def voter(i: int) -> tuple[str, str]:
    return make_kg_pin(Sex.MALE, BORN, i), STATIONS[i % len(STATIONS)]


def prepare(db: Database, n: int) -> None:
    load_election(db, bench_election())
    import_register(
        db, "bench-2025",
        [VoterEntry(p, "Bench voter", BORN, st) for p, st in map(voter, range(n))], SECRET,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_request(i: int) -> bytes:
    """One check-in as the raw HTTP/1.1 bytes a station device sends (signed just before the run)."""
    number, station = voter(i)
    body = json.dumps(
        {"personal_number": number, "biometric": {"matched": True, "score": 0.9}}
    ).encode()
    path = f"/api/elections/bench-2025/stations/{station}/checkins"
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    sig = base64.b64encode(key(f"{station}-a").sign(request_message("POST", path, body, ts, nonce)))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Device: {station}-a\r\nX-Timestamp: {ts}\r\n"
        f"X-Nonce: {nonce}\r\nX-Signature: {sig.decode()}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(port: int, requests: list[bytes]) -> int:
    """Keep-alive requests one after another on one connection; count the 200s.

    A minimal client on purpose: the load generator shares this machine's two cores with the
    server, so it must spend as little CPU as possible per request.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ok = 0
    for raw in requests:
        writer.write(raw)
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        ok += status.split(b" ")[1] == b"200"
    writer.close()
    return ok


async def _client(port: int, indexes: list[int], concurrency: int) -> int:
    requests = [signed_request(i) for i in indexes]
    shares = [requests[k::concurrency] for k in range(concurrency)]
    return sum(await asyncio.gather(*(_connection(port, share) for share in shares if share)))


def client_process(args: tuple[int, list[int], int]) -> int:
    return asyncio.run(_client(*args))


def run(
    url: str, label: str, n: int, clients: int, concurrency: int, workers: int, repeat: int
) -> float:
    """The median of `repeat` timed rounds of n check-ins each (fresh voters every round)."""
    port = free_port()
    secret_file = tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115 - removed below
    secret_file.write(SECRET)
    secret_file.close()
    env = dict(os.environ, ACHYK_DEVICE_RATE="1000000", ACHYK_DEVICE_BURST="1000000",
               ACHYK_DATABASE_URL=url, ACHYK_REGISTER_SECRET_FILE=secret_file.name)  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(workers)], env=env)
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
                raise RuntimeError(f"{label}: the API server did not start")
            time.sleep(0.1)
        time.sleep(1.0)  # let every worker finish starting
        rates = []
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            for r in range(repeat):
                first = r * n
                slices = [(port, list(range(first + k, first + n, clients)), concurrency)
                          for k in range(clients)]  # fmt: skip
                start = time.perf_counter()
                accepted = sum(pool.map(client_process, slices))
                elapsed = time.perf_counter() - start
                if accepted != n:
                    raise RuntimeError(f"{label}: {accepted} of {n} check-ins accepted")
                rates.append(n / elapsed)
                print(f"{label}, round {r + 1}: {n} check-ins in {elapsed:.2f} s = "
                      f"{n / elapsed:.0f}/s ({workers} server workers; {clients} client "
                      f"processes x {concurrency} connections)", flush=True)  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.unlink(secret_file.name)
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds; the median counts")
    a = parser.parse_args()
    total = a.voters * a.repeat
    # PostgreSQL, in a fresh schema.
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        migrate(engine)
        db = Database(engine)
        prepare(db, total)
        db.close()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        pg = run(url, "PostgreSQL", a.voters, a.clients, a.concurrency, a.workers, a.repeat)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        db = Database.open(url)
        prepare(db, total)
        db.close()
        lite = run(url, "SQLite", a.voters, a.clients, a.concurrency, a.workers, a.repeat)
    # The yardsticks: the aim, and Kazakhstan's peak hour (about 1.5 million check-ins an
    # hour, ~420/s, for some 12 million voters).
    for label, rate in (("PostgreSQL", pg), ("SQLite", lite)):
        print(f"{label}: {rate / AIM:.2f}x the aim of {AIM}/s, {rate / KZ_PEAK:.1f}x "
              f"Kazakhstan's peak of ~{KZ_PEAK}/s")  # fmt: skip
    print(f"check-ins: {pg:.0f}/s on PostgreSQL, {lite:.0f}/s on SQLite")


if __name__ == "__main__":
    main()
