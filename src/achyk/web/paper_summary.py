"""Scanner versus hand count for every unit's paper page, read a few thousand stations at a time.

The same figures as achyk.services.reconciliation.reconcile_election (which `achyk audit
reconcile` prints), gathered for pages: each station's reconciliation is filed once under every
unit its page lists it in (nation, region, district, abroad, host country), and only the stations
outside tolerance are kept. The seats by each count come from the same fold of one protocol per
slot (the scanner's where there is one, or the hand count's), summed chunk by chunk. Holding
200,000 protocols and 100,000 reconciliations at once cost the published copy ~500 MB; this holds
one chunk of protocols and the unit rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from operator import add

from achyk.audit.reconcile import StationReconciliation, Tolerances, reconcile, within_tolerance
from achyk.domain.definition import Election, StationPlace
from achyk.domain.protocol import Protocol, ProtocolKind, protocol_from_json
from achyk.domain.tabulation import ABROAD_ID, NATIONAL_ID, Level, Tabulation
from achyk.domain.tally import (
    COUNTED,
    HAND,
    SCANNER,
    Key,
    UnitIndex,
    Vectors,
    contest_result,
    protocol_vector,
    zero,
)
from achyk.services.reconciliation import seats_by_count
from achyk.services.tally import index_of
from achyk.store.database import Database
from achyk.store.repositories import Protocols

UnitKey = tuple[Level, str, str]  # (level, unit id, contest id)

CHUNK = 2_000  # stations whose protocols are read and reconciled together


@dataclass(frozen=True)
class PaperSummary:
    tolerances: Tolerances
    compared: dict[UnitKey, int]  # stations with both counts, per unit and contest
    outside: dict[UnitKey, list[StationReconciliation]]  # by station id, as reconcile_contest
    # list contests: seats with every station's scanner count, and with every hand count
    seats: dict[str, tuple[dict[str, int], dict[str, int]]]


def _units(place: StationPlace) -> list[tuple[Level, str]]:
    """The units whose paper page counts this station (as the page lists them)."""
    s = place.station
    out = [(Level.NATIONAL, NATIONAL_ID), (Level.REGION, place.region_id),
           (Level.DISTRICT, place.district_id)]  # fmt: skip
    if s.abroad or s.remote:
        out.append((Level.ABROAD, ABROAD_ID))
    if s.country:
        out.append((Level.COUNTRY, s.country))
    return out


def _chunks(election: Election) -> Iterator[list[StationPlace]]:
    places = list(election.stations())
    for at in range(0, len(places), CHUNK):
        yield places[at : at + CHUNK]


def _current(db: Database, election_id: str, ids: Sequence[str]) -> list[Protocol]:
    """The accepted (not superseded) protocols of these stations, in the order they were stored."""
    with db.read() as s:
        rows = sorted(Protocols(s).current_documents(election_id, ids), key=lambda r: r.id)
    out = []
    for row in rows:
        protocol, problems = protocol_from_json(json.loads(row.document))
        assert protocol is not None, problems  # stored ones passed every check on the way in
        out.append(protocol)
    return out


def paper_summary(db: Database, election: Election, tol: Tolerances | None = None) -> PaperSummary:
    tol = tol or Tolerances()
    index = _seat_index(index_of(election))
    compared: dict[UnitKey, int] = {}
    outside: dict[UnitKey, list[StationReconciliation]] = {}
    scanner_rows: dict[Key, Vectors] = {}
    hand_rows: dict[Key, Vectors] = {}
    for places in _chunks(election):
        units = {p.station.id: _units(p) for p in places}
        protocols = _current(db, election.id, list(units))
        slots: dict[tuple[str, str], dict[ProtocolKind, Protocol]] = {}
        for p in protocols:
            slots.setdefault((p.station_id, p.contest_id), {})[p.kind] = p
        for (sid, cid), kinds in slots.items():
            if len(kinds) != 2:
                continue
            scanner, hand = kinds[ProtocolKind.PRELIMINARY], kinds[ProtocolKind.OFFICIAL]
            within = within_tolerance(scanner, hand, tol)  # each line's Difference: if outside
            r = None if within else reconcile(scanner, hand, tol)
            for level, uid in units[sid]:
                key = (level, uid, cid)
                compared[key] = compared.get(key, 0) + 1
                if r is not None:
                    outside.setdefault(key, []).append(r)
        _fold_units(index, scanner_rows, _basis(slots, ProtocolKind.PRELIMINARY))
        _fold_units(index, hand_rows, _basis(slots, ProtocolKind.OFFICIAL))
    for found in outside.values():
        found.sort(key=lambda r: r.station_id)
    scanner_tab = _tabulation(election, scanner_rows)
    hand_tab = _tabulation(election, hand_rows)
    return PaperSummary(tol, compared, outside, seats_by_count(election, scanner_tab, hand_tab))


def _basis(
    slots: dict[tuple[str, str], dict[ProtocolKind, Protocol]], prefer: ProtocolKind
) -> list[Protocol]:
    """One protocol per slot: the preferred kind where there is one, else the other."""
    return [kinds.get(prefer) or next(iter(kinds.values())) for kinds in slots.values()]


def _fold_units(index: UnitIndex, rows: dict[Key, Vectors], protocols: list[Protocol]) -> None:
    """Add these stations' protocols to the unit rows above them, as `fold` of one protocol per
    slot adds them: each station is in one chunk only and comes with one protocol, so its own
    row would be zeros before, and the change it passes up is its protocol's vector, to
    `counted` and to the series of its kind (the station's own row is not kept). Summed here
    directly: `fold`'s differences of whole rows cost a third of the reconciliation."""
    for p in protocols:
        order = index.orders[p.contest_id]
        vector = protocol_vector(p, order)
        series = HAND if p.kind is ProtocolKind.OFFICIAL else SCANNER
        for unit in index.units_of[p.station_id][1:]:
            key = (unit.level.value, unit.id, p.contest_id)
            row = rows.get(key)
            if row is None:
                row = rows[key] = zero(len(order))
            row[COUNTED] = list(map(add, row[COUNTED], vector))
            row[series] = list(map(add, row[series], vector))


# The units whose results the seats are allocated from (seat_results.list_seats: the nation, and
# the regions for a regional threshold): the only ones the paper pages' seats by each count read.
SEAT_LEVELS = frozenset({Level.NATIONAL, Level.REGION})


def _seat_index(index: UnitIndex) -> UnitIndex:
    """`index` with each station's units cut to its own (first, as fold wants) and those of
    SEAT_LEVELS: folding 200,000 protocols into every district, abroad and country row too
    cost a third of the reconciliation, for rows nothing read."""
    units_of = {sid: (units[0], *(u for u in units[1:] if u.level in SEAT_LEVELS))
                for sid, units in index.units_of.items()}  # fmt: skip
    return replace(index, units_of=units_of)


def _tabulation(election: Election, rows: dict[Key, Vectors]) -> Tabulation:
    """The units of SEAT_LEVELS, as reconciliation._units_tabulation builds them."""
    index = index_of(election)
    results = {
        key: contest_result(index, election, key, rows.get(key))
        for key in index.expected
        if key[0] in SEAT_LEVELS
    }
    return Tabulation(election.id, results, None, index.stations_under)
