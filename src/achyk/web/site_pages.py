"""Which page is at which path: the dispatch of the live site and the list the static export writes.

The paper (scanner versus hand count) and forensics pages live in their own modules; this one
only finds them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from achyk.domain.definition import Election
from achyk.domain.tabulation import ABROAD_ID, NATIONAL_ID, Level, Tabulation
from achyk.errors import NotFoundError
from achyk.store.database import Database
from achyk.web.pages import (
    Page,
    _common,
    _crumbs,
    base_path,
    overview,
    unit_name,
    unit_page,
    verify_page,
)
from achyk.web.station_page import station_page, stations_data


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


def all_pages(
    db: Database,
    election: Election,
    tab: Tabulation,
    *,
    stations: bool = True,
    share: tuple[int, int] = (0, 1),
) -> Iterator[Page]:
    """Every page; without `stations`, no station page (the published copy draws them in the
    browser from the district files, achyk.web.station_static). `share` (k, n): only the k-th of
    every n units' pages, for n writers side by side."""
    part, parts = share
    counter = itertools.count()

    def mine() -> bool:
        return next(counter) % parts == part

    if mine():
        yield overview(db, election, tab)
        yield verify_page(db, election, tab)
    written = 0
    for level in (Level.REGION, Level.DISTRICT, Level.ABROAD, Level.COUNTRY):
        for uid in _units(tab, level):
            if mine():
                yield unit_page(election, tab, level, uid)
                written += 1
                if written % RELEASE_EVERY == 0:
                    tab.release_stations()  # the stations read for these pages, let go
        tab.release_stations()
    for region in election.regions if stations else ():
        for district in region.districts:
            if not mine():
                continue
            ids = [st.id for st in district.stations]
            for at in range(0, len(ids), 200):  # a district's stations read together
                batch = stations_data(db, election, ids[at : at + 200])
                tab.preload(ids[at : at + 200])
                for sid in ids[at : at + 200]:
                    yield station_page(db, election, tab, sid, batch[sid])
    if mine():
        yield _paper_page(db, election, tab, [])
    for level in (Level.REGION, Level.DISTRICT, Level.ABROAD, Level.COUNTRY):
        for uid in _units(tab, level):
            if mine():
                yield _paper_page(
                    db, election, tab, ["abroad"] if level is Level.ABROAD else [level.value, uid]
                )
                written += 1
                if written % RELEASE_EVERY == 0:
                    tab.release_stations()
        tab.release_stations()


# Station results read for unit pages are let go every this many pages: letting go after each page
# made the next page rebuild the tabulation's children index over every unit (~10 ms each).
RELEASE_EVERY = 32


def _units(tab: Tabulation, level: Level) -> list[str]:
    """The units of a level above the stations (without reading every station's result)."""
    return sorted({u for (lv, u, _) in tab.aggregates() if lv is level})


def paper_reconciliation(db: Database, election: Election, tab: Tabulation) -> None:
    """Compute (and keep) the reconciliation every paper page of this tabulation reads."""
    from achyk.web.paper import _reconciled

    _reconciled(db, election, tab)


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
