"""The forensics pages and figures: per election and per region, in the page's language.

The analysis is computed once per (database, election, accepted-protocol stamp, scope) and reused
until a new protocol arrives; figures are drawn server-side (matplotlib) with translated labels.
A flag links to the station's page, which holds its protocols, their log entries, inclusion proofs,
rejections and the hand count beside the scanner's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from achyk.domain.definition import Election
from achyk.domain.tabulation import Tabulation
from achyk.errors import NotFoundError
from achyk.forensics import digits, klimek
from achyk.forensics.figures import Labels, render
from achyk.forensics.flags import Flag, station_flags
from achyk.forensics.from_protocols import ABROAD, REMOTE
from achyk.forensics.integers import IntegerPeaks, integer_peaks
from achyk.forensics.stations import Stations
from achyk.services.forensics import ElectionForensics, election_forensics, log_entries
from achyk.store.database import Database
from achyk.store.repositories import Protocols
from achyk.web.i18n import translations
from achyk.web.pages import Page, _common, base_path

CELLS = 20_000_000  # replicate × station cells the site spends on the null (≤ 1000 replicates)
MIN_FIT = 200  # stations below which the Klimek fit is not shown (the fingerprint is too sparse)
FLAGS_SHOWN = 200
ALL = "all"

_lock = threading.Lock()
_tables: OrderedDict[tuple[int, str, int], ElectionForensics] = OrderedDict()
_analyses: OrderedDict[tuple[int, str, int, str], Analysis] = OrderedDict()
_figures: OrderedDict[tuple[int, str, int, str, str, str, str], bytes] = OrderedDict()


@dataclass(frozen=True)
class FlagRow:
    flag: Flag
    group: str
    entries: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Analysis:
    scope: str
    stations: Stations
    peaks: IntegerPeaks
    fit: klimek.KlimekFit | None
    digit_tests: tuple[digits.DigitTest, ...]
    flags: tuple[Flag, ...]


def _stamp(db: Database, election_id: str) -> int:
    with db.read() as s:
        return Protocols(s).last_id(election_id)


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, keep: int) -> None:
    with _lock:
        cache[key] = value
        while len(cache) > keep:
            cache.popitem(last=False)


def table(db: Database, election_id: str) -> ElectionForensics:
    key = (id(db.engine), election_id, _stamp(db, election_id))
    hit = _tables.get(key)
    if hit is None:
        hit = election_forensics(db, election_id)
        _remember(_tables, key, hit, 4)
    return hit


def _scoped(f: ElectionForensics, scope: str) -> Stations:
    s = f.table.stations
    if scope == ALL:
        return s
    if not any(r.id == scope for r in f.election.regions):
        raise NotFoundError(f"no region {scope!r} in election {f.election.id}")
    region_of = {p.station.id: p.region_id for p in f.election.stations()}
    return s.select(np.array([region_of.get(i) == scope for i in s.ids], dtype=bool))


def analysis(db: Database, election_id: str, scope: str) -> Analysis:
    f = table(db, election_id)
    key = (id(db.engine), election_id, _stamp(db, election_id), scope)
    hit = _analyses.get(key)
    if hit is not None:
        return hit
    s = _scoped(f, scope)
    replicates = max(100, min(1000, CELLS // max(len(s), 1)))
    fit = klimek.fit(s) if len(s) >= MIN_FIT else None
    hit = Analysis(
        scope, s, integer_peaks(s, 0.1, replicates, seed=0), fit,
        (digits.second_digit(s.leader), digits.last_digit(s.leader), digits.zero_five(s.leader)),
        tuple(station_flags(s, f.broken)),
    )  # fmt: skip
    _remember(_analyses, key, hit, 32)
    return hit


def figure(db: Database, election_id: str, lang: str, scope: str, name: str, fmt: str) -> bytes:
    a = analysis(db, election_id, scope)
    key = (id(db.engine), election_id, _stamp(db, election_id), lang, scope, name, fmt)
    hit = _figures.get(key)
    if hit is None:
        _ = translations(lang).gettext
        labels = Labels(
            turnout=_("Turnout, %"), share=_("Leader's share, %"),
            voters=_("Voters per 0.1 % bin"), stations=_("Stations"),
            turnout_title=_("Turnout, weighted by voters"),
            share_title=_("Leader's share, weighted by voters"),
            comet_title=_("Turnout against share, by voters"),
            fingerprint_title=_("Election fingerprint (stations per cell)"),
        )  # fmt: skip
        hit = render(a.stations, name, fmt, labels)
        _remember(_figures, key, hit, 64)
    return hit


def _group(election: Election, stratum: str) -> str:
    if stratum in (ABROAD, REMOTE):
        return stratum
    return next((r.name for r in election.regions if r.id == stratum), stratum)


def forensics_page(db: Database, election: Election, tab: Tabulation, parts: list[str]) -> Page:
    """`forensics/` (the whole election) or `forensics/region/<id>/`."""
    if parts == []:
        scope = ALL
    elif len(parts) == 2 and parts[0] == "region":
        scope = parts[1]
    else:
        raise NotFoundError(f"no page forensics/{'/'.join(parts)}")
    f = table(db, election.id)
    a = analysis(db, election.id, scope)
    shown = list(a.flags[:FLAGS_SHOWN])
    entries = log_entries(db, election.id, [fl.station for fl in shown])
    rows = [FlagRow(fl, _group(election, fl.stratum), tuple(entries.get(fl.station, ())))
            for fl in shown]  # fmt: skip
    base = base_path(election)
    path = f"{base}forensics/" if scope == ALL else f"{base}forensics/region/{scope}/"
    region = next((r for r in election.regions if r.id == scope), None)
    crumbs = [(election.name, base)]
    return Page(
        "forensics.html", path, region.name if region else election.name,
        {
            **_common(election, tab), "analysis": a, "flags": rows,
            "flags_total": len(a.flags), "strong_total": sum(fl.strong for fl in a.flags),
            "contest": f.table.contest, "leader": _leader_name(f, election), "scope": scope,
            "region": region, "regions": [r for r in election.regions],
            "crumbs": crumbs,
        },
    )  # fmt: skip


def _leader_name(f: ElectionForensics, election: Election) -> str:
    """The leader as `election` names it (in the page's language where it is translated)."""
    contest = election.contest(f.table.contest.id) or f.table.contest
    return next((o.name for o in contest.options if o.id == f.table.leader), f.table.leader)
