"""Operations over evidence, with the arithmetic shown and every input cited: differences and growth
(across years or departments, or from a stated change) and rankings of rows and of the named
departments; sums (qa/sums.py) and shares (qa/shares.py) are mixed in.

    class Answerer(Computations): …     answer = self._difference(query, catalog, departments, resolver)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from budgetqa.models import Answer, TableFact
from qa.answer import Evidence, _who, cite, common_unit, convert, fmt, refuse, round2
from qa.concepts import clean_label
from qa.cues import ASKS_RATE, COLUMN_WORDS, complete_parts
from qa.lookup import ItemResolver, Match
from qa.projects import project_totals
from qa.rankings import SPREAD, ranked_names, ranked_sides, spread
from qa.resolve import latest_year
from qa.shares import Shares
from qa.sums import Sums
from qa.understand import Catalog, Query

_GIVEN_CHANGE = re.compile(r"(?:比|较)(?:上年|上一年|去年|＃)[^，,。？?]{0,8}?(增加|减少|多|少|增长|下降)了?\s*"
                          r"([\d,]+(?:\.\d+)?)\s*(万元|元|亿元)")


class Computations(Sums, Shares):
    """Difference, growth and ranking answers, with sums and shares mixed in (mixed into the Answerer)."""

    def _difference(self, query: Query, catalog: Catalog, departments: list[str], resolver: ItemResolver) -> Answer:
        stages = re.findall(r"年初预算|全年预算|预算数|决算数|支出决算|执行数", query.text)
        # a 决算's figure vs its budget ("比年初预算", "决算比预算少花了多少": 预算 without a year is a stage)
        against_budget = bool(re.search(r"比(年初|全年|调整)预算", query.text) or re.search(
            r"(决算|实际|执行)数?[^，,。？?]{0,6}比(当年|当初)?预算数?(?!\d)", query.text))
        if (len(set(stages)) >= 2 or against_budget) and len(query.departments) <= 1 and len(set(query.years)) <= 1:
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
        unit = common_unit(a.unit, b.unit)
        if unit is None:
            return refuse(query.question, f"找到的两个数单位不同（{a.unit}、{b.unit}），不能相比。", final=True)
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
        shown = abs(delta) if unit != "万元" or a.unit == b.unit == unit else round2(abs(delta))  # as printed
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
            if pct:
                rate = Decimal(pct.group(2))
                return Answer(query.question, f"据文档说明，{sentence}", True, "table", rate, "%", [cite(fact, doc)])
            if a.value is None or fact.unit not in ("元", "万元", "亿元"):
                return refuse(query.question, "文档只说明了变化金额，没有说明增长率，且没有上一年度的文档可以计算。")
            # the change as stated, over the earlier year it implies: (本年 − 变化) is the base
            now = convert(a.value, a.unit, fact.unit)
            base = now - delta
            if base <= 0:
                return refuse(query.question, "上一年度的数为0或无法推算，无法计算增长率。")
            rate = round2(delta / base * 100)
            shown_rate = -rate if rate < 0 and re.search(r"下降|降幅|减少|降低|少了", query.text) else rate
            word = "下降" if shown_rate != rate else "增长率为"
            return Answer(query.question, f"{doc.department}{year_a}年{a.item}{fmt(now, fact.unit)}，文档说明比{year_b}年"
                          f"{direction}{fmt(abs(delta), fact.unit)}，即{year_b}年为{fmt(base, fact.unit)}；{word}{shown_rate}%。"
                          f"原文：“{sentence}”", True, "compute", shown_rate, "%",
                          [cite(f, doc) for f in a.facts] + [cite(fact, doc)],
                          computation=f"{fmt(delta)} ÷ ({fmt(now)} − {fmt(delta)}) × 100 = {rate}%")
        if fact.unit == "%" and not ASKS_RATE.search(query.text):
            # "比上年多了多少" asks an amount: a stated rate (增长0.8%) is no amount
            return refuse(query.question, f"文档只说明了{a.item}的增减幅度（{fmt(fact.value)}%），没有说明变化金额。")  # type: ignore[arg-type]
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
        if len(query.departments) > 1 or len(query.years) > 1:
            return None
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return None
        dep, year = targets[0]
        found = None
        for left, right in _item_pairs(query.item_text):
            a = self.evidence(query, catalog, dep, year, ItemResolver(left, counting=query.counting))
            b = self.evidence(query, catalog, dep, year, ItemResolver(right, counting=query.counting))
            if a is not None and b is not None and a.value is not None and b.value is not None and \
                    a.facts[0] is not b.facts[0]:
                found = a, b
                break
        if found is None:
            return None
        a, b = found
        unit = common_unit(a.unit, b.unit)
        if unit is None:
            return refuse(query.question, f"找到的两个数单位不同（{a.unit}、{b.unit}），不能相比。")
        if "万元" in query.text and unit in ("元", "万元"):
            unit = "万元"
        va, vb = convert(a.value, a.unit, unit), convert(b.value, b.unit, unit)
        if query.operation == "ratio":
            return _ratio(query, dep, year, a, b, va, vb)
        delta = va - vb
        shown = abs(delta) if unit != "万元" or a.unit == b.unit == unit else round2(abs(delta))  # as printed
        more = "多" if delta > 0 else "少" if delta < 0 else "持平"
        if a.item != b.item:
            text = f"{dep}{year}年{a.item}{fmt(va, unit)}，{b.item}{fmt(vb, unit)}，{a.item}比{b.item}{more}{fmt(shown, unit)}。"
        else:  # one item read twice: say where, two columns of one row or one row of two tables
            fa, fb = a.facts[0], b.facts[0]
            name_a, name_b = (f"{a.item}（{fa.column}）", f"{b.item}（{fb.column}）") if fa.table_index == fb.table_index \
                else (f"{fa.table_title}的{a.item}", f"{fb.table_title}的{b.item}")
            text = f"{dep}{year}年{name_a}{fmt(va, unit)}，{name_b}{fmt(vb, unit)}，前者比后者{more}{fmt(shown, unit)}。"
        return Answer(query.question, text, True, "compute", shown, unit,
                      [cite(f, a.doc) for f in a.facts] + [cite(f, b.doc) for f in b.facts],
                      computation=f"{fmt(va)} − {fmt(vb)} = {fmt(delta)}{unit}")

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
        item = re.sub(r"^(年初)?(收入|支出)(预算)?$", r"\2总计", item)  # "（部门预算）收入比…减少…": the side's total
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

    def _rank(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        text = query.text
        if re.search(r"哪个(部门|单位)", text) or len(query.departments) > 1:
            return self._rank_departments(query, catalog)
        if len(query.years) >= 2 and len(departments) == 1:  # "2017、2018、2019三年中…最高的那一年"
            return self._rank_years(query, catalog, departments[0])
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return refuse(query.question, "请指明一个部门和年度。")
        dep, year = targets[0]
        named = ranked_names(query.item_text)
        if named:  # "社工服务项目、信访大厅运行、信访专项三个项目里最多的": each named item read, then ranked
            return self._rank_named(query, catalog, dep, year, named)
        docs = catalog.docs_for(dep, year, query.kind)
        facts = self.facts(docs, query)
        if re.search(r"项目", text) and not re.search(r"科目|功能分类|经济分类", text):
            # projects are not classification rows: ranking 科目 would answer another question
            rows = project_totals(facts, dep)
            if not rows:
                return refuse(query.question, "文档没有列出可以排序的项目金额（只能按科目排序）。")
            return self._ranked(query, dep, year, docs, rows, lambda f: f.row_label)
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
        return self._ranked(query, dep, year, docs, rows, label)

    @staticmethod
    def _ranked(query: Query, dep: str, year: int | None, docs: list, rows: list[TableFact],  # type: ignore[type-arg]
                label: Callable[[TableFact], str]) -> Answer:
        ranked = sorted(rows, key=lambda f: f.value, reverse=query.rank_desc)[: max(query.rank_n, 1)]  # type: ignore[arg-type,return-value]
        doc = next(d for d in docs if d.document_id == ranked[0].document_id)
        lines = [f"{i + 1}. {label(f)}：{fmt(f.value, f.unit)}" for i, f in enumerate(ranked)]  # type: ignore[arg-type]
        text_out = f"{dep}{year}年" + ("最多" if query.rank_desc else "最少") + f"的是{label(ranked[0])}。\n" + "\n".join(lines)
        return Answer(query.question, text_out, True, "compute", ranked[0].value, ranked[0].unit,
                      [cite(f, doc) for f in ranked],
                      chart=[{"label": label(f), "value": float(f.value), "unit": f.unit} for f in ranked])  # type: ignore[arg-type]

    def _rank_named(self, query: Query, catalog: Catalog, dep: str, year: int | None, names: list[str]) -> Answer:
        found = [(name, self.evidence(query, catalog, dep, year, ItemResolver(name))) for name in names]
        missing = [name for name, ev in found if ev is None or ev.value is None]
        if missing:
            return refuse(query.question, f"没有找到“{'、'.join(missing)}”的金额，无法比较。")
        evs = [ev for _, ev in found]
        if len({(ev.facts[0].table_index, ev.facts[0].row_index, ev.facts[0].column_path) for ev in evs}) < len(evs):  # type: ignore[union-attr]
            return refuse(query.question, "问题所列的几项没有各自的金额，无法比较。")
        evs.sort(key=lambda e: convert(e.value, e.unit, "元"), reverse=query.rank_desc)  # type: ignore[arg-type,union-attr]
        if SPREAD.search(query.text):
            return spread(query, [(e.item, e) for e in evs], f"{dep}{year or ''}年所列{len(evs)}项中")  # type: ignore[misc]
        top = evs[0]
        lines = [f"{i + 1}. {e.item}：{fmt(e.value, e.unit)}" for i, e in enumerate(evs)]  # type: ignore[arg-type,union-attr]
        return Answer(query.question, f"{dep}{year or ''}年所列{len(evs)}项中" + ("最多" if query.rank_desc else "最少")
                      + f"的是{top.item}（{fmt(top.value, top.unit)}）。\n" + "\n".join(lines), True,  # type: ignore[arg-type,union-attr]
                      "compute", top.value, top.unit, [cite(f, e.doc) for e in evs for f in e.facts[:1]])  # type: ignore[union-attr]

    def _rank_years(self, query: Query, catalog: Catalog, dep: str) -> Answer:
        item = re.sub(r"[这那]?[两二三四五六七八九十\d]+(个)?年(度)?(中|里|之中|当中|间)?|哪一?年的?|的?那一年", "", query.item_text)
        resolver = ItemResolver(item)
        found = [((dep, year), self.evidence(query, catalog, dep, year, resolver)) for year in query.years]
        missing = [str(y) for (_, y), e in found if e is None or e.value is None]
        if missing:
            return refuse(query.question, f"没有找到{dep}{'、'.join(missing)}年的该项数据，无法比较。")
        return ranked_sides(query, found)  # type: ignore[arg-type]

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
        return ranked_sides(query, found)


def _ratio(query: Query, dep: str, year: int | None, a: Evidence, b: Evidence, va: Decimal, vb: Decimal) -> Answer:
    """"A是B的几倍": A ÷ B, both cited."""
    if not vb:
        return refuse(query.question, f"{b.item}为0，无法计算倍数。")
    times = round2(va / vb)
    return Answer(query.question, f"{dep}{year}年{a.item}{fmt(a.value, a.unit)}，{b.item}{fmt(b.value, b.unit)}，"  # type: ignore[arg-type]
                                  f"前者是后者的{times}倍。", True, "compute", times, "倍",
                  [cite(f, a.doc) for f in a.facts] + [cite(f, b.doc) for f in b.facts],
                  computation=f"{fmt(va)} ÷ {fmt(vb)} = {times}")


def _measured_alike(left: str, right: str) -> tuple[str, str]:
    """"本级和气象服务中心的“三公”经费": the measure after the pair (的…) is the first side's too."""
    owner, joined, measure = right.partition("的")
    if joined and measure and owner and "的" not in left and 2 <= len(left.strip("＃ ")) <= 14:
        return f"{left}的{measure}", right
    return left, right


