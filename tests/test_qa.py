"""Question answering: parsing (departments, years, items, operations, ambiguity) on a catalog made
of real metadata, end-to-end answers on the real corpus for each route and for refusals, the
LangChain runnable, and the LLM number guard with LangChain's fake chat models."""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from budgetqa.models import Answer, Citation, StoredDocument
from qa.phrasing import numbers_supported, phrase_with_llm
from qa.understand import Catalog, parse_question


def _doc(doc_id: str, department: str, year: int, aliases: list[str], file_name: str) -> StoredDocument:
    return StoredDocument(document_id=doc_id, file_name=file_name, path="", file_format="pdf", content_hash=doc_id,
                          page_count=1, department=department, region=None, fiscal_year=year, kind="部门预算",
                          title=None, aliases=aliases, table_count=0, fact_count=0, passage_count=0, finding_count=0)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    from ingest.meta import department_aliases as aliases

    docs = [
        _doc("a", "上海市普陀区人民政府办公室", 2025, aliases("上海市普陀区人民政府办公室"), "普陀区人民政府办公室2025年部门预算.pdf"),
        _doc("b", "上海市普陀区司法局", 2026, aliases("上海市普陀区司法局"), "普陀区司法局2026年部门预算.pdf"),
        _doc("c", "江苏省高级人民法院", 2017, aliases("江苏省高级人民法院"), "省法院2017年度部门预算公开.pdf"),
        _doc("d", "江苏省高级人民法院", 2018, aliases("江苏省高级人民法院"), "省法院2018年度部门预算公开.pdf"),
        _doc("e", "中共江苏省委办公厅", 2019, aliases("中共江苏省委办公厅"), "江苏省委办公厅2019年度部门预算公开表格.pdf"),
        _doc("f", "上海市金融服务办公室", 2018, aliases("上海市金融服务办公室"), "上海市金融服务办公室2018年部门预算.txt"),
    ]
    return Catalog(docs)


@pytest.mark.parametrize("question, departments", [
    ("区政府办2025年三公经费是多少？", ["上海市普陀区人民政府办公室"]),
    ("金融办的主要职能有哪些？", ["上海市金融服务办公室"]),
    ("省法院2017年预算总计多少？", ["江苏省高级人民法院"]),
    ("省委办公厅2019年住房公积金多少？", ["江苏省委办公厅"]),
    ("2019年省法院和省委办公厅谁的预算多？", ["江苏省高级人民法院", "江苏省委办公厅"]),
])
def test_departments_from_aliases(catalog: Catalog, question: str, departments: list[str]) -> None:
    assert parse_question(question, catalog).departments == departments


def test_unloaded_department_is_named(catalog: Catalog) -> None:
    query = parse_question("普陀区教育局2025年预算有多少？", catalog)
    assert query.departments == [] and query.unknown_department == "普陀区教育局"


def test_years_relative_and_dates(catalog: Catalog) -> None:
    assert parse_question("区政府办2025年三公经费比去年少了多少？", catalog).years == [2025, 2024]
    assert parse_question("省法院2019年预算总计比2017年多多少？", catalog).years == [2019, 2017]
    # a date is not a fiscal year; the only loaded year of the department is used
    assert parse_question("截至2024年8月31日，区政府办有几辆车？", catalog).years == [2025]
    # several years loaded and none named: no silent pick
    assert parse_question("省法院预算总计多少？", catalog).years == []


@pytest.mark.parametrize("question, operation, route", [
    ("区政府办2025年三公经费是多少？", "value", "table"),
    ("区政府办2025年三公经费比去年少了多少？", "difference", "table"),
    ("区政府办2025年基本支出占支出总计的比例是多少？", "share", "table"),
    ("省法院2017到2019年预算总计增长了百分之几？", "growth", "table"),
    ("区政府办2025年养老保险缴费和职业年金缴费加起来多少万元？", "sum", "table"),
    ("区政府办2025年哪个项级功能科目预算金额最大？", "rank", "table"),
    ("2019年省法院和省委办公厅谁的预算多？", "compare", "table"),
    ("金融办的主要职能有哪些？", "value", "passage"),
    ("司法局2026年财政拨款为什么增加？", "value", "passage"),
])
def test_operation_and_route(catalog: Catalog, question: str, operation: str, route: str) -> None:
    query = parse_question(question, catalog)
    assert (query.operation, query.route) == (operation, route)


def test_item_text_drops_names_and_years(catalog: Catalog) -> None:
    query = parse_question("普陀区司法局2026年津贴补贴是多少元？", catalog)
    assert "司法" not in query.item_text and "2026" not in query.item_text and "津贴补贴" in query.item_text


# ---------------------------------------------------------------- end to end on the real corpus


@pytest.mark.parametrize("question, value, unit, document, page", [
    ("区政府办2025年“三公”经费预算是多少？", "867.50", "万元", "普陀区人民政府办公室2025年部门预算.pdf", 20),
    ("区政府办2025年三公经费里的招待费是多少？", "28.50", "万元", "普陀区人民政府办公室2025年部门预算.pdf", 20),
    ("区政府办2025年一般公共服务支出是多少元？", "82096797.42", "元", "普陀区人民政府办公室2025年部门预算.pdf", None),
    ("省法院2017年度财政拨款支出预算表中行政运行（2040501）是多少？", "11786.92", "万元", "省法院2017年度部门预算公开.pdf", 13),
    ("大数据中心2020年事业运行的项目支出是多少？", "292199517", "元", "上海市大数据中心2020年部门预算.md", 1),
])
def test_lookup(answerer, question: str, value: str, unit: str, document: str, page: int | None) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask(question)
    assert answer.found and answer.route == "table", answer.answer
    assert (answer.value, answer.unit) == (Decimal(value), unit), answer.answer
    assert answer.citations[0].document == document and answer.citations[0].table
    if page is not None:
        assert answer.citations[0].page == page


