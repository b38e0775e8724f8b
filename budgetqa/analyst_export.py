"""Whole-library exports for analysts: every fact, document or finding of the store (or of chosen
documents) as one long table with canonical columns, written as CSV (UTF-8 with BOM, so that Excel
reads the Chinese), Parquet (pyarrow, the `parquet` extra) or Excel (openpyxl).

Rows are streamed one document at a time, so an export of a large library never holds more than
one document's facts in memory. (`budgetqa/exports.py` is the app's other export: one table rebuilt
as its printed grid.)

    docs = select_documents(store, ["普陀区司法局2026年部门预算.pdf"])
    count = export(store, Kind.FACTS, Format.XLSX, docs, Path("facts.xlsx"))
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from budgetqa.models import Finding, StoredDocument, TableFact

if TYPE_CHECKING:
    from index.store import Store


class Kind(str, Enum):
    """What to export: one row per fact, per document or per finding."""

    FACTS = "facts"
    DOCUMENTS = "documents"
    FINDINGS = "findings"


class Format(str, Enum):
    """How to write it. Only CSV is text and can go to standard output."""

    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says what to do instead."""


# (name, type) of each column; types: "str", "int", "decimal" (exact, money), "float"
Column = tuple[str, str]
_IDENTITY: tuple[Column, ...] = (
    ("document_id", "str"), ("file_name", "str"), ("department", "str"), ("budget_unit", "str"),
    ("region", "str"), ("fiscal_year", "int"), ("kind", "str"))
_DOCUMENT_COLUMNS: tuple[Column, ...] = _IDENTITY + (
    ("level", "str"), ("contents", "str"), ("title", "str"), ("aliases", "str"), ("file_format", "str"),
    ("path", "str"), ("page_count", "int"), ("table_count", "int"), ("fact_count", "int"),
    ("passage_count", "int"), ("finding_count", "int"), ("content_hash", "str"))
_FINDING_COLUMNS: tuple[Column, ...] = _IDENTITY + (
    ("check", "str"), ("severity", "str"), ("page", "int"), ("where", "str"), ("expected", "str"),
    ("found", "str"), ("message", "str"))
_BOX = ("box_x0", "box_top", "box_x1", "box_bottom")  # PDF points, origin top-left, as models.BBox
PARQUET_SCALE = 10  # decimals kept by Parquet's decimal128(38, 10) value column
_BATCH = 2000  # rows per Parquet row group slice and per progress report
XLSX_MAX_ROWS = 1_048_575  # data rows per Excel sheet (plus the header row); more go to a next sheet


def fact_dimensions() -> tuple[str, ...]:
    """The canonical column dimensions (side, fund, nature, stage), in the order of ingest/data/tables.toml."""
    from ingest.tables import rules

    return tuple(entry["name"] for entry in rules()["dimension"])


def columns(kind: Kind) -> tuple[Column, ...]:
    """The canonical columns of one kind of export."""
    if kind is Kind.DOCUMENTS:
        return _DOCUMENT_COLUMNS
    if kind is Kind.FINDINGS:
        return _FINDING_COLUMNS
    return _IDENTITY + (
        ("table_index", "int"), ("table_kind", "str"), ("table_title", "str"), ("page", "int"),
        ("row_index", "int"), ("row_code", "str"), ("row_label", "str"), ("row_path", "str"),
        ("column_path", "str"), *((name, "str") for name in fact_dimensions()),
        ("value", "decimal"), ("value_text", "str"), ("value_unit", "str"), ("sentence", "str"),
        *((name, "float") for name in _BOX), ("line_no", "int"))


# ---- which documents ----------------------------------------------------------------------------
def select_documents(store: Store, keys: Sequence[str] = ()) -> list[StoredDocument]:
    """The stored documents named by id, id prefix (6+ characters), file name or stored path, in the
    store's order; every stored document when no key is given. Raises ExportError naming each unknown key."""
    stored = store.documents()
    if not keys:
        return stored
    chosen: set[str] = set()
    unknown: list[str] = []
    for key in keys:
        matches = _matching(stored, key)
        if not matches:
            unknown.append(key)
        chosen.update(d.document_id for d in matches)
    if unknown:
        names = ", ".join(f"'{k}'" for k in unknown)
        raise ExportError(f"no document{'s' * (len(unknown) > 1)} {names} in the store: give a document id or file name "
                          "(`budgetqa documents` lists them)")
    return [d for d in stored if d.document_id in chosen]


