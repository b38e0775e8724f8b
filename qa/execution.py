"""Execution rate of a 决算: 决算数 ÷ 预算数 × 100 for one item (or the rate the document states).

A 部门决算 explains each 项-level item as "…信访事务（款）信访业务（项）。年初预算为2325.72万元，支出决算为
2066.84万元，完成年初预算的88.87%。" and prints 年初预算数 / 决算数 columns side by side. The stated
rate is quoted when the sentence's item is the one asked; otherwise the rate is computed from the
item's 预算 and 决算 figures, both cited, never from figures of two different items.

    answer = execution_rate(answerer, query, catalog, departments)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise

from budgetqa.models import Answer, TableFact
from qa.answer import cite, convert, fmt, refuse, round2
from qa.concepts import clean_label, quoted_names
from qa.lookup import ItemResolver
from qa.operations import ASKS_EXECUTION
from qa.understand import Catalog, Query

_STATED_RATE = re.compile(r"完成(年初|全年|调整)?预算|执行率|完成率")
_BUDGET_LABEL = re.compile(r"(年初|全年|调整)?预算(数)?$")
_ACTUAL_LABEL = re.compile(r"(支出)?决算(数)?$|执行数$")
_STAGE_HEADER = re.compile(r"^(年初|全年|调整)?预算数?$|^(支出)?决算数?$|^(全年)?执行数$")
_LEVEL = re.compile(r"([^（）()。，、\s]+?)[（(](?:类|款|项)[）)]")


def _item_of_sentence(fact: TableFact) -> str:
    """The deepest classification named before the sentence: '…（款）信访业务（项）' -> '信访业务'."""
    for text in (fact.sentence or "", *reversed(fact.row_path)):
        levels = _LEVEL.findall(text)
        if levels:
            return clean_label(levels[-1])
    return ""


def _subject_of_sentence(fact: TableFact) -> str:
    """A sentence naming no classification states its own subject ('2024 年度财政拨款支出年初预算为…')."""
    if not (_BUDGET_LABEL.search(fact.row_label) or _ACTUAL_LABEL.search(fact.row_label)):
        return ""
    subject = re.sub(r"^.*?\d{4}\s*年度?|(年初|全年|调整)?预算数?$|(支出)?决算数?$", "", clean_label(fact.row_label))
    return subject if len(subject) >= 4 else ""


def _asked_item(query: Query, table_facts: list[TableFact]) -> str:
    quoted = quoted_names(query.question)
    if quoted:
        return clean_label(quoted[0])
    text = ASKS_EXECUTION.sub("", query.item_text)
    match = ItemResolver(text).best(table_facts)
    return clean_label(match.fact.row_label) if match is not None and match.score >= 30 else ""


class _Explained:
    """The explanation a 决算 prints for one item: its 预算, 决算 and rate figures, in one sentence."""

    def __init__(self, dep: str, year: int | None, doc, item: str, sentence: str,  # type: ignore[no-untyped-def]
                 stated: list[TableFact], asked: str = "") -> None:
        self.dep, self.year, self.doc, self.item, self.sentence = dep, year, doc, item, sentence
        self.parts: list[_Explained] = []  # items asked together: each one's own explanation
        money = [f for f in stated if f.unit in ("元", "万元")]
        stage = re.search(r"年初|全年|调整", asked)  # 年初预算 asked: a 全年预算 figure is another figure

        def other_stage(label: str) -> bool:
            return bool(stage) and bool(re.search(r"年初|全年|调整", label)) and stage.group() not in label  # type: ignore[union-attr]

        self.rate = next((f for f in stated if f.unit == "%" and _STATED_RATE.search(f.row_label)
                          and not other_stage(f.row_label)), None)
        self.budget = next((f for f in money if _BUDGET_LABEL.search(f.row_label) and not other_stage(f.row_label)),
                           None)
        self.actual = next((f for f in money if _ACTUAL_LABEL.search(f.row_label)), None)


def _explained(answerer, query: Query, catalog: Catalog, departments: list[str]) -> _Explained | str:  # type: ignore[no-untyped-def]
    """The asked item's explanation sentence in the asked department-year's 决算, or why there is none."""
    targets = answerer._targets(query, catalog, departments)
    if len(targets) != 1:
        return "请指明一个部门和年度。"
    dep, year = targets[0]
    docs = [d for d in catalog.docs_for(dep, year, None) if (d.kind or "").endswith("决算")]
    if not docs:
        return f"没有加载{dep}{year or ''}年的决算，预算文件没有执行数。"
    facts = answerer.facts(docs)
    by_sentence: dict[str, list[TableFact]] = {}
    for fact in facts:
        if fact.table_kind == "narrative" and fact.sentence:
            by_sentence.setdefault(fact.sentence, []).append(fact)
    # a sentence's item: the classification it names; a sentence naming none, the subject of its first
    # stage figure ("财政拨款支出年初预算为…"), asked only when no classification is
    asked_text = clean_label(query.item_text)
    item_of = {text: _item_of_sentence(stated[0]) for text, stated in by_sentence.items()}
    named = sorted((name for name in set(item_of.values()) if len(name) >= 2 and name in asked_text), key=len, reverse=True)
    if not named:
        item_of = {text: item or next((i for i in map(_subject_of_sentence, by_sentence[text]) if i), "")
                   for text, item in item_of.items()}
        named = sorted((name for name in set(item_of.values()) if len(name) >= 2 and name in asked_text), key=len,
                       reverse=True)
    joined = _joined_items(named, asked_text, by_sentence, item_of)
    if joined:
        return _combined(dep, year, docs[0], joined, by_sentence, item_of, query.text)
    item = named[0] if named else _asked_item(query, [f for f in facts if f.table_index >= 0])
    if not item:
        return "没有找到所问的科目或项目。"
    found = _explanation(dep, year, docs[0], item, by_sentence, item_of, query.text)
    return found or _printed_side_by_side(query, dep, year, docs[0], facts) or f"文档中没有“{item}”的预算数和决算数的说明。"


def _explanation(dep: str, year: int | None, doc, item: str, by_sentence: dict[str, list[TableFact]],  # type: ignore[no-untyped-def]
                 item_of: dict[str, str], asked: str) -> _Explained | None:
    """The first sentence explaining `item` with a rate or both stage figures."""
    for sentence, stated in by_sentence.items():
        if item_of[sentence] != item:
            continue
        found = _Explained(dep, year, doc, item, sentence, stated, asked)
        if found.rate is not None or (found.budget is not None and found.actual is not None):
            return found
    return None


def _joined_items(named: list[str], asked_text: str, by_sentence: dict[str, list[TableFact]],
                  item_of: dict[str, str]) -> list[str]:
    """Two or more explained items the question joins ("信访业务和其他信访事务支出"), none inside another's
    name or another's classification path (…信访事务（款）信访业务（项） names one item, not two)."""
    distinct = [n for n in named if not any(n != other and n in other for other in named)]
    if len(distinct) < 2:
        return []
    first = sorted(distinct, key=asked_text.find)
    between = [asked_text[asked_text.find(a) + len(a):asked_text.find(b)] for a, b in pairwise(first)]
    if not all(_JOINS.fullmatch(gap) for gap in between):
        return []
    paths = {item_of[s]: s for s in by_sentence}
    nested = any(a != b and a in paths.get(b, "") for a in distinct for b in distinct)
    return [] if nested else first


