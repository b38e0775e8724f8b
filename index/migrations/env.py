"""Alembic's entry point for the store's migrations. Run through `index.migrations.migrate(engine)`
(what `Store` does on open), which hands over the connection in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("the store's migrations run through index.migrations.migrate(engine) "
                           "(Store does it on open); there is no alembic.ini")
    from index.schema import Base  # for `alembic revision --autogenerate` through index.migrations.config()

    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters by copying tables
    with context.begin_transaction():
        context.run_migrations()


_run()
