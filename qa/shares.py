"""Shares with a named whole, every input cited: the part and the whole read in the same table and column
when the question allows (物业管理费 of 商品和服务支出, 项目支出 of the 本年支出 total, 人员经费 of a 决算's
基本支出 = 人员经费合计 + 公用经费合计), else as named.

    class Computations(Sums, Shares): …     answer = self._share(query, catalog, departments)
"""

from __future__ import annotations

import re
from decimal import Decimal

from budgetqa.models import Answer, TableFact
from qa.answer import Evidence, cite, convert, corroborating, described, fmt, refuse, round2, shown
from qa.concepts import clean_label, quoted_names
from qa.cues import asked_item
from qa.gate import unmet_columns
from qa.lookup import ItemResolver
from qa.resolve import FactLookup
from qa.understand import Catalog, Query


class Shares(FactLookup):
    """Share answers (mixed into the Answerer through Computations)."""

    def _share(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        text = re.sub(r"在(.{2,20}?)(?:中|里|当中)占", r"占\1", query.item_text)  # "A在B中占多少" = "A占B多少"
        text = re.sub(r"(?:是|为)(.{1,40}?)的(百分之)", r"占\1\2", text)  # "A是B的百分之几" = "A占B百分之几"
        split = re.search(r"占(?:到)?(.{0,30}?)(?:的)?(?:比例|比重|百分之|百分比|多少|几成|%|$)", text)
        part_text = text[: split.start()] if split else text
        whole_text = split.group(1) if split else ""
        whole_text = re.sub(r"了|比|是|多大|多少|几成?|的|百分之|大约|总数", "", whole_text)  # "占了多大比例": no whole named
        given = re.search(r"[（(]\s*([\d,]+(?:\.\d+)?)\s*(万元|元|亿元)\s*[）)]", whole_text)
        if given:  # "占部门支出预算合计（351904.90万元）": the figure the user quotes must be the whole found
            whole_text = whole_text[: given.start()] + whole_text[given.end():]
        inside = re.match(r"^(.*?)(?<!其)(?:里|中|当中|之中)[，,、\s]*(?:的)?(.+)$", part_text)  # 其中 is not "within"
        whole_named = bool(whole_text.strip("的＃"))  # after 占, in the question's own words
        if inside and not whole_named:
            whole_text, part_text = inside.group(1), inside.group(1) + inside.group(2)  # "政府采购里工程占多少"
        elif inside and whole_named and whole_text.strip("的＃") in inside.group(1):
            whole_text, whole_named = inside.group(1), False  # "一般公共预算基本支出里，人员经费占基本支出"
        whole_text = re.sub(r"^[＃的\s]*(?:(?:今年|明年|这一年)的?)?", "", whole_text)  # "2026年的本年支出中": 本年支出
        whole_text = re.sub(r"^(全部|所有|部门)?(支出|收入)$", r"\2总计", whole_text)  # "今年的支出里": 支出总计
        if re.fullmatch(r"整个|全部|所有|整体|总", whole_text.strip("＃")):  # "在整个部门预算里占几成": the side's total
            whole_text = "收入总计" if "收入" in part_text else "支出总计"
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return refuse(query.question, "请指明一个部门和年度。")
        dep, year = targets[0]
        halves = re.search(r"分(?:为|成)?(.{2,12}?)和(.{2,12}?)(?:两|二)(?:块|部分|类|项)", text)
        if halves and not whole_text.strip("＃"):
            # "基本支出分人员经费和公用经费两块，其中人员经费占比": the whole is the two parts together
            return self._share_of_two(query, catalog, dep, year, halves.group(1), halves.group(2),
                                      text[: halves.start()], text[halves.end():])
        part = self.evidence(query, catalog, dep, year, _operand(part_text))
        if part is None and re.search(r"[，,]", part_text.strip("，, ")):
            # "一般公共预算按经济分类，委托业务费占…": a clause before the part says how it is classified
            part_text = re.split(r"[，,]", part_text.strip("，, "))[-1]
            part = self.evidence(query, catalog, dep, year, _operand(part_text))
        whole = self.evidence(query, catalog, dep, year, _operand(whole_text)) if whole_text.strip("的") else None
        if part is not None and whole_text.strip("＃"):
            # "人员经费占基本支出合计": the part's own table total is the named whole (same table, same 口径);
            # "物业管理费占商品和服务支出": the named row beside the part, in its table and column
            whole = (_stage_beside(part, whole_text, self.facts([part.doc])) or _row_total(part, whole_text, self.facts([part.doc]))
                     or self._table_total(part, whole_text, query)
                     or self._whole_beside(part, whole_text, query) or whole)
        if whole is None and whole_text.strip("＃"):
            return refuse(query.question, f"没有找到问题所说的分母“{whole_text.strip('＃')}”。")
        if inside and part is not None and whole is not None and part.value == whole.value:
            # read in its context the part came out as the whole itself ("政府采购支出总额中，…服务支出"):
            # the part is named alone
            alone = self.evidence(query, catalog, dep, year, ItemResolver(inside.group(2)))
            part = alone if alone is not None and alone.value is not None else part
        if whole is None or (part is not None and whole.facts[0] == part.facts[0] and whole.value == part.value):
            whole = self._default_whole(query, catalog, dep, year, part)
        fund = re.search(r"一般公共预算|政府性基金|国有资本经营|财政拨款", whole_text)
        if fund and part is not None and not _carries_fund(part.facts[0], fund.group()):
            # the whole names a fund source: the part must be read for that fund too, never over all funds
            funded = [f for f in self.facts([part.doc], query) if _carries_fund(f, fund.group())]
            match = ItemResolver(inside.group(2) if inside else part_text).best(funded)
            if match is None or match.fact.value is None:
                return refuse(query.question, f"没有找到{fund.group()}口径的“{part.item}”。")
            part = Evidence.of(match, part.doc)
        if inside and not whole_named and part is not None and whole is not None and whole.facts[0].table_index >= 0 \
                and part.facts[0].table_index != whole.facts[0].table_index:
            # "一般公共预算财政拨款支出里，项目支出占…": the part is read in the whole's own table
            kind = whole.facts[0].table_kind
            fund = re.match(r"一般公共预算|财政拨款|政府性基金|国有资本经营", kind)
            doc_facts = self.facts([whole.doc], query)
            table = [f for f in doc_facts if f.table_index == whole.facts[0].table_index]
            match = ItemResolver(inside.group(2)).best(table)
            if (match is None or match.fact.value is None) and fund:  # its 基本支出 table is the same 口径
                match = ItemResolver(inside.group(2)).best(
                    [f for f in doc_facts if f.table_index >= 0 and f.table_kind.startswith(fund.group())])
            if (match is None or match.fact.value is None) and fund:  # … or the text explaining that table
                nature = re.sub(r"^(一般公共预算|财政拨款|政府性基金|国有资本经营)", "", kind)
                match = ItemResolver(inside.group(2)).best(
                    [f for f in doc_facts if f.table_kind == "narrative" and fund.group()[:4] in f.table_title
                     and nature[:4] in f.table_title])
            stated = part.facts[0] if part is not None else None
            said = stated is not None and stated.table_index < 0 and clean_label(inside.group(1)).strip("＃的") in \
                clean_label("".join([stated.sentence or "", *stated.row_path]))  # its sentence or its section
            if (match is None or match.fact.value is None) and not said:
                return refuse(query.question, f"在“{whole.item}”所在的表中没有找到“{inside.group(2)}”。")
            if match is not None and match.fact.value is not None:
                part = Evidence.of(match, whole.doc)
            # (else the part is stated under the whole: "六、财政拨款基本支出预算情况说明 … 人员经费18387.95万元")
        if part is None or whole is None or whole.value == 0 or part.value is None or whole.value is None:
            return refuse(query.question, "没有找到计算占比所需的数值。")
        # "“信访研究宣传立法专项”执行数占年初预算数": a whole named only by its stage is the quoted project's too
        bare_whole = bool(re.fullmatch(r"[＃的\s]*((年初|全年|调整)?(预算|决算)数?|执行数)[＃的\s]*", whole_text))
        for name in quoted_names(query.question, shortest=4):
            strays = [e.item for e in ((part, whole) if bare_whole else (part,))
                      if not any(clean_label(name) in clean_label(described(f)) for f in e.facts)]
            if strays:  # "“信访研究宣传立法专项”执行数占年初预算数": both figures must be that project's
                return refuse(query.question, f"找到的“{strays[0]}”不是“{name}”的数，无法计算占比。")
        told = [described(f) for f in whole.facts]
        if unmet_columns(whole_text, told + [whole.item]):
            # "基本支出决算中，公用经费占…" answered over 财政拨款收入: not the whole the question names
            return refuse(query.question, f"找到的“{whole.item}”不是问题所说的“{whole_text.strip('＃')}”，无法计算占比。")
        if (part.facts[0] is whole.facts[0] and part.value == whole.value) or (inside and part.value == whole.value and part.item != whole.item
                                                and clean_label(inside.group(2)) not in clean_label(whole.item)):
            return refuse(query.question, f"找到的部分“{part.item}”就是整体本身，没有找到所问的那一部分。")
        if given and convert(whole.value, whole.unit, given.group(2)) != Decimal(given.group(1).replace(",", "")):
            return refuse(query.question, f"问题给出的分母{given.group(1)}{given.group(2)}与文档中的“{whole.item}”"
                                          f"（{fmt(whole.value, whole.unit)}）不一致。", final=True)
        unit = "元" if part.unit == whole.unit == "元" else "万元"
        vp, vw = convert(part.value, part.unit, unit), convert(whole.value, whole.unit, unit)
        rate = round2(vp / vw * 100)
        if rate > 100 or rate < 0:  # a part larger than its whole: the items were not matched as asked
            return refuse(query.question, f"找到的“{part.item}”（{fmt(shown(vp, unit), unit)}）大于“{whole.item}”"
                                          f"（{fmt(shown(vw, unit), unit)}），无法确定所问的占比口径。")
        citations = [cite(f, e.doc) for e in (part, whole)
                     for f in e.facts + [g for g in corroborating(e.facts[0], self.facts([e.doc])) if g not in e.facts]]
        answer_text = f"{dep}{year}年{part.item}{fmt(shown(vp, unit), unit)}，占{whole.item}{fmt(shown(vw, unit), unit)}的{rate}%。"
        return Answer(query.question, answer_text, True, "compute", rate, "%", citations,
                      computation=f"{fmt(vp)} ÷ {fmt(vw)} × 100 = {rate}%")

    def _share_of_two(self, query: Query, catalog: Catalog, dep: str, year: int | None, first: str, second: str,
                      scope: str, rest: str) -> Answer:
        sides = [self.evidence(query, catalog, dep, year, ItemResolver(scope + name)) for name in (first, second)]
        if any(e is None or e.value is None for e in sides):
            return refuse(query.question, f"没有找到“{first}”和“{second}”两部分的数值。")
        a, b = sides  # type: ignore[misc]
        if a.facts[0] is b.facts[0] or a.value == b.value and a.item == b.item:  # type: ignore[union-attr]
            return refuse(query.question, f"没有分别找到“{first}”和“{second}”。")
        if a.facts[0].table_index != b.facts[0].table_index:  # type: ignore[union-attr]
            return refuse(query.question, f"“{first}”和“{second}”不在同一张表中，无法确定占比口径。")
        part = a if first in rest or second not in rest else b
        unit = a.unit or "万元"  # type: ignore[union-attr]
        va, vb = convert(a.value, a.unit, unit), convert(b.value, b.unit, unit)  # type: ignore[union-attr,arg-type]
        vp = va if part is a else vb
        rate = round2(vp / (va + vb) * 100)
        citations = [cite(f, e.doc) for e in sides for f in e.facts]  # type: ignore[union-attr]
        text = f"{dep}{year}年{part.item}{fmt(vp, unit)}，占{a.item}与{b.item}之和{fmt(va + vb, unit)}的{rate}%。"  # type: ignore[union-attr]
        return Answer(query.question, text, True, "compute", rate, "%", citations,
                      computation=f"{fmt(vp)} ÷ ({fmt(va)} + {fmt(vb)}) × 100 = {rate}%")

    def _table_total(self, part: Evidence, whole_text: str, query: Query) -> Evidence | None:
        """The 合计 row × 合计 column of the part's own table, when the whole the question names is that
        table's total (its nature, e.g. 基本支出 for the 基本支出 table, or 合计)."""
        fact = part.facts[0]
        if fact.table_index < 0 or fact.table_kind == "其他":
            return None
        table = [f for f in self.facts([part.doc], query) if f.table_index == fact.table_index and f.value is not None]
        named_side = re.fullmatch(r"(本年|全部|部门|当年)?(总)?(收入|支出)(总计|合计|总额|预算)?", whole_text.strip("＃的 "))
        if named_side and fact.table_kind in ("收支预算总表", "财政拨款收支预算总表"):
            # "收入里，其他收入占": the income half's 本年收入合计 (else 收入总计), in the part's column
            side = named_side.group(3)
            for label in (f"本年{side}合计", f"{side}合计", f"{side}总计"):
                rows = [f for f in table if clean_label(f.row_label) == label and f.column_path == fact.column_path]
                if len(rows) == 1 and rows[0] is not fact:
                    return Evidence(rows[0].value, rows[0].unit, label, rows, part.doc)
            return None
        side = _SIDE_TOTALS.get(fact.table_kind)
        other = asked_item(re.sub(r"合计|总计|总额", "", whole_text))
        if other and other not in re.sub(r"\s", "", fact.table_kind + fact.table_title):
            return None  # "机关运行经费支出合计" is the total of another table than the part's 基本支出 table
        if fact.table_kind.replace("一般公共预算", "") not in whole_text and not re.search(r"合计|总额|总计", whole_text) and not (
                side and re.fullmatch(side, whole_text.strip("＃的 "))):
            return None
        nature = re.search(r"基本支出|项目支出|人员经费|公用经费", whole_text)
        if nature and nature.group() not in fact.table_kind:  # "全部项目支出合计": the 合计 row's 项目支出 column
            totals = [f for f in table if clean_label(f.row_label) in ("合计", "总计")
                      and f.column_path and nature.group() in f.column_path[-1]]
        else:
            totals = [f for f in table if clean_label(f.row_label) in ("合计", "总计")
                      and f.column_path and re.fullmatch(r"(本年)?(收入|支出)?(合计|总计)", f.column_path[-1].replace(" ", ""))]
        if not totals and nature and nature.group() == "基本支出":  # 决算 halves: 人员经费合计 | 公用经费合计
            halves = [f for f in table if clean_label(f.row_label) in ("人员经费合计", "公用经费合计")]
            if len(halves) == 2 and halves[0].unit == halves[1].unit:
                value = halves[0].value + halves[1].value  # type: ignore[operator]
                return Evidence(value, halves[0].unit, "基本支出（人员经费合计＋公用经费合计）", halves, part.doc)
        if len({t.value for t in totals}) == 1:
            totals = totals[:1]  # a total printed again on a continuation page is the same total
        if len(totals) != 1 or totals[0] is fact:
            return None
        total = totals[0]
        name = f"{fact.table_kind}{nature.group() if nature and nature.group() not in fact.table_kind else ''}合计"
        return Evidence(total.value, total.unit, name, [total], part.doc)

    def _whole_beside(self, part: Evidence, whole_text: str, query: Query) -> Evidence | None:
        """The row the question names as the whole, read in the part's own table and column."""
        fact = part.facts[0]
        if fact.table_index < 0:
            return None
        beside = [f for f in self.facts([part.doc], query)
                  if f.table_index == fact.table_index and f.column_path == fact.column_path and f is not fact]
        match = ItemResolver(whole_text).best(beside)
        if match is None or match.fact.value is None or match.score < 30 or match.fact.row_label == fact.row_label:
            return None
        return Evidence.of(match, part.doc)

    def _default_whole(self, query: Query, catalog: Catalog, dep: str, year: int | None,
                       part: Evidence | None) -> Evidence | None:
        if part is not None and part.facts[0].table_kind == "三公经费":
            return self.evidence(query, catalog, dep, year, ItemResolver("三公经费"))
        if part is not None and "政府采购" in part.facts[0].row_label + part.item:
            return self.evidence(query, catalog, dep, year, ItemResolver("政府采购预算"))
        return self.evidence(query, catalog, dep, year, ItemResolver("支出总计"))


_SIDE_TOTALS = {"支出预算总表": r"(本年|全部|部门|当年)?(支出|总支出)(总计|合计|总额|预算)?",
                "收入预算总表": r"(本年|全部|部门|当年)?(收入|总收入)(总计|合计|总额|预算)?"}


_STAGE = re.compile(r"[＃的\s]*((年初|全年|调整)?预算数?|(全年)?执行数|决算数?)[＃的\s]*")


def _row_total(part: Evidence, whole_text: str, facts: list[TableFact]) -> Evidence | None:
    """"一般公共预算资金占这个项目总额": the whole is the part's own row, in its table's total column
    (总计 / 合计), when the question names the row's total and the part is another column of it."""
    if not _OWN_TOTAL.fullmatch(whole_text.strip("＃的 ")):
        return None
    fact = part.facts[0]
    if fact.table_index < 0 or not fact.column_path or fact.column_path[0] in ("合计", "总计"):
        return None
    totals = [f for f in facts if f.table_index == fact.table_index and f.row_label == fact.row_label
              and f.row_path == fact.row_path and f.value is not None and f is not fact
              and "".join(f.column_path) in ("合计", "总计")]
    if len({t.value for t in totals}) != 1:
        return None
    return Evidence(totals[0].value, totals[0].unit, f"{clean_label(fact.row_label)}{totals[0].column_path[0]}",
                    totals[:1], part.doc)


# the whole named as the item's own total: 这个项目总额, 该项目的合计, 项目资金总额
_OWN_TOTAL = re.compile(r"(这个|该|此|本|这一)?(项目|科目|款项|经费)?的?(资金)?(总额|总计|合计|总金额|总数)")


def _stage_beside(part: Evidence, whole_text: str, facts: list[TableFact]) -> Evidence | None:
    """A whole named only by its stage ("全年执行数占全年预算数"): the part's own row, in the column that
    differs from the part's by that stage alone (财政拨款 > 全年执行数 beside 财政拨款 > 全年预算数)."""
    fact = part.facts[0]
    stage = _STAGE.fullmatch(whole_text)
    if fact.table_index < 0 or not stage:
        return None
    named = stage.group(1)
    for other in facts:
        same_row = other.row_index == fact.row_index or (other.row_label, other.row_path) == (fact.row_label, fact.row_path)
        if other.table_index != fact.table_index or not same_row or other is fact \
                or len(other.column_path) != len(fact.column_path) or other.value is None:
            continue
        differ = [i for i, (a, b) in enumerate(zip(other.column_path, fact.column_path, strict=True)) if a != b]
        if len(differ) == 1 and re.sub(r"\s", "", other.column_path[differ[0]]) in (named, named + "数"):
            return Evidence(other.value, other.unit, f"{part.item}{named}", [other], part.doc)
    return None


def _carries_fund(fact: TableFact, fund: str) -> bool:
    """The fact is a figure of that fund source: by its table (一般公共预算支出表) or its column."""
    if fact.table_index < 0:  # a sentence: by its words or the section it stands in
        return fund in (fact.sentence or "") or fund in fact.table_title
    return (fund in fact.table_title or fact.table_kind.startswith(fund) or fund in "".join(fact.column_path)
            or fact.dimensions.get("fund") == fund)


def _operand(text: str) -> ItemResolver:
    """A resolver for a share's part or whole: a figure, never a text cell of the row named."""
    resolver = ItemResolver(text)
    resolver.amounts_only = True
    return resolver

