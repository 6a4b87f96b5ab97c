"""The station protocols of the log judged in parallel: processes on this machine, or a Dask cluster.

Judging a protocol entry — its canonical form, its shape, its control relations and its device's
Ed25519 signature — needs the definition and nothing else the log says before it, except two
things the replay keeps in order: whether a *backup* device was switched in, and whether the
protocol's slot is still empty. So the log's protocol entries are judged in chunks by workers
(`examine`, exactly as the replay would), and the replay (achyk.verify.replay) takes each outcome
in log order, filling the slots itself; an entry signed by a backup device, or one a worker could
not judge (not canonical, not a protocol, another election, a station it was not given), is
judged by the replay as before. The verdicts are the same; only who computes them differs.

Workers: a process pool forked after the definition is built (it is shared, not rebuilt), or a
Dask distributed cluster (`scheduler` = "tcp://HOST:PORT", or "local:N" for N worker processes
on this machine, their scheduler in a process of its own). A Dask worker is sent the definition's
bytes once (broadcast) and builds the election from them itself (achyk.verify.cluster); there the
entries are judged a region per task, with these functions, and the protocols kept on the worker
for the region's check (achyk.verify.by_region).

Most protocol entries are judged by `Accepted`, a fast path that answers only for an entry it
finds valid (by the same relations, election and signature checks); any other is judged by
`examine`, as the replay would.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import get_context
from typing import Any

from achyk.domain.definition import DeviceRole, Election
from achyk.domain.protocol import (
    LINE_NUMBER,
    Protocol,
    ProtocolKind,
    check_against_election,
    check_protocol,
)
from achyk.domain.submission import examine
from achyk.signing import PROTOCOL_PURPOSE, ed25519_verifies
from achyk.verify.cluster import dask_client
from achyk.verify.entries import BEYOND_BMP, canonical, load

__all__ = ["Far", "Judged", "Verdicts", "dask_client", "judge_chunk", "judged_protocols"]

# 32 bundles, about 6 MB of entries per task: at 200,000 entries 25 tasks of a second or more
# each, so that a task's scheduling (milliseconds) and transfer are small beside its work.
CHUNK_ENTRIES = 8_192
PROTOCOL = b'"kind":"protocol"'


@dataclass(frozen=True, slots=True)
class Far:
    """A protocol judged, and kept, on a Dask worker (`achyk.verify.by_region`): its slot, which
    is all the replay reads of it. The protocol itself is fetched only where it is used."""

    station_id: str
    contest_id: str
    kind: ProtocolKind


@dataclass(frozen=True)
class Judged:
    """A protocol entry's outcome as `examine` gives it, with no backup device switched in."""

    problems: tuple[str, ...]
    document_hash: str
    device_id: str | None
    protocol: Protocol | Far | None  # (Far: kept on a worker, the device and signature too)
    signature: str | None = None  # the entry's, as logged (shown on the station pages)


def judge_chunk(election: Election, first: int, entries: Sequence[bytes]) -> dict[int, Judged]:
    """Outcomes of the protocol entries among `entries` (the first at log index `first`)."""
    return judge_entries(election, enumerate(entries, start=first))


