"""Refused Form 2 applications, kept as evidence with their reasons; nonces indexed by age.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voter_move_refusals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("election_id", sa.String(64), sa.ForeignKey("elections.id"), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("requests", sa.Text, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_voter_move_refusals_election", "voter_move_refusals", ["election_id"])
    # Spent nonces are pruned by age every minute; without the index that is a full scan.
    op.create_index("ix_device_nonces_seen_at", "device_nonces", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_device_nonces_seen_at", "device_nonces")
    op.drop_index("ix_voter_move_refusals_election", "voter_move_refusals")
    op.drop_table("voter_move_refusals")
