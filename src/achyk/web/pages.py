"""What each page shows: view data built from the tabulation, the stored protocols and the log.

The same builders feed the live site (routes.py) and the static export (static_site.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from achyk.domain.definition import Contest, ContestKind, Election, StationPlace
from achyk.domain.names import unit_names
from achyk.domain.per_election import PerElection
from achyk.domain.protocol import (
    AGAINST_ALL,
)
from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import ABROAD_ID, NATIONAL_ID, ContestResult, Level, Tabulation, Unit
from achyk.errors import NotFoundError
from achyk.store.database import Database
from achyk.web import evidence
from achyk.web.cartogram import TILE, layout, size
from achyk.web.charts import turnout_curve
from achyk.web.winners import DistrictWinners, district_winners, seat_note, seats_view

PALETTE = (
    "#1f4e9c", "#b3261e", "#2e6b30", "#6a1b9a", "#8a4b00", "#00695c", "#ad1457", "#37474f",
    "#4527a0", "#5d4037", "#283593", "#827717", "#00838f", "#c62828", "#455a64",
)  # fmt: skip
AGAINST_ALL_COLOUR = "#616161"


@dataclass(frozen=True)
class Page:
    template: str
    path: str  # site path without language, e.g. "e/kg-2025/region/osh/"
    title: str
    context: dict[str, Any] = field(default_factory=dict)


# A unit's hand count is flagged against its scanner count when they differ by more than 0.5 % of
# the scanner count and more than 5 votes; a station's own protocol lines are compared exactly.
DIFFERENCE_SHARE = Decimal("0.005")
DIFFERENCE_VOTES = 5


@dataclass(frozen=True)
class OptionRow:
    id: str
    name: str
    votes: int
    share_pct: Decimal
    scanner: int | None  # None where no station of the unit has a scanner count ("—")
    hand: int | None  # None where none has a hand count yet
    colour: str
    seats: int | None = None

    apart: int = 0  # hand-counted votes with no scanner count behind them (the remote unit)

    @property
    def difference(self) -> int | None:
        """Hand count minus scanner count, over the stations that have a scanner count."""
        if self.hand is None or self.scanner is None:
            return None
        return self.hand - self.apart - self.scanner

    @property
    def differs(self) -> bool:
        """Beyond the stated tolerance: counts of thousands differ by a few ballots at many
        stations, and a flag on every row would mean nothing (see DIFFERENCE_TOLERANCE)."""
        d = self.difference
        if d is None or self.scanner is None:
            return False
        tolerance: Decimal = max(Decimal(DIFFERENCE_VOTES), self.scanner * DIFFERENCE_SHARE)
        return abs(d) > tolerance


@dataclass(frozen=True)
class ContestView:
    contest: Contest
    result: ContestResult
    rows: tuple[OptionRow, ...]
    seats_total: int | None = None
    winners: DistrictWinners | None = None  # district contests: the elected, marked in the table

    @property
    def leader(self) -> OptionRow | None:
        best = max(self.rows, key=lambda r: r.votes, default=None)
        return best if best is not None and best.votes > 0 else None


@dataclass(frozen=True)
class ChildRow:
    id: str
    name: str
    path: str
    result: ContestResult
    leader: OptionRow | None


def option_name(contest: Contest, option: str) -> str:
    if option == AGAINST_ALL:
        return "Against all"
    return next((o.name for o in contest.options if o.id == option), option)


_colours: dict[int, tuple[Contest, dict[str, str]]] = {}


def colour(contest: Contest, option: str) -> str:
    if option == AGAINST_ALL:
        return AGAINST_ALL_COLOUR
    # Each option's colour, worked out once per contest (asked for on every row of every page).
    hit = _colours.get(id(contest))
    if hit is None or hit[0] is not contest:
        if len(_colours) >= 256:
            _colours.clear()
        ids = contest.option_ids()
        hit = _colours[id(contest)] = (contest, {o: PALETTE[i % len(PALETTE)] for i, o in
                                                 reversed(list(enumerate(ids)))})  # fmt: skip
    return hit[1].get(option, PALETTE[-1])


def leader_of(contest: Contest, r: ContestResult) -> OptionRow | None:
    """`contest_view(contest, r).leader` without building every option's row: a unit page lists
    dozens of child units, and only each one's leader is shown."""
    best: tuple[str, int] | None = None
    for option, n in r.counted.votes:
        if best is None or n > best[1]:  # the first of equals, as max() keeps
            best = (option, n)
    if best is None or best[1] <= 0:
        return None
    option, n = best
    return OptionRow(
        option, option_name(contest, option), n, r.share_pct(option),
        r.scanner.votes_for(option) if r.scanner.stations else None,
        r.hand.votes_for(option) if r.hand.stations else None, colour(contest, option),
    )  # fmt: skip


