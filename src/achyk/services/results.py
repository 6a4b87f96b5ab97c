"""Results: read from the running totals (achyk.services.tally), or recomputed from every protocol."""

from __future__ import annotations

import json
import threading
import weakref

from sqlalchemy import Engine

from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.domain.tabulation import Tabulation, tabulate
from achyk.services.elections import get_election
from achyk.services.tally import ensure_totals, totals_tabulation
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Protocols


def accepted_protocols(db: Database, election_id: str) -> list[Protocol]:
    with db.read() as s:
        documents = Protocols(s).documents(election_id)
    out = []
    for text in documents:
        protocol, problems = protocol_from_json(json.loads(text))
        # Stored protocols passed every check on the way in; a failure here is corruption.
        assert protocol is not None, problems
        out.append(protocol)
    return out


def recomputed_results(db: Database, election_id: str | None = None) -> tuple[Election, Tabulation]:
    """The full fold of every accepted protocol: what the running totals must always equal."""
    election = get_election(db, election_id)
    return election, tabulate(election, accepted_protocols(db, election.id))


def results(db: Database, election_id: str | None = None) -> tuple[Election, Tabulation]:
    """Results from the running totals (stations are read when first asked for)."""
    election = get_election(db, election_id)
    ensure_totals(db, election)
    return election, totals_tabulation(db, election)


def results_stamp(db: Database, election_id: str) -> int:
    """The log's size: every accepted protocol, correction or refusal changes it."""
    with db.read() as s:
        return LogStore(s, election_id).head()


class _Slot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp = -1
        self.value: tuple[Election, Tabulation] | None = None


_slots: weakref.WeakKeyDictionary[Engine, dict[str, _Slot]] = weakref.WeakKeyDictionary()
_slots_lock = threading.Lock()


def _slot(db: Database, election_id: str) -> _Slot:
    with _slots_lock:
        per_engine = _slots.setdefault(db.engine, {})
        slot = per_engine.get(election_id)
        if slot is None:
            slot = per_engine[election_id] = _Slot()
        return slot


def cached_results(db: Database, election_id: str) -> tuple[Election, Tabulation]:
    """Results as of the current log size, read once per size however many requests ask at once.

    Single flight: when the log grows, the first request reads the totals while the others wait
    for it and take its answer, instead of each reading them again (the stampede that collapsed
    the site when protocols arrived while thousands of requests were waiting).
    """
    stamp = results_stamp(db, election_id)
    slot = _slot(db, election_id)
    value = slot.value
    if value is not None and slot.stamp >= stamp:
        return value
    with slot.lock:
        if slot.value is not None and slot.stamp >= stamp:
            return slot.value
        # The stamp is read before the totals: what is read is at least as new as the stamp,
        # so no later request takes older figures for a newer log size.
        fresh = results(db, election_id)
        slot.value, slot.stamp = fresh, stamp
        return fresh
