"""What each page shows: view data built from the tabulation, the stored protocols and the log.

The same builders feed the live site (routes.py) and the static export (static_site.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from achyk.domain.definition import Contest, ContestKind, Election
from achyk.domain.forms import ProtocolForm
from achyk.domain.names import unit_names
from achyk.domain.protocol import (
    AGAINST_ALL,
    LINES,
    Protocol,
    ProtocolKind,
    check_protocol,
    protocol_from_json,
)
from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import ABROAD_ID, NATIONAL_ID, ContestResult, Level, Tabulation, Unit
from achyk.errors import NotFoundError
from achyk.store.database import Database
from achyk.store.models import RejectionRow
from achyk.store.repositories import DeviceSwitches, Protocols, Rejections, StoredProtocol
from achyk.web import evidence
from achyk.web.cartogram import TILE, layout, size
from achyk.web.charts import turnout_curve
from achyk.web.complaints import station_complaints
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


def colour(contest: Contest, option: str) -> str:
    if option == AGAINST_ALL:
        return AGAINST_ALL_COLOUR
    ids = contest.option_ids()
    return PALETTE[ids.index(option) % len(PALETTE)] if option in ids else PALETTE[-1]


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
    place = next((p for p in election.stations() if p.station.channel == "remote"), None)
    if place is None or r.unit.level is Level.STATION:
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


def unit_name(
    election: Election, unit: Unit, names: dict[tuple[str, str], str] | None = None
) -> str:
    """The unit's name as `election` gives it (localized: in the page's language)."""
    names = unit_names(election) if names is None else names
    return names.get((unit.level.value, unit.id), unit.name)


def _children(election: Election, tab: Tabulation, parent: str, contest: Contest) -> list[ChildRow]:
    out = []
    names = unit_names(election)
    for r in sorted(tab.children(parent, contest.id), key=lambda r: r.unit.id):
        if r.unit.level is Level.ABROAD:
            continue  # abroad is shown as its region and on its own page
        view = contest_view(contest, r)
        path = unit_path(election, r.unit.level, r.unit.id)
        out.append(ChildRow(r.unit.id, unit_name(election, r.unit, names), path, r, view.leader))
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
            place_region = next(
                r.id for r in election.regions for d in r.districts if d.id == district_id
            )
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
                 r, contest_view(contest, r).leader)
        for p in election.stations()
        if p.station.country == unit_id
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


@dataclass(frozen=True)
class LineRow:
    key: str
    number: str  # as the election's protocol form numbers the line
    label: str
    scanner: int | None
    hand: int | None

    @property
    def differs(self) -> bool:
        return self.scanner is not None and self.hand is not None and self.scanner != self.hand


@dataclass(frozen=True)
class ProtocolView:
    contest: Contest
    lines: tuple[LineRow, ...]
    votes: tuple[LineRow, ...]
    stored: dict[str, Any]  # kind → what the API shows (hash, device, signature, received)
    evidence: dict[str, evidence.EvidenceView]
    # (kind, problem): relations the form flags — accepted and counted, shown as anomalies
    flags: tuple[tuple[str, str], ...] = ()

    @property
    def differences(self) -> int:
        return sum(1 for row in (*self.lines, *self.votes) if row.differs)


def _protocol_view(
    contest: Contest,
    kinds: dict[ProtocolKind, Protocol],
    stored: dict[str, Any],
    found: dict[str, evidence.EvidenceView],
    form: ProtocolForm | None = None,
) -> ProtocolView:
    pre, off = kinds.get(ProtocolKind.PRELIMINARY), kinds.get(ProtocolKind.OFFICIAL)
    numbered = (
        [(x.key, x.number, x.label) for x in form.lines]
        if form is not None
        else [(key, str(i), label) for i, (key, label) in enumerate(LINES, start=1)]
    )
    lines = tuple(
        LineRow(key, number, label, pre.line(key) if pre else None, off.line(key) if off else None)
        for key, number, label in numbered
    )  # fmt: skip
    first = form.first_option_number() if form is not None else len(LINES) + 1
    order = [*contest.option_ids(), *([AGAINST_ALL] if contest.against_all else [])]
    votes = tuple(
        LineRow(o, str(first + i), option_name(contest, o),
                pre.votes_for(o) if pre else None, off.votes_for(o) if off else None)
        for i, o in enumerate(order)
    )  # fmt: skip
    flags = tuple(
        (kind.value, str(problem))
        for kind, p in sorted(kinds.items())
        for problem in check_protocol(p, form)[1]
    )
    return ProtocolView(contest, lines, votes, stored, found, flags)


@dataclass(frozen=True)
class StationData:
    """What a station page reads besides the results: its protocols, refusals and log evidence."""

    stored: list[StoredProtocol]  # current ones
    rejected: list[RejectionRow]
    log: list[evidence.EvidenceView] | None  # current and superseded


def stations_data(
    db: Database, election: Election, station_ids: list[str]
) -> dict[str, StationData]:
    """Many stations' page data in a few queries (a district's, when the site is published)."""
    with db.read() as s:
        stored = Protocols(s).for_stations(election.id, station_ids)
        rejected = Rejections(s).for_stations(election.id, station_ids)
    logs = evidence.stations_evidence(db, election.id, station_ids)
    return {
        sid: StationData([p for p in stored[sid] if not p.superseded], list(rejected[sid]),
                         None if logs is None else logs[sid])
        for sid in station_ids
    }  # fmt: skip


def station_page(
    db: Database, election: Election, tab: Tabulation, station_id: str,
    data: StationData | None = None,
) -> Page:  # fmt: skip
    place = election.place(station_id)
    if place is None:
        raise NotFoundError(f"no station {station_id!r}")
    if data is None:
        data = stations_data(db, election, [station_id])[station_id]
    stored, rejected, log = data.stored, data.rejected, data.log
    with db.read() as s:
        switches = [
            (sw.switched_at, sw.from_device, sw.to_device, sw.reason)
            for sw in DeviceSwitches(s).for_station(election.id, station_id)
        ]
    by_contest: dict[str, dict[ProtocolKind, Protocol]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for row in stored:
        protocol, _ = protocol_from_json(json.loads(row.document))
        if protocol is None:
            continue
        by_contest.setdefault(row.contest_id, {})[protocol.kind] = protocol
        meta.setdefault(row.contest_id, {})[row.kind] = row
    views = []
    history: dict[str, list[evidence.EvidenceView]] = {}
    for contest in election.contests:
        if not contest.covers(place.district_id):
            continue
        mine = sorted((e for e in (log or []) if e.contest_id == contest.id),
                      key=lambda e: e.entry_index)  # fmt: skip
        found = {e.kind: e for e in mine if not e.superseded}
        history[contest.id] = [e for e in mine if e.superseded or e.corrections]
        kinds, stored_meta = by_contest.get(contest.id, {}), meta.get(contest.id, {})
        views.append(_protocol_view(contest, kinds, stored_meta, found, election.form))
    results = [
        contest_view(c, r)
        for c in election.contests
        for r in [tab.get(Level.STATION, station_id, c.id)]
        if r is not None
    ]
    rejections = [(r.received_at, json.loads(r.reasons)) for r in rejected]
    annulled = tab.annulled.get(station_id)  # by an executed decision: shown, not counted above
    return Page(
        "station.html",
        unit_path(election, Level.STATION, station_id),
        place.station.name,
        {
            **_common(election, tab),
            "place": place,
            "station": place.station,
            "protocols": views,
            "results": results,
            "ledger": log is not None,
            "rejections": rejections,
            "switches": switches,
            "complaints": station_complaints(db, election, station_id),
            "annulment": annulled,
            "annulling_body": next(
                (a.name for a in election.authorities if annulled and a.id == annulled.authority),
                "",
            ),
            "copy_flags": _copy_flags(db, election.id, station_id),
            "history": history,
            "crumbs": _crumbs(election, Level.STATION, station_id),
            "level": "station",
            "unit_id": station_id,
        },
    )


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


def page_for(db: Database, election: Election, tab: Tabulation, rest: str) -> Page:
    """The page at `rest` (the path after e/<id>/), or NotFoundError."""
    parts = [p for p in rest.split("/") if p]
    if not parts:
        return overview(db, election, tab)
    if parts == ["abroad"]:
        return unit_page(election, tab, Level.ABROAD, ABROAD_ID)
    if parts == ["verify"]:
        return verify_page(db, election, tab)
    if parts[0] == "forensics":
        from achyk.web.forensics import forensics_page  # it imports this module

        return forensics_page(db, election, tab, parts[1:])
    if parts[0] == "paper":
        return _paper_page(db, election, tab, parts[1:])
    if len(parts) == 2:
        kind, unit_id = parts
        if kind == "station":
            return station_page(db, election, tab, unit_id)
        if kind in ("region", "district", "country"):
            return unit_page(election, tab, Level(kind), unit_id)
    raise NotFoundError(f"no page {rest!r}")


def all_pages(db: Database, election: Election, tab: Tabulation) -> Iterator[Page]:
    yield overview(db, election, tab)
    yield verify_page(db, election, tab)
    for level in (Level.REGION, Level.DISTRICT, Level.ABROAD, Level.COUNTRY):
        for uid in sorted({u for (lv, u, _) in tab.results if lv is level}):
            yield unit_page(election, tab, level, uid)
    for region in election.regions:
        for district in region.districts:
            ids = [st.id for st in district.stations]
            for at in range(0, len(ids), 200):  # a district's stations read together
                batch = stations_data(db, election, ids[at : at + 200])
                tab.preload(ids[at : at + 200])
                for sid in ids[at : at + 200]:
                    yield station_page(db, election, tab, sid, batch[sid])
    yield _paper_page(db, election, tab, [])
    for level in (Level.REGION, Level.DISTRICT, Level.ABROAD, Level.COUNTRY):
        for uid in sorted({u for (lv, u, _) in tab.results if lv is level}):
            yield _paper_page(
                db, election, tab, ["abroad"] if level is Level.ABROAD else [level.value, uid]
            )


def _paper_page(db: Database, election: Election, tab: Tabulation, parts: list[str]) -> Page:
    """Scanner versus hand count (achyk.web.paper) for the nation or one unit."""
    from achyk.web.paper import paper_context, paper_path

    if not parts:
        level, unit_id = Level.NATIONAL, NATIONAL_ID
    elif parts == ["abroad"]:
        level, unit_id = Level.ABROAD, ABROAD_ID
    elif len(parts) == 2 and parts[0] in ("region", "district", "country"):
        level, unit_id = Level(parts[0]), parts[1]
    else:
        raise NotFoundError(f"no page paper/{'/'.join(parts)}")
    context = paper_context(db, election, tab, level, unit_id)
    title = (
        election.name if level is Level.NATIONAL else unit_name(election, context["result"].unit)
    )
    crumbs = (
        _crumbs(election, level, unit_id)
        if level is not Level.NATIONAL
        else [(election.name, base_path(election))]
    )
    return Page(
        "paper.html",
        paper_path(base_path(election), level, unit_id),
        title,
        {
            **_common(election, tab),
            **context,
            "level": level.value,
            "unit_id": unit_id,
            "crumbs": crumbs,
        },
    )


def _copy_flags(db: Database, election_id: str, station_id: str) -> list[tuple[str, list[str]]]:
    """Observers' protocol copies of this station that differ from its published protocol."""
    from achyk.services.observers.findings import station_copy_flags

    return station_copy_flags(db, election_id, station_id)
