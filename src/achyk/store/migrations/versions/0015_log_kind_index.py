"""Log entries indexed by kind: the docket (complaints, steps) is read without scanning the log.

Results read the docket (annulled stations, certifications that wait on a pending challenge), so
the look-up by kind must not grow with the log.

Revision ID: 0015
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_log_entries_election_kind", "log_entries", ["election_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_log_entries_election_kind", "log_entries")
