"""How fresh the published figures are: when they last changed, the log size, the checkpoint's time.

Election night readers (and newsrooms quoting a figure) need to know *as of when* a number holds.
Every page, live event and results answer says: updated at HH:MM in the election's time zone, the
log size the figures fold, and when the log key signed the checkpoint of that size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select

from achyk.domain.register import ELECTION_TZ
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.models import ProtocolRow
from achyk.store.timestamps import utc


@dataclass(frozen=True)
class Freshness:
    updated_at: datetime | None  # the last accepted protocol's arrival; None before any
    log_size: int
    checkpoint_size: int
    checkpoint_signed_at: datetime | None
    tz: tzinfo = ELECTION_TZ

    @property
    def updated_clock(self) -> str:
        return "" if self.updated_at is None else f"{self.updated_at.astimezone(self.tz):%H:%M}"

    @property
    def signed_clock(self) -> str:
        at = self.checkpoint_signed_at
        return "" if at is None else f"{at.astimezone(self.tz):%H:%M:%S}"

    @property
    def tz_name(self) -> str:
        return self.tz.tzname(None) or "UTC"

    def as_json(self) -> dict[str, object]:
        return {
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
            "log_size": self.log_size,
            "checkpoint_size": self.checkpoint_size,
            "checkpoint_signed_at": None
            if self.checkpoint_signed_at is None
            else self.checkpoint_signed_at.isoformat(),
        }


def freshness(db: Database, election_id: str) -> Freshness:
    with db.read() as s:
        store = LogStore(s, election_id)
        size = store.head()
        cp = store.latest_checkpoint()
        # The newest row by id (the page cache's own stamp) rather than max(received_at): an
        # index walk, not a scan of every protocol, on each new protocol at 100,000 stations.
        last = s.scalar(
            select(ProtocolRow.received_at)
            .where(ProtocolRow.election_id == election_id)
            .order_by(ProtocolRow.id.desc())
            .limit(1)
        )
    return Freshness(
        updated_at=None if last is None else utc(last),
        log_size=size,
        checkpoint_size=0 if cp is None else cp.size,
        checkpoint_signed_at=None if cp is None else utc(cp.signed_at),
    )
