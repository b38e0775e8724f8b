"""Schema migrations of the structured store (Alembic). `Store` runs `migrate(engine)` on open: every
store is upgraded to the newest revision, in one transaction that other processes opening the same
store wait for (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE).

A store written before migrations existed (tables, no alembic_version) is first brought to the
0001 schema (`baseline.adopt`) and stamped 0001, then upgraded like any other. A store whose revision
this code does not know was written by a newer budgetqa and is refused with that message.

    migrate(engine)
    # a new revision: add versions/000N_<what>.py by hand (revision = "000N", down_revision = the last),
    # set HEAD below; tests/test_store_migrations.py checks the models and the migrations agree.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

HEAD = "0004"  # the newest revision: a store already there opens without loading Alembic
BASELINE = "0001"  # the schema of the stores written before migrations
_PG_LOCK_KEY = 0x62716D67  # "bqmg": one migrating process per PostgreSQL database at a time


class StoreOpenError(RuntimeError):
    """The store cannot be opened; the message says which store, why, and what to do."""


class StoreVersionError(StoreOpenError):
    """The store was written by a newer budgetqa (a schema revision this code does not know)."""


def config(connection: Connection | None = None):  # type: ignore[no-untyped-def]
    """The Alembic configuration of the store's migrations (no alembic.ini: script location here)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision; None for an empty store or one written before migrations."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Upgrade the store behind `engine` to HEAD (nothing to do, and no Alembic import, when it is there)."""
    if current_revision(engine) == HEAD:
        return
    if engine.dialect.name == "sqlite":
        locked = _sqlite_immediate(engine)
        try:
            with locked.begin() as connection:
                _upgrade(connection, engine.url.render_as_string(hide_password=True))
        finally:
            locked.dispose()
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        _upgrade(connection, engine.url.render_as_string(hide_password=True))


def _upgrade(connection: Connection, where: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = config(connection)
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables and "documents" in tables:  # written before migrations
        from index.migrations import baseline

        baseline.adopt(connection)
        command.stamp(cfg, BASELINE)
    else:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            if "alembic_version" in tables else None
        known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
        if revision is not None and revision not in known:
            raise StoreVersionError(
                f"the store {where} has schema revision {revision}, which this budgetqa does not know: it was "
                "written by a newer version — upgrade budgetqa (pip install -U budgetqa) to open it")
    command.upgrade(cfg, "head")


def _sqlite_immediate(engine: Engine) -> Engine:
    """A short-lived engine on the same SQLite file whose transactions start with BEGIN IMMEDIATE, so that
    the whole migration (DDL included) is one transaction and a second process waits for it."""
    locked = create_engine(engine.url, connect_args={"timeout": 60})

    @event.listens_for(locked, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # the driver would otherwise commit before each DDL

    @event.listens_for(locked, "begin")
    def _begin_immediate(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return locked
