"""Alembic environment: runs on the connection that achyk.store.database.migrate hands it."""

from __future__ import annotations

from alembic import context

import achyk.store.evoting_models
import achyk.store.register_models
import achyk.store.transmission_models
from achyk.store.models import Base

del achyk

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
