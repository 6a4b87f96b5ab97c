"""kill -9 in the middle of appends leaves the log consistent: nothing lost, duplicated or ahead."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from achyk.ledger import MemoryTree, leaf_hash, verify_checkpoint
from achyk.services.ledger import log_vkey
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database, make_engine
from achyk.store.ledger_repo import LogStore
from achyk.store.models import LogEntryRow, LogHeadRow, ProtocolRow
from conftest import POSTGRES_URL, require_postgres

WORKER = Path(__file__).with_name("crash_worker.py")
SRC = Path(__file__).parents[2] / "src"


def check_consistent(db: Database, election_id: str) -> int:
    with db.read() as s:
        size = s.scalar(select(LogHeadRow.size).where(LogHeadRow.election_id == election_id)) or 0
        texts = list(
            s.scalars(
                select(LogEntryRow.entry)
                .where(LogEntryRow.election_id == election_id)
                .order_by(LogEntryRow.idx)
            )
        )
        assert len(texts) == size, "head and stored entries disagree"
        store = LogStore(s, election_id)
        assert store.nodes(0, 0, size) == [leaf_hash(t.encode()) for t in texts]
        cp = store.latest_checkpoint()
        assert cp is not None and cp.size == size, "the checkpoint is not at the stored size"
        assert cp.root == MemoryTree([leaf_hash(t.encode()) for t in texts]).root().hex()
        rows = s.execute(select(ProtocolRow.log_index, ProtocolRow.document)).all()
        protocol_entries = {
            i: json.loads(t) for i, t in enumerate(texts) if '"kind":"protocol"' in t
        }
        assert len(rows) == len(protocol_entries), "a protocol without its entry, or the reverse"
        for index, document in rows:
            assert json.loads(document) == protocol_entries[index]["protocol"]
        slots = s.scalar(
            select(func.count()).select_from(
                select(ProtocolRow.station_id, ProtocolRow.contest_id, ProtocolRow.kind)
                .distinct()
                .subquery()
            )
        )
        assert slots == len(rows), "a slot accepted twice"
    verify_checkpoint(cp.note, log_vkey(db, election_id))
    return size


def kill_rounds(url: str, schema: str, db: Database, rounds: int) -> None:
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    expected = len(generate(SMALL).submissions)
    for _ in range(rounds):
        child = subprocess.Popen(
            [sys.executable, str(WORKER), url, schema], stdout=subprocess.PIPE, env=env
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        check_consistent(db, SMALL.election_id)
    child = subprocess.run([sys.executable, str(WORKER), url, schema], env=env, capture_output=True,
                           timeout=120, check=True)  # fmt: skip
    assert child.stdout.endswith(b"done\n")
    check_consistent(db, SMALL.election_id)
    with db.read() as s:
        accepted = s.scalar(select(func.count()).select_from(ProtocolRow))
    assert accepted == expected - 1  # every protocol once; the broken one only as a rejection


def test_kill_9_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    kill_rounds(url, "", Database.open(url), rounds=4)


@pytest.mark.postgres
def test_kill_9_on_postgresql() -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}))
    try:
        kill_rounds(POSTGRES_URL, schema, db, rounds=4)
    finally:
        db.close()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
