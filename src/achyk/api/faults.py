"""Faults are answers: a database that drops or stalls is a 503 with Retry-After, never a 500.

Every route reaches the database through the services; whichever of them meets a dropped
connection, a statement or pool timeout, or a server that is not there, the request is answered
503 with ``Retry-After`` (the write was not made, or — for a write that was — sending it again is
safe: protocols are idempotent, check-ins answer a resend as first sent). An input the database
cannot hold (a NUL in a string, a number past its range) is the client's: 400. A refused body is
described without echoing its input: a 422 never carries what was sent (a personal number, or a
NaN that would not even encode as JSON).

Liveness and readiness: ``/healthz`` answers while the process runs; ``/readyz`` only while the
database answers a trivial query in time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text

from achyk.store.database import Database

log = logging.getLogger(__name__)

RETRY_AFTER_S = 2
READY_TIMEOUT_S = 3.0
UNAVAILABLE = "the database did not answer; nothing was changed by this request — try again"

DATABASE_DOWN: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,  # dropped, refused, timed out, terminated by the server
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection in time
    sqlalchemy.exc.ResourceClosedError,
    psycopg.OperationalError,  # the check-in fast path's own connections
    psycopg.InterfaceError,
    ConnectionError,
    TimeoutError,
)


NOT_READY: tuple[type[Exception], ...] = (*DATABASE_DOWN, sqlalchemy.exc.DBAPIError)


def unavailable() -> JSONResponse:
    return JSONResponse({"detail": UNAVAILABLE}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip


def install(app: FastAPI, db: Database) -> None:
    """Exception handlers and the health endpoints."""

    async def down(request: Request, err: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    type(err).__name__)  # fmt: skip
        return unavailable()

    async def bad_value(request: Request, err: Exception) -> JSONResponse:
        return JSONResponse({"detail": "a value in the request cannot be stored or looked up "
                                       "(out of range, or holding a NUL character)"},
                            status_code=400)  # fmt: skip

    async def invalid(request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, RequestValidationError)
        return JSONResponse({"detail": _without_input(err.errors())}, status_code=422)

    for kind in DATABASE_DOWN:
        app.add_exception_handler(kind, down)
    app.add_exception_handler(sqlalchemy.exc.DataError, bad_value)
    app.add_exception_handler(RequestValidationError, invalid)

    @app.get("/healthz", include_in_schema=True, summary="liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=True, summary="readiness: the database answers")
    async def readyz() -> JSONResponse:
        try:
            await asyncio.wait_for(asyncio.to_thread(_ping, db), READY_TIMEOUT_S)
        except NOT_READY as err:
            log.warning("not ready: %s", type(err).__name__)
            return unavailable()
        return JSONResponse({"status": "ready"})


def _ping(db: Database) -> None:
    with db.engine.connect() as c:
        c.execute(text("SELECT 1"))


def _without_input(errors: Any) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append({k: v for k, v in dict(e).items() if k in ("type", "loc", "msg")})
    return out
