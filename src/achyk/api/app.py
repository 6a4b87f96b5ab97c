"""The public read API: elections, results by level, seats, station protocols."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Response

from achyk import __version__
from achyk.api import (
    checkins,
    complaints,
    faults,
    mission_area,
    newsroom,
    observers,
    protocol_routes,
    register_routes,
    remote,
)
from achyk.api.device_checkin import DeviceLimits, SignedPostPath, device_fast_path
from achyk.api.protocol_routes import protocol_fast_path
from achyk.api.record_routes import build_router
from achyk.api.schemas import (
    ElectionSummary,
    Language,
    OptionVotes,
    ProtocolOut,
    SeatsOut,
    StationOut,
    UnitResult,
)
from achyk.domain.definition import Contest, Election
from achyk.domain.names import localize, unit_names
from achyk.domain.protocol import AGAINST_ALL
from achyk.domain.seat_results import all_list_seats
from achyk.domain.tabulation import ContestResult, Level, Tabulation
from achyk.errors import NotFoundError
from achyk.services.checkin import prune_spent_nonces
from achyk.services.elections import get_election, list_elections, parse_in_background
from achyk.services.ledger import station_evidence
from achyk.services.results import cached_results, cold_results
from achyk.store.async_pg import close_pools
from achyk.store.database import Database
from achyk.store.repositories import Protocols, Rejections


def _option_name(contest: Contest, option: str) -> str:
    if option == AGAINST_ALL:
        return "Against all"
    return next((o.name for o in contest.options if o.id == option), option)


log = logging.getLogger(__name__)


def unit_result(contest: Contest, r: ContestResult, name: str | None = None) -> UnitResult:
    """`name`: the unit's name in the language asked for (default: the tabulation's)."""
    c = r.counted
    return UnitResult(
        level=r.unit.level.value, unit=r.unit.id, name=name or r.unit.name, parent=r.unit.parent,
        contest=contest.id, stations_expected=r.stations_expected, stations_reported=c.stations,
        stations_annulled=r.annulled, reported_pct=str(r.reported_pct), registered=r.registered,
        voters_on_list=c.voters_on_list, issued=c.issued, turnout_pct=str(r.turnout_pct),
        found=c.found, invalid=c.invalid, valid=c.valid, base=r.base_kind.value,
        base_total=r.base,
        options=[
            OptionVotes(option=o, name=_option_name(contest, o), votes=n,
                        share_pct=str(r.share_pct(o)),
                        scanner=r.scanner.votes_for(o) if r.scanner.stations else None,
                        hand=r.hand.votes_for(o) if r.hand.stations else None)
            for o, n in c.votes
        ],
    )  # fmt: skip


NONCE_PRUNE_EVERY_S = 60.0


async def _prune_nonces(db: Database) -> None:
    while True:
        await asyncio.sleep(NONCE_PRUNE_EVERY_S)
        try:
            await asyncio.to_thread(prune_spent_nonces, db)
        except Exception:  # a busy database now and then is no reason to stop pruning
            log.warning("pruning spent nonces failed; will retry", exc_info=True)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    pruner = asyncio.create_task(_prune_nonces(app.state.db))
    yield
    pruner.cancel()
    await close_pools()  # the check-in path's asyncio connections belong to this loop


class AchykAPI(FastAPI):
    """FastAPI, with device check-ins answered ahead of it (see achyk.api.device_checkin)."""

    _device_path: SignedPostPath | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._device_paths()(scope, receive, send)

    def _device_paths(self) -> SignedPostPath:
        if self._device_path is None:
            protocols = protocol_fast_path(super().__call__, self.state)
            self._device_path = device_fast_path(protocols, self.state)
        return self._device_path

    def direct_post(self, scope: Any) -> tuple[SignedPostPath, re.Match[str]] | None:
        """The device path that answers this POST, and its route's match; None: the app does
        (`achyk.api.direct_posts` answers these without the ASGI request cycle)."""
        path: Any = self._device_paths()
        while isinstance(path, SignedPostPath):
            found = path.match(scope)
            if found is not None:
                return path, found
            path = path.app
        return None


def create_app(database: str | None = None, db: Database | None = None) -> FastAPI:
    db = db or Database.open(database)
    app = AchykAPI(
        title="achyk public API",
        version=__version__,
        description="Read-only election data: every figure can be recomputed from the record.",
        lifespan=_lifespan,
        docs_url=None,  # served from the installed Swagger UI bundle by achyk.api.newsroom
    )
    newsroom.install(app)
    app.state.db = db
    app.state.device_limits = DeviceLimits.from_environment()
    faults.install(app, db)  # a database fault is a 503 with Retry-After; /healthz, /readyz

    def election_or_404(election_id: str) -> Election:
        try:
            return get_election(db, election_id)
        except NotFoundError as err:
            raise HTTPException(404, str(err)) from None

    def _cold(election_id: str) -> tuple[Election, Tabulation] | None:
        try:
            return cold_results(db, election_id)
        except NotFoundError:
            return None  # election_or_404 says so

    @app.get("/api/elections", response_model=list[ElectionSummary])
    def elections() -> list[ElectionSummary]:
        return [ElectionSummary(id=i, name=n, definition_hash=h) for i, n, h in list_elections(db)]

    @app.get("/api/elections/{election_id}/results", response_model=list[UnitResult])
    def results(
        election_id: str,
        response: Response,
        level: Level = Level.NATIONAL,
        contest: Annotated[str | None, Query(description="contest id; default: all")] = None,
        unit: Annotated[str | None, Query(description="one unit at that level")] = None,
        offset: Annotated[int, Query(ge=0, description="rows to skip (pagination)")] = 0,
        limit: Annotated[
            int | None, Query(ge=1, le=100_000, description="at most this many rows")
        ] = None,
        lang: Annotated[
            Language | None,
            Query(
                description="names of units, contests and parties in this language, where "
                "the definition translates them (default: its own names)"
            ),
        ] = None,
    ) -> list[UnitResult]:
        # Right after start-up, before the whole definition is read: from its outline.
        cold = None if level is Level.STATION else _cold(election_id)
        e = cold[0] if cold is not None else election_or_404(election_id)
        if lang is not None:
            e = localize(e, lang.value)
        names = unit_names(e)
        if contest and not any(c.id == contest for c in e.contests):
            raise HTTPException(404, f"no contest {contest!r}")
        _, tab = cold if cold is not None else cached_results(db, e.id)
        rows = [
            (c, r)
            for c in e.contests
            if not contest or c.id == contest
            for r in sorted(tab.at_level(level, c.id), key=lambda r: r.unit.id)
            if unit is None or r.unit.id == unit
        ]
        if unit is not None and not rows:
            raise HTTPException(404, f"no {level.value} {unit!r} in election {e.id}")
        # The total lets a newsroom page through a level of 100,000 stations.
        response.headers["X-Total-Count"] = str(len(rows))
        end = None if limit is None else offset + limit
        answer = [
            unit_result(c, r, names.get((r.unit.level.value, r.unit.id)))
            for c, r in rows[offset:end]
        ]
        if cold is not None:  # after the answer: the thread would slow it down (one GIL)
            parse_in_background(db, e.id)
        return answer

    @app.get("/api/elections/{election_id}/seats", response_model=list[SeatsOut])
    def seats(election_id: str) -> list[SeatsOut]:
        e = election_or_404(election_id)
        _, tab = cached_results(db, e.id)
        return [
            SeatsOut(
                contest=s.contest_id, status=s.status.value, reason=s.reason,
                seats={} if a is None else a.as_dict(),
                qualified=[] if a is None else list(a.qualified),
                excluded={} if a is None else dict(a.excluded),
            )
            for s in all_list_seats(e, tab)
            for a in (s.allocation,)
        ]  # fmt: skip

    @app.get("/api/elections/{election_id}/stations/{station_id}", response_model=StationOut)
    def station(election_id: str, station_id: str) -> StationOut:
        e = election_or_404(election_id)
        place = e.place(station_id)
        if place is None:
            raise HTTPException(404, f"no station {station_id!r}")
        with db.read() as s:
            stored = Protocols(s).for_station(e.id, station_id, include_superseded=True)
            rejected = Rejections(s).count_for_station(e.id, station_id)
        evidence = station_evidence(db, e.id, station_id)
        st = place.station
        return StationOut(
            id=st.id, name=st.name, address=st.address, district=place.district_id,
            region=place.region_id, registered_voters=st.registered_voters, country=st.country,
            city=st.city, rejected_submissions=rejected,
            protocols=[
                ProtocolOut(contest=p.contest_id, kind=p.kind, document_hash=p.document_hash,
                            device=p.device_id, signature=p.signature,
                            received_at=p.received_at.isoformat(),
                            protocol=json.loads(p.document), superseded=p.superseded,
                            correction_reason=p.correction_reason, log_entry=p.log_index,
                            tree_size=ev.tree_size, inclusion_proof=ev.inclusion_proof)
                for p, ev in zip(stored, evidence, strict=True)
            ],
        )  # fmt: skip

    # Imported here: the site's modules reuse this module's converters.
    from achyk.web import forensics_routes, observe_routes
    from achyk.web import routes as web_routes

    # Device writes first: routes are matched in order, and check-ins are the hot path.
    app.include_router(checkins.router)
    app.include_router(protocol_routes.router)
    app.include_router(remote.router)
    app.include_router(register_routes.router)
    app.include_router(complaints.router)
    app.include_router(observers.router)
    app.include_router(mission_area.router)
    app.include_router(build_router())
    app.include_router(forensics_routes.router)  # before the site's catch-all page route
    app.include_router(observe_routes.router)  # the observer's phone page, before the catch-all
    app.include_router(web_routes.router)
    return app
