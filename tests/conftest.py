"""Shared fixtures: a fresh database on SQLite and on PostgreSQL for every test that asks for `db`.

PostgreSQL tests run when a server is reachable ($ACHYK_TEST_POSTGRES_URL, default the local `test`
database); with CI=true an unreachable server is a failure, not a skip. Each PostgreSQL test gets its own
schema, so parallel workers never see each other's rows.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from achyk.store.database import Database, make_engine, migrate

POSTGRES_URL = os.environ.get(
    "ACHYK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_reachable: bool | None = None
# Log keys are files (never rows): tests on PostgreSQL, which has no file to put them beside,
# keep theirs in a folder of this run's own, not in the working tree.
os.environ.setdefault("ACHYK_KEY_DIR", tempfile.mkdtemp(prefix="achyk-test-keys-"))


def postgres_reachable() -> bool:
    global _reachable
    if _reachable is None:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as c:
                c.execute(text("select 1"))
            engine.dispose()
            _reachable = True
        except OperationalError:
            _reachable = False
    return _reachable


def require_postgres() -> None:
    if postgres_reachable():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but PostgreSQL is not reachable at {POSTGRES_URL}")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")


def _sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database.open(f"sqlite:///{tmp_path / 'achyk.db'}")
    yield db
    db.close()


def _postgres_db() -> Iterator[Database]:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    migrate(engine)
    db = Database(engine)
    try:
        yield db
    finally:
        db.close()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_db(tmp_path)
    else:
        yield from _postgres_db()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    yield from _sqlite_db(tmp_path)


@pytest.fixture
def postgres_url() -> str:
    require_postgres()
    return POSTGRES_URL
