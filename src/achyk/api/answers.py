"""What several routers share: the database the app was started with, and the answer to a signed
envelope that the server either logged or refused (kept as evidence, with its reasons)."""

from __future__ import annotations

from typing import Protocol

from fastapi import Request
from pydantic import BaseModel

from achyk.store.database import Database


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


class Judged(Protocol):
    """A service's verdict on one envelope: its log entry, or None and why it was refused."""

    @property
    def index(self) -> int | None: ...

    @property
    def refused(self) -> tuple[str, ...]: ...


class LoggedOut(BaseModel):
    accepted: bool
    log_entry: int | None
    reasons: list[str]
    duplicate: bool = False  # already logged: the same signed submission sent again


def logged(result: Judged) -> LoggedOut:
    return LoggedOut(
        accepted=result.index is not None,
        log_entry=result.index,
        reasons=list(result.refused),
        duplicate=bool(getattr(result, "duplicate", False)),
    )
