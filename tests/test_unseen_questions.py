"""Capabilities for documents nobody tuned on, each checked on the real corpus with the whole corpus
loaded: project forms, what a named project does, nested columns, 决算 execution rates, sums of named
projects, per-unit rows, and the refusals that keep a close-looking figure from becoming an answer.
The questions here are our own and differ from those of the evaluation sets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.forms import target_value
from qa.gate import other_side, unmet_columns, untouched_phrases

FUZHOU = "福州市医疗保障局2026年部门预算.pdf"


def test_project_forms_become_facts(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = [f for f in corpus_documents[FUZHOU].facts if f.table_kind == "绩效目标"]
    station = [f for f in facts if f.row_path[:1] == ("医保服务站工作经费",) or f.row_label == "医保服务站工作经费"]
    staff = next(f for f in station if f.row_label == "聘用人员数量")
    assert (staff.value, staff.unit, staff.text_value, staff.page) == (Decimal(130), "人", "≥130人", 29)
    assert staff.row_path == ("医保服务站工作经费", "产出指标", "数量指标")
    total = next(f for f in station if f.column_path == ("资金总额",))
    assert (total.value, total.unit) == (Decimal("968.00"), "万元")
    assert any(f.column_path == ("年度目标",) and "医保服务站" in (f.text_value or "") for f in station)
    assert len({f.row_path[0] for f in facts if f.row_path}) >= 9  # one form per project, pages 28–39


def test_target_values() -> None:
    assert target_value("≥130人") == (Decimal(130), "人")
    assert target_value("=100%") == (Decimal(100), "%")
    assert target_value("≤20次") == (Decimal(20), "次")
    assert target_value("按时完成") == (None, None)
    assert target_value("≥3000万条/小时") == (None, None)


def test_a_performance_indicator_is_answered_with_its_printed_bound(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("福州医保局2026年“医保服务站工作经费”项目提供就业岗位数的指标值是多少个？")
    assert answer.found and answer.value == Decimal(130) and answer.unit == "个"
    assert "≥130个" in answer.answer and answer.citations[0].page == 29


def test_what_a_named_project_does_is_quoted_from_its_row(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("福州医保局2026年“医保服务站工作经费”项目是做什么的？")
    assert answer.found and answer.route == "passage"
    assert "乡镇卫生院手工报销人员支出" in answer.answer.replace("\n", "")
    assert {c.page for c in answer.citations} == {29}
    broadcast = answerer.ask("广州市信访局2026年“云客服服务外包项目”主要做什么？")
    assert broadcast.found and "云客服" in broadcast.answer


def test_a_column_inside_a_column_is_read_there(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("重庆市政府办公厅2026年一般公共预算中「2010301 行政运行」的基本支出里人员经费是多少？")
    assert answer.found and answer.value == Decimal("4542.97")
    assert unmet_columns("行政运行基本支出里的人员经费", ["财政拨款支出 行政运行 合计"]) == ["人员经费", "基本支出"]
    assert unmet_columns("行政运行的人员经费", ["一般公共预算支出 行政运行 基本支出 > 工资福利支出"]) == []


def test_execution_rate_of_a_final_account(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年其他信访事务支出（项）完成年初预算的百分之多少？")
    assert answer.found and (answer.value, answer.unit) == (Decimal("72.77"), "%")
    assert answer.citations[0].page == 22
    budget = answerer.ask("杭州市气象局2026年行政运行的预算执行率是多少？")
    assert not budget.found and budget.value is None  # a budget has no 决算数


def test_sums_of_quoted_projects_and_of_rows_printed_with_one_name(answerer) -> None:  # type: ignore[no-untyped-def]
    two = answerer.ask("杭州市气象局2026年“气象业务建设”和“气象设施维护及科普”两个项目一共多少万元？")
    assert two.found and two.value == Decimal("1984.92") and two.route == "compute"
    same = answerer.ask("烟台市审计局2026年项目支出表里所有名为「审计业务经费」的项目加起来是多少万元？")
    assert same.found and same.value == Decimal("588.00") and len(same.citations) == 3


def test_a_per_unit_row_answers_for_that_unit(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州气象局2026年三公经费中，杭州市气象服务中心（杭州市预警信息发布中心）的公务接待费是多少？")
    assert answer.found and answer.value == Decimal("0.09")
    assert "杭州市气象服务中心" in answer.answer


@pytest.mark.parametrize("question, not_value", [
    ("深圳信访局2026年政府采购项目中，预留给中小企业的项目资金规模是多少万元？", Decimal("1100.30")),
    ("国家信访局2024年度一般公共预算财政拨款收入比2023年度决算数增加了多少？", Decimal("287.41")),
    ("重庆市“12345一号通”政务服务便民热线运营项目二期的总投资是多少？", None),
])
def test_a_figure_about_something_else_is_refused(answerer, question: str, not_value) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask(question)
    assert answer.value is None or answer.value != not_value
    if not_value is None:
        assert not answer.found


def test_a_quoted_denominator_must_be_the_one_found(answerer) -> None:  # type: ignore[no-untyped-def]
    right = answerer.ask("福州医保局2026年「财政对城乡居民基本医疗保险基金的补助」占部门支出预算合计（351904.90万元）的比例？")
    assert right.found and right.value == Decimal("94.74")
    wrong = answerer.ask("福州医保局2026年「财政对城乡居民基本医疗保险基金的补助」占部门支出预算合计（300000.00万元）的比例？")
    assert not wrong.found and "不一致" in wrong.answer


def test_gate_helpers() -> None:
    assert untouched_phrases("政府采购项目中，预留给中小企业的项目资金规模", ["政府采购项目共有1,100.30万元"], {}) \
        == ["预留给中小企业"]
    assert untouched_phrases("政府采购项目中预留给中小企业", ["政府采购项目共有1,100.30万元"], {}) == ["中预留给中小企业"]
    assert untouched_phrases("行政运行的人员经费", ["行政运行 人员经费"], {}) == []
    assert other_side("财政拨款收入比上年增加了多少", ["与2023年度相比，财政拨款支出减少287.41万元"]) == "支出"
    assert other_side("收入预算总表中住房公积金", ["住房保障支出（类）…住房公积金350.35万元"]) is None


def test_stated_figures_keep_their_subject_before_a_bracketed_code(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = corpus_documents["中共西安市委宣传部2021年部门综合预算.pdf"].facts
    stated = [f for f in facts if f.table_kind == "narrative" and f.value == Decimal("1765.18") and f.page == 6]
    assert stated and stated[0].row_label == "行政运行"


def test_final_account_explanations_give_stage_figures_and_their_difference(answerer) -> None:  # type: ignore[no-untyped-def]
    budget = answerer.ask("国家信访局2024年「培训支出」（项）财政拨款支出的年初预算是多少万元？")
    assert budget.found and budget.value == Decimal("180.61") and budget.citations[0].page == 22
    gap = answerer.ask("国家信访局2024年「其他信访事务支出」（项）支出决算比年初预算少了多少万元？")
    assert gap.found and gap.value == Decimal("669.39") and "决算比预算少" in gap.answer
    column = answerer.ask("国家信访局2024年度“三公”经费决算表中，公务接待费的全年预算数是多少？")
    assert column.found and "预算数" in column.citations[0].column  # type: ignore[operator]


def test_indicators_with_comparator_and_unit_columns(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = corpus_documents["北京市司法局2026年部门预算报表.pdf"].facts
    target = next(f for f in facts if f.row_label == "人民监督员履职人数")
    assert (target.text_value, target.value, target.unit) == ("＝287人", Decimal(287), "人")
    assert target.row_path[0].endswith("基层司法业务管理工作")
    project = next(f for f in facts if f.row_label.endswith("基层司法业务管理工作") and f.column_path == ("绩效目标",))
    assert not project.text_value.startswith(("≤", "＝")) and not project.text_value.endswith("万元")  # type: ignore[union-attr]


def test_names_printed_in_parent_columns_and_containers(answerer) -> None:  # type: ignore[no-untyped-def]
    row = answerer.ask("苏州市审计局2026年“区域重点项目协审经费”政府采购预算是多少？")
    assert row.found and row.value == Decimal("170.00")
    part = answerer.ask("深圳信访局2026年「信访专项」里的信访工作经费和信访备用金一共是多少万元？")
    assert part.found and part.value == Decimal("301.40")


def test_a_fall_is_answered_with_its_size_and_a_score_never_answers_money(answerer) -> None:  # type: ignore[no-untyped-def]
    fall = answerer.ask("西安审计局2026年“三公”经费、会议费、培训费合计预算比上年下降了百分之多少？")
    assert fall.found and fall.value == Decimal("36.88") and "下降" in fall.answer
    score = answerer.ask("佛山轨道局2019年「质量抽检和试验检测管理」项目实际花了多少钱？")
    assert score.value is None and not score.found


def test_text_naming_an_item_without_its_amount_is_no_answer(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("上海市审计局2026年“审计特殊事项聘请社会中介机构专项经费”预算是多少？")
    assert not answer.found and "没有给出它的金额" in answer.answer


def test_a_unit_printed_as_a_row_of_one_department_is_asked_there(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象服务中心（杭州市预警信息发布中心）2026年一般公共预算收入是多少？")
    assert answer.found and answer.value == Decimal("836.93") and answer.citations[0].page == 16
    unknown = answerer.ask("南京市气象服务中心2026年一般公共预算收入是多少？")
    assert not unknown.found and unknown.value is None


def test_a_share_whose_part_read_in_context_is_the_whole_reads_the_part_alone(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年度政府采购支出总额中，政府采购服务支出占多大比例？")
    assert answer.found and answer.value == Decimal("91.12")


def test_one_item_read_in_its_basic_and_its_project_table_is_summed(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局2026年物业管理费（30209）在基本支出和项目支出中合计安排了多少万元？")
    assert answer.found and answer.value == Decimal("131.10")
    assert "一般公共预算基本支出" in answer.answer and "项目支出" in answer.answer
