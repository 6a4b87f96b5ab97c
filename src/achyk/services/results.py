"""Results: read from the running totals (achyk.services.tally), or recomputed from every protocol."""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence

from sqlalchemy import Engine, select

from achyk.disputes.effects import annulments, waiting
from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.domain.tabulation import ContestResult, Level, Tabulation, tabulate
from achyk.formats.definition_stations import no_cycle_collection
from achyk.services.disputes.docket import has_complaints, read_docket
from achyk.services.elections import get_election, is_parsed
from achyk.services.outline import (
    ABOVE,
    KEPT,
    aggregates_of,
    chosen_election,
    outline_election,
    outline_tabulation,
)
from achyk.services.outline import outline_of as outline_of  # where it was first
from achyk.services.tally import ensure_totals, totals_tabulation
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.models import TallyRow
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
    docket = read_docket(db, election)
    return election, tabulate(
        election, accepted_protocols(db, election.id), annulments(docket), waiting(docket, election)
    )


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


_colds: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, Election, Tabulation]]] = (
    weakref.WeakKeyDictionary()
)


def cold_results(db: Database, election_id: str) -> tuple[Election, Tabulation] | None:
    """`outline_results` for a page or an answer asked for before this process has read the
    whole definition (the first overview after `achyk serve` starts), kept while the log's size
    stays. None when the definition is read already, or would be needed (an outline stored
    before it kept the stations the site asks about, complaints on the log, totals to
    rebuild): the caller then reads it the usual way (and, after a cold answer, should have it
    read: services.elections.parse_in_background)."""
    if is_parsed(db, election_id):
        return None
    stamp = results_stamp(db, election_id)
    with _slots_lock:
        kept = _colds.get(db.engine, {}).get(election_id)
    if kept is not None and kept[0] == stamp:
        return kept[1], kept[2]
    found = _outline_results(db, election_id, cold=True)
    if found is not None:
        with _slots_lock:
            _colds.setdefault(db.engine, {})[election_id] = (stamp, *found)
    return found


def outline_results(db: Database, election_id: str | None = None) -> tuple[Election, Tabulation]:
    """Results above the stations without reading the stations' definitions at all.

    For `achyk results` in a fresh process: the definition of 100,000 stations takes seconds to
    parse and build, and the figures above the stations need only the outline stored beside it
    when it was loaded (`outline_of`). The election returned has its regions, districts and
    contests but no stations; a station's results, if asked for, are read with the whole
    definition.
    """
    found = _outline_results(db, election_id, cold=False)
    assert found is not None
    return found


def _outline_results(
    db: Database, election_id: str | None, *, cold: bool
) -> tuple[Election, Tabulation] | None:
    with db.read() as s:
        repo = Elections(s)
        eid = chosen_election(repo.heads(), election_id)
        stored_outline = repo.outline(eid)
        if cold and stored_outline is None:
            return None
        text = repo.definition(eid) if stored_outline is None else None
    with no_cycle_collection():  # half a megabyte of JSON, no cycle (services.outline)
        outline = (
            json.loads(stored_outline) if stored_outline else outline_of(json.loads(text or ""))
        )
    if cold and outline.get("kept") != list(KEPT):
        return None
    if _needs_rebuild(db, eid):
        if cold:
            return None
        ensure_totals(db, get_election(db, eid))
    election = outline_election(outline)
    if has_complaints(db, eid):
        if cold:
            return None
        # Annulled stations and pending challenges need the stations' places: the whole definition.
        full = get_election(db, eid)
        return full, totals_tabulation(db, full)
    with db.read() as s:
        # Tallies.aggregates' rows, their JSON parsed in one go (services.outline.aggregates_of).
        # By level, a range of the primary key each ("not a station" went through every station).
        q = select(TallyRow.level, TallyRow.unit_id, TallyRow.contest_id, TallyRow.figures).where(
            TallyRow.election_id == eid, TallyRow.level.in_(sorted(lv.value for lv in ABOVE))
        )
        stored = aggregates_of([(a, b, c, f) for a, b, c, f in s.execute(q)])

    def stations(ids: Sequence[str] | None) -> dict[tuple[Level, str, str], ContestResult]:
        return station_results(db, eid, ids)

    return election, outline_tabulation(eid, election, outline, stored, stations)


def station_results(
    db: Database, election_id: str, ids: Sequence[str] | None
) -> dict[tuple[Level, str, str], ContestResult]:
    """The results of stations `ids` (None: all) for a tabulation built from the outline."""
    election = get_election(db, election_id)
    full = totals_tabulation(db, election)
    if ids is None:
        return {k: r for k, r in full.results.items() if k[0] is Level.STATION}
    contests = [c.id for c in election.contests]
    return {
        (Level.STATION, sid, cid): r
        for sid in ids
        for cid in contests
        for r in [full.get(Level.STATION, sid, cid)]
        if r is not None
    }


def _needs_rebuild(db: Database, election_id: str) -> bool:
    with db.read() as s:
        return not Tallies(s, election_id).any() and Protocols(s).any(election_id)