def _item_pairs(item_text: str) -> list[tuple[str, str]]:
    """The two items a difference names: "A比B多多少", or "A和B差几个" split at each 和/与/跟 in turn
    ("商品和服务支出与工资福利支出相差多少": the split whose two sides are both printed is the one read)."""
    pairs = []
    # "差旅费预算中，专项业务经费安排的部分比公用经费安排的部分多多少": one item, read under two parents
    parts = re.match(r"^[＃的\s]*(.{2,16}?)(?:预算|支出)?(?:中|里)[，,]?(.{2,14}?)(?:安排|列支)?的部分比(.{2,14}?)(?:安排|列支)?的部分"
                     r"(多|少|高|低|差)", item_text)
    if parts:
        return [(f"{parts.group(2)}{parts.group(1)}", f"{parts.group(3)}{parts.group(1)}")]
    which = re.match(r"^(?:(.{0,16}?)(?:里|中)[，,])?(.*?)(?:哪个|哪项|哪一项)更?(?:多|少|高|低|大|小)", item_text)
    if which:  # "A和B哪个多" ("A和B，收入预算哪个多", "三公经费中，A和B哪个多": what both are measured by)
        body, _, measure = which.group(2).partition("，")
        measure = re.sub(r"预算数?$", "", measure or which.group(1) or "")  # (预算 ending a side reads as 比…预算)
        pairs += [_measured_alike(body[:m.start()] + measure, body[m.end():] + measure) for m in re.finditer(r"和|与|跟", body)]
    times = re.match(r"^(.*?)(?:是|为|相当于)(.*?)的?(?:几|多少)倍", item_text)
    if times:
        pairs.append((times.group(1), times.group(2)))
    by = re.match(r"^(.*?)比(.*?)(多|少|高|低|增加|减少|差)", item_text)
    if by and not times and not which:
        scope = re.match(r"^(.{2,}?)(?:里|中(?![心央间]))[，,]?(.+)$", by.group(1))
        if scope and not re.fullmatch(rf"[＃的\s]*({COLUMN_WORDS})(部分|预算)?", by.group(2)):
            # "政府采购预算里，货物比服务多多少": both sides are read in that scope (a column word is
            # completed from the first side instead: "…维修费的项目支出比基本支出")
            pairs.append((scope.group(1) + scope.group(2), scope.group(1) + by.group(2)))
        pairs.append((by.group(1), by.group(2)))
    gap = re.match(r"^(.*?)(?:相差|差)", item_text)
    if not by and not which and gap:
        body = gap.group(1)
        pairs += [_measured_alike(body[:m.start()], body[m.end():]) for m in re.finditer(r"和|与|跟|同", body)]
    pairs = [(parts[0], parts[1]) for parts in (complete_parts(list(pair)) for pair in pairs)]  # "X的项目支出比基本支出": X's 基本支出
    cleaned = [tuple(re.sub(r"[＃的之间]", "", side) for side in pair) for pair in pairs]
    return [(a, b) for a, b in cleaned if len(a) >= 2 and len(b) >= 2
            and not re.search(r"去年|上年|上一年|前年|预算$", b)]
