"""The question-answering chain: parse -> route -> look up facts / retrieve passages -> compute ->
cite -> (optionally) phrase with an LLM under a number guard. Needs no LLM.

    answerer = build_answerer(Settings())
    answer = answerer.ask("区政府办2025年三公经费是多少？")
    chain = answerer.as_runnable()      # a LangChain Runnable: {"question": …} -> Answer
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from budgetqa.models import Answer, Finding, StoredDocument, TableFact
from budgetqa.settings import Settings
from index.store import Store
from qa.answer import Evidence, Place, cite, convert, fmt, refuse, round2
from qa.compute import Computations
from qa.concepts import quoted_names
from qa.cues import asked_item
from qa.gate import PER_PERSON, asked_stage, gate_answer, item_runs
from qa.lookup import ItemResolver
from qa.passages import passage_answer
from qa.understand import Catalog, Query, parse_question

if TYPE_CHECKING:  # langchain_core.runnables takes ~1 s to import: only as_runnable loads it
    from langchain_core.runnables import Runnable

_BOUNDS = ("≥", "≤", ">", "<", "=", "＝")  # how a performance target's printed value begins
MAX_QUESTION_CHARS = 300  # a budget question is a sentence or two; longer input is refused before any matching


def unusable_question(question: str) -> str | None:
    """Why a question cannot be answered at all (empty, too long, not Chinese), or None."""
    text = question.strip()
    if not text:
        return "请输入一个问题，例如“区政府办2025年三公经费是多少？”。"
    if len(text) > MAX_QUESTION_CHARS:
        return f"问题太长（{len(text)}字），请把问题缩短到{MAX_QUESTION_CHARS}字以内。"
    if not re.search(r"[\u4e00-\u9fff]", text):
        return "目前只能理解中文问题，请用中文提问（Questions are understood in Chinese only）。"
    return None


_GENERAL_WORDS = re.compile(
    r"主要职能|职能|主要职责|职责|机构设置|内设机构|机关运行经费|“?三公”?经费|三公|名词解释|预算|决算|部门|单位|项目|"
    r"是什么|有哪些|哪些|负责|做什么|干什么|情况|说明|原因|为什么|增加|减少|多少|是|的|了|呢|吗|有|今年|去年|"
    r"上年|本年|总额|合计|一共|收入|支出|经费|[＃？?，,。、：:！!（）()“”\s\d]")


def names_nothing_specific(item_text: str) -> bool:
    """The question, without department and year, holds only words every disclosure uses (主要职能,
    机关运行经费, 三公经费 …): it cannot single out one document by itself."""
    return len(_GENERAL_WORDS.sub("", item_text)) < 2


class Answerer(Computations):
    """Answers questions from one data directory's stores."""

    def __init__(self, settings: Settings, store: Store | None = None, llm=None,  # type: ignore[no-untyped-def]
                 passage_index=None) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.store = store or Store(settings.resolved_database_url)
        self.llm = llm
        if passage_index is not None:  # share the library's index (and its embedding model) in one process
            self.__dict__["passage_index"] = passage_index
        self._facts: dict[str, list[TableFact]] = {}
        self._findings: dict[str, list[Finding]] = {}
        self._places: dict[str, Place] = {}
        self._lock = threading.Lock()
        self._generation: frozenset[str] | None = None  # the document ids seen at the last question
        self._library: tuple[int | None, list[StoredDocument], Catalog] | None = None  # (store revision, …)

    @cached_property
    def passage_index(self):  # type: ignore[no-untyped-def]
        from index.passages import PassageIndex

        return PassageIndex(self.settings)

    # ---- entry points -----------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load what a first question would (the store's documents and facts, the tokenizer and BM25
        matrix, the embedding model, Chroma) once, before a server listens: the first users wait no longer
        than the rest, and 20 first questions at once do not load them 20 times."""
        documents = self.store.documents()
        self.facts(documents)
        if documents:
            self.passage_index.search("主要职能", k=1)
        self.ask("部门预算收入总计是多少？")

    # ---- entry points -----------------------------------------------------------------------
    def as_runnable(self) -> Runnable:
        """The chain as a LangChain Runnable taking {"question", "department"?, "year"?, "kind"?}."""
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(lambda inputs: self.ask(**inputs) if isinstance(inputs, dict) else self.ask(inputs))

    def ask(self, question: str, department: str | None = None, year: int | None = None,
            kind: str | None = None, previous: str | None = None) -> Answer:
        """Answer `question`; `previous` (the question asked before it in a conversation) fills in the
        department, year and item that a follow-up such as "比去年少了多少？" leaves out."""
        start = time.perf_counter()
        if previous:
            from qa.followup import with_context

            completed = with_context(question, previous, self._documents()[1])
            answer = self._answer(completed, department, year, kind)
            answer.question = question
            if completed != question:
                answer.answer = f"（按上一问理解为：{completed}）\n{answer.answer}"
        else:
            answer = self._answer(question, department, year, kind)
        if self.llm is not None and answer.found:
            from qa.phrasing import phrase_with_llm

            answer = phrase_with_llm(self.llm, answer)
        if answer.route == "none-final":  # internal marker of a refusal no fallback may override
            answer.route = "none"
        if answer.citations:
            self.place(answer.citations)
        answer.latency_ms = (time.perf_counter() - start) * 1000
        return answer

    def _answer(self, question: str, department: str | None, year: int | None, kind: str | None) -> Answer:
        unusable = unusable_question(question)
        if unusable:
            return Answer(question[:MAX_QUESTION_CHARS], unusable, False, "none")
        documents, catalog = self._documents()
        if not documents:
            return refuse(question, "还没有加载任何文档。请先导入预算公开文件（budgetqa ingest …）。")
        query = parse_question(question, catalog, department=department, year=year, kind=kind)
        if query.unknown_department and not query.departments and query.route == "passage":
            # a unit inside a department (徐州铁路运输法院): its name must appear in the quoted passage
            return passage_answer(self, query, catalog, catalog.departments(), 0.6)
        unit = None
        if query.unknown_department and not query.departments:
            printing = self._department_printing(query.unknown_department, catalog)
            if printing is None:
                return refuse(question, f"已加载的文档中没有“{query.unknown_department}”的预算公开文件。"
                                        f"已加载的部门：{'、'.join(catalog.departments())}。")
            # a unit inside a department (its row in the department's tables): asked within that department,
            # by the name the tables print ("西安市委讲师团" -> "中共西安市委理论讲师团")
            holder, unit = printing
            if query.unknown_department not in unit:  # a short form: asked by the printed name
                question = question.replace(query.unknown_department, unit)
            query = parse_question(question, catalog, department=holder, year=year, kind=kind)
        if query.ambiguous:
            return refuse(question, f"问题中的部门名称可以指多个已加载的部门：{'、'.join(query.ambiguous)}。"
                                    "请写出是哪一个（例如带上地区名）。")
        if query.kind == "决算" and not any((d.kind or "").endswith("决算") for d in documents):
            return refuse(question, "已加载的文档都是预算，没有决算（决算数）数据。")
        loaded = catalog.departments()
        if not query.departments and len(loaded) > 1 and names_nothing_specific(query.item_text):
            # "机关运行经费呢？" with no department and no question before it: any answer would be about
            # an arbitrary department
            return refuse(question, "问题没有指明部门。已加载的部门有：" + "、".join(loaded[:12])
                          + ("等" if len(loaded) > 12 else "") + "。请说明是哪个部门、哪一年。")
        departments = query.departments or catalog.departments()
        if query.route == "passage":
            return passage_answer(self, query, catalog, departments)
        if re.search(r"以外|之外|除去|除了|扣除|其余|剩余|剩下|(没有?|未)(执行|花|用|支出)", query.item_text) \
                and query.operation == "value":
            from qa.execution import stage_difference
            from qa.remainder import remainder

            if re.search(r"预算", query.item_text) and re.search(r"执行|决算|实际", query.item_text):
                # "全年预算扣除实际执行数后还剩多少": what was not spent, 预算 − 执行 of the item
                unspent = stage_difference(self, query, catalog, departments)
                if unspent is not None:
                    return unspent
            return remainder(self, query, catalog, departments) or refuse(
                question, "问题要的是扣除一部分之后的余数；文档没有直接给出这个数。")
        if PER_PERSON.search(query.text) and not re.search(r"目标|指标", query.text):
            # (a per-person target a performance form prints, 人均培训成本 ≤1947元, is a figure of its own)
            return refuse(question, "预算公开文件不公布人均数或个人的工资收入。")
        if re.search(r"全区|全市|全省|全县", query.text) and not query.departments:
            return refuse(question, "已加载的是部门预算，不包含全区（全市）的总预算。")
        answer = self._table_answer(query, catalog, departments)
        answer = gate_answer(query, set(catalog.names), answer, question_synonyms(),
                             sections=lambda: self._sections_of(answer), units=lambda: self._units_of(answer),
                             unit=unit)
        if answer.found or answer.route == "none-final" or query.counting:
            answer.route = "none" if answer.route == "none-final" else answer.route
            return answer
        # no table fact: a passage may still say it ("无机关运行费"), but for a numeric question only
        # when it covers every word of the question
        passage = passage_answer(self, query, catalog, departments, 1.0 if query.route == "table" else 0.25)
        if passage.found and query.route == "table" and not query.counting:
            figure = re.search(r"多少|金额|数额", query.item_text) and not re.search(r"哪|什么|谁", query.item_text)
            named = quoted_names(query.question, shortest=4) or [
                n for n in [asked_item(query.item_text)] if len(n) >= 4 and figure]
            text = re.sub(r"\s", "", passage.answer)
            if named and not any(re.search(re.escape(n) + r"[^。；]{0,24}?(\d[\d,.]*(万元|元|亿元)|无|未安排|没有|不涉及)", text)
                                 or re.search(r"\d[\d,.]*(万元|元|亿元)[^。；，]{0,12}?" + re.escape(n), text)
                                 for n in named):
                # the text names the item but gives no amount for it (a definition in 名词解释):
                # that is "the documents do not say"
                return refuse(query.question, f"文档提到了“{'、'.join(named)}”，但没有给出它的金额。", final=True)
        return passage if passage.found else answer

    # ---- table route ------------------------------------------------------------------------
    def _department_printing(self, name: str, catalog: Catalog) -> tuple[str, str] | None:
        """The one loaded department whose tables print a row naming the unit `name` (in full, or in a short
        form that keeps its words in order and its ending: 西安市委讲师团 for 中共西安市委理论讲师团), with the
        printed name; None when none or several do."""
        if len(re.sub(r"\s", "", name)) < 5:
            return None
        printed = self.rows_naming(name, catalog)
        if len({holder for holder, _ in printed}) != 1:
            return None
        return printed.most_common(1)[0][0]  # the name its tables print most

    def _documents(self) -> tuple[list[StoredDocument], Catalog]:
        """The stored documents and the catalog of their names, made again only when the store's revision
        says the library changed (in this process or another) since the last question."""
        revision = self.store.revision()
        held = self._library
        if revision is None or held is None or held[0] != revision:
            documents = self.store.documents()
            held = (revision, documents, Catalog(documents))
            self._notice_other_writers(documents)
            self._library = held
        return held[1], held[2]

    def _notice_other_writers(self, documents: list) -> None:  # type: ignore[type-arg]
        """Another process (or the app's own ingest) changed the library: reopen the passage index so
        that no stale id is queried, and forget the facts of documents no longer there."""
        generation = frozenset(d.document_id for d in documents)
        with self._lock:
            changed = self._generation is not None and generation != self._generation
            self._generation = generation
            for gone in [d for d in self._facts if d not in generation]:
                del self._facts[gone]
        if changed and "passage_index" in self.__dict__:
            self.passage_index.refresh()

    def _table_answer(self, query: Query, catalog: Catalog, departments: list[str]) -> Answer:
        given = self._from_given_change(query, catalog, departments)
        if given is not None:
            return given
        if query.operation == "share":
            return self._share(query, catalog, departments)
        if query.operation == "execution":
            from qa.execution import execution_rate

            return execution_rate(self, query, catalog, departments)
        if query.operation == "sum":
            summed = self._sum(query, catalog, departments)
            if summed.found or "及" not in query.item_text:
                return summed
            # "其他政府办公厅（室）及相关机构事务支出…一共多少": one printed name holding 及, not two items
            query = replace(query, operation="value")
        if query.operation == "rank":
            return self._rank(query, catalog, departments)
        if query.operation == "value" and asked_stage(query.text) in ("年初预算", "全年预算"):
            from qa.execution import stage_value

            stated = stage_value(self, query, catalog, departments)  # a 决算's explanation of the item
            if stated is not None:
                return stated
        resolver = ItemResolver(query.item_text, counting=query.counting)
        if query.operation == "ratio":
            return self._item_difference(query, catalog, departments) or refuse(
                query.question, "倍数需要同一部门、同一年度的两个项目，问题里没有找到这样的两项。")
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
            asked = "、".join(item_runs(query.item_text))
            return refuse(query.question, f"在已加载文档的表格中没有找到问题所问的项目{f'（“{asked}”）' if asked else ''}。"
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
        target = (fact.text_value or "").strip()
        if ev.value is None or (target[:1] in _BOUNDS and not query.counting):
            # a target text such as "≥3000万条/小时" (or "≥99.95%" not asked as a count): quoted as printed
            where = " > ".join(x for x in (*fact.row_path, fact.row_label) if x)
            return Answer(question=query.question, answer=f"{where}：{fact.text_value}", found=True, route="table",
                          citations=[cite(fact, ev.doc)])
        other = ""
        if unit == "元":
            other = f"（约{fmt(round2(ev.value / 10000))}万元）"
        elif unit == "万元" and ev.note is None:
            other = f"（{fmt(round2(ev.value * 10000))}元）"
        label = ev.item if ev.item else fact.row_label
        leaf = re.sub(r"\s", "", fact.column_path[-1]) if fact.column_path else ""
        if fact.table_index >= 0 and leaf and not re.search(r"合计|总计|小计|金额|^预算数?$|^决算数?$|年预算数$", leaf) \
                and leaf not in label:
            label += f"（{' > '.join(fact.column_path)}）"  # the column read, when it is not the row's total
        text = f"{ev.doc.department}{year or ''}年{label}：{fmt(ev.value, unit)}{other}。"
        if target[:1] in _BOUNDS:  # a performance target counted: the bound as printed
            project = f"“{fact.row_path[0]}”" if fact.row_path else ""
            text = f"{ev.doc.department}{year or ''}年{project}绩效指标“{fact.row_label}”的指标值：{target}。"
        if fact.table_kind == "narrative" and fact.sentence:
            text = f"{ev.doc.department}{year or ''}年：{fmt(ev.value, unit)}。原文：“{fact.sentence}”"
        if ev.note:
            derived = "" if "分列之和" in label else "（推算）"
            text = f"{ev.doc.department}{year or ''}年{label}{derived}：{fmt(ev.value, unit)}。"
        if fact.table_index >= 0:
            text += self._contradiction_note(ev.doc.document_id, label)
        return Answer(question=query.question, answer=text, found=True, route="table" if not ev.note else "compute",
                      value=ev.value, unit=unit, citations=[cite(f, ev.doc) for f in ev.facts],
                      computation=ev.note)

    def _contradiction_note(self, document_id: str, item: str) -> str:
        """When the text of the document states this item differently (a table_vs_narrative finding), the
        answer keeps the table's figure and says so."""
        core = re.sub(r"[“”\s（）()]", "", item)
        for finding in self.findings(document_id):
            if finding.check == "table_vs_narrative" and finding.severity == "finding" and core and \
                    core[:4] in re.sub(r"[“”\s]", "", finding.where):
                return (f"\n注意：正文第{finding.page}页所述为{finding.found}，与表格不一致；以上答案以表格为准"
                        "（见“文档库”中的检查发现）。")
        return ""

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

    def _units_of(self, answer: Answer) -> set[str]:
        """Budget units the cited documents print as rows (中共西安市委理论讲师团): named in a question
        about their department, they are no foreign organisation."""
        ids = {c.document_id for c in answer.citations}
        docs = [d for d in self.store.documents() if d.document_id in ids]
        return {f.row_label.replace(" ", "") for f in self.facts(docs) if f.table_index >= 0
                and re.search(r"(局|厅|委员会|办公室|中心|法院|院|所|馆|站|队|团|部)$", f.row_label)}

    def _sections_of(self, answer: Answer) -> list[str]:
        """The passages of the top sections that the answer's cited sentences stand in."""
        roots = {(c.document_id, (c.context or "").split(" > ")[0]) for c in answer.citations if not c.table}
        texts = []
        for document_id in {d for d, _ in roots}:
            texts += [p.text for p in self.store.passages([document_id])
                      if p.section_path and (document_id, p.section_path[0]) in roots]
        return texts


@lru_cache(maxsize=1)
def question_synonyms() -> dict[str, list[str]]:
    """How people ask -> how documents print it (index/data/synonyms.tsv)."""
    from index.lexical import load_synonyms

    return {s.term: list(s.expansions) for s in load_synonyms()}


_ANSWERERS: dict[str, Answerer] = {}


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
