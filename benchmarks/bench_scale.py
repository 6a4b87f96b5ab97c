"""A country of 100,000 stations end to end on this machine: the xl profile, phase by phase.

Each phase runs as its own process, timed from outside, and its peak memory is read from the
kernel (wait4's ru_maxrss), so nothing one phase keeps is charged to another:

  load     `achyk election load definition.json` (100,000 stations, 200,000 device keys)
  ingest   every signed protocol (a preliminary and an official per station) but the last
           --http-share (half) through the bulk pipeline `achyk protocol submit` uses (examined in
           worker processes, one writer appending batches); protocols/s over the whole phase
  http     the rest over HTTP: `achyk serve` in its own process, --clients device clients
           posting signed requests at once (examined in workers, group-committed); protocols/s,
           and how long each answer took (median, 99th percentile). Each client waits for its
           answer before it sends again, so the rate is at most clients / answer time: with
           256 clients the server was idle a quarter of the time (4,254/s, 59 ms median), with
           1,024 it is near its capacity (5,479/s, 184 ms median; 2,048: 5,370/s), measured
           one after another on 2026-12-01. A station sends one protocol or two in a night: on
           election night at 100,000 stations, a thousand devices sending at once is ordinary.
           Then all the machine's CPU (server, examiners, database, clients) per protocol while
           they sent, also in Ed25519 checks at the gauge's speed, and how long the cores idled
  results  `achyk results` in a fresh process (cold: the definition read, the running totals read)
  overview the results site's first overview page (and the regions' results) from a server just
           started: served from the stored outline before the whole definition is read
  publish  `achyk publish --out DIR` (record and static site), stopped at --publish-limit
  verify   `achyk verify DIR` on the record (protocols judged on every core); with --dask 1 2,
           again on Dask LocalClusters of 1 and 2 workers (linear across workers)
The aims (issue 16): load <= 10 s, ingest >= 5,000/s, results < 1 s, publish <= 120 s,
verify <= 60 s, no phase above 1,024 MB. The machine's load average is printed beside the
figures: on a shared machine they are slower than on an idle one. So is a gauge of its speed,
the time of one Ed25519 check at the start and at the end: on this machine it varied 2-3x from
hour to hour, and every figure with it; two runs compare only beside their gauges.

The synthetic election is generated once into --cache (default /tmp/achyk-bench-xl) and reused.

Run: make bench-scale   (or: python benchmarks/bench_scale.py [--db URL] [--profile xl])
--db postgresql://user@host:port/db runs on PostgreSQL: a fresh database is made beside the one
named (and dropped after), so nothing of another user of that server is touched.
Last line: `scale: 100000 stations: load N s, ingest N/s, results N ms, publish N s, verify N s,
peak N MB`; its ingest is the slower of bulk and HTTP (both must hold the aim).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scale_children import COLD_RESULTS, GENERATE, HTTP_CLIENTS, INGEST

AIMS = {"load": 10.0, "ingest": 5_000.0, "results": 1.0, "publish": 120.0, "verify": 60.0}
PEAK_MB = 1_024
CPU: dict[str, float] = {}


def _gauge() -> float:
    """The machine's speed now: microseconds for one Ed25519 check (libsodium, as the examiners
    make two per protocol), the median of 9 rounds of 300. The same code ran 2-3x slower in some
    hours than in others on this shared machine (38 us on 2026-12-01 03:40, 110-120 us the
    evening before): figures from two runs compare only beside their gauges."""
    import statistics

    from nacl.bindings import crypto_sign_open
    from nacl.signing import SigningKey

    key = SigningKey(bytes(32))
    signed, public = bytes(key.sign(b"x" * 600)), bytes(key.verify_key)
    rounds = []
    for _ in range(9):
        started = time.perf_counter()
        for _ in range(300):
            crypto_sign_open(signed, public)
        rounds.append((time.perf_counter() - started) / 300 * 1e6)
    return statistics.median(rounds)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _watch(pid: int, stop: threading.Event, seen: dict[int, tuple[str, float]]) -> None:
    """Every process under `pid`, its command line and CPU seconds (user + system), read four
    times a second until `stop` (what a process spends after the last reading is not seen)."""
    import psutil  # (Dask's distributed requires it)

    root, names = psutil.Process(pid), {}
    while not stop.wait(0.25):
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        for p in tree:
            with contextlib.suppress(psutil.Error):
                if p.pid not in names:
                    names[p.pid] = " ".join(p.cmdline())
                t = p.cpu_times()
                seen[p.pid] = (names[p.pid], t.user + t.system)


def run(
    name: str, argv: list[str], limit: float | None = None,
    tree: dict[int, tuple[str, float]] | None = None,
) -> tuple[float, float, str, bool]:  # fmt: skip
    """(seconds, peak MB, output, finished) of a child process; peak from /usr/bin/time -f %M.
    With `tree`, each of its processes' command line and CPU seconds are put there."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", rss.name, *argv], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "120"},
            start_new_session=True,
        )  # fmt: skip
        stop = threading.Event()
        if tree is not None:
            threading.Thread(target=_watch, args=(proc.pid, stop, tree), daemon=True).start()
        finished = True
        try:
            out, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the child and /usr/bin/time, nothing else
            out, _ = proc.communicate()
            finished = False
        finally:
            stop.set()
        took = time.perf_counter() - started
        text = Path(rss.name).read_text().strip().splitlines()
    times = text[-1].split() if text else []
    peak = int(times[-1]) / 1024 if len(times) == 3 and times[-1].isdigit() else float("nan")
    # CPU seconds (user + system): on a shared machine the wall time mostly measures the others
    CPU[name] = sum(map(float, times[:2])) if len(times) == 3 else float("nan")
    if finished and proc.returncode != 0:
        print(out[-3000:])
        raise SystemExit(f"{name} failed with exit code {proc.returncode}")
    return took, peak, out, finished