def contest_view(
    contest: Contest,
    r: ContestResult,
    seats: dict[str, int] | None = None,
    election: Election | None = None,
    tab: Tabulation | None = None,
) -> ContestView:
    """`election` and `tab` given: the remote unit's votes (hand-counted by the trustees' tally,
    with no scanner) are kept apart from the scanner-versus-hand comparison of the units it is in."""
    apart = _remote_hand(election, tab, r) if election is not None and tab is not None else None
    rows = tuple(
        OptionRow(
            option, option_name(contest, option), n, r.share_pct(option),
            r.scanner.votes_for(option) if r.scanner.stations else None,
            r.hand.votes_for(option) if r.hand.stations else None, colour(contest, option),
            None if seats is None else seats.get(option, 0),
            apart.votes_for(option) if apart is not None else 0,
        )
        for option, n in r.counted.votes
    )  # fmt: skip
    total = None if seats is None else sum(seats.values())
    return ContestView(contest, r, rows, total, district_winners(contest, r))


def _remote_hand(election: Election, tab: Tabulation, r: ContestResult) -> Any:
    """The remote unit's hand count when `r`'s unit contains it, else None."""
    if not election.has_remote or r.unit.level is Level.STATION:  # (cached: no walk)
        return None
    place = next((p for p in election.stations() if p.station.channel == "remote"), None)
    if place is None:
        return None
    unit = r.unit
    inside = (
        unit.level in (Level.NATIONAL, Level.ABROAD)
        or (unit.level is Level.REGION and unit.id == place.region_id)
        or (unit.level is Level.DISTRICT and unit.id == place.district_id)
    )
    found = tab.get(Level.STATION, place.station.id, r.contest_id) if inside else None
    return found.hand if found is not None else None


def primary_contest(election: Election) -> Contest:
    return next(
        (c for c in election.contests if c.kind is ContestKind.PARTY_LIST), election.contests[0]
    )


def seats_by_contest(election: Election, tab: Tabulation) -> dict[str, dict[str, int]]:
    return {
        s.contest_id: s.allocation.as_dict()
        for s in all_list_seats(election, tab)
        if s.allocation is not None  # undetermined while nothing (or no region) is counted
    }


def base_path(election: Election) -> str:
    return f"e/{election.id}/"


def unit_path(election: Election, level: Level, unit_id: str) -> str:
    e = base_path(election)
    if level is Level.NATIONAL:
        return e
    if level is Level.ABROAD:
        return f"{e}abroad/"
    return f"{e}{level.value}/{unit_id}/"


_names: dict[int, tuple[Election, dict[tuple[str, str], str]]] = {}


def unit_names_of(election: Election) -> dict[tuple[str, str], str]:
    """`unit_names` of this (immutable) election, built once: it walks every region and district,
    and each of a published copy's thousands of unit pages asked for it again."""
    hit = _names.get(id(election))
    if hit is None or hit[0] is not election:
        if len(_names) >= 8:  # a few elections (or languages) at a time
            _names.clear()
        hit = _names[id(election)] = (election, unit_names(election))
    return hit[1]


def unit_name(
    election: Election, unit: Unit, names: dict[tuple[str, str], str] | None = None
) -> str:
    """The unit's name as `election` gives it (localized: in the page's language)."""
    names = unit_names_of(election) if names is None else names
    return names.get((unit.level.value, unit.id), unit.name)


def _children(election: Election, tab: Tabulation, parent: str, contest: Contest) -> list[ChildRow]:
    out = []
    names = unit_names_of(election)
    for r in sorted(tab.children(parent, contest.id), key=lambda r: r.unit.id):
        if r.unit.level is Level.ABROAD:
            continue  # abroad is shown as its region and on its own page
        path = unit_path(election, r.unit.level, r.unit.id)
        leader = leader_of(contest, r)
        out.append(ChildRow(r.unit.id, unit_name(election, r.unit, names), path, r, leader))
    return out


