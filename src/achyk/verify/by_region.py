"""The protocol entries judged on a Dask cluster's workers a region per task, and kept there.

The verifying process reads the log, sends each region's protocol entries to a worker as one
task (`_judge_region`: the very judging of `achyk.verify.parallel`), and gets back only what the
replay reads of each outcome (`_Lean`: its problems, its document's hash and its slot). The
protocols themselves stay on the worker that judged them (`Held`, a Dask future), and the
region's check (`achyk.verify.regions`) runs there, on them: the 200,000 protocols are never
unpickled by the verifying process nor pickled into the region's check again. A protocol the
verifying process itself needs (an audit's counts, observers' copies, flagged protocols, the
remote-voting path) is fetched from the workers where it is asked for (`Replay.current`).

Which region an entry goes to is read from its bytes (its station), a hint only: the worker
judges the entry whole and keeps only the outcomes of its region's stations; an entry not sent
to any region, or sent to the wrong one, is judged by the replay, as before.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, ProtocolKind
from achyk.verify.cluster import Ready, on_worker
from achyk.verify.entries import LogEntries
from achyk.verify.parallel import PROTOCOL, Far, Judged, judge_entries
from achyk.verify.regions import PublishedFiles, RegionFiles

_STATION = b'"station":"'


def _station(raw: bytes) -> str:
    """The station a canonical protocol entry names (its first "station" key), or ""."""
    at = raw.find(_STATION)
    if at < 0:
        return ""
    at += len(_STATION)
    end = raw.find(b'"', at)
    text = raw[at:end]
    return "" if end < 0 or b"\\" in text else text.decode("utf-8", "replace")


_KINDS = {k.value: k for k in ProtocolKind}
_FILES_AT_ONCE = 8  # regions' published files read and sent at once (a few MB each)
# index → (problems, document hash, station, contest, kind): None for the last three where
# the entry gave no protocol
Lean = tuple[tuple[str, ...], str, str | None, str | None, str | None]


@dataclass(frozen=True)
class _Judging:
    """A region's protocol entries (log index, entry), sent as one object."""

    region_id: str
    entries: list[tuple[int, bytes]]


@dataclass(frozen=True)
class Held:
    """A region's protocol entries as the worker that judged them keeps them: each outcome
    whole (protocol, device, signature), by log index, pickled — and what the replay reads of
    them (`verdicts`). A worker holds every region it judged until the verification ends: as
    objects, 20,000 outcomes of the xl record took 37.7 MB, pickled 7.4 MB, and a one-worker
    cluster's worker peaked at 1,231 MB (the aim is 1 GB). Unpickling them for the region's
    check costs about 3.6 CPU-s per 200,000."""

    packed: bytes
    verdicts: dict[int, Lean]

    @classmethod
    def of(cls, judged: dict[int, Judged]) -> Held:
        return cls(pickle.dumps(judged, protocol=pickle.HIGHEST_PROTOCOL), lean(judged))

    @property
    def judged(self) -> dict[int, Judged]:
        """The outcomes, unpickled (a new copy at each call)."""
        out: dict[int, Judged] = pickle.loads(self.packed)
        return out


@dataclass(frozen=True)
class _Lean:
    """What the replay reads of a region's outcomes, returned as one object (Dask sends a bare
    dict item by item)."""

    verdicts: dict[int, Lean]


@dataclass(frozen=True)
class _Picked:
    """Protocols fetched from a worker, with their devices and signatures, by log index."""

    protocols: dict[int, tuple[Protocol, str | None, str | None]]


def judge_region(election: Election, region_id: str, entries: list[tuple[int, bytes]]) -> Held:
    """The outcomes of the protocol entries among `entries` whose protocol is of a station of
    the region (or that gave none: a verdict on the entry alone)."""
    kept: dict[int, Judged] = {}
    for index, judged in judge_entries(election, entries).items():
        p = judged.protocol
        if p is not None:
            place = election.place(p.station_id)
            if place is None or place.region_id != region_id:
                continue  # not this region's: the replay judges it
        kept[index] = judged
    return Held.of(kept)


def lean(judged: dict[int, Judged]) -> dict[int, Lean]:
    out: dict[int, Lean] = {}
    for index, j in judged.items():
        p = j.protocol
        if p is None:
            out[index] = (j.problems, j.document_hash, None, None, None)
        else:
            out[index] = (j.problems, j.document_hash, p.station_id, p.contest_id, p.kind.value)
    return out


def _judge_region(definition: bytes, digest: str, task: _Judging) -> Held:
    return judge_region(on_worker(definition, digest), task.region_id, task.entries)


def _lean(held: Held) -> _Lean:
    return _Lean(held.verdicts)


def _pick(held: Held, indices: list[int]) -> _Picked:
    out: dict[int, tuple[Protocol, str | None, str | None]] = {}
    judged = held.judged
    for i in indices:
        j = judged[i]
        assert isinstance(j.protocol, Protocol)
        out[i] = (j.protocol, j.device_id, j.signature)
    return _Picked(out)


