"""A Dask cluster for `achyk verify --scheduler`: its client, started as the verification begins,
and the election built on its workers from the definition's bytes.

A local cluster's processes take seconds to start and to import Dask and achyk, and each worker
needs the election (100,000 stations) to judge protocols. Both were serial time before any
protocol was judged: the cluster was started, and the election cut down and pickled for every
task, by the verifying process once it had built the election itself. Here the client is started
in a thread of its own while this process checks the checkpoint and the tiles; once the
definition is read its bytes are sent to every worker (once, broadcast), and each worker builds
the election from them (`on_worker`, the very function this process uses) while this process
builds its own. A task then carries only its entries.
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from achyk.domain.definition import Election
from achyk.formats.definition import election_from_document
from achyk.verify.entries import load

# A Dask worker's election: (sha256 of the definition's bytes, the election built from them),
# built by the first task that needs it and kept for the next ones (one definition at a time).
_built: tuple[str, Election] | None = None
_building = threading.Lock()  # (a worker of several threads builds it once)


def on_worker(definition: bytes, digest: str) -> Election:
    """The election of `definition` (its bytes, whose sha256 is `digest`), built in this worker
    process the first time a task asks for it, exactly as the verifying process built it."""
    global _built
    with _building:
        if _built is None or _built[0] != digest:
            if _built is not None:
                gc.unfreeze()  # (what was frozen with it may be collected again)
            _built = None  # the previous election let go before the next is built
            document, _ = load(definition)
            _built = (digest, election_from_document(document, "definition.json"))
            del document
            # Millions of objects that live as long as the worker: left out of the collector's
            # scans, which every task's unpickling (the entries, the files) would otherwise
            # repeat over all of them (a region's entries arrived 5 times slower).
            gc.freeze()
        return _built[1]


def _warm(definition: bytes, digest: str) -> None:
    """The election built ahead of the first task; a definition that does not build is the
    verifying process's to report (it then sends no task)."""
    with suppress(Exception):  # (reported where the verifying process builds it)
        on_worker(definition, digest)


@dataclass(frozen=True)
class Ready:
    """The cluster's client, the definition's bytes on every worker, how many workers."""

    client: Any
    definition: Any  # the future of the broadcast bytes
    digest: str  # their sha256
    workers: int
    warming: tuple[Any, ...]  # each worker's building task (held: a released one is cancelled)


class Cluster:
    """`dask_client(scheduler)`, started at once in a thread of its own; `send` the definition's
    bytes, and `ready()` waits for the client with them on every worker."""

    def __init__(self, scheduler: str) -> None:
        self._definition: bytes | None = None  # held only until sent
        self._given = threading.Event()
        self._ready: Future[Ready | None] = Future()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(scheduler,), daemon=True,
                                        name="achyk-dask-client")  # fmt: skip
        self._thread.start()

    def _run(self, scheduler: str) -> None:
        try:
            with dask_client(scheduler) as client:
                self._given.wait()
                definition, self._definition = self._definition, None
                if definition is None:  # the verification stopped before the definition
                    self._ready.set_result(None)
                else:
                    digest = hashlib.sha256(definition).hexdigest()
                    # Sent once to every worker (30 MB at 100,000 stations), not with every task.
                    shared = client.scatter(definition, broadcast=True, hash=False)
                    del definition  # (the workers hold it)
                    workers = list(client.scheduler_info()["workers"])
                    warming = tuple(client.submit(_warm, shared, digest, workers=[w], pure=False,
                                                  allow_other_workers=False) for w in workers)  # fmt: skip
                    self._ready.set_result(Ready(client, shared, digest, max(1, len(workers)),
                                                 warming))  # fmt: skip
                self._stop.wait()
        except BaseException as err:  # raised where the client is asked for, as before
            if not self._ready.done():
                self._ready.set_exception(err)

    def send(self, definition: bytes) -> None:
        """The definition's bytes, for the workers to build the election from (once)."""
        if not self._given.is_set():
            self._definition = definition
            self._given.set()

    def ready(self) -> Ready:
        """The client, once the definition `send` gave is on every worker."""
        ready = self._ready.result()
        if ready is None:
            raise RuntimeError("the cluster was closed before the definition was sent")
        return ready

    def close(self) -> None:
        """Close the client (and a local cluster); again is nothing."""
        self._given.set()
        self._stop.set()
        self._thread.join()


@contextmanager
def frozen() -> Iterator[None]:
    """The objects held now (the election) left out of the collector's scans until the end: the
    verifying process unpickles 200,000 outcomes, and each scan would go over millions of
    objects that live to the end anyway. Nothing if something else froze them already."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def started(scheduler: str) -> Iterator[Cluster]:
    cluster = Cluster(scheduler)
    try:
        yield cluster
    finally:
        cluster.close()


@contextmanager
def dask_client(scheduler: str) -> Iterator[Any]:
    """A client of the cluster at `scheduler`; "local:N" starts a cluster of N processes here."""
    from distributed import Client

    if scheduler.startswith("local"):
        n = int(scheduler.partition(":")[2] or os.cpu_count() or 1)
        with (
            tempfile.TemporaryDirectory(prefix="achyk-dask-") as scratch,
            _local_cluster(n, scratch) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):  # fmt: skip
            # Its workers register a moment after they start: the tasks in flight are counted
            # by them (`judged_protocols`), and none should wait for a worker still arriving.
            client.wait_for_workers(n, timeout=60)
            yield client
    else:
        with Client(scheduler, timeout=30) as client:  # type: ignore[no-untyped-call]
            yield client


def _local_cluster(n: int, scratch: str) -> Any:
    """N worker processes on this machine, and the scheduler in a process of its own where the
    platform allows (a LocalCluster's scheduler runs in this process: its event loop, and every
    task's payload passing through it, would take this process's time from the replay).
    `scratch`: a directory for the scheduler's address file, removed afterwards."""
    from distributed import LocalCluster

    if os.name == "posix":
        from distributed.deploy.subprocess import SubprocessCluster

        # No dashboard (None is what the function takes for that, though its hint says str);
        # the scheduler's HTTP endpoints on a free port, not on 8787.
        return SubprocessCluster(n_workers=n, threads_per_worker=1,
                                 dashboard_address=None,  # type: ignore[arg-type]
                                 scheduler_kwargs={"dashboard_address": ":0",
                                                   "scheduler_file": f"{scratch}/scheduler.json"},
                                 worker_class="distributed.Worker")  # fmt: skip
    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                        dashboard_address=None)  # fmt: skip