_JOINS = re.compile(r"\s*(和|与|及|以及|、|加上?|跟)\s*")


def _combined(dep: str, year: int | None, doc, items: list[str], by_sentence: dict[str, list[TableFact]],  # type: ignore[no-untyped-def]
              item_of: dict[str, str], asked: str) -> _Explained | str:
    """The joined items as one: their 预算 and 决算 figures, each from its own sentence, summed when the
    answer is computed."""
    parts = [_explanation(dep, year, doc, item, by_sentence, item_of, asked) for item in items]
    missing = [item for item, part in zip(items, parts) if part is None or part.budget is None or part.actual is None]
    if missing:
        return f"文档中没有“{'”“'.join(missing)}”的预算数和决算数的说明，无法合并计算。"
    found = _Explained(dep, year, doc, "”与“".join(items), "", [])
    found.parts = parts  # type: ignore[assignment]
    return found


def _row_stages(query: Query, facts: list[TableFact], needed: Callable[[dict], bool]) -> tuple[str, dict] | None:  # type: ignore[type-arg]
    """The asked item's row printing its figures under stage headers (年初预算数 | 全年预算数 | 全年执行数 of
    a 自评表, 预算数 | 决算数 of a 决算's 三公 table): its name and {stage: fact}, the first of the best rows
    whose stages satisfy `needed`."""
    text = re.sub(r"(年初|全年|调整)?预算数?|决算数?|执行[数率]|完成率|(没有?|未)?执行|实际", "", query.item_text)
    text = re.sub(r"([”」』])(中|里)", r"\1", text)  # ("“信息化运行维护”全年预算中": the item, not a container)

    def place(f: TableFact) -> tuple:  # type: ignore[type-arg]
        # (a self-evaluation form numbers each of its cells as a row of its own: the row is its label and path)
        return (f.table_index, f.row_label, f.row_path, tuple(c for c in f.column_path if not _STAGE_HEADER.search(c)))

    matches = ItemResolver(text).candidates([f for f in facts if f.table_index >= 0])
    best = max((m.score for m in matches), default=0)
    for match in [m for m in matches if m.score == best and best >= 30]:
        stages = {f.dimensions.get("stage"): f for f in facts if place(f) == place(match.fact) and f.value is not None}
        if needed(stages):
            return clean_label(match.item or match.fact.row_label), stages
    return None


