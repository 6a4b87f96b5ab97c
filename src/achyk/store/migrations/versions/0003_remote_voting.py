"""Remote voting: setup, trustees, public credential list, ballots, tally.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import achyk.store.evoting_models  # noqa: F401  (registers the tables on Base.metadata)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_TS = sa.DateTime(timezone=True)


def _election(primary: bool = False) -> sa.Column[str]:
    return sa.Column(
        "election_id", sa.String(64), sa.ForeignKey("elections.id"), primary_key=primary,
        nullable=False,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "remote_elections",
        _election(primary=True),
        sa.Column("unit_station_id", sa.String(64), nullable=False),
        sa.Column("trustees", sa.Integer, nullable=False),
        sa.Column("quorum", sa.Integer, nullable=False),
        sa.Column("revote", sa.String(8), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("ceremony", sa.Text, nullable=False),
        sa.Column("params_log_index", sa.BigInteger, nullable=False),
        sa.Column("closed_log_index", sa.BigInteger, nullable=True),
        sa.Column("set_up_at", _TS, nullable=False),
    )
    op.create_table(
        "remote_trustees",
        _election(primary=True),
        sa.Column("index", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("verification_key", sa.String(66), nullable=False),
    )
    op.create_table(
        "remote_credentials",
        _election(primary=True),
        sa.Column("credential", sa.String(64), primary_key=True),
        sa.Column("log_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "remote_ballots",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _election(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("credential", sa.String(64), nullable=False),
        sa.Column("tracking_code", sa.String(64), nullable=False),
        sa.Column("challenged", sa.Boolean, nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=False),
        sa.Column("entry", sa.Text, nullable=False),
    )
    op.create_index(
        "uq_remote_ballot_code", "remote_ballots", ["election_id", "tracking_code"], unique=True
    )
    op.create_index("uq_remote_ballot_seq", "remote_ballots", ["election_id", "seq"], unique=True)
    op.create_index("ix_remote_ballot_credential", "remote_ballots", ["election_id", "credential"])
    op.create_table(
        "remote_tallies",
        _election(primary=True),
        sa.Column("counted", sa.Integer, nullable=False),
        sa.Column("results", sa.Text, nullable=False),
        sa.Column("trustees", sa.Text, nullable=False),
        sa.Column("log_index", sa.BigInteger, nullable=False),
        sa.Column("tallied_at", _TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("remote_tallies", "remote_ballots", "remote_credentials", "remote_trustees",
                  "remote_elections"):  # fmt: skip
        op.drop_table(table)
