"""Tables. Documents are stored as their canonical JSON text so stored bytes are the hashed bytes."""

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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ElectionRow(Base):
    __tablename__ = "elections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)  # canonical JSON
    definition_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProtocolRow(Base):
    """An accepted station protocol. One per (election, station, contest, kind), never overwritten."""

    __tablename__ = "protocols"
    __table_args__ = (
        UniqueConstraint(
            "election_id", "station_id", "contest_id", "kind", name="uq_protocol_slot"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), index=True)
    station_id: Mapped[str] = mapped_column(String(64))
    contest_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of the protocol
    document_hash: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RejectionRow(Base):
    """A submission that was refused, kept whole as evidence with every reason."""

    __tablename__ = "rejections"
    __table_args__ = (Index("ix_rejections_election_station", "election_id", "station_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    election_id: Mapped[str | None] = mapped_column(String(64))
    station_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_hash: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of "where: what"
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeviceSwitchRow(Base):
    """A failed scanner replaced by a registered backup; from then on the backup's signature counts."""

    __tablename__ = "device_switches"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), index=True)
    station_id: Mapped[str] = mapped_column(String(64))
    from_device: Mapped[str] = mapped_column(String(64))
    to_device: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    switched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