def judge_entries(election: Election, entries: Iterable[tuple[int, bytes]]) -> dict[int, Judged]:
    """Outcomes of the protocol entries among `entries` (log index, entry)."""
    out: dict[int, Judged] = {}
    accept = Accepted(election)
    for index, raw in entries:
        if index == 0 or PROTOCOL not in raw:
            continue
        done = accept(raw)
        if done is not None:
            out[index] = done
            continue
        try:
            entry, plain = load(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if (not isinstance(entry, dict) or entry.get("kind") != "protocol"
                or entry.get("election") != election.id or canonical(entry, plain) != raw):  # fmt: skip
            continue  # the replay judges it (and names what is wrong)
        envelope = {k: entry.get(k) for k in ("protocol", "device", "signature")}
        place = election.place(str((entry.get("protocol") or {}).get("station")))
        if place is None:
            continue  # not a station this worker was given: the replay judges it
        device = place.station.device(str(entry.get("device")))
        if device is not None and device.role is DeviceRole.BACKUP:
            continue  # whether it was switched in is the replay's to say, in log order
        result = examine(election, envelope, {})
        out[index] = Judged(
            tuple(map(str, result.problems)), result.document_hash or "", result.device_id,
            _shared(result.protocol), _signature(entry),
        )  # fmt: skip
    return out


def _signature(entry: dict[str, Any]) -> str | None:
    signature = entry.get("signature")
    return signature if isinstance(signature, str) else None


_ENTRY_KEYS = frozenset(("device", "election", "kind", "protocol", "signature"))
_KINDS = {k.value: k for k in ProtocolKind}
_TEXT = ("election", "station", "contest", "kind")


class Accepted:
    """The common case of a protocol entry judged without `examine`'s general machinery: a
    canonical entry of exactly the usual fields, a protocol of exactly its form's fields and
    types, that breaks no relation and whose scanner's signature libsodium accepts.

    A fast path, never a second rulebook: the relations, the election's stations, contests and
    ballot lines are judged by the very functions `examine` calls (check_protocol,
    check_against_election), the signature by `ed25519_verifies` (libsodium accepts only what
    OpenSSL accepts); the protocol built is the one `protocol_from_json` builds. Anything else —
    any doubt at all — answers None, and the entry is judged the full way (`examine`), which
    names every problem. The protocol's canonical bytes are cut from the entry's, checked once.
    """

    def __init__(self, election: Election) -> None:
        self.election = election
        form = election.form
        self.form = form
        self.extra = form.extra_keys() if form is not None else ()
        self.keys = frozenset((*_TEXT, "votes", *LINE_NUMBER, *self.extra,
                               *(("form",) if form is not None else ())))  # fmt: skip
        self.purpose = PROTOCOL_PURPOSE.encode() + b"\n"

    def __call__(self, raw: bytes) -> Judged | None:
        try:
            entry, plain = load(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        # Plain and within the BMP: the C encoder's text, keys sorted, is RFC 8785's (as in
        # `canonical`, and as `examine`'s `canonical_json_of_parsed` gives the protocol).
        if not plain or type(entry) is not dict or entry.keys() != _ENTRY_KEYS:
            return None
        if not raw.isascii() and BEYOND_BMP.search(raw.decode("utf-8")) is not None:
            return None
        doc, device_id, signature = entry["protocol"], entry["device"], entry["signature"]
        election_id = entry["election"]
        if (type(doc) is not dict or type(device_id) is not str or type(signature) is not str
                or election_id != self.election.id or entry["kind"] != "protocol"):  # fmt: skip
            return None
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        body = text.encode("utf-8")
        whole = b"".join((b'{"device":', _dumps(device_id), b',"election":', _dumps(election_id),
                          b',"kind":"protocol","protocol":', body, b',"signature":',
                          _dumps(signature), b"}"))  # fmt: skip
        if whole != raw:
            return None
        p = self.protocol(doc)
        if p is None or check_against_election(p, self.election):
            return None
        if check_protocol(p, self.form)[0]:
            return None
        place = self.election.place(p.station_id)
        device = place.station.device(device_id) if place is not None else None
        if device is None or device.role is not DeviceRole.SCANNER:
            return None  # (a backup's signature counts only once a switch to it is logged)
        try:
            key = base64.b64decode(device.public_key, validate=True)
            sig = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(key) != 32 or len(sig) != 64 or not ed25519_verifies(key, sig, self.purpose + body):
            return None
        return Judged((), hashlib.sha256(body).hexdigest(), device_id, p, signature)

    def protocol(self, doc: dict[str, Any]) -> Protocol | None:
        """What `protocol_from_json(doc, form, strict=True)` builds when it finds no problem;
        None where it might find one."""
        if doc.keys() != self.keys:
            return None
        for k in _TEXT:
            if type(doc[k]) is not str or not doc[k]:
                return None
        kind = _KINDS.get(doc["kind"])
        votes = doc["votes"]
        if kind is None or type(votes) is not dict:
            return None
        if self.form is not None and doc["form"] != self.form.id:
            return None
        for k in LINE_NUMBER:
            if type(doc[k]) is not int:
                return None
        for k in self.extra:
            if type(doc[k]) is not int:
                return None
        for n in votes.values():
            if type(n) is not int:
                return None
        i = sys.intern  # shared by the replay's 200,000 slots, pickled once per chunk
        return Protocol(
            i(doc["election"]), doc["station"], i(doc["contest"]), kind,
            votes=tuple((i(o), n) for o, n in votes.items()),
            form_id=None if self.form is None else i(self.form.id),
            extra=tuple((i(k), doc[k]) for k in self.extra),
            **{k: doc[k] for k in LINE_NUMBER},
        )  # fmt: skip


def _dumps(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode("utf-8")


def _shared(p: Protocol | None) -> Protocol | None:
    """The protocol with its repeated strings (election, contest, kind of line, party) interned:
    pickled once per chunk, not once per protocol, and held once by the replay's 200,000 slots."""
    if p is None:
        return None
    i = sys.intern
    return replace(
        p, election_id=i(p.election_id), contest_id=i(p.contest_id),
        votes=tuple((i(o), n) for o, n in p.votes), extra=tuple((i(k), n) for k, n in p.extra),
        form_id=None if p.form_id is None else i(p.form_id),
    )  # fmt: skip


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


class Verdicts:
    """The workers' outcomes, looked up by log index in increasing order (as the replay goes).

    A few chunks are in flight at once (`ahead`); a chunk's outcomes are taken when the replay
    reaches its first entry and let go when it moves past its last, so neither the log nor its
    200,000 outcomes are ever all held, and the replay runs while the workers judge what follows.
    """

    def __init__(self, chunks: Iterator[tuple[int, list[bytes]]],
                 submit: Callable[[int, list[bytes]], Any], ahead: int) -> None:  # fmt: skip
        self._chunks = chunks
        self._submit = submit
        self._ahead = max(1, ahead)
        self._pending: deque[tuple[int, Any, list[bytes]]] = deque()  # (end, future, entries)
        self._current: dict[int, Judged] = {}
        self._entries: list[bytes] = []  # the current chunk's entries
        self._end = 0  # the current chunk's outcomes cover indices below this
        self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._ahead:
            nxt = next(self._chunks, None)
            if nxt is None:
                return
            first, chunk = nxt
            self._pending.append((first + len(chunk), self._submit(first, chunk), chunk))

    def _next(self) -> None:
        self._end, future, self._entries = self._pending.popleft()
        self._current = future.result()
        self._fill()

    def get(self, index: int) -> Judged | None:
        while index >= self._end and self._pending:
            self._next()
        return self._current.get(index)

    def stream(self) -> Iterator[bytes]:
        """The log's entries in order, from the chunks the workers were sent (the log read and
        its bundles decoded once for both); each chunk's outcomes are taken as it begins."""
        while self._pending:
            self._next()
            yield from self._entries
        self._entries = []


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


_forked: Election | None = None  # what a forked worker inherits: no copy sent per task


def _judge_forked(first: int, entries: Sequence[bytes]) -> dict[int, Judged]:
    assert _forked is not None
    return judge_chunk(_forked, first, entries)


@contextmanager
def judged_protocols(
    entries: Iterator[bytes], election: Election, workers: int | None
) -> Iterator[Verdicts | None]:
    """Every protocol entry's outcome, judged by `workers` forked processes as the replay asks
    for it; None when there is one worker or no fork (the replay then judges each entry itself).
    `election` is the one built from the verified definition. (On a Dask cluster the entries are
    judged a region per task: achyk.verify.by_region.)"""
    global _forked
    if workers is None or workers <= 1 or "fork" not in _start_methods():
        yield None
        return
    _forked = election  # the forked workers share it
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:

            def forked(first: int, chunk: list[bytes]) -> Any:
                return pool.submit(_judge_forked, first, chunk)

            try:
                yield Verdicts(_chunks(entries), forked, 2 * workers)
            finally:  # a replay cut short leaves no work behind
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _forked = None
