"""A mission's own area (its members, unpublished forms, statement drafts) and its public figures:
observed versus unobserved stations, coverage by region, issued statements as HTML and PDF.

The area is reached only by requests signed by a member's own key (``X-Member``, ``X-Timestamp``,
``X-Nonce``, ``X-Signature`` over :func:`achyk.domain.signed_request.request_message` with the
purpose ``achyk/mission-request/v1``): 401 unsigned, stale, replayed or not a member of that
mission; 403 a member whose role may not (an observer reading drafts). Memberships are signed by
the mission's key or an admin's: the server checks and stores them; it cannot make one.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from achyk.domain.signed_request import RequestAuthError
from achyk.errors import AchykError, ForbiddenError, NotFoundError, SignatureError
from achyk.observers.members import READERS, Member
from achyk.services.observers import area
from achyk.services.observers.effect import mission_effects, mission_regions, mission_trust
from achyk.services.observers.statements import issued_statements
from achyk.store.database import Database

router = APIRouter()
PREFIX = "/api/elections/{election_id}/missions"
AREA = PREFIX + "/{mission}/area"
Hdr = Annotated[str, Header(min_length=1, max_length=128)]
AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "unsigned, stale, replayed or not a member"},
        403: {"description": "a member whose role may not"}}  # fmt: skip


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _fail(err: AchykError) -> HTTPException:
    if isinstance(err, RequestAuthError):
        return HTTPException(401, str(err))
    if isinstance(err, ForbiddenError):
        return HTTPException(403, str(err))
    if isinstance(err, NotFoundError):
        return HTTPException(404, str(err))
    return HTTPException(422, str(err))  # an ObserverError, a bad membership signature


async def _member(request: Request, election_id: str, mission: str, x_member: str,
                  x_timestamp: str, x_nonce: str, x_signature: str) -> tuple[Member, bytes]:  # fmt: skip
    body = await request.body()
    try:
        member = await run_in_threadpool(
            area.authenticate, _db(request), election_id, mission, x_member,
            method=request.method, path=request.url.path, body=body, timestamp=x_timestamp,
            nonce=x_nonce, signature=x_signature,
        )  # fmt: skip
    except AchykError as err:
        raise _fail(err) from None
    return member, body


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise HTTPException(422, f"not JSON: {err}") from None


@router.post(PREFIX + "/{mission}/members", responses={422: {"description": "not allowed"}})
def add_member(request: Request, election_id: str, mission: str,
               body: Any = Body(None)) -> dict[str, str]:  # fmt: skip
    """Register an admin or analyst: a membership signed by the mission's key or an admin's."""
    try:
        m = area.add_member(_db(request), election_id, mission, body)
    except SignatureError as err:
        raise HTTPException(422, f"the membership's signature: {err}") from None
    except AchykError as err:
        raise _fail(err) from None
    return {"mission": m.mission, "member": m.name, "role": m.role.value}


@router.get(AREA + "/contents", responses=AUTH)
async def contents(request: Request, election_id: str, mission: str, x_member: Hdr,
                   x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> dict[str, Any]:  # fmt: skip
    """The content of the mission's forms handed in to its area, published or not (its analysts
    and admins only), by observation log entry."""
    member, _ = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                              x_signature)  # fmt: skip
    try:
        held = await run_in_threadpool(area.area_contents, _db(request), election_id, member)
    except AchykError as err:
        raise _fail(err) from None
    return {str(k): v for k, v in held.items()}


@router.put(AREA + "/contents/{observation}", responses=AUTH)
async def hand_in(request: Request, election_id: str, mission: str, observation: int,
                  x_member: Hdr, x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> dict[str, Any]:  # fmt: skip
    """A form's content, handed to the mission by its observer (or an analyst): kept in the area
    until the mission publishes it; it must hash to what the observer signed on the log."""
    member, body = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                                 x_signature)  # fmt: skip
    try:
        await run_in_threadpool(area.hand_in, _db(request), election_id, member, observation,
                                _json(body))  # fmt: skip
    except AchykError as err:
        raise _fail(err) from None
    return {"observation": observation, "held": True}


@router.post(AREA + "/drafts/{kind}", responses=AUTH)
async def draft(request: Request, election_id: str, mission: str, kind: str, x_member: Hdr,
                x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> dict[str, Any]:  # fmt: skip
    """Draft the preliminary statement or final report from the mission's data; body
    {"languages": ["en", "ru"]}. Replaces the draft of that name."""
    member, body = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                                 x_signature)  # fmt: skip
    given = _json(body)
    languages = given.get("languages") if isinstance(given, dict) else None
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise HTTPException(422, "languages: a list of language codes")
    try:
        doc: dict[str, Any] = await run_in_threadpool(
            area.draft_from_data, _db(request), election_id, member, kind, languages
        )
    except AchykError as err:
        raise _fail(err) from None
    return doc


@router.get(AREA + "/drafts/{name}", responses=AUTH)
async def get_draft(request: Request, election_id: str, mission: str, name: str, x_member: Hdr,
                    x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> dict[str, Any]:  # fmt: skip
    member, _ = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                              x_signature)  # fmt: skip
    try:
        doc: dict[str, Any] = await run_in_threadpool(area.get_draft, _db(request), election_id,
                                                      member, name)  # fmt: skip
    except AchykError as err:
        raise _fail(err) from None
    return doc


@router.put(AREA + "/drafts/{name}", responses=AUTH)
async def put_draft(request: Request, election_id: str, mission: str, name: str, x_member: Hdr,
                    x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> dict[str, Any]:  # fmt: skip
    """An analyst's edit: the whole draft document, checked for its shape."""
    member, body = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                                 x_signature)  # fmt: skip
    try:
        doc: dict[str, Any] = await run_in_threadpool(area.put_draft, _db(request), election_id,
                                                      member, name, _json(body))  # fmt: skip
    except AchykError as err:
        raise _fail(err) from None
    return doc


