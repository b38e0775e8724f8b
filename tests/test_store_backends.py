"""The same store tests on SQLite and on a real PostgreSQL server (tests/pg.py): a real corpus document
saved, read back identically, replaced and deleted; findings; text no VARCHAR limit refuses; a failed save
leaves nothing behind; re-ingest is a no-op; and the command line (ingest, documents, ask, findings,
eval, remove) answers the same on both."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from budgetqa.library import Library
from budgetqa.models import Finding, IngestedDocument, Passage, TableFact
from budgetqa.settings import Settings
from index.store import Store
from tests.conftest import corpus_file

SFJ = "普陀区司法局2026年部门预算.pdf"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module")
def sfj() -> IngestedDocument:
    """普陀区司法局2026年部门预算.pdf read once (no store)."""
    from ingest.pipeline import build_document

    return build_document(corpus_file(SFJ))


def new_version(doc: IngestedDocument, **changes) -> IngestedDocument:  # type: ignore[no-untyped-def]
    """The document as if its file had changed: another hash and id, the same content."""
    content_hash = hashlib.sha256(doc.content_hash.encode()).hexdigest()
    new_id = content_hash[:16]
    return dataclasses.replace(
        doc, document_id=new_id, content_hash=content_hash,
        facts=[dataclasses.replace(f, document_id=new_id) for f in doc.facts],
        passages=[dataclasses.replace(p, document_id=new_id, passage_id=p.passage_id.replace(doc.document_id, new_id))
                  for p in doc.passages], **changes)


def test_a_corpus_document_round_trips(store_url: str, sfj: IngestedDocument) -> None:
    store = Store(store_url)
    store.save(sfj)
    [stored] = store.documents()
    assert (stored.document_id, stored.file_name, stored.department, stored.fiscal_year, stored.kind) == (
        sfj.document_id, SFJ, "上海市普陀区司法局", 2026, "部门预算")
    assert (stored.fact_count, stored.passage_count, stored.table_count) == (
        len(sfj.facts), len(sfj.passages), len(sfj.tables))
    assert stored.aliases == list(sfj.meta.aliases) and stored.content_hash == sfj.content_hash
    assert store.document(SFJ) == store.document(sfj.document_id[:8]) == stored

    facts = store.facts([sfj.document_id])
    assert facts == sfj.facts  # every field: exact Decimal values (trailing zeros kept), paths, boxes, dimensions
    assert [str(f.value) for f in facts] == [str(f.value) for f in sfj.facts]
    sangong = [f for f in sfj.facts if f.table_kind == "三公经费"]
    assert sangong and store.facts(table_kind="三公经费") == sangong
    code = next(f.row_code for f in sfj.facts if f.row_code)
    assert store.facts(row_code=code) == [f for f in sfj.facts if f.row_code == code]
    assert store.facts(table_index=1) == [f for f in sfj.facts if f.table_index == 1]
    # page breaks inside a passage serve ingestion only and are not stored
    assert store.passages([sfj.document_id]) == [dataclasses.replace(p, page_breaks=()) for p in sfj.passages]
    assert store.sections(sfj.document_id) == sfj.sections
    assert [t["title"] for t in store.tables(sfj.document_id)] == [t.title for t in sfj.tables]
    assert store.unindexed() == [(sfj.document_id, "stored")]
    store.mark_indexed(sfj.document_id)
    assert store.unindexed() == []


def test_replace_and_delete(store_url: str, sfj: IngestedDocument) -> None:
    store = Store(store_url)
    store.save(sfj)
    counts = store.row_counts()
    changed = new_version(sfj)
    store.save(changed, replaces=[sfj.document_id])
    assert [d.document_id for d in store.documents()] == [changed.document_id]
    assert store.row_counts() == counts
    assert store.facts() == changed.facts
    assert store.delete_document(changed.document_id) and not store.delete_document(changed.document_id)
    assert set(store.row_counts().values()) == {0}


def test_documents_come_back_in_one_order(store_url: str, sfj: IngestedDocument) -> None:
    """Sorted by department, year, file name with a missing department first: the same on every backend
    (PostgreSQL's collation and NULL placement would differ from SQLite's)."""
    store = Store(store_url)
    meta = sfj.meta
    versions = [
        new_version(sfj, file_name="b.pdf", meta=dataclasses.replace(meta, department="上海市普陀区审计局")),
        new_version(new_version(sfj), file_name="a.pdf", meta=dataclasses.replace(meta, department=None)),
        new_version(new_version(new_version(sfj)), file_name="c.pdf",
                    meta=dataclasses.replace(meta, department="Zentrum", fiscal_year=None)),
        sfj,
    ]
    for doc in versions:
        store.save(doc)
    assert [d.file_name for d in store.documents()] == ["a.pdf", "c.pdf", SFJ, "b.pdf"]


def test_every_change_of_the_library_changes_its_revision(store_url: str, sfj: IngestedDocument) -> None:
    """A store keeps its list of documents until its revision changes; the database's triggers raise it
    for every writer: another Store (another engine, as another process has), another process, a plain
    UPDATE. A save that fails changes nothing, so the revision stays."""
    import subprocess
    import sys

    from sqlalchemy import text

    reader, writer = Store(store_url), Store(store_url)
    assert reader.documents() == [] and reader.revision() is not None
    seen = {reader.revision()}
    writer.save(sfj)
    assert [d.document_id for d in reader.documents()] == [sfj.document_id]
    seen.add(reader.revision())
    writer.mark_indexed(sfj.document_id)
    seen.add(reader.revision())
    with writer.engine.begin() as connection:
        connection.execute(text("UPDATE documents SET department = '上海市普陀区审计局'"))
    assert reader.documents()[0].department == "上海市普陀区审计局"
    seen.add(reader.revision())
    broken = new_version(sfj)
    broken.passages.append(broken.passages[0])
    with pytest.raises(IntegrityError):
        writer.save(broken, replaces=[sfj.document_id])
    assert reader.revision() in seen and [d.document_id for d in reader.documents()] == [sfj.document_id]
    remove = f"from index.store import Store; assert Store({store_url!r}).delete_document({sfj.document_id!r})"
    subprocess.run([sys.executable, "-c", remove], check=True, cwd=Path(__file__).resolve().parents[1])
    assert reader.documents() == []
    seen.add(reader.revision())
    assert len(seen) == 5


def test_findings_round_trip(store_url: str, sfj: IngestedDocument) -> None:
    findings = [
        Finding("column_sum", "表3 p.8 “合计”列", "96,282,213.44", "96,282,213.45", 8, "合计 ≠ 基本 + 项目", "rounding"),
        Finding("table_vs_narrative", "正文 p.2", "10.81万元", "99.00万元", None, "文字与表格不一致"),
    ]
    store = Store(store_url)
    store.save(dataclasses.replace(sfj, findings=findings))
    other = new_version(sfj, findings=[Finding("code_sum", "表5", "1", "2", 12, "类 ≠ Σ款")])
    store.save(other)
    assert store.findings(sfj.document_id) == [(sfj.document_id, f) for f in findings]
    assert [f.check for _, f in store.findings()] == ["column_sum", "table_vs_narrative", "code_sum"]
    assert store.document(sfj.document_id).finding_count == 2  # type: ignore[union-attr]
    chosen = store.document_by_hash(other.content_hash)  # counted over the documents selected only
    assert chosen is not None and (chosen.finding_count, chosen.fact_count) == (1, len(other.facts))


def test_printed_text_has_no_length_limit_and_no_nul(store_url: str, sfj: IngestedDocument) -> None:
    """A 300-character column header, a long row code and unit are kept whole (PostgreSQL would refuse
    them in the VARCHAR(n) columns of the first schema); a NUL character is dropped on both backends."""
    header = "其中：" + "政府购买服务项目支出" * 30
    fact = TableFact(document_id=sfj.document_id, table_index=0, table_kind="其他", table_title="表\x00一", page=1,
                     row_index=0, row_code="2040699-" + "9" * 20, row_label="其他司法支出", row_path=(),
                     column_path=("预算数", header), value=None, text_value="≥130人", unit="台（套）每年度计")
    passage = Passage(f"{sfj.document_id}:x", sfj.document_id, ("正文",), "一段\x00文字", 1, 1, 0, 5)
    department = "上海市普陀区" + "司法局" * 80
    store = Store(store_url)
    store.save(dataclasses.replace(sfj, facts=[fact], passages=[passage],
                                   meta=dataclasses.replace(sfj.meta, department=department)))
    [back] = store.facts()
    assert back == dataclasses.replace(fact, table_title="表一")
    assert store.passages()[0].text == "一段文字"
    assert store.documents()[0].department == department


def test_a_failed_save_leaves_no_partial_rows(store_url: str, sfj: IngestedDocument) -> None:
    """A replacement that fails half-way (two passages with one id: the rows before it were already
    written) rolls back whole: the old version is still there, nothing of the new one."""
    store = Store(store_url)
    store.save(sfj)
    before = store.row_counts()
    broken = new_version(sfj)
    broken.passages.append(broken.passages[0])
    with pytest.raises(IntegrityError):
        store.save(broken, replaces=[sfj.document_id])
    assert store.row_counts() == before
    assert [d.document_id for d in store.documents()] == [sfj.document_id]
    assert store.facts() == sfj.facts


def test_library_reingest_is_a_noop_and_a_failed_index_rolls_back(store_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    library = Library(Settings(data_dir=tmp_path / "data", database_url=store_url))
    first = library.ingest_file(corpus_file(SFJ))
    counts, indexed = library.store.row_counts(), library.passage_index.count()
    second = library.ingest_file(corpus_file(SFJ))
    assert (first.status, second.status) == ("added", "unchanged"), first.error
    assert library.store.row_counts() == counts and library.passage_index.count() == indexed
    assert library.store.unindexed() == []

    def broken_add(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(library.passage_index, "add_entries", broken_add)
    result = library.ingest_file(corpus_file("普陀区人民政府办公室2025年部门预算.pdf"))
    assert result.status == "failed" and "nothing was kept" in (result.error or "")
    assert library.store.row_counts() == counts and library.passage_index.count() == indexed


def _cli(*args: str) -> str:
    from typer.testing import CliRunner

    from budgetqa.cli import app

    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _session(flags: list[str], tmp_path: Path, eval_set: Path, questions: list[str]) -> dict:
    """What a user sees from one store: ingest, documents, ask --json, findings, eval, remove."""
    out: dict = {"ingest": _cli(*flags, "ingest", str(corpus_file(SFJ))).splitlines()[-1]}
    out["documents"] = json.loads(_cli(*flags, "documents", "--json"))
    out["answers"] = [{k: v for k, v in json.loads(_cli(*flags, "ask", question, "--json")).items() if k != "latency_ms"}
                      for question in questions]
    out["findings"] = json.loads(_cli(*flags, "findings", "--json"))
    report = tmp_path / f"report-{len(flags)}"
    _cli(*flags, "eval", str(eval_set), "--report", str(report))
    rows = json.loads((report / "report.json").read_text(encoding="utf-8"))["questions"]
    out["eval"] = [{k: v for k, v in row.items() if k != "latency_ms"} for row in rows]
    for row in out["eval"]:
        row.get("response", {}).pop("latency_ms", None)
    assert _cli(*flags, "remove", SFJ).startswith("removed")
    out["after_remove"] = json.loads(_cli(*flags, "documents", "--json"))
    return out


def test_cli_gives_the_same_answers_on_sqlite_and_postgresql(tmp_path: Path, postgres_url: str) -> None:
    eval_set = tmp_path / "sfj.jsonl"
    lines = (Path(__file__).resolve().parents[1] / "eval" / "sets" / "budgetqa.jsonl").read_text(encoding="utf-8")
    eval_set.write_text("\n".join(line for line in lines.splitlines() if f'"document": "{SFJ}"' in line) + "\n",
                        encoding="utf-8")
    questions = ["区司法局2026年三公经费多少？", "区司法局2026年基本支出占总支出的比例是多少？",
                 "区司法局在社区矫正方面负责什么？"]
    on_sqlite = _session(["--data-dir", str(tmp_path / "sqlite")], tmp_path, eval_set, questions)
    on_postgres = _session(["--data-dir", str(tmp_path / "pg"), "--database-url", postgres_url], tmp_path,
                           eval_set, questions)
    assert on_sqlite["ingest"] == "1 of 1 files ingested"
    assert on_sqlite["answers"][0]["value"] == 10.81 and on_sqlite["answers"][0]["citations"]
    assert len(on_sqlite["eval"]) >= 40 and sum(row["correct"] for row in on_sqlite["eval"]) >= 35
    assert on_sqlite["after_remove"] == []
    assert on_postgres == on_sqlite
