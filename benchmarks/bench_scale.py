"""A country of 100,000 stations end to end on this machine: the xl profile, phase by phase.

Each phase runs as its own process, timed from outside, and its peak memory is read from the
kernel (wait4's ru_maxrss), so nothing one phase keeps is charged to another:

  load     `achyk election load definition.json` (100,000 stations, 200,000 device keys)
  ingest   every signed protocol (a preliminary and an official per station) through the real
           service in batches, as a bulk import does; protocols/s over the whole phase
  results  `achyk results` in a fresh process (cold: the definition read, the running totals read)
  publish  `achyk publish --out DIR` (record and static site), stopped at --publish-limit
  verify   `achyk verify DIR` on the record (protocols judged on every core); with --dask 1 2,
           again on Dask LocalClusters of 1 and 2 workers (linear across workers)
The aims (issue 16): load <= 10 s, ingest >= 5,000/s, results < 1 s, publish <= 120 s,
verify <= 60 s, no phase above 1,024 MB. The machine's load average is printed beside the
figures: on a shared machine they are slower than on an idle one.

The synthetic election is generated once into --cache (default /tmp/achyk-bench-xl) and reused.

Run: make bench-scale   (or: python benchmarks/bench_scale.py [--database URL] [--profile xl])
Last line: `scale: 100000 stations: load N s, ingest N/s, results N ms, publish N s, verify N s,
peak N MB`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIMS = {"load": 10.0, "ingest": 5_000.0, "results": 1.0, "publish": 120.0, "verify": 60.0}
PEAK_MB = 1_024
CPU: dict[str, float] = {}


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(name: str, argv: list[str], limit: float | None = None) -> tuple[float, float, str, bool]:
    """(seconds, peak MB, output, finished) of a child process; peak from /usr/bin/time -f %M."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", rss.name, *argv], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "120"},
            start_new_session=True,
        )  # fmt: skip
        finished = True
        try:
            out, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the child and /usr/bin/time, nothing else
            out, _ = proc.communicate()
            finished = False
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


GENERATE = """
import json, sys
from pathlib import Path
from achyk.formats.definition import election_to_document
from achyk.sim.generator import generate
from achyk.sim.profiles import PROFILES
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
sim = generate(PROFILES[sys.argv[1]])
(out / "definition.json").write_text(json.dumps(election_to_document(sim.election)))
with open(out / "protocols.jsonl", "wb") as f:
    for source, raw in sim.submissions:
        f.write(raw + b"\\n")
(out / "switches.json").write_text(json.dumps([sw.__dict__ for sw in sim.switches]))
(out / "done").write_text(str(len(sim.submissions)))
"""

INGEST = """
import json, sys, time
from achyk.services.protocols import record_device_switch, submit_protocols
from achyk.store.database import Database
db = Database.open(sys.argv[1], migrate_schema=False)
cache, batch = sys.argv[2], int(sys.argv[3])
for sw in json.load(open(cache + "/switches.json")):
    record_device_switch(db, None, sw["station_id"], sw["from_device"], sw["to_device"], sw["reason"])
started = time.perf_counter()
counts, chunk, n = {}, [], 0
def flush():
    for r in submit_protocols(db, None, chunk):
        counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
with open(cache + "/protocols.jsonl", "rb") as f:
    for line in f:
        n += 1
        chunk.append((f"p{n}", line.rstrip(b"\\n")))
        if len(chunk) == batch:
            flush(); chunk = []
if chunk:
    flush()
print(json.dumps({"seconds": time.perf_counter() - started, "protocols": n, "outcomes": counts}))
"""

COLD_RESULTS = """
import sys, time
started = time.perf_counter()
from achyk.services.results import outline_results
from achyk.store.database import Database
imported = time.perf_counter()
db = Database.open(sys.argv[1], migrate_schema=False)
e, tab = outline_results(db, None)
national = tab.national(e.contests[0].id)
regions = tab.children("national", e.contests[0].id)
done = time.perf_counter()
print(f"{done - imported:.3f} {imported - started:.3f} {national.counted.stations} {len(regions)}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="xl")
    parser.add_argument("--database", help="default: a fresh SQLite file")
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
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/scale.db"
        if args.database is None:
            from achyk.store.database import Database

            Database.open(url).close()  # migrate once, outside the timed phases
        print(f"{args.profile}: {total:,} protocols; database {url.split('@')[-1]}; "
              f"load average {_load()}", flush=True)  # fmt: skip
        peaks: dict[str, float] = {}

        took, peaks["load"], out, _ = run(
            "load", [achyk, "election", "load", str(cache / "definition.json"), "--database", url]
        )
        load_s = took
        found = re.search(r"(\d+) stations", out)
        stations = int(found.group(1)) if found else 0
        print(f"  load     {took:7.1f} s   peak {peaks['load']:6.0f} MB  "
              f"(aim {AIMS['load']:.0f} s; load average {_load()})", flush=True)  # fmt: skip

        took, peaks["ingest"], out, _ = run(
            "ingest", [py, "-c", INGEST, url, str(cache), str(args.batch)]
        )
        report = json.loads(out.strip().splitlines()[-1])
        rate = report["protocols"] / report["seconds"]
        print(f"  ingest   {rate:7.0f}/s  peak {peaks['ingest']:6.0f} MB  ({report['protocols']:,} "
              f"in {report['seconds']:.0f} s: {report['outcomes']}; aim {AIMS['ingest']:,.0f}/s; "
              f"load average {_load()})", flush=True)  # fmt: skip

        took, peaks["results"], out, _ = run("results", [achyk, "results", "--database", url])
        cli_s = took
        _, _, cold, _ = run("results (service)", [py, "-c", COLD_RESULTS, url])
        service_s, import_s, reported, regions = cold.split()
        print(f"  results  {cli_s * 1000:7.0f} ms  peak {peaks['results']:6.0f} MB  (`achyk "
              f"results` in a fresh process; of which the service {float(service_s) * 1000:.0f} "
              f"ms after {float(import_s) * 1000:.0f} ms of imports: {reported} stations reported,"
              f" {regions} regions; aim {AIMS['results'] * 1000:.0f} ms)", flush=True)  # fmt: skip

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
            for n in args.dask:  # linear across workers: the same record on a Dask LocalCluster
                took, _, out, _ = run(f"verify dask {n}", [
                    achyk, "verify", str(record), "--scheduler", f"local:{n}"])  # fmt: skip
                print(f"  verify   {took:7.1f} s   on a Dask LocalCluster of {n} worker(s) "
                      f"(load average {_load()})", flush=True)  # fmt: skip
        else:
            verify = "-"
            print("  verify   no record to verify")
        shutil.rmtree(record, ignore_errors=True)
    peak = max(peaks.values())
    print(f"peak memory by phase: {', '.join(f'{k} {v:.0f} MB' for k, v in peaks.items())} "
          f"(aim under {PEAK_MB} MB each); load average {_load()}")  # fmt: skip
    publish = f"{publish_s:.0f}" if finished else f">{publish_s:.0f}"
    print(f"scale: {stations} stations: load {load_s:.0f} s, "
          f"ingest {rate:.0f}/s, results {cli_s * 1000:.0f} ms, publish {publish} s, "
          f"verify {verify} s, peak {peak:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
