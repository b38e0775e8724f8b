"""Intent -> facts: which documents a question targets, the facts the trust gate lets answer it, and
the value of the asked item for one department-year (read in a table, printed in the next year's
column, stated in a sentence, or derived from a stated change).

    class Answerer(FactLookup): …      ev = self.evidence(query, catalog, dep, year, ItemResolver(text))
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from decimal import Decimal

from budgetqa.models import Citation, Finding, StoredDocument, TableFact
from index.store import Store
from qa.answer import Evidence, Place, convert, corroborating, fmt, locate
from qa.cues import ASKS_RATE
from qa.gate import column_year, eligible, fits_codes, named_codes, one_stage, other_side
from qa.lookup import ItemResolver, Match
from qa.matching import names_unit
from qa.understand import Catalog, Query, canonical_department


class FactLookup:
    """Facts of the stored documents (cached per document) and the evidence for one item."""

    store: Store
    _facts: dict[str, list[TableFact]]
    _findings: dict[str, list[Finding]]
    _places: dict[str, Place]
    _lock: threading.Lock
    _labels: tuple[Catalog, dict[str, dict[str, list[int]]]] | None = None  # rows_naming's index, per catalog

    def facts(self, docs: list[StoredDocument], query: Query | None = None) -> list[TableFact]:
        """The facts of these documents; with a query, only those the trust gate lets answer it."""
        with self._lock:
            missing = list(dict.fromkeys(d.document_id for d in docs if d.document_id not in self._facts))
            if missing:  # read in one query (warm_up and questions naming no department read them all)
                loaded: dict[str, list[TableFact]] = {document_id: [] for document_id in missing}
                for fact in self.store.facts(document_ids=missing):
                    loaded[fact.document_id].append(fact)
                self._facts.update(loaded)
            held = [(doc, self._facts[doc.document_id]) for doc in docs]
        out: list[TableFact] = []
        for doc, facts in held:
            out += eligible(facts, doc.fiscal_year, doc.kind, one_stage(query.text) or query.kind) \
                if query is not None else facts
        return out

    def rows_naming(self, unit: str, catalog: Catalog) -> Counter[tuple[str, str]]:
        """How many table rows of each loaded department print a label naming `unit` (qa.matching.names_unit),
        by (department, label without spaces), counted in the order they are first printed. Each distinct
        label is tested once, not every fact of every document (`_printed_labels`)."""
        found: dict[tuple[str, str], list[int]] = {}  # -> [first printed at, rows]
        for label, printers in self._printed_labels(catalog).items():
            if names_unit(unit, label):
                for department, (first, rows) in printers.items():
                    seen = found.setdefault((department, label.replace(" ", "")), [first, 0])
                    seen[0], seen[1] = min(seen[0], first), seen[1] + rows
        return Counter({key: rows for key, (_, rows) in sorted(found.items(), key=lambda item: item[1][0])})

    def _printed_labels(self, catalog: Catalog) -> dict[str, dict[str, list[int]]]:
        """Every table row label of the catalog's documents -> department -> [first printed at, rows],
        made once per catalog (a catalog is made again when the library changes)."""
        held = self._labels
        if held is None or held[0] is not catalog:
            labels: dict[str, dict[str, list[int]]] = {}
            facts = ((canonical_department(doc.department), f) for doc in catalog.documents if doc.department
                     for f in self.facts([doc]) if f.table_index >= 0)
            for position, (department, fact) in enumerate(facts):
                labels.setdefault(fact.row_label, {}).setdefault(department, [position, 0])[1] += 1
            held = self._labels = (catalog, labels)
        return held[1]

    def place(self, citations: list[Citation]) -> None:
        """Give the citations their document's department, year and kind and their page's printed number,
        read once per document (document ids are content hashes: they never change)."""
        with self._lock:
            missing = sorted({c.document_id for c in citations if c.document_id} - self._places.keys())
        if missing:
            docs = {d.document_id: d for d in self.store.documents() if d.document_id in missing}
            printed = self.store.printed_pages(missing)
            with self._lock:
                for document_id in missing:
                    self._places[document_id] = (docs.get(document_id), {
                        page: number for (doc_id, page), number in printed.items() if doc_id == document_id})
        locate(citations, self._places)

    def findings(self, document_id: str) -> list[Finding]:
        """A document's findings, read once (document ids are content hashes: they never change)."""
        with self._lock:
            if document_id not in self._findings:
                self._findings[document_id] = [f for _, f in self.store.findings(document_id)]
            return self._findings[document_id]

    def _targets(self, query: Query, catalog: Catalog, departments: list[str]) -> list[tuple[str, int | None]]:
        years = query.years[:1] if query.operation not in ("compare", "difference", "growth") else query.years
        targets = []
        for dep in departments:
            for year in (years or catalog.years(dep)):
                targets.append((dep, year))
        return targets

    def evidence(self, query: Query, catalog: Catalog, dep: str, year: int | None,
                 resolver: ItemResolver, several: bool = False) -> Evidence | None:
        """The value of the asked item for one department-year: read, or derived from a stated change
        (`several`: one of the rows printing the name will do, as for a sum over all of them)."""
        docs = catalog.docs_for(dep, year, query.kind)
        if docs:
            doc_facts = self.facts(docs, query)
            codes = named_codes(resolver.asked)
            coded = [f for f in doc_facts if fits_codes(f, codes)] if codes else []
            # a code the question names is read in the rows that print it, where some do
            match = resolver.best(coded if any(f.row_code in codes for f in coded) else doc_facts)
            if match is not None and not fits_codes(match.fact, codes):
                return None  # the question names a code this row does not carry
            fund = asked_fund(resolver)
            if match is not None and fund and match.fact.table_index >= 0 and not of_fund(match.fact, fund):
                # "一般公共预算财政拨款安排的项目支出": never the all-funds figure; the fund's own, or none
                match = resolver.best([f for f in doc_facts if f.table_index < 0 or of_fund(f, fund)])
                if match is not None and match.fact.table_index < 0 and fund not in (match.fact.sentence or ""):
                    match = None
            if match is not None and (match.fact.value is not None or match.fact.text_value):
                doc = next(d for d in docs if d.document_id == match.fact.document_id)
                twins = split_rows(match.fact, doc_facts, resolver.plain)
                if twins:
                    return summed(match, doc, twins)
                repeated = repeated_rows(match.fact, doc_facts)
                if repeated is None:
                    return None  # the row printed again in the same place, and the table's sums do not tell why
                if repeated:
                    return summed(match, doc, repeated, "行分列之和")
                if resolver.rivals and not several and not _same_target(match.fact, resolver.rivals):
                    return None  # 租赁费 under two procurement items, the question naming neither: not a guess
                if "本级" in resolver.plain and not re.search(r"本级", match.fact.row_label):
                    own = _own_level(match.fact, doc_facts, doc.department or "")
                    if own is None:
                        return None  # "本级" asked: the department's own row, never a total with its units
                    match = Match(own, f"本级{match.item}", match.score)
                return Evidence.of(match, doc, [match.fact] + corroborating(match.fact, doc_facts))
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
            return Evidence.of(match, doc, note=f"{year + 1}年文档所列{year}年数")
        # … or state the figure ("2023年当年预算执行数为60.13万元")
        stated = [f for f in facts if f.table_kind == "narrative" and f.column_path == ("金额",)
                  and f"{year}年" in f.row_label]
        match = resolver.best(stated) if stated else None
        if match is not None and match.fact.value is not None and match.score >= 8:
            doc = next(d for d in later if d.document_id == match.fact.document_id)
            return Evidence.of(match, doc)
        # … or its stated change ("比2024年预算减少2,389.52万元") lets us derive it
        current = resolver.best(facts)
        executed = _EXECUTED.search(resolver.text) if current is None else None
        if executed:  # "2025年收入执行数": this year's 收入, and a change stated against last year's 执行数
            resolver = ItemResolver(_EXECUTED.sub("", resolver.text))
            current = resolver.best(facts)
        if current is None or current.fact.value is None:
            return None
        change = self._stated_change(resolver, facts, current, year)
        if change is None or (executed and not re.search(r"(上年|\d{4}\s*年)(度)?(预算)?(执行数|决算)", change[1].sentence or "")):
            return None
        delta, fact = change
        base = convert(current.fact.value, current.fact.unit, fact.unit or "万元") if fact.unit else current.fact.value
        # the amount the change's own sentence states is at the change's precision ("收入19,577万元，比2025年
        # 预算减少290万元" beside a table's 19,577.43): last year is read at that precision
        stated = next((f.value for f in facts if f.table_kind == "narrative" and f.sentence == fact.sentence
                       and f.row_label == fact.row_label and f.column_path == ("金额",) and f.unit == fact.unit
                       and f.value is not None and abs(f.value - base) < 1), None)
        base = stated if stated is not None else base
        value = base - delta
        if value < 0 < base:
            return None  # an amount and a change that cannot belong together: no negative budget is derived
        doc = next(d for d in later if d.document_id == fact.document_id)
        return Evidence(value, fact.unit, current.item, [current.fact, fact], doc,
                        note=f"{year + 1}年{fmt(base, fact.unit)} {'−' if delta >= 0 else '+'} "
                             f"{fmt(abs(delta), fact.unit)}（{fact.text_value}）")

    @staticmethod
    def _stated_change(resolver: ItemResolver, facts: list[TableFact], current: Match,
                       year: int) -> tuple[Decimal, TableFact] | None:
        """A signed change versus `year` stated in the text about the item (增加 +, 减少 −, 持平 0)."""
        changes = resolver.changes(facts, current.item)
        changes = [f for f in changes if not other_side(resolver.asked, [f.sentence or ""])]  # 支出 for 收入
        codes = named_codes(resolver.asked)
        if codes and any(fits_codes(f, codes) for f in changes):  # the sentence of the code asked
            changes = [f for f in changes if fits_codes(f, codes)]
        # the change stated in the very sentence that gives the figure comes first, in the unit asked
        # ("多了多少": 48.92万元, not the 0.8% beside it; "增长了百分之几": the rate)
        rate = bool(ASKS_RATE.search(resolver.text))
        changes.sort(key=lambda f: (f.sentence != current.fact.sentence if current.fact.sentence else False,
                                    (f.unit == "%") != rate))
        for fact in changes:
            stated_year = re.match(r"比(\d{4})", fact.column_path[0])
            if stated_year and int(stated_year.group(1)) not in (year, year + 1):
                continue  # "比上年" (no year printed) means the year before
            direction = fact.column_path[1]
            sign = -1 if direction in ("减少", "下降") else 0 if direction == "持平" else 1
            return Decimal(sign) * (fact.value or Decimal(0)), fact
        return None


