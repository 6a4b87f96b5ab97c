"""Opening the database: SQLite file by default, PostgreSQL through ACHYK_DATABASE_URL or --database."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

# Shared with the bare reader of `achyk results` (store.bare), which must not import SQLAlchemy.
from achyk.store.bare import MIGRATIONS, database_url
from achyk.store.bare import head_revision as _head_revision


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the results site read while protocols are being written; FULL sync keeps an
    # acknowledged protocol on disk across a power cut.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # Take transaction control from pysqlite so that BEGIN is ours to write (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    _sqlite_pragmas(dbapi_connection, record)


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock up front (BEGIN IMMEDIATE): two deferred transactions that
    # both read and then write would deadlock and one would fail at once with "database is locked".
    conn.exec_driver_sql(
        "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN"
    )


def _create_private(path: str | None) -> None:
    """Create a new SQLite file readable by its owner alone (its -wal and -shm files follow its
    mode): the register's hashes and the evidence are not for every user of the machine."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with suppress(FileExistsError, FileNotFoundError):  # SQLite names a missing folder itself
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, *, statement_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; on PostgreSQL with connect, pool and statement timeouts (a database
    that stalls is then an error the API answers 503, not a request that hangs forever)."""
    url = database_url(url)
    if url.startswith("sqlite"):
        _create_private(make_url(url).database)
        # As many pooled connections as the ASGI server has worker threads: past the default
        # 5 + 10, each request opened (and set up) a connection of its own and closed it again.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    _timeouts(kwargs, statement_timeout_ms)
    # No pre-ping: it would cost a round trip on every checkout, on the check-in hot path;
    # connections are recycled hourly instead, and a dropped one fails its unit of work cleanly.
    # Up to the ASGI server's 40 worker threads; PostgreSQL's default limit is 100 connections,
    # so two server processes stay well inside it.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, pool_recycle=3600, **kwargs)
    ms = statement_timeout(statement_timeout_ms)
    if ms:
        statement_timeouts[engine] = ms

        @event.listens_for(engine, "connect")
        def _limit(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(ms)}")
            dbapi_connection.commit()

    return engine


# Per engine, for the check-in path's own asyncio connections (achyk.store.async_pg).
statement_timeouts: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def statement_timeout(explicit: int | None = None) -> int:
    """Milliseconds a statement may run on PostgreSQL: ``explicit``, else
    $ACHYK_DB_STATEMENT_TIMEOUT_MS, else none (0). `achyk serve` sets 15 s."""
    if explicit is not None:
        return explicit
    return int(os.environ.get("ACHYK_DB_STATEMENT_TIMEOUT_MS", "0") or 0)


def _timeouts(kwargs: dict[str, Any], statement_timeout_ms: int | None) -> None:
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault(
        "connect_timeout", int(os.environ.get("ACHYK_DB_CONNECT_TIMEOUT_S", "5"))
    )
    kwargs.setdefault("pool_timeout", 10)  # no free connection in 10 s: answer 503, not hang


def _at_head(engine: Engine) -> bool:
    """Whether the schema is already at the newest revision: one query instead of Alembic's
    start-up (its imports and every migration script read), which a fresh `achyk results`
    cannot afford. Any doubt answers False and Alembic runs as ever."""
    head = _head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as c:
            rows = c.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return False  # no such table yet (a new database), or no database: Alembic says which
    return [tuple(r) for r in rows] == [(head,)]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    if _at_head(engine):
        return
    from alembic import command  # only when there is something to do: Alembic is slow to start
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """An engine and its session factory; the services take one of these."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writes = sessionmaker(engine.execution_options(write=True), expire_on_commit=False)
        self._reads = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls, url: str | None = None, *, migrate_schema: bool = True,
        statement_timeout_ms: int | None = None,
    ) -> Database:  # fmt: skip
        engine = make_engine(database_url(url), statement_timeout_ms=statement_timeout_ms)
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work that writes: committed when the block ends normally, else rolled back."""
        with self._writes() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (never takes SQLite's write lock)."""
        with self._reads() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
