"""`POST /api/elections/{election}/stations/{station}/protocols`: a station device transmits.

Signed like check-ins (``X-Device``, ``X-Timestamp``, ``X-Nonce``, ``X-Signature``; see
:mod:`achyk.services.transmission`). The body is the signed protocol envelope. The answer is the
receipt: the outcome, the protocol's hash, its log entry, and every reason for a refusal or flag.
The same signed request sent again gets its first answer back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from achyk.api.device_checkin import ASGIApp, SignedPostPath
from achyk.api.device_headers import SignedHeaders, sent_twice
from achyk.errors import NotFoundError
from achyk.services.anomalies import anomalies
from achyk.services.transmission import (
    OverRateLimit,
    TransmissionAuthError,
    transmit_protocol_async,
)

router = APIRouter()
MAX_PROTOCOL_BODY = 256 * 1024  # a protocol of a few hundred options is a few KiB
TOO_LARGE = "a protocol body is at most 256 KiB"
PROTOCOL_PATH = re.compile(r"^/api/elections/([^/]+)/stations/([^/]+)/protocols$")


class ProtocolReceiptOut(BaseModel):
    outcome: str = Field(description="accepted | duplicate | rejected | conflict")
    station: str | None
    contest: str | None
    kind: str | None
    document_hash: str | None = Field(description="SHA-256 of the protocol's RFC 8785 bytes")
    log_index: int | None = Field(description="the log entry it became (none for a duplicate)")
    problems: list[str] = Field(description="why it was refused (kept as evidence)")
    flags: list[str] = Field(description="relations the form flags: accepted, shown as anomalies")


@router.post(
    "/api/elections/{election_id}/stations/{station_id}/protocols",
    response_model=ProtocolReceiptOut,
    status_code=201,
    responses={
        200: {"model": ProtocolReceiptOut, "description": "the same protocol was already accepted"},
        400: {"description": "a device header sent twice"},
        401: {"description": "unsigned, stale, not the station's device, or a reused nonce"},
        404: {"description": "no such election or station"},
        409: {"model": ProtocolReceiptOut, "description": "the slot holds another protocol"},
        413: {"description": "a body over 256 KiB"},
        422: {"model": ProtocolReceiptOut, "description": "refused, with every reason"},
        429: {"description": "the device is over its rate limit"},
    },
)
async def post_protocol(
    request: Request,
    election_id: str,
    station_id: str,
    signed: SignedHeaders,
) -> JSONResponse:
    """Transmit a station's signed protocol; answered with its receipt and log entry.

    Answered ahead of the framework by :func:`protocol_fast_path` (the same function answers
    both); this route documents it and answers when the fast path is off."""
    if twice := sent_twice(request):
        return twice
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_PROTOCOL_BODY:
        raise HTTPException(413, TOO_LARGE)
    body = await request.body()
    status, payload = await protocol_reply(request.app.state, election_id, station_id,
                                           request.url.path, signed.as_headers(), body)  # fmt: skip
    if status >= 400 and "detail" in payload:
        raise HTTPException(status, payload["detail"])
    return JSONResponse(payload, status_code=status)


async def protocol_reply(
    state: Any, election_id: str, station_id: str, path: str, headers: Mapping[str, str],
    body: bytes,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """Status and JSON body for one transmission (the device headers' names in lower case)."""
    if len(body) > MAX_PROTOCOL_BODY:
        return 413, {"detail": TOO_LARGE}
    try:
        out = await transmit_protocol_async(
            state.db, election_id, station_id, device=headers["x-device"], path=path, body=body,
            timestamp=headers["x-timestamp"], nonce=headers["x-nonce"],
            signature=headers["x-signature"], admit=state.device_limits.take,
        )  # fmt: skip
    except NotFoundError as err:
        return 404, {"detail": str(err)}
    except TransmissionAuthError as err:
        return 401, {"detail": str(err)}
    except OverRateLimit as err:
        return 429, {"detail": str(err)}
    return out.status, out.answer


def protocol_fast_path(app: ASGIApp, state: Any) -> SignedPostPath:
    """Protocol transmissions answered by :func:`protocol_reply` ahead of the framework."""
    down = "the database did not answer; send the same request again (same nonce)"
    return SignedPostPath(app, state, PROTOCOL_PATH, protocol_reply, MAX_PROTOCOL_BODY,
                          TOO_LARGE, down)  # fmt: skip


class AnomalyOut(BaseModel):
    log_index: int
    document_hash: str
    station: str
    contest: str
    kind: str
    flags: list[str]


class AnomaliesOut(BaseModel):
    format: int
    form: str | None = Field(description="the election's protocol form; null: the standard one")
    protocols: list[AnomalyOut]


@router.get("/api/elections/{election_id}/anomalies", response_model=AnomaliesOut)
def get_anomalies(request: Request, election_id: str) -> AnomaliesOut:
    """Accepted protocols that break a relation their form flags: counted, and listed here (as
    in the record's anomalies.json, which achyk verify recomputes from the log)."""
    try:
        doc = anomalies(request.app.state.db, election_id)
    except NotFoundError as err:
        raise HTTPException(404, str(err)) from None
    return AnomaliesOut.model_validate(doc)
