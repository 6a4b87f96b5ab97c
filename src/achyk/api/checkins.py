"""Check-in API: device-signed check-ins and journals, turnout by hour, register statistics.

A device request carries ``X-Device``, ``X-Timestamp`` (seconds since 1970, UTC), ``X-Nonce`` and
``X-Signature`` (base64 Ed25519 over :func:`achyk.domain.register.request_message`). No response
contains a personal number or a name; a refusal names the station and time of the earlier vote only.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from achyk.api.answers import database
from achyk.api.device_checkin import CheckinIn, CheckinOut, checkin_reply, register_secret
from achyk.api.device_headers import DeviceSigned, SignedHeaders, sent_twice
from achyk.api.faults import RETRY_AFTER_S
from achyk.domain.tabulation import Level
from achyk.errors import AchykError, InputError, NotFoundError, SignatureError
from achyk.services.checkin import DeviceAuthError, authenticate
from achyk.services.elections import get_election
from achyk.services.journals import sync_journal
from achyk.services.register import SecretMissing, register_stats, turnout
from achyk.store.database import Database

router = APIRouter()


class HourOut(BaseModel):
    hour: int
    voted: int
    cumulative: int
    turnout_pct: str


class TurnoutOut(BaseModel):
    level: str
    unit: str
    name: str
    registered: int
    voted: int
    turnout_pct: str
    by_hour: list[HourOut]


class RegisterStatsOut(BaseModel):
    election: str
    voters: int
    abroad: int
    moves: int
    moves_refused: int
    checkins: int
    refusals: int
    double_votes: int
    merkle_root: str | None
    committed_count: int | None
    log_index: int | None


class JournalOut(BaseModel):
    journal_hash: str
    duplicate: bool
    accepted: int
    already_recorded: int
    double_votes: list[str]
    refused: list[str]


def _secret(request: Request) -> bytes:
    try:
        return register_secret(request.app.state)
    except (SecretMissing, OSError) as err:
        raise HTTPException(503, f"check-in unavailable: {err}") from None


def _election_id(db: Database, election_id: str) -> str:
    try:
        return get_election(db, election_id).id
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


async def _authenticated(
    request: Request, election_id: str, station_id: str, signed: DeviceSigned
) -> tuple[Database, str, bytes]:
    """The database, the election id and the body of a device request whose signature holds."""
    db = database(request)
    eid = _election_id(db, election_id)
    body = await request.body()
    try:
        authenticate(
            db, eid, station_id, signed.device, method=request.method, path=request.url.path,
            body=body, timestamp=signed.timestamp, nonce=signed.nonce, signature=signed.signature,
        )  # fmt: skip
    except DeviceAuthError as err:
        raise HTTPException(401, str(err)) from None
    if not request.app.state.device_limits.take(signed.device):  # only a device that really signed
        raise HTTPException(429, f"device {signed.device} is over its rate limit")
    return db, eid, body


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON Schema with its $defs written in place (OpenAPI resolves refs elsewhere)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return cast(dict[str, Any], walk(schema))


_CHECKIN_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _inline_refs(CheckinIn.model_json_schema())}},
}


@router.post(
    "/api/elections/{election_id}/stations/{station_id}/checkins",
    response_model=CheckinOut,
    responses={
        401: {"description": "unsigned, stale or replayed"},
        400: {"description": "a device header sent twice"},
        409: {"description": "refused: the reason and, if so, where the voter already voted"},
        413: {"description": "a body over 4 KiB"},
        429: {"description": "the device is over its rate limit"},
    },
    openapi_extra={"requestBody": _CHECKIN_BODY},
)
async def post_checkin(
    request: Request,
    election_id: str,
    station_id: str,
    signed: SignedHeaders,
) -> Any:
    """Check a voter in: on this station's list, not voted in any channel, biometrics matched.

    Served by :func:`achyk.api.device_checkin.device_fast_path` ahead of the framework; this
    declaration documents it and gives the same answers through the same function.
    """
    if twice := sent_twice(request):
        return twice
    status, payload = await checkin_reply(
        request.app.state, election_id, station_id, request.url.path, signed.as_headers(),
        await request.body(),
    )  # fmt: skip
    retry = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return JSONResponse(payload, status_code=status, headers=retry)


@router.post(
    "/api/elections/{election_id}/stations/{station_id}/journals", response_model=JournalOut
)
async def post_journal(
    request: Request,
    election_id: str,
    station_id: str,
    signed: SignedHeaders,
) -> JournalOut:
    """Sync the signed journal a device kept while offline; double votes come back as incidents."""
    db, eid, body = await _authenticated(request, election_id, station_id, signed)
    try:
        r = await run_in_threadpool(sync_journal, db, eid, body, _secret(request))
    except (InputError, SignatureError, NotFoundError) as err:
        raise HTTPException(422, str(err)) from None
    return JournalOut(
        journal_hash=r.journal_hash, duplicate=r.duplicate, accepted=r.accepted,
        already_recorded=r.already_recorded, double_votes=[d.describe() for d in r.double_votes],
        refused=[f"entry {i}: {msg}" for i, _, msg in r.refused],
    )  # fmt: skip


@router.get("/api/elections/{election_id}/turnout", response_model=list[TurnoutOut])
def get_turnout(
    request: Request,
    election_id: str,
    level: Level = Level.NATIONAL,
    unit: Annotated[str | None, Query(max_length=64, description="one unit at that level")] = None,
) -> list[TurnoutOut]:
    """Turnout by hour (local time) from check-ins, at any level; no personal data."""
    db = database(request)
    try:
        units = turnout(db, election_id, level, unit)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return [
        TurnoutOut(
            level=u.level, unit=u.unit, name=u.name, registered=u.registered, voted=u.voted,
            turnout_pct=u.turnout_pct,
            by_hour=[HourOut(hour=h.hour, voted=h.voted, cumulative=h.cumulative,
                             turnout_pct=h.turnout_pct) for h in u.by_hour],
        )
        for u in units
    ]  # fmt: skip


@router.get("/api/elections/{election_id}/register/stats", response_model=RegisterStatsOut)
def get_register_stats(request: Request, election_id: str) -> RegisterStatsOut:
    """Counts and the logged commitment of the register: never a voter's data."""
    try:
        st = register_stats(database(request), election_id)
    except AchykError as err:
        raise HTTPException(404, str(err)) from None
    return RegisterStatsOut(
        election=st.election_id, voters=st.voters, abroad=st.abroad, moves=st.moves,
        moves_refused=st.moves_refused,
        checkins=st.checkins, refusals=st.refusals, double_votes=st.double_votes,
        merkle_root=st.merkle_root, committed_count=st.committed_count, log_index=st.log_index,
    )  # fmt: skip
