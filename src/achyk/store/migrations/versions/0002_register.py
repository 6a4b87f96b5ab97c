"""Register: hashed voters, commitment, Form 2 moves, check-ins, refusals, nonces, double votes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import achyk.store.register_models  # noqa: F401  (registers the tables on Base.metadata)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", _ID, primary_key=True, autoincrement=True)


def _election(fk: bool = True) -> sa.Column[str]:
    if fk:
        return sa.Column(
            "election_id", sa.String(64), sa.ForeignKey("elections.id"), nullable=False
        )
    return sa.Column("election_id", sa.String(64), nullable=False)


def upgrade() -> None:
    op.create_table(
        "voters",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("voter_hash", sa.LargeBinary(32), primary_key=True),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "register_commitments",
        sa.Column("election_id", sa.String(64), sa.ForeignKey("elections.id"), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("merkle_root", sa.String(64), nullable=False),
        sa.Column("voters_per_station", sa.Text, nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=True),
        sa.Column("committed_at", _TS, nullable=False),
    )
    op.create_table(
        "voter_moves",
        _id(),
        _election(),
        sa.Column("voter_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("from_station", sa.String(64), nullable=False),
        sa.Column("to_station", sa.String(64), nullable=False),
        sa.Column("moved_at", _TS, nullable=False),
    )
    op.create_index("ix_voter_moves_election", "voter_moves", ["election_id"])
    op.create_table(
        "checkins",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("voter_hash", sa.LargeBinary(32), primary_key=True),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("checked_in_at", _TS, nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("offline", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_checkins_election_station_hour", "checkins", ["election_id", "station_id", "hour"]
    )
    op.create_table(
        "checkin_refusals",
        _id(),
        _election(fk=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("voter_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("refused_at", _TS, nullable=False),
    )
    op.create_index(
        "ix_checkin_refusals_election_station", "checkin_refusals", ["election_id", "station_id"]
    )
    op.create_table(
        "device_nonces",
        _id(),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.UniqueConstraint("device_id", "nonce", name="uq_device_nonce"),
    )
    op.create_table(
        "double_votes",
        _id(),
        _election(fk=False),
        sa.Column("voter_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("first_station", sa.String(64), nullable=False),
        sa.Column("first_channel", sa.String(8), nullable=False),
        sa.Column("first_device", sa.String(64), nullable=False),
        sa.Column("first_at", _TS, nullable=False),
        sa.Column("second_station", sa.String(64), nullable=False),
        sa.Column("second_channel", sa.String(8), nullable=False),
        sa.Column("second_device", sa.String(64), nullable=False),
        sa.Column("second_at", _TS, nullable=False),
        sa.Column("journal_hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_index("ix_double_votes_election", "double_votes", ["election_id"])
    op.create_table(
        "checkin_journals",
        _id(),
        _election(fk=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("journal_hash", sa.String(64), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("synced_at", _TS, nullable=False),
        sa.UniqueConstraint("election_id", "journal_hash", name="uq_journal"),
    )


def downgrade() -> None:
    for table in (
        "checkin_journals",
        "double_votes",
        "device_nonces",
        "checkin_refusals",
        "checkins",
        "voter_moves",
        "register_commitments",
        "voters",
    ):
        op.drop_table(table)
