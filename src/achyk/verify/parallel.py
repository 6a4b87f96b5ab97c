"""The station protocols of the log judged in parallel: processes on this machine, or a Dask cluster.

Judging a protocol entry — its canonical form, its shape, its control relations and its device's
Ed25519 signature — needs the definition and nothing else the log says before it, except two
things the replay keeps in order: whether a *backup* device was switched in, and whether the
protocol's slot is still empty. So the log's protocol entries are judged in chunks by workers
(`examine`, exactly as the replay would), and the replay (achyk.verify.replay) takes each outcome
in log order, filling the slots itself; an entry signed by a backup device, or one a worker could
not judge (not canonical, not a protocol, another election), is judged by the replay as before.
The verdicts are the same; only who computes them differs.

Workers: a process pool forked after the definition is built (it is shared, not rebuilt), or a
Dask distributed cluster (`scheduler` = "tcp://HOST:PORT", or "local:N" for a LocalCluster of N
worker processes on this machine), whose workers build the election once each from the
definition scattered to them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from achyk.domain.definition import DeviceRole, Election
from achyk.domain.protocol import Protocol
from achyk.domain.submission import examine
from achyk.formats.definition import election_from_document
from achyk.verify.entries import is_canonical

CHUNK_ENTRIES = 8_192  # 32 bundles: about 6 MB of entries per task
PROTOCOL = b'"kind":"protocol"'


@dataclass(frozen=True)
class Judged:
    """A protocol entry's outcome as `examine` gives it, with no backup device switched in."""

    problems: tuple[str, ...]
    document_hash: str
    device_id: str | None
    protocol: Protocol | None


_elections: dict[str, Election] = {}  # definition hash → election, per worker process


def _election(key: str, definition: Any) -> Election:
    if key not in _elections:
        _elections.clear()
        _elections[key] = election_from_document(definition, "definition.json")
    return _elections[key]


def judge_chunk(
    key: str, definition: Any, first: int, entries: Sequence[bytes]
) -> dict[int, Judged]:
    """Outcomes of the protocol entries among `entries` (the first at log index `first`)."""
    election = _election(key, definition)
    out: dict[int, Judged] = {}
    for offset, raw in enumerate(entries):
        index = first + offset
        if index == 0 or PROTOCOL not in raw:
            continue
        try:
            entry = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if (not isinstance(entry, dict) or entry.get("kind") != "protocol"
                or entry.get("election") != election.id or not is_canonical(entry, raw)):  # fmt: skip
            continue  # the replay judges it (and names what is wrong)
        envelope = {k: entry.get(k) for k in ("protocol", "device", "signature")}
        place = election.place(str((entry.get("protocol") or {}).get("station")))
        device = place.station.device(str(entry.get("device"))) if place is not None else None
        if device is not None and device.role is DeviceRole.BACKUP:
            continue  # whether it was switched in is the replay's to say, in log order
        result = examine(election, envelope, {})
        out[index] = Judged(
            tuple(map(str, result.problems)), result.document_hash or "", result.device_id,
            result.protocol,
        )  # fmt: skip
    return out


def _chunks(entries: Iterator[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    chunk: list[bytes] = []
    first = 0
    for index, raw in enumerate(entries):
        if not chunk:
            first = index
        chunk.append(raw)
        if len(chunk) == CHUNK_ENTRIES:
            yield first, chunk
            chunk = []
    if chunk:
        yield first, chunk


_forked: tuple[str, Any] | None = None  # what a forked worker inherits: no copy sent per task


def _judge_forked(first: int, entries: Sequence[bytes]) -> dict[int, Judged]:
    assert _forked is not None
    return judge_chunk(_forked[0], _forked[1], first, entries)


def judge_protocols(
    entries: Iterator[bytes],
    definition: Any,
    key: str,
    election: Election,
    workers: int | None,
    scheduler: str | None,
) -> dict[int, Judged] | None:
    """Every protocol entry's outcome, judged by `workers` processes or on a Dask cluster;
    None when neither is asked for (the replay then judges each entry itself). `key` names the
    definition (the SHA-256 of its file) for the workers that build it."""
    global _forked
    if scheduler:
        return _on_dask(entries, key, definition, scheduler)
    if workers is None or workers <= 1 or "fork" not in _start_methods():
        return None
    _elections.clear()
    _elections[key] = election  # built once by the caller; the forked workers share it
    _forked = (key, definition)
    out: dict[int, Judged] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            pending = []
            for first, chunk in _chunks(entries):
                pending.append(pool.submit(_judge_forked, first, chunk))
                if len(pending) >= 2 * workers:  # a few chunks in flight, not the whole log
                    out.update(pending.pop(0).result())
            for future in pending:
                out.update(future.result())
    finally:
        _forked = None
    return out


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


@contextmanager
def dask_client(scheduler: str) -> Iterator[Any]:
    """A client of the cluster at `scheduler`; "local:N" starts a LocalCluster of N processes."""
    from distributed import Client, LocalCluster

    if scheduler.startswith("local"):
        n = int(scheduler.partition(":")[2] or os.cpu_count() or 1)
        with (
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster,  # type: ignore[no-untyped-call]
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):  # fmt: skip
            yield client
    else:
        with Client(scheduler, timeout=30) as client:  # type: ignore[no-untyped-call]
            yield client


def _on_dask(
    entries: Iterator[bytes], key: str, definition: Any, scheduler: str
) -> dict[int, Judged]:
    out: dict[int, Judged] = {}
    with dask_client(scheduler) as client:
        shared = client.scatter(definition, broadcast=True)
        n = max(1, len(client.scheduler_info()["workers"]))
        pending = []
        for first, chunk in _chunks(entries):
            pending.append(client.submit(judge_chunk, key, shared, first, chunk, pure=False))
            if len(pending) >= 2 * n:
                out.update(pending.pop(0).result())
        for future in pending:
            out.update(future.result())
    return out