def _files(published: PublishedFiles | None, region: str) -> RegionFiles | None:
    if published is None:
        return None
    try:
        return published.of(region)
    except Exception:  # (raised again where the region's check reads them)
        return None


class JudgedByRegion:
    """The protocol entries' outcomes judged on the cluster, looked up by log index as the
    replay goes (`get`, `stream`: as `achyk.verify.parallel.Verdicts`); the protocols fetched
    from the workers where they are needed (`fetch`); each region's `Held` future, for its check.
    """

    def __init__(
        self,
        ready: Ready,
        entries: LogEntries,
        election: Election,
        published: PublishedFiles | None = None,
    ) -> None:
        """`published`: the regions' published files, sent to the workers that judge them."""
        self.ready = ready
        self.published = published
        self._entries = entries
        client = ready.client
        routed: dict[str, list[tuple[int, bytes]]] = {}
        self._routed: dict[int, str] = {}  # log index → the region it was sent to
        for index, raw in enumerate(entries.stream()):
            if index == 0 or PROTOCOL not in raw:
                continue
            place = election.place(_station(raw))
            if place is not None:
                region = place.region_id
                routed.setdefault(region, []).append((index, raw))
                self._routed[index] = region
        # Each region to a worker (the least loaded so far, by entries), in the order the
        # replay needs them (Dask runs the earlier submitted first); its entries sent, and its
        # judging asked for, one region after another (the first judged as the next are sent).
        order = sorted(routed, key=lambda r: routed[r][0][0])
        workers = sorted(client.scheduler_info()["workers"]) or [None]
        load = dict.fromkeys(workers, 0)
        self.worker: dict[str, Any] = {}  # region → the worker that judges and keeps it
        self.held: dict[str, Any] = {}  # region → the future of its `Held`
        self._lean: dict[str, Any] = {}  # region → the future of its `_Lean`, then its verdicts
        for region in order:
            w = self.worker[region] = min(workers, key=lambda w: load[w])
            load[w] += len(routed[region])
            data = client.scatter(_Judging(region, routed.pop(region)), direct=True, hash=False,
                                  workers=None if w is None else [w])  # fmt: skip
            # Pinned: its entries, files and protocols stay where it is judged and checked (a
            # task stolen by another worker would have them all sent over, pickled again).
            pinned = self.on(region)
            future = client.submit(_judge_region, ready.definition, ready.digest, data,
                                   pure=False, **pinned)  # fmt: skip
            self.held[region] = future
            self._lean[region] = client.submit(_lean, future, pure=False, **pinned)
        # Then each region's published files, read and sent to the same worker while it judges.
        self.files: dict[str, Any] = {}  # region → the future of its files, where sent
        for w in workers:
            mine = [r for r in order if self.worker[r] == w]
            for at in range(0, len(mine), _FILES_AT_ONCE):
                batch = [(r, f) for r in mine[at : at + _FILES_AT_ONCE]
                         if (f := _files(published, r)) is not None]  # fmt: skip
                if batch:
                    sent = client.scatter([f for _, f in batch], direct=True, hash=False,
                                          workers=None if w is None else [w])  # fmt: skip
                    self.files.update(zip([r for r, _ in batch], sent, strict=True))

    def on(self, region: str) -> dict[str, Any]:
        """Where a task of `region` must run: the worker that judges and keeps it."""
        w = self.worker.get(region)
        return {} if w is None else {"workers": [w], "allow_other_workers": False}

    def get(self, index: int) -> Judged | None:
        region = self._routed.get(index)
        if region is None:
            return None
        verdicts = self._lean[region]
        if not isinstance(verdicts, dict):
            verdicts = self._lean[region] = verdicts.result().verdicts
        v = verdicts.pop(index, None)
        if v is None:
            return None
        problems, digest, station, contest, kind = v
        far = None if station is None or contest is None or kind is None else Far(
            station, contest, _KINDS[kind])  # fmt: skip
        return Judged(problems, digest, None, far, None)

    def stream(self) -> Iterator[bytes]:
        """The log's entries in order (read again: cheaper than holding them)."""
        return self._entries.stream()

    def fetch(self, indices: list[int]) -> dict[int, tuple[Protocol, str | None, str | None]]:
        by_region: dict[str, list[int]] = {}
        for i in indices:
            by_region.setdefault(self._routed[i], []).append(i)
        client = self.ready.client
        futures = [client.submit(_pick, self.held[r], wanted, pure=False, **self.on(r))
                   for r, wanted in by_region.items()]  # fmt: skip
        out: dict[int, tuple[Protocol, str | None, str | None]] = {}
        for future in futures:
            picked: _Picked = future.result()
            out.update(picked.protocols)
        return out
