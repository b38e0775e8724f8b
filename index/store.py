"""The structured store: documents, tables, facts, passages, sections and findings, via SQLAlchemy.

SQLite file under the data directory by default; PostgreSQL (`postgresql+psycopg://…`) or another
SQLAlchemy URL by setting. Only portable SQL is used, and results come back in the same order on every
backend. Money is stored as its exact decimal text. Alembic migrations (`index/migrations/`) make and
upgrade the schema when a store is opened.

    store = Store(settings.resolved_database_url)
    store.save(ingested_document)            # one transaction; replaces older versions
    facts = store.facts(document_ids=[...], table_kind="三公经费")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.engine import Engine, Row, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from budgetqa.models import Finding, IngestedDocument, Passage, Section, StoredDocument, TableFact
from index.migrations import StoreOpenError, migrate
from index.schema import (
    DocumentRow,
    FactRow,
    FindingRow,
    PassageRow,
    PrintedPageRow,
    RevisionRow,
    SectionRow,
    TableRow,
)

__all__ = ["Store", "StoreOpenError"]


_CHILD_ROWS = (FactRow, PassageRow, SectionRow, FindingRow, TableRow, PrintedPageRow)
_TRIGGERED = ("sqlite", "postgresql")  # the backends migration 0004 gives revision triggers


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):  # psycopg 3 is the driver installed with budgetqa
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed)
    else:  # a server: connections in the pool may have been closed by it (restart, idle timeout)
        engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL syncs at checkpoints, not at every commit: a power cut may lose the last documents (the
            # next ingest reads them again), never leave one half-written
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


class Store:
    """Documents and their facts, passages and findings in one relational database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        try:
            _with_retries(lambda: migrate(self.engine))
        except OperationalError as error:
            where = self.engine.url.render_as_string(hide_password=True)
            reason = str(error.orig or error).strip().splitlines()[0]
            raise StoreOpenError(f"cannot open the store {where}: {reason} — is the database server running and "
                                 "the URL right (--database-url / BUDGETQA_DATABASE_URL)?") from error
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._listed: tuple[int, list[StoredDocument]] | None = None  # (revision, every document then)

    # ---- writing -------------------------------------------------------------------------
    def save(self, doc: IngestedDocument, replaces: Iterable[str] = ()) -> None:
        """Write one ingested document in a single transaction, deleting the documents it replaces.
        Either everything of it is stored, or nothing is."""
        with self._session.begin() as session:
            for old_id in replaces:
                _delete(session, old_id)
            session.add(_document_row(doc))
            session.flush()
            # the rows below: one multi-row INSERT per table (SQLAlchemy Core), not an ORM unit of work of
            # hundreds of objects (the writer's store step took 12 ms per five-page document that way, 5 ms now)
            document_id = doc.document_id
            rows: list[tuple[Any, list[dict[str, Any]]]] = [
                (TableRow, _table_values(doc)),
                (FactRow, [_fact_values(document_id, f) for f in doc.facts]),
                (PassageRow, [_passage_values(p) for p in doc.passages]),
                (SectionRow, [{"document_id": document_id, "path": list(s.path), "page_start": s.page_start,
                               "page_end": s.page_end} for s in doc.sections]),
                (FindingRow, [{"document_id": document_id, "check": f.check, "where": f.where, "expected": f.expected,
                               "found": f.found, "page": f.page, "message": f.message, "severity": f.severity}
                              for f in doc.findings]),
                (PrintedPageRow, [{"document_id": document_id, "page": page, "printed": printed}
                                  for page, printed in sorted(doc.printed_pages.items())]),
            ]
            for model, values in rows:
                if values:
                    session.execute(model.__table__.insert(), values)

    def mark_indexed(self, *document_ids: str) -> None:
        """The documents' passages are in the passage index too: they now count as ingested."""
        with self._session.begin() as session:
            session.execute(update(DocumentRow).where(DocumentRow.id.in_(document_ids)).values(stage="indexed"))

    def unindexed(self) -> list[tuple[str, str | None]]:
        """(id, stage) of documents whose indexing is not known to have finished: "stored" after a crash,
        None in a store written before stages were recorded."""
        with self._session() as session:
            query = select(DocumentRow.id, DocumentRow.stage).where(
                (DocumentRow.stage != "indexed") | (DocumentRow.stage.is_(None)))
            return [(row[0], row[1]) for row in session.execute(query)]

    def delete_document(self, document_id: str) -> bool:
        with self._session.begin() as session:
            return _delete(session, document_id)

    # ---- reading -------------------------------------------------------------------------
    def document_by_hash(self, content_hash: str) -> StoredDocument | None:
        return next(iter(self.documents(where=DocumentRow.content_hash == content_hash)), None)

    def passage_counts(self, kinds: Sequence[str]) -> dict[str, int]:
        """Passages of these kinds per document (documents without any left out)."""
        with self._session() as session:
            query = (select(PassageRow.document_id, func.count()).where(PassageRow.kind.in_(list(kinds)))
                     .group_by(PassageRow.document_id))
            return {document_id: count for document_id, count in session.execute(query)}

    def documents_with_ids(self, document_ids: Sequence[str]) -> list[StoredDocument]:
        """The stored documents among `document_ids`, read together (one query per kind of row)."""
        return self.documents(where=DocumentRow.id.in_(list(document_ids))) if document_ids else []

    def documents_named(self, file_name: str) -> list[StoredDocument]:
        return self.documents(where=DocumentRow.file_name == file_name)

    def document(self, key: str) -> StoredDocument | None:
        """A document by id, id prefix or file name."""
        for doc in self.documents():
            if key in (doc.document_id, doc.file_name) or (len(key) >= 6 and doc.document_id.startswith(key)):
                return doc
        return None

    def revision(self) -> int | None:
        """A number that changes whenever a document is added, replaced, removed or changed, by any process
        (database triggers keep it); None on a backend without them (nothing may then be cached)."""
        if self.engine.dialect.name not in _TRIGGERED:
            return None
        with self.engine.connect() as connection:
            return connection.execute(select(RevisionRow.revision).where(RevisionRow.id == 1)).scalar_one()

    def documents(self, where=None) -> list[StoredDocument]:  # type: ignore[no-untyped-def]
        """Every document, or those `where` selects, in (department, year, file name) order. The whole list
        is read again only when the store's revision has changed since it was last read."""
        if where is not None:
            return self._read_documents(where)
        revision = self.revision()
        listed = self._listed
        if revision is not None and listed is not None and listed[0] == revision:
            return list(listed[1])
        documents = self._read_documents(None)
        if revision is not None:
            self._listed = (revision, documents)  # read after the revision: at worst newer than it, never older
        return list(documents)

    def _read_documents(self, where) -> list[StoredDocument]:  # type: ignore[no-untyped-def]
        with self._session() as session:
            query = select(DocumentRow)
            if where is not None:
                query = query.where(where)
            # sorted here, not by the database: collations and NULL placement differ between backends
            rows = sorted(session.scalars(query).all(), key=_document_order)
            ids = None if where is None else [row.id for row in rows]  # one document's counts: not every document's
            counts = {model: _counts(session, model, ids) for model in _CHILD_ROWS}
            return [_stored(row, counts) for row in rows]

    def facts(self, document_ids: Sequence[str] | None = None, table_kind: str | None = None,
              row_code: str | None = None, table_index: int | None = None) -> list[TableFact]:
        with self._session() as session:
            query = select(FactRow.__table__)  # plain rows: no ORM object is made for each fact
            if document_ids is not None:
                query = query.where(FactRow.document_id.in_(list(document_ids)))
            if table_kind is not None:
                query = query.where(FactRow.table_kind == table_kind)
            if row_code is not None:
                query = query.where(FactRow.row_code == row_code)
            if table_index is not None:
                query = query.where(FactRow.table_index == table_index)
            return [_fact(row) for row in session.execute(query.order_by(FactRow.id))]

    def passages(self, document_ids: Sequence[str] | None = None) -> list[Passage]:
        with self._session() as session:
            query = select(PassageRow.__table__)
            if document_ids is not None:
                query = query.where(PassageRow.document_id.in_(list(document_ids)))
            return [_passage(row) for row in session.execute(query.order_by(PassageRow.document_id,
                                                                             PassageRow.char_start))]

    def read_before_pages(self, doc: StoredDocument) -> bool:
        """A PDF stored before page numbers and line boxes were read (schema 0003; one without passages cannot
        be told): ingesting its file again reads it again."""
        if doc.file_format != "pdf" or not doc.passage_count:
            return False
        with self._session() as session:
            query = select(PassageRow.id).where(PassageRow.document_id == doc.document_id,
                                                PassageRow.kind == "narrative", PassageRow.line_boxes.is_(None))
            return session.execute(query.limit(1)).first() is not None

    def printed_pages(self, document_ids: Sequence[str]) -> dict[tuple[str, int], str]:
        """(document id, physical page) -> the page number printed on that page, for the pages that print one."""
        with self._session() as session:
            query = select(PrintedPageRow).where(PrintedPageRow.document_id.in_(list(document_ids)))
            return {(r.document_id, r.page): r.printed for r in session.scalars(query)}

    def sections(self, document_id: str) -> list[Section]:
        with self._session() as session:
            rows = session.scalars(select(SectionRow).where(SectionRow.document_id == document_id)
                                   .order_by(SectionRow.id))
            return [Section(path=tuple(r.path), page_start=r.page_start, page_end=r.page_end) for r in rows]

    def tables(self, document_id: str) -> list[dict]:
        with self._session() as session:
            rows = session.scalars(select(TableRow).where(TableRow.document_id == document_id)
                                   .order_by(TableRow.table_index))
            return [{"table_index": r.table_index, "table_kind": r.table_kind, "title": r.title, "unit": r.unit,
                     "pages": r.pages, "columns": [tuple(c) for c in r.columns], "note": r.note} for r in rows]

    def findings(self, document_id: str | None = None) -> list[tuple[str, Finding]]:
        with self._session() as session:
            query = select(FindingRow).order_by(FindingRow.id)
            if document_id is not None:
                query = query.where(FindingRow.document_id == document_id)
            return [(r.document_id, Finding(check=r.check, where=r.where, expected=r.expected, found=r.found,
                                            page=r.page, message=r.message, severity=r.severity or "finding"))
                    for r in session.scalars(query)]

    def row_counts(self) -> dict[str, int]:
        """How many rows each table holds (used to prove a failed ingest left nothing behind)."""
        with self._session() as session:
            return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                    for model in (DocumentRow, *_CHILD_ROWS)}


