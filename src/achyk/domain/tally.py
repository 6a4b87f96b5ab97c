"""Running totals: the tabulation kept up to date one protocol at a time.

`tabulate` folds every accepted protocol at once; on election night that is O(stations) work for
each new protocol. Here each unit's figures are stored as three vectors — counted, scanner, hand —
of `[stations, voters_on_list, issued, found, invalid, valid, *votes in ballot order]`, and a new
protocol changes only its station's vectors and, by the same difference, the vectors of the units
above it (district, region, nation, abroad, host country). A correction or a late official
protocol replaces what its station contributed: the station's old vectors are subtracted, the new
ones added, so every sum stays exactly what a full fold gives (tests/property/test_tally.py).

The rules are those of `tabulate`: counted is the official protocol where there is one, else the
preliminary; scanner and hand are the two kinds summed on their own. An annulled station keeps its
own row but adds nothing above it: `annul` subtracts what it had added, and `fold` changes only the
station's own row for a protocol of an annulled station.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import sub

from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol, ProtocolKind
from achyk.domain.tabulation import (
    NATIONAL_ID,
    ContestResult,
    Count,
    Level,
    Tabulation,
    Unit,
    ballot_order,
)

COUNTED, SCANNER, HAND = 0, 1, 2
HEAD = 6  # stations, voters_on_list, issued, found, invalid, valid; the votes follow
Vectors = list[list[int]]  # [counted, scanner, hand]
Key = tuple[str, str, str]  # (level, unit id, contest id)
# A protocol as the fold needs it: (station, contest, official?, its vector), worked out where the
# protocol was examined (protocol_vector) so that the one writer only adds.
Folded = tuple[str, str, bool, Sequence[int]]


def zero(width: int) -> Vectors:
    return [[0] * (HEAD + width) for _ in range(3)]


def protocol_vector(p: Protocol, order: Sequence[str]) -> list[int]:
    votes = dict(p.votes)
    return [1, p.voters_on_list, p.issued, p.found, p.invalid, p.valid,
            *map(votes.get, order, [0] * len(order))]  # fmt: skip


def count_of(vector: Sequence[int], order: Sequence[str]) -> Count:
    stations, on_list, issued, found, invalid, valid = vector[:HEAD]
    votes = tuple(zip(order, vector[HEAD:], strict=True))
    return Count(stations, on_list, issued, found, invalid, valid, votes)


@dataclass(frozen=True)
class UnitIndex:
    """The geography as tabulation sees it: each station's units, each unit's expected figures."""

    units_of: Mapping[str, tuple[Unit, ...]]  # station id → its units, the station's own first
    units: Mapping[tuple[Level, str], Unit]  # every unit, stations included
    expected: Mapping[tuple[Level, str, str], tuple[int, int]]  # (stations, registered voters)
    stations_under: Mapping[str, tuple[str, ...]]  # district id → its station ids
    orders: Mapping[str, tuple[str, ...]]  # contest id → ballot order


def unit_index(election: Election) -> UnitIndex:
    regions = {r.id: r for r in election.regions}
    districts = {d.id: d for r in election.regions for d in r.districts}
    units_of: dict[str, tuple[Unit, ...]] = {}
    units: dict[tuple[Level, str], Unit] = {}
    stations_under: dict[str, list[str]] = {}
    nation = Unit(Level.NATIONAL, NATIONAL_ID, election.name)
    shared: dict[tuple[Level, str], Unit] = {(nation.level, nation.id): nation}
    for place in election.stations():
        s, district, region = place.station, districts[place.district_id], regions[place.region_id]
        own = Unit(Level.STATION, s.id, s.name, district.id)
        above = [
            (Level.DISTRICT, district.id, district.name, region.id),
            (Level.REGION, region.id, region.name, NATIONAL_ID),
        ]
        if s.country is not None or region.abroad:
            # Remote voting stands for citizens abroad: it counts abroad, under no single country.
            above.append((Level.ABROAD, "abroad", "Abroad", NATIONAL_ID))
        if s.country is not None:
            above.append((Level.COUNTRY, s.country, s.country, "abroad"))
        chain = [own]
        for level, uid, name, parent in above:
            unit = shared.get((level, uid))
            if unit is None:
                unit = shared[(level, uid)] = Unit(level, uid, name, parent)
            chain.append(unit)
        chain.insert(
            3, nation
        )  # station, district, region, nation[, abroad[, country]]: as tabulate
        units_of[s.id] = tuple(chain)
        units[(Level.STATION, s.id)] = own
        stations_under.setdefault(district.id, []).append(s.id)
    units.update(shared)
    expected: dict[tuple[Level, str, str], tuple[int, int]] = {}
    for contest in election.contests:
        for place in election.stations_in(contest):
            voters = place.station.registered_voters
            for unit in units_of[place.station.id]:
                key = (unit.level, unit.id, contest.id)
                n, v = expected.get(key, (0, 0))
                expected[key] = (n + 1, v + voters)
    return UnitIndex(
        units_of, units, expected, {k: tuple(v) for k, v in stations_under.items()},
        {c.id: ballot_order(c) for c in election.contests},
    )  # fmt: skip


def fold(
    index: UnitIndex,
    stored: Mapping[Key, Vectors],
    protocols: Iterable[Protocol],
    annulled: Collection[str] = frozenset(),
) -> dict[Key, Vectors]:
    """The rows that change when `protocols` are accepted, each replacing its slot's protocol.

    `stored` holds the current rows of the touched stations and of their units (a row missing is
    all zeros). Returns the new value of every changed row, stations and units alike. A protocol
    of an `annulled` station changes its own row only.
    """
    rows: dict[Key, Vectors] = {}
    # Rows are never changed in place, only their series replaced by new lists: a series held
    # before a change is its old value. (A country's verification folds 200,000 protocols here.)
    above: dict[str, list[tuple[str, str]]] = {}  # station → (level, id) of each unit above it

    def row(key: Key, width: int) -> Vectors:
        got = rows.get(key)
        if got is None:
            old = stored.get(key)
            got = rows[key] = [list(v) for v in old] if old is not None else zero(width)
        return got

    for p in protocols:
        order = index.orders[p.contest_id]
        station = row((Level.STATION.value, p.station_id, p.contest_id), len(order))
        before = list(station)
        vector = protocol_vector(p, order)
        if p.kind is ProtocolKind.OFFICIAL:
            station[HAND] = vector
            station[COUNTED] = vector
        else:
            station[SCANNER] = vector
            if station[HAND][0] == 0:  # no hand count yet: the scanner's figures count
                station[COUNTED] = vector
        # Only the series that changed (a first preliminary changes counted and scanner, not hand).
        delta = [
            (series, _minus(new, old))
            for series, (new, old) in enumerate(zip(station, before, strict=True))
            if new != old
        ]
        if p.station_id in annulled:
            continue
        chain = above.get(p.station_id)
        if chain is None:
            units = index.units_of[p.station_id]
            chain = above[p.station_id] = [(u.level.value, u.id) for u in units[1:]]
        for level, uid in chain:
            target = row((level, uid, p.contest_id), len(order))
            for series, d in delta:
                target[series] = _plus(target[series], d)
    return rows


def _minus(a: list[int], b: list[int]) -> list[int]:
    if len(a) != len(b):
        raise ValueError("vectors of different widths")
    return list(map(operator.sub, a, b))


def _plus(a: list[int], b: list[int]) -> list[int]:
    if len(a) != len(b):
        raise ValueError("vectors of different widths")
    return list(map(operator.add, a, b))


# The levels' names, read once: an enum member's `.value` is a Python-level descriptor call, and
# the writer made five of them for every station it had not folded before.
_DISTRICT, _REGION, _NATIONAL = Level.DISTRICT.value, Level.REGION.value, Level.NATIONAL.value
_ABROAD, _COUNTRY = Level.ABROAD.value, Level.COUNTRY.value


class Chains:
    """Each station's units above it — district, region, nation[, abroad[, country]], exactly as
    `unit_index` chains them — as (level, id) pairs, made the first time a station is asked for:
    the one writer folds a batch's stations without building the whole index (100,000 stations'
    worth of it, for every import). Stations with the same units above share one chain."""

    def __init__(self, election: Election) -> None:
        self.orders: Mapping[str, tuple[str, ...]] = {
            c.id: ballot_order(c) for c in election.contests
        }
        self.chains: list[tuple[tuple[str, str], ...]] = []
        self.election = election
        self._abroad = {r.id: r.abroad for r in election.regions}
        self._of: dict[str, int] = {}
        self._ids: dict[tuple[tuple[str, str], ...], int] = {}

    def of(self, station_id: str) -> int:
        """The station's chain (an index into `chains`); KeyError for no such station."""
        found = self._of.get(station_id)
        if found is not None:
            return found
        place = self.election.place(station_id)
        if place is None:
            raise KeyError(station_id)
        country = place.station.country
        chain = [(_DISTRICT, place.district_id), (_REGION, place.region_id),
                 (_NATIONAL, NATIONAL_ID)]  # fmt: skip
        if country is not None or self._abroad[place.region_id]:
            chain.append((_ABROAD, "abroad"))
        if country is not None:
            chain.append((_COUNTRY, country))
        key = tuple(chain)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.chains)
            self.chains.append(key)
        self._of[station_id] = found
        return found


