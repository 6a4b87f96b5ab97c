"""The observer's phone page (`/e/{id}/observe`), its scripts and its service worker.

Links are relative to the page, so the page works under any prefix the server is mounted at.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from achyk.errors import NotFoundError
from achyk.services.elections import get_election
from achyk.services.observers.record import read_observers
from achyk.store.database import Database
from achyk.web.i18n import COOKIE, LANGUAGES, choose
from achyk.web.observe import page_data
from achyk.web.render import STATIC, Site, render

router = APIRouter()
OBSERVE = STATIC / "observe"
VENDOR = STATIC / "vendor"
ASSETS = {
    "observe.js": (OBSERVE / "observe.js", "text/javascript"),
    "observe.css": (OBSERVE / "observe.css", "text/css"),
    "noble-observer.js": (VENDOR / "noble-observer.js", "text/javascript"),
}
ASSET_BASE = "../../observe/static/"  # from /e/{id}/observe


@lru_cache(maxsize=1)
def _version() -> str:
    """Changes when a script or the page's template changes, so phones pick up the new ones."""
    h = hashlib.sha256()
    for path, _ in ASSETS.values():
        h.update(path.read_bytes())
    h.update((OBSERVE.parent.parent / "templates" / "observe.html").read_bytes())
    return h.hexdigest()[:16]


@router.get("/observe/static/{name}")
def asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(found[0], media_type=found[1], headers={"Cache-Control": "no-cache"})


@router.get("/e/{election_id}/observe-sw.js")
def service_worker(election_id: str) -> Response:
    pages = [f"observe?lang={code}" for code in LANGUAGES]
    body = ((OBSERVE / "observe-sw.js").read_text(encoding="utf-8")
            .replace("__VERSION__", _version())
            .replace("__PAGES__", json.dumps(pages))
            .replace("__ASSETS__", json.dumps([ASSET_BASE + n for n in ASSETS])))  # fmt: skip
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/e/{election_id}/observe")
def observe(request: Request, election_id: str) -> Response:
    """The page an observer fills forms on, offline; signed on the phone, queued, sent once."""
    db: Database = request.app.state.db
    lang = choose(
        request.query_params.get("lang"), request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
    )  # fmt: skip
    try:
        election = get_election(db, election_id)
    except NotFoundError as err:
        return PlainTextResponse(str(err), status_code=404)
    data = page_data(election, read_observers(db, election.id), lang)
    # "</" cannot close the script element the data sits in.
    data_json = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    html = render(
        "observe.html", lang, Site(), f"e/{election.id}/observe", election=election,
        data_json=data_json, assets=ASSET_BASE, api=f"../../api/elections/{election.id}",
        sw="observe-sw.js",
    )  # fmt: skip
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})
