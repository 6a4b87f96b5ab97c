"""Remote-voting tables: the setup, trustees, the public credential list, ballots, the tally.

No secret is stored here: trustees keep their key shares (files they hold), voters keep their
credential seeds, and nothing links a credential to a voter — the register only records, through
its own check-in row (channel "remote"), that a voter obtained a credential.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from achyk.store.models import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class RemoteElectionRow(Base):
    """One per election with remote voting: its public parameters and where they are logged."""

    __tablename__ = "remote_elections"

    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    unit_station_id: Mapped[str] = mapped_column(String(64))  # the station with channel "remote"
    trustees: Mapped[int] = mapped_column(Integer)
    quorum: Mapped[int] = mapped_column(Integer)
    revote: Mapped[str] = mapped_column(String(8))
    params: Mapped[str] = mapped_column(Text)  # canonical JSON of ElectionParams
    ceremony: Mapped[str] = mapped_column(Text)  # canonical JSON of the ceremony record
    params_log_index: Mapped[int] = mapped_column(BigInteger)
    closed_log_index: Mapped[int | None] = mapped_column(BigInteger)
    set_up_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RemoteTrusteeRow(Base):
    __tablename__ = "remote_trustees"

    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based, as in the ceremony
    name: Mapped[str] = mapped_column(Text)
    verification_key: Mapped[str] = mapped_column(String(66))  # hex x_j·G


class RemoteCredentialRow(Base):
    """A public credential key, as published on the log; no column says whose it is."""

    __tablename__ = "remote_credentials"

    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    credential: Mapped[str] = mapped_column(String(64), primary_key=True)
    log_index: Mapped[int] = mapped_column(BigInteger)


class RemoteBallotRow(Base):
    """A ballot on the bulletin board (cast or challenged) and the log entry holding it."""

    __tablename__ = "remote_ballots"
    __table_args__ = (
        Index("uq_remote_ballot_code", "election_id", "tracking_code", unique=True),
        Index("uq_remote_ballot_seq", "election_id", "seq", unique=True),
        Index("ix_remote_ballot_credential", "election_id", "credential"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"))
    seq: Mapped[int] = mapped_column(Integer)
    credential: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(64))
    challenged: Mapped[bool] = mapped_column(Boolean, default=False)
    log_index: Mapped[int] = mapped_column(BigInteger)
    entry: Mapped[str] = mapped_column(Text)  # the log entry's canonical JSON


class RemoteTallyRow(Base):
    __tablename__ = "remote_tallies"

    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    counted: Mapped[int] = mapped_column(Integer)
    results: Mapped[str] = mapped_column(Text)  # canonical JSON {contest: [totals]}
    trustees: Mapped[str] = mapped_column(Text)  # JSON list of the trustees who decrypted
    log_index: Mapped[int] = mapped_column(BigInteger)
    tallied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
