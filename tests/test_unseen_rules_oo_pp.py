"""Rules of the domain found with question batches OO and PP (written from the PDFs by readers who saw no
code), each checked on the real corpus with the whole corpus loaded, in our own wording."""

from __future__ import annotations

from decimal import Decimal

from budgetqa.models import TableFact
from ingest.facts import _header_unit
from qa.lookup import ItemResolver
from qa.stated import _repeats_specific


def test_a_sentence_sharing_only_经费安排_does_not_answer(answerer) -> None:  # type: ignore[no-untyped-def]
    # "2026年本单位机关运行经费安排210.32万元" shares 经费安排 with the question and nothing of its own
    answer = answerer.ask("烟台市审计局2026年给原审计署烟台基地退休人员的补助经费安排了多少？")
    assert answer.value != Decimal("210.32")
    assert answer.value == Decimal("170.00")  # the project row, asked with a 的 inside its printed name
    assert not _repeats_specific("机关运行经费安排", "给离休干部的慰问经费安排了多少")
    assert _repeats_specific("实有人员", "实有多少人")  # a subject's own word repeated is enough
    assert _repeats_specific("部门预算收入", "收入比上年减少多少")  # nothing specific: not this rule's refusal


def test_方面_names_no_item_of_its_own(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("中共西安市委宣传部2021年在电影方面安排了多少钱？")
    assert answer.found and answer.value == Decimal("3381600.00") and answer.unit == "元"


def test_a_fund_named_after_a_project_is_its_fund_column(answerer) -> None:  # type: ignore[no-untyped-def]
    # 一般公共预算 after a quoted project is the project's column, not the 一般公共预算支出 table nor the
    # department's "一般公共预算当年拨款5,753.07万元"
    answer = answerer.ask("杭州市气象局2026年“气象业务建设”项目有多少一般公共预算资金？")
    assert answer.found and answer.value == Decimal("1002.10")
    share = answerer.ask("杭州市气象局2026年“气象业务建设”项目中一般公共预算占该项目总额多少？")
    # the whole named as the project's own total is its row's 总计 column: 1,002.10 ÷ 1,097.02
    assert share.found and share.value == Decimal("91.35") and share.unit == "%"


def test_an_item_asked_how_much_of_a_fund_it_uses(answerer) -> None:  # type: ignore[no-untyped-def]
    # "委托业务费用了多少财政拨款" asks the item's 财政拨款, not the department's 财政拨款收入 (18,417.70)
    answer = answerer.ask("重庆市政府办公厅2026年的委托业务费用了多少财政拨款？")
    assert answer.found and answer.value == Decimal("6265.73")


def test_a_project_printed_with_its_city_first(answerer) -> None:  # type: ignore[no-untyped-def]
    # "烟台市智慧审计平台等保测评服务" asked without 烟台市: the amount row, not its 测评服务费用 indicator
    answer = answerer.ask("烟台市审计局2026年智慧审计平台等保测评服务项目预算多少钱？")
    assert answer.found and answer.value == Decimal("4.50") and answer.unit == "万元"


def test_a_count_column_is_counted_in_its_headers_unit(answerer) -> None:  # type: ignore[no-untyped-def]
    # the training plan's 人数 column under the table's 金额单位：万元 holds people
    answer = answerer.ask("西安市审计局2026年全市审计机关年度综合培训计划培训多少人？")
    assert answer.found and answer.value == Decimal("95") and answer.unit == "人"
    days = answerer.ask("西安市审计局2026年全市经责审计培训要办几天？")
    assert not days.found  # the plan prints no days: never its 50 people
    assert _header_unit(("人数",)) == "人" and _header_unit(("培训天数",)) == "天"
    assert _header_unit(("金额（元）",)) == "元" and _header_unit(("人员经费",)) is None


def test_a_row_printed_with_its_year_first_is_named_without_it(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts: list[TableFact] = corpus_documents["佛山市轨道交通局2019年部门决算.pdf"].facts
    matches = ItemResolver("＃聘请专家人员经费的自评分数").candidates(facts)
    assert matches and matches[0].fact.row_label == "2019年度聘请专家人员经费"


def test_why_the_budget_itself_changed_reads_the_stated_reason(answerer) -> None:  # type: ignore[no-untyped-def]
    # nothing but the budget and its change is named: the sentence giving the reason answers
    answer = answerer.ask("深圳市信访局2026年的预算为啥比上年少？")
    assert answer.found and "过紧日子" in answer.answer


def test_a_project_named_with_a_word_left_out(answerer) -> None:  # type: ignore[no-untyped-def]
    # "云客服外包项目" for the printed 云客服服务外包项目: its first characters, the rest in order
    answer = answerer.ask("广州市信访局2026年的云客服外包项目安排了多少？")
    assert answer.found and answer.value == Decimal("252.28")
    from qa.matching import shortened_in
    assert shortened_in("云客服服务外包项目", "云客服外包项目有多少") == 7
    assert shortened_in("审计业务经费", "审计经费") == 0  # too little of the name is left


def test_a_named_column_of_a_project_row(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局2026年“气象业务建设”项目用了多少单位资金？")
    assert answer.found and answer.value == Decimal("94.92")  # never the row's 总计 1,097.02


def test_a_quoted_name_only_the_text_states(answerer) -> None:  # type: ignore[no-untyped-def]
    # no table row prints 信访工作经费: the sentence stating it, not its container 信访专项 (486.39)
    answer = answerer.ask("深圳市信访局2026年“信访工作经费”安排了多少？")
    assert answer.found and answer.value == Decimal("216.40")


def test_where_a_trip_went_needs_a_passage_naming_a_destination(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年那次因公出国（境）是去的哪个国家？")
    assert not answer.found  # the 决算 counts one 团组 and its cost, and names no country


def test_a_projects_investment_over_several_years_is_never_one_years_budget(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局的2025-2026年信息化运维项目两年一共投资多少？")
    assert answer.value != Decimal("40.41") and not answer.found


def test_a_row_name_that_is_also_a_tables_title(answerer) -> None:  # type: ignore[no-untyped-def]
    # 专项业务经费支出 is a row of the 财政拨款 tables and the title of a table of its own: without 表 the
    # question names the row
    answer = answerer.ask("西安市审计局2026年财政拨款里专项业务经费支出安排了多少？")
    assert answer.found and answer.value == Decimal("6508680.00")


def test_a_bracket_spelling_what_a_total_holds_names_no_sum(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("西安市审计局2026年一般公共预算的差旅费总共多少（基本支出和专项业务经费加起来）？")
    assert answer.found and answer.value == Decimal("2800000.00")


def _stated(corpus_documents, name: str, label: str, column: tuple[str, ...]) -> list[TableFact]:  # type: ignore[no-untyped-def]
    return [f for f in corpus_documents[name].facts if f.table_kind == "narrative"
            and f.row_label.replace(" ", "") == label and f.column_path == column]


def test_a_change_in_its_own_clause_is_the_sides_not_the_last_parts(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    # "…，事业收入 812.48 万元，收入比 2025 年增加 2,784.38 万元": 收入's change, never 事业收入's
    name = "重庆市人民政府办公厅2026年部门预算.pdf"
    assert [f.value for f in _stated(corpus_documents, name, "收入预算", ("比2025年", "增加"))] == [Decimal("2784.38")]
    assert not _stated(corpus_documents, name, "事业收入", ("比2025年", "增加"))


def test_a_parts_change_is_the_wholes_when_the_part_is_all_of_it(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    # "收入预算19,577万元，其中：财政拨款收入19,577万元，比2025年预算减少290万元"
    changes = _stated(corpus_documents, "上海市审计局2026年单位预算.pdf", "上海市审计局收入预算", ("比2025年", "减少"))
    assert [f.value for f in changes] == [Decimal("290")]


def test_last_years_figure_stated_beside_this_years(corpus_documents, answerer) -> None:  # type: ignore[no-untyped-def]
    # "2026 年支出预算 29956.27 万元，比 2025 年年初预算数28479.84 万元增加 1476.73 万元": 28479.84 is 2025's
    # (the stated figure, not 29956.27 − 1476.73, which the document misprints)
    name = "北京市司法局2026年部门预算.pdf"
    assert [f.value for f in _stated(corpus_documents, name, "2025年支出预算", ("金额",))] == [Decimal("28479.84")]
    assert [f.value for f in _stated(corpus_documents, name, "2026年支出预算", ("比上年", "增加"))] == [Decimal("1476.73")]
    answer = answerer.ask("北京市司法局2025年的支出预算是多少？")
    assert answer.found and answer.value == Decimal("28479.84")


def test_a_total_budgets_change_and_last_years_total(answerer) -> None:  # type: ignore[no-untyped-def]
    assert answerer.ask("上海市审计局2026年预算比上年少多少？").value == Decimal("290")
    assert answerer.ask("上海市审计局2025年的预算有多少？").value == Decimal("19867")
    # a change printed on the next line ("比上年执行数增加\n48.92 万元") is still the change of 收入预算
    assert answerer.ask("杭州市气象局2026年预算比上年增加了多少？").value == Decimal("48.92")


def test_a_target_printed_as_ten_thousands_of_people(answerer) -> None:  # type: ignore[no-untyped-def]
    # "≥450万人" under three subsidy forms alike: one target, quoted as printed
    answer = answerer.ask("福州市医疗保障局2026年全市居民医保参保人数的目标是多少？")
    assert answer.found and "450万人" in answer.answer
    consult = answerer.ask("北京市司法局2026年法律援助值班补贴项目提供咨询解答数量的目标是多少？")
    assert consult.found and "100万人次" in consult.answer


def test_two_units_measured_by_the_words_after_the_pair(answerer) -> None:  # type: ignore[no-untyped-def]
    # "本级和气象服务中心的“三公”经费": the measure after the pair is 本级's too (13.13 − 10.89)
    answer = answerer.ask("杭州市气象局2026年本级和气象服务中心的“三公”经费哪个多？")
    assert answer.found and answer.value == Decimal("2.24")


def test_spending_compared_by_the_side_alone(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局和广州市信访局2026年的部门预算支出哪个多？")
    assert answer.found and answer.value == Decimal("740.22")  # 4,684.30 − 3,944.08


def test_last_years_balance_is_a_row_of_this_years_budget(answerer) -> None:  # type: ignore[no-untyped-def]
    # 上年实户资金余额 is a source of this year's funds, like 上年结转: no shift to 2025
    answer = answerer.ask("西安市审计局2026年的上年实户资金余额有多少？")
    assert answer.found and answer.value == Decimal("981827.50")


def test_last_years_execution_from_a_change_stated_against_it(answerer) -> None:  # type: ignore[no-untyped-def]
    # "2026 年收入预算 5,876.67 万元，比上年执行数增加 48.92 万元": 2025's 执行数 is 5,827.75
    answer = answerer.ask("杭州市气象局2025年的收入执行数是多少？")
    assert answer.found and answer.value == Decimal("5827.75")
    # a change stated against last year's budget says nothing of its 执行数
    assert not answerer.ask("苏州市审计局2025年的收入执行数是多少？").found


def test_a_table_printed_empty_shows_none_spent(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年政府性基金预算支出表安排了多少？")
    assert answer.found and answer.value == Decimal("0") and answer.citations[0].page == 16
