"""The store's schema as budgetqa wrote it before migrations existed (revision 0001), frozen here so that
later model changes never change what 0001 creates. Also brings a pre-Alembic store up to it: the
nullable columns earlier versions added on open (unit, level, contents, stage, dimensions, severity)
and any missing table are added before the store is stamped 0001.

    metadata.create_all(connection)      # revision 0001
    adopt(connection)                    # a pre-Alembic store, before `stamp 0001`
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text, inspect, text
from sqlalchemy.engine import Connection

metadata = MetaData()


def _document_id() -> Column:
    return Column("document_id", String(32), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False,
                  index=True)


Table(
    "documents", metadata,
    Column("id", String(32), primary_key=True),
    Column("file_name", String(512), nullable=False, index=True),
    Column("path", Text, nullable=False),
    Column("file_format", String(8), nullable=False),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("page_count", Integer, nullable=False),
    Column("department", String(200), index=True),
    Column("region", String(100)),
    Column("fiscal_year", Integer, index=True),
    Column("kind", String(20)),
    Column("title", Text),
    Column("aliases", JSON, nullable=False),
    Column("unit", String(200)),
    Column("level", String(10)),
    Column("contents", String(10)),
    Column("stage", String(10)),
)
Table(
    "doc_tables", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _document_id(),
    Column("table_index", Integer, nullable=False),
    Column("table_kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("unit", String(10)),
    Column("pages", JSON, nullable=False),
    Column("columns", JSON, nullable=False),
    Column("note", Text),
)
Table(
    "facts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _document_id(),
    Column("table_index", Integer, nullable=False),
    Column("table_kind", String(40), nullable=False, index=True),
    Column("table_title", Text, nullable=False),
    Column("page", Integer, nullable=False),
    Column("row_index", Integer, nullable=False),
    Column("row_code", String(16), index=True),
    Column("row_label", Text, nullable=False),
    Column("row_path", JSON, nullable=False),
    Column("column_path", JSON, nullable=False),
    Column("column_leaf", String(200), nullable=False),
    Column("value", String(40)),
    Column("text_value", Text),
    Column("unit", String(10)),
    Column("bbox", JSON),
    Column("line_no", Integer),
    Column("sentence", Text),
    Column("dimensions", JSON),
)
Table(
    "passages", metadata,
    Column("id", String(64), primary_key=True),
    _document_id(),
    Column("section_path", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("page_start", Integer, nullable=False),
    Column("page_end", Integer, nullable=False),
    Column("char_start", Integer, nullable=False),
    Column("char_end", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
)
Table(
    "sections", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _document_id(),
    Column("path", JSON, nullable=False),
    Column("page_start", Integer, nullable=False),
    Column("page_end", Integer, nullable=False),
)
Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _document_id(),
    Column("check", String(40), nullable=False),
    Column("where", Text, nullable=False),
    Column("expected", Text, nullable=False),
    Column("found", Text, nullable=False),
    Column("page", Integer),
    Column("message", Text, nullable=False),
    Column("severity", String(10)),
)


def adopt(connection: Connection) -> None:
    """Bring a store written before migrations to the 0001 schema: create missing tables, add the
    nullable columns it lacks (existing documents keep NULL there until re-ingested)."""
    metadata.create_all(connection, checkfirst=True)
    quote = connection.dialect.identifier_preparer.quote
    inspector = inspect(connection)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                type_sql = column.type.compile(dialect=connection.dialect)
                connection.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {type_sql}"))
