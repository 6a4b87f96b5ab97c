"""Check-in API: device-signed check-ins and journals, turnout by hour, register statistics.

A device request carries ``X-Device``, ``X-Timestamp`` (seconds since 1970, UTC), ``X-Nonce`` and
``X-Signature`` (base64 Ed25519 over :func:`achyk.domain.register.request_message`). No response
contains a personal number or a name; a refusal names the station and time of the earlier vote only.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from achyk.domain.register import Channel, MatchResult
from achyk.domain.tabulation import Level
from achyk.errors import AchykError, InputError, NotFoundError, SignatureError
from achyk.services.checkin import DeviceAuthError, authenticate, check_in, sync_journal
from achyk.services.elections import get_election
from achyk.services.register import SecretMissing, load_secret, register_stats, turnout
from achyk.store.database import Database

router = APIRouter()


class Biometric(BaseModel):
    matched: bool
    score: float = Field(ge=0, le=1)


class CheckinIn(BaseModel):
    personal_number: str = Field(min_length=1, max_length=32)
    biometric: Biometric
    channel: Literal["station", "mobile", "remote"] = "station"


class CheckinOut(BaseModel):
    accepted: bool
    reason: str | None = Field(description="why the voter was refused; null when accepted")
    message: str
    station: str
    at: str


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


class _Buckets:
    """Per-device token buckets: a stolen or faulty device cannot flood the check-in service."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1
            self._state[key] = (tokens - 1 if ok else tokens, now)
            return ok


# A station checks in at most a voter every few seconds; 20/s with bursts of 200 is generous.
_limits = _Buckets(
    float(os.environ.get("ACHYK_DEVICE_RATE", "20")),
    float(os.environ.get("ACHYK_DEVICE_BURST", "200")),
)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _secret(request: Request) -> bytes:
    secret = getattr(request.app.state, "register_secret", None)
    if isinstance(secret, bytes):
        return secret
    try:
        loaded = load_secret()
    except (SecretMissing, OSError) as err:
        raise HTTPException(503, f"check-in unavailable: {err}") from None
    request.app.state.register_secret = loaded
    return loaded


def _election_id(db: Database, election_id: str) -> str:
    try:
        return get_election(db, election_id).id
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None


def _signature(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(401, "X-Signature is not base64") from None


async def _authenticated(
    request: Request, election_id: str, station_id: str, device: str, timestamp: str,
    nonce: str, signature: str,
) -> tuple[Database, str, bytes]:  # fmt: skip
    """The database, the election id and the body of a device request whose signature holds."""
    db = _db(request)
    eid = _election_id(db, election_id)
    if not _limits.take(device):
        raise HTTPException(429, f"device {device} is over its rate limit")
    body = await request.body()
    try:
        authenticate(
            db, eid, station_id, device, method=request.method, path=request.url.path,
            body=body, timestamp=timestamp, nonce=nonce, signature=_signature(signature),
        )  # fmt: skip
    except DeviceAuthError as err:
        raise HTTPException(401, str(err)) from None
    return db, eid, body


Hdr = Annotated[str, Header(min_length=1, max_length=128)]


@router.post(
    "/api/elections/{election_id}/stations/{station_id}/checkins",
    response_model=CheckinOut,
    responses={401: {"description": "unsigned, stale or replayed"}, 429: {"description": "rate"}},
)
async def post_checkin(
    request: Request,
    election_id: str,
    station_id: str,
    x_device: Hdr,
    x_timestamp: Hdr,
    x_nonce: Hdr,
    x_signature: Hdr,
) -> Any:
    """Check a voter in: on this station's list, not voted in any channel, biometrics matched."""
    db, eid, body = await _authenticated(
        request, election_id, station_id, x_device, x_timestamp, x_nonce, x_signature
    )
    try:
        data = CheckinIn.model_validate_json(body)
    except ValidationError as err:
        raise HTTPException(422, err.errors(include_url=False, include_context=False)) from None
    secret = _secret(request)
    try:
        out = await _run(
            check_in, db, eid, station_id, x_device, data.personal_number,
            MatchResult(data.biometric.matched, data.biometric.score), secret,
            channel=Channel(data.channel), nonce=x_nonce,
        )  # fmt: skip
    except DeviceAuthError as err:
        raise HTTPException(401, str(err)) from None
    payload = CheckinOut(
        accepted=out.accepted, reason=out.reason.value if out.reason else None,
        message=out.message, station=out.station_id, at=out.at.isoformat(),
    )  # fmt: skip
    return JSONResponse(payload.model_dump(), status_code=200 if out.accepted else 409)


@router.post(
    "/api/elections/{election_id}/stations/{station_id}/journals", response_model=JournalOut
)
async def post_journal(
    request: Request,
    election_id: str,
    station_id: str,
    x_device: Hdr,
    x_timestamp: Hdr,
    x_nonce: Hdr,
    x_signature: Hdr,
) -> JournalOut:
    """Sync the signed journal a device kept while offline; double votes come back as incidents."""
    db, eid, body = await _authenticated(
        request, election_id, station_id, x_device, x_timestamp, x_nonce, x_signature
    )
    try:
        r = await _run(sync_journal, db, eid, body, _secret(request))
    except (InputError, SignatureError, NotFoundError) as err:
        raise HTTPException(422, str(err)) from None
    return JournalOut(
        journal_hash=r.journal_hash, duplicate=r.duplicate, accepted=r.accepted,
        already_recorded=r.already_recorded, double_votes=[d.describe() for d in r.double_votes],
        refused=[f"entry {i}: {msg}" for i, _, msg in r.refused],
    )  # fmt: skip


async def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args, **kwargs)


@router.get("/api/elections/{election_id}/turnout", response_model=list[TurnoutOut])
def get_turnout(
    request: Request,
    election_id: str,
    level: Level = Level.NATIONAL,
    unit: Annotated[str | None, Query(max_length=64, description="one unit at that level")] = None,
) -> list[TurnoutOut]:
    """Turnout by hour (local time) from check-ins, at any level; no personal data."""
    db = _db(request)
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
        st = register_stats(_db(request), election_id)
    except AchykError as err:
        raise HTTPException(404, str(err)) from None
    return RegisterStatsOut(
        election=st.election_id, voters=st.voters, abroad=st.abroad, moves=st.moves,
        checkins=st.checkins, refusals=st.refusals, double_votes=st.double_votes,
        merkle_root=st.merkle_root, committed_count=st.committed_count, log_index=st.log_index,
    )  # fmt: skip
