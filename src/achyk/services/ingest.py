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
- :class:`~achyk.services.transmission_queue.Transmissions` — many devices over HTTP: each
  request waits in a queue; a collector thread hands whatever has arrived to the examiners as
  one batch (the request's signature is checked there too), and the writer commits those
  batches one after another, each answer given only after its commit.

The workers are forked from the process that already holds the parsed definition, so they share
it (copy-on-write) instead of each parsing 30 MB again.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from achyk.domain.definition import Election
from achyk.formats.definition_stations import no_cycle_collection
from achyk.services.elections import freeze_long_lived, get_election
from achyk.services.protocols import (
    Examination,
    Passed,
    Receipt,
    examine_submissions,
    record_examined,
)
from achyk.store.database import Database
from achyk.store.repositories import DeviceSwitches, Statistics

BATCH = 2_000  # submissions per writer transaction in a bulk import
DEPTH = 2  # batches being examined while one is written
COLLECT_EVERY = 10  # batches of a bulk import between two passes of the cyclic collector

_FORK = multiprocessing.get_context("fork")
T = TypeVar("T")
# What forked workers inherit: the definitions they examine against, by key.
_elections: dict[int, Election] = {}


def default_workers() -> int:
    """One examiner per core (`ACHYK_EXAMINERS` overrides; 0: examine in the writer's process)."""
    given = os.environ.get("ACHYK_EXAMINERS")
    if given is not None and given.strip().isdigit():
        return int(given)
    return min(os.cpu_count() or 1, 4)


_frozen_elections: weakref.WeakValueDictionary[int, Election] = weakref.WeakValueDictionary()


def _frozen(election: Election) -> None:
    """`freeze_long_lived` once per large definition, before the examiners are forked (a process
    that handles many small definitions keeps collecting them)."""
    if _frozen_elections.get(id(election)) is not election and freeze_long_lived(election):
        _frozen_elections[id(election)] = election


def _examine(key: int, submissions: Sequence[tuple[str, bytes]],
             backups: dict[str, set[str]]) -> list[Examination | Passed]:  # fmt: skip
    # What goes back through the pipe is what the writer reads, in its lean form (Passed).
    return [x.for_writer() for x in examine_submissions(_elections[key], submissions, backups)]


def _run(key: int, work: Callable[..., list[T]], items: Sequence[Any], *args: Any) -> list[T]:
    return work(_elections[key], items, *args)


class Examiners:
    """Worker processes that examine submissions against one election's definition."""

    def __init__(self, election: Election, workers: int) -> None:
        self.election = election
        self.workers = workers
        self._key = id(election)
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            _frozen(election)
            _elections[self._key] = election  # kept alive here: the key stays this election's
            # fork: the workers start from this process's memory, the definition already parsed
            self._pool = _pool(workers)

    def examine(
        self, submissions: Sequence[tuple[str, bytes]], backups: dict[str, set[str]]
    ) -> Future[list[Examination | Passed]]:
        """The examinations, in order, split across the workers (or here, without workers)."""
        if self._pool is None or len(submissions) < 2:
            done: Future[list[Examination | Passed]] = Future()
            done.set_result(list(examine_submissions(self.election, submissions, backups)))
            return done
        size = -(-len(submissions) // self.workers)
        try:
            parts = [self._pool.submit(_examine, self._key, submissions[at : at + size], backups)
                     for at in range(0, len(submissions), size)]  # fmt: skip
        except BrokenProcessPool:  # a worker died: a fresh pool, and this batch to it
            self._pool.shutdown(wait=False)
            self._pool = _pool(self.workers)
            return self.examine(submissions, backups)
        return _joined(parts)

    def run(
        self, work: Callable[..., list[T]], items: Sequence[Any], *args: Any
    ) -> Future[list[T]]:
        """`work(election, part, *args)` over parts of `items`, joined in order. `work` is a
        module-level function (the workers are given it by name) returning one result per item."""
        if self._pool is None or len(items) < 2:
            done: Future[list[T]] = Future()
            try:
                done.set_result(work(self.election, items, *args))
            except Exception as err:
                done.set_exception(err)
            return done
        size = -(-len(items) // self.workers)
        try:
            parts = [self._pool.submit(_run, self._key, work, items[at : at + size], *args)
                     for at in range(0, len(items), size)]  # fmt: skip
        except BrokenProcessPool:  # a worker died: a fresh pool, and this batch to it
            self._pool.shutdown(wait=False)
            self._pool = _pool(self.workers)
            return self.run(work, items, *args)
        return _joined(parts)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _pool(workers: int) -> ProcessPoolExecutor:
    # fork: the workers start from this process's memory, the definition already parsed; with
    # the cyclic collector on, whatever the forking process had (a bulk import holds it off)
    return ProcessPoolExecutor(workers, mp_context=_FORK, initializer=gc.enable)


def _joined(parts: list[Future[list[T]]]) -> Future[list[T]]:
    joined: Future[list[T]] = Future()
    remaining = [len(parts)]
    lock = threading.Lock()

    def settle(_: Future[list[T]]) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        try:
            joined.set_result([x for part in parts for x in part.result()])
        except BaseException as err:  # a worker died: the batch is examined nowhere
            joined.set_exception(err)
        # Each part holds this callback, and the callback the parts: a reference cycle that
        # kept every part's results until the cyclic collector ran (held off in a bulk import)
        parts.clear()

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
    pending: deque[tuple[list[tuple[str, bytes]], Future[list[Examination | Passed]]]] = deque()
    written = 0
    try:
        # The collector held off, and run every COLLECT_EVERY batches: each batch makes some
        # 100,000 short-lived objects, freed by reference counting, and with the collector on
        # they set off a full pass over every object alive in the writer's process once a batch
        # or more (a fifth of its time). What a batch leaves in reference cycles (a session's
        # bookkeeping) is little, and collected at those passes.
        with no_cycle_collection():
            for chunk in _batches(submissions, batch):
                pending.append((chunk, examiners.examine(chunk, _backups(db, election.id))))
                if len(pending) > DEPTH:
                    items, examined = pending.popleft()
                    yield from record_examined(db, election,
                                               _examined_or_here(db, election, items, examined))  # fmt: skip
                    _analysed(db, statistics, len(items))
                    written += 1
                    if written % COLLECT_EVERY == 0:
                        gc.collect()
            while pending:
                items, examined = pending.popleft()
                yield from record_examined(db, election,
                                           _examined_or_here(db, election, items, examined))  # fmt: skip
    finally:
        examiners.close()


def _analysed(db: Database, statistics: Statistics, written: int) -> None:
    if db.engine.dialect.name != "postgresql":  # only PostgreSQL's planner needs it: no
        return  # transaction at all for each batch elsewhere
    with db.session() as s:
        statistics.written(s, written)


def _examined_or_here(
    db: Database, election: Election, items: Sequence[tuple[str, bytes]],
    examined: Future[list[Examination | Passed]],
) -> Sequence[Examination | Passed]:  # fmt: skip
    """The workers' examinations; should a worker have died, the same examined here instead."""
    try:
        return examined.result()
    except BrokenProcessPool:
        return examine_submissions(election, items, _backups(db, election.id))