def _printed_side_by_side(query: Query, dep: str, year: int | None, doc,  # type: ignore[no-untyped-def]
                          facts: list[TableFact]) -> _Explained | None:
    """The item's 预算数 and 决算数 printed in one table row under two stage headers, when no sentence
    explains it."""
    wanted = [s for s in ("年初预算", "全年预算") if s in query.text] + ["预算数", "年初预算", "全年预算"]
    row = _row_stages(query, facts, lambda stages: "决算数" in stages and any(s in stages for s in wanted))
    if row is None:
        return None
    found = _Explained(dep, year, doc, row[0], "", [])
    found.budget, found.actual = next(row[1][s] for s in wanted if s in row[1]), row[1]["决算数"]
    return found


def _budget_revision(answerer, query: Query, catalog: Catalog, departments: list[str]) -> Answer | None:  # type: ignore[no-untyped-def]
    """"全年预算数比年初预算数调增了多少": 全年预算 − 年初预算 of the item's row, both cited."""
    targets = answerer._targets(query, catalog, departments)
    if len(targets) != 1:
        return None
    dep, year = targets[0]
    docs = catalog.docs_for(dep, year, None)
    row = _row_stages(query, answerer.facts(docs), lambda stages: {"年初预算", "全年预算"} <= set(stages))
    if row is None:
        return None
    name, stages = row
    later, first = stages["全年预算"], stages["年初预算"]
    a = convert(later.value, later.unit, "万元")  # type: ignore[arg-type]
    b = convert(first.value, first.unit, "万元")  # type: ignore[arg-type]
    delta = a - b
    doc = next(d for d in docs if d.document_id == later.document_id)
    more = "调增" if delta > 0 else "调减" if delta < 0 else "未调整"
    return Answer(query.question, f"{dep}{year}年“{name}”年初预算{fmt(b, '万元')}，全年预算{fmt(a, '万元')}，"
                                  f"{more}{fmt(abs(delta), '万元')}。", True, "compute", abs(delta), "万元",
                  [cite(later, doc), cite(first, doc)], computation=f"{fmt(a)} − {fmt(b)} = {fmt(delta)}万元")


def execution_rate(answerer, query: Query, catalog: Catalog, departments: list[str]) -> Answer:  # type: ignore[no-untyped-def]
    found = _explained(answerer, query, catalog, departments)
    if isinstance(found, str):
        return refuse(query.question, found, final=found.startswith("没有加载"))
    if found.parts:
        return _combined_rate(query, found)
    if found.rate is not None and found.rate.value is not None:
        rate = found.rate
        return Answer(query.question, f"{found.dep}{found.year}年“{found.item}”{rate.row_label.rstrip('的')}"
                                      f"{fmt(rate.value)}%。原文：“{found.sentence}”", True, "table", rate.value, "%",
                      [cite(rate, found.doc)])
    if found.budget is None or found.actual is None or not found.budget.value:
        return refuse(query.question, f"文档中没有“{found.item}”的预算数和决算数的说明。")
    return _computed(query, found.dep, found.year, found.item, found.actual, found.budget, found.doc)


