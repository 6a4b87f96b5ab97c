"""Observers' sealed submissions for their mission, and the photos missions publish.

Revision ID: 0017
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mission_inbox",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("mission", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mission_inbox_mission", "mission_inbox", ["mission"])
    op.create_table(
        "observer_photos",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("mission", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("published_sha256", sa.String(64), nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("observer_photos")
    op.drop_index("ix_mission_inbox_mission", "mission_inbox")
    op.drop_table("mission_inbox")