def _matching(stored: list[StoredDocument], key: str) -> list[StoredDocument]:
    exact = [d for d in stored if key == d.document_id]
    if exact:
        return exact
    named = [d for d in stored if key in (d.file_name, d.path) or str(Path(key).resolve()) == d.path]
    if named:
        return named  # a same-named file in another folder is another document: all of them
    prefixed = [d for d in stored if len(key) >= 6 and d.document_id.startswith(key)]
    if len(prefixed) > 1:
        raise ExportError(f"'{key}' is the start of {len(prefixed)} document ids: give more of the id")
    return prefixed


def row_count(kind: Kind, docs: Iterable[StoredDocument]) -> int:
    """How many rows an export of these documents has (the store's own counts)."""
    if kind is Kind.DOCUMENTS:
        return sum(1 for _ in docs)
    if kind is Kind.FINDINGS:
        return sum(d.finding_count for d in docs)
    return sum(d.fact_count for d in docs)


# ---- rows -----------------------------------------------------------------------------------------
def rows(store: Store, kind: Kind, docs: Iterable[StoredDocument]) -> Iterator[tuple[Any, ...]]:
    """The export's rows, one document's worth read from the store at a time."""
    dimensions = fact_dimensions()
    for doc in docs:
        if kind is Kind.DOCUMENTS:
            yield _document_row(doc)
        elif kind is Kind.FINDINGS:
            yield from (_finding_row(doc, f) for _, f in store.findings(doc.document_id))
        else:
            yield from (_fact_row(doc, f, dimensions) for f in store.facts(document_ids=[doc.document_id]))


def _identity(doc: StoredDocument) -> tuple[Any, ...]:
    return (doc.document_id, doc.file_name, doc.department, doc.unit, doc.region, doc.fiscal_year, doc.kind)


def _document_row(doc: StoredDocument) -> tuple[Any, ...]:
    return (*_identity(doc), doc.level, doc.contents, doc.title, _joined(doc.aliases, "; "), doc.file_format,
            doc.path, doc.page_count, doc.table_count, doc.fact_count, doc.passage_count, doc.finding_count,
            doc.content_hash)


def _finding_row(doc: StoredDocument, f: Finding) -> tuple[Any, ...]:
    return (*_identity(doc), f.check, f.severity, f.page, f.where, f.expected, f.found, f.message)


def _fact_row(doc: StoredDocument, f: TableFact, dimensions: tuple[str, ...]) -> tuple[Any, ...]:
    box = tuple(f.bbox) if f.bbox else (None,) * len(_BOX)
    return (*_identity(doc), f.table_index, f.table_kind, f.table_title, f.page, f.row_index, f.row_code,
            f.row_label, _joined(f.row_path), _joined(f.column_path), *(f.dimensions.get(d) for d in dimensions),
            f.value, f.text_value, f.unit, f.sentence, *box, f.line_no)


def _joined(parts: Sequence[str], separator: str = " > ") -> str | None:
    return separator.join(parts) or None  # nothing printed is empty in every format, never ""


# ---- writing --------------------------------------------------------------------------------------
def export(store: Store, kind: Kind, fmt: Format, docs: Sequence[StoredDocument], output: Path | IO[str],
           progress: Callable[[int], None] | None = None) -> int:
    """Write the export of `docs` to a file path (any format) or an open text stream (CSV only);
    `progress` is called with the number of rows written since its last call. Returns the row count.
    A file is written under a temporary name and renamed when complete: a failed export leaves none."""
    kind, fmt = Kind(kind), Format(fmt)
    cols = columns(kind)
    counted = _counting(rows(store, kind, docs), progress)
    if not isinstance(output, Path):
        if fmt is not Format.CSV:
            raise ExportError(f"{fmt.value} is a binary format: give an output file (--output PATH)")
        return write_csv(cols, counted, output)
    writer = {Format.CSV: _csv_file, Format.PARQUET: write_parquet, Format.XLSX: write_xlsx}[fmt]
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    try:
        count = writer(cols, counted, partial, kind.value)  # type: ignore[operator]
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _counting(source: Iterator[tuple[Any, ...]], progress: Callable[[int], None] | None) -> Iterator[tuple[Any, ...]]:
    pending = 0
    for row in source:
        yield row
        pending += 1
        if progress and pending == _BATCH:
            progress(pending)
            pending = 0
    if progress and pending:
        progress(pending)