@router.get(AREA + "/refused", responses=AUTH)
async def refused(request: Request, election_id: str, mission: str, x_member: Hdr,
                  x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> list[dict[str, Any]]:  # fmt: skip
    """Memberships the server refused for this mission, each with its reason (admins only)."""
    member, _ = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                              x_signature)  # fmt: skip
    try:
        rows: list[dict[str, Any]] = await run_in_threadpool(area.refusals, _db(request),
                                                             election_id, member)  # fmt: skip
    except AchykError as err:
        raise _fail(err) from None
    return rows


@router.get(PREFIX + "/{mission}/whoami", responses=AUTH)
async def whoami(request: Request, election_id: str, mission: str, x_member: Hdr,
                 x_timestamp: Hdr, x_nonce: Hdr, x_signature: Hdr) -> dict[str, Any]:  # fmt: skip
    member, _ = await _member(request, election_id, mission, x_member, x_timestamp, x_nonce,
                              x_signature)  # fmt: skip
    return {"mission": member.mission, "member": member.name, "role": member.role.value,
            "reads_area": member.role in READERS}  # fmt: skip


@router.get(PREFIX + "/effects")
def effects(request: Request, election_id: str) -> dict[str, Any]:
    """Per mission: observed against unobserved stations' turnout and leading-party share, the
    difference in means with its 95 % interval (Welch), coverage by region, and its roles as a
    witness of the log and a trustee of remote voting."""
    db = _db(request)
    try:
        found, regions = mission_effects(db, election_id), mission_regions(db, election_id)
        roles = mission_trust(db, election_id)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return {m: {"effect": found[m].document() if m in found else None,
                "regions": [r.__dict__ for r in rows],
                "trust": {"witness": roles[m].witness, "witness_by": roles[m].witness_by,
                          "trustee": roles[m].trustee, "problems": list(roles[m].problems)}}
            for m, rows in regions.items()}  # fmt: skip


@router.get(PREFIX + "/{mission}/statements")
def statements(request: Request, election_id: str, mission: str) -> list[dict[str, Any]]:
    """The statements and reports the mission has issued (signed by it, on the log)."""
    try:
        rows = issued_statements(_db(request), election_id, mission)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return [{"log_entry": s.index, "kind": s.kind, "statement": s.document} for s in rows]


@router.get(PREFIX + "/{mission}/statements/{index}.{fmt}",
            responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})  # fmt: skip
def statement_file(request: Request, election_id: str, mission: str, index: int, fmt: str,
                   lang: Annotated[str | None, Query(max_length=3)] = None) -> Response:  # fmt: skip
    """An issued statement rendered as HTML or PDF in one of its languages."""
    from achyk.web.statement import render_html, render_pdf

    try:
        rows = issued_statements(_db(request), election_id, mission)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    found = next((s for s in rows if s.index == index), None)
    if found is None or fmt not in ("html", "pdf"):
        raise HTTPException(404, f"no statement at log entry {index} of {mission} as {fmt}")
    languages = found.document["languages"]
    chosen = str(lang if lang in languages else languages[0])
    html = render_html(found.document, chosen, index)
    if fmt == "html":
        return HTMLResponse(html)
    return Response(render_pdf(html), media_type="application/pdf")
