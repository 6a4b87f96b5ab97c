"""Ingestion at scale: protocols examined in worker processes, written by one writer.

Examining a protocol — parsing it, checking its shape and every control relation, verifying the
device's Ed25519 signature — needs nothing from the database, and it is most of the work. So it
runs in a pool of worker processes (:class:`Examiners`), one per core, each holding the election
definition it judges against. One writer then judges what each slot already holds (accepted,
duplicate, conflict) and appends the whole batch to the log in one transaction: the log entries,
the protocol and refusal rows and the running totals (:func:`~achyk.services.protocols.
record_examined`). Outcomes, receipts and log order are exactly those of examining the same
submissions one by one in the same order: examination is a pure function of the submission and
the definition, and everything that depends on what is stored is decided by the writer alone.

Two feeds share the pipeline:

- :func:`ingest_protocols` — a bulk import (`achyk protocol submit` of many files): batch *n*
  is written while batches *n + 1* and *n + 2* are being examined.
- :class:`Transmissions` — many devices over HTTP: each request's protocol waits in a queue;
  a collector thread hands whatever has arrived to the examiners as one batch, and the writer
  commits those batches one after another, each answer given only after its commit.

The workers are forked from the process that already holds the parsed definition, so they share
it (copy-on-write) instead of each parsing 30 MB again.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from achyk.domain.definition import Election
from achyk.services.elections import get_election
from achyk.services.protocols import (
    Examination,
    Receipt,
    Record,
    examine_submissions,
    record_examined,
)
from achyk.store.database import Database
from achyk.store.repositories import DeviceSwitches, Statistics

BATCH = 2_000  # submissions per writer transaction in a bulk import
MAX_GROUP = 512  # transmissions per writer transaction over HTTP
DEPTH = 2  # batches being examined while one is written
IDLE_S = 5.0  # a transmission pipeline ends after this long without a protocol

_FORK = multiprocessing.get_context("fork")
# What forked workers inherit: the definitions they examine against, by key.
_elections: dict[int, Election] = {}


def default_workers() -> int:
    """One examiner per core (`ACHYK_EXAMINERS` overrides; 0: examine in the writer's process)."""
    given = os.environ.get("ACHYK_EXAMINERS")
    if given is not None and given.strip().isdigit():
        return int(given)
    return min(os.cpu_count() or 1, 4)


def _examine(key: int, submissions: Sequence[tuple[str, bytes]],
             backups: dict[str, set[str]]) -> list[Examination]:  # fmt: skip
    return examine_submissions(_elections[key], submissions, backups)


class Examiners:
    """Worker processes that examine submissions against one election's definition."""

    def __init__(self, election: Election, workers: int) -> None:
        self.election = election
        self.workers = workers
        self._key = id(election)
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            _elections[self._key] = election  # kept alive here: the key stays this election's
            # fork: the workers start from this process's memory, the definition already parsed
            self._pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork")
            )

    def examine(
        self, submissions: Sequence[tuple[str, bytes]], backups: dict[str, set[str]]
    ) -> Future[list[Examination]]:
        """The examinations, in order, split across the workers (or here, without workers)."""
        if self._pool is None or len(submissions) < 2:
            done: Future[list[Examination]] = Future()
            done.set_result(examine_submissions(self.election, submissions, backups))
            return done
        size = -(-len(submissions) // self.workers)
        try:
            parts = [self._pool.submit(_examine, self._key, submissions[at : at + size], backups)
                     for at in range(0, len(submissions), size)]  # fmt: skip
        except BrokenProcessPool:  # a worker died: a fresh pool, and this batch to it
            self._pool.shutdown(wait=False)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_FORK)
            return self.examine(submissions, backups)
        return _joined(parts)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _joined(parts: list[Future[list[Examination]]]) -> Future[list[Examination]]:
    joined: Future[list[Examination]] = Future()
    remaining = [len(parts)]
    lock = threading.Lock()

    def settle(_: Future[list[Examination]]) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        try:
            joined.set_result([x for part in parts for x in part.result()])
        except BaseException as err:  # a worker died: the batch is examined nowhere
            joined.set_exception(err)

    for part in parts:
        part.add_done_callback(settle)
    return joined


def _backups(db: Database, election_id: str) -> dict[str, set[str]]:
    with db.read() as s:
        return DeviceSwitches(s).active_backups(election_id)


def _batches(items: Iterable[tuple[str, bytes]], size: int) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_protocols(
    db: Database,
    election_id: str | None,
    submissions: Iterable[tuple[str, bytes]],
    *,
    batch: int = BATCH,
    workers: int | None = None,
) -> Iterator[Receipt]:
    """Receive many submissions (a bulk import); receipts in input order, batch by batch.

    Each batch is one writer transaction; a batch that fails to be written is not recorded at
    all (the exception ends the import), so what is stored is always a prefix of the input.
    """
    election = get_election(db, election_id)
    examiners = Examiners(election, default_workers() if workers is None else workers)
    statistics = Statistics()
    pending: deque[tuple[list[tuple[str, bytes]], Future[list[Examination]]]] = deque()
    try:
        for chunk in _batches(submissions, batch):
            pending.append((chunk, examiners.examine(chunk, _backups(db, election.id))))
            if len(pending) > DEPTH:
                items, examined = pending.popleft()
                yield from record_examined(db, election,
                                           _examined_or_here(db, election, items, examined))  # fmt: skip
                _analysed(db, statistics, len(items))
        while pending:
            items, examined = pending.popleft()
            yield from record_examined(db, election,
                                       _examined_or_here(db, election, items, examined))  # fmt: skip
    finally:
        examiners.close()


