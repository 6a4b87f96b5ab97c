"""Offline journals a device syncs after the network returns, and the double votes they reveal.

Apart from `RegisterRepo` because these rows are written only by `services/journals.py`, once per
synced journal, and never on the check-in hot path.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from achyk.store.register_models import DoubleVoteRow, JournalRow
from achyk.store.register_repo import StoredCheckin
from achyk.store.timestamps import now


class JournalRepo:
    def __init__(self, session: Session, election_id: str) -> None:
        self.s = session
        self.e = election_id

    def journal_seen(self, journal_hash: str) -> bool:
        q = select(JournalRow.id).where(
            JournalRow.election_id == self.e, JournalRow.journal_hash == journal_hash
        )
        return self.s.scalar(q) is not None

    def add_journal(
        self, device_id: str, station_id: str, journal_hash: str, entries: int, signature: str
    ) -> None:
        self.s.add(
            JournalRow(election_id=self.e, device_id=device_id, station_id=station_id,
                       journal_hash=journal_hash, entries=entries, signature=signature,
                       synced_at=now())
        )  # fmt: skip

    def add_double_vote(
        self, voter: bytes, first: StoredCheckin, second: StoredCheckin, journal_hash: str
    ) -> None:
        self.s.add(
            DoubleVoteRow(
                election_id=self.e, voter_hash=voter, first_station=first.station_id,
                first_channel=first.channel.value, first_device=first.device_id,
                first_at=first.at, second_station=second.station_id,
                second_channel=second.channel.value, second_device=second.device_id,
                second_at=second.at, journal_hash=journal_hash, recorded_at=now(),
            )
        )  # fmt: skip
