"""The app's plain-data views on the real corpus store (no browser): department search by name part,
short form, level and region; findings and ingestion errors in Chinese; library filters and order;
example questions per kind that the documents answer; citations naming their document; long quotes folded.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from budgetqa.settings import Settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def documents(corpus_settings):  # type: ignore[no-untyped-def]
    from index.store import Store

    return Store(corpus_settings.resolved_database_url).documents()


def test_department_search_finds_name_parts_short_forms_levels_and_regions(documents) -> None:
    from budgetqa.department_search import department_entries, region_choices, search_departments

    entries = department_entries(documents)
    names = lambda found: {e.name for e in found}
    assert names(search_departments(entries, "信访")) == {"国家信访局", "广州市信访局", "深圳市信访局"}
    assert names(search_departments(entries, " 信访 ", level="中央")) == {"国家信访局"}
    assert names(search_departments(entries, "信访", region="广东省")) == {"广州市信访局", "深圳市信访局"}
    assert names(search_departments(entries, "区政府办")) == {"上海市普陀区人民政府办公室"}  # a short form
    assert names(search_departments(entries, "省法院")) == {"江苏省高级人民法院"}
    assert names(search_departments(entries, "医保局")) == {"福州市医疗保障局"}
    assert names(search_departments(entries, "普陀区司法局2026年")) == {"上海市普陀区司法局"}
    assert search_departments(entries, "不存在的机关") == []
    court = next(e for e in entries if e.name == "江苏省高级人民法院")
    assert court.label == "江苏省高级人民法院（江苏省 · 省级 · 2017–2019年 · 部门预算）"
    assert next(e.level for e in entries) == "中央"  # grouped by level: 中央, 省级, 市级, 区县级
    regions = [value for _, value in region_choices(entries)]
    assert regions.index("广东省") < regions.index("深圳市") and "上海市普陀区" in regions


def test_every_check_ingestion_writes_is_explained_in_chinese() -> None:
    from budgetqa.finding_text import wording

    written = {name for path in (REPO / "ingest").glob("*.py")
               for name in re.findall(r'check="(\w+)"', path.read_text(encoding="utf-8"))}
    assert {"column_sum", "code_sum", "table_vs_narrative", "instruction_text"} <= written
    assert written <= set(wording()["checks"]), written - set(wording()["checks"])


def test_findings_of_the_corpus_read_in_chinese(corpus_settings, documents) -> None:
    from budgetqa.finding_text import findings_frame, findings_note
    from index.store import Store

    store = Store(corpus_settings.resolved_database_url)
    with_findings = [d for d in documents if d.finding_count]
    assert len(with_findings) >= 3
    kinds = set()
    for document in with_findings:
        frame = findings_frame(store.findings(document.document_id))
        assert len(frame) == document.finding_count
        for row in frame.itertuples(index=False):
            for cell in row:
                assert not re.search(r"\b(sum|of|sub-items|empty|is not|differs|p\.\d)", str(cell)), (document.file_name, cell)
            kinds.add(row.性质.split("：")[0])
            assert row.页码.startswith("第") and "（第" in row.位置 or row.位置.startswith("正文第")
        assert "项疑似提取错误" in findings_note(document, store.findings(document.document_id))
    assert kinds == {"舍入差异", "疑似提取错误"}
    assert findings_note(None, []).startswith("请先在上方选择一个文档")


def test_ingestion_errors_are_shown_in_chinese(tmp_path: Path) -> None:
    from budgetqa.library import Library
    from budgetqa.library_view import result_rows, results_summary

    files = {"空的.pdf": b"", "损坏的.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 40, "改名的.pdf": b"PK\x03\x04 zip",
             "说明.docx": b"PK\x03\x04", "菜谱.txt": "红烧肉的做法：五花肉切块，加酱油焖一小时。\n".encode()}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    results = Library(Settings(data_dir=tmp_path / "data")).ingest([tmp_path / name for name in files])
    assert not any(r.ok for r in results)
    summary = results_summary(results)
    for english in ("empty", "corrupt", "re-download", "not a PDF", "unsupported", "not a budget", "give a"):
        assert english not in summary, (english, summary)
    for chinese in ("文件是空的", "PDF 文件已损坏或不完整", "不是 PDF 文件", "不支持的文件类型“.docx”", "不是预算公开文件"):
        assert chinese in summary, (chinese, summary)
    assert list(result_rows(results)["说明"]) and all("：" in text for text in result_rows(results)["说明"])


def test_library_filters_by_region_year_kind_findings_and_sorts(documents) -> None:
    from budgetqa.library_view import filter_documents, library_rows

    assert len(documents) >= 20
    jiangsu = filter_documents(documents, region="江苏省")
    assert jiangsu and all(d.region in ("江苏省", "苏州市") for d in jiangsu)
    assert any(d.region == "苏州市" for d in jiangsu)  # a province holds its cities
    flagged = filter_documents(documents, findings="有发现问题", sort="按发现问题（多→少）")
    assert flagged and all(d.finding_count for d in flagged)
    assert [d.finding_count for d in flagged] == sorted((d.finding_count for d in flagged), reverse=True)
    final = filter_documents(documents, kind="部门决算", year="2024")
    assert [d.department for d in final] == ["国家信访局"]
    newest_first = filter_documents(documents, sort="按年度（新→旧）")
    assert [d.fiscal_year for d in newest_first] == sorted((d.fiscal_year or 0 for d in documents), reverse=True)
    assert list(library_rows(documents, region="广东省")["地区"]) == ["佛山市", "广州市", "深圳市"]


def test_example_questions_cover_several_kinds_and_each_is_answered(corpus_settings, documents) -> None:
    from budgetqa.ui import BudgetApp

    app = BudgetApp(corpus_settings)
    examples = app.examples()
    labels = [e.label for e in examples]
    assert len(set(labels)) == len(labels) >= 4
    assert {"单项数字", "占比", "决算与预算", "排名"} <= set(labels), labels
    departments = {d.department for d in documents}
    for example in examples:
        answer = app.ask(example.question, None, None, None)
        assert answer.found and answer.citations, (example, answer.answer)
        assert example.label == "排名" or any(name in example.question for name in departments)
    assert app.examples() is examples  # asked once per set of documents


def test_citation_label_names_document_year_kind_place_and_page(corpus_settings) -> None:
    from budgetqa.ui import BudgetApp
    from budgetqa.views import citation_label, cited_document, documents_by_id

    app = BudgetApp(corpus_settings)
    answer = app.ask("国家信访局2024年购房补贴决算是多少？", None, None, None)
    by_id = documents_by_id(app.store)
    labels = [citation_label(n, c, cited_document(c, by_id)) for n, c in enumerate(answer.citations, start=1)]
    assert labels[0].startswith("[1] 国家信访局2024年度部门决算.pdf 第9页")
    assert "支出决算表 · 2210203 购房补贴" in labels[0] and labels[0].endswith("｜ 国家信访局 · 2024年 · 部门决算")


def test_a_long_passage_folds_and_keeps_all_its_text(corpus_settings) -> None:
    from budgetqa.ui import BudgetApp
    from budgetqa.views import folded

    answer = BudgetApp(corpus_settings).ask("上海市普陀区人民政府万里街道办事处的主要职能是什么？", None, None, None)
    assert answer.found and len(answer.answer) > 300
    shown = folded(answer.answer)
    assert "<details><summary>展开全文" in shown
    plain = re.sub(r"<[^>]+>|\s|展开全文（另有 \d+ 字）", "", shown)
    assert plain == re.sub(r"\s", "", answer.answer)
    assert folded("短的回答。") == "短的回答。"