def test_compute_share_with_inputs_cited(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("区政府办2025年因公出国（境）费占三公经费的比重？")
    assert (answer.value, answer.unit, answer.route) == (Decimal("96.71"), "%", "compute"), answer.answer
    assert answer.computation and "839" in answer.computation and "867.5" in answer.computation
    # each input is cited (the table cells first, then where the text states the same figure)
    assert [c.column for c in answer.citations[:1]] == ["“三公”经费预算数 > 因公出国(境)费"]
    assert any(c.column and c.column.endswith("合计") for c in answer.citations)


def test_compare_across_years_uses_stated_change(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("区政府办2025年财政拨款收入比去年少了多少？")
    assert (answer.value, answer.unit) == (Decimal("2389.52"), "万元"), answer.answer
    assert answer.citations[0].page == 6 and "减少" in (answer.citations[0].snippet or "")


def test_compare_two_departments_with_chart(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("省法院2018年预算比2017年多了多少？")
    assert (answer.value, answer.unit) == (Decimal("4322.77"), "万元"), answer.answer
    assert answer.chart and len(answer.chart) == 2


def test_narrative_quotes_the_passage(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("区政府督查及建议提案工作业务经费项目的实施周期是多久？")
    assert answer.found and answer.route == "passage" and "2025全年度" in answer.answer
    assert answer.value is None and answer.citations[0].page == 22 and answer.citations[0].snippet


@pytest.mark.parametrize("question", [
    "普陀区教育局2025年预算有多少？",
    "区政府办2026年三公经费预算是多少？",
    "区政府办2024年决算支出是多少？",
    "大数据中心有多少员工？",
])
def test_refusals_carry_no_number(answerer, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask(question)
    assert not answer.found and answer.value is None and answer.route == "none", answer.answer
    assert answer.answer.startswith("文档中没有找到答案")


def test_runnable_and_json_shape(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.as_runnable().invoke({"question": "万里街道2024年三公经费预算多少？"})
    data = answer.to_json()
    assert set(data) >= {"question", "answer", "found", "value", "unit", "route", "citations", "latency_ms"}
    assert data["value"] == 47.91 and data["unit"] == "万元" and data["citations"][0]["page"] > 0


# ---------------------------------------------------------------- optional LLM under a number guard


def _answer() -> Answer:
    return Answer(question="区政府办2025年三公经费是多少？", answer="上海市普陀区人民政府办公室2025年“三公”经费：867.50万元。",
                  found=True, route="table", value=Decimal("867.50"), unit="万元",
                  citations=[Citation(document="普陀区人民政府办公室2025年部门预算.pdf", page=20, table="三公经费表",
                                      row="三公经费", column="合计")])


def test_llm_may_rephrase_with_the_evidence_numbers() -> None:
    llm = FakeListChatModel(responses=["2025年区政府办的“三公”经费预算为867.5万元。"])
    phrased = phrase_with_llm(llm, _answer())
    assert phrased.answer == "2025年区政府办的“三公”经费预算为867.5万元。" and phrased.llm
    assert phrased.value == Decimal("867.50") and phrased.citations == _answer().citations


def test_llm_inventing_a_number_falls_back_to_the_extractive_answer() -> None:
    llm = FakeListChatModel(responses=["三公经费为900万元，比去年增长了5%。"])
    phrased = phrase_with_llm(llm, _answer())
    assert phrased.answer == _answer().answer and "数字校验" in (phrased.llm or "")
    assert not numbers_supported("共900万元", _answer().answer)


def test_follow_up_takes_department_year_and_item_from_the_question_before(answerer) -> None:  # type: ignore[no-untyped-def]
    previous = "区政府办2025年财政拨款收入是多少？"
    answer = answerer.ask("比去年少了多少？", previous=previous)
    assert (answer.value, answer.unit) == (Decimal("2389.52"), "万元"), answer.answer
    assert answer.question == "比去年少了多少？" and "按上一问理解为" in answer.answer
    # a question that names its own department is not changed by the one before
    own = answerer.ask("省法院2018年三公经费是多少？", previous=previous)
    assert own.citations[0].document == "省法院2018年度部门预算公开.pdf" and "按上一问" not in own.answer


def test_department_name_means_the_department_budget_unit_budget_when_asked() -> None:
    """With a 部门预算 and a 单位预算 of one department-year loaded, a question that names the department
    reads the 部门预算; one that says 单位预算 reads the unit's."""
    dept = StoredDocument(document_id="p", file_name="某局2026年部门预算.pdf", path="", file_format="pdf", content_hash="p",
                          page_count=1, department="上海市某局", region="上海市", fiscal_year=2026, kind="部门预算",
                          title=None, aliases=[], table_count=0, fact_count=0, passage_count=0, finding_count=0)
    unit = StoredDocument(document_id="u", file_name="某局2026年单位预算.pdf", path="", file_format="pdf", content_hash="u",
                          page_count=1, department="上海市某局", region="上海市", fiscal_year=2026, kind="单位预算",
                          title=None, aliases=[], table_count=0, fact_count=0, passage_count=0, finding_count=0,
                          unit="上海市某局")
    catalog = Catalog([dept, unit])
    assert [d.document_id for d in catalog.docs_for("上海市某局", 2026, "预算")] == ["p"]
    assert [d.document_id for d in catalog.docs_for("上海市某局", 2026, None)] == ["p"]
    assert [d.document_id for d in catalog.docs_for("上海市某局", 2026, "单位预算")] == ["u"]
    assert parse_question("上海市某局2026年单位预算中三公经费是多少？", catalog).kind == "单位预算"
