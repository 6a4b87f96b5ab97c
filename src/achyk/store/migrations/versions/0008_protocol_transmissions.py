"""Protocols transmitted over HTTP: each signed request (device, nonce) and its first answer.

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import achyk.store.transmission_models  # noqa: F401  (registers the table on Base.metadata)

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "protocol_transmissions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("elections.id"), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("refused", sa.LargeBinary, nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("device_id", "nonce", name="uq_transmission_nonce"),
    )
    op.create_index(
        "ix_protocol_transmissions_election_id", "protocol_transmissions", ["election_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_protocol_transmissions_election_id", "protocol_transmissions")
    op.drop_table("protocol_transmissions")