GREY = "#595959"  # nothing counted yet
TURNOUT_HUE = "#08306b"


@dataclass(frozen=True)
class Tile:
    x: int
    y: int
    row: ChildRow
    fill: str  # the leader's colour
    margin_fill: str = GREY  # the leader's colour, paler the closer the race
    margin_pct: Decimal | None = None  # leader's share minus the runner-up's, in points
    turnout_fill: str = GREY  # one blue scale, darker with higher turnout
    margin_ink: str = "#fff"  # text colour that stays readable on the shade
    turnout_ink: str = "#fff"


@dataclass(frozen=True)
class Cartogram:
    tiles: tuple[Tile, ...]
    width: int
    height: int
    tile: int = TILE


def _mix(colour: str, strength: Decimal) -> str:
    """`colour` laid over white at `strength` (0–1): the shading scales of the region map.

    Margins: a 40-point lead is full colour, a tie a quarter of it. Turnout: 10 % is white-ish,
    60 % and above full colour, so the usual range of 20–70 % spreads across the scale.
    """
    k = max(Decimal("0.08"), min(Decimal(1), strength))
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - c) * k) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _ink(strength: Decimal) -> str:
    return "#fff" if strength >= Decimal("0.6") else "#1b1b1b"


def cartogram(election: Election, regions: list[ChildRow]) -> Cartogram:
    abroad = {r.id for r in election.regions if r.abroad}
    by_id = {row.id: row for row in regions}
    placed = layout(
        [r.id for r in regions if r.id not in abroad], [r.id for r in regions if r.id in abroad]
    )
    tiles_ = []
    for p in placed:
        row = by_id[p.id]
        if row.leader is None:
            tiles_.append(Tile(p.x, p.y, row, GREY))
            continue
        shares = sorted(
            (row.result.share_pct(o) for o, _ in row.result.counted.votes), reverse=True
        )
        margin = shares[0] - (shares[1] if len(shares) > 1 else Decimal(0))
        strength = Decimal("0.25") + margin / 40
        turnout = row.result.turnout_pct / 50 - Decimal("0.2")
        tiles_.append(
            Tile(
                p.x, p.y, row, row.leader.colour,
                margin_fill=_mix(row.leader.colour, strength), margin_pct=margin,
                turnout_fill=_mix(TURNOUT_HUE, turnout),
                margin_ink=_ink(strength), turnout_ink=_ink(turnout),
            )
        )  # fmt: skip
    width, height = size(placed)
    return Cartogram(tuple(tiles_), width, height)


def _common(election: Election, tab: Tabulation) -> dict[str, Any]:
    return {"election": election, "base": base_path(election), "tab": tab}


def overview(db: Database, election: Election, tab: Tabulation) -> Page:
    contest = primary_contest(election)
    national = tab.national(contest.id)
    if national is None:
        raise NotFoundError(f"election {election.id} has no national result")
    seats = seats_by_contest(election, tab)
    main = contest_view(contest, national, seats.get(contest.id), election, tab)
    others = [
        contest_view(c, r)
        for c in election.contests
        if c.id != contest.id and c.kind is not ContestKind.DISTRICT
        for r in [tab.national(c.id)]
        if r is not None
    ]
    regions = child_rows(election, tab, Level.NATIONAL, NATIONAL_ID, contest)
    hourly = evidence.turnout_by_hour(db, election.id)
    return Page(
        "overview.html",
        base_path(election),
        election.name,
        {
            **_common(election, tab),
            "main": main,
            "seat_note": seat_note(election, tab, contest),
            "seats_view": seats_view(
                election, tab, contest, {o.id: colour(contest, o.id) for o in contest.options}
            ),
            "others": others,
            "regions": regions,
            "children_contest": contest.id,
            "map": cartogram(election, regions),
            "hourly": hourly,
            "curve": turnout_curve([(h.hour, h.pct) for h in hourly]),
            "live": True,
            "crumbs": [],
        },
    )


