"""Running totals per unit and contest; protocols indexed by station; each definition's outline.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Elections that already hold protocols get their totals rebuilt from the protocols on first
    # use (achyk.services.tally.ensure_totals): a migration cannot parse definitions.
    op.create_table(
        "tallies",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("level", sa.String(16), primary_key=True),
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("contest_id", sa.String(64), primary_key=True),
        sa.Column("figures", sa.Text, nullable=False),
    )
    op.create_index("ix_protocols_election_station", "protocols", ["election_id", "station_id"])
    op.add_column("elections", sa.Column("outline", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("elections", "outline")
    op.drop_index("ix_protocols_election_station", "protocols")
    op.drop_table("tallies")
