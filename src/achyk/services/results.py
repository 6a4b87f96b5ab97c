"""Results: read from the running totals (achyk.services.tally), or recomputed from every protocol."""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from achyk.disputes.effects import annulments, waiting
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
from achyk.services.disputes.docket import has_complaints, read_docket
from achyk.services.elections import get_election, is_parsed
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


def outline_of(document: dict[str, Any]) -> dict[str, Any]:
    """What results above the stations need of a definition, computed once when it is loaded.

    `definition`: the document with every district's station list emptied (contests, regions,
    districts as they are) but for the stations that decide what the site shows: the first
    station abroad (`Election.has_abroad`) and every remote unit (`has_remote`, and its votes
    kept apart) — `kept` says so (an outline stored before kept none); `units`: [level, id, name, parent] of every unit above the stations;
    `expected`: [level, unit, contest, stations, registered voters] — the rules of
    `achyk.domain.tally.unit_index`, which the property test holds this to.
    """
    contests = document.get("contests", [])
    kept_abroad = False  # the first station abroad and every remote unit are kept (see above)
    units: dict[tuple[str, str], list[Any]] = {}
    expected: dict[tuple[str, str, str], list[int]] = {}
    nation = [Level.NATIONAL.value, NATIONAL_ID, document["election"]["name"], None]
    abroad = [Level.ABROAD.value, ABROAD_ID, "Abroad", NATIONAL_ID]
    regions = []
    for region in document.get("regions", []):
        region_unit = [Level.REGION.value, region["id"], region["name"], NATIONAL_ID]
        districts = []
        for district in region.get("districts", []):
            covering = [c["id"] for c in contests
                        if not c.get("districts") or district["id"] in c["districts"]]  # fmt: skip
            home = [[Level.DISTRICT.value, district["id"], district["name"], region["id"]],
                    region_unit, nation]  # fmt: skip
            # The stations of a district share their chain of units but for the host country.
            sums: dict[str | None, list[int]] = {}
            kept = []
            for station in district.get("stations", []):
                got = sums.setdefault(station.get("country"), [0, 0])
                got[0] += 1
                got[1] += int(station.get("registered_voters", 0))
                remote = station.get("channel") == "remote"
                if remote or (station.get("country") is not None and not kept_abroad):
                    kept.append(station)
                    kept_abroad = kept_abroad or not remote
            districts.append({**district, "stations": kept})
            for country, (n, voters) in sums.items():
                chain = list(home)
                if country is not None or region.get("abroad"):
                    chain.append(abroad)
                if country is not None:
                    chain.append([Level.COUNTRY.value, country, country, ABROAD_ID])
                for unit in chain:
                    units.setdefault((unit[0], unit[1]), unit)
                    for cid in covering:
                        got = expected.setdefault((unit[0], unit[1], cid), [0, 0])
                        got[0] += n
                        got[1] += voters
        regions.append({**region, "districts": districts})
    return {
        "definition": {**document, "regions": regions},
        "units": list(units.values()),
        "expected": [[*k, *v] for k, v in expected.items()],
        "kept": ["abroad", "remote"],
    }


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
        heads = repo.heads()
        if not heads:
            raise NotFoundError("no election is loaded: run `achyk election load FILE`")
        eid = election_id or heads[-1][0]
        if eid not in dict(heads):
            raise NotFoundError(f"no election {eid!r}")
        stored_outline = repo.outline(eid)
        if cold and stored_outline is None:
            return None
        text = repo.definition(eid) if stored_outline is None else None
    outline = json.loads(stored_outline) if stored_outline else outline_of(json.loads(text or ""))
    if cold and outline.get("kept") != ["abroad", "remote"]:
        return None
    if _needs_rebuild(db, eid):
        if cold:
            return None
        ensure_totals(db, get_election(db, eid))
    election = election_from_stored(json.dumps(outline["definition"]))
    level = {lv.value: lv for lv in Level}  # a look-up, not Enum's call, for 3,000 units
    units = {(level[lv], uid): Unit(level[lv], uid, name, parent)
             for lv, uid, name, parent in outline["units"]}  # fmt: skip
    if has_complaints(db, eid):
        if cold:
            return None
        # Annulled stations and pending challenges need the stations' places: the whole definition.
        full = get_election(db, eid)
        return full, totals_tabulation(db, full)
    with db.read() as s:
        stored = Tallies(s, eid).aggregates()
    orders = {c.id: ballot_order(c) for c in election.contests}
    bases = {c.id: c.base for c in election.contests}
    out = {}
    for lv, uid, cid, n, registered in outline["expected"]:
        key = (level[lv], uid, cid)
        order = orders[cid]
        v = stored.get(key) or zero(len(order))
        out[key] = ContestResult(
            unit=units[(key[0], uid)], contest_id=cid, base_kind=bases[cid],
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

    return election, Tabulation(eid, out, stations)


def _needs_rebuild(db: Database, election_id: str) -> bool:
    with db.read() as s:
        return not Tallies(s, election_id).any() and Protocols(s).any(election_id)
