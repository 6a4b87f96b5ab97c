"""Times as the register's tables hold them: aware UTC datetimes, and SQLite's text for them."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


def sqlite_time(at: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime type writes and parses back (raw statements write
    it too, so both compare as equals)."""
    return utc(at).strftime("%Y-%m-%d %H:%M:%S.%f")
