"""Rules of the domain found with question batches K–N (written from the PDFs by readers who saw no
code), each checked on the real corpus with the whole corpus loaded. The questions are our own wording,
not those of the evaluation sets; several were wrong numbers before the rule, and must stay refusals or
right answers."""

from __future__ import annotations

from decimal import Decimal

from ingest.tables import table_kind

NATIONAL = "国家信访局2024年度部门决算.pdf"


# ---- reading the tables ---------------------------------------------------------------------------

def test_income_and_nature_tables_have_their_own_kinds() -> None:
    assert table_kind("收入总表") == "收入预算总表"  # not the 收支总表
    assert table_kind("预算02表收入总表") == "收入预算总表"
    assert table_kind("收支总表") == "收支预算总表"
    assert table_kind("基本支出总表") == "一般公共预算基本支出"
    assert table_kind("项目支出总表") == "项目支出"
    assert table_kind("收入支出决算总表") == "收支预算总表"


def test_a_half_total_printed_across_column_groups_keeps_its_label(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = corpus_documents[NATIONAL].facts
    totals = {f.row_label: f.value for f in facts if f.page == 12 and f.row_label.endswith("经费合计")}
    assert totals == {"人员经费合计": Decimal("7967.72"), "公用经费合计": Decimal("2266.65")}


def test_numbered_outline_rows_carry_their_heading(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = corpus_documents["重庆市人民政府办公厅2026年部门预算.pdf"].facts
    carried = next(f for f in facts if f.table_kind == "财政拨款收支预算总表" and f.value == Decimal("865.06")
                   and f.row_label.endswith("一般公共预算拨款"))
    assert carried.row_path == ("二、上年结转",)


# ---- shares: the whole beside the part -------------------------------------------------------------

def test_a_share_reads_its_whole_in_the_parts_table(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年基本支出总表里，物业管理费在商品和服务支出中占多少？")
    assert answer.found and answer.value == Decimal("44.80")  # 160.14 ÷ 357.43, both from 基本支出总表


def test_a_final_accounts_basic_spending_is_its_two_halves(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年一般公共预算财政拨款基本支出决算里，人员经费占基本支出的比例是多少？")
    assert answer.found and answer.value == Decimal("77.85")  # 7,967.72 ÷ (7,967.72 + 2,266.65)
    assert "7,967.72 ÷ 10,234.37" in (answer.computation or "")


def test_a_share_of_a_quoted_projects_stage_uses_that_projects_figures(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局“信访研究宣传立法专项”2024年的执行数占年初预算数百分之多少？")
    # its own 自评表 row: 413.57 ÷ 493.76, never divided by another project's 年初预算 (was 40.63%)
    assert answer.found and answer.value == Decimal("83.76")


def test_a_procurement_category_letter_is_no_part_of_the_name(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年政府采购预算中，服务类占多大比例？")
    assert answer.found and answer.value == Decimal("97.40")


# ---- which row: titles, parents, units ------------------------------------------------------------

def test_a_table_named_by_its_title_is_read_first(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年一般公共预算支出表（按经济分类）里租赁费（30214）是多少？")
    assert answer.found and answer.value == Decimal("45.00")


def test_an_item_printed_under_two_parents_is_their_sum(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年一般公共预算基本支出中，办公费（30201）总共多少？")
    assert answer.found and answer.value == Decimal("118.134500")  # 101.000000 + 17.134500
    assert {c.page for c in answer.citations} == {13, 14}


def test_a_unit_named_inside_a_department_is_its_own_row_or_nothing(answerer) -> None:  # type: ignore[no-untyped-def]
    short = answerer.ask("2021年西安市委讲师团的收入预算合计是多少？")
    assert short.found and short.value == Decimal("3398717.50")  # printed 中共西安市委理论讲师团
    inside = answerer.ask("福州医保局下属的医疗保障基金中心2026年收入是多少？")
    assert inside.found and inside.value == Decimal("345205.84")
    branch = answerer.ask("烟台市审计局长岛分局2026年的审计业务预算是多少？")
    assert not branch.found  # the department's own 审计业务 row is no answer for its branch (was 592.50)


def test_a_child_row_under_the_parent_the_question_names(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("重庆市政府办公厅2026年财政拨款收入里，上年结转的一般公共预算拨款是多少？")
    assert answer.found and answer.value == Decimal("865.06")


def test_what_a_total_includes_names_no_column(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("烟台市审计局2026年审计业务（2010804）全部资金（含其他收入）是多少？")
    assert answer.found and answer.value == Decimal("592.50")  # the 合计, not the 其他收入 column (588.00)


# ---- stages and years -------------------------------------------------------------------------------

def test_budget_and_final_figures_printed_side_by_side(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“三公”经费实际花的钱比预算少多少？")
    assert answer.found and answer.value == Decimal("30.22")  # 预算数 76.43 − 决算数 46.21 (公开09表)


def test_one_budget_stage_is_not_another(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“信息化运行维护”项目年初预算是多少？")
    # its 自评表 prints 年初预算数 1,638.67 beside 全年预算数 1,639.34 (the only figure its text states)
    assert answer.found and answer.value == Decimal("1638.67")


def test_last_years_figure_is_derived_from_the_stated_change(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局“气象服务”（项）一般公共预算拨款上一年执行数是多少？")
    assert answer.found and answer.value == Decimal("1852.84")  # 1,980.00 − 127.16
    change = answerer.ask("深圳市信访局2025年年初预算是多少？")
    assert change.found and change.value == Decimal("4932.00")  # 4,684.30 较2025年年初预算减少 247.70


def test_a_stock_at_year_end_is_found_in_the_next_years_budget(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局到2025年底共有几辆车？")
    assert answer.found and answer.value == Decimal(37) and answer.unit == "台"


def test_differences_keep_the_printed_precision(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年一般公共预算基本支出里人员经费比公用经费多多少？")
    assert answer.found and answer.value == Decimal("15807.820682")  # 17,458.125556 − 1,650.304874


def test_the_four_quarters_of_a_plan_are_added(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("万里街道社区公共服务中心新建工程四个季度用款计划加在一起是多少？")
    assert answer.found and answer.value == Decimal("632.20")
    assert answer.computation == "158.05 + 158.05 + 158.05 + 158.05 = 632.20万元"


def test_a_final_accounts_total_against_its_budget(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年度财政拨款支出决算比年初预算少多少？")
    assert answer.found and answer.value == Decimal("1334.75")  # 15,068.55 − 13,733.8, one sentence (p.21)
    item = answerer.ask("国家信访局2024年「信访业务」（项）财政拨款支出决算完成了年初预算的百分之多少？")
    assert item.found and "信访业务" in item.answer  # a named classification still wins over the total


# ---- batches P and Q (session 4): counts, rankings, parents, stages -------------------------------

def test_a_count_names_what_it_counts(answerer) -> None:  # type: ignore[no-untyped-def]
    whole = answerer.ask("重庆市人民政府办公厅2026年一共有几辆车？")
    assert whole.found and whole.value == Decimal("46")  # 共有车辆46辆, not 其中机要通信用车2辆
    official = answerer.ask("国家信访局2024年底有多少辆公务用车？")
    assert official.found and official.value == Decimal("15")


def test_a_difference_of_two_counts(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("西安市审计局的实有人员和人员编制差几个人？")
    assert answer.found and answer.value == Decimal("6")  # 125 − 119


def test_a_figure_stated_about_an_item_a_total_question_names(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局固定资产值多少钱？")
    assert answer.found and answer.value == Decimal("2995.16")


def test_one_label_under_two_parents_is_chosen_by_the_parent_named_or_refused(answerer) -> None:  # type: ignore[no-untyped-def]
    named = answerer.ask("江苏省高级人民法院2019年江苏法院云平台租赁费的政府采购预算是多少？")
    assert named.found and named.value == Decimal("185.00")  # not 租赁费 under 专用线路 (370.00)
    unnamed = answerer.ask("江苏省高级人民法院2019年租赁费的政府采购预算是多少？")
    assert unnamed.value is None  # three 租赁费 rows under three procurement items: no guess


def test_a_classification_named_before_its_child_is_the_parent(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局气象事务行政运行（项）2025年执行数是多少？")
    assert answer.found and answer.value == Decimal("2365.19")  # 2,617.19 − its own stated rise of 252.00
    assert answer.value != Decimal("4995.87")  # (气象事务 minus 行政运行's change: the old wrong number)


def test_rankings_of_projects_and_of_listed_items(answerer) -> None:  # type: ignore[no-untyped-def]
    projects = answerer.ask("烟台市审计局2026年预算最多的项目是哪个？")
    assert projects.found and projects.value == Decimal("539.00") and "审计业务经费" in projects.answer
    listed = answerer.ask("深圳市信访局2026年社工服务项目、信访大厅运行和信访专项这三个项目中，哪个最少？")
    assert listed.found and listed.value == Decimal("486.39")


def test_a_final_account_against_its_budget(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“三公”经费实际比预算少了多少？")
    assert answer.found and answer.value == Decimal("30.22")  # 76.43 − 46.21, not a comparison with 2023


def test_a_printed_name_holding_a_concepts_word_is_that_row(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局市人民来访接待厅专项经费是多少？")
    assert answer.found and answer.value == Decimal("145.00")  # not 公务接待费 2.30


def test_a_self_evaluation_form_reads_every_stage_and_result(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = [f for f in corpus_documents[NATIONAL].facts if f.page == 30 and f.table_kind == "绩效目标"]
    cells = {(f.row_label, f.column_path): f.value for f in facts}
    assert cells[("信访干部培训专项", ("财政拨款", "年初预算数"))] == Decimal("140.61")
    assert cells[("信访干部培训专项", ("年度资金总额", "全年执行数"))] == Decimal("180.03")
    assert cells[("培训人数", ("实际完成值",))] == Decimal("366")  # beside its target ≥300人
    assert ("信访干部培训专项", ("财政拨款", "执行率")) not in cells  # printed "0.0%" beside 140.61 of 140.61


def test_a_projects_execution_over_its_own_budget_stage(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“信访研究宣传立法专项”财政拨款的全年执行数是全年预算数的百分之几？")
    assert answer.found and answer.value == Decimal("74.12")  # 351.13 ÷ 473.76, one row of its 自评表


def test_a_growth_rate_from_a_stated_change(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("苏州市审计局2026年培训费比上年降低了百分之多少？")
    assert answer.found and answer.value == Decimal("33.57")  # 21.73 ÷ (43 + 21.73)


def test_a_named_items_change_is_its_own_not_the_totals(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("烟台市审计局上一年的委托业务费财政拨款预算是多少？")
    assert answer.found and answer.value == Decimal("111")  # 99 + 12, not 99 − the budget's rise of 118.76


def test_what_a_sentence_counts_is_its_subjects_head(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年的公务接待有多少人次？")
    assert answer.found and answer.value == Decimal("152")  # "…财政拨款支出的公务接待 10 批次、152 人次"


def test_a_sentence_naming_the_whole_item_before_a_row_naming_its_fund(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局委托业务费的财政拨款预算总额是多少？")
    assert answer.found and answer.value == Decimal("236.75")  # not 财政拨款 5,753.07, not 基本支出's 29.50


def test_the_more_specific_of_two_stated_subjects(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("烟台市审计局2026年的其他收入预算有多少？")
    assert answer.found and answer.value == Decimal("781.6")  # not 收入预算 3,558.35 of the same sentence


def test_what_is_left_of_a_whole_once_a_named_part_is_taken_out(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年底的结转和结余中，除了财政拨款之外还有多少？")
    assert answer.found and answer.value == Decimal("500.32")  # 7,494.06 − 年末财政拨款结转和结余 6,993.74
    assert "7,494.06 − 6,993.74" in (answer.computation or "")


def test_a_classification_named_level_by_level_is_its_deepest_level(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局2026年自然资源海洋气象等支出（类）气象事务（款）气象服务（项）的一般公共预算拨款是多少？")
    assert answer.found and answer.value == Decimal("1980.00")  # not the 类's 5,247.87


def test_a_column_path_spelled_in_a_named_table(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年收入总表里，上年结转结余中的单位资金有多少？")
    assert answer.found and answer.value == Decimal("104.581766")
    unnamed = answerer.ask("北京市司法局2026年上年结转结余里的单位资金是多少？")
    assert unnamed.value is None or unnamed.value == Decimal("104.581766")  # never the whole 379.26


def test_one_item_in_two_named_overview_tables(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("西安市审计局2026年收支总表的一般公共服务支出比财政拨款收支总表的一般公共服务支出多多少元？")
    assert answer.found and answer.value == Decimal("1981827.50")  # 31,722,917.00 − 29,741,089.50


def test_a_table_named_by_its_stage_is_no_stage_asked(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“三公”经费支出决算表中，因公出国（境）费的预算数是多少？")
    assert answer.found and answer.value == Decimal("30.00")  # the 预算数 column, not 决算数 4.69


def test_two_columns_of_one_row(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年30213维修（护）费的项目支出比基本支出多多少？")
    assert answer.found and answer.value == Decimal("12.34")  # 32.34 − 20.00, not a comparison with 2025


def test_last_year_named_by_its_number(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局去年（2025年）的机关运行经费预算是多少？")
    assert answer.found and answer.value == Decimal("373.59")  # 2025 itself, not 2024


def test_a_nature_named_before_the_stage_is_the_column(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("佛山市轨道交通局2019年一般行政管理事务（2140102）的项目支出决算数是多少？")
    assert answer.found and answer.value == Decimal("905.60")


def test_a_fund_named_reads_that_funds_tables_by_nature(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局2026年一般公共预算里30227委托业务费的基本支出和项目支出一共多少？")
    assert answer.found and answer.value == Decimal("478.20")  # 36.00 + 442.20, two tables of that fund


def test_a_whole_named_by_another_tables_total_is_not_the_parts_table_total(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("苏州市审计局2026年差旅费占机关运行经费合计的比例是多少？")
    assert answer.value != Decimal("1.77")  # never over the 基本支出 table's total 4,312.17
    assert not answer.found or answer.value == Decimal("19.33")  # 76.45 ÷ 395.60


def test_the_year_with_the_most_of_an_item(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("江苏省高级人民法院2017年、2018年、2019年哪一年政府采购预算最少？")
    assert answer.found and answer.value == Decimal("3742.40") and "2017" in answer.answer


def test_what_a_figure_leaves_out_names_no_row_of_it(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("江苏省高级人民法院2018年“三公”经费（不含会议费和培训费）比2017年少了多少？")
    assert answer.found and answer.value == Decimal("49.37")  # 670.12 − 620.75, never the 会议费's change


def test_a_quoted_row_then_its_column(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("重庆市人民政府办公厅2026年“其他政府办公厅（室）及相关机构事务支出”中一般公共预算拨款有多少？")
    assert answer.found and answer.value == Decimal("505.37")  # the 项, not its 款's 15,146.48


def test_a_classification_level_asked_is_never_another_levels_sentence(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("苏州市审计局2026年审计业务（项）的支出预算是多少？")
    assert answer.value != Decimal("339.5")  # that sentence is about 一般行政管理事务（项）


def test_a_column_named_with_its_side_and_a_fund_qualifying_an_item(answerer) -> None:  # type: ignore[no-untyped-def]
    spending = answerer.ask("国家信访局2024年财政拨款支出中一般公共服务（类）支出是多少？")
    assert spending.found and spending.value == Decimal("9846.82")  # not the 收入决算表's 财政拨款收入 15,892.45
    funded = answerer.ask("杭州市气象局2026年财政拨款安排的自然资源海洋气象等支出有多少？")
    assert funded.found and funded.value == Decimal("5247.87")  # not the 财政拨款 total 5,753.07


def test_what_a_total_includes_is_no_item_and_no_concept(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年财政拨款收支总表的收入总计（含上年结转）是多少？")
    assert answer.found and answer.value == Decimal("29844.198694")  # not 本年财政拨款收入 29,569.52


def test_the_departments_own_level(answerer) -> None:  # type: ignore[no-untyped-def]
    own = answerer.ask("杭州市气象局本级2026年三公经费是多少？")
    assert own.found and own.value == Decimal("13.13")  # its own row, not the 合计 24.02 with its 服务中心
    assert answerer.ask("杭州市气象局本级三公经费多少，不算气象服务中心").value == Decimal("13.13")


def test_no_remainder_of_a_grand_total(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("上海市金融服务办公室2018年支出总计中，财政拨款以外的部分是多少？")
    assert answer.value is None  # each table's 总计 counts 上年结转 differently: 58,488元 would be no answer
