"""What is left of a figure once a named part is taken out: "年末结转和结余里，财政拨款以外的部分" is the
年末结转和结余 of all funds minus that of 财政拨款, both read and cited, the subtraction shown.

The part must be the same item as the whole, read for the part the question names (the 年末结转和结余 row
of the 财政拨款 table for the 年末结转和结余 of the whole department); a part that is another item, or
larger than the whole, is refused.

    answer = remainder(answerer, query, catalog, departments)    # None when the question is no such form
"""

from __future__ import annotations

import re

from budgetqa.models import Answer, TableFact
from qa.answer import cite, convert, fmt, refuse
from qa.concepts import clean_label, column_leaf
from qa.lookup import ItemResolver
from qa.resolve import FUNDS, of_fund
from qa.understand import Catalog, Query

# "A里，B以外的部分", "A中除B之外的", "A除去B以外还有多少"
_REST = re.compile(r"^(?P<whole>.*?)(?:(?:中|里|当中|之中)?[，,、\s]*除(?:去|了|开)?|(?:中|里|当中|之中)[，,、\s]*|[，,、\s]+)"
                   r"(?P<part>[^，,。？?＃]{2,16}?)(?:以外|之外)的?(?:部分|资金|其他|剩下|剩余)?")


def remainder(answerer, query: Query, catalog: Catalog, departments: list[str]) -> Answer | None:  # type: ignore[no-untyped-def]
    """The whole minus the named part, or None when the question does not take a part out of a whole."""
    found = _REST.search(query.item_text)
    if not found:
        return None
    whole_text = re.sub(r"^[＃的\s]+|[，,、\s]+$", "", found.group("whole"))
    part_name = found.group("part").strip("的")
    if len(clean_label(whole_text)) < 2 or "＃" in part_name:
        return None  # (a year taken out of a project's total needs its yearly rows: not read here)
    targets = answerer._targets(query, catalog, departments)
    if len(targets) != 1:
        return refuse(query.question, "请指明一个部门和年度。")
    dep, year = targets[0]
    whole = answerer.evidence(query, catalog, dep, year, ItemResolver(whole_text))
    if whole is None or whole.value is None:
        return refuse(query.question, f"没有找到“{whole_text}”。")
    if part_name in FUNDS and of_fund(whole.facts[0], part_name):
        # "一般公共服务支出中，财政拨款以外的资金": the whole read in a 财政拨款 table is the part itself
        return refuse(query.question, f"找到的“{whole.item}”是{part_name}口径的数，文档中没有全部资金口径的同一项，无法扣除。")
    if re.search(r"总计|合计", whole.facts[0].row_label):
        # a table's grand total counts differently in each table (上年结转 in one, not the other): no subtraction
        return refuse(query.question, f"“{whole.item}”在各表中的口径不同，文档没有直接给出{part_name}以外的部分。")
    part = _part_row(answerer.facts([whole.doc], query), whole.facts[0], part_name) or \
        _stated_part(answerer.facts([whole.doc], query), whole.facts[0], part_name)
    if part is None:
        return refuse(query.question, f"没有找到{part_name}口径的“{whole.item}”，无法扣除。")
    unit = whole.unit if whole.unit == part.unit else "万元"
    vw, vp = convert(whole.value, whole.unit, unit), convert(part.value, part.unit, unit)  # type: ignore[arg-type]
    if vp > vw:
        return refuse(query.question, f"找到的{part_name}部分（{fmt(vp, unit)}）大于整体（{fmt(vw, unit)}），无法扣除。")
    rest = vw - vp
    text = (f"{dep}{year or ''}年{whole.item}{fmt(vw, unit)}，其中{part_name}{fmt(vp, unit)}，"
            f"{part_name}以外的部分为{fmt(rest, unit)}。")
    return Answer(query.question, text, True, "compute", rest, unit,
                  [cite(f, whole.doc) for f in whole.facts[:1]] + [cite(part, whole.doc)],
                  computation=f"{fmt(vw)} − {fmt(vp)} = {fmt(rest)}{unit}")


def _part_row(facts: list[TableFact], whole: TableFact, part_name: str) -> TableFact | None:
    """The whole's own row read where the part is: the same printed label (or the label with the part's
    name in it: 年末财政拨款结转和结余) in a table or column of that fund source or unit; its total first."""
    label = clean_label(whole.row_label)
    rows = [f for f in facts if f is not whole and f.value is not None and f.table_index >= 0
            and clean_label(f.row_label).replace(part_name, "") == label and f.unit in ("元", "万元", "亿元")
            and part_name in "".join([f.row_label, f.table_title, f.table_kind, *f.column_path, f.dimensions.get("fund", "")])]
    if not rows:
        return None
    totals = [f for f in rows if f.column_path == whole.column_path] or \
        [f for f in rows if column_leaf(f) in ("合计", "小计", "金额", "总计")]
    return min(totals or rows, key=lambda f: (len(f.column_path), f.table_index))


def _stated_part(facts: list[TableFact], whole: TableFact, part_name: str) -> TableFact | None:
    """A part the document itself lists under the whole: a row under it ("信访专项 > 信访工作经费"), or a
    figure stated in a sentence that states the whole ("信访专项486.39万元，主要包括：信访工作经费216.40万元…")."""
    label = clean_label(whole.row_label)
    said = {f.sentence for f in facts if f.table_kind == "narrative" and f.sentence and f.unit == whole.unit
            and f.value == whole.value and label in clean_label(f.row_label)}
    parts = [f for f in facts if f.value is not None and f.unit == whole.unit and f is not whole and (
        any(label in clean_label(p) for p in f.row_path) if f.table_index >= 0 else
        f.sentence in said and label not in clean_label(f.row_label))]
    match = ItemResolver(part_name).best(parts)
    return match.fact if match is not None and clean_label(part_name) in clean_label(match.fact.row_label) else None
