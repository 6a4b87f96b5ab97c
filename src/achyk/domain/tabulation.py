"""Tabulation: accepted station protocols folded into results at every level.

For each station and contest the counted figure is the official (hand count) protocol when there is one,
else the preliminary (scanner) one; the scanner and hand counts are also summed on their own so that
every level can show them side by side. Shares are exact fractions; `percent` truncates, so displayed
shares never sum above 100% of their base.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from fractions import Fraction

from achyk.domain.annulment import Annulment
from achyk.domain.definition import Contest, Election, PercentBase
from achyk.domain.protocol import AGAINST_ALL, Protocol, ProtocolKind


class Level(StrEnum):
    NATIONAL = "national"
    REGION = "region"
    DISTRICT = "district"
    STATION = "station"
    ABROAD = "abroad"  # every station abroad together
    COUNTRY = "country"  # stations abroad by host country


NATIONAL_ID = "national"
ABROAD_ID = "abroad"


def percent(part: int, whole: int, places: int = 2) -> Decimal:
    """part/whole as a percentage truncated to `places` decimals (never rounded up)."""
    if whole <= 0:
        return Decimal(0)
    q = Decimal(10) ** -places
    return (Decimal(part) * 100 / Decimal(whole)).quantize(q, rounding=ROUND_FLOOR)


@dataclass(frozen=True)
class Count:
    """Sums of protocol lines over some set of stations."""

    stations: int = 0
    voters_on_list: int = 0
    issued: int = 0
    found: int = 0
    invalid: int = 0
    valid: int = 0
    votes: tuple[tuple[str, int], ...] = ()

    def votes_for(self, option: str) -> int:
        return dict(self.votes).get(option, 0)


@dataclass
class _Acc:
    stations: int = 0
    voters_on_list: int = 0
    issued: int = 0
    found: int = 0
    invalid: int = 0
    valid: int = 0
    votes: dict[str, int] = field(default_factory=dict)

    def add(self, p: Protocol) -> None:
        self.stations += 1
        self.voters_on_list += p.voters_on_list
        self.issued += p.issued
        self.found += p.found
        self.invalid += p.invalid
        self.valid += p.valid
        for option, n in p.votes:
            self.votes[option] = self.votes.get(option, 0) + n

    def freeze(self, order: tuple[str, ...]) -> Count:
        return Count(
            self.stations,
            self.voters_on_list,
            self.issued,
            self.found,
            self.invalid,
            self.valid,
            tuple((o, self.votes.get(o, 0)) for o in order),
        )


@dataclass(frozen=True)
class Unit:
    level: Level
    id: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class ContestResult:
    """One contest's figures in one unit (the nation, a region, a district, a station, abroad)."""

    unit: Unit
    contest_id: str
    base_kind: PercentBase
    stations_expected: int
    registered: int
    counted: Count
    scanner: Count
    hand: Count
    # Stations of this unit whose result an executed decision annulled: not in any sum above the
    # station (a station's own unit still shows its protocol's figures, and 1 here).
    annulled: int = 0

    @property
    def reported_pct(self) -> Decimal:
        return percent(self.counted.stations, self.stations_expected)

    @property
    def turnout_pct(self) -> Decimal:
        """Voters who received a ballot over voters on the lists of the stations that reported."""
        return percent(self.counted.issued, self.counted.voters_on_list)

    @property
    def base(self) -> int:
        c = self.counted
        return c.found if self.base_kind is PercentBase.VOTED else c.valid

    def share(self, option: str) -> Fraction:
        return Fraction(self.counted.votes_for(option), self.base) if self.base else Fraction(0)

    def share_pct(self, option: str) -> Decimal:
        return percent(self.counted.votes_for(option), self.base)


StationSource = Callable[[Sequence[str] | None], dict[tuple["Level", str, str], "ContestResult"]]


