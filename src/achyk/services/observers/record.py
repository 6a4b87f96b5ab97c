"""Logging observer entries: each judged by the fold (`achyk.observers.fold`) against what the log
already holds, appended at once, or refused and kept as evidence with its reason.

The signatures are made on the signers' own devices (CEC, mission, observer); the server holds none
of their keys. The fold of the log is kept per process and brought up to date from the entries
appended since (by any process) under the log head's lock, so judging a submission does not re-read
the whole log and two writers cannot both pass an entry only one of them may log.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from achyk.canonical import canonical_json
from achyk.domain.definition import Election
from achyk.domain.per_election import PerElection
from achyk.errors import AchykError
from achyk.observers.deployment import strata_of
from achyk.observers.fold import Observers
from achyk.observers.model import KINDS, ObserverError
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.models import LogEntryRow
from achyk.store.repositories import Rejections


@dataclass(frozen=True)
class Logged:
    index: int | None  # the entry's place in the log; None when refused
    refused: tuple[str, ...] = ()
    duplicate: bool = False  # the same signed submission was logged before: its first entry


def central_keys(election: Election) -> dict[str, str]:
    return {a.id: a.public_key for a in election.authorities if a.body == "central"}


def _strata(election: Election) -> dict[str, list[str]]:
    return strata_of(
        (p.station.id, p.region_id, p.station.abroad)
        for p in election.stations()
        if p.station.channel == "station"
    )


# The election's stations by deployment stratum (the remote-voting unit is not a place), once
# per parsed definition.
election_strata: PerElection[dict[str, list[str]]] = PerElection(_strata, keep=16)


@dataclass
class _Cached:
    state: Observers
    upto: int  # entries below this index are folded


# Per database object (weakly held, so a closed test database takes its fold with it).
_caches: weakref.WeakKeyDictionary[Database, dict[str, _Cached]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cache(db: Database) -> dict[str, _Cached]:
    found = _caches.get(db)
    if found is None:
        found = _caches[db] = {}
    return found


def fold_observers(s: Session, db: Database, election: Election) -> Observers:
    """The fold of the election's observer entries, brought up to the log's current size."""
    cache = _cache(db)
    cached = cache.get(election.id)
    if cached is None or cached.upto > LogStore(s, election.id).head():
        cached = cache[election.id] = _Cached(Observers(), 0)
    q = (
        select(LogEntryRow.idx, LogEntryRow.entry)
        .where(
            LogEntryRow.election_id == election.id,
            LogEntryRow.kind.in_(KINDS),
            LogEntryRow.idx >= cached.upto,
        )
        .order_by(LogEntryRow.idx)
    )
    keys, strata = central_keys(election), election_strata(election)
    for index, text in s.execute(q):
        # Entries on the log passed this fold when logged; a verifier re-judges them.
        cached.state.add(index, json.loads(text), keys, strata)
    cached.upto = LogStore(s, election.id).head()
    return cached.state


def read_observers(db: Database, election_id: str | None = None) -> Observers:
    election = get_election(db, election_id)
    with _lock, db.read() as s:
        return fold_observers(s, db, election)


def record(db: Database, election_id: str | None, kind: str, envelope: Any) -> Logged:
    return record_many(db, election_id, kind, [envelope])[0]


@dataclass
class _Request:
    kind: str
    envelopes: Sequence[Any]
    done: bool = False
    results: list[Logged] | None = None
    error: BaseException | None = None


# Group commit: submissions that arrive while another transaction is writing wait here; whoever
# takes the writer lock next judges and logs every waiting request of that election in one
# transaction (each still judged in arrival order against everything before it), so 300 phones
# sending at once cost a few commits, not 300. An answer still means "committed".
_queues: dict[tuple[int, str], list[_Request]] = {}
_queue_lock = threading.Lock()


def record_many(
    db: Database, election_id: str | None, kind: str, envelopes: Sequence[Any]
) -> list[Logged]:
    """Judge and log envelopes of one kind, in order; refusals kept as evidence."""
    election = get_election(db, election_id)
    if kind not in KINDS:
        raise ObserverError(f"not an observer entry kind: {kind!r}")
    request = _Request(kind, envelopes)
    key = (id(db), election.id)
    with _queue_lock:
        _queues.setdefault(key, []).append(request)
    with _lock:
        if not request.done:
            with _queue_lock:
                group = _queues.pop(key, [])
            _write(db, election, group)
    if request.error is not None:
        raise request.error
    assert request.results is not None
    return request.results


def _write(db: Database, election: Election, group: list[_Request]) -> None:
    head = 0
    pending: list[dict[str, Any]] = []
    try:
        with db.session() as s:
            store = LogStore(s, election.id)
            store.lock_head()  # no other writer between judging and logging
            state = fold_observers(s, db, election)
            keys, strata = central_keys(election), election_strata(election)
            head = store.head()
            # Every entry, accepted or a rejection, gets its index in order: the fold records
            # indexes (a publication names its observation's).
            refusals: list[tuple[int, str, Any, bytes, list[str]]] = []
            for request in group:
                out: list[Logged] = []
                for envelope in request.envelopes:
                    index = head + len(pending)
                    reasons: list[str] = []
                    if not isinstance(envelope, Mapping):
                        reasons = ["not a JSON object"]
                    else:
                        entry = {**envelope, "kind": request.kind, "election": election.id}
                        prior = state.resubmitted(entry)
                        if prior is not None:  # sent again: the first answer, nothing logged
                            out.append(Logged(prior, duplicate=True))
                            continue
                        try:
                            canonical_json(entry)
                            state.add(index, entry, keys, strata)
                        except (AchykError, ValueError, TypeError) as err:
                            reasons = [str(err)]
                    if reasons:
                        raw = _raw(envelope)
                        pending.append(_rejection(election, request.kind, envelope, raw, reasons))
                        refusals.append((index, request.kind, envelope, raw, reasons))
                        out.append(Logged(None, tuple(reasons)))
                    else:
                        pending.append(entry)
                        out.append(Logged(index))
                request.results = out
            append_entries(s, election.id, pending)
            for index, kind, envelope, raw, reasons in refusals:
                Rejections(s).add(election.id, _station(envelope), kind, raw,
                                  hashlib.sha256(raw).hexdigest(), reasons, index)  # fmt: skip
        _cache(db)[election.id].upto = head + len(pending)
    except BaseException as err:
        _cache(db).pop(election.id, None)  # the fold may be ahead of what was committed
        for request in group:
            request.results, request.error = None, err
    finally:
        for request in group:
            request.done = True


def _raw(envelope: Any) -> bytes:
    try:
        return canonical_json(envelope)
    except (ValueError, TypeError):
        return repr(envelope).encode()


def _station(envelope: Any) -> str | None:
    station = envelope.get("station") if isinstance(envelope, Mapping) else None
    return station if isinstance(station, str) else None


def _rejection(
    election: Election, kind: str, envelope: Any, raw: bytes, reasons: list[str]
) -> dict[str, Any]:
    return {"kind": "rejection", "election": election.id, "source": kind,
            "station": _station(envelope), "submission_sha256": hashlib.sha256(raw).hexdigest(),
            "reasons": reasons}  # fmt: skip
