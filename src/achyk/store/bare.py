"""Reading a few tables through the DB-API driver alone, without SQLAlchemy.

A fresh `achyk results` must answer in well under a second, and importing SQLAlchemy (its engine,
its SQL compiler, its ORM and our models) took half of that before a single row was read. What
results above the stations need is six small queries (services.outline); they are written here
in the SQL both databases share, for sqlite3 or psycopg directly.

Only a shortcut, never a second store: `open_bare` answers None whenever anything is not plain —
a URL with options, a SQLite file that does not exist yet, a schema that is not at its newest
revision (it must be migrated), any error of the driver — and the caller opens the database the
usual way (store.database), which creates, migrates, or names the problem as it always has.
The queries are those of the repositories (store.repositories, store.tally_repo); a test holds
the answers of both ways equal on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_URL = "sqlite:///achyk.db"
MIGRATIONS = Path(__file__).parent / "migrations"

_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.*?)\s*$", re.MULTILINE)


def database_url(explicit: str | None = None) -> str:
    """--database, then ACHYK_DATABASE_URL, then `achyk.db` in the working directory."""
    url = explicit or os.environ.get("ACHYK_DATABASE_URL") or DEFAULT_URL
    # psycopg 3 is the driver we ship; a plain postgresql:// URL would ask for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def head_revision() -> str | None:
    """The newest revision, read from the migration files themselves when their chain has one
    head; None (let Alembic decide) for anything less simple, a merge above all."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        text = path.read_text(encoding="utf-8")
        found = {m.group(1): m.group(2) for m in _REVISION.finditer(text)}
        revision, parent = found.get("revision", ""), found.get("down_revision", "")
        if not re.fullmatch(r'"[^"]+"', revision) or not re.fullmatch(r'"[^"]+"|None', parent):
            return None
        revisions.add(revision.strip('"'))
        if parent != "None":
            parents.add(parent.strip('"'))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


class Bare:
    """One read-only unit of work on a bare DB-API connection: every query sees one snapshot
    (SQLite's deferred transaction; PostgreSQL's repeatable read), closed by `close`."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self._c = connection
        self.dialect = dialect

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """`sql` written with `?` placeholders (psycopg's are `%s`)."""
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        cursor = self._c.execute(sql, tuple(params))
        return [tuple(r) for r in cursor.fetchall()]

    def close(self) -> None:
        try:
            self._c.rollback()  # nothing was written: end the read transaction
        finally:
            self._c.close()


def open_bare(url: str | None) -> Bare | None:
    """A bare connection to the database of `url` when it is plain and at the schema's head, in
    a read transaction; else None (then open it the usual way: store.database.Database.open)."""
    url = database_url(url)
    if "?" in url or "#" in url:
        return None  # driver options: SQLAlchemy knows how to pass each of them
    try:
        if url.startswith("sqlite:///"):
            bare = _sqlite(url[len("sqlite:///") :])
        elif url.startswith("postgresql+psycopg://"):
            bare = _postgresql("postgresql://" + url[len("postgresql+psycopg://") :])
        else:
            return None
    except Exception:  # any doubt at all: the usual way opens it, and names the problem
        return None
    if bare is None:
        return None
    try:
        head = head_revision()
        at_head = head is not None and bare.rows("SELECT version_num FROM alembic_version") == [
            (head,)
        ]
    except Exception:
        at_head = False  # no such table (a new database): Alembic's to create
    if not at_head:
        bare.close()
        return None
    return bare


def _sqlite(path: str) -> Bare | None:
    if not path or path.startswith((":", "file:")) or "%" in path or not os.path.isfile(path):
        # in memory, a URI, a name SQLAlchemy would unquote, or a file still to create (and
        # privately: store.database)
        return None
    import sqlite3

    # isolation_level None: BEGIN is ours (as store.database has it); 30 s: its busy_timeout.
    c = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    c.execute("BEGIN")  # one snapshot for every read below, taken at the first
    return Bare(c, "sqlite")


def _postgresql(conninfo: str) -> Bare | None:
    import psycopg

    timeout = int(os.environ.get("ACHYK_DB_CONNECT_TIMEOUT_S", "5"))
    c = psycopg.connect(conninfo, connect_timeout=timeout)
    c.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    c.read_only = True
    ms = int(os.environ.get("ACHYK_DB_STATEMENT_TIMEOUT_MS", "0") or 0)
    if ms:
        c.execute(f"SET statement_timeout = {ms}")
    return Bare(c, "postgresql")
