"""Observer submissions signed and logged per second, 300 teams at once; and the PVT estimate's time.

On the kg-2025 definition (2,600 stations): an ODIHR-style mission is accredited, registers 600
STOs in 300 teams and commits its plan (ten stations a team). Each observer signs a form a station
on their own phone beforehand (not timed: the phones work in parallel, offline); then 300 threads
— one a team — send their queues at once, the way phones do when the signal returns, each
submission checked against the registered key and appended to the log with a signed checkpoint.
Counted: submissions logged per wall-clock second, on PostgreSQL and on SQLite. Then the ratio
estimate over a stratified sample of 1,000 stations, the median of 20 runs.

    python benchmarks/bench_observers.py [--per-team 10] [--one-by-one]

PostgreSQL comes from $ACHYK_BENCH_POSTGRES_URL (default: the test database), in a fresh schema
dropped afterwards. The last line reads
``observers: N submissions/s signed and logged (300 teams at once), PVT estimate in N ms``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
import uuid

from sqlalchemy import create_engine, text

from achyk.observers import signing as sig
from achyk.observers.deployment import draw
from achyk.observers.pvt import ratio_estimate
from achyk.services.elections import load_election
from achyk.services.observers.record import election_strata, record, record_many
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import build_election
from achyk.sim.profiles import PROFILES
from achyk.store.database import Database, make_engine, migrate

PG_URL = os.environ.get(
    "ACHYK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEAMS = 300


def run(db: Database, label: str, per_team: int, one_by_one: bool) -> float:
    profile = PROFILES["kg-2025"]
    election = build_election(profile)
    load_election(db, election)
    eid = election.id
    cec = private_key_from_seed(f"achyk-sim/{profile.name}/{profile.seed}/cec".encode())
    mkey = private_key_from_seed(b"bench mission")
    assert record(db, eid, "mission-accreditation",
                  sig.accreditation(cec, "cec", "odihr", "international", "ODIHR",
                                    public_key_b64(mkey))).index is not None  # fmt: skip
    keys = {f"sto-{i:03}": private_key_from_seed(f"bench/{i}".encode()) for i in range(2 * TEAMS)}
    regs = [sig.registration(mkey, "odihr", p, "sto", f"team-{i // 2:03}", k)
            for i, (p, k) in enumerate(keys.items())]  # fmt: skip
    assert all(r.index is not None for r in record_many(db, eid, "observer-registration", regs))
    plan = draw(
        "bench", [f"team-{t:03}" for t in range(TEAMS)], election_strata(election), per_team
    )
    assert record(db, eid, "deployment-plan", sig.plan_entry(mkey, "odihr", plan)).index is not None
    queues: list[list[dict[str, object]]] = []
    for team, stations in plan.assignments.items():
        t = int(team.split("-")[1])
        members = [f"sto-{2 * t:03}", f"sto-{2 * t + 1:03}"]
        queues.append([
            sig.observation(keys[members[n % 2]], "odihr", members[n % 2], s, "voting",
                            {"answers": {"assessment": "good", "n": n}})
            for n, s in enumerate(stations)
        ])  # fmt: skip
    total = sum(len(q) for q in queues)
    failures: list[str] = []

    def send(queue: list[dict[str, object]]) -> None:
        batches = [[e] for e in queue] if one_by_one else [queue]
        for batch in batches:
            for r in record_many(db, eid, "observation", batch):
                if r.index is None:
                    failures.append("; ".join(r.refused))

    threads = [threading.Thread(target=send, args=(q,)) for q in queues]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    assert not failures, failures[:3]
    rate = total / elapsed
    mode = "one request a form" if one_by_one else "a team's queue a request"
    print(f"{label}: {total:,} submissions from {len(queues)} teams in {elapsed:.2f} s — "
          f"{rate:,.0f}/s ({mode})")  # fmt: skip
    return rate


def pvt_ms() -> float:
    rng = random.Random(2002)
    strata = {}
    for h in range(10):
        clusters = []
        for _ in range(100):
            base = rng.randint(200, 1500)
            clusters.append((float(rng.randint(0, base)), float(base)))
        strata[f"r{h}"] = (260, clusters)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        ratio_estimate(strata, 99)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-team", type=int, default=10)
    parser.add_argument("--one-by-one", action="store_true", help="a request per form")
    a = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        migrate(engine)
        db = Database(engine)
        pg = run(db, "PostgreSQL", a.per_team, a.one_by_one)
        db.close()
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{tmp}/bench.db")
        lite = run(db, "SQLite", a.per_team, a.one_by_one)
        db.close()
    ms = pvt_ms()
    print(f"PostgreSQL / SQLite: {pg / lite:.2f}; the aim: 500/s on PostgreSQL "
          f"({pg / 500:.2f}× the aim)")  # fmt: skip
    print(f"observers: {pg:,.0f} submissions/s signed and logged ({TEAMS} teams at once), "
          f"PVT estimate in {ms:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
