"""Register tables. No personal number and no name is stored: voters are keyed HMAC hashes.

The one-vote guarantee is the primary key of ``checkins``: one row per (election, voter hash), whatever
the station or channel. Two concurrent check-ins of one voter race on that key and the
database lets exactly one win, on SQLite and PostgreSQL alike. A check-in row holds no ballot id and
no sequence number that could be matched with the order of ballots in a box.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from achyk.store.models import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class VoterRow(Base):
    # Keyed by (election, hash) and, on SQLite, WITHOUT ROWID: one B-tree, filled in hash order
    # by the import, instead of a table plus a unique index filled at random.
    __tablename__ = "voters"
    __table_args__ = ({"sqlite_with_rowid": False},)

    # No foreign key on the two big tables: the services check the election, and SQLite would
    # otherwise look the election up again for each of millions of rows.
    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    voter_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(64))
    birth_year: Mapped[int] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))  # registered abroad in this country


class RegisterCommitmentRow(Base):
    __tablename__ = "register_commitments"

    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    merkle_root: Mapped[str] = mapped_column(String(64))
    voters_per_station: Mapped[str] = mapped_column(Text)  # canonical JSON
    log_index: Mapped[int | None] = mapped_column(BigInteger)
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VoterMoveRow(Base):
    """Form 2: a voter's change of voting place before election day."""

    __tablename__ = "voter_moves"
    __table_args__ = (Index("ix_voter_moves_election", "election_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"))
    voter_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    from_station: Mapped[str] = mapped_column(String(64))
    to_station: Mapped[str] = mapped_column(String(64))
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VoterMoveRefusalRow(Base):
    """A refused Form 2 (one application or a whole file), kept as evidence with its reasons.

    The applications are kept as (where, voter hash or null if malformed, station asked for):
    what was asked, without the personal numbers, which are never stored in clear.
    """

    __tablename__ = "voter_move_refusals"
    __table_args__ = (Index("ix_voter_move_refusals_election", "election_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"))
    subject: Mapped[str] = mapped_column(String(200))  # "Form 2", a file name, "authority cec"
    requests: Mapped[str] = mapped_column(Text)  # JSON list of {where, voter, to}
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {where, problem}
    refused_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckinRow(Base):
    # The primary key (election, voter hash) IS the one-vote guarantee.
    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_election_station_hour", "election_id", "station_id", "hour"),
        {"sqlite_with_rowid": False},
    )

    # No foreign key on the two big tables: the services check the election, and SQLite would
    # otherwise look the election up again for each of millions of rows.
    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    voter_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    device_id: Mapped[str] = mapped_column(String(64))
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hour: Mapped[int] = mapped_column(Integer)  # local hour of election day, for turnout
    offline: Mapped[int] = mapped_column(Integer, default=0)  # 1: synced from a device journal
    # The nonce of the signed request that issued the ballot: a resend of that request (same
    # nonce) is answered 200 again, and no other request is.
    nonce: Mapped[str | None] = mapped_column(String(64))


class CheckinRefusalRow(Base):
    __tablename__ = "checkin_refusals"
    __table_args__ = (
        Index("ix_checkin_refusals_election_station", "election_id", "station_id"),
        Index("ix_checkin_refusals_device_nonce", "device_id", "nonce"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    election_id: Mapped[str] = mapped_column(String(64))
    station_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    voter_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    reason: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    nonce: Mapped[str | None] = mapped_column(String(64))  # of the refused request, if signed


class DeviceNonceRow(Base):
    """Nonces of signed device requests already seen: a replayed request is refused."""

    __tablename__ = "device_nonces"
    __table_args__ = (
        UniqueConstraint("device_id", "nonce", name="uq_device_nonce"),
        Index("ix_device_nonces_seen_at", "seen_at"),  # pruning must not scan the whole table
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The voter the request was about (null: not a personal number): the same nonce with
    # another voter is a replay, never a resend.
    voter_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class DoubleVoteRow(Base):
    """A voter checked in at two places while a device was offline: both records, side by side."""

    __tablename__ = "double_votes"
    __table_args__ = (Index("ix_double_votes_election", "election_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    election_id: Mapped[str] = mapped_column(String(64))
    voter_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    first_station: Mapped[str] = mapped_column(String(64))
    first_channel: Mapped[str] = mapped_column(String(8))
    first_device: Mapped[str] = mapped_column(String(64))
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    second_station: Mapped[str] = mapped_column(String(64))
    second_channel: Mapped[str] = mapped_column(String(8))
    second_device: Mapped[str] = mapped_column(String(64))
    second_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    journal_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JournalRow(Base):
    """A device journal already synced (by hash): syncing it again changes nothing."""

    __tablename__ = "checkin_journals"
    __table_args__ = (UniqueConstraint("election_id", "journal_hash", name="uq_journal"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    election_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    station_id: Mapped[str] = mapped_column(String(64))
    journal_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(String(128))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
