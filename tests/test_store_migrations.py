"""Schema migrations (index/migrations) on SQLite and a real PostgreSQL server: a store written before
migrations opens and is upgraded, the models and the migrations agree, concurrent first opens make one
schema, a store of a newer version and an unreachable server are refused with a message to act on."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from index.migrations import BASELINE, HEAD, StoreOpenError, StoreVersionError, baseline, current_revision
from index.schema import Base
from index.store import Store
from tests.pg import _free_port

BEFORE_ALEMBIC = Path(__file__).parent / "data" / "store-before-alembic.db"
# columns that stores older than the first schema lack (the old Store added them on open)
ADDED_LATER = {"documents": ["unit", "level", "contents", "stage"], "facts": ["dimensions"], "findings": ["severity"]}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


def _versions(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    return list(rows)


def test_head_is_the_newest_revision() -> None:
    from alembic.script import ScriptDirectory

    from index.migrations import config

    script = ScriptDirectory.from_config(config())
    assert script.get_heads() == [HEAD]
    assert script.get_base() == BASELINE


def test_the_first_schema_is_what_the_old_store_wrote(tmp_path: Path) -> None:
    """Revision 0001 creates exactly the tables, columns and indexes of the store the pre-Alembic
    version wrote (tests/data/store-before-alembic.db, made by it)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    baseline.metadata.create_all(engine)
    engine.dispose()

    def schema(path: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(path) as connection:
            return sorted(connection.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))

    assert schema(tmp_path / "fresh.db") == schema(BEFORE_ALEMBIC)


def test_a_sqlite_store_written_before_migrations_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(BEFORE_ALEMBIC, path)
    store = Store(f"sqlite:///{path}")
    assert _versions(store.url) == [HEAD]
    [doc] = store.documents()
    assert (doc.department, doc.fiscal_year, doc.fact_count, doc.passage_count, doc.finding_count) == (
        "上海市示例区示例局", 2025, 67, 9, 1)
    assert store.findings()[0][1].severity == "rounding"
    assert store.unindexed() == []
    values = [f.value for f in store.facts(table_kind="三公经费") if f.value is not None]
    assert values and all(isinstance(v, Decimal) for v in values)
    assert Store(store.url).row_counts() == store.row_counts()  # opening again changes nothing


@pytest.mark.parametrize("older", [False, True], ids=["first-schema", "older-still"])
def test_a_store_made_by_the_previous_create_all_is_upgraded(store_url: str, older: bool) -> None:
    """The previous version's Base.metadata.create_all (frozen as baseline.metadata), with rows in it, on
    both backends; `older-still` lacks the columns that version added on open. Opening stamps and upgrades
    it, keeps its rows, and the document text columns are unbounded afterwards."""
    engine = create_engine(store_url)
    baseline.metadata.create_all(engine)
    with engine.begin() as connection:
        for table, columns in ADDED_LATER.items() if older else ():
            for column in columns:
                connection.execute(text(f'ALTER TABLE {table} DROP COLUMN "{column}"'))
        connection.execute(text(
            "INSERT INTO documents (id, file_name, path, file_format, content_hash, page_count, department, "
            "fiscal_year, aliases) VALUES ('d1', 'a.pdf', '/x/a.pdf', 'pdf', 'h1', 3, '上海市示例区示例局', 2025, '[]')"))
    engine.dispose()

    store = Store(store_url)
    assert _versions(store_url) == [HEAD]
    [doc] = store.documents()
    assert (doc.document_id, doc.department, doc.fiscal_year, doc.unit, doc.level) == (
        "d1", "上海市示例区示例局", 2025, None, None)
    assert store.unindexed() == [("d1", None)]  # a store from before stages: repair() checks the index
    assert store.printed_pages(["d1"]) == {} and store.passages(["d1"]) == []  # nothing read yet: re-ingest
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE documents SET department = :long"), {"long": "局" * 300})
        findings_columns = {c["name"] for c in inspect(connection).get_columns("findings")}
    engine.dispose()
    assert "severity" in findings_columns
    assert store.documents()[0].department == "局" * 300


def test_models_and_migrations_agree(store_url: str) -> None:
    """After the upgrade the database holds exactly what the models declare (Alembic's autogenerate
    finds nothing to do). SQLite keeps the first schema's VARCHAR(n), which it never enforces."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store(store_url)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": connection.dialect.name != "sqlite"})
        assert compare_metadata(context, Base.metadata) == []


def test_concurrent_first_opens_make_one_schema(store_url: str) -> None:
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            Store(store_url).row_counts()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _versions(store_url) == [HEAD]


def test_a_store_of_a_newer_version_is_refused(store_url: str) -> None:
    store = Store(store_url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    store.engine.dispose()
    assert current_revision(store.engine) == "9999"
    with pytest.raises(StoreVersionError, match=r"revision 9999.*newer version — upgrade budgetqa"):
        Store(store_url)


def test_an_unreachable_server_is_one_line_to_act_on() -> None:
    url = f"postgresql://budgetqa:secret@127.0.0.1:{_free_port()}/budgetqa"
    with pytest.raises(StoreOpenError) as raised:
        Store(url)
    message = str(raised.value)
    assert message.startswith("cannot open the store postgresql+psycopg://budgetqa:***@127.0.0.1:")
    assert "secret" not in message and "is the database server running" in message and "\n" not in message


def test_the_revision_goes_down_to_0003_and_up_again(store_url: str) -> None:
    """Migration 0004 (the library's revision and its triggers) undone and done again: after the downgrade
    no table or trigger of it is left to break a write; after the upgrade every write raises it again."""
    from alembic import command

    from index.migrations import config

    store = Store(store_url)
    with store.engine.begin() as connection:
        command.downgrade(config(connection), "0003")
    store.engine.dispose()
    insert = ("INSERT INTO documents (id, file_name, path, file_format, content_hash, page_count, aliases) "
              "VALUES (:id, 'a.pdf', '/x/a.pdf', 'pdf', :id, 1, '[]')")
    engine = create_engine(store_url)
    assert "store_revision" not in inspect(engine).get_table_names()
    with engine.begin() as connection:  # no trigger left that would need the table
        connection.execute(text(insert), {"id": "d1"})
    engine.dispose()
    again = Store(store_url)
    assert _versions(store_url) == [HEAD] and again.revision() == 0
    with again.engine.begin() as connection:
        connection.execute(text(insert), {"id": "d2"})
    assert again.revision() == 1 and [d.document_id for d in again.documents()] == ["d1", "d2"]
