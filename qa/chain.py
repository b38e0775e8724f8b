"""The question-answering chain: parse -> route -> look up facts / retrieve passages -> compute ->
cite -> (optionally) phrase with an LLM under a number guard. Needs no LLM.

    answerer = build_answerer(Settings())
    answer = answerer.ask("区政府办2025年三公经费是多少？")
    chain = answerer.as_runnable()      # a LangChain Runnable: {"question": …} -> Answer
"""

from __future__ import annotations

import re
from functools import lru_cache
import threading
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from langchain_core.runnables import Runnable, RunnableLambda

from budgetqa.models import Answer, Citation, StoredDocument, TableFact
from budgetqa.settings import Settings
from index.store import Store
from ingest.checks import UNIT_YUAN
from qa.gate import (MONEY_UNITS, column_year, PER_PERSON, asks_count, eligible, fits_codes, foreign_organisations, named_codes,
                     names_in_evidence, restates_the_question, unmatched_item_words)
from qa.lookup import ItemResolver, Match, clean_label
from qa.understand import Catalog, Query, parse_question

TWO = Decimal("0.01")


@dataclass
class Evidence:
    """A value for one (department, year) with the facts it was read or derived from."""

    value: Decimal | None  # None for a target text (指标值)
    unit: str | None
    item: str
    facts: list[TableFact]
    doc: StoredDocument
    note: str | None = None  # how it was derived when not read directly
    score: float = 0.0  # how specifically the question named the item


def fmt(value: Decimal, unit: str | None = None) -> str:
    """'91016775.35' -> '91,016,775.35'; keeps the printed decimals."""
    text = f"{value:,f}"
    return text + (unit or "")


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def shown(value: Decimal, unit: str | None) -> Decimal:
    """A converted value for display: at most 2 decimals (computations keep full precision)."""
    exponent = value.as_tuple().exponent
    return round2(value) if isinstance(exponent, int) and exponent < -2 else value


def convert(value: Decimal, unit: str | None, target: str) -> Decimal:
    if unit not in UNIT_YUAN or target not in UNIT_YUAN:
        return value
    return value * UNIT_YUAN[unit] / UNIT_YUAN[target]


