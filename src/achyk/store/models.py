"""Tables. Documents are stored as their canonical JSON text so stored bytes are the hashed bytes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
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
    # What results above the stations need (achyk.services.results.outline_of): read instead of
    # the whole definition by a fresh `achyk results`. Null for elections loaded before it existed.
    outline: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProtocolRow(Base):
    """An accepted station protocol and the log entry that carries it.

    One current protocol per (election, station, contest, kind); a correction marks the old row
    superseded and adds a new one, so the slot's whole history stays (and stays in the log).
    """

    __tablename__ = "protocols"
    __table_args__ = (
        Index(
            "uq_protocol_slot_current", "election_id", "station_id", "contest_id", "kind",
            unique=True, sqlite_where=text("superseded = 0"),
            postgresql_where=text("superseded = false"),
        ),
        # A station's page and API read its whole history (superseded rows too) by this index.
        Index("ix_protocols_election_station", "election_id", "station_id"),
    )  # fmt: skip

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
    log_index: Mapped[int] = mapped_column(BigInteger)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str | None] = mapped_column(Text)


class TallyRow(Base):
    """Running totals of one unit (station, district, region, nation, …) in one contest.

    `figures` is the JSON of three vectors — counted, scanner, hand — each `[stations,
    voters_on_list, issued, found, invalid, valid, *votes in ballot order]` (achyk.domain.tally).
    Updated in the transaction that appends the protocol's log entry, so the totals are never ahead
    of or behind the log; they are a cache of the fold, which `achyk verify` recomputes from the
    record.
    """

    __tablename__ = "tallies"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contest_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    figures: Mapped[str] = mapped_column(Text)


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
    log_index: Mapped[int | None] = mapped_column(BigInteger)
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


class LogEntryRow(Base):
    """One entry of the election's append-only log: its RFC 8785 bytes, as hashed into the tree."""

    __tablename__ = "log_entries"
    # The docket (complaints and their steps) is folded by kind: without this index every results
    # read would scan the whole log for the few complaint entries.
    __table_args__ = (Index("ix_log_entries_election_kind", "election_id", "kind"),)

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    entry: Mapped[str] = mapped_column(Text)
    appended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogNodeRow(Base):
    """The hash of the perfect subtree (level, idx): leaves at level 0. Proofs read these."""

    __tablename__ = "log_nodes"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LogHeadRow(Base):
    """The log's current size and frontier; locked by each append so appends serialise."""

    __tablename__ = "log_heads"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[str] = mapped_column(Text)  # JSON list of hex hashes, largest subtree first


class CheckpointRow(Base):
    """Every checkpoint the log key signed, kept: anyone holding one can demand consistency."""

    __tablename__ = "checkpoints"
    __table_args__ = (Index("ix_checkpoints_election_size", "election_id", "size"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    election_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CosignatureRow(Base):
    """A witness's cosignature (C2SP tlog-cosignature) of one checkpoint."""

    __tablename__ = "cosignatures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    election_id: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    witness: Mapped[str] = mapped_column(Text)
    line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SigningKeyRow(Base):
    """A signing key the system generated for itself (development and demo only).

    Production sets ACHYK_LOG_KEY to a key file instead, so the database never holds the log key.
    """

    __tablename__ = "signing_keys"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)  # C2SP signer key text
    vkey: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DisputeEvidenceRow(Base):
    """A complaint's evidence file (photo, protocol copy, video), kept whole; the log holds its hash.

    Published with the complaint once it is decided (personal data redacted by the body that
    publishes); until then only its SHA-256 is public, so nobody can swap it later.
    """

    __tablename__ = "dispute_evidence"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    complaint_index: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MissionInboxRow(Base):
    """What an observer's phone sealed to its mission's key (a form's content and photos), kept
    for the mission unread: the server cannot open it. Keyed by the sealed bytes' SHA-256, so a
    phone resending an item stores it once."""

    __tablename__ = "mission_inbox"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mission: Mapped[str] = mapped_column(String(64), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ObserverPhotoRow(Base):
    """A photo a mission published with an observation or protocol copy: its metadata stripped
    (`content`); `sha256` is the original's, as the observer signed it (its hash is on the log)."""

    __tablename__ = "observer_photos"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mission: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    published_sha256: Mapped[str] = mapped_column(String(64))
    log_index: Mapped[int] = mapped_column(BigInteger)  # the entry that publishes or names it
