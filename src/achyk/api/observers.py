"""Observer missions API: signed envelopes in (accreditations, registrations, plans, observations,
publications, protocol copies), coverage, published observations and differing protocol copies out.

Every envelope is signed on its signer's device; the server checks it against the chain of trust
on the log (CEC → mission → observer) and logs it, or answers 422 with the reasons and keeps it as
evidence. Unpublished observations are hashes: there is nothing of them to read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from achyk.api.answers import database, logged
from achyk.errors import AchykError, NotFoundError
from achyk.observers.model import KINDS
from achyk.services.observers.findings import copy_flags, mission_coverage
from achyk.services.observers.inbox import MAX_SEALED, keep_sealed, published_photo, refuse_sealed
from achyk.services.observers.record import read_observers, record_many

router = APIRouter()
PREFIX = "/api/elections/{election_id}"
MAX_BATCH = 1_000


@router.post(PREFIX + "/observers/{kind}", responses={422: {"description": "a refusal, kept"}})
def submit(request: Request, election_id: str, kind: str, body: Any = Body(None)) -> JSONResponse:
    """One signed envelope, or a list of up to 1,000, of one kind (record-format.md, *Observer
    missions*). 200 when all are logged; 422 when any is refused (each result says which)."""
    if kind not in KINDS:
        raise HTTPException(404, f"no observer entry kind {kind!r}; one of {', '.join(KINDS)}")
    items = body if isinstance(body, list) else [body]
    if len(items) > MAX_BATCH:
        raise HTTPException(413, f"at most {MAX_BATCH} envelopes at once")
    try:
        results = record_many(database(request), election_id, kind, items)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    out = [logged(r) for r in results]
    status = 200 if all(r.accepted for r in out) else 422
    return JSONResponse([r.model_dump() for r in out], status_code=status)


@router.get(PREFIX + "/missions")
def missions(request: Request, election_id: str) -> list[dict[str, Any]]:
    """Each mission's coverage and findings ("visited N stations in K of M regions")."""
    try:
        rows = mission_coverage(database(request), election_id)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return [r.__dict__ | {"sentence": r.sentence()} for r in rows]


@router.get(PREFIX + "/missions/flags")
def flags(request: Request, election_id: str) -> list[dict[str, Any]]:
    """Protocol copies that differ from the station's published protocol, line by line."""
    try:
        rows = copy_flags(database(request), election_id)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return [{"station": s, "copy": who, "differences": d} for s, who, d in rows]


@router.get(PREFIX + "/missions/{mission}/observations")
def observations(request: Request, election_id: str, mission: str) -> list[dict[str, Any]]:
    """A mission's observations: hash and log entry of each, content once published."""
    try:
        state = read_observers(database(request), election_id)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    if mission not in state.missions:
        raise HTTPException(404, f"no accredited mission {mission!r}")
    return [
        {"log_entry": o.index, "observer": o.observer, "station": o.station, "form": o.form,
         "content_sha256": o.content_sha256, "published": o.published,
         "content": state.contents.get(o.index), "quality_flags": list(o.flags)}
        for o in state.observations.values() if o.mission == mission
    ]  # fmt: skip


@router.post(PREFIX + "/missions/{mission}/inbox", responses={422: {"description": "refused"}})
async def inbox(request: Request, election_id: str, mission: str) -> JSONResponse:
    """An item an observer's phone sealed to the mission's key (a form's content and photos): kept
    for the mission, unread. The same item resent is kept once and answered alike."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SEALED:  # what came so far is kept (its first 64 KiB), with the reason
            reason = f"at most {MAX_SEALED // 2**20} MiB"
            try:
                await run_in_threadpool(
                    refuse_sealed, database(request), election_id, mission, bytes(body), reason
                )
            except NotFoundError as err:
                raise HTTPException(404, str(err)) from None
            raise HTTPException(413, reason)
    sealed = bytes(body)
    try:
        digest = await run_in_threadpool(
            keep_sealed, database(request), election_id, mission, sealed
        )
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    except AchykError as err:
        return JSONResponse({"stored": False, "reasons": [str(err)]}, status_code=422)
    return JSONResponse({"stored": True, "sha256": digest})


@router.get(PREFIX + "/missions/{mission}/photos/{sha256}")
def photo(request: Request, election_id: str, mission: str, sha256: str) -> Response:
    """A photo the mission published, its metadata stripped, named by the original's SHA-256 (the
    hash the observer signed)."""
    try:
        data, media_type = published_photo(database(request), election_id, mission, sha256.lower())
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return Response(data, media_type=media_type)