# a stage of last year's figure a question names: what was spent (执行数, 决算数), not what was budgeted
_EXECUTED = re.compile(r"(预算)?(执行数|执行情况|决算数)")

# the fund sources a question may read a figure from (一般公共预算 and 政府性基金 … are 财政拨款)
FUNDS = ("财政拨款", "一般公共预算", "政府性基金", "国有资本经营", "财政专户")


def asked_fund(resolver: ItemResolver) -> str | None:
    """The fund source a question reads its figure from ("一般公共预算财政拨款安排的…", "财政拨款的…"),
    unless it names it as the item itself ("财政拨款收入是多少")."""
    if resolver.fund_cue:
        return resolver.fund_cue
    plain = resolver.plain
    return "财政拨款" if re.search(r"财政拨款(支出|收入)?(安排|资金|口径|的|中|里)", plain) and \
        not re.search(r"财政拨款(收入|支出|结转|结余)?(总计|合计|总额)?(是|为|有)?多少", plain) else None


def of_fund(fact: TableFact, fund: str) -> bool:
    """Whether a table cell is read for that fund source: its table, title, column or fund dimension says so
    (一般公共预算 and 政府性基金 are 财政拨款)."""
    if fund in ("财政拨款", "一般公共预算") and fact.table_kind in _APPROPRIATION_TABLES:
        return True
    where = (f"{fact.table_kind}{fact.table_title}{''.join(fact.column_path)}{fact.dimensions.get('fund') or ''}"
             f"{fact.row_label}{''.join(fact.row_path)}")
    if fund == "财政拨款":
        return bool(re.search(r"财政拨款|一般公共预算|政府性基金|国有资本经营", where))
    return fund in where


