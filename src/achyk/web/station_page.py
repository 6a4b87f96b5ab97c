"""A station's page: its protocols line by line as its form numbers them, refusals and log evidence.

`stations_data` reads many stations' page data in a few queries (a district's at a time when the
whole site is written).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from achyk.domain.definition import Contest, Election
from achyk.domain.forms import ProtocolForm
from achyk.domain.protocol import (
    AGAINST_ALL,
    LINES,
    Protocol,
    ProtocolKind,
    check_protocol,
    protocol_from_json,
)
from achyk.domain.tabulation import Level, Tabulation
from achyk.errors import NotFoundError
from achyk.store.database import Database
from achyk.store.models import RejectionRow
from achyk.store.repositories import DeviceSwitches, Protocols, Rejections, StoredProtocol
from achyk.web import evidence
from achyk.web.complaints import station_complaints
from achyk.web.pages import Page, _common, _crumbs, contest_view, option_name, unit_path


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


def _copy_flags(db: Database, election_id: str, station_id: str) -> list[tuple[str, list[str]]]:
    """Observers' protocol copies of this station that differ from its published protocol."""
    from achyk.services.observers.findings import station_copy_flags

    return station_copy_flags(db, election_id, station_id)