class Answerer:
    """Answers questions from one data directory's stores."""

    def __init__(self, settings: Settings, store: Store | None = None, llm=None,  # type: ignore[no-untyped-def]
                 passage_index=None) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.store = store or Store(settings.resolved_database_url)
        self.llm = llm
        if passage_index is not None:  # share the library's index (and its embedding model) in one process
            self.__dict__["passage_index"] = passage_index
        self._facts: dict[str, list[TableFact]] = {}
        self._lock = threading.Lock()

    @cached_property
    def passage_index(self):  # type: ignore[no-untyped-def]
        from index.passages import PassageIndex

        return PassageIndex(self.settings)

    # ---- entry points -----------------------------------------------------------------------
    def as_runnable(self) -> Runnable:
        """The chain as a LangChain Runnable taking {"question", "department"?, "year"?, "kind"?}."""
        return RunnableLambda(lambda inputs: self.ask(**inputs) if isinstance(inputs, dict) else self.ask(inputs))

    def ask(self, question: str, department: str | None = None, year: int | None = None,
            kind: str | None = None, previous: str | None = None) -> Answer:
        """Answer `question`; `previous` (the question asked before it in a conversation) fills in the
        department, year and item that a follow-up such as "比去年少了多少？" leaves out."""
        start = time.perf_counter()
        if previous:
            from qa.understand import with_context

            completed = with_context(question, previous, Catalog(self.store.documents()))
            answer = self._answer(completed, department, year, kind)
            answer.question = question
            if completed != question:
                answer.answer = f"（按上一问理解为：{completed}）\n{answer.answer}"
        else:
            answer = self._answer(question, department, year, kind)
        if self.llm is not None and answer.found:
            from qa.phrasing import phrase_with_llm

            answer = phrase_with_llm(self.llm, answer)
        answer.latency_ms = (time.perf_counter() - start) * 1000
        return answer

    def _answer(self, question: str, department: str | None, year: int | None, kind: str | None) -> Answer:
        documents = self.store.documents()
        if not documents:
            return refuse(question, "还没有加载任何文档。请先导入预算公开文件（budgetqa ingest …）。")
        catalog = Catalog(documents)
        query = parse_question(question, catalog, department=department, year=year, kind=kind)
        if query.unknown_department and not query.departments and query.route == "passage":
            # a unit inside a department (徐州铁路运输法院): its name must appear in the quoted passage
            return self._passage_answer(query, catalog, catalog.departments(), 0.6)
        if query.unknown_department and not query.departments:
            return refuse(question, f"已加载的文档中没有“{query.unknown_department}”的预算公开文件。"
                                    f"已加载的部门：{'、'.join(catalog.departments())}。")
        if query.ambiguous:
            return refuse(question, f"问题中的部门名称可以指多个已加载的部门：{'、'.join(query.ambiguous)}。"
                                    "请写出是哪一个（例如带上地区名）。")
        if query.kind == "决算" and not any((d.kind or "").endswith("决算") for d in documents):
            return refuse(question, "已加载的文档都是预算，没有决算（决算数）数据。")
        departments = query.departments or catalog.departments()
        if query.route == "passage":
            return self._passage_answer(query, catalog, departments)
        if PER_PERSON.search(query.text):
            return refuse(question, "预算公开文件不公布人均数或个人的工资收入。")
        if re.search(r"全区|全市|全省|全县", query.text) and not query.departments:
            return refuse(question, "已加载的是部门预算，不包含全区（全市）的总预算。")
        answer = self._gated(query, catalog, self._table_answer(query, catalog, departments))
        if answer.found or answer.route == "none-final" or query.counting:
            answer.route = "none" if answer.route == "none-final" else answer.route
            return answer
        # no table fact: a passage may still say it ("无机关运行费"), but for a numeric question only
        # when it covers every word of the question
        passage = self._passage_answer(query, catalog, departments, 0.9 if query.route == "table" else 0.25)
        return passage if passage.found else answer

    def _gated(self, query: Query, catalog: Catalog, answer: Answer) -> Answer:
        """Refuse a number whose evidence does not satisfy what the question names."""
        if not answer.found or answer.value is None:
            return answer
        if restates_the_question(answer.value, query.question):
            return refuse(query.question, f"找到的数字{fmt(answer.value)}是问题本身给出的数字，文档中没有直接给出所问的数。",
                          final=True)
        if asks_count(query.text) and answer.unit in MONEY_UNITS:
            return refuse(query.question, f"文档中有金额（{fmt(answer.value, answer.unit)}），但没有所问的数量。", final=True)
        foreign = foreign_organisations(query.text, set(catalog.names))
        evidence = [f"{c.table or ''}{c.row or ''}{c.column or ''}{c.snippet or ''}" for c in answer.citations]
        missing = unmatched_item_words(query.item_text, evidence + [answer.answer], question_synonyms())
        table_cells = bool(answer.citations) and all(c.table and c.row for c in answer.citations[:1])
        if missing and answer.route == "table" and table_cells:
            return refuse(query.question, f"文档中有{answer.answer.rstrip('。')}，但没有找到“{'、'.join(missing)}”。",
                          final=True)
        if foreign and not names_in_evidence(foreign, evidence):
            return refuse(query.question, f"文档中没有“{'、'.join(foreign)}”的这项数据。", final=True)
        return answer

    # ---- facts ------------------------------------------------------------------------------
    def facts(self, docs: list[StoredDocument], query: Query | None = None) -> list[TableFact]:
        """The facts of these documents; with a query, only those the trust gate lets answer it."""
        out: list[TableFact] = []
        for doc in docs:
            with self._lock:
                if doc.document_id not in self._facts:
                    self._facts[doc.document_id] = self.store.facts(document_ids=[doc.document_id])
                facts = self._facts[doc.document_id]
            out += eligible(facts, doc.fiscal_year, doc.kind, query.kind) if query is not None else facts
        return out

    def _targets(self, query: Query, catalog: Catalog, departments: list[str]) -> list[tuple[str, int | None]]:
        years = query.years[:1] if query.operation not in ("compare", "difference", "growth") else query.years
        targets = []
        for dep in departments:
            for year in (years or catalog.years(dep)):
                targets.append((dep, year))
        return targets

    def evidence(self, query: Query, catalog: Catalog, dep: str, year: int | None,
                 resolver: ItemResolver) -> Evidence | None:
        """The value of the asked item for one department-year: read, or derived from a stated change."""
        docs = catalog.docs_for(dep, year, query.kind)
        if docs:
            doc_facts = self.facts(docs, query)
            match = resolver.best(doc_facts)
            if match is not None and not fits_codes(match.fact, named_codes(resolver.asked)):
                return None  # the question names a code this row does not carry
            if match is not None and (match.fact.value is not None or match.fact.text_value):
                doc = next(d for d in docs if d.document_id == match.fact.document_id)
                facts = [match.fact] + corroborating(match.fact, doc_facts)
                return Evidence(match.fact.value, match.fact.unit, match.item, facts, doc, score=match.score)
            return None
        if year is None:
            return None
        later = catalog.docs_for(dep, year + 1, query.kind)
        if not later:
            return None
        facts = self.facts(later)
        # not loaded: the following year's tables may print it in a column of its own ("2025年预算数") …
        printed = [f for f in facts if f.table_index >= 0 and column_year(f, year + 1) == year]
        match = resolver.best(printed) if printed else None
        if match is not None and match.fact.value is not None and fits_codes(match.fact, named_codes(resolver.asked)):
            doc = next(d for d in later if d.document_id == match.fact.document_id)
            return Evidence(match.fact.value, match.fact.unit, match.item, [match.fact], doc, score=match.score,
                            note=f"{year + 1}年文档所列{year}年数")
        # … or state the figure ("2023年当年预算执行数为60.13万元")
        stated = [f for f in facts if f.table_kind == "narrative" and f.column_path == ("金额",)
                  and f"{year}年" in f.row_label]
        match = resolver.best(stated) if stated else None
        if match is not None and match.fact.value is not None and match.score >= 8:
            doc = next(d for d in later if d.document_id == match.fact.document_id)
            return Evidence(match.fact.value, match.fact.unit, match.item, [match.fact], doc, score=match.score)
        # … or its stated change ("比2024年预算减少2,389.52万元") lets us derive it
        current = resolver.best(facts)
        if current is None or current.fact.value is None:
            return None
        change = self._stated_change(resolver, facts, current, year)
        if change is None:
            return None
        delta, fact = change
        base = convert(current.fact.value, current.fact.unit, fact.unit or "万元") if fact.unit else current.fact.value
        value = base - delta
        doc = next(d for d in later if d.document_id == fact.document_id)
        return Evidence(value, fact.unit, current.item, [current.fact, fact], doc,
                        note=f"{year + 1}年{fmt(base, fact.unit)} {'−' if delta >= 0 else '+'} "
                             f"{fmt(abs(delta), fact.unit)}（{fact.text_value}）")

    @staticmethod
    def _stated_change(resolver: ItemResolver, facts: list[TableFact], current: Match,
                       year: int) -> tuple[Decimal, TableFact] | None:
        """A signed change versus `year` stated in the text about the item (增加 +, 减少 −, 持平 0)."""
        for fact in resolver.changes(facts, current.item):
            stated_year = re.match(r"比(\d{4})", fact.column_path[0])
            if stated_year and int(stated_year.group(1)) not in (year, year + 1):
                continue  # "比上年" (no year printed) means the year before
            direction = fact.column_path[1]
            sign = -1 if direction in ("减少", "下降") else 0 if direction == "持平" else 1
            return Decimal(sign) * (fact.value or Decimal(0)), fact
        return None

    # ---- table route ------------------------------------------------------------------------
    def _table_answer(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        if query.operation == "share":
            return self._share(query, catalog, departments)
        if query.operation == "sum":
            return self._sum(query, catalog, departments)
        if query.operation == "rank":
            return self._rank(query, catalog, departments)
        resolver = ItemResolver(query.item_text, counting=query.counting)
        if query.operation in ("difference", "growth", "compare"):
            return self._difference(query, catalog, departments, resolver)
        targets = self._targets(query, catalog, departments)
        missing = [t for t in targets if not catalog.docs_for(t[0], t[1], query.kind)]
        results = [(t, self.evidence(query, catalog, t[0], t[1], resolver)) for t in targets]
        found = [(t, e) for t, e in results if e is not None]
        if not found:
            if missing and len(missing) == len(targets):
                dep, year = missing[0]
                loaded = "、".join(f"{y}年" for y in catalog.years(dep)) or "无"
                return refuse(query.question, f"没有加载{dep}{year or ''}年的文档（已加载：{loaded}）。", final=True)
            return refuse(query.question, "在已加载文档的表格中没有找到问题所问的项目。"
                                          f"查找范围：{'、'.join(sorted({t[0] for t in targets}))}。")
        if len(found) > 1 and not query.departments:
            # no department named: the item itself may single one out (a project, a named row) …
            strong = [(t, e) for t, e in found if e.score >= 30 and e.facts[0].table_kind not in ("收支预算总表",)]
            if len(strong) == 1:
                found = strong
            else:  # … otherwise ask instead of picking silently
                names = "、".join(sorted({dep for (dep, _), _ in found}))
                return refuse(query.question, f"问题没有指明部门，已加载的文档中有多个部门：{names}。请说明是哪个部门。")
        if len(found) > 1:
            return self._several(query, found)
        (_, year), ev = found[0]
        return self._value_answer(query, ev, year)

    def _value_answer(self, query: Query, ev: Evidence, year: int | None) -> Answer:
        fact = ev.facts[0]
        unit = ev.unit
        if ev.value is None:  # a target text such as "≥3000万条/小时"
            where = " > ".join(x for x in (*fact.row_path, fact.row_label) if x)
            return Answer(question=query.question, answer=f"{where}：{fact.text_value}", found=True, route="table",
                          citations=[cite(fact, ev.doc)])
        other = ""
        if unit == "元":
            other = f"（约{fmt(round2(ev.value / 10000))}万元）"
        elif unit == "万元" and ev.note is None:
            other = f"（{fmt(round2(ev.value * 10000))}元）"
        label = ev.item if ev.item else fact.row_label
        text = f"{ev.doc.department}{year or ''}年{label}：{fmt(ev.value, unit)}{other}。"
        if fact.table_kind == "narrative" and fact.sentence:
            text = f"{ev.doc.department}{year or ''}年：{fmt(ev.value, unit)}。原文：“{fact.sentence}”"
        if ev.note:
            text = f"{ev.doc.department}{year or ''}年{label}（推算）：{fmt(ev.value, unit)}。"
        return Answer(question=query.question, answer=text, found=True, route="table" if not ev.note else "compute",
                      value=ev.value, unit=unit, citations=[cite(f, ev.doc) for f in ev.facts],
                      computation=ev.note)

    def _several(self, query: Query, found: list) -> Answer:  # type: ignore[type-arg]
        """More than one department or year fits and none was named: answer for each, pick none."""
        lines, citations = [], []
        for (dep, year), ev in found:
            lines.append(f"{dep}{year or ''}年{ev.item}：{fmt(ev.value, ev.unit)}")
            citations += [cite(f, ev.doc) for f in ev.facts]
        text = "问题没有指明部门或年度，以下分别列出：\n" + "\n".join(lines)
        chart = [{"label": f"{dep}{year or ''}", "value": float(convert(ev.value, ev.unit, '万元')), "unit": "万元"}
                 for (dep, year), ev in found]
        return Answer(question=query.question, answer=text, found=True, route="table", citations=citations,
                      chart=chart)

    def _difference(self, query: Query, catalog: Catalog, departments: list[str], resolver: ItemResolver) -> Answer:
        by_items = self._item_difference(query, catalog, departments)
        if by_items is not None:
            return by_items
        pairs = self._pair(query, catalog, departments)
        if pairs is None:
            return refuse(query.question, "需要两个年度或两个部门才能比较，问题里只找到一个。")
        (dep_a, year_a), (dep_b, year_b) = pairs
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
            return (departments[0], year or _latest(catalog, departments[0])), \
                   (departments[1], year or _latest(catalog, departments[1]))
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
        split = re.search(r"占(?:到)?(.{0,30}?)(?:的)?(?:比例|比重|百分之|多少|几成|%|$)", text)
        part_text = text[: split.start()] if split else text
        whole_text = split.group(1) if split else ""
        whole_text = re.sub(r"了|比|是|多大|多少|几成?|的|百分之|大约|总数", "", whole_text)  # "占了多大比例": no whole named
        inside = re.match(r"^(.*?)(?:里|中|当中|之中)(?:的)?(.+)$", part_text)
        if inside and not whole_text.strip("的＃"):
            whole_text, part_text = inside.group(1), inside.group(1) + inside.group(2)  # "政府采购里工程占多少"
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return refuse(query.question, "请指明一个部门和年度。")
        dep, year = targets[0]
        part = self.evidence(query, catalog, dep, year, ItemResolver(part_text))
        whole = self.evidence(query, catalog, dep, year, ItemResolver(whole_text)) if whole_text.strip("的") else None
        if part is not None and whole_text.strip("＃"):
            # "人员经费占基本支出合计": the part's own table total is the named whole (same table, same 口径)
            whole = self._table_total(part, whole_text, query) or whole
        if whole is None and whole_text.strip("＃"):
            return refuse(query.question, f"没有找到问题所说的分母“{whole_text.strip('＃')}”。")
        if whole is None or whole.facts[0] == (part.facts[0] if part else None):
            whole = self._default_whole(query, catalog, dep, year, part)
        fund = re.search(r"一般公共预算|政府性基金|国有资本经营|财政拨款", whole_text)
        if fund and part is not None and not _carries_fund(part.facts[0], fund.group()):
            # the whole names a fund source: the part must be read for that fund too, never over all funds
            funded = [f for f in self.facts([part.doc], query) if _carries_fund(f, fund.group())]
            match = ItemResolver(inside.group(2) if inside else part_text).best(funded)
            if match is None or match.fact.value is None:
                return refuse(query.question, f"没有找到{fund.group()}口径的“{part.item}”。")
            part = Evidence(match.fact.value, match.fact.unit, match.item, [match.fact], part.doc)
        if inside and part is not None and whole is not None and whole.facts[0].table_index >= 0 \
                and part.facts[0].table_index != whole.facts[0].table_index:
            # "一般公共预算财政拨款支出里，项目支出占…": the part is read in the whole's own table
            table = [f for f in self.facts([whole.doc], query) if f.table_index == whole.facts[0].table_index]
            match = ItemResolver(inside.group(2)).best(table)
            if match is None or match.fact.value is None:
                return refuse(query.question, f"在“{whole.item}”所在的表中没有找到“{inside.group(2)}”。")
            part = Evidence(match.fact.value, match.fact.unit, match.item, [match.fact], whole.doc)
        if part is None or whole is None or whole.value == 0:
            return refuse(query.question, "没有找到计算占比所需的数值。")
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

    def _table_total(self, part: Evidence, whole_text: str, query: Query) -> Evidence | None:
        """The 合计 row × 合计 column of the part's own table, when the whole the question names is that
        table's total (its nature, e.g. 基本支出 for the 基本支出 table, or 合计)."""
        fact = part.facts[0]
        if fact.table_index < 0:
            return None
        nature = fact.dimensions.get("nature") or ""
        names_table = any(word and word in whole_text for word in (fact.table_kind.replace("一般公共预算", ""), nature))
        if not (names_table or "合计" in whole_text) or fact.table_kind in ("narrative", "其他"):
            return None
        if fact.table_kind.replace("一般公共预算", "") not in whole_text and "合计" not in whole_text:
            return None
        table = [f for f in self.facts([part.doc], query) if f.table_index == fact.table_index and f.value is not None]
        totals = [f for f in table if clean_label(f.row_label) in ("合计", "总计")
                  and f.column_path and f.column_path[-1].replace(" ", "") in ("合计", "总计")]
        if len(totals) != 1 or totals[0] is fact:
            return None
        total = totals[0]
        return Evidence(total.value, total.unit, f"{fact.table_kind}合计", [total], part.doc)

    def _default_whole(self, query: Query, catalog: Catalog, dep: str, year: int | None,
                       part: Evidence | None) -> Evidence | None:
        if part is not None and part.facts[0].table_kind == "三公经费":
            return self.evidence(query, catalog, dep, year, ItemResolver("三公经费"))
        if part is not None and "政府采购" in part.facts[0].row_label + part.item:
            return self.evidence(query, catalog, dep, year, ItemResolver("政府采购预算"))
        return self.evidence(query, catalog, dep, year, ItemResolver("支出总计"))

    def _sum(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        body = re.split(r"一共|合计|总共|加起来|之和|共计|总和", query.item_text)[0]
        scope = " ".join(re.findall(r"[（(][^）)]*表[^）)]*[）)]", query.item_text))  # "（部门收入预算总表口径）"
        hint = ItemResolver(scope).table_cue if scope else None
        parts = [p for p in re.split(r"和|与|及|加上|、|加", body) if p]
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1 or len(parts) < 2:
            return refuse(query.question, "请指明一个部门、一个年度和要相加的项目。")
        dep, year = targets[0]
        items = [self.evidence(query, catalog, dep, year, ItemResolver(p, table_hint=hint)) for p in parts]
        if any(e is None for e in items) or len({e.facts[0].row_label + str(e.facts[0].column_path) for e in items}) < len(items):  # type: ignore[union-attr]
            return refuse(query.question, "没有找到每个要相加的项目。")
        codes = named_codes(query.item_text)
        if codes and not all(fits_codes(e.facts[0], codes) for e in items):  # type: ignore[union-attr]
            return refuse(query.question, f"问题指明了科目{'、'.join(sorted(codes))}，但找到的相加项目不全是该科目。")
        unit = "元" if all(e.unit == "元" for e in items) else "万元"  # type: ignore[union-attr]
        values = [convert(e.value, e.unit, unit) for e in items]  # type: ignore[union-attr]
        total = sum(values, Decimal(0))
        wan = round2(convert(total, unit, "万元"))
        citations = [cite(f, e.doc) for e in items for f in e.facts]  # type: ignore[union-attr]
        computation = " + ".join(fmt(v) for v in values) + f" = {fmt(total)}{unit}"
        text = "、".join(f"{e.item}{fmt(v, unit)}" for e, v in zip(items, values)) + f"，合计{fmt(total, unit)}"  # type: ignore[union-attr]
        if unit == "元":
            text += f"（约{fmt(wan)}万元）"
        return Answer(query.question, text + "。", True, "compute", total, unit, citations, computation=computation)

    def _rank(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        text = query.text
        if re.search(r"哪个(部门|单位)", text) or len(query.departments) > 1:
            return self._rank_departments(query, catalog)
        targets = self._targets(query, catalog, departments)
        if len(targets) != 1:
            return refuse(query.question, "请指明一个部门和年度。")
        dep, year = targets[0]
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

    # ---- passage route ----------------------------------------------------------------------
    def _passage_answer(self, query: Query, catalog: Catalog, departments: list[str],
                        min_coverage: float = 0.25) -> Answer:
        from qa.passages import answer_from_passages

        return answer_from_passages(self, query, catalog, departments, min_coverage)


def _carries_fund(fact: TableFact, fund: str) -> bool:
    """The fact is a figure of that fund source: by its table (一般公共预算支出表) or its column."""
    if fact.table_index < 0:
        return fund in (fact.sentence or "")
    return fund in fact.table_title or fund in "".join(fact.column_path) or fact.dimensions.get("fund") == fund


def _latest(catalog: Catalog, department: str) -> int | None:
    years = catalog.years(department)
    return years[-1] if years else None


def _who(dep: str, year: int | None, with_department: bool) -> str:
    return f"{dep}{year or ''}年" if with_department else f"{year}年"


def corroborating(fact: TableFact, facts: list[TableFact], limit: int = 3) -> list[TableFact]:
    """Other places of the same document that print the same figure: the same row (code or label)
    in another table, or a sentence stating the amount in 万元 (the identities of domain.md say
    they agree). Cited beside the primary cell so a reader can check either."""
    if fact.value is None or fact.table_kind == "narrative" or fact.value == 0:
        return []
    wan = round2(convert(fact.value, fact.unit, "万元")) if fact.unit in UNIT_YUAN else None
    label = clean_label(fact.row_label)
    out: list[TableFact] = []
    pages = {fact.page}
    for other in facts:
        if other.page in pages or other.document_id != fact.document_id or other.value is None:
            continue
        if other.table_kind == "narrative":
            same = wan is not None and other.unit == "万元" and other.value == wan and len(str(wan).replace(".", "")) >= 4
        else:
            same_row = (fact.row_code and other.row_code == fact.row_code) or (
                not fact.row_code and clean_label(other.row_label) == label and len(label) >= 2)
            same = bool(same_row) and other.unit == fact.unit and other.value == fact.value \
                and other.table_index != fact.table_index
        if same:
            out.append(other)
            pages.add(other.page)
        if len(out) >= limit:
            break
    return out


def cite(fact: TableFact, doc: StoredDocument) -> Citation:
    """A citation of one fact: document, page, and table/row/column (or the stated sentence)."""
    if fact.table_kind == "narrative":
        return Citation(document=doc.file_name, page=fact.page, document_id=doc.document_id,
                        snippet=fact.sentence, line_no=fact.line_no)
    row = " ".join(x for x in (fact.row_code, fact.row_label) if x)
    if fact.row_path and not fact.row_code:  # a project's line under its project: 区域重点项目协审经费 > 审计服务
        row = " > ".join([*fact.row_path, row])
    return Citation(document=doc.file_name, page=fact.page, document_id=doc.document_id, table=fact.table_title,
                    row=row, column=" > ".join(fact.column_path), bbox=fact.bbox, line_no=fact.line_no)


def refuse(question: str, why: str, final: bool = False) -> Answer:
    """The honest answer: the documents do not say (no number)."""
    return Answer(question=question, answer=f"文档中没有找到答案。{why}", found=False,
                  route="none-final" if final else "none")


_ANSWERERS: dict[str, Answerer] = {}


@lru_cache(maxsize=1)
def question_synonyms() -> dict[str, list[str]]:
    """How people ask -> how documents print it (index/data/synonyms.tsv)."""
    from index.lexical import load_synonyms

    return {s.term: list(s.expansions) for s in load_synonyms()}


def build_answerer(settings: Settings, passage_index=None) -> Answerer:  # type: ignore[no-untyped-def]
    """The answerer for these settings (one per store URL in a process), with the LLM if configured;
    `passage_index` lets a caller that already holds one (the app's library) share it."""
    key = settings.resolved_database_url + "|" + str(settings.index_dir.resolve())
    if key not in _ANSWERERS:
        llm = None
        if settings.llm:
            from qa.phrasing import make_chat_model

            llm = make_chat_model(settings)
        _ANSWERERS[key] = Answerer(settings, llm=llm, passage_index=passage_index)
    return _ANSWERERS[key]