# tables that only hold 一般公共预算 财政拨款 (domain.md): the 三公 and 机关运行经费 tables among them
_APPROPRIATION_TABLES = ("一般公共预算支出", "一般公共预算基本支出", "财政拨款基本支出", "财政拨款收支预算总表", "三公经费",
                         "机关运行经费")


def _own_level(fact: TableFact, facts: list[TableFact], department: str) -> TableFact | None:
    """The department's own row (本级) beside a total that includes its units: the row of the same table
    and column printing the department's name (or …本级); None when the table has no such row."""
    name = re.sub(r"[\s（）()]", "", department)
    column = [f for f in facts if f.table_index == fact.table_index and f.column_path == fact.column_path
              and f.value is not None]
    labels = {id(f): re.sub(r"[\s（）()]", "", f.row_label) for f in column}
    own = [f for f in column if labels[id(f)].endswith("本级")]
    if own:
        return own[0]
    # the row printing the department's name is its own level only beside a 合计 row that totals the units
    named = [f for f in column if name and labels[id(f)] == name]
    has_total = any(re.fullmatch(r"(合计|总计)", labels[id(f)]) for f in column)
    return named[0] if named and has_total and named[0].value != fact.value else None


def split_rows(fact: TableFact, facts: list[TableFact], asked: str) -> list[TableFact]:
    """The other rows of one table that print the same coded item in the same column under other parents
    (办公费 30201 under 50201 办公经费 and again under 50502 商品和服务支出): the item's total is their sum,
    unless the question names one of the parents."""
    if fact.table_index < 0 or not fact.row_code or fact.value is None:
        return []
    twins = [f for f in facts if f.table_index == fact.table_index and f.column_path == fact.column_path
             and f.row_code == fact.row_code and f.row_label == fact.row_label and f.row_index != fact.row_index
             and f.row_path != fact.row_path and f.value is not None and f.unit == fact.unit]
    parents = {re.split(r"[-－]", p)[-1] for f in [fact, *twins] for p in f.row_path}
    if any(len(p) >= 3 and p in asked for p in parents):
        return []
    return twins


