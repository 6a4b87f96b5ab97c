"""Transmissions from many devices, checked in batches by the examiners, written in group commits.

Each request waits in a queue. A collector thread hands whatever has arrived to the examiner
processes as one batch (:func:`~achyk.services.transmission.check_requests`: the request's
signature and freshness, the protocol's examination). The one writer then takes the batches in
order and, for each, decides what needs the store, in arrival order: the device's rate limit (only
for a request it really signed), an answer already given to the same (device, nonce), and then
judges and writes the rest in one transaction, the answers with them. Each request's answer is
given only after its commit.

Earlier answers are not looked for before a group is written: nearly every request is new, and
the unique (device, nonce) key refuses a transaction that holds a resend, which then is done
again with them read first (see :func:`_write_group`). On PostgreSQL the look-up was a fifth of
the database server's CPU while devices transmitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from achyk.domain.definition import Election
from achyk.services.ingest import Examiners, _analysed, _backups, default_workers
from achyk.services.protocols import Examination, Passed, Receipt, record_examined
from achyk.services.transmission import (
    STATUS,
    Checked,
    OverRateLimit,
    SignedProtocol,
    Transmission,
    TransmissionAuthError,
    answer_of,
    check_requests,
    dumps,
    misaddressed_answer,
    now_s,
)
from achyk.store.database import Database
from achyk.store.repositories import Statistics
from achyk.store.transmission_models import add_transmissions, find_transmissions

MAX_GROUP = 512  # transmissions per writer transaction
CAREFUL_GROUPS = 20  # groups that look for earlier answers first, after one held a resend
IDLE_S = 5.0  # a pipeline ends after this long without a request
Admit = Callable[[str], bool]


class _Waiting:
    """One request in the pipeline. Its outcome is settled by the writer, then delivered: to
    a thread's Future, or to an event loop's future, a group's at once (one wake-up per loop)."""

    __slots__ = ("admit", "checked", "future", "loop", "outcome", "request")

    def __init__(self, request: SignedProtocol, admit: Admit | None,
                 loop: asyncio.AbstractEventLoop | None) -> None:  # fmt: skip
        self.request, self.admit, self.loop = request, admit, loop
        self.checked: Checked | None = None
        self.outcome: Transmission | BaseException | None = None
        self.future: Future[Transmission] | asyncio.Future[Transmission] = (
            Future() if loop is None else loop.create_future()
        )

    def settle(self, outcome: Transmission | BaseException) -> None:
        if self.outcome is None:
            self.outcome = outcome


def _deliver(group: list[_Waiting]) -> None:
    """Hand each settled outcome to whoever waits for it (unsettled: a failure)."""
    loops: dict[asyncio.AbstractEventLoop, list[_Waiting]] = {}
    for w in group:
        if w.outcome is None:
            w.outcome = RuntimeError("the transmission was not answered")
        if w.loop is None:
            _resolve(w)
        else:
            loops.setdefault(w.loop, []).append(w)
    for loop, waiting in loops.items():
        with contextlib.suppress(RuntimeError):  # the loop has closed: no one waits any more
            loop.call_soon_threadsafe(_resolve_all, waiting)


def _resolve_all(group: list[_Waiting]) -> None:
    for w in group:
        _resolve(w)


def _resolve(w: _Waiting) -> None:
    if w.future.done():  # an event loop's waiter may have been cancelled
        return
    if isinstance(w.outcome, BaseException):
        w.future.set_exception(w.outcome)
    elif w.outcome is not None:
        w.future.set_result(w.outcome)


