"""`budgetqa export` as an analyst runs it (a real process, a tmp store holding two real corpus
documents): each kind in each format read back with csv, openpyxl and pyarrow, figures checked against
the PDFs (read with pdfplumber: 普陀区司法局 p.10 收入总计 96,282,213.44 元; 烟台市审计局 p.9
2010801 行政运行 合计 1,535.86 万元), --document filters and errors."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from budgetqa.analyst_export import Kind, columns, write_csv, write_xlsx
from tests.conftest import REPO, corpus_file

PUTUO = "普陀区司法局2026年部门预算.pdf"
YANTAI = "烟台市审计局2026年部门预算.pdf"
FORMATS = ("csv", "parquet", "xlsx")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from budgetqa.library import Library
    from budgetqa.settings import Settings

    library = Library(Settings(data_dir=tmp_path_factory.mktemp("export-store")))
    results = library.ingest([corpus_file(PUTUO), corpus_file(YANTAI)])
    assert all(r.ok for r in results), [r.error for r in results]
    return library


def _cli(library, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(library.settings.data_dir), *args],
                          check=False, capture_output=True, text=True, encoding="utf-8", timeout=300, cwd=REPO)


def _exported(library, tmp_path: Path, kind: Kind, fmt: str) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    """`budgetqa export <kind>` run for real, read back (its rows, and what it said on stderr); its header
    must be the canonical columns."""
    out = tmp_path / f"{kind.value}.{fmt}"
    run = _cli(library, "export", kind.value, "--format", fmt, "--output", str(out))
    assert run.returncode == 0, run.stderr
    header, rows = _read(out, fmt)
    assert header == [name for name, _ in columns(kind)]
    return rows, run.stderr


def _read(path: Path, fmt: str) -> tuple[list[str], list[dict]]:
    """Header and rows of an exported file, read with the format's own reader."""
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read_csv(handle.read())
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return table.schema.names, table.to_pylist()
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).active
    header, *body = [list(row) for row in sheet.iter_rows(values_only=True)]
    return header, [dict(zip(header, row)) for row in body]


