"""Rules of the domain found with question batches SS, TT and UU (written from the PDFs by readers who saw no
code), each checked on the real corpus with the whole corpus loaded, in our own wording."""

from __future__ import annotations

from decimal import Decimal

from budgetqa.models import TableFact
from qa.concepts import label_core


def _indicators(corpus_documents) -> list[TableFact]:  # type: ignore[no-untyped-def]
    return [f for f in corpus_documents["北京市司法局2026年部门预算报表.pdf"].facts
            if f.table_title.endswith("部门整体支出绩效目标表") and f.column_path == ("指标值",)]


def test_a_second_header_part_way_down_heads_its_own_block(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    # 部门整体支出绩效目标表: funding lines under 部门名称, then 活动 | 绩效指标 | 指标性质 | 指标值 | 度量单位
    facts = _indicators(corpus_documents)
    training = next(f for f in facts if f.row_label.endswith("围绕司法行政业务组织系统内培训"))
    assert training.row_path == ("司法综合事务",)  # its 活动
    assert (training.value, training.unit, training.text_value) == (Decimal("13"), "场次", "≥13场次")
    cost = next(f for f in facts if f.row_label.endswith("北京市行政执法资格考试成本"))
    assert cost.text_value == "＝40元/人·次"  # comparator and unit read from their own columns


def test_an_indicator_is_named_without_its_levels() -> None:
    assert label_core("产出指标数量指标开展法治建设业务课题研究数量") == "开展法治建设业务课题研究数量"
    assert label_core("成本指标经济成本指标北京市行政执法资格考试成本") == "北京市行政执法资格考试成本"
    assert label_core("产出指标") == "产出指标"


def test_a_target_counted_in_场(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年整体绩效目标中，司法综合事务计划组织多少场培训？")
    assert answer.found and answer.value == Decimal("13") and answer.unit == "场次"
    cost = answerer.ask("北京市司法局2026年部门整体绩效目标里北京市行政执法资格考试成本的指标值是多少？")
    assert cost.found and "40元" in cost.answer


def test_which_units_is_a_list_not_a_count(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年部门预算有哪几个二级预算单位？")
    assert answer.found and answer.value is None and "北京市法律援助中心" in answer.answer


def test_where_and_which_firm_need_a_passage_naming_one(answerer) -> None:  # type: ignore[no-untyped-def]
    assert not answerer.ask("深圳市信访局的信访大厅律师服务是哪家律师事务所做的？").found
    assert not answerer.ask("西安市审计局2026年全市审计业务会在哪里开？").found


def test_a_part_named_after_its_whole_is_the_parts_figure(answerer) -> None:  # type: ignore[no-untyped-def]
    # "政府采购项目共有1,100.30万元，其中：…服务类项目1,097.30万元": the part, never the whole
    answer = answerer.ask("深圳市信访局2026年政府采购里服务类项目安排了多少？")
    assert answer.found and answer.value == Decimal("1097.30")


def test_指的是_asks_the_glossary(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("上海市审计局2026年单位预算里的机关运行经费指的是什么？")
    assert answer.found and "名词解释" in answer.answer


def test_a_shares_part_is_a_figure_never_a_projects_sentence(answerer) -> None:  # type: ignore[no-untyped-def]
    # the project row prints its 绩效目标 sentence too: the part is its amount (1,582.55 ÷ 10,785.77)
    answer = answerer.ask("北京市司法局2026年法律援助值班补贴在全部项目支出中占多少比例？")
    assert answer.found and answer.value == Decimal("14.67")


def test_names_completed_by_the_noun_before_their_bracket(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局2026年两个信息化运维项目（2025-2026年和2026-2027年）合计多少？")
    assert answer.found and answer.value == Decimal("65.02")  # 40.41 + 24.61


def test_the_spread_of_years_named_by_what_is_ranked(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("江苏省高级人民法院2017年、2018年和2019年的三公经费，最多的一年比最少的一年多多少？")
    assert answer.found and answer.value == Decimal("156.37")  # 670.12 − 513.75


def test_an_amount_of_a_project_whose_rows_print_only_sentences(answerer) -> None:  # type: ignore[no-untyped-def]
    # the project form prints its 总目标 sentence; the text states "项目总经费2,411.83万元"
    answer = answerer.ask("上海市大数据中心2020年“上海市大数据资源平台（一期）”的项目总经费有多少？")
    assert answer.found and answer.value == Decimal("2411.83")


def test_a_self_evaluation_score_is_counted_in_分(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("佛山市轨道交通局2019年聘请专家人员经费项目的自评分数是多少？")
    assert answer.found and answer.value == Decimal("96.53") and answer.unit == "分"
    # a score answers only a question about a score
    assert answerer.ask("佛山市轨道交通局2019年聘请专家人员经费是多少钱？").unit != "分"


def test_which_body_asked_after_its_kind(answerer) -> None:  # type: ignore[no-untyped-def]
    assert not answerer.ask("福州市医疗保障局外伤医疗费用结算审核服务的承办机构是哪家？").found


def test_a_project_named_without_its_owner_and_who_carries_it_out(answerer) -> None:  # type: ignore[no-untyped-def]
    # printed "市政府办公厅业务及日常运行项目": asked without 市政府办公厅
    goal = answerer.ask("重庆市人民政府办公厅2026年业务及日常运行项目的绩效目标是什么？")
    assert goal.found and "完成各项业务工作" in goal.answer
    # the unit a project row stands under carries it out
    who = answerer.ask("杭州市气象局2026年专业系统维护及科普项目由哪个单位实施？")
    assert who.found and "杭州市气象服务中心" in who.answer
