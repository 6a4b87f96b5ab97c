"""Register writes by the CEC: Form 2 moves, signed by an authority of the election.

``POST /api/elections/{id}/register/moves`` with ``X-Authority``, ``X-Timestamp``, ``X-Nonce`` and
``X-Signature`` (see :mod:`achyk.services.authority_requests`). A move changes who may vote where,
so nothing else is accepted. The answer names the stations and the log entry, never the voter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from achyk.api.device_checkin import register_secret
from achyk.domain.register import ELECTION_TZ
from achyk.domain.signed_request import RequestAuthError
from achyk.errors import NotFoundError
from achyk.services.authority_requests import authenticate_authority
from achyk.services.elections import get_election
from achyk.services.register import SecretMissing
from achyk.services.register_moves import MovesRefused, move_voter
from achyk.store.database import Database

router = APIRouter()


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personal_number: str = Field(min_length=1, max_length=32)
    to_station: str = Field(min_length=1, max_length=64)


class MoveOut(BaseModel):
    election: str
    from_station: str
    to_station: str
    log_index: int = Field(description="the move's entry in the election's log")


class Refused(BaseModel):
    detail: str = Field(description="why the move was refused (never quotes the voter)")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _secret(request: Request) -> bytes:
    try:
        return register_secret(request.app.state)  # the check-in routes' cache too
    except (SecretMissing, OSError) as err:
        raise HTTPException(503, f"register unavailable: {err}") from None


Hdr = Annotated[str, Header(min_length=1, max_length=128)]


@router.post(
    "/api/elections/{election_id}/register/moves",
    response_model=MoveOut,
    status_code=201,
    responses={
        401: {"model": Refused, "description": "not signed by an authority, stale or replayed"},
        404: {"model": Refused, "description": "no such election"},
        409: {"model": Refused, "description": "too late, not on the register, already there"},
        422: {"description": "a malformed body, personal number or station"},
        503: {"model": Refused, "description": "the register secret is not configured"},
    },
)
async def post_move(
    request: Request,
    election_id: str,
    x_authority: Hdr,
    x_timestamp: Hdr,
    x_nonce: Hdr,
    x_signature: Hdr,
) -> Any:
    """Form 2: move a voter to another station (at home or abroad) until the eve of the day."""
    db = _db(request)
    try:
        eid = get_election(db, election_id).id
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    body = await request.body()
    try:
        await run_in_threadpool(
            authenticate_authority, db, eid, x_authority, method=request.method,
            path=request.url.path, body=body, timestamp=x_timestamp, nonce=x_nonce,
            signature=x_signature,
        )  # fmt: skip
    except RequestAuthError as err:
        raise HTTPException(401, str(err)) from None
    try:
        data = MoveIn.model_validate_json(body)
    except ValidationError as err:
        # Without the input values: they may hold a personal number.
        raise HTTPException(
            422, err.errors(include_url=False, include_input=False, include_context=False)
        ) from None
    secret = _secret(request)
    today = datetime.now(ELECTION_TZ).date()
    try:
        record = await run_in_threadpool(
            move_voter, db, eid, data.personal_number, data.to_station, secret, today=today,
            subject=f"Form 2 signed by authority {x_authority}",
        )  # fmt: skip
    except MovesRefused as err:
        return JSONResponse({"detail": err.reasons}, status_code=409 if err.conflict else 422)
    return MoveOut(
        election=eid,
        from_station=record.from_station,
        to_station=record.to_station,
        log_index=record.log_index,
    )
