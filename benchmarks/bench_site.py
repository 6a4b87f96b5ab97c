"""Load the results site with wrk on loopback: the overview and a station page served live by uvicorn,
and the same overview published as static files (`write_site`) behind a static file server.

Run: make bench-site   (or: python benchmarks/bench_site.py [small|kg-2025] [seconds])
Needs wrk (apt-get install wrk). Prints requests/s and p99 latency; the last line is the summary.
"""

from __future__ import annotations

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
from achyk.sim.generator import generate
from achyk.sim.profiles import PROFILES
from achyk.store.database import Database
from achyk.web.static_site import write_site

CONNECTIONS = 16
THREADS = 2


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


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench-site needs wrk: apt-get install -y wrk")
    profile = PROFILES[sys.argv[1] if len(sys.argv) > 1 else "small"]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/site.db"
        db = Database.open(url)
        sim = generate(profile)
        print(f"loading {profile.name}: {len(sim.submissions)} protocols …", flush=True)
        run_simulation(db, sim)
        out = Path(tmp) / "public"
        started = time.perf_counter()
        write_site(db, sim.election.id, out)
        print(f"static export written in {time.perf_counter() - started:.1f} s", flush=True)
        db.close()
        station = next(p.station.id for p in sim.election.stations() if not p.station.abroad)
        eid = sim.election.id

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, uvicorn; from achyk.api.app import create_app; "
             "uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]), "
             "log_level='warning', access_log=False)", url, str(port)],
        )  # fmt: skip
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
            print("static (python http.server):")
            static_overview = wrk(f"http://127.0.0.1:{static_port}/ru/e/{eid}/", seconds)
        finally:
            server.terminate()
            static.terminate()
            server.wait(timeout=10)
            static.wait(timeout=10)
    print(
        f"site: overview {overview[0]:.0f} req/s (p99 {overview[1]:.0f} ms), "
        f"station {station_page[0]:.0f} req/s (p99 {station_page[1]:.0f} ms); "
        f"static {static_overview[0]:.0f} req/s"
    )


if __name__ == "__main__":
    main()
