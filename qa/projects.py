"""What a named project does: the sentences a project table or form prints about it (年度目标, 绩效目标,
项目简介 …), quoted and cited when the question names the project.

Narrative passages rarely describe single projects; the project tables do, one row per project. A
question such as "“社工服务外包项目”是做什么的？" is answered from the row whose printed name is the
name asked, never from a row that merely shares words with it.

    answer = project_answer(answerer, query, docs)     # None when no project of the question is printed
"""

from __future__ import annotations

import re

from budgetqa.models import Answer, StoredDocument, TableFact
from qa.answer import cite
from qa.concepts import column_leaf, quoted_names
from qa.scores import OWNER
from qa.understand import Query

# questions about what a project is for (not why its budget changed, not how much it costs)
ASKS_PURPOSE = re.compile(r"做什么|干什么|干嘛|用途|用来|用于|作用|内容|目标|是什么项目|主要做|做哪些|哪些方面|"
                          r"是什么|具体.{0,4}(工作|事项)|包括哪些|哪个单位|实施单位")
_NOT_PURPOSE = re.compile(r"为什么|原因|多少|几[个项人]|增加|减少|比上年|金额|预算数")
_MIN_TEXT = 12  # a project sentence, not a short target such as "≥95%"


def _plain(text: str) -> str:
    return re.sub(r"[\s“”\"'「」『』（）()《》、，,。：:]", "", text)


def _asked_names(query: Query) -> list[str]:
    quoted = quoted_names(query.question, shortest=3)
    return [_plain(q) for q in quoted]


def _name_fits(label: str, asked: list[str], question: str) -> float:
    """How well a printed project name fits the question: the quoted name itself (1.0), the printed
    name written out in the question (0.9); 0 otherwise."""
    name = _plain(re.sub(r"^[\dA-Z\s-]{6,}", "", label))  # "11000022T0000004 44194-法律援助办案补贴"
    name = re.sub(r"^\d+[-－]", "", name)
    if len(name) < 4:
        return 0.0
    for quoted in asked:
        core = re.sub(r"(项目|经费|资金)$", "", quoted)
        if name == quoted or (len(core) >= 4 and (name == core or re.sub(r"(项目|经费|资金)$", "", name) == core)):
            return 1.0
    if not asked and name in _plain(question):
        return 0.9
    bare = OWNER.sub("", name)  # "市政府办公厅业务及日常运行项目" asked as 业务及日常运行项目
    if not asked and bare != name and len(bare) >= 4 and bare in _plain(question):
        return 0.8
    return 0.0


def project_answer(answerer, query: Query, docs: list[StoredDocument]) -> Answer | None:  # type: ignore[no-untyped-def]
    """The printed description of the project the question names, or None."""
    if not ASKS_PURPOSE.search(query.text) or _NOT_PURPOSE.search(query.text):
        return None
    asked = _asked_names(query)
    by_project: dict[tuple[str, str], list[TableFact]] = {}
    fits: dict[tuple[str, str], float] = {}
    for fact in answerer.facts(docs):
        if fact.table_kind == "narrative" or fact.value is not None or not fact.text_value:
            continue
        if len(fact.text_value) < _MIN_TEXT or fact.row_path and fact.column_path == ("指标值",):
            continue
        score = _name_fits(fact.row_label, asked, query.text)
        if score <= 0 or any(fact.row_label in d or d in fact.row_label for d in query.departments):
            continue  # a row named after the department itself is no project of it
        key = (fact.document_id, fact.row_label)
        by_project.setdefault(key, []).append(fact)
        fits[key] = score
    if not by_project:
        return None
    best = max(fits.values())
    chosen = [key for key, score in fits.items() if score == best]
    if len({label for _, label in chosen}) > 1:
        return None  # two different printed projects fit equally: do not pick one
    doc_by_id = {d.document_id: d for d in docs}
    lines, citations = [], []
    for key in chosen:
        facts = sorted(by_project[key], key=lambda f: (f.page, f.row_index))
        doc = doc_by_id[key[0]]
        seen: set[str] = set()
        under = f"（{'、'.join(facts[0].row_path)}）" if facts[0].row_path else ""  # the unit that carries it out
        lines.append(f"【{facts[0].table_title}】{doc.department or ''}“{key[1]}”{under}：")
        for fact in facts:
            text = (fact.text_value or "").strip()
            if text in seen:
                continue
            seen.add(text)
            lines.append(f"{' > '.join(fact.column_path)}：{text}")
            citations.append(cite(fact, doc))
    return Answer(question=query.question, answer="\n".join(lines), found=True, route="passage",
                  citations=citations)


_TOTAL_LABEL = re.compile(r"^(合计|总计|小计|共计|项目支出合计)$")
# a row naming a budget unit (the department or one of its units heads its own projects), not a project
_UNIT_ROW = re.compile(r"(局|中心|办公室|办公厅|委员会|法院|院|所|站|队|团|处|部)(本级)?$")
_PROJECT_WORDS = re.compile(r"费|项目|专项|经费|资金|运行|服务|建设|维护|补助|购置|工程")


def project_totals(facts: list[TableFact], department: str) -> list[TableFact]:
    """Each project's total (its 总计/合计 column) in the first project table (项目支出) that lists
    projects by name: the rows to rank when a question asks which project is largest. Total rows,
    classification rows (with a code) and rows naming a budget unit are not projects."""
    tables: dict[int, dict[int, TableFact]] = {}
    for fact in facts:
        if fact.table_kind != "项目支出" or fact.row_code or fact.value is None or not fact.column_path:
            continue
        label = _plain(fact.row_label)
        if _TOTAL_LABEL.match(label) or label in _plain(department) or (
                _UNIT_ROW.search(label) and not _PROJECT_WORDS.search(label)):
            continue
        if column_leaf(fact) not in ("总计", "合计") or any(re.search(r"财政|拨款|资金|收入|结转", p) for p in fact.column_path[:-1]):
            continue  # the row's whole amount, not a fund source's part
        row = tables.setdefault(fact.table_index, {})
        if fact.row_index not in row or len(fact.column_path) < len(row[fact.row_index].column_path):
            row[fact.row_index] = fact
    named = [rows for _, rows in sorted(tables.items()) if len(rows) >= 2]
    return list(named[0].values()) if named else []