def stage_difference(answerer, query: Query, catalog: Catalog, departments: list[str]) -> Answer | None:  # type: ignore[no-untyped-def]
    """"决算比年初预算少了多少": 决算 − 预算 of the item, from its explanation sentence; "全年预算比年初预算
    调增了多少": the two budget stages of the item's row."""
    if len(set(re.findall(r"年初预算|全年预算|调整预算", query.text))) >= 2 and not re.search(r"决算|执行|实际", query.text):
        return _budget_revision(answerer, query, catalog, departments)
    found = _explained(answerer, query, catalog, departments)
    if isinstance(found, str) or found.budget is None or found.actual is None:
        return None
    a = convert(found.actual.value, found.actual.unit, "万元")  # type: ignore[arg-type]
    b = convert(found.budget.value, found.budget.unit, "万元")  # type: ignore[arg-type]
    delta = a - b
    more = "多" if delta > 0 else "少" if delta < 0 else "持平"
    text = (f"{found.dep}{found.year}年“{found.item}”{_stage_name(found.budget)}{fmt(b, '万元')}，"
            f"{_stage_name(found.actual)}{fmt(a, '万元')}，决算比预算{more}{fmt(abs(delta), '万元')}。")
    return Answer(query.question, text, True, "compute", abs(delta), "万元",
                  [cite(found.actual, found.doc), cite(found.budget, found.doc)],
                  computation=f"{fmt(a)} − {fmt(b)} = {fmt(delta)}万元")


def _stage_name(fact: TableFact) -> str:
    """How a stage figure is named: its sentence's words (年初预算为), or its table column's stage (预算数)."""
    if fact.table_index >= 0:
        return str(fact.dimensions.get("stage", ""))
    stage = re.search(r"((年初|全年|调整)?预算数?|(支出)?决算数?)$", clean_label(fact.row_label))
    return stage.group() if stage else fact.row_label


def stage_value(answerer, query: Query, catalog: Catalog, departments: list[str]) -> Answer | None:  # type: ignore[no-untyped-def]
    """"「住房公积金」（项）的年初预算是多少": the stage figure of the item's explanation sentence."""
    found = _explained(answerer, query, catalog, departments)
    if isinstance(found, str):
        return None
    fact = found.budget if re.search(r"预算", query.text) and "决算数" not in query.text else found.actual
    if fact is None or fact.value is None:
        return None
    return Answer(query.question, f"{found.dep}{found.year}年“{found.item}”{fact.row_label}：{fmt(fact.value, fact.unit)}。"
                                  f"原文：“{found.sentence}”", True, "table", fact.value, fact.unit, [cite(fact, found.doc)])


def _computed(query: Query, dep: str, year: int | None, item: str, actual: TableFact, budget: TableFact,
              doc) -> Answer:  # type: ignore[no-untyped-def]
    a = convert(actual.value, actual.unit, "万元")  # type: ignore[arg-type]
    b = convert(budget.value, budget.unit, "万元")  # type: ignore[arg-type]
    rate = round2(a / b * Decimal(100))
    computation = f"{fmt(a)} ÷ {fmt(b)} × 100 = {rate}%"
    return Answer(query.question, f"{dep}{year}年“{item}”决算{fmt(a, '万元')}，预算{fmt(b, '万元')}，执行率{rate}%。",
                  True, "compute", rate, "%", [cite(actual, doc), cite(budget, doc)], computation=computation)


def _combined_rate(query: Query, found: _Explained) -> Answer:
    """Σ决算 ÷ Σ预算 × 100 of items asked together, every figure cited."""
    actual = [convert(p.actual.value, p.actual.unit, "万元") for p in found.parts]  # type: ignore[union-attr,arg-type]
    budget = [convert(p.budget.value, p.budget.unit, "万元") for p in found.parts]  # type: ignore[union-attr,arg-type]
    rate = round2(sum(actual) / sum(budget) * Decimal(100))
    computation = (f"({' + '.join(map(fmt, actual))}) ÷ ({' + '.join(map(fmt, budget))}) × 100 = {rate}%")
    citations = [cite(f, found.doc) for p in found.parts for f in (p.actual, p.budget)]  # type: ignore[arg-type]
    return Answer(query.question, f"{found.dep}{found.year}年“{found.item}”合计决算{fmt(sum(actual), '万元')}，"
                                  f"预算{fmt(sum(budget), '万元')}，执行率{rate}%。", True, "compute", rate, "%",
                  citations, computation=computation)
