"""The structured store's tables as SQLAlchemy models: documents and what ingestion found in them (tables,
facts, passages, sections, findings, printed page numbers), and the library's revision. Alembic migrations
(`index/migrations/`) make the database match them; `index.store.Store` reads and writes through them.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class PrintedText(TypeDecorator):
    """Text read from a document, any length. NUL characters are dropped: PostgreSQL refuses them in text,
    they never mean anything in a disclosure, and dropping them on every backend keeps the data alike."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        return value.replace("\x00", "") if isinstance(value, str) else value


class Base(DeclarativeBase):
    pass


class DocumentRow(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    file_name: Mapped[str] = mapped_column(PrintedText, index=True)
    path: Mapped[str] = mapped_column(PrintedText)
    file_format: Mapped[str] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    page_count: Mapped[int] = mapped_column(Integer)
    department: Mapped[str | None] = mapped_column(PrintedText, index=True)
    region: Mapped[str | None] = mapped_column(PrintedText)
    fiscal_year: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(PrintedText)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    unit: Mapped[str | None] = mapped_column(PrintedText, nullable=True)
    level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    contents: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # how far ingestion got: "stored" (relational rows committed) -> "indexed" (passages in every index)
    stage: Mapped[str | None] = mapped_column(String(10), nullable=True)


class TableRow(Base):
    __tablename__ = "doc_tables"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    table_index: Mapped[int] = mapped_column(Integer)
    table_kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(PrintedText)
    unit: Mapped[str | None] = mapped_column(PrintedText)
    pages: Mapped[list] = mapped_column(JSON)
    columns: Mapped[list] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(PrintedText)


class FactRow(Base):
    __tablename__ = "facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    table_index: Mapped[int] = mapped_column(Integer)
    table_kind: Mapped[str] = mapped_column(String(40), index=True)
    table_title: Mapped[str] = mapped_column(PrintedText)
    page: Mapped[int] = mapped_column(Integer)
    row_index: Mapped[int] = mapped_column(Integer)
    row_code: Mapped[str | None] = mapped_column(PrintedText, index=True)
    row_label: Mapped[str] = mapped_column(PrintedText)
    row_path: Mapped[list] = mapped_column(JSON)
    column_path: Mapped[list] = mapped_column(JSON)
    column_leaf: Mapped[str] = mapped_column(PrintedText)
    value: Mapped[str | None] = mapped_column(String(40))  # exact decimal text
    text_value: Mapped[str | None] = mapped_column(PrintedText)
    unit: Mapped[str | None] = mapped_column(PrintedText)
    bbox: Mapped[list | None] = mapped_column(JSON)
    line_no: Mapped[int | None] = mapped_column(Integer)
    sentence: Mapped[str | None] = mapped_column(PrintedText)
    dimensions: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class PassageRow(Base):
    __tablename__ = "passages"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    section_path: Mapped[list] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(PrintedText)
    page_start: Mapped[int] = mapped_column(Integer)
    page_end: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    line_boxes: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [[offset, page, [x0, top, x1, bottom]], …]


class PrintedPageRow(Base):  # the number a PDF page prints, when it prints one (physical page 10 prints "8")
    __tablename__ = "printed_pages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    printed: Mapped[str] = mapped_column(PrintedText)


class SectionRow(Base):
    __tablename__ = "sections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    path: Mapped[list] = mapped_column(JSON)
    page_start: Mapped[int] = mapped_column(Integer)
    page_end: Mapped[int] = mapped_column(Integer)


class FindingRow(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(40))
    where: Mapped[str] = mapped_column(PrintedText)
    expected: Mapped[str] = mapped_column(PrintedText)
    found: Mapped[str] = mapped_column(PrintedText)
    page: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(PrintedText)
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)


class RevisionRow(Base):
    """The library's revision: raised by triggers on `documents` (migration 0004) at every change."""

    __tablename__ = "store_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer)
