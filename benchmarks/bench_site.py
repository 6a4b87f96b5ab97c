"""Load the results site with wrk on loopback: the overview and a station page served live by uvicorn,
and the same overview published as static files (`write_site`) behind a static file server.

Then the same overview while protocols arrive (election night): a second process submits signed
protocols held back from the load, one transaction each as stations send them, at 50 and at 500 a
second, while wrk reads the overview. Each new protocol changes the log; the page must stay up
(achyk.web.flight renders it once per change, achyk.services.tally keeps the totals running).

Last, election night's first hours: a fresh database holding only the first 30 % of the protocols
(in arrival order, so some regions have none yet) while more arrive at 50 a second; the overview
must show partial results (provisional seats, "not yet determinable") as fast as the full one.

Run: make bench-site   (or: python benchmarks/bench_site.py [small|kg-2025] [seconds])
Needs wrk (apt-get install wrk). Prints requests/s and p99 latency; the last line is the
write-load line: `site under load: overview N req/s (p99 N ms) with protocols arriving at 50/s`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import PROFILES
from achyk.store.database import Database
from achyk.web.static_site import write_site

CONNECTIONS = 16
THREADS = 2
PARTIAL_SHARE = 0.30  # of the protocols in when the partial-reporting phase starts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.1)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int) -> tuple[float, float]:
    """(requests/s, p99 ms) of `url` under wrk."""
    wait_for(url)
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+([\d.]+(?:us|ms|s))", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses under load")
    print(f"  {url}: {rps:,.0f} req/s, p99 {p99:.1f} ms")
    return rps, p99


def writer(url: str, path: str, rate: float, seconds: float) -> None:
    """Submit the protocols in `path` at `rate` a second for `seconds`; print how many were sent."""
    from achyk.services.protocols import submit_protocol

    db = Database.open(url, migrate_schema=False)
    items = [json.loads(line) for line in Path(path).read_text().splitlines()]
    started = time.perf_counter()
    sent = 0
    for source, raw in items:
        due = started + sent / rate
        now = time.perf_counter()
        if now - started > seconds:
            break
        if due > now:
            time.sleep(due - now)
        submit_protocol(db, None, base64.b64decode(raw), source)
        sent += 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"sent": sent, "seconds": elapsed}), flush=True)


def under_load(
    url: str, page: str, held: list[tuple[str, bytes]], rate: int, seconds: int, tmp: str
) -> tuple[float, float, float]:
    """(requests/s, p99 ms, protocols/s achieved) of `page` while protocols arrive at `rate`/s."""
    path = Path(tmp) / f"held-{rate}.jsonl"
    path.write_text("".join(json.dumps([src, base64.b64encode(raw).decode()]) + "\n"
                            for src, raw in held))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, __file__, "--writer", url, str(path), str(rate), str(seconds + 1.5)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        rps, p99 = wrk(page, seconds)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    report = json.loads(out.strip().splitlines()[-1])
    achieved = report["sent"] / report["seconds"]
    print(f"    with protocols arriving at {rate}/s (achieved {achieved:.0f}/s, "
          f"{report['sent']} protocols)")  # fmt: skip
    return rps, p99, achieved


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c",
         "import sys, uvicorn; from achyk.api.app import create_app; "
         "uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]), "
         "log_level='warning', access_log=False)", url, str(port)],
    )  # fmt: skip


def partial_reporting(sim: SimElection, seconds: int, tmp: str) -> tuple[float, float, float]:
    """The overview while only PARTIAL_SHARE of the protocols are in and more arrive at 50/s."""
    cut = int(len(sim.submissions) * PARTIAL_SHARE)
    url = f"sqlite:///{tmp}/partial.db"
    db = Database.open(url)
    run_simulation(db, dataclasses.replace(sim, submissions=sim.submissions[:cut]))
    db.close()
    port = free_port()
    server = start_server(url, port)
    try:
        page = f"http://127.0.0.1:{port}/e/{sim.election.id}/?lang=ru"
        print(f"live overview with {PARTIAL_SHARE:.0%} of {len(sim.submissions)} protocols in "
              f"(load average {_load()}):")  # fmt: skip
        return under_load(url, page, list(sim.submissions[cut : cut + 60 * seconds]), 50,
                          seconds, tmp)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        writer(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
        return
    if shutil.which("wrk") is None:
        sys.exit("bench-site needs wrk: apt-get install -y wrk")
    # --no-static: skip the static export (minutes at kg-2025 on a busy machine)
    no_static = "--no-static" in sys.argv
    argv = [a for a in sys.argv if a != "--no-static"]
    profile = PROFILES[argv[1] if len(argv) > 1 else "small"]
    seconds = int(argv[2]) if len(argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/site.db"
        db = Database.open(url)
        sim = generate(profile)
        # Official protocols held back: they arrive while the site is read (500/s for `seconds`).
        hold = min(len(sim.submissions) // 2, 550 * seconds + 60 * seconds)
        held = list(sim.submissions[-hold:])
        full_sim = sim
        sim = dataclasses.replace(sim, submissions=sim.submissions[:-hold])
        print(f"loading {profile.name}: {len(sim.submissions)} protocols "
              f"({hold} held back to arrive under load) …", flush=True)  # fmt: skip
        run_simulation(db, sim)
        out = Path(tmp) / "public"
        started = time.perf_counter()
        if not no_static:
            write_site(db, sim.election.id, out)
            print(f"static export written in {time.perf_counter() - started:.1f} s", flush=True)
        else:
            out.mkdir()
        db.close()
        station = next(p.station.id for p in sim.election.stations() if not p.station.abroad)
        eid = sim.election.id

        port = free_port()
        server = start_server(url, port)
        static_port = free_port()
        static = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1",
             "--directory", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            print("live (uvicorn, 1 worker, SQLite):")
            overview = wrk(f"{base}/e/{eid}/?lang=ru", seconds)
            station_page = wrk(f"{base}/e/{eid}/station/{station}/?lang=ru", seconds)
            print("static (python http.server):" if not no_static else "static: skipped")
            static_overview = (
                (0.0, 0.0) if no_static
                else wrk(f"http://127.0.0.1:{static_port}/ru/e/{eid}/", seconds)
            )  # fmt: skip
            print(f"live overview while protocols arrive (load average {_load()}):")
            slow = under_load(url, f"{base}/e/{eid}/?lang=ru", held[: 60 * seconds], 50,
                              seconds, tmp)  # fmt: skip
            fast = under_load(url, f"{base}/e/{eid}/?lang=ru", held[60 * seconds :], 500,
                              seconds, tmp)  # fmt: skip
        finally:
            server.terminate()
            static.terminate()
            server.wait(timeout=10)
            static.wait(timeout=10)
        partial = partial_reporting(full_sim, seconds, tmp)
    print(
        f"site: overview {overview[0]:.0f} req/s (p99 {overview[1]:.0f} ms), "
        f"station {station_page[0]:.0f} req/s (p99 {station_page[1]:.0f} ms); "
        f"static {static_overview[0]:.0f} req/s"
    )
    for rps, p99, achieved in (fast,):
        print(f"site under load: overview {rps:.0f} req/s (p99 {p99:.0f} ms) with protocols "
              f"arriving at 500/s (achieved {achieved:.0f}/s); "
              f"{rps / overview[0]:.2f} of idle")  # fmt: skip
    print(f"site under partial reporting: overview {partial[0]:.0f} req/s (p99 {partial[1]:.0f} "
          f"ms) with {PARTIAL_SHARE:.0%} of protocols in and more arriving at 50/s "
          f"(achieved {partial[2]:.0f}/s)")  # fmt: skip
    rps, p99, achieved = slow
    print(f"  at 50/s: achieved {achieved:.0f}/s; {rps / overview[0]:.2f} of idle "
          f"{overview[0]:.0f} req/s; load average {_load()}")  # fmt: skip
    print(
        f"site under load: overview {rps:.0f} req/s (p99 {p99:.0f} ms) with protocols "
        "arriving at 50/s"
    )


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