class Transmissions:
    """One database's and election's pipeline. Started by the first request, ended after
    `IDLE_S` without one (its threads and worker processes with it). Use :func:`enqueue`."""

    def __init__(self, db: Database, election: Election, workers: int) -> None:
        self._db, self._election = db, election
        self._examiners = Examiners(election, workers)
        self._incoming: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._examining: queue.Queue[tuple[list[_Waiting], Future[list[Checked]]] | None]
        self._examining = queue.Queue()
        # A group is formed only when the writer has taken the one before it: what arrives while
        # a group is being written waits and goes in together (small groups cost a log append,
        # a checkpoint and a fold of the totals each).
        self._room = threading.Semaphore(1)
        self._statistics = Statistics()
        self._careful = 0  # groups still to look for earlier answers first (see _write_group)
        self._switches: tuple[float, dict[str, set[str]]] | None = None
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
                with _guard:
                    if not self._incoming.empty():
                        continue
                    self.closed = True  # no new arrival can reach this queue now
                    if _pipelines.get(self._key) is self:
                        del _pipelines[self._key]
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
                backups = self._backups()
                checked = self._examiners.run(check_requests, [w.request for w in group],
                                              backups, now_s())  # fmt: skip
            except Exception as err:
                _fail(group, err)
                _deliver(group)
                self._room.release()
            else:
                self._examining.put((group, checked))

    def _backups(self) -> dict[str, set[str]]:
        """The backups switched in, read at most once a second: examination only needs a
        recent view (a protocol a backup signed is judged again in the writer's transaction,
        against the switches stored then)."""
        at = time.monotonic()
        if self._switches is None or at - self._switches[0] > 1.0:
            self._switches = (at, _backups(self._db, self._election.id))
        return self._switches[1]

    @property
    def _key(self) -> tuple[int, str, int]:
        return (id(self._db), self._election.id, id(self._election))

    def _write(self) -> None:
        while True:
            got = self._examining.get()
            if got is None:
                return
            self._room.release()  # the next group may form while this one is written
            group, checked = got
            try:
                for w, c in zip(group, checked.result(), strict=True):
                    w.checked = c
            except Exception as err:  # the examiners failed: this batch is examined here
                try:
                    here = check_requests(self._election, [w.request for w in group],
                                          _backups(self._db, self._election.id), now_s())  # fmt: skip
                except Exception:
                    _fail(group, err)
                    _deliver(group)
                    continue
                for w, c in zip(group, here, strict=True):
                    w.checked = c
            try:
                resent = _write_group(self._db, self._election, group, self._careful > 0)
                # After a resend, the next groups look first: resends come in runs (a network
                # that lost answers), and a group written twice costs more than a look.
                self._careful = CAREFUL_GROUPS if resent else max(0, self._careful - 1)
            except Exception as err:
                _fail(group, err)
            _deliver(group)
            with contextlib.suppress(Exception):  # only a plan's speed depends on it
                _analysed(self._db, self._statistics, len(group))


def _write_group(db: Database, election: Election, group: list[_Waiting],
                 look_first: bool = True) -> bool:  # fmt: skip
    """Answer a checked group: refusals before the store, earlier answers, then one commit.

    `look_first=False` writes without first asking the store for answers already given to
    these (device, nonce) pairs: nearly every request is new, and the unique (device, nonce)
    key refuses the group's transaction if one is not; the group is then done again the
    careful way, its earlier answers read first. Returns whether the group held a resend of a
    request answered before (found either way)."""
    live: list[_Waiting] = []
    for w in group:
        c, r = w.checked, w.request
        assert c is not None
        if c.refused is not None:
            w.settle(TransmissionAuthError(c.refused))
        elif w.admit is not None and not w.admit(r.device):
            w.settle(OverRateLimit(f"device {r.device} is over its rate limit"))
        else:
            live.append(w)
    if not live:
        return False
    if not look_first:
        try:
            _judge_and_commit(db, election, live, {}, careful=False)
        except _Answered:  # a resend of a request answered before: nothing was written
            for w in live:  # and nothing answered: what was judged then is judged again
                w.outcome = None
        else:
            return False
    with db.read() as s:
        held = find_transmissions(s, [(w.request.device, w.request.nonce) for w in live])
    _judge_and_commit(db, election, live, held, careful=True)
    return not look_first or bool(held)


Held = dict[tuple[str, str], tuple[str, int, str]]  # (device, nonce) → its stored answer


def _judge_and_commit(
    db: Database, election: Election, live: list[_Waiting], held: Held, careful: bool
) -> None:
    """Answer `live` from `held` where it holds them, copies within the group as their first,
    and judge and commit the rest. `careful`: `held` was read from the store (a request
    answered meanwhile by another server process is then taken on its own); otherwise it is
    empty, and a request answered before raises `_Answered`, nothing written."""
    first: dict[tuple[str, str], _Waiting] = {}
    resends: list[tuple[_Waiting, _Waiting]] = []  # (a copy, the first of its nonce here)
    judged: list[_Waiting] = []
    wrong: list[_Waiting] = []
    for w in live:
        key = (w.request.device, w.request.nonce)
        digest = w.checked.digest if w.checked else ""
        if key in held:
            _answer_held(w, held[key])
        elif key in first:
            if first[key].checked.digest == digest:  # type: ignore[union-attr]
                resends.append((w, first[key]))
            else:
                w.settle(_reused(w.request))
        else:
            first[key] = w
            (wrong if w.checked and w.checked.misaddressed else judged).append(w)
    try:
        _commit(db, election, judged, wrong)
    except _Answered:
        if not careful:
            raise
        for w in [*judged, *wrong]:  # raced by another server process: each on its own
            _one_by_one(db, election, w)
    except Exception:
        # The group's transaction failed as a whole: each is tried on its own, so one
        # request's failure (a nonce raced by another server process) is that request's alone.
        for w in [*judged, *wrong]:
            _one_by_one(db, election, w)
    for copy, original in resends:
        _follow(copy, original)