def _fresh_postgres(url: str) -> tuple[str, str]:
    """A new database on the server `url` names: (its URL, its name), for this run alone."""
    from sqlalchemy import create_engine, make_url, text

    name = f"achyk_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def _drop_postgres(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _serve(achyk: str, url: str, rss: str) -> tuple[subprocess.Popen[bytes], int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%U %S\n%M", "-o", rss, achyk, "serve", "--port", str(port),
         "--database", url], stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    import urllib.request

    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("achyk serve did not start")


def _cold_overview(achyk: str, url: str, rss: str, cache: Path) -> None:
    """Seconds to the first overview page of a server just started (its health answered)."""
    import urllib.request

    with open(cache / "protocols.jsonl", "rb") as f:
        election = json.loads(f.readline())["protocol"]["election"]
    server, port = _serve(achyk, url, rss)
    try:
        took: dict[str, float] = {}
        for name, path in (("overview", f"/e/{election}/"),
                           ("regions", f"/api/elections/{election}/results?level=region")):  # fmt: skip
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
                size = len(answer.read())
            took[name] = time.perf_counter() - started
            print(f"  {name:8} {took[name] * 1000:7.0f} ms  ({path}: {answer.status}, "
                  f"{size:,} bytes, asked in turn of a server just started; aim "
                  f"{AIMS['results'] * 1000:.0f} ms)", flush=True)  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="xl")
    parser.add_argument(
        "--db",
        "--database",
        dest="database",
        help="default: a fresh SQLite file; postgresql://…: a fresh database there",
    )
    parser.add_argument(
        "--http-share",
        type=float,
        # Half: 100,000 protocols a path. A tenth over HTTP (20,000 in 4 s) was as much the
        # 1,024 connections' opening and the first groups as the steady rate (4,821/s against
        # 5,127/s for 100,000, one after the other on 2026-12-01).
        default=0.5,
        help="the share of the protocols sent over HTTP (0: none)",
    )
    parser.add_argument("--clients", type=int, default=1_024,
                        help="concurrent device connections, each waiting for its answer before "
                             "it sends again")  # fmt: skip
    parser.add_argument("--only", choices=["load-ingest"], help="stop after the http phase")
    parser.add_argument("--cache", default="/tmp/achyk-bench-xl")
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--publish-limit", type=float, default=600.0)
    parser.add_argument("--dask", type=int, nargs="*", default=[],
                        help="also verify on Dask LocalClusters of these sizes, e.g. --dask 1 2")  # fmt: skip
    args = parser.parse_args()
    py = sys.executable
    achyk = str(Path(py).with_name("achyk"))
    cache = Path(args.cache) / args.profile
    if not (cache / "done").exists():
        print(f"generating {args.profile} into {cache} (once) …", flush=True)
        took, _, _, _ = run("generate", [py, "-c", GENERATE, args.profile, str(cache)])
        print(f"  generated in {took:.0f} s", flush=True)
    total = int((cache / "done").read_text())
    dropped: str | None = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/scale.db"
        if url.startswith("postgresql"):
            url, dropped = _fresh_postgres(args.database)
        from achyk.store.database import Database

        Database.open(url).close()  # migrate once, outside the timed phases
        gauge = _gauge()
        print(f"{args.profile}: {total:,} protocols; database {url.split('@')[-1]}; "
              f"load average {_load()}; the machine: an Ed25519 check {gauge:.0f} µs",
              flush=True)  # fmt: skip
        peaks: dict[str, float] = {}

        took, peaks["load"], out, _ = run(
            "load", [achyk, "election", "load", str(cache / "definition.json"), "--database", url]
        )
        load_s = took
        found = re.search(r"(\d+) stations", out)
        stations = int(found.group(1)) if found else 0
        print(f"  load     {took:7.1f} s   peak {peaks['load']:6.0f} MB  "
              f"(aim {AIMS['load']:.0f} s; load average {_load()})", flush=True)  # fmt: skip

        via_http = int(total * args.http_share)
        took, peaks["ingest"], out, _ = run(
            "ingest", [py, "-c", INGEST, url, str(cache), str(args.batch), str(total - via_http)]
        )
        report = json.loads(out.strip().splitlines()[-1])
        rate = report["protocols"] / report["seconds"]
        print(f"  ingest   {rate:7.0f}/s  peak {peaks['ingest']:6.0f} MB  ({report['protocols']:,} "
              f"in {report['seconds']:.0f} s: {report['outcomes']}; aim {AIMS['ingest']:,.0f}/s; "
              f"{report['cpu']:.0f} CPU-s in all processes, {report['protocols'] / report['cpu']:.0f}"
              f" per CPU-s; load average {_load()})", flush=True)  # fmt: skip

        http_rate = float("nan")
        if via_http:
            server_rss = str(Path(tmp) / "serve.rss")
            server, port = _serve(achyk, url, server_rss)
            try:
                _, peaks["http clients"], out, _ = run("http", [
                    py, "-c", HTTP_CLIENTS, args.profile, str(cache), str(total - via_http),
                    str(port), str(args.clients)])  # fmt: skip
            finally:
                os.killpg(server.pid, signal.SIGINT)
                server.wait(timeout=60)
            text = Path(server_rss).read_text().strip().splitlines()
            peaks["serve"] = int(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")
            served_cpu = sum(map(float, text[-2].split())) if len(text) > 1 else float("nan")
            sent = json.loads(out.strip().splitlines()[-1])
            http_rate = sent["protocols"] / sent["seconds"]
            print(f"  http     {http_rate:7.0f}/s  peak {peaks['serve']:6.0f} MB  ({sent['protocols']:,} "
                  f"in {sent['seconds']:.1f} s from {args.clients} device clients: statuses "
                  f"{sent['statuses']}; answered in {sent['p50_ms']:.0f} ms (median), "
                  f"{sent['p99_ms']:.0f} ms (99th percentile); the clients {sent['client_cpu']:.1f} "
                  f"CPU-s; the server {served_cpu:.0f} CPU-s with its examiners, its start "
                  f"included; aim {AIMS['ingest']:,.0f}/s; load average {_load()})",
                  flush=True)  # fmt: skip
            # All the machine's CPU while the clients sent, per protocol, in the gauge's units
            # too: an hour-proof figure, to set beside what the cores allow at the aim.
            per = 1e6 * sent["machine_busy"] / sent["protocols"]
            allowed = 1e6 * (os.cpu_count() or 1) / AIMS["ingest"]
            print(f"  http     the machine's CPU {per:.0f} µs a protocol (= {per / gauge:.1f} "
                  f"Ed25519 checks; {AIMS['ingest']:,.0f}/s on {os.cpu_count()} cores allows "
                  f"{allowed:.0f} µs), the cores idle "
                  f"{100 * sent['machine_idle'] / (sent['machine_idle'] + sent['machine_busy']):.0f}"
                  " % of the time", flush=True)  # fmt: skip
        if args.only == "load-ingest":
            if dropped:
                _drop_postgres(args.database, dropped)
            print(f"the machine: an Ed25519 check {gauge:.0f} µs at the start, {_gauge():.0f} µs "
                  "at the end")  # fmt: skip
            print(f"scale: {stations} stations: load {load_s:.1f} s, ingest {rate:.0f}/s, "
                  f"http {http_rate:.0f}/s, peak {max(peaks.values()):.0f} MB "
                  f"(load and ingest only; load average {_load()})")  # fmt: skip
            return

        took, peaks["results"], out, _ = run("results", [achyk, "results", "--database", url])
        cli_s = took
        _, _, cold, _ = run("results (service)", [py, "-c", COLD_RESULTS, url])
        service_s, import_s, reported, regions = cold.split()
        print(f"  results  {cli_s * 1000:7.0f} ms  peak {peaks['results']:6.0f} MB  (`achyk "
              f"results` in a fresh process; of which the service {float(service_s) * 1000:.0f} "
              f"ms after {float(import_s) * 1000:.0f} ms of imports: {reported} stations reported,"
              f" {regions} regions; aim {AIMS['results'] * 1000:.0f} ms)", flush=True)  # fmt: skip

        overview_rss = Path(tmp) / "overview.rss"
        _cold_overview(achyk, url, str(overview_rss), cache)
        text = overview_rss.read_text().strip().splitlines()
        if text and text[-1].isdigit():
            peaks["overview"] = int(text[-1]) / 1024
        record = Path(tmp) / "record"
        took, peaks["publish"], out, finished = run(
            "publish", [achyk, "publish", "--out", str(record), "--database", url],
            limit=args.publish_limit,
        )  # fmt: skip
        publish_s = took
        mark = "" if finished else f" — stopped at the {args.publish_limit:.0f} s limit"
        print(f"  publish  {took:7.1f} s   peak {peaks['publish']:6.0f} MB  "
              f"(aim {AIMS['publish']:.0f} s{mark}; {CPU['publish']:.0f} s of CPU; "
              f"load average {_load()})", flush=True)  # fmt: skip

        if (record / "record.json").exists():
            took, peaks["verify"], out, _ = run("verify", [achyk, "verify", str(record)])
            verify = f"{took:.0f}"
            print(f"  verify   {took:7.1f} s   peak {peaks['verify']:6.0f} MB  "
                  f"(aim {AIMS['verify']:.0f} s; {os.cpu_count()} processes, "
                  f"{CPU['verify']:.0f} s of CPU in the main one; load average {_load()})",
                  flush=True)  # fmt: skip
            spread: dict[int, tuple[float, list[float], float]] = {}
            for n in args.dask:  # linear across workers: the same record on a Dask LocalCluster
                tree: dict[int, tuple[str, float]] = {}
                took, peaks[f"verify dask {n}"], out, _ = run(f"verify dask {n}", [
                    achyk, "verify", str(record), "--scheduler", f"local:{n}"], tree=tree)  # fmt: skip
                # The workers are the processes spawned with a worker's options (a memory limit);
                # the verifying process is the one running achyk; the rest is the scheduler's.
                workers = sorted((cpu for cmd, cpu in tree.values() if "memory_limit" in cmd),
                                 reverse=True)  # fmt: skip
                mine = sum(cpu for cmd, cpu in tree.values() if "achyk verify" in cmd)
                rest = sum(cpu for _, cpu in tree.values()) - sum(workers) - mine
                spread[n] = (took, workers, mine + rest)
                # The peak is the largest process's of the tree: a worker's, which keeps the
                # protocols of the regions it judged.
                print(f"  verify   {took:7.1f} s   peak {peaks[f'verify dask {n}']:6.0f} MB  on a "
                      f"Dask LocalCluster of {n} worker(s): the workers "
                      f"{' + '.join(f'{w:.1f}' for w in workers)} CPU-s, the verifying process "
                      f"{mine:.1f}, the scheduler and the rest {rest:.1f} (load average "
                      f"{_load()})", flush=True)  # fmt: skip
            if len(spread) > 1:
                # Linear across workers: the work the workers do is the same whatever their
                # number, and each does its share of it; the wall time also holds the verifying
                # process's and the scheduler's CPU, which share this machine's cores with them.
                first, last = min(spread), max(spread)
                (t1, w1, o1), (tn, wn, on) = spread[first], spread[last]
                shares = ", ".join(f"{w / sum(wn):.2f}" for w in wn)
                print(f"  dask     the workers' work {sum(w1):.1f} CPU-s on {first}, {sum(wn):.1f} "
                      f"on {last} (shares {shares}); the wall {t1:.1f} -> {tn:.1f} s "
                      f"({t1 / tn:.2f}x), with {o1:.1f} and {on:.1f} CPU-s outside the workers "
                      f"on {os.cpu_count()} cores", flush=True)  # fmt: skip
        else:
            verify = "-"
            print("  verify   no record to verify")
        shutil.rmtree(record, ignore_errors=True)
    if dropped:
        _drop_postgres(args.database, dropped)
    peak = max(peaks.values())
    print(f"peak memory by phase: {', '.join(f'{k} {v:.0f} MB' for k, v in peaks.items())} "
          f"(aim under {PEAK_MB} MB each); load average {_load()}")  # fmt: skip
    print(f"the machine: an Ed25519 check {gauge:.0f} µs at the start, {_gauge():.0f} µs at the "
          "end")  # fmt: skip
    publish = f"{publish_s:.0f}" if finished else f">{publish_s:.0f}"
    # Ingestion must hold 5,000/s both ways: the line gives the slower of bulk and HTTP.
    ingest = min(rate, http_rate) if http_rate == http_rate else rate
    print(f"scale: {stations} stations: load {load_s:.0f} s, "
          f"ingest {ingest:.0f}/s, results {cli_s * 1000:.0f} ms, publish {publish} s, "
          f"verify {verify} s, peak {peak:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
