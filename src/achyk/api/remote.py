"""Remote-voting API: the election's public parameters, cast, challenge, tracking-code lookup.

Casting needs no login: a ballot is signed with a credential from the public list, and the board
accepts nothing else. Every accepted ballot is a log entry; its tracking code leads to that entry
and to an inclusion proof against the latest signed checkpoint.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from achyk.errors import NotFoundError
from achyk.services import ledger
from achyk.services.elections import get_election
from achyk.services.remote.voting import (
    CastReceipt,
    cast_ballot,
    find_tracking_code,
    next_counter,
    params_document,
)
from achyk.store.database import Database

router = APIRouter()


class CastIn(BaseModel):
    """A sealed ballot (docs/record-format.md): the body, the intent and its signature; a cast
    carries the credential and counter, an audit the opening."""

    model_config = {"extra": "allow"}
    ballot: dict[str, Any] = Field(description="the encrypted ballot body")
    intent: str = Field(description="cast or audit")
    signature: str


class CounterOut(BaseModel):
    credential: str
    next_counter: int = Field(description="the least counter a new cast ballot may carry")


class ReceiptOut(BaseModel):
    accepted: bool
    status: str = Field(description="cast or challenged")
    tracking_code: str
    short_code: str
    log_entry: int | None
    seq: int | None
    reason: str


class TrackOut(BaseModel):
    tracking_code: str
    short_code: str
    seq: int
    status: str
    standing: str = Field(
        description="counted, cast (counts; not yet tallied), superseded by a later ballot, or audited (never counted)"
    )
    log_entry: int
    entry: dict[str, Any]
    tree_size: int
    inclusion_proof: list[str] = Field(description="RFC 9162 audit path, hex, at tree_size")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _election_id(db: Database, election_id: str) -> str:
    try:
        return get_election(db, election_id).id
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


@router.get("/api/elections/{election_id}/remote/parameters")
def parameters(request: Request, election_id: str) -> dict[str, Any]:
    """The public parameters a voting client encrypts under (group, key, contests, re-vote policy)."""
    db = _db(request)
    try:
        return params_document(db, _election_id(db, election_id))
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


def _receipt(r: CastReceipt) -> JSONResponse:
    out = ReceiptOut(
        accepted=r.accepted, status="challenged" if r.challenged else "cast",
        tracking_code=r.tracking_code, short_code=r.short_code, log_entry=r.log_index,
        seq=r.seq, reason=r.reason,
    )  # fmt: skip
    return JSONResponse(out.model_dump(), status_code=201 if r.accepted else 422)


@router.post(
    "/api/elections/{election_id}/remote/ballots",
    response_model=ReceiptOut,
    status_code=201,
    responses={422: {"description": "refused: the receipt says why"}},
)
def cast(request: Request, election_id: str, body: CastIn) -> JSONResponse:
    """Cast or audit a sealed ballot; the receipt names the log entry (or why it was refused)."""
    db = _db(request)
    try:
        return _receipt(cast_ballot(db, _election_id(db, election_id), body.model_dump()))
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


@router.get("/api/elections/{election_id}/remote/counter/{credential}", response_model=CounterOut)
def counter(request: Request, election_id: str, credential: str) -> CounterOut:
    """The counter a credential's next cast ballot carries (public: credential keys are public)."""
    db = _db(request)
    eid = _election_id(db, election_id)
    return CounterOut(credential=credential, next_counter=next_counter(db, eid, credential.lower()))


@router.get("/api/elections/{election_id}/remote/track/{code}", response_model=TrackOut)
def track(request: Request, election_id: str, code: str) -> TrackOut:
    """The log entry holding a tracking code (full hex or the short form), with its proof."""
    db = _db(request)
    eid = _election_id(db, election_id)
    found = find_tracking_code(db, eid, code)
    if found is None:
        raise HTTPException(404, f"no ballot with tracking code {code!r} on the board")
    size = ledger.log_size(db, eid)
    proof = ledger.inclusion(db, eid, found.log_index, size)
    return TrackOut(
        tracking_code=found.tracking_code, short_code=found.short_code, seq=found.seq,
        status=found.status, standing=found.standing, log_entry=found.log_index, entry=json.loads(found.entry),
        tree_size=size, inclusion_proof=[p.hex() for p in proof],
    )  # fmt: skip