def _commit(db: Database, election: Election, judged: list[_Waiting],
            wrong: list[_Waiting]) -> None:  # fmt: skip
    answers: list[tuple[_Waiting, int, dict[str, Any]]] = []

    def rows(receipts: list[Receipt]) -> list[dict[str, Any]]:
        answers.clear()  # a retry of the batch records its own answers
        out = []
        for w, receipt in zip(judged, receipts, strict=True):
            status, answer = STATUS[receipt.outcome], answer_of(receipt)
            answers.append((w, status, answer))
            out.append(_row(w, status, answer, None))
        for w in wrong:
            c = w.checked
            assert c is not None
            answer = misaddressed_answer(w.request, c.misaddressed)
            answers.append((w, 422, answer))
            out.append(_row(w, 422, answer, w.request.body))
        return out

    def record(s: Session, receipts: list[Receipt]) -> None:
        if len(receipts) != len(judged):  # record_examined is redoing it one at a time
            raise _Regroup
        _keep(s, rows(receipts))

    if judged:
        examinations: list[Examination | Passed] = []
        for w in judged:
            assert w.checked is not None and w.checked.examination is not None
            examinations.append(w.checked.examination)
        record_examined(db, election, examinations, record=record)
    elif wrong:
        with db.session() as s:
            _keep(s, rows([]))
    for w, status, answer in answers:
        w.settle(Transmission(status, answer, resent=False))


def _row(w: _Waiting, status: int, answer: dict[str, Any], refused: bytes | None) -> dict[str, Any]:
    r, c = w.request, w.checked
    assert c is not None
    return {"election_id": r.election_id, "station_id": r.station_id, "device_id": r.device,
            "nonce": r.nonce, "request_sha256": c.digest, "status": status,
            "answer": dumps(answer), "refused": refused}  # fmt: skip


def _keep(s: Session, rows: list[dict[str, Any]]) -> None:
    try:
        add_transmissions(s, rows)
    except IntegrityError as err:
        # Not an IntegrityError any more: record_examined would take it for a slot raced by
        # another writer and redo the protocols one at a time.
        raise _Answered from err


class _Answered(Exception):
    """A (device, nonce) of the group already has its answer stored: the transaction is void."""


class _Regroup(Exception):
    """A group cannot be redone one by one inside record_examined: the writer does it."""


def _one_by_one(db: Database, election: Election, w: _Waiting) -> None:
    if w.outcome is not None:
        return
    try:
        if w.checked is not None and w.checked.misaddressed:
            _commit(db, election, [], [w])
        else:
            _commit(db, election, [w], [])
    except (IntegrityError, _Answered):
        # The same request, recorded meanwhile by another process: its answer.
        with db.read() as s:
            held = find_transmissions(s, [(w.request.device, w.request.nonce)])
        found = held.get((w.request.device, w.request.nonce))
        if found is None:
            w.settle(RuntimeError("a transmission could not be recorded"))
        else:
            _answer_held(w, found)
    except Exception as err:
        w.settle(err)


def _answer_held(w: _Waiting, held: tuple[str, int, str]) -> None:
    digest, status, answer = held
    if w.checked is None or digest != w.checked.digest:
        w.settle(_reused(w.request))
    else:
        w.settle(Transmission(status, json.loads(answer), resent=True))


def _follow(copy: _Waiting, original: _Waiting) -> None:
    """A copy of a request sent again before the first copy was answered: the same answer."""
    first = original.outcome
    if isinstance(first, Transmission):
        copy.settle(Transmission(first.status, first.answer, resent=True))
    else:
        copy.settle(first or RuntimeError("the transmission was not answered"))


def _reused(r: SignedProtocol) -> TransmissionAuthError:
    return TransmissionAuthError(
        f"nonce {r.nonce} was already used by device {r.device} for another request"
    )


def _fail(group: list[_Waiting], err: BaseException) -> None:
    for w in group:
        w.settle(err)


_pipelines: dict[tuple[int, str, int], Transmissions] = {}
_guard = threading.Lock()


def enqueue(
    db: Database, election: Election, request: SignedProtocol, admit: Admit | None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Future[Transmission] | asyncio.Future[Transmission]:  # fmt: skip
    """The request's answer, once its group committed (or the reason it was refused): a
    Future to wait on in a thread, or with `loop`, a future of that event loop."""
    waiting = _Waiting(request, admit, loop)
    key = (id(db), election.id, id(election))
    with _guard:
        found = _pipelines.get(key)
        if found is None or found.closed:
            found = _pipelines[key] = Transmissions(db, election, default_workers())
        found._incoming.put(waiting)
    return waiting.future