def fold_batch(
    chains: Chains,
    stored: Mapping[Key, Vectors],
    protocols: Iterable[Folded],
    annulled: Collection[str] = frozenset(),
) -> dict[Key, Vectors]:
    """`fold`, for a batch of protocols given as :data:`Folded` (their vectors already made).

    The same rows, with the same values and in the same order, as `fold` of the same protocols
    (tests/domain/test_tally_batch.py): each station's rows are advanced protocol by protocol as
    there, but what the batch changed in a station (its rows after minus before) is summed over
    the stations of one chain of units first and added to each unit of the chain once, not to
    every unit for every protocol. Sums of integers do not depend on their order.
    """
    rows: dict[Key, Vectors] = {}
    # A station's rows before the batch; none kept for a station with no stored rows (all zeros),
    # which a fresh fold of 200,000 protocols would otherwise hold 200,000 times over.
    before: dict[Key, Vectors] = {}
    nothing: dict[int, list[int]] = {}  # width → zeros (compared and summed, never returned)
    chain_of, orders = chains.of, chains.orders
    station_level = Level.STATION.value
    touched: dict[tuple[int, str], list[Key]] = {}  # (chain, contest) → its stations' rows
    for station_id, contest_id, official, vector in protocols:
        key = (station_level, station_id, contest_id)
        station = rows.get(key)
        if station is None:
            width = HEAD + len(orders[contest_id])
            old = stored.get(key)
            if old is not None:
                # Series are replaced, never changed in place: a shallow copy keeps `before` intact.
                before[key] = [list(v) for v in old]
                station = rows[key] = list(before[key])
            else:
                station = rows[key] = zero(width - HEAD)
                nothing.setdefault(width, [0] * width)
            if station_id not in annulled:
                chain = chain_of(station_id)
                group = touched.get((chain, contest_id))
                if group is None:  # the chain's first station here: each unit above gets its
                    group = touched[(chain, contest_id)] = []  # row, as in `fold`
                    for level, uid in chains.chains[chain]:
                        above = (level, uid, contest_id)
                        if above not in rows:  # (chains share the units above a district)
                            found = stored.get(above)
                            rows[above] = (
                                [list(v) for v in found] if found is not None
                                else zero(width - HEAD)
                            )  # fmt: skip
                group.append(key)
        new = list(vector)
        if official:
            station[HAND] = new
            station[COUNTED] = new
        else:
            station[SCANNER] = new
            if station[HAND][0] == 0:  # no hand count yet: the scanner's figures count
                station[COUNTED] = new
    for (chain, contest_id), keys in touched.items():
        for series in (COUNTED, SCANNER, HAND):
            was = [(rows[k][series], before[k][series] if k in before else None) for k in keys]
            changed = [(a, b if b is not None else nothing[len(a)]) for a, b in was
                       if a != (b if b is not None else nothing[len(a)])]  # fmt: skip
            if not changed:
                continue
            if len(changed) == 1:
                delta = list(map(sub, *changed[0]))
            else:
                after = map(sum, zip(*(a for a, _ in changed), strict=True))
                earlier = map(sum, zip(*(b for _, b in changed), strict=True))
                delta = list(map(sub, after, earlier))
            for level, uid in chains.chains[chain]:
                target = rows[(level, uid, contest_id)]
                target[series] = [a + b for a, b in zip(target[series], delta, strict=True)]
    return rows


