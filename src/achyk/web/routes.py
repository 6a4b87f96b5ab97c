"""The public results site on the live server: pages, open data, and the live stream.

Pages and open data are rendered once per log size (language, path) by one request while the others
are served the previous copy (achyk.web.flight), so election-night load costs one primary-key read
of the log's size per request, however fast protocols arrive.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from sqlalchemy import Engine
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from achyk.domain.definition import Election
from achyk.domain.names import localize
from achyk.domain.tabulation import NATIONAL_ID, Level, Tabulation
from achyk.errors import NotFoundError
from achyk.services.disputes.evidence import releases
from achyk.services.elections import get_election, list_elections, parse_in_background
from achyk.services.freshness import freshness
from achyk.services.import_results import is_imported
from achyk.services.results import cached_results, cold_results, results_stamp
from achyk.store.database import Database
from achyk.web import opendata, pages, site_pages
from achyk.web.complaints import all_complaints, clocks
from achyk.web.flight import RenderCache
from achyk.web.i18n import COOKIE, LANGUAGES, choose
from achyk.web.live import live_summary
from achyk.web.nist import election_report
from achyk.web.render import STATIC, Site, freshness_text, render, warm
from achyk.web.search import search_stations

router = APIRouter(include_in_schema=False)
SITE = Site()
warm()  # the overview's templates compiled as the server starts, not in its first request
ASSETS = {"site.css": "text/css", "live.js": "text/javascript", "track.js": "text/javascript",
          "vote.js": "text/javascript", "evoting.js": "text/javascript"}  # fmt: skip
VENDOR = {"achyk-vendor.js": "text/javascript", "LICENSES.txt": "text/plain; charset=utf-8"}
STREAM_SECONDS = 600.0  # a stream ends after this; EventSource reconnects by itself
POLL_SECONDS = 1.0
_PAGES_KEPT = 512
_caches: weakref.WeakKeyDictionary[Engine, RenderCache[Any]] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(db: Database) -> RenderCache[Any]:
    """One cache per engine: test databases may share a URL, never an engine."""
    with _caches_lock:
        cache = _caches.get(db.engine)
        if cache is None:
            cache = _caches[db.engine] = RenderCache(_PAGES_KEPT)
        return cache


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _lang(request: Request) -> str:
    return choose(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
    )


def _remember(request: Request, response: Response, lang: str) -> Response:
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _stamp(db: Database, election_id: str) -> int:
    """The log's size: a protocol, a correction, a refusal or a complaint step changes a page."""
    return results_stamp(db, election_id)


def _not_found(request: Request, message: str, election: Election | None = None) -> Response:
    lang = _lang(request)
    election = localize(election, lang) if election is not None else None
    html = render(
        "404.html", lang, SITE, request.url.path.lstrip("/"),
        title="404", message=message, election=election,
        base=pages.base_path(election) if election else "", crumbs=[],
    )  # fmt: skip
    return _remember(request, HTMLResponse(html, status_code=404), lang)


def _render_page(db: Database, election: Election, tab: Tabulation, rest: str, lang: str) -> str:
    election = localize(election, lang)  # the definition's names in the page's language
    page = site_pages.page_for(db, election, tab, rest)
    fresh = freshness(db, election.id)
    return render(
        page.template, lang, SITE, page.path, title=page.title, fresh=fresh,
        record_imported=is_imported(db, election.id), **page.context,
    )  # fmt: skip


def _cold(db: Database, election_id: str, rest: str) -> tuple[Election, Tabulation] | None:
    """The overview before this process has read the whole definition (right after `achyk
    serve` starts): from the outline stored beside it (services.results.cold_results); `_page`
    then has a thread read the whole definition."""
    if rest:
        return None
    try:
        return cold_results(db, election_id)
    except NotFoundError:
        return None  # the usual way says so