def _read_csv(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    found = list(reader)
    return list(reader.fieldnames or []), found


def _num(value: object) -> Decimal | None:
    """A number as written by any format (CSV text, Excel float, Parquet decimal or int)."""
    return None if value in (None, "") else Decimal(str(value))


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


@pytest.mark.parametrize("fmt", FORMATS)
def test_facts_in_each_format(library, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    rows, said = _exported(library, tmp_path, Kind.FACTS, fmt)
    store = library.store
    assert len(rows) == len(store.facts()) == sum(d.fact_count for d in store.documents())
    assert f"{len(rows)} facts rows of 2 documents written to {tmp_path / f'facts.{fmt}'}" in said

    total = next(r for r in rows if r["file_name"] == PUTUO and r["row_label"] == "收入总计" and _num(r["page"]) == 10)
    assert _num(total["value"]) == Decimal("96282213.44") and total["value_text"] == "96,282,213.44"
    assert total["value_unit"] == "元" and total["department"] == "上海市普陀区司法局" and total["kind"] == "部门预算"
    assert total["table_title"] == "2026年部门财务收支预算总表" and total["table_kind"] == "收支预算总表"
    assert total["column_path"] == "本年收入 > 预算数" and total["side"] == "收入" and total["stage"] == "预算数"
    assert _num(total["fiscal_year"]) == 2026 and _text(total["fund"]) is None
    assert all(_num(total[b]) is not None for b in ("box_x0", "box_top", "box_x1", "box_bottom"))

    running = next(r for r in rows if r["file_name"] == YANTAI and r["row_code"] == "2010801"
                   and r["column_path"] == "合计" and r["table_title"] == "收入总体情况表")
    assert _num(running["value"]) == Decimal("1535.86") and running["value_unit"] == "万元"
    assert _num(running["page"]) == 9 and running["row_label"] == "行政运行" and running["fund"] == "合计"
    assert running["region"] == "烟台市" and running["department"] == "烟台市审计局"

    stored = sum(f.value for f in store.facts() if f.value is not None)
    exported = sum(_num(r["value"]) or 0 for r in rows)
    assert abs(exported - stored) < Decimal("0.01") if fmt == "xlsx" else exported == stored  # Excel keeps floats
    narrative = [r for r in rows if _num(r["table_index"]) == -1]
    assert narrative and all(_text(r["sentence"]) for r in narrative)


@pytest.mark.parametrize("fmt", FORMATS)
def test_documents_in_each_format(library, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    rows, _ = _exported(library, tmp_path, Kind.DOCUMENTS, fmt)
    store = library.store
    by_name = {r["file_name"]: r for r in rows}
    assert sorted(by_name) == sorted(d.file_name for d in store.documents()) == sorted([PUTUO, YANTAI])
    for doc in store.documents():
        row = by_name[doc.file_name]
        assert row["document_id"] == doc.document_id and row["content_hash"] == doc.content_hash
        assert _num(row["fact_count"]) == len(store.facts(document_ids=[doc.document_id]))
        assert _num(row["passage_count"]) == len(store.passages([doc.document_id]))
        assert _num(row["finding_count"]) == len(store.findings(doc.document_id))
    assert by_name[PUTUO]["department"] == "上海市普陀区司法局" and _num(by_name[PUTUO]["page_count"]) == 23
    assert by_name[PUTUO]["region"] == "上海市普陀区" and by_name[PUTUO]["level"] == "区县级"
    assert "区司法局" in str(by_name[PUTUO]["aliases"]).split("; ")
    assert by_name[YANTAI]["department"] == "烟台市审计局" and _num(by_name[YANTAI]["page_count"]) == 38
    assert by_name[YANTAI]["kind"] == "部门预算" and _num(by_name[YANTAI]["fiscal_year"]) == 2026


@pytest.mark.parametrize("fmt", FORMATS)
def test_findings_in_each_format(library, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    rows, _ = _exported(library, tmp_path, Kind.FINDINGS, fmt)
    stored = library.store.findings()
    assert len(rows) == len(stored) > 0
    names = {d.document_id: d.file_name for d in library.store.documents()}
    assert sorted((names[d], f.check, f.page, f.message) for d, f in stored) == \
        sorted((r["file_name"], r["check"], _num(r["page"]), r["message"]) for r in rows)
    rounding = next(r for r in rows if str(r["where"]).startswith("收入总体情况表 · 20108 审计事务 · 合计"))
    assert rounding["file_name"] == YANTAI and rounding["severity"] == "rounding" and _num(rounding["page"]) == 9
    assert rounding["found"] == "2,731.79"  # as printed in the PDF


def test_csv_to_stdout_filtered_by_document(library) -> None:  # type: ignore[no-untyped-def]
    putuo = library.store.documents_named(PUTUO)[0]
    yantai = library.store.documents_named(YANTAI)[0]
    run = _cli(library, "export", "facts", "--document", PUTUO)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("\ufeffdocument_id,")  # UTF-8 with BOM, as Excel wants it
    _, rows = _read_csv(run.stdout.removeprefix("\ufeff"))
    assert len(rows) == putuo.fact_count == len(library.store.facts(document_ids=[putuo.document_id]))
    assert {r["file_name"] for r in rows} == {PUTUO} and {r["department"] for r in rows} == {"上海市普陀区司法局"}

    both = _cli(library, "export", "findings", "-d", yantai.document_id, "-d", PUTUO)
    _, rows = _read_csv(both.stdout.removeprefix("\ufeff"))
    assert both.returncode == 0 and len(rows) == yantai.finding_count + putuo.finding_count

    only = _cli(library, "export", "documents", "-d", yantai.document_id[:8])  # an id prefix works too
    _, rows = _read_csv(only.stdout.removeprefix("\ufeff"))
    assert [r["file_name"] for r in rows] == [YANTAI]


def test_unknown_document_and_binary_to_terminal_are_refused(library, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "facts.csv"
    bad = _cli(library, "export", "facts", "--document", PUTUO, "--document", "不存在的部门2026年部门预算.pdf",
               "--output", str(out))
    assert bad.returncode != 0 and "'不存在的部门2026年部门预算.pdf'" in bad.stderr
    assert PUTUO not in bad.stderr and not out.exists() and bad.stdout == ""

    binary = _cli(library, "export", "facts", "--format", "xlsx")
    assert binary.returncode != 0 and "--output" in binary.stderr and binary.stdout == ""

    inferred = _cli(library, "export", "documents", "-o", str(tmp_path / "docs.xlsx"))  # format from the suffix
    assert inferred.returncode == 0, inferred.stderr
    assert len(_read(tmp_path / "docs.xlsx", "xlsx")[1]) == 2


def test_spreadsheets_never_run_document_text_as_formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cols = (("label", "str"), ("value", "decimal"))
    rows = [("=HYPERLINK(\"http://x\",\"点击\")", Decimal("1.50")), ("-1,234.00", Decimal("-1234.00")),
            ("公务用车购置及运行费", None)]
    handle = io.StringIO()
    assert write_csv(cols, rows, handle) == 3
    _, back = _read_csv(handle.getvalue())
    assert [r["label"] for r in back] == ["'=HYPERLINK(\"http://x\",\"点击\")", "-1,234.00", "公务用车购置及运行费"]
    assert [r["value"] for r in back] == ["1.50", "-1234.00", ""]

    monkeypatch.setattr("budgetqa.analyst_export.XLSX_MAX_ROWS", 2)  # a sheet is full after 2 rows
    path = tmp_path / "x.xlsx"
    assert write_xlsx(cols, rows, path, "facts") == 3
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames == ["facts", "facts 2"]
    assert book["facts"]["A2"].value == "=HYPERLINK(\"http://x\",\"点击\")" and book["facts"]["A2"].data_type == "s"
    assert book["facts 2"]["A2"].value == "公务用车购置及运行费" and book["facts"]["B3"].value == -1234