def annul(index: UnitIndex, stored: Mapping[Key, Vectors], station_id: str) -> dict[Key, Vectors]:
    """The rows that change when a station's result is annulled: what its rows added to every unit
    above it (all three series, every contest) is taken away; its own rows stay as they are.

    `stored` holds the station's rows and its units' rows, as for `fold`.
    """
    rows: dict[Key, Vectors] = {}
    units = index.units_of[station_id]
    for contest_id, order in index.orders.items():
        own = stored.get((units[0].level.value, station_id, contest_id))
        if own is None:
            continue
        for unit in units[1:]:
            key = (unit.level.value, unit.id, contest_id)
            old = rows.get(key) or stored.get(key) or zero(len(order))
            rows[key] = [
                [a - b for a, b in zip(t, o, strict=True)] for t, o in zip(old, own, strict=True)
            ]
    return rows


def annulled_counts(index: UnitIndex, stations: Iterable[str]) -> dict[tuple[Level, str, str], int]:
    """How many annulled stations each unit holds, per contest (the station's own unit included)."""
    out: dict[tuple[Level, str, str], int] = {}
    for sid in stations:
        for contest_id in index.orders:
            if (Level.STATION, sid, contest_id) not in index.expected:
                continue
            for unit in index.units_of.get(sid, ()):
                key = (unit.level, unit.id, contest_id)
                out[key] = out.get(key, 0) + 1
    return out