_NUMBER = re.compile(r"[+-]?[\d,]*\.?\d+%?")


def _formula_safe(text: str) -> str:
    """Text that a spreadsheet would run as a formula (a cell of a hostile upload reading
    '=HYPERLINK(…)') gets a leading apostrophe; printed numbers such as '-1,234.00' stay as they are."""
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not _NUMBER.fullmatch(text)):
        return "'" + text
    return text


def _csv_cell(value: Any, type_: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, never scientific notation
    return _formula_safe(str(value)) if type_ == "str" else str(value)


def write_csv(cols: Sequence[Column], source: Iterable[tuple[Any, ...]], handle: IO[str]) -> int:
    """CSV with a header row onto an open text stream (opened with newline=""). Returns the row count."""
    writer = csv.writer(handle)
    writer.writerow([name for name, _ in cols])
    types = [type_ for _, type_ in cols]
    count = 0
    for count, row in enumerate(source, start=1):
        writer.writerow([_csv_cell(v, t) for v, t in zip(row, types)])
    return count


def _csv_file(cols: Sequence[Column], source: Iterable[tuple[Any, ...]], path: Path, _sheet: str) -> int:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        return write_csv(cols, source, handle)


def write_parquet(cols: Sequence[Column], source: Iterable[tuple[Any, ...]], path: Path, _name: str = "") -> int:
    """Parquet with typed columns (value as decimal128(38, 10), exact), written in slices of rows."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ExportError("parquet export needs pyarrow: pip install 'budgetqa[parquet]'") from error
    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(),
             "decimal": pa.decimal128(38, PARQUET_SCALE)}
    schema = pa.schema([(name, types[type_]) for name, type_ in cols])
    decimals = [i for i, (_, type_) in enumerate(cols) if type_ == "decimal"]
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in _batches(source):
            batch = [_scaled(row, decimals) for row in batch] if decimals else batch
            arrays = [pa.array(values, type=field.type) for values, field in zip(zip(*batch), schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def _batches(source: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in source:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


_QUANTUM = Decimal(1).scaleb(-PARQUET_SCALE)


def _scaled(row: tuple[Any, ...], decimals: list[int]) -> tuple[Any, ...]:
    # a figure printed with more than 10 decimals is rounded to 10 rather than refused
    if all(row[i] is None or row[i].as_tuple().exponent >= -PARQUET_SCALE for i in decimals):
        return row
    return tuple(v.quantize(_QUANTUM) if i in decimals and v is not None else v for i, v in enumerate(row))


def write_xlsx(cols: Sequence[Column], source: Iterable[tuple[Any, ...]], path: Path, sheet: str = "export") -> int:
    """An Excel workbook written row by row (openpyxl's write-only mode): a bold, frozen header row;
    past Excel's 1,048,576 rows a next sheet `<sheet> 2` goes on. Text is never read as a formula."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    header = [name for name, _ in cols]
    worksheet, sheets, sheet_rows, count = None, 0, 0, 0
    for row in source:
        if worksheet is None or sheet_rows == XLSX_MAX_ROWS:
            sheets += 1
            worksheet, sheet_rows = _xlsx_sheet(workbook, sheet, sheets, header), 0
        worksheet.append([_xlsx_text(worksheet, v) if isinstance(v, str) else v for v in row])
        sheet_rows += 1
        count += 1
    if worksheet is None:
        _xlsx_sheet(workbook, sheet, 1, header)
    workbook.save(path)
    return count


def _xlsx_text(worksheet: Any, value: str) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(worksheet, ILLEGAL_CHARACTERS_RE.sub("", value))  # control characters break the file
    cell.data_type = "s"  # a string starting with '=' stays a string, never a formula
    return cell


def _xlsx_sheet(workbook: Any, name: str, number: int, header: list[str]) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    worksheet = workbook.create_sheet(name if number == 1 else f"{name} {number}")
    worksheet.freeze_panes = "A2"
    cells = []
    for title in header:
        cell = WriteOnlyCell(worksheet, title)
        cell.font = bold
        cells.append(cell)
    worksheet.append(cells)
    return worksheet
