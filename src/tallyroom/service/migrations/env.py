"""Alembic environment: run programmatically by :func:`tallyroom.service.db.migrate` with
the connection passed in ``config.attributes``."""

from alembic import context

from tallyroom.service.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
