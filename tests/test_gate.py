"""The trust gate on the whole corpus (questions of our own, not of the external set): a number is given only when its evidence fits every constraint
the question names (year and stage of the column, a named code, a named organisation, a count, the
named denominator); otherwise the answer is a refusal that says what the documents hold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgetqa.models import TableFact
from qa.gate import column_year, eligible, fits_codes, named_codes, restates_the_question


def _fact(column: tuple[str, ...], dims: dict[str, str] | None = None, code: str | None = None) -> TableFact:
    return TableFact(document_id="d", table_index=0, table_kind="三公经费", table_title="t", page=1, row_index=0,
                     row_code=code, row_label="合计", row_path=(), column_path=column, value=Decimal(1),
                     text_value="1", unit="万元", dimensions=dims or {})


def test_columns_of_another_year_or_a_change_are_not_eligible() -> None:
    this, last = _fact(("2026年预算数", "合计")), _fact(("2025年预算数", "合计"))
    previous, change, plain = _fact(("上年", "合计")), _fact(("增减变化情况", "合计")), _fact(("合计",))
    assert column_year(last, 2026) == 2025 and column_year(previous, 2026) == 2025
    assert eligible([this, last, previous, change, plain], 2026, "部门预算", None) == [this, plain]


def test_final_accounts_answer_with_the_final_figure_unless_the_budget_is_asked() -> None:
    budget, final = _fact(("预算数", "合计"), {"stage": "预算数"}), _fact(("决算数", "合计"), {"stage": "决算数"})
    assert eligible([budget, final], 2024, "部门决算", None) == [final]
    assert eligible([budget, final], 2024, "部门决算", "预算") == [budget]
    assert eligible([budget, final], 2024, "部门预算", None) == [budget, final]


def test_named_codes() -> None:
    assert named_codes("信访业务（2014004）支出了多少万元") == {"2014004"}
    assert named_codes("审计业务（201 08 04）安排了多少元") == {"2010804"}
    assert named_codes("2026年三公经费12345万元是多少") == set()
    assert fits_codes(_fact(("合计",), code="2014004"), {"2014004"})
    assert not fits_codes(_fact(("合计",), code="2014001"), {"2014004"})


def test_a_number_the_question_gives_is_no_answer() -> None:
    assert restates_the_question(113.53, "比上年执行数少了113.53万元，那么上年执行数是多少")
    assert not restates_the_question(141.53, "比上年执行数少了113.53万元，那么上年执行数是多少")


@pytest.mark.parametrize("question, value, unit", [
    # the 2026 columns, not the 2025 ones printed beside them
    ("重庆市政府办公厅2026年“三公”经费预算多少？", "394.49", "万元"),
    ("烟台审计局2026年“三公”经费预算是多少？", "3.40", "万元"),
    # a 决算 question reads 决算数, not 预算数
    ("国家信访局2024年度“三公”经费财政拨款支出决算是多少？", "46.21", "万元"),
    # a 三公 table printed with the parts as rows
    ("广州信访局2026年“三公”经费预算是多少？", "4.80", "万元"),
    # the denominator the question names: the 基本支出 table's own total
    ("北京市司法局2026年一般公共预算基本支出中公用经费占多大比例？", "8.64", "%"),
    # "分A和B两块，其中B占比": the whole is A + B
    ("国家信访局2024年度财政拨款基本支出决算分人员经费和公用经费两块，其中公用经费占比是多少？", "22.15", "%"),
    # the document's figure and a change the question gives: the year before
    ("苏州市审计局2026年收入预算比上年减少50万元，那么2025年收入预算是多少万元？", "4701.67", "万元"),
])
def test_answers_that_fit_the_question(answerer, question: str, value: str, unit: str) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask(question)
    assert answer.found, answer.answer
    assert answer.unit == unit and abs(answer.value - Decimal(value)) <= Decimal("0.005"), answer.answer


@pytest.mark.parametrize("question, says", [
    ("苏州市审计局2026年部门预算中，苏州市财政局的“三公”经费是多少？", "苏州市财政局"),
    ("上海市审计局2026年单位预算安排了几批因公出国（境）团组？", "团组"),
    ("深圳信访局2026年信访大厅每名保安一个月工资是多少？", "工资"),
    ("烟台审计局2026年印刷费财政拨款预算是多少？", "印刷费"),
    ("司法局2026年公车运行费是多少？", "普陀区"),  # two 司法局 loaded: ask which
])
def test_refusals_say_what_is_missing(answerer, question: str, says: str) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask(question)
    assert not answer.found and answer.value is None, answer.answer
    assert says in answer.answer


def test_every_route_is_one_of_the_format(answerer) -> None:  # type: ignore[no-untyped-def]
    for question in ("中共西安市委宣传部的主要职责是什么？（2021年部门预算）", "区政府办2025年有多少公务员编制？",
                     "区政府办2025年三公经费是多少？"):
        assert answerer.ask(question).route in ("table", "passage", "compute", "none")
