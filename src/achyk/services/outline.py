"""Results above the stations from the outline stored beside a definition, no station read.

The outline (`outline_of`, computed once when a definition is loaded) holds what the figures above
the stations need: the definition without its stations, every unit above them, and each unit's
expected stations and registered voters. With the stored running totals of those units it is the
whole answer of `achyk results` above the stations and of the first overview after `achyk serve`
starts (services.results.outline_results and cold_results read it through SQLAlchemy).

`quick_results` is the same answer for a fresh `achyk results`, read through the bare DB-API
driver (store.bare): this module, like store.bare, imports neither SQLAlchemy nor pydantic, which
took most of that command's second. Whenever the quick way would not answer exactly as the usual
one — no outline, an outline stored before it kept the stations it must, totals to rebuild,
complaints on the log (annulments and pending challenges need the whole definition), anything
unusual about the database — it answers None and the caller goes the usual way.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from achyk.domain.definition import Election
from achyk.domain.tabulation import (
    ABROAD_ID,
    NATIONAL_ID,
    ContestResult,
    Count,
    Level,
    StationSource,
    Tabulation,
    Unit,
    ballot_order,
)
from achyk.domain.tally import COUNTED, HAND, SCANNER, count_of, zero
from achyk.errors import NotFoundError
from achyk.formats.definition_head import stored_election
from achyk.formats.definition_stations import no_cycle_collection
from achyk.store.bare import Bare, open_bare

KEPT = ("abroad", "remote")  # what an outline keeps of the stations (see `outline_of`)
IMPORTED_RESULTS = "imported-results"  # entry 1 of an imported election (services.import_results)
_LEVELS = {lv.value: lv for lv in Level}  # a look-up, not Enum's call, for 3,000 units
ABOVE = frozenset(lv for lv in Level if lv is not Level.STATION)  # every level of an outline


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
        "kept": list(KEPT),
    }


def chosen_election(heads: Sequence[tuple[str, str]], election_id: str | None) -> str:
    """The named election, or the last loaded; NotFoundError as services.elections has it."""
    if not heads:
        raise NotFoundError("no election is loaded: run `achyk election load FILE`")
    eid = election_id or heads[-1][0]
    if eid not in dict(heads):
        raise NotFoundError(f"no election {eid!r}")
    return eid


def outline_election(outline: Mapping[str, Any]) -> Election:
    """The election of an outline: its definition without the stations but those it keeps."""
    with no_cycle_collection():
        election = stored_election(outline["definition"])
    if election is not None:
        return election
    from achyk.formats.definition import election_from_stored  # the full reader: pydantic

    return election_from_stored(json.dumps(outline["definition"]))


def aggregates_of(rows: Sequence[tuple[str, str, str, str]]) -> dict[tuple[str, str, str], Any]:
    """(level, unit, contest, figures' JSON) rows: one JSON text parsed for all, not 3,000."""
    with no_cycle_collection():
        figures = json.loads("[" + ",".join(f for _, _, _, f in rows) + "]")
        return {(a, b, c): v for (a, b, c, _), v in zip(rows, figures, strict=True)}


def outline_tabulation(
    election_id: str, election: Election, outline: Mapping[str, Any],
    stored: Mapping[tuple[str, str, str], Any], stations: StationSource,
    levels: Collection[Level] = ABOVE,
) -> Tabulation:  # fmt: skip
    """The tabulation above the stations from the outline and the stored running totals; each
    station's results are read from `stations` when first asked for. `levels`: only the units
    at these levels (see `quick_results`).

    Some 20,000 lasting objects and no cycle: the cyclic collector is held off while they are
    made (its passes over a server's heap took two thirds of the time of a cold overview's).
    """
    with no_cycle_collection():
        return _outline_tabulation(election_id, election, outline, stored, stations, levels)


def _outline_tabulation(
    election_id: str, election: Election, outline: Mapping[str, Any],
    stored: Mapping[tuple[str, str, str], Any], stations: StationSource,
    levels: Collection[Level],
) -> Tabulation:  # fmt: skip
    level = _LEVELS
    wanted = {lv.value for lv in levels}
    units = {(level[lv], uid): Unit(level[lv], uid, name, parent)
             for lv, uid, name, parent in outline["units"]}  # fmt: skip
    orders = {c.id: ballot_order(c) for c in election.contests}
    bases = {c.id: c.base for c in election.contests}
    # Equal vectors (units with no protocol yet; a unit's hand count and its count, mostly)
    # share one frozen Count: 5,000 made instead of 8,600 on the 100,000-station profile.
    counts: dict[tuple[str, tuple[int, ...]], Count] = {}

    def count(cid: str, vector: list[int]) -> Count:
        key = (cid, tuple(vector))
        found = counts.get(key)
        if found is None:
            found = counts[key] = count_of(vector, orders[cid])
        return found

    out = {}
    for lv, uid, cid, n, registered in outline["expected"]:
        if lv not in wanted:
            continue
        key = (level[lv], uid, cid)
        v = stored.get((lv, uid, cid)) or zero(len(orders[cid]))
        out[key] = ContestResult(
            unit=units[(key[0], uid)], contest_id=cid, base_kind=bases[cid],
            stations_expected=n, registered=registered, counted=count(cid, v[COUNTED]),
            scanner=count(cid, v[SCANNER]), hand=count(cid, v[HAND]),
        )  # fmt: skip
    return Tabulation(election_id, out, stations)


@dataclass(frozen=True)
class Quick:
    election: Election
    tabulation: Tabulation
    imported: bool  # "imported, not signed" (services.import_results.is_imported)


def quick_results(
    url: str | None, election_id: str | None, levels: Collection[Level] = ABOVE
) -> Quick | None:
    """`outline_results` of a fresh `achyk results`, through the bare driver; None: go the
    usual way (see the module's note). NotFoundError as the usual way raises it.

    `levels`: read and build only the units at these levels, for a caller that asks the
    tabulation for no other (`achyk results` at the national level needs the nation and, for
    a regional threshold, the regions: 90 rows of the totals, not 3,000).
    """
    bare = open_bare(url)
    if bare is None:
        return None
    try:
        read = _read(bare, election_id, levels)
    except NotFoundError:
        raise
    except Exception:  # the driver's error, or a row not as expected: the usual way names it
        return None
    finally:
        bare.close()
    if read is None:
        return None
    eid, outline, rows, imported = read
    election = outline_election(outline)

    opened: list[Any] = []

    def stations(ids: Sequence[str] | None) -> dict[tuple[Level, str, str], ContestResult]:
        # Asked for only when a station's figures are (never by `achyk results` above them):
        # the usual way, SQLAlchemy and the whole definition.
        from achyk.services.results import station_results
        from achyk.store.database import Database

        if not opened:
            opened.append(Database.open(url))
        return station_results(opened[0], eid, ids)

    stored = aggregates_of(rows)
    return Quick(election, outline_tabulation(eid, election, outline, stored, stations, levels),
                 imported)  # fmt: skip


def _read(
    bare: Bare, election_id: str | None, levels: Collection[Level]
) -> tuple[str, dict[str, Any], list[Any], bool] | None:
    heads = bare.rows("SELECT id, definition_hash FROM elections ORDER BY loaded_at")
    eid = chosen_election([(str(a), str(b)) for a, b in heads], election_id)
    [(text,)] = bare.rows("SELECT outline FROM elections WHERE id = ?", [eid])
    if text is None:
        return None  # loaded before outlines were stored: the usual way computes it
    outline = json.loads(text)
    if outline.get("kept") != list(KEPT):
        return None  # stored before it kept the stations the site asks about
    if not bare.rows("SELECT unit_id FROM tallies WHERE election_id = ? LIMIT 1", [eid]) and (
        bare.rows("SELECT id FROM protocols WHERE election_id = ? LIMIT 1", [eid])
    ):
        return None  # protocols stored before the running totals: the usual way builds them
    complaint = "SELECT idx FROM log_entries WHERE election_id = ? AND kind = ? LIMIT 1"
    if bare.rows(complaint, [eid, "complaint"]):
        return None  # annulments and pending challenges need the stations' places
    # The rows above the stations (store.tally_repo.Tallies.aggregates) by their levels: a
    # range of the primary key each, where "not a station" went through 100,000 station keys.
    wanted = sorted(lv.value for lv in levels)
    rows = bare.rows(
        "SELECT level, unit_id, contest_id, figures FROM tallies WHERE election_id = ?"
        f" AND level IN ({', '.join('?' for _ in wanted)})", [eid, *wanted]
    )  # fmt: skip
    first = bare.rows("SELECT entry FROM log_entries WHERE election_id = ? AND idx = 1", [eid])
    imported = bool(first) and json.loads(first[0][0]).get("kind") == IMPORTED_RESULTS
    return eid, outline, rows, imported