def _with_retries(step: Callable[[], None], attempts: int = 8) -> None:
    """Run the migration step, which another process may be running at the same moment on a fresh SQLite
    store (it waits for the other's lock, and may still be told "database is locked"): retry, it is idempotent."""
    for attempt in range(attempts):
        try:
            step()
            return
        except OperationalError as error:
            message = str(error).lower()
            if attempt == attempts - 1 or not any(w in message for w in ("already exists", "duplicate column", "locked")):
                raise
            time.sleep(0.1 * (attempt + 1))


def _delete(session: Session, document_id: str) -> bool:
    for model in _CHILD_ROWS:
        session.execute(delete(model).where(model.document_id == document_id))
    return session.execute(delete(DocumentRow).where(DocumentRow.id == document_id)).rowcount > 0


def _document_order(row: DocumentRow) -> tuple:  # type: ignore[type-arg]
    """Department, year, file name; a missing department or year first (as SQLite has always sorted)."""
    return (row.department is not None, row.department or "", row.fiscal_year is not None, row.fiscal_year or 0,
            row.file_name)


def _counts(session: Session, model, ids: list[str] | None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows of `model` per document: of the documents `ids` (all when None)."""
    if ids is not None and not ids:
        return {}
    query = select(model.document_id, func.count()).group_by(model.document_id)
    if ids is not None:
        query = query.where(model.document_id.in_(ids))
    return {doc_id: count for doc_id, count in session.execute(query)}


def _document_row(doc: IngestedDocument) -> DocumentRow:
    return DocumentRow(id=doc.document_id, file_name=doc.file_name, path=doc.path, file_format=doc.file_format,
                       content_hash=doc.content_hash, page_count=doc.page_count, department=doc.meta.department,
                       region=doc.meta.region, fiscal_year=doc.meta.fiscal_year, kind=doc.meta.kind,
                       title=doc.meta.title, aliases=list(doc.meta.aliases), unit=doc.meta.unit,
                       level=doc.meta.level, contents=doc.meta.contents, stage="stored")


def _table_values(doc: IngestedDocument) -> list[dict[str, Any]]:
    from ingest.facts import table_kind

    return [{"document_id": doc.document_id, "table_index": i, "table_kind": table_kind(t.title), "title": t.title,
             "unit": t.unit, "pages": list(t.pages), "columns": [list(c) for c in t.columns], "note": t.note}
            for i, t in enumerate(doc.tables)]


def _fact_values(document_id: str, f: TableFact) -> dict:  # type: ignore[type-arg]
    return dict(document_id=document_id, table_index=f.table_index, table_kind=f.table_kind,
                table_title=f.table_title, page=f.page, row_index=f.row_index, row_code=f.row_code,
                row_label=f.row_label, row_path=list(f.row_path), column_path=list(f.column_path),
                column_leaf=f.column_path[-1] if f.column_path else "",
                value=None if f.value is None else str(f.value), text_value=f.text_value, unit=f.unit,
                bbox=list(f.bbox) if f.bbox else None, line_no=f.line_no, sentence=f.sentence,
                dimensions=dict(f.dimensions) or None)


def _fact(r: Row[Any]) -> TableFact:
    return TableFact(document_id=r.document_id, table_index=r.table_index, table_kind=r.table_kind,
                     table_title=r.table_title, page=r.page, row_index=r.row_index, row_code=r.row_code,
                     row_label=r.row_label, row_path=tuple(r.row_path), column_path=tuple(r.column_path),
                     value=None if r.value is None else Decimal(r.value), text_value=r.text_value, unit=r.unit,
                     bbox=tuple(r.bbox) if r.bbox else None, line_no=r.line_no, sentence=r.sentence,  # type: ignore[arg-type]
                     dimensions=dict(r.dimensions or {}))


def _passage_values(p: Passage) -> dict[str, Any]:
    return {"id": p.passage_id, "document_id": p.document_id, "section_path": list(p.section_path), "text": p.text,
            "page_start": p.page_start, "page_end": p.page_end, "char_start": p.char_start, "char_end": p.char_end,
            "kind": p.kind, "line_boxes": [[offset, page, list(box)] for offset, page, box in p.line_boxes] or None}


def _passage(r: Row[Any]) -> Passage:
    return Passage(passage_id=r.id, document_id=r.document_id, section_path=tuple(r.section_path), text=r.text,
                   page_start=r.page_start, page_end=r.page_end, char_start=r.char_start, char_end=r.char_end,
                   kind=r.kind, line_boxes=tuple((o, page, tuple(box)) for o, page, box in r.line_boxes or ()))


def _stored(row: DocumentRow, counts: dict) -> StoredDocument:  # type: ignore[type-arg]
    return StoredDocument(
        document_id=row.id, file_name=row.file_name, path=row.path, file_format=row.file_format,
        content_hash=row.content_hash, page_count=row.page_count, department=row.department, region=row.region,
        fiscal_year=row.fiscal_year, kind=row.kind, title=row.title, aliases=list(row.aliases or []),
        unit=row.unit, level=row.level, contents=row.contents, table_count=counts[TableRow].get(row.id, 0), fact_count=counts[FactRow].get(row.id, 0),
        passage_count=counts[PassageRow].get(row.id, 0), finding_count=counts[FindingRow].get(row.id, 0),
    )