class Tabulation:
    """Results at every level, keyed (level, unit id, contest id).

    Built whole by `tabulate`, or from stored running totals (achyk.domain.tally) with the
    aggregate levels at hand and each station's results read only when asked for: a page of the
    nation or of a region never touches the 100,000 station rows. `results` is always complete
    (it reads every station the first time it is used); `get`, `children` and `at_level` read only
    what they need.
    """

    def __init__(
        self,
        election_id: str,
        results: dict[tuple[Level, str, str], ContestResult],
        stations: StationSource | None = None,
        stations_under: Mapping[str, Sequence[str]] | None = None,
        *,
        annulled: Mapping[str, Annulment] | None = None,
        waiting: Mapping[str, str] | None = None,
    ) -> None:
        self.election_id = election_id
        self.annulled = dict(annulled or {})  # station id → the decision that annulled it
        self.waiting = dict(waiting or {})  # contest id → why its certification waits
        self._results = results
        self._stations = stations  # None: every station is already in `results`
        self._under = stations_under or {}
        self._lock = threading.Lock()
        self._by_parent: dict[str, list[ContestResult]] | None = None
        self._loaded_under: set[str] = set()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Tabulation)
            and self.election_id == other.election_id
            and self.results == other.results
        )

    __hash__ = None  # type: ignore[assignment]

    def _load(self, ids: Sequence[str] | None) -> None:
        source = self._stations
        if source is None:
            return
        found = source(ids)
        with self._lock:
            new = [r for k, r in found.items() if k not in self._results]
            self._results.update(found)
            if ids is None:
                self._stations = None
            index = self._by_parent
            if index is not None:  # extended, not rebuilt: a district at a time over 100,000
                for r in new:
                    if r.unit.parent is not None:
                        index.setdefault(r.unit.parent, []).append(r)

    def release_stations(self) -> None:
        """Forget the station results read on demand: going through every station once (the
        static export), only the district at hand stays in memory. No-op on a whole tabulation."""
        if self._stations is None:
            return
        with self._lock:
            for key in [k for k in self._results if k[0] is Level.STATION]:
                del self._results[key]
            self._loaded_under.clear()
            self._by_parent = None

    @property
    def results(self) -> dict[tuple[Level, str, str], ContestResult]:
        self._load(None)
        return self._results

    def aggregates(self) -> dict[tuple[Level, str, str], ContestResult]:
        """Every result above the stations, without reading any station."""
        return {k: r for k, r in list(self._results.items()) if k[0] is not Level.STATION}

    def preload(self, station_ids: Sequence[str]) -> None:
        """Read these stations' results in one go (a region's, before going through them)."""
        if self._stations is not None:
            self._load(list(station_ids))

    def get(self, level: Level, unit_id: str, contest_id: str) -> ContestResult | None:
        key = (level, unit_id, contest_id)
        found = self._results.get(key)
        if found is None and level is Level.STATION and self._stations is not None:
            self._load([unit_id])
            found = self._results.get(key)
        return found

    def national(self, contest_id: str) -> ContestResult | None:
        return self.get(Level.NATIONAL, NATIONAL_ID, contest_id)

    def at_level(self, level: Level, contest_id: str) -> list[ContestResult]:
        if level is Level.STATION:
            self._load(None)
        # A snapshot: another request may be reading a district's stations into the dict.
        items = list(self._results.items())
        return [r for (lv, _, cid), r in items if lv is level and cid == contest_id]

    def children(self, parent_id: str, contest_id: str) -> list[ContestResult]:
        pending = self._stations is not None and parent_id not in self._loaded_under
        if pending and parent_id in self._under:
            self._load(self._under[parent_id])
            self._loaded_under.add(parent_id)
        index = self._by_parent
        if index is None:
            index = {}
            for r in list(self._results.values()):
                if r.unit.parent is not None:
                    index.setdefault(r.unit.parent, []).append(r)
            self._by_parent = index
        return [r for r in index.get(parent_id, ()) if r.contest_id == contest_id]