def _page(request: Request, election_id: str, rest: str) -> Response:
    db = _db(request)
    cold = _cold(db, election_id, rest)
    try:
        election = cold[0] if cold is not None else get_election(db, election_id)
    except NotFoundError as err:
        return _not_found(request, str(err))
    lang = _lang(request)
    stamp = _stamp(db, election.id)

    def make() -> str:
        _, tab = cold if cold is not None else cached_results(db, election.id)
        return _render_page(db, election, tab, rest, lang)

    try:
        html = _cache(db).get(("page", election.id, lang, rest), stamp, make)
    except NotFoundError as err:
        return _not_found(request, str(err), election)
    if cold is not None:  # after the page: the thread would slow it down (one GIL)
        parse_in_background(db, election.id)
    return _remember(request, HTMLResponse(html), lang)


@router.get("/")
def home(request: Request) -> Response:
    elections = list_elections(_db(request))
    if not elections:
        return _not_found(request, "no election is loaded")
    target = f"/e/{elections[-1][0]}/"
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(target, status_code=303)


@router.get("/static/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(STATIC / name, media_type=ASSETS[name])


@router.get("/static/vendor/{name}")
def vendor_asset(name: str) -> Response:
    """The voting page's bundled third-party code (make vendor-js) and its licences."""
    if name not in VENDOR:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(STATIC / "vendor" / name, media_type=VENDOR[name])


def _data(election: Election, tab: Tabulation, name: str) -> tuple[str | bytes, str] | None:
    """(body, media type) of an open-data file: `<level>.<fmt>`, `<level>/<unit>.<fmt>`, nist.json."""
    if name == "nist.json":
        return json.dumps(election_report(election, tab), ensure_ascii=False), "application/json"
    for contest in election.contests:
        if name == opendata.wide_path(contest):
            return opendata.wide_csv_gz(election, tab, contest), "application/gzip"
    stem, _, fmt = name.rpartition(".")
    if fmt not in ("csv", "json"):
        return None
    level_text, _, unit = stem.partition("/")
    try:
        level = Level(level_text)
    except ValueError:
        return None
    rows = opendata.unit_results(election, tab, level, unit or None)
    if unit and not rows:
        return None
    if fmt == "csv":
        return opendata.to_csv(rows), "text/csv; charset=utf-8"
    return opendata.to_json(rows), "application/json"


@router.get("/e/{election_id}/data/{name:path}")
def data(request: Request, election_id: str, name: str) -> Response:
    db = _db(request)
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        return PlainTextResponse(str(err), status_code=404)
    stamp = _stamp(db, election.id)

    def make() -> tuple[str | bytes, str] | None:
        _, tab = cached_results(db, election.id)
        if name == "summary.json":
            return json.dumps(live_summary(election, tab, stamp)), "application/json"
        return _data(election, tab, name)

    found = _cache(db).get(("data", election.id, name), stamp, make)
    if found is None:
        return PlainTextResponse(f"no data file {name!r}", status_code=404)
    body, media = found
    return Response(body, media_type=media)


def _live_unit(level: str, unit: str) -> tuple[Level, str] | None:
    """The unit a live stream follows: the nation, or one whose page has a table of child units."""
    if not level:
        return Level.NATIONAL, NATIONAL_ID
    try:
        parsed = Level(level)
    except ValueError:
        return None
    if parsed is Level.STATION or not unit:
        return None
    return parsed, unit


@router.get("/e/{election_id}/live")
async def live(request: Request, election_id: str, level: str = "", unit: str = "") -> Response:
    """Server-sent events: a `results` event with the unit's figures whenever they change.

    Without `level` the unit is the nation (the overview); `?level=region&unit=north` follows a
    region page, and so on for districts, abroad and host countries.
    """
    db = _db(request)
    try:
        election = await run_in_threadpool(get_election, db, election_id)
    except NotFoundError as err:
        return PlainTextResponse(str(err), status_code=404)
    target = _live_unit(level, unit)
    if target is None:
        return PlainTextResponse(f"no live figures for {level!r} {unit!r}", status_code=404)

    lang = _lang(request)

    def summary(stamp: int) -> dict[str, Any]:
        def make() -> dict[str, Any]:
            _, tab = cached_results(db, election.id)
            fresh = freshness(db, election.id)
            figures = live_summary(election, tab, stamp, *target)
            return {**figures, **fresh.as_json(), "freshness_text": freshness_text(lang, fresh)}

        # Every open stream of this unit and language shares one summary per log size.
        found: dict[str, Any] = _cache(db).get(("live", election.id, lang, *target), stamp, make)
        return found

    try:  # an unknown unit is refused before the stream starts
        first = await run_in_threadpool(_stamp, db, election.id)
        await run_in_threadpool(summary, first)
    except NotFoundError as err:
        return PlainTextResponse(str(err), status_code=404)

    async def events() -> AsyncIterator[dict[str, str]]:
        last = -1
        deadline = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < deadline and not await request.is_disconnected():
            stamp = await run_in_threadpool(_stamp, db, election.id)
            if stamp != last:
                data = await run_in_threadpool(summary, stamp)
                # The shared summary may be one change behind while another request renders the
                # newest: `last` is the stamp it was made at, so the next poll sends the newer one.
                if data["stamp"] != last:
                    yield {"event": "results", "id": str(data["stamp"]), "data": json.dumps(data)}
                last = data["stamp"]
            await asyncio.sleep(POLL_SECONDS)

    return EventSourceResponse(events(), ping=15)


@router.get("/e/{election_id}/track")
def track(request: Request, election_id: str, code: str = "") -> Response:
    """A voter looks up the tracking code of a remote ballot: the log entry that holds it."""
    from achyk.services import ledger
    from achyk.services.remote.voting import find_tracking_code

    db = _db(request)
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        return _not_found(request, str(err))
    lang = _lang(request)
    election = localize(election, lang)
    found = find_tracking_code(db, election.id, code) if code.strip() else None
    size = ledger.log_size(db, election.id)
    proof = [p.hex() for p in ledger.inclusion(db, election.id, found.log_index, size)] if found else []  # fmt: skip
    base = pages.base_path(election)
    html = render(
        "track.html", lang, SITE, f"{base}track", title=election.name, election=election,
        base=base, crumbs=[(election.name, base)], code=code.strip()[:80], found=found,
        tree_size=size, proof=proof, entry=found.entry if found else "",
    )  # fmt: skip
    return _remember(
        request, HTMLResponse(html, status_code=200 if found or not code else 404), lang
    )


@router.get("/e/{election_id}/vote")
def vote(request: Request, election_id: str) -> Response:
    """The voting page: the browser checks the election against the signed log, encrypts, shows
    the tracking code, then casts or audits (static/vote.js). The server serves code, not secrets."""
    from achyk.services import ledger
    from achyk.services.remote.voting import remote_info

    db = _db(request)
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        return _not_found(request, str(err))
    try:
        remote_info(db, election.id)
        not_open = False
    except NotFoundError:
        not_open = True  # the definition may name a remote unit before the key ceremony
    lang = _lang(request)
    base = pages.base_path(election)
    html = render(
        "vote.html", lang, SITE, f"{base}vote", title=election.name, election=election,
        base=base, crumbs=[(election.name, base)], api=f"/api/elections/{election.id}",
        log_key=ledger.log_vkey(db, election.id), origin=ledger.log_origin(db, election.id),
        not_open=not_open,
    )  # fmt: skip
    return _remember(request, HTMLResponse(html, status_code=404 if not_open else 200), lang)


def _election_view(
    request: Request,
    election_id: str,
    template: str,
    rest: str,
    context: Callable[[Database, Election, str, str], dict[str, Any]],
) -> Response:
    """A page of one election that is not cached by log size (search, missions, complaints):
    404 for an unknown election, the language, the breadcrumb and the freshness line."""
    db = _db(request)
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        return _not_found(request, str(err))
    lang = _lang(request)
    election = localize(election, lang)
    base = pages.base_path(election)
    html = render(
        template, lang, SITE, f"{base}{rest}", title=election.name, election=election,
        base=base, crumbs=[(election.name, base)], fresh=freshness(db, election.id),
        **context(db, election, lang, base),
    )  # fmt: skip
    return _remember(request, HTMLResponse(html), lang)


@router.get("/e/{election_id}/search")
def search(request: Request, election_id: str, q: str = "") -> Response:
    """Find a polling station (works without JavaScript: a plain GET form)."""
    return _election_view(
        request, election_id, "search.html", "search",
        lambda _db, e, lang, base: {"result": search_stations(e, q[:200], lang, base)},
    )  # fmt: skip


@router.get("/e/{election_id}/missions")
def missions(request: Request, election_id: str) -> Response:
    """Observer missions: coverage, findings, the PVT, protocol copies that differ."""
    from achyk.services.observers.findings import copy_flags, mission_coverage, mission_pvt
    from achyk.web.mission_page import mission_extras

    return _election_view(
        request, election_id, "missions.html", "missions",
        lambda db, e, _lang, _base: {"missions": mission_coverage(db, e.id),
                                     "pvt": mission_pvt(db, e.id), "flags": copy_flags(db, e.id),
                                     "regions": {r.id: r.name for r in e.regions},
                                     **mission_extras(db, e)},
    )  # fmt: skip


@router.get("/e/{election_id}/complaints")
def complaints(request: Request, election_id: str) -> Response:
    """The public register of complaints and decisions, folded from the log."""

    def context(db: Database, e: Election, _lang: str, _base: str) -> dict[str, Any]:
        cases = all_complaints(db, e)
        return {"cases": cases, "clocks": clocks(e, cases), "releases": releases(db, e.id)}

    return _election_view(request, election_id, "complaints.html", "complaints", context)


def _complaint_form(
    request: Request, election: Election, form: dict[str, str], problems: list[str], status: int
) -> Response:
    lang = _lang(request)
    election = localize(election, lang)
    base = pages.base_path(election)
    html = render(
        "complaint_form.html", lang, SITE, f"{base}complaints/new", title=election.name,
        election=election, base=base, crumbs=[(election.name, base)], form=form,
        problems=problems,
    )  # fmt: skip
    return _remember(request, HTMLResponse(html, status_code=status), lang)


@router.get("/e/{election_id}/complaints/new")
def complaint_form(request: Request, election_id: str, station: str = "") -> Response:
    db = _db(request)
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        return _not_found(request, str(err))
    return _complaint_form(request, election, {"station": station[:64]}, [], 200)


@router.post("/e/{election_id}/complaints")
async def file_complaint_form(request: Request, election_id: str) -> Response:
    """The web form's filing: the same service as the API and the command line."""
    from achyk.services.disputes.filing import file_complaint

    db = _db(request)
    try:
        election = await run_in_threadpool(get_election, db, election_id)
    except NotFoundError as err:
        return _not_found(request, str(err))
    data = await request.form(max_files=20, max_fields=20)
    form = {k: str(data.get(k) or "")[:20_000] for k in ("station", "filer", "category", "facts")}
    files = []
    for item in data.getlist("evidence"):
        if isinstance(item, UploadFile) and item.filename:
            files.append((item.filename, item.content_type or "application/octet-stream",
                          await item.read()))  # fmt: skip
    station = form["station"].strip() or None
    doc = {"filer": form["filer"], "subject": "station" if station else "election",
           "station": station, "category": form["category"], "facts": form["facts"],
           "body": "territorial" if station else "central"}  # fmt: skip
    filed = await run_in_threadpool(file_complaint, db, election.id, doc, files)
    if filed.index is None:
        return _complaint_form(request, election, form, list(filed.refused), 422)
    target = f"{pages.base_path(election)}complaints#h-c-{filed.index}"
    root = request.scope.get("root_path", "").rstrip("/")
    return RedirectResponse(f"{root}/{target}", status_code=303)


@router.get("/e/{election_id}/{rest:path}")
def page(request: Request, election_id: str, rest: str) -> Response:
    return _page(request, election_id, rest)