@dataclass(frozen=True)
class _Places:
    district_region: dict[str, str]  # district id → its region's id
    by_country: dict[str, list[StationPlace]]  # host country → its stations, in definition order


def _find_places(election: Election) -> _Places:
    by_country: dict[str, list[StationPlace]] = {}
    for p in election.stations():
        if p.station.country:
            by_country.setdefault(p.station.country, []).append(p)
    return _Places({d.id: r.id for r in election.regions for d in r.districts}, by_country)


# Each district's region and each host country's stations of an election, found once: each
# district page's crumbs walked the districts, and each country page every station (2,751
# districts, 100,000 stations, in a published copy).
_places_of: PerElection[_Places] = PerElection(_find_places)


def _crumbs(election: Election, level: Level, unit_id: str) -> list[tuple[str, str]]:
    crumbs = [(election.name, base_path(election))]
    if level in (Level.DISTRICT, Level.STATION):
        place_region = None
        if level is Level.STATION:
            place = election.place(unit_id)
            assert place is not None
            place_region, district_id = place.region_id, place.district_id
        else:
            district_id = unit_id
            place_region = _places_of(election).district_region[district_id]
        region = next(r for r in election.regions if r.id == place_region)
        crumbs.append((region.name, unit_path(election, Level.REGION, region.id)))
        if level is Level.STATION:
            district = next(d for d in region.districts if d.id == district_id)
            crumbs.append((district.name, unit_path(election, Level.DISTRICT, district.id)))
    if level is Level.COUNTRY:
        crumbs.append(("abroad", unit_path(election, Level.ABROAD, ABROAD_ID)))
    return crumbs


def child_rows(
    election: Election, tab: Tabulation, level: Level, unit_id: str, contest: Contest
) -> list[ChildRow]:
    """The rows of a unit's "where the votes come from" table, for `contest`."""
    if level is not Level.COUNTRY:
        return _children(election, tab, unit_id, contest)
    # A country's stations sit in the abroad district; they are listed here by host country.
    return [
        ChildRow(p.station.id, p.station.name, unit_path(election, Level.STATION, p.station.id),
                 r, leader_of(contest, r))
        for p in _places_of(election).by_country.get(unit_id, ())
        for r in [tab.get(Level.STATION, p.station.id, contest.id)]
        if r is not None
    ]  # fmt: skip


def unit_contests(election: Election, tab: Tabulation, level: Level, unit_id: str) -> list[Contest]:
    """The contests a unit page shows, the first being the one its children table follows."""
    return [c for c in election.contests if tab.get(level, unit_id, c.id) is not None]


def unit_page(election: Election, tab: Tabulation, level: Level, unit_id: str) -> Page:
    """A region, a district, abroad as a whole, or one host country."""
    contests = unit_contests(election, tab, level, unit_id)
    if not contests:
        raise NotFoundError(f"no {level.value} {unit_id!r}")
    seats = seats_by_contest(election, tab) if level is Level.NATIONAL else {}
    views = []
    for c in contests:
        r = tab.get(level, unit_id, c.id)
        assert r is not None
        views.append(contest_view(c, r, seats.get(c.id), election, tab))
    primary = views[0]
    children = child_rows(election, tab, level, unit_id, primary.contest)
    return Page(
        "unit.html",
        unit_path(election, level, unit_id),
        unit_name(election, primary.result.unit),
        {
            **_common(election, tab),
            "level": level.value,
            "unit_id": unit_id,
            "views": views,
            "children": children,
            "children_contest": primary.contest.id,
            "child_level": _child_level(level),
            "live": True,
            "live_query": f"?level={level.value}&unit={unit_id}",
            "crumbs": _crumbs(election, level, unit_id),
        },
    )


def _child_level(level: Level) -> str:
    return {
        Level.REGION: "district",
        Level.DISTRICT: "station",
        Level.ABROAD: "country",
        Level.COUNTRY: "station",
    }.get(level, "region")


def verify_page(db: Database, election: Election, tab: Tabulation) -> Page:
    return Page(
        "verify.html",
        f"{base_path(election)}verify/",
        election.name,
        {
            **_common(election, tab),
            "checkpoint": evidence.latest_checkpoint(db, election.id),
            "ledger": evidence.ledger_available(),
            "crumbs": [(election.name, base_path(election))],
        },
    )
