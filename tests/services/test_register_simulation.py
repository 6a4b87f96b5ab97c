"""The simulated register and election day: check-ins made by two processes come out as by one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from achyk.domain.register import Refusal
from achyk.services import register_simulation
from achyk.services.register_simulation import run_register
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import PROFILES
from achyk.store.database import Database

CHECKINS = (
    "SELECT voter_hash, station_id, channel, device_id, checked_in_at, hour FROM checkins "
    "ORDER BY voter_hash"
)


def _run(db: Database, monkeypatch: pytest.MonkeyPatch, parallel_from: int) -> tuple[object, ...]:
    monkeypatch.setattr(register_simulation, "PARALLEL_FROM", parallel_from)
    sim = generate(PROFILES["small"])
    run_simulation(db, sim)
    run = run_register(db, sim, batch=7_000)
    with db.read() as s:
        rows = [tuple(r) for r in s.execute(text(CHECKINS))]
        refusals = sorted(
            tuple(r) for r in s.execute(text("SELECT voter_hash, reason FROM checkin_refusals"))
        )
    return run.merkle_root, run.checkins, run.refused, run.examples, rows, refusals


def test_check_ins_in_two_processes_are_those_of_one(
    db: Database, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    forked = _run(db, monkeypatch, parallel_from=1)
    alone = Database.open(f"sqlite:///{tmp_path_factory.mktemp('one') / 'one.db'}")
    try:
        single = _run(alone, monkeypatch, parallel_from=10**9)
    finally:
        alone.close()
    root, checkins, refused, examples, rows, refusals = forked
    assert checkins > 30_000 and refused[Refusal.ALREADY_VOTED] == 25
    assert len(examples) == 5 and all(e.startswith("already voted at station") for e in examples)
    assert (root, checkins, refused, examples) == single[:4]
    assert len(rows) == checkins and len(refusals) == sum(refused.values())
    if db.dialect == "sqlite":  # the same stored text; PostgreSQL returns its own types
        assert rows == single[4] and refusals == single[5]
    else:
        assert [(bytes(r[0]), *r[1:4], r[5]) for r in rows] == [
            (bytes(r[0]), *r[1:4], r[5]) for r in single[4]
        ]
