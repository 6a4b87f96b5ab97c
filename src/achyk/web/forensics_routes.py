"""The forensics figures on the live site: `/e/{id}/forensics/figure/{lang}/{scope}/{name}.{fmt}`.

Registered before the site's catch-all page route; the scientific stack is imported on the first
request, so a server that never draws a figure starts as fast as before. Drawing runs in the thread pool (matplotlib is
CPU-bound); the bytes are cached per accepted-protocol stamp in achyk.web.forensics.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from achyk.errors import NotFoundError
from achyk.services.elections import get_election
from achyk.store.database import Database
from achyk.web.i18n import LANGUAGES

router = APIRouter(include_in_schema=False)
MEDIA = {"svg": "image/svg+xml", "png": "image/png"}


@router.get("/e/{election_id}/forensics/figure/{lang}/{scope}/{name}.{fmt}")
async def forensics_figure(
    request: Request, election_id: str, lang: str, scope: str, name: str, fmt: str
) -> Response:
    # numpy, scipy and matplotlib load on the first figure, not when the server starts.
    from achyk.forensics.figures import FIGURES
    from achyk.web.forensics import figure

    db: Database = request.app.state.db
    if lang not in LANGUAGES or name not in FIGURES or fmt not in MEDIA:
        return PlainTextResponse("no such figure", status_code=404)
    try:
        election = get_election(db, election_id)
        body = await run_in_threadpool(figure, db, election.id, lang, scope, name, fmt)
    except NotFoundError as err:
        return PlainTextResponse(str(err), status_code=404)
    return Response(body, media_type=MEDIA[fmt], headers={"Cache-Control": "max-age=60"})
