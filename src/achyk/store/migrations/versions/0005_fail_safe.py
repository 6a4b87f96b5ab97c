"""Fail safe: a resent check-in request finds the answer first recorded for it.

The nonce of the signed request that issued a ballot is kept on its check-in row, and the nonce
of a refused request on its refusal row; the spent nonce keeps the voter it was spent for. A
request sent again (same nonce) is then answered from the record of that very request.

Revision ID: 0005
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("checkins", sa.Column("nonce", sa.String(64), nullable=True))
    op.add_column("checkin_refusals", sa.Column("nonce", sa.String(64), nullable=True))
    op.add_column("device_nonces", sa.Column("voter_hash", sa.LargeBinary(32), nullable=True))
    op.create_index("ix_checkin_refusals_device_nonce", "checkin_refusals", ["device_id", "nonce"])


def downgrade() -> None:
    op.drop_index("ix_checkin_refusals_device_nonce", "checkin_refusals")
    op.drop_column("device_nonces", "voter_hash")
    op.drop_column("checkin_refusals", "nonce")
    op.drop_column("checkins", "nonce")