def repeated_rows(fact: TableFact, facts: list[TableFact]) -> list[TableFact] | None:
    """The other rows of one table printing the same coded item in the same column under the same parent:
    a row split by a classification the table prints beside it (烟台: 30101 基本工资 once under 501 机关工资
    福利支出 and again under 505 对事业单位经常性补助) or by budget unit. Their sum is the item's figure when
    the table's top-level rows add up to its 合计 (every row counted once); None when they do not (a
    total section beside its parts would be counted twice); [] when the row is printed once."""
    if fact.table_index < 0 or not fact.row_code or fact.value is None:
        return []
    column = [f for f in facts if f.table_index == fact.table_index and f.column_path == fact.column_path
              and f.value is not None and f.unit == fact.unit]
    twins = [f for f in column if f.row_code == fact.row_code and f.row_label == fact.row_label
             and f.row_path == fact.row_path and f.row_index != fact.row_index]
    if not twins:
        return []
    total = next((f for f in column if re.fullmatch(r"(合计|总计)", re.sub(r"\s", "", f.row_label))), None)
    top = [f for f in column if f.row_code and not f.row_path]
    if total is None or not top or abs(sum((f.value for f in top), Decimal(0)) - total.value) \
            > Decimal("0.01") * len(top):  # type: ignore[operator,misc]  # (each row rounded to the cent)
        return None
    return twins


def summed(match: Match, doc: StoredDocument, twins: list[TableFact], how: str = "个上级科目下分列之和") -> Evidence:
    rows = [match.fact, *twins]
    total = sum((f.value for f in rows), Decimal(0))  # type: ignore[misc]
    note = " + ".join(fmt(f.value) for f in rows) + f" = {fmt(total)}{match.fact.unit or ''}"  # type: ignore[arg-type]
    return Evidence(total, match.fact.unit, f"{match.item}（{len(rows)}{how}）", rows, doc,
                    note=note, score=match.score)


def latest_year(catalog: Catalog, department: str) -> int | None:
    years = catalog.years(department)
    return years[-1] if years else None


def _same_target(fact: TableFact, rivals: list[Match]) -> bool:
    """An indicator's target printed alike under several projects ("年度全市居民医保参保人数 ≥450万人" in
    three subsidy forms) is one target, whichever form is read; amounts under two parents never are."""
    return fact.value is None and bool(fact.text_value) and all(
        r.fact.value is None and r.fact.text_value == fact.text_value for r in rivals)