def contest_result(
    index: UnitIndex,
    election: Election,
    key: tuple[Level, str, str],
    vectors: Vectors | None,
    annulled: int = 0,
) -> ContestResult:
    level, uid, cid = key
    contest = election.contest(cid)
    assert contest is not None
    order = index.orders[cid]
    v = vectors if vectors is not None else zero(len(order))
    stations, registered = index.expected.get(key, (0, 0))
    # The counted series is one of the other two at a station (and often above): its Count is
    # shared, not built again (a published copy builds 100,000 stations' results three times).
    counted = count_of(v[COUNTED], order)
    scanner = counted if v[SCANNER] == v[COUNTED] else count_of(v[SCANNER], order)
    hand = counted if v[HAND] == v[COUNTED] else count_of(v[HAND], order)
    return ContestResult(
        unit=index.units[(level, uid)], contest_id=cid, base_kind=contest.base,
        stations_expected=stations, registered=registered, counted=counted, scanner=scanner,
        hand=hand, annulled=annulled,
    )  # fmt: skip


def folded_tabulation(
    election: Election,
    protocols: Iterable[Protocol],
    annulled: Mapping[str, Annulment] | None = None,
    waiting: Mapping[str, str] | None = None,
    *,
    above: Mapping[Key, Vectors] | None = None,
    index: UnitIndex | None = None,
) -> Tabulation:
    """`tabulate`'s results through the running totals' fold: every unit's vectors summed once,
    each station's result built only when asked for (a region at a time), so that 100,000
    stations' results are never all held as objects (`achyk verify` of a whole country). An
    `annulled` station counts in its own unit only, as in `tabulate` and the running totals.

    `above`: the rows above the stations, already folded elsewhere (`achyk verify` on a Dask
    cluster sums its workers' region by region: `fold_rows`); `protocols` (then a collection)
    are folded here only if a station's result is asked for. `index`: the election's unit index,
    if already built (on a cluster, while the workers check the regions)."""
    out = dict(annulled or {})
    index = index if index is not None else unit_index(election)
    folded: list[Mapping[Key, Vectors]] = []

    def rows() -> Mapping[Key, Vectors]:
        if not folded:
            folded.append(fold_rows(index, election, protocols, out))
        return folded[0]

    counts = annulled_counts(index, out)
    aggregate = above if above is not None else rows()
    results = {
        key: contest_result(index, election, key, aggregate.get(key), counts.get(key, 0))
        for key in index.expected
        if key[0] is not Level.STATION
    }
    return Tabulation(election.id, results, station_source(index, election, rows, counts),
                      index.stations_under, annulled=out, waiting=waiting)  # fmt: skip


def station_source(
    index: UnitIndex,
    election: Election,
    rows: Callable[[], Mapping[Key, Vectors]],
    counts: Mapping[tuple[Level, str, str], int],
) -> Callable[[Sequence[str] | None], dict[tuple[Level, str, str], ContestResult]]:
    """Stations' results from their folded rows (`rows()`, asked for when first needed)."""

    def stations(ids: Sequence[str] | None) -> dict[tuple[Level, str, str], ContestResult]:
        folded = rows()
        wanted = index.units_of.keys() if ids is None else [i for i in ids if i in index.units_of]
        return {
            key: contest_result(index, election, key, folded.get(key), counts.get(key, 0))
            for sid in wanted
            for cid in index.orders
            for key in [(Level.STATION, sid, cid)]
            if key in index.expected
        }

    return stations


def fold_rows(
    index: UnitIndex,
    election: Election,
    protocols: Iterable[Protocol],
    annulled: Collection[str] = frozenset(),
) -> dict[Key, Vectors]:
    """Every row the protocols give, folded from nothing (stations' and units' alike). Folded
    station by station, so the rows above the stations of a part of the country (a region's) are
    that part's share of them: added up over the parts, they are the whole's rows."""
    return _fresh_rows(index, election, protocols, frozenset(annulled))


def _fresh_rows(
    index: UnitIndex, election: Election, protocols: Iterable[Protocol], annulled: Collection[str]
) -> dict[Key, Vectors]:
    """`fold(index, {}, protocols, annulled)`'s rows by `fold_batch`, whose rows are `fold`'s
    (tests/domain/test_tally_batch.py): each station's change summed over the stations of one
    chain of units and added to each unit once, not to four or five units for every protocol
    (200,000 protocols, at `achyk verify` of a whole country: a third of the time)."""
    official = ProtocolKind.OFFICIAL
    orders = index.orders
    folded = ((p.station_id, p.contest_id, p.kind is official, protocol_vector(p, orders[p.contest_id]))
              for p in protocols)  # fmt: skip
    return fold_batch(Chains(election), {}, folded, annulled)
