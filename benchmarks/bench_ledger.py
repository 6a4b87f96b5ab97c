"""Signed-protocol ingestion with tamper evidence vs. a plain insert of the same rows.

Side by side, in one run, on SQLite and PostgreSQL: the kg-2025 simulation's ~10,200 signed
protocols through `submit_protocols` (JSON parse, Ed25519 signature check, control relations,
log append with node hashes and a signed checkpoint per batch, protocol rows) followed by the
tabulation of the result; against an executemany INSERT of the same protocol documents into a
table with no checks at all. The ratio is what tamper evidence costs.

Run: make bench-ledger
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, text

from achyk.services.elections import load_election
from achyk.services.protocols import record_device_switch, submit_protocols
from achyk.services.results import results
from achyk.sim.generator import generate
from achyk.sim.profiles import KG_2025
from achyk.store.database import Database, make_engine, migrate

POSTGRES = os.environ.get(
    "ACHYK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 500


def ingest(db: Database) -> float:
    sim = generate(KG_2025)
    load_election(db, sim.election)
    for sw in sim.switches:
        record_device_switch(
            db, sim.election.id, sw.station_id, sw.from_device, sw.to_device, sw.reason
        )
    subs = sim.submissions
    started = time.perf_counter()
    for i in range(0, len(subs), BATCH):
        submit_protocols(db, sim.election.id, subs[i : i + BATCH])
    results(db, sim.election.id)
    return len(subs) / (time.perf_counter() - started)


def plain(db: Database) -> float:
    sim = generate(KG_2025)
    table = Table("plain_protocols", MetaData(), Column("id", Integer, primary_key=True),
                  Column("source", String(200)), Column("body", Text))  # fmt: skip
    table.create(db.engine)
    rows = [{"source": s, "body": raw.decode()} for s, raw in sim.submissions]
    started = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        with db.engine.begin() as c:
            c.execute(insert(table), rows[i : i + BATCH])
    return len(rows) / (time.perf_counter() - started)


def sqlite_db(tmp: Path, name: str) -> Database:
    return Database.open(f"sqlite:///{tmp / name}")


def postgres_db() -> tuple[Database, str] | None:
    try:
        admin = create_engine(POSTGRES)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as err:
        print(f"PostgreSQL not reachable ({err.__class__.__name__}); skipping it")
        return None
    engine = make_engine(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    migrate(engine)
    return Database(engine), schema


def drop(schema: str) -> None:
    with create_engine(POSTGRES).begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    figures: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["SQLite"] = (
            ingest(sqlite_db(Path(tmp), "a.db")),
            plain(sqlite_db(Path(tmp), "b.db")),
        )
        for _ in range(1):
            made = postgres_db()
            if made is None:
                break
            db, schema = made
            try:
                achyk_rate = ingest(db)
                db.close()
                other = postgres_db()
                assert other is not None
                plain_rate = plain(other[0])
                other[0].close()
                drop(other[1])
            finally:
                drop(schema)
            figures["PostgreSQL"] = (achyk_rate, plain_rate)
    for name, (ours, base) in figures.items():
        print(f"{name:10} achyk ingest {ours:8.0f} protocols/s   plain insert {base:8.0f} rows/s   "
              f"ratio {base / ours:5.1f}×")  # fmt: skip
    sqlite_rate, sqlite_plain = figures["SQLite"]
    pg = figures.get("PostgreSQL")
    pg_text = f"{pg[0]:.0f}" if pg else "n/a"
    print(f"ingest: {sqlite_rate:.0f} protocols/s on SQLite, {pg_text} on PostgreSQL; "
          f"tamper evidence costs {sqlite_plain / sqlite_rate:.1f}×")  # fmt: skip


if __name__ == "__main__":
    main()
