"""More rules of the domain, found with question batches X and Y (written from the PDFs by readers who saw
no code), each checked on the real corpus with the whole corpus loaded, in our own wording."""

from __future__ import annotations

from decimal import Decimal


def test_the_execution_rate_of_two_items_together_is_their_sums_rate(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年信访业务与其他信访事务支出加在一起的执行率是多少？")
    # (2,066.84 + 1,788.46) ÷ (2,325.72 + 2,457.85); never one item's stated 72.77% or 88.87%
    assert answer.found and answer.value == Decimal("80.59")
    assert len(answer.citations) == 4


def test_spending_named_by_its_side_alone_is_the_total(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年部门预算支出是多少？")
    assert answer.found and answer.value == Decimal("4684.30")
    # 收入总计 prints the same amount: the sentence cited beside the row is the one about 支出
    assert all("收入" not in (c.snippet or "") for c in answer.citations if not c.table)


def test_last_years_total_from_the_stated_change_of_the_total(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("按照2026年部门预算说明，深圳市信访局2025年部门预算支出有多少？")
    assert answer.found and answer.value == Decimal("4932.00")  # 4,684.30 + 247.70 (较2025年年初预算减少)


def test_a_final_accounts_total_is_never_a_parts_stated_total(answerer) -> None:  # type: ignore[no-untyped-def]
    # the 决算 总表 prints 收入 and 支出 side by side, each ending in a plain 总计; the sentence
    # "“三公”经费财政拨款支出预算为76.43万元" states no department total
    answer = answerer.ask("国家信访局2024年支出总计是多少？")
    assert answer.found and answer.value == Decimal("22066.59")
    assert answerer.ask("国家信访局2024年支出是多少？").value != Decimal("76.43")


def test_a_sum_keeps_a_printed_name_that_holds_和_whole(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年社会保障和就业支出与卫生健康支出合计是多少？")
    assert answer.found and answer.value == Decimal("3567.054872")  # 2,218.235324 + 1,348.819548


def test_a_difference_between_two_departments_totals_of_收支(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("烟台市审计局和苏州市审计局2026年收支预算总额的差额是多少？")
    assert answer.found and answer.value == Decimal("1093.32")  # 4,651.67 − 3,558.35


def test_a_quoted_project_is_described_by_passages_printing_its_whole_name(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“资产运行维护”是干什么用的？")
    assert answer.found and "办公业务楼" in answer.answer  # never 信息化运行维护's sentences
    assert "公用经费 2266.65" not in answer.answer  # nor a list that only holds 运行维护费


def test_a_bracketed_how_to_derive_names_no_year_and_no_operation(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("苏州市审计局2025年提租补贴是多少？（按2026年预算和增减变化推算）")
    assert answer.found and answer.value == Decimal("289.04")


def test_the_spread_of_a_ranking_is_highest_minus_lowest(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年信访专项、社工服务项目、信访大厅运行这三个项目里，最多的和最少的相差多少？")
    assert answer.found and answer.value == Decimal("117.45")  # 603.84 − 486.39, never one end (486.39)


def test_the_size_of_a_fall_is_a_rate(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("苏州市审计局2026年的培训费比上年下降的幅度有多大？")
    assert answer.found and answer.unit == "%" and answer.value == Decimal("33.57")  # 21.73 ÷ (43 + 21.73)
    growth = answerer.ask("西安市委宣传部2021年行政运行比2020年增长了多少（百分比）？")
    assert growth.found and growth.unit == "%" and growth.value == Decimal("16.84")  # never a share


def test_a_named_rows_personnel_and_public_columns(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("重庆市人民政府办公厅2026年行政运行这一项的人员经费比公用经费多多少？")
    assert answer.found and answer.value == Decimal("2743.23")  # 4,542.97 − 1,799.74 of that row, not the totals


def test_a_ratio_of_two_items(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年人员经费相当于公用经费的几倍？")
    assert answer.found and answer.unit == "倍" and answer.value == Decimal("6.78")  # 2,422.61 ÷ 357.43


def test_one_item_under_two_parents(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("西安市审计局2026年差旅费中，专项业务经费列支的部分比公用经费列支的部分多多少？")
    assert answer.found and answer.value == Decimal("2100000.00")  # 2,450,000 − 350,000 元, not 差旅费 − 公用经费


def test_an_optional_character_and_a_spelled_column_group(answerer) -> None:  # type: ignore[no-untyped-def]
    assert answerer.ask("上海市审计局2026年单位预算的维修费是多少？").value == Decimal("3202300")  # 维修（护）费
    answer = answerer.ask("佛山市轨道交通局2019年政府性基金预算财政拨款本年支出决算是多少？")
    assert answer.found and "本年支出" in " ".join(c.column or "" for c in answer.citations)


def test_what_a_scope_is_not_limited_to_names_no_item(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年年末结转和结余（不只是财政拨款，全部资金）是多少？")
    assert answer.found and answer.value == Decimal("7494.06")


def test_which_of_two_items_is_larger_and_by_how_much(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年因公出国（境）费和公务用车购置及运行维护费哪个多，差多少？")
    assert answer.found and answer.value == Decimal("2.822723")  # 51.059723 − 48.237000
    units = answerer.ask("福州市医疗保障局的医疗保障数据技术中心与医疗保障服务行为监测中心，2026年收入预算哪个更多？")
    assert units.found and units.value == Decimal("1096.40")  # 2,040.60 − 944.20


def test_a_scope_before_a_list_of_addends(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年基本支出决算中，电费、水费和物业管理费合计多少？")
    assert answer.found and answer.value == Decimal("683.44")  # 205.05 + 38.95 + 439.44


def test_a_coded_row_printed_twice_under_one_parent_is_summed_when_the_table_adds_up(answerer) -> None:  # type: ignore[no-untyped-def]
    # 烟台 prints 30101 基本工资 under 501 机关工资福利支出 (442.38) and 505 对事业单位经常性补助 (128.46);
    # the top-level rows add up to the 合计, so the department's 基本工资 is both, never the first alone
    answer = answerer.ask("烟台市审计局2026年一般公共预算基本支出中基本工资有多少？")
    assert answer.found and answer.value == Decimal("570.84")


def test_the_columns_a_sum_lists_in_brackets(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("广州市信访局2026年物业管理费合计多少（基本支出和项目支出）？")
    assert answer.found and answer.value == Decimal("131.10")  # 32.10 + 99.00


def test_a_clause_before_a_share_says_how_the_part_is_classified(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年按经济分类看，委托业务费占商品和服务支出的百分之几？")
    assert answer.found and answer.value == Decimal("58.07")  # 1,143.78 ÷ 1,969.72


def test_what_a_project_left_unspent_is_its_budget_minus_its_execution(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“信息化运行维护”全年预算扣除全年执行数，剩下多少？")
    assert answer.found and answer.value == Decimal("606.35")  # 1,639.34 − 1,032.99 of its 自评表


def test_what_a_figure_is_spent_on_is_not_its_subject(answerer) -> None:  # type: ignore[no-untyped-def]
    # "信访工作经费216.40万元，主要用于赴省进京劝返工作、信访案件处理等": no figure of a 劝返 budget of its own
    answer = answerer.ask("深圳市信访局2026年信访案件处理经费是多少？")
    assert answer.value != Decimal("216.40")


def test_days_are_counted_never_answered_with_money(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("西安市审计局2026年“全市审计干部能力素质提升培训”一共培训多少天？")
    assert answer.value is None  # the form gives its cost (8.70万元), not its length


def test_the_comprehensive_budget_names_the_disclosure(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("中共西安市委宣传部2021年部门综合预算中说共有几辆车？")
    assert answer.found and answer.value == Decimal("4")


def test_the_form_of_the_unit_that_carries_the_project_out(answerer) -> None:  # type: ignore[no-untyped-def]
    # two 综合工作经费 forms: the bureau's (260.00) and the 基金中心's (实施单位, 1,160.00)
    answer = answerer.ask("福州市医疗保障基金中心2026年“综合工作经费”的资金总额有多少？")
    assert answer.found and answer.value == Decimal("1160.00")


def test_a_named_code_is_read_in_the_rows_printing_it(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年一般公共预算基本支出里30108机关事业单位基本养老保险缴费多少？")
    assert answer.found and answer.value == Decimal("175.00")


def test_both_vehicle_parts_named_are_the_whole_vehicle_item(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("北京市司法局2026年“三公”经费中公务用车（购置和运行维护）的占比是多少？")
    assert answer.found and answer.value == Decimal("50.00")  # 51.06 ÷ 102.11, never 购置费 alone (15.10%)


def test_last_year_is_read_at_the_precision_of_its_stated_change(answerer) -> None:  # type: ignore[no-untyped-def]
    # "财政拨款收入19,577万元，比2025年预算减少290万元" beside the table's 19,577.43
    answer = answerer.ask("上海市审计局2025年财政拨款收入预算有多少万元？")
    assert answer.found and answer.value == Decimal("19867")


def test_counts_in_辆_and_台_are_compared_as_counts(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("重庆市人民政府办公厅和北京市司法局2026年的车辆，哪个多，多几辆？")
    assert answer.found and answer.value == Decimal("9") and answer.unit == "辆"  # 46 辆 vs 37 台


def test_a_change_after_a_list_of_parts_is_the_wholes(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    facts = corpus_documents["西安市审计局2026年部门预算.pdf"].facts
    changes = {f.row_label for f in facts if f.page == 10 and f.column_path == ("比上年", "增加")}
    assert changes == {"本部门当年预算收入", "本部门当年预算支出"}  # not 其他收入 (100.00, 较上年增加142.30)


def test_an_indicator_of_a_named_project_counted_in_the_unit_asked(answerer) -> None:  # type: ignore[no-untyped-def]
    done = answerer.ask("国家信访局2024年信访干部培训专项一共实际培训了多少人？")
    assert done.found and done.value == Decimal("366")  # its 实际完成值; the target is ≥300人


def test_two_budget_stages_of_one_project(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("国家信访局2024年“信访研究宣传立法专项”全年预算数比年初预算数多了多少？")
    assert answer.found and answer.value == Decimal("42.44")  # 536.20 − 493.76, not 决算 − 年初预算
    unspent = answerer.ask("国家信访局2024年“信息化运行维护”全年预算中有多少没有执行？")
    assert unspent.found and unspent.value == Decimal("606.35")  # never the 全年预算 itself


def test_a_share_inside_a_named_whole_and_of_the_whole_budget(answerer) -> None:  # type: ignore[no-untyped-def]
    part = answerer.ask("北京市司法局2026年公务用车购置和运行维护费里，购置费占百分之几？")
    assert part.found and part.value == Decimal("30.20")  # 15.42 ÷ 51.06
    whole = answerer.ask("深圳市信访局2026年项目支出占整个部门预算的比例是多少？")
    assert whole.found and whole.value == Decimal("34.42")  # 1,612.29 ÷ 4,684.30


def test_last_years_figure_after_a_change_named_without_its_amount(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("西安市审计局审计业务（2010804）2026年比上年减少了，那上年是多少？")
    assert answer.found and answer.value == Decimal("817.00")  # 635.87 + 181.13, never the change itself


def test_two_items_compared_inside_a_scope_and_a_listed_part_taken_out(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局2026年政府采购预算中，货物比服务多多少？")
    assert answer.found and answer.value == Decimal("19.00")  # 566.26 − 547.26
    rest = answerer.ask("深圳市信访局2026年信访专项除去信访工作经费以外的部分是多少？")
    assert rest.found and rest.value == Decimal("269.99")  # 486.39 − 216.40, both from one sentence


def test_rankings_over_listed_items(answerer) -> None:  # type: ignore[no-untyped-def]
    listed = answerer.ask("上海市审计局2026年支出的几个科目（一般公共服务、社会保障和就业、卫生健康、住房保障）中哪个最多？")
    assert listed.found and listed.value == Decimal("134339860")  # a list in brackets; 几个…中最多 counts nothing
    columns = answerer.ask("国家信访局2024年“三公”经费决算中，因公出国（境）费、公务用车购置及运行费、公务接待费三项，"
                           "最多的比最少的多多少？")
    assert columns.found and columns.value == Decimal("39.71")  # three columns of one row: 40.61 − 0.90
    scoped = answerer.ask("杭州市气象局2026年一般公共预算当年拨款中，行政运行、气象事业机构、气象服务三项，最大和最小的相差多少？")
    assert scoped.found and scoped.value == Decimal("1966.51")  # 2,617.19 − 650.68


def test_a_fund_named_is_never_answered_with_all_funds(answerer) -> None:  # type: ignore[no-untyped-def]
    project = answerer.ask("重庆市人民政府办公厅2026年一般公共预算财政拨款的项目支出有多少？")
    assert project.value != Decimal("10211.71")  # the 支出总表's all-funds 项目支出
    final = answerer.ask("国家信访局2024年财政拨款支出里，一般公共服务支出决算数是多少？")
    assert final.found and final.value == Decimal("9846.82")  # not 10,685.56 of all funds
    rest = answerer.ask("西安市审计局2026年一般公共服务支出中财政拨款以外的部分是多少？")
    assert rest.value != Decimal("0")  # the whole read in a 财政拨款 table is no whole


def test_a_quoted_item_is_the_answers_own(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("深圳市信访局2026年信访专项中的“信访工作经费”安排了多少？")
    assert answer.value != Decimal("486.39")  # the 信访专项 row is its container


def test_a_class_is_not_answered_with_its_items_sentence(answerer) -> None:  # type: ignore[no-untyped-def]
    # "城乡社区支出（类）城乡社区管理事务（款）行政运行（项）1660.32万元" states the 项
    answer = answerer.ask("普陀区万里街道2024年城乡社区支出预算有多少？")
    assert answer.found and answer.value == Decimal("119385303")


def test_a_sentence_cited_beside_a_figure_names_only_its_own_subject(answerer) -> None:  # type: ignore[no-untyped-def]
    # "社工服务项目498.82万元：采购大厅纠纷调解社工23名，支出373.66万元…": the row 社工服务项目 is no answer
    answer = answerer.ask("深圳市信访局2026年社工服务项目中纠纷调解社工那部分支出安排了多少万元？")
    assert answer.value != Decimal("498.82")


def test_an_amount_asked_is_never_answered_with_a_stated_rate(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("杭州市气象局2026年的预算比上年多了多少？")
    assert answer.unit != "%"  # the text's "增长0.8%" is no amount


def test_a_given_change_of_a_side_and_a_tables_total_named_by_its_table(answerer) -> None:  # type: ignore[no-untyped-def]
    given = answerer.ask("深圳市信访局2026年部门预算收入比2025年减少了247.70万元，那么2025年收入是多少？")
    assert given.found and given.value == Decimal("4932.00")  # 4,684.30 + 247.70
    growth = answerer.ask("福州市医疗保障局2026年收入预算比上年增长了百分之几？")
    assert growth.found and growth.value == Decimal("55.40")  # stated of 收入预算, read for the 收入预算总表 total


def test_a_grand_total_and_a_named_table(answerer) -> None:  # type: ignore[no-untyped-def]
    grand = answerer.ask("国家信访局2024年财政拨款收支决算总计是多少？")
    assert grand.found and grand.value == Decimal("20727.53")  # 总计, not the 合计 beside it (13,733.80)
    table = answerer.ask("北京市司法局2026年财政拨款政府购买服务明细表的合计是多少？")
    assert table.value != Decimal("29569.52")  # a sentence about 财政拨款收入 is no cell of that table


def test_a_scope_without_a_comma_before_the_items(answerer) -> None:  # type: ignore[no-untyped-def]
    summed = answerer.ask("国家信访局2024年基本支出决算中离休费与退休费一共多少？")
    assert summed.found and summed.value == Decimal("794.97")  # 537.43 + 257.54
    compared = answerer.ask("杭州市气象局2026年政府采购预算中货物比服务多多少？")
    assert compared.found and compared.value == Decimal("19.00")


def test_a_share_of_the_total_named_as_总额(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("重庆市人民政府办公厅2026年政府采购预算中服务占总额的比例是多少？")
    assert answer.found and answer.value == Decimal("97.58")  # 4,432.69 ÷ 4,542.69, the part's own table total
