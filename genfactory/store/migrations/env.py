"""Alembic environment. Migrations run on a connection handed in by
:func:`genfactory.store.migrate.upgrade` (so they work inside a running event loop)."""

from __future__ import annotations

from alembic import context

from genfactory.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through genfactory.store.migrate
    raise RuntimeError("run migrations with `genfactory db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