class _Waiting:
    __slots__ = ("future", "item", "record")

    def __init__(self, item: tuple[str, bytes], record: Record | None) -> None:
        self.item, self.record = item, record
        self.future: Future[Receipt] = Future()


class Transmissions:
    """Protocols arriving one per request, examined in batches and written in group commits.

    Started by the first transmission to a database and election, ended after `IDLE_S` without
    one (its threads and worker processes with it). Use :func:`transmit`.
    """

    def __init__(self, db: Database, election: Election, workers: int) -> None:
        self._db, self._election = db, election
        self._examiners = Examiners(election, workers)
        self._incoming: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._examining: queue.Queue[tuple[list[_Waiting], Future[list[Examination]]] | None]
        self._examining = queue.Queue()
        # A group is formed only when the writer has taken the one before it: what arrives while
        # a group is being written waits and goes in together (small groups cost a log append,
        # a checkpoint and a fold of the totals each).
        self._room = threading.Semaphore(1)
        self._statistics = Statistics()
        self.closed = False
        threading.Thread(target=self._collect, name="achyk-examine", daemon=True).start()
        self._writer = threading.Thread(target=self._write, name="achyk-protocol-writer",
                                        daemon=True)  # fmt: skip
        self._writer.start()

    def _collect(self) -> None:
        while True:
            self._room.acquire()
            try:
                first = self._incoming.get(timeout=IDLE_S)
            except queue.Empty:
                self._room.release()
                with _transmissions_guard:
                    if not self._incoming.empty():
                        continue
                    self.closed = True  # no new arrival can reach this queue now
                    if _transmissions.get(self._key) is self:
                        del _transmissions[self._key]
                self._examining.put(None)
                self._writer.join()
                self._examiners.close()
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    group.append(self._incoming.get_nowait())
                except queue.Empty:
                    break
            try:
                backups = _backups(self._db, self._election.id)
                examined = self._examiners.examine([w.item for w in group], backups)
            except Exception as err:
                _fail(group, err)
                self._room.release()
            else:
                self._examining.put((group, examined))

    @property
    def _key(self) -> tuple[int, str, int]:
        return (id(self._db), self._election.id, id(self._election))

    def _write(self) -> None:
        while True:
            got = self._examining.get()
            if got is None:
                return
            self._room.release()  # the next group may form while this one is written
            group, examined = got
            try:
                examinations = examined.result()
                records = [w.record for w in group]
                receipts = record_examined(self._db, self._election, examinations,
                                           record=_each(records))  # fmt: skip
            except Exception:
                # The group's transaction failed as a whole: each is tried on its own, so one
                # request's failure (a nonce raced by its own resend) is that request's alone.
                _one_by_one(self._db, self._election, group, examined)
                continue
            for w, r in zip(group, receipts, strict=True):
                w.future.set_result(r)
            with contextlib.suppress(Exception):  # only a plan's speed depends on it
                _analysed(self._db, self._statistics, len(group))


def _each(records: list[Record | None]) -> Record:
    """One transaction's record callback: each request records its own receipt's answer."""

    def record(session: Any, receipts: list[Receipt]) -> None:
        if len(receipts) != len(records):  # the batch is being redone one at a time
            raise _Regroup
        for rec, receipt in zip(records, receipts, strict=True):
            if rec is not None:
                rec(session, [receipt])

    return record


class _Regroup(Exception):
    """A group cannot be redone one by one inside record_examined: the writer does it."""


def _one_by_one(
    db: Database, election: Election, group: list[_Waiting],
    examined: Future[list[Examination]],
) -> None:  # fmt: skip
    examinations = _examined_or_here(db, election, [w.item for w in group], examined)
    for w, x in zip(group, examinations, strict=True):
        try:
            [receipt] = record_examined(db, election, [x], record=w.record)
        except Exception as err:
            w.future.set_exception(err)
        else:
            w.future.set_result(receipt)


def _analysed(db: Database, statistics: Statistics, written: int) -> None:
    with db.session() as s:
        statistics.written(s, written)


def _examined_or_here(
    db: Database, election: Election, items: Sequence[tuple[str, bytes]],
    examined: Future[list[Examination]],
) -> list[Examination]:  # fmt: skip
    """The workers' examinations; should a worker have died, the same examined here instead."""
    try:
        return examined.result()
    except BrokenProcessPool:
        return examine_submissions(election, items, _backups(db, election.id))


def _fail(group: list[_Waiting], err: BaseException) -> None:
    for w in group:
        if not w.future.done():
            w.future.set_exception(err)


_transmissions: dict[tuple[int, str, int], Transmissions] = {}
_transmissions_guard = threading.Lock()


def transmit(
    db: Database, election: Election, source: str, raw: bytes, record: Record | None = None
) -> Receipt:
    """Judge and record one transmitted protocol in the next group; blocks until it committed
    (called from a request's worker thread). The receipt is the one `submit_protocols` gives."""
    waiting = _Waiting((source, raw), record)
    key = (id(db), election.id, id(election))
    with _transmissions_guard:
        found = _transmissions.get(key)
        if found is None or found.closed:
            found = _transmissions[key] = Transmissions(db, election, default_workers())
        found._incoming.put(waiting)
    return waiting.future.result()
