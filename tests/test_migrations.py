"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL.

A column added to a model but forgotten in a migration (or the reverse) would only show up on a
production database; here it fails at once.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Imported for their effect: each module registers its tables on Base.metadata.
import achyk.store.evoting_models
import achyk.store.mission_area_models
import achyk.store.register_models
import achyk.store.transmission_models  # noqa: F401
from achyk.store.database import Database
from achyk.store.models import Base


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
