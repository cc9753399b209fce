"""Alembic environment: run only programmatically (dashboard.store.database.upgrade), on the
connection it is handed, so the migrations use exactly the store's engine and settings."""

from alembic import context

from dashboard.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
