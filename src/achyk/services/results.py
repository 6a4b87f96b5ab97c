"""Results: read from the running totals (achyk.services.tally), or recomputed from every protocol."""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence

from sqlalchemy import Engine

from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.domain.tabulation import (
    ABROAD_ID,
    NATIONAL_ID,
    ContestResult,
    Level,
    Tabulation,
    Unit,
    ballot_order,
    tabulate,
)
from achyk.domain.tally import COUNTED, HAND, SCANNER, count_of, zero
from achyk.errors import NotFoundError
from achyk.formats.definition import election_from_stored
from achyk.services.elections import get_election
from achyk.services.tally import ensure_totals, totals_tabulation
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Elections, Protocols
from achyk.store.tally_repo import Tallies


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


def outline_results(db: Database, election_id: str | None = None) -> tuple[Election, Tabulation]:
    """Results above the stations without reading the stations' definitions into objects.

    For `achyk results` in a fresh process: the definition of 100,000 stations takes seconds to
    validate and build, and the figures above the stations need only each station's place and
    registered voters. The election returned has its regions, districts and contests but no
    stations; a station's results, if asked for, are read with the whole definition.
    """
    with db.read() as s:
        repo = Elections(s)
        heads = repo.heads()
        if not heads:
            raise NotFoundError("no election is loaded: run `achyk election load FILE`")
        eid = election_id or heads[-1][0]
        if eid not in dict(heads):
            raise NotFoundError(f"no election {eid!r}")
        doc = json.loads(repo.definition(eid))
    if _needs_rebuild(db, eid):
        ensure_totals(db, get_election(db, eid))
    contests = doc.get("contests", [])
    units: dict[tuple[Level, str], Unit] = {}
    expected: dict[tuple[Level, str, str], list[int]] = {}
    nation = Unit(Level.NATIONAL, NATIONAL_ID, doc["election"]["name"])
    for region in doc.get("regions", []):
        for district in region.get("districts", []):
            covering = [c["id"] for c in contests
                        if not c.get("districts") or district["id"] in c["districts"]]  # fmt: skip
            for station in district.pop("stations", []):
                chain = [
                    Unit(Level.DISTRICT, district["id"], district["name"], region["id"]),
                    Unit(Level.REGION, region["id"], region["name"], NATIONAL_ID),
                    nation,
                ]
                country = station.get("country")
                if country is not None or region.get("abroad"):
                    chain.append(Unit(Level.ABROAD, ABROAD_ID, "Abroad", NATIONAL_ID))
                if country is not None:
                    chain.append(Unit(Level.COUNTRY, country, country, ABROAD_ID))
                voters = int(station.get("registered_voters", 0))
                for unit in chain:
                    units.setdefault((unit.level, unit.id), unit)
                    for cid in covering:
                        got = expected.setdefault((unit.level, unit.id, cid), [0, 0])
                        got[0] += 1
                        got[1] += voters
            district["stations"] = []
    outline = election_from_stored(json.dumps(doc))
    with db.read() as s:
        stored = Tallies(s, eid).aggregates()
    orders = {c.id: ballot_order(c) for c in outline.contests}
    bases = {c.id: c.base for c in outline.contests}
    out = {}
    for key, (n, registered) in expected.items():
        order = orders[key[2]]
        v = stored.get(key) or zero(len(order))
        out[key] = ContestResult(
            unit=units[(key[0], key[1])], contest_id=key[2], base_kind=bases[key[2]],
            stations_expected=n, registered=registered, counted=count_of(v[COUNTED], order),
            scanner=count_of(v[SCANNER], order), hand=count_of(v[HAND], order),
        )  # fmt: skip

    def stations(ids: Sequence[str] | None) -> dict[tuple[Level, str, str], ContestResult]:
        full = totals_tabulation(db, get_election(db, eid))
        if ids is None:
            return {k: r for k, r in full.results.items() if k[0] is Level.STATION}
        return {
            (Level.STATION, sid, cid): r
            for sid in ids
            for cid in orders
            for r in [full.get(Level.STATION, sid, cid)]
            if r is not None
        }

    return outline, Tabulation(eid, out, stations)


def _needs_rebuild(db: Database, election_id: str) -> bool:
    with db.read() as s:
        return not Tallies(s, election_id).any() and Protocols(s).any(election_id)