def ballot_order(contest: Contest) -> tuple[str, ...]:
    return contest.option_ids() + ((AGAINST_ALL,) if contest.against_all else ())


def _units_of(election: Election, station_id: str) -> list[Unit]:
    place = election.place(station_id)
    assert place is not None
    s = place.station
    region = next(r for r in election.regions if r.id == place.region_id)
    district = next(d for d in region.districts if d.id == place.district_id)
    units = [
        Unit(Level.STATION, s.id, s.name, district.id),
        Unit(Level.DISTRICT, district.id, district.name, region.id),
        Unit(Level.REGION, region.id, region.name, NATIONAL_ID),
        Unit(Level.NATIONAL, NATIONAL_ID, election.name),
    ]
    if s.country is not None or region.abroad:
        # Remote voting stands for citizens abroad: it counts abroad, under no single country.
        units.append(Unit(Level.ABROAD, ABROAD_ID, "Abroad", NATIONAL_ID))
    if s.country is not None:
        units.append(Unit(Level.COUNTRY, s.country, s.country, ABROAD_ID))
    return units


def tabulate(
    election: Election,
    protocols: Iterable[Protocol],
    annulled: Mapping[str, Annulment] | None = None,
    waiting: Mapping[str, str] | None = None,
) -> Tabulation:
    """Fold accepted protocols (at most one per station, contest and kind) into results.

    An `annulled` station's protocols count in its own unit only; every unit above counts the
    station as annulled instead. `waiting` (contest → reason) holds the contests whose
    certification waits on a pending challenge (`achyk.disputes.effects`).
    """
    out = annulled or {}
    by_key: dict[tuple[str, str], dict[ProtocolKind, Protocol]] = {}
    for p in protocols:
        by_key.setdefault((p.station_id, p.contest_id), {})[p.kind] = p

    acc: dict[
        tuple[Level, str, str], tuple[Unit, list[_Acc], list[int]]
    ] = {}  # [n, voters, annulled]
    units_cache: dict[str, list[Unit]] = {}
    for contest in election.contests:
        for place in election.stations_in(contest):
            sid = place.station.id
            units = units_cache.get(sid)
            if units is None:
                units = units_cache[sid] = _units_of(election, sid)
            kinds = by_key.get((sid, contest.id), {})
            counted = kinds.get(ProtocolKind.OFFICIAL) or kinds.get(ProtocolKind.PRELIMINARY)
            for n, unit in enumerate(units):
                key = (unit.level, unit.id, contest.id)
                entry = acc.get(key)
                if entry is None:
                    entry = acc[key] = (unit, [_Acc(), _Acc(), _Acc()], [0, 0, 0])
                sums, expected = entry[1], entry[2]
                expected[0] += 1
                expected[1] += place.station.registered_voters
                if sid in out:
                    expected[2] += 1
                    if n > 0:  # above the station: out of the count
                        continue
                if counted is not None:
                    sums[0].add(counted)
                if ProtocolKind.PRELIMINARY in kinds:
                    sums[1].add(kinds[ProtocolKind.PRELIMINARY])
                if ProtocolKind.OFFICIAL in kinds:
                    sums[2].add(kinds[ProtocolKind.OFFICIAL])

    orders = {c.id: ballot_order(c) for c in election.contests}
    bases = {c.id: c.base for c in election.contests}
    results = {
        key: ContestResult(
            unit=unit,
            contest_id=key[2],
            base_kind=bases[key[2]],
            stations_expected=expected[0],
            registered=expected[1],
            counted=sums[0].freeze(orders[key[2]]),
            scanner=sums[1].freeze(orders[key[2]]),
            hand=sums[2].freeze(orders[key[2]]),
            annulled=expected[2],
        )
        for key, (unit, sums, expected) in acc.items()
    }
    return Tabulation(election.id, results, annulled=out, waiting=waiting)
