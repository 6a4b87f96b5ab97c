"""Group commit for SQLite: many small units of work, one durable commit.

SQLite has one writer at a time and, with ``synchronous=FULL``, every commit waits for the disk.
A check-in is a few row operations and one commit, so on SQLite the disk sets the pace: one
fsync per voter. A :class:`CommitGroup` runs the units of work that arrive together in one
transaction, one after another, each in its own savepoint, and commits once. Each caller is
answered only after that commit, so an answer still means "on disk". Their order and outcomes
are exactly those of running them one by one, because they run one by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from achyk.store.database import Database

T = TypeVar("T")

MAX_GROUP = 256  # units in one transaction: enough to drain any queue a station network builds
IDLE_S = 5.0  # the writer thread ends after this long without work (and starts again on demand)

_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def writer_lock(db: Database) -> AbstractContextManager[object]:
    """SQLite has one writer at a time; queueing this process's writers here spares them SQLite's
    busy-wait sleeps (up to 100 ms each), which would otherwise dominate under many stations."""
    if db.dialect != "sqlite":
        return nullcontext()
    with _locks_guard:
        return _locks.setdefault(id(db), threading.Lock())


class _Unit(Generic[T]):
    __slots__ = ("future", "loop", "work")

    def __init__(
        self, work: Callable[[Session], T], loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[T],
    ) -> None:  # fmt: skip
        self.work, self.loop, self.future = work, loop, future


class CommitGroup:
    """One writer thread for a database; :meth:`run` hands it a unit of work and awaits it."""

    def __init__(self, db: Database, max_group: int = MAX_GROUP) -> None:
        self._db = db
        self._max = max_group
        self._queue: queue.SimpleQueue[_Unit[Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in the next group; its result once the group has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Unit(work, loop, future))
        with self._lock:
            if not self._running:  # the writer thread stops when idle; start it again
                self._running = True
                threading.Thread(target=self._serve, name="achyk-commit-group", daemon=True).start()
        return await future

    def _serve(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            group = [first]
            while len(group) < self._max:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            outcomes = self._commit(group)
            for unit, (ok, value) in zip(group, outcomes, strict=True):
                # A closed event loop raises RuntimeError: nobody is waiting there any more.
                with contextlib.suppress(RuntimeError):
                    unit.loop.call_soon_threadsafe(_settle, unit.future, ok, value)

    def _commit(self, group: list[_Unit[Any]]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with writer_lock(self._db), self._db.session() as s:
                for unit in group:
                    try:
                        with s.begin_nested():  # a failing unit takes back only its own rows
                            outcomes.append((True, unit.work(s)))
                    except Exception as err:
                        outcomes.append((False, err))
        except Exception as err:  # the commit itself failed: nothing of the group was recorded
            return [(False, err)] * len(group)
        return outcomes


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


_groups: weakref.WeakKeyDictionary[Database, CommitGroup] = weakref.WeakKeyDictionary()
_groups_guard = threading.Lock()


def commit_group(db: Database) -> CommitGroup:
    with _groups_guard:
        found = _groups.get(db)
        if found is None:
            found = _groups[db] = CommitGroup(db)
        return found
