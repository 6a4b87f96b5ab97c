"""Foundation: elections, accepted protocols, rejections kept as evidence, device switches.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "protocols",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("elections.id"), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("contest_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=True),
        sa.Column("signature", sa.String(128), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "election_id", "station_id", "contest_id", "kind", name="uq_protocol_slot"
        ),
    )
    op.create_index("ix_protocols_election_id", "protocols", ["election_id"])
    op.create_table(
        "rejections",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(64), nullable=True),
        sa.Column("station_id", sa.String(64), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("raw_hash", sa.String(64), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rejections_election_station", "rejections", ["election_id", "station_id"])
    op.create_table(
        "device_switches",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("elections.id"), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("from_device", sa.String(64), nullable=False),
        sa.Column("to_device", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("switched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_device_switches_election_id", "device_switches", ["election_id"])


def downgrade() -> None:
    op.drop_table("device_switches")
    op.drop_table("rejections")
    op.drop_table("protocols")
    op.drop_table("elections")
