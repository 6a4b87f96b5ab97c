"""Foundation: elections, protocols, rejections kept as evidence, device switches, the log.

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
        sa.Column("log_index", sa.BigInteger, nullable=False),
        sa.Column("superseded", sa.Boolean, nullable=False),
        sa.Column("correction_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_protocols_election_id", "protocols", ["election_id"])
    op.create_index(
        "uq_protocol_slot_current", "protocols",
        ["election_id", "station_id", "contest_id", "kind"], unique=True,
        sqlite_where=sa.text("superseded = 0"), postgresql_where=sa.text("superseded = false"),
    )  # fmt: skip
    op.create_table(
        "rejections",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(64), nullable=True),
        sa.Column("station_id", sa.String(64), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("raw_hash", sa.String(64), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=True),
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
    op.create_table(
        "log_entries",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "log_nodes",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "log_heads",
        sa.Column("election_id", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.Text, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_checkpoints_election_size", "checkpoints", ["election_id", "size"])
    op.create_table(
        "cosignatures",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("election_id", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("witness", sa.Text, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cosignatures_election_id", "cosignatures", ["election_id"])
    op.create_table(
        "signing_keys",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("signing_keys", "cosignatures", "checkpoints", "log_heads", "log_nodes",
                  "log_entries"):  # fmt: skip
        op.drop_table(table)
    op.drop_table("device_switches")
    op.drop_table("rejections")
    op.drop_table("protocols")
    op.drop_table("elections")
