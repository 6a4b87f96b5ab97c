"""Asynchronous PostgreSQL connections for the check-in hot path.

The device API runs in an event loop. Handing each check-in to a worker thread only to wait
there on one SQL statement costs more CPU than the statement itself, so the common check-in
awaits it on an asyncio connection instead (psycopg's ``AsyncConnection``, autocommit: the
statement is its own transaction, see :func:`achyk.store.checkin_statements.fast_checkin_async`).

Connections use exactly the parameters of the engine's own (read once from a live connection,
so connect_args such as a test's ``search_path`` carry over). A pool belongs to one event loop:
an asyncio connection must not be used from another loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine

from achyk.store.database import statement_timeouts

# Enough to keep PostgreSQL busy from one server process (a statement takes well under a
# millisecond) without crowding its default limit of 100 connections.
POOL_SIZE = 16
CONNECT_TIMEOUT_S = 5


class AsyncPool:
    """A fixed-size pool of autocommitted asyncio connections, opened on demand."""

    def __init__(
        self, conninfo: str, password: str | None, size: int = POOL_SIZE, statement_ms: int = 0
    ) -> None:
        self._conninfo, self._password, self._size = conninfo, password, size
        self.statement_ms = statement_ms
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._opened = 0
        self._freed = asyncio.Condition()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await self._take()
        try:
            yield conn
        except BaseException:
            # A failed statement may leave the connection broken; never hand it out again.
            await self._drop(conn)
            raise
        else:
            await self._give(conn)

    async def _take(self) -> psycopg.AsyncConnection[Any]:
        async with self._freed:
            while not self._idle and self._opened >= self._size:
                await self._freed.wait()
            while self._idle:
                conn = self._idle.pop()
                if not (conn.closed or conn.broken):
                    return conn
                self._opened -= 1  # known dead (the server restarted, say): open another
            self._opened += 1
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, password=self._password, autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
            )  # fmt: skip
            if self.statement_ms:
                await conn.execute(f"SET statement_timeout = {int(self.statement_ms)}")
            return conn
        except BaseException:
            async with self._freed:
                self._opened -= 1
                self._freed.notify()
            raise

    async def close(self) -> None:
        async with self._freed:
            idle, self._idle = self._idle, []
            self._opened -= len(idle)
        for conn in idle:
            await conn.close()

    async def _give(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async with self._freed:
            self._idle.append(conn)
            self._freed.notify()

    async def _drop(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.close()
        async with self._freed:
            self._opened -= 1
            self._freed.notify()


_conninfo: weakref.WeakKeyDictionary[Engine, tuple[str, str | None]] = weakref.WeakKeyDictionary()
_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Engine, AsyncPool]
] = weakref.WeakKeyDictionary()


def pool_for(engine: Engine) -> AsyncPool:
    """This event loop's pool for the engine's database (PostgreSQL only)."""
    loop = asyncio.get_running_loop()
    pools = _pools.setdefault(loop, weakref.WeakKeyDictionary())
    found = pools.get(engine)
    if found is None:
        info = _conninfo.get(engine)
        if info is None:
            raw = engine.raw_connection()  # once per process: the engine's exact parameters
            try:
                pg = raw.driver_connection.info  # type: ignore[union-attr]
                info = _conninfo[engine] = (pg.dsn, pg.password)
            finally:
                raw.close()
        found = pools[engine] = AsyncPool(*info, statement_ms=statement_timeouts.get(engine, 0))
    return found


async def close_pools() -> None:
    """Close the running loop's pools (the server's shutdown)."""
    pools = _pools.pop(asyncio.get_running_loop(), None)
    for pool in list(pools.values()) if pools else []:
        await pool.close()


async def execute_one(engine: Engine, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Run one autocommitted statement and return its single row."""
    pool = pool_for(engine)
    # Beyond the server's own statement timeout, a client-side one: a server that stops
    # answering altogether (a dead link, a frozen host) is then an error too, not a hang.
    limit = pool.statement_ms / 1000 + CONNECT_TIMEOUT_S if pool.statement_ms else None
    async with pool.connection() as conn:
        cursor = await asyncio.wait_for(conn.execute(sql, params), limit)
        row = await cursor.fetchone()
    if row is None:
        raise RuntimeError("the statement returned no row")
    return tuple(row)
