"""Consistency checks as a self-test of extraction, on the whole corpus: the only findings left are
genuine inconsistencies of the published documents, and rounding differences are notes, not findings."""

from __future__ import annotations

from decimal import Decimal

from budgetqa.models import TableFact
from ingest.checks import check_document

# The one published inconsistency of the corpus: 中共西安市委宣传部 2021 表13 (p.41) prints 2021 合计
# 1,171,100.00 while its parts (三公 65,100 + 会议费 320,000 + 培训费 1,096,000) add to 1,481,100.00
# (the 增减变化情况 合计 follows the printed 合计; per unit 201001 and 201002 the same gap of
# 190,000 + 120,000 = 310,000). 2020 adds up. 4 rows x (2021, 增减变化情况) = 8 findings.
GENUINE = {("中共西安市委宣传部2021年部门综合预算.pdf", 41): 8}


def test_only_genuine_findings_remain(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    found: dict[tuple[str, int | None], int] = {}
    for name, doc in corpus_documents.items():
        for finding in doc.findings:
            if finding.severity == "finding":
                found[(name, finding.page)] = found.get((name, finding.page), 0) + 1
    assert found == GENUINE


def test_rounding_differences_are_notes(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    notes = [f for doc in corpus_documents.values() for f in doc.findings if f.severity == "rounding"]
    assert notes, "tables in 万元 round each cell: some totals differ by 0.01 from their parts"
    assert all(f.check in ("column_sum", "code_sum", "table_vs_table") for f in notes)


def _fact(row: str, column: tuple[str, ...], value: str, text: str | None = None) -> TableFact:
    return TableFact(document_id="d", table_index=0, table_kind="支出预算总表", table_title="支出总表", page=1,
                     row_index=0, row_code=None, row_label=row, row_path=(), column_path=column,
                     value=Decimal(value), text_value=text or value, unit="万元")


def test_one_cent_per_cell_is_a_rounding_note_and_more_is_a_finding() -> None:
    near = [_fact("合计", ("合计",), "100.01"), _fact("合计", ("基本支出",), "60.00"), _fact("合计", ("项目支出",), "40.00")]
    far = [_fact("合计", ("合计",), "100.05"), _fact("合计", ("基本支出",), "60.00"), _fact("合计", ("项目支出",), "40.00")]
    assert [f.severity for f in check_document(near)] == ["rounding"]
    assert [f.severity for f in check_document(far)] == ["finding"]


def test_a_group_without_its_subtotal_is_not_summed() -> None:
    """总计 beside 基本支出 > 人员支出 | 日常公用支出 (no 小计) and 项目支出: the group's share is not
    printed, so the total is not checked rather than flagged against a wrong sum."""
    facts = [_fact("合计", ("总计",), "100.00"), _fact("合计", ("基本支出", "人员支出"), "50.00"),
             _fact("合计", ("基本支出", "日常公用支出"), "20.00"), _fact("合计", ("项目支出",), "30.00")]
    assert check_document(facts) == []
    facts.append(_fact("合计", ("基本支出", "小计"), "70.00"))
    facts[0] = _fact("合计", ("总计",), "90.00")
    assert [f.check for f in check_document(facts)] == ["column_sum"]
