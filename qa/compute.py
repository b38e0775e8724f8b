"""Operations over evidence, with the arithmetic shown and every input cited: differences and growth
(across years or departments, or from a stated change), shares with a named denominator, sums,
rankings of rows and of the named departments.

    class Answerer(Computations): …     answer = self._share(query, catalog, departments)
"""

from __future__ import annotations

import re
from decimal import Decimal

from budgetqa.models import Answer, TableFact
from qa.answer import Evidence, _who, cite, convert, fmt, refuse, round2, shown
from qa.concepts import clean_label
from qa.gate import unmet_columns
from qa.lookup import ItemResolver, Match
from qa.resolve import latest_year
from qa.sums import Sums
from qa.understand import Catalog, Query

_GIVEN_CHANGE = re.compile(r"(?:比|较)(?:上年|上一年|去年|＃)[^，,。？?]{0,8}?(增加|减少|多|少|增长|下降)了?\s*"
                          r"([\d,]+(?:\.\d+)?)\s*(万元|元|亿元)")


class Computations(Sums):
    """Difference, growth, share, sum and ranking answers (mixed into the Answerer)."""

    def _difference(self, query: Query, catalog: Catalog, departments: list[str], resolver: ItemResolver) -> Answer:
        stages = re.findall(r"年初预算|全年预算|预算数|决算数|支出决算|执行数", query.text)
        if len(set(stages)) >= 2 and len(query.departments) <= 1 and len(set(query.years)) <= 1:
            # 年初预算 vs 决算 of one item is a stage comparison, not a difference between two items
            from qa.execution import stage_difference

            by_stage = stage_difference(self, query, catalog, departments)
            if by_stage is not None:
                return by_stage
            return refuse(query.question, f"问题比较同一项目的{'与'.join(dict.fromkeys(stages))}，"
                                          "文档中没有找到该项目两者并列的数字。")
        by_items = self._item_difference(query, catalog, departments)
        if by_items is not None:
            return by_items
        pairs = self._pair(query, catalog, departments)
        if pairs is None:
            return refuse(query.question, "需要两个年度或两个部门才能比较，问题里只找到一个。")
        (dep_a, year_a), (dep_b, year_b) = pairs
        if query.operation == "growth" and dep_a == dep_b and year_a and year_b and year_a < year_b:
            (dep_a, year_a), (dep_b, year_b) = (dep_b, year_b), (dep_a, year_a)  # growth is over the earlier year
        a = self.evidence(query, catalog, dep_a, year_a, resolver)
        if a is None:
            return refuse(query.question, f"没有找到{dep_a}{year_a or ''}年的该项数据。", final=True)
        b = self.evidence(query, catalog, dep_b, year_b, resolver)
        stated = None
        if dep_a == dep_b and year_b is not None and (b is None or b.note):
            docs = catalog.docs_for(dep_a, year_a, query.kind)
            match = Match(a.facts[0], a.item, 0)
            stated = self._stated_change(resolver, self.facts(docs), match, year_b)
        if stated is not None:
            delta, fact = stated
            return self._change_answer(query, a, delta, fact, year_a, year_b)
        if b is None:
            return refuse(query.question, f"没有找到{dep_b}{year_b or ''}年的该项数据，无法比较。", final=True)
        unit = a.unit if a.unit == b.unit else "万元"
        va, vb = convert(a.value, a.unit, unit), convert(b.value, b.unit, unit)
        delta = va - vb
        name_a, name_b = _who(dep_a, year_a, dep_a != dep_b), _who(dep_b, year_b, dep_a != dep_b)
        chart = [{"label": name_a, "value": float(va), "unit": unit}, {"label": name_b, "value": float(vb), "unit": unit}]
        citations = [cite(f, a.doc) for f in a.facts] + [cite(f, b.doc) for f in b.facts]
        if query.operation == "growth":
            if vb == 0:
                return refuse(query.question, "基数为0，无法计算增长率。")
            rate = round2(delta / vb * 100)
            text = f"{name_a}{a.item}{fmt(va, unit)}，{name_b}{fmt(vb, unit)}，增长率为{rate}%。"
            if rate < 0 and re.search(r"下降|降幅|减少|降低|少了", query.text):
                rate = -rate  # "下降了百分之多少" is answered with the size of the fall
                text = f"{name_a}{a.item}{fmt(va, unit)}，{name_b}{fmt(vb, unit)}，下降{rate}%。"
            return Answer(query.question, text, True, "compute", rate, "%", citations,
                          computation=f"({fmt(va)} − {fmt(vb)}) ÷ {fmt(vb)} × 100 = {rate}%", chart=chart)
        more = "多" if delta > 0 else "少" if delta < 0 else "持平"
        shown = round2(abs(delta)) if unit != "元" else abs(delta)
        text = (f"{name_a}{a.item}为{fmt(va, unit)}，{name_b}为{fmt(vb, unit)}，"
                + (f"{name_a}比{name_b}{more}{fmt(shown, unit)}。" if delta else "两者相同。"))
        return Answer(query.question, text, True, "compute", shown, unit, citations,
                      computation=f"{fmt(va)} − {fmt(vb)} = {fmt(delta)}{unit}", chart=chart)

    def _change_answer(self, query: Query, a: Evidence, delta: Decimal, fact: TableFact, year_a: int | None,
                       year_b: int | None) -> Answer:
        doc = a.doc
        direction = "增加" if delta > 0 else "减少" if delta < 0 else "持平"
        sentence = fact.sentence or ""
        if query.operation == "growth":
            pct = re.search(r"(增长|下降|增加|减少)(?:了)?\s*(\d+(?:\.\d+)?)%", sentence)
            if not pct:
                return refuse(query.question, "文档只说明了变化金额，没有说明增长率，且没有上一年度的文档可以计算。")
            rate = Decimal(pct.group(2))
            return Answer(query.question, f"据文档说明，{sentence}", True, "table", rate, "%", [cite(fact, doc)])
        text = f"据{doc.department}{year_a}年文档说明：{sentence}（{a.item}比{year_b}年{direction}" + (
            f"{fmt(abs(delta), fact.unit)}）" if delta else "）")
        return Answer(query.question, text, True, "table", abs(delta), fact.unit or a.unit, [cite(fact, doc)])

    def _pair(self, query: Query, catalog: Catalog, departments: list[str]) -> tuple | None:  # type: ignore[type-arg]
        """The two (department, year) sides of a comparison, in the order they were named."""
        if len(query.departments) >= 2:
            years = query.years
            if len(years) >= 2:
                return (departments[0], years[0]), (departments[1], years[1])
            year = years[0] if years else None
            return (departments[0], year or latest_year(catalog, departments[0])), \
                   (departments[1], year or latest_year(catalog, departments[1]))
        if len(query.years) >= 2 and departments:
            return (departments[0], query.years[0]), (departments[0], query.years[1])
        if len(query.years) == 1 and departments and query.operation in ("difference", "growth", "compare"):
            return (departments[0], query.years[0]), (departments[0], query.years[0] - 1)
        return None

    def _item_difference(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer | None:
        """'人员经费比公用经费多多少': two items of one document-year."""
        match = re.match(r"^(.*?)比(.*?)(多|少|高|低|增加|减少|差)", query.item_text)
        if not match or len(query.departments) > 1 or len(query.years) > 1:
            return None
        left, right = (re.sub(r"[＃的]", "", g) for g in match.group(1, 2))
        if len(left) < 2 or len(right) < 2 or re.search(r"去年|上年|上一年|前年|预算$", right):
            return None
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return None
        dep, year = targets[0]
        a = self.evidence(query, catalog, dep, year, ItemResolver(left))
        b = self.evidence(query, catalog, dep, year, ItemResolver(right))
        if a is None or b is None or a.value is None or b.value is None or a.facts[0] is b.facts[0]:
            return None
        unit = a.unit if a.unit == b.unit else "万元"
        if "万元" in query.text:
            unit = "万元"
        va, vb = convert(a.value, a.unit, unit), convert(b.value, b.unit, unit)
        delta = va - vb
        shown = round2(abs(delta)) if unit != "元" else abs(delta)
        more = "多" if delta > 0 else "少" if delta < 0 else "持平"
        text = f"{dep}{year}年{a.item}{fmt(va, unit)}，{b.item}{fmt(vb, unit)}，{a.item}比{b.item}{more}{fmt(shown, unit)}。"
        return Answer(query.question, text, True, "compute", shown, unit,
                      [cite(f, a.doc) for f in a.facts] + [cite(f, b.doc) for f in b.facts],
                      computation=f"{fmt(va)} − {fmt(vb)} = {fmt(delta)}{unit}")

    def _share(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        text = query.item_text
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
        whole_text = re.sub(r"^[＃的\s]+", "", whole_text)  # "2026年的本年支出中": the whole is 本年支出
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return refuse(query.question, "请指明一个部门和年度。")
        dep, year = targets[0]
        halves = re.search(r"分(?:为|成)?(.{2,12}?)和(.{2,12}?)(?:两|二)(?:块|部分|类|项)", text)
        if halves and not whole_text.strip("＃"):
            # "基本支出分人员经费和公用经费两块，其中人员经费占比": the whole is the two parts together
            return self._share_of_two(query, catalog, dep, year, halves.group(1), halves.group(2),
                                      text[: halves.start()], text[halves.end():])
        part = self.evidence(query, catalog, dep, year, ItemResolver(part_text))
        whole = self.evidence(query, catalog, dep, year, ItemResolver(whole_text)) if whole_text.strip("的") else None
        if part is not None and whole_text.strip("＃"):
            # "人员经费占基本支出合计": the part's own table total is the named whole (same table, same 口径);
            # "物业管理费占商品和服务支出": the named row beside the part, in its table and column
            whole = self._table_total(part, whole_text, query) or self._whole_beside(part, whole_text, query) or whole
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
            if match is None or match.fact.value is None:
                return refuse(query.question, f"在“{whole.item}”所在的表中没有找到“{inside.group(2)}”。")
            part = Evidence.of(match, whole.doc)
        if part is None or whole is None or whole.value == 0:
            return refuse(query.question, "没有找到计算占比所需的数值。")
        told = [" ".join([f.table_title, *f.row_path, f.row_label, *f.column_path, f.sentence or ""]) for f in whole.facts]
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
        citations = [cite(f, part.doc) for f in part.facts] + [cite(f, whole.doc) for f in whole.facts]
        answer_text = f"{dep}{year}年{part.item}{fmt(shown(vp, unit), unit)}，占{whole.item}{fmt(shown(vw, unit), unit)}的{rate}%。"
        return Answer(query.question, answer_text, True, "compute", rate, "%", citations,
                      computation=f"{fmt(vp)} ÷ {fmt(vw)} × 100 = {rate}%")

    def _from_given_change(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer | None:
        """'…收支预算比上年增加118.76万元，那么2025年收支预算是多少': the document's figure minus the change
        the question gives (the figure is read and cited; the change is the user's)."""
        change = _GIVEN_CHANGE.search(query.item_text)
        if change is None or not re.search(r"(那么|则|即|那)?[^，,。]{0,12}(上年|上一年|去年|＃)[^，,。]{0,14}多少",
                                           query.item_text[change.end():]):
            return None
        if len(departments) != 1:
            return None
        dep = departments[0]
        asked = {y for _, y in self._targets(query, catalog, departments) if y}
        year = max((y for y in catalog.years(dep) if y in asked), default=None)  # the document's (later) year
        if year is None:
            return None
        item = re.sub(r"[\d,.]+\s*(万元|元|亿元)|＃|的", "", query.item_text[: change.start()]).strip("，, ")
        ev = self.evidence(query, catalog, dep, year, ItemResolver(item))
        if ev is None or ev.value is None:
            return refuse(query.question, f"没有找到{dep}{year}年的“{item}”，无法由问题给出的变化额推算。")
        unit = change.group(3)
        delta = Decimal(change.group(2).replace(",", ""))
        base = convert(ev.value, ev.unit, unit)
        sign = -1 if change.group(1) in ("增加", "多", "增长") else 1
        value = base + sign * delta
        op = "−" if sign < 0 else "+"
        text = (f"{dep}{year}年{ev.item}{fmt(base, unit)}（文档），按问题给出的变化额{fmt(delta, unit)}推算，"
                f"上一年为{fmt(value, unit)}。")
        return Answer(query.question, text, True, "compute", value, unit, [cite(f, ev.doc) for f in ev.facts],
                      computation=f"{fmt(base)} {op} {fmt(delta)} = {fmt(value)}{unit}")

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
        if fact.table_kind.replace("一般公共预算", "") not in whole_text and "合计" not in whole_text and not (
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

    def _rank(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        text = query.text
        if re.search(r"哪个(部门|单位)", text) or len(query.departments) > 1:
            return self._rank_departments(query, catalog)
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return refuse(query.question, "请指明一个部门和年度。")
        dep, year = targets[0]
        if re.search(r"哪个项目|哪一个项目|哪项(项目|工作)", text):
            # projects are not classification rows: ranking 科目 would answer another question
            return refuse(query.question, "文档没有列出可以排序的项目金额（只能按科目排序）。")
        docs = catalog.docs_for(dep, year, query.kind)
        facts = self.facts(docs, query)
        level = 7 if re.search(r"项级|项目级|“项”", text) else 5 if re.search(r"款级|“款”", text) else 3
        resolver = ItemResolver(query.item_text)
        kind = resolver.table_cue or ("一般公共预算基本支出" if "经济分类" in text else None)
        if "三公" in text:
            rows = [f for f in facts if f.table_kind == "三公经费" and f.value is not None and
                    any(w in "".join(f.column_path) for w in ("出国", "接待", "公务用车")) and
                    (f.column_path[-1] in ("小计",) or not any(w in f.column_path[-1] for w in ("购置费", "运行费")))]
            label = lambda f: f.column_path[-1] if f.column_path[-1] != "小计" else f.column_path[-2]  # noqa: E731
        else:
            order = [kind] if kind else ["收入预算总表", "支出预算总表", "财政拨款支出", "一般公共预算支出"]
            rows = []
            for table_kind in order:
                rows = [f for f in facts if f.table_kind == table_kind and f.row_code and len(f.row_code) == level
                        and f.value is not None and clean_label(f.column_path[-1]) in ("合计", "金额")]
                if rows:
                    break
            label = lambda f: f"{f.row_code} {f.row_label}"  # noqa: E731
        if not rows:
            return refuse(query.question, "没有找到可以排序的科目。")
        ranked = sorted(rows, key=lambda f: f.value, reverse=query.rank_desc)[: max(query.rank_n, 1)]
        doc = next(d for d in docs if d.document_id == ranked[0].document_id)
        lines = [f"{i + 1}. {label(f)}：{fmt(f.value, f.unit)}" for i, f in enumerate(ranked)]  # type: ignore[arg-type]
        text_out = f"{dep}{year}年" + ("最多" if query.rank_desc else "最少") + f"的是{label(ranked[0])}。\n" + "\n".join(lines)
        return Answer(query.question, text_out, True, "compute", ranked[0].value, ranked[0].unit,
                      [cite(f, doc) for f in ranked],
                      chart=[{"label": label(f), "value": float(f.value), "unit": f.unit} for f in ranked])  # type: ignore[arg-type]

    def _rank_departments(self, query: Query, catalog: Catalog) -> Answer:
        # "这三个普陀区部门中": the scope of the ranking, not an item
        item = re.sub(r"这?[一二三四五六七八九十两\d]*个?[\u4e00-\u9fa5]{0,6}(部门|单位)(中|里|之中|当中)?", "", query.item_text)
        resolver = ItemResolver(item)
        found = []
        named = query.departments if len(query.departments) > 1 else catalog.departments()
        paired = len(query.years) == len(named) > 1  # "区政府办2025、万里街道2024、区司法局2026"
        for position, dep in enumerate(named):
            years = [query.years[position]] if paired else (query.years[:1] or catalog.years(dep))
            for year in years:
                ev = self.evidence(query, catalog, dep, year, resolver)
                if ev is not None:
                    found.append(((dep, year), ev))
        if not found:
            return refuse(query.question, "没有找到可以比较的数值。")
        found.sort(key=lambda x: convert(x[1].value, x[1].unit, "元"), reverse=query.rank_desc)
        (dep, year), top = found[0]
        lines = [f"{d}{y}年：{fmt(e.value, e.unit)}" for (d, y), e in found]
        return Answer(query.question, f"{dep}{year}年{top.item}最" + ("多" if query.rank_desc else "少")
                      + f"，为{fmt(top.value, top.unit)}。\n" + "\n".join(lines), True, "compute", top.value, top.unit,
                      [cite(f, e.doc) for _, e in found for f in e.facts],
                      chart=[{"label": f"{d}{y}", "value": float(convert(e.value, e.unit, "万元")), "unit": "万元"}
                             for (d, y), e in found])


# how a question names the total of a side's table ("本年支出中，项目支出占比": the 支出预算总表's 合计)
_SIDE_TOTALS = {"支出预算总表": r"(本年|全部|部门|当年)?(支出|总支出)(总计|合计|总额|预算)?",
                "收入预算总表": r"(本年|全部|部门|当年)?(收入|总收入)(总计|合计|总额|预算)?"}


def _carries_fund(fact: TableFact, fund: str) -> bool:
    """The fact is a figure of that fund source: by its table (一般公共预算支出表) or its column."""
    if fact.table_index < 0:  # a sentence: by its words or the section it stands in
        return fund in (fact.sentence or "") or fund in fact.table_title
    return (fund in fact.table_title or fact.table_kind.startswith(fund) or fund in "".join(fact.column_path)
            or fact.dimensions.get("fund") == fund)


