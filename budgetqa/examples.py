"""Example questions drawn from the loaded documents, one per kind of question (a line item, a share, a
change, 决算 vs 预算, a project's purpose, a ranking …), each known to be answerable: the templates of
`data/examples.toml` are filled with the documents' departments, years and projects, asked, and kept
only when they get a cited answer.

    examples = answerable_examples(answerer.ask, store, store.documents())   # [Example('占比', '…'), …]
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from budgetqa.models import Answer, StoredDocument
from index.store import Store

TEMPLATES = Path(__file__).resolve().parent / "data" / "examples.toml"
_PROJECT_WORDS = re.compile(r"(项目|经费|专项|工程|系统|服务|补助|建设)$")


@dataclass(frozen=True)
class Example:
    label: str  # the kind of question, as shown to users: 占比, 项目用途 …
    question: str


@dataclass(frozen=True)
class Template:
    label: str
    text: str
    document_kinds: tuple[str, ...] = ()


def templates() -> list[Template]:
    """The templates of data/examples.toml, in file order."""
    try:
        with TEMPLATES.open("rb") as handle:
            entries = tomllib.load(handle)["example"]
        return [Template(e["label"], e["template"], tuple(e.get("document_kinds", ()))) for e in entries]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        raise ValueError(f"{TEMPLATES}: cannot read the example templates ({error!r})") from error


def answerable_examples(ask: Callable[[str], Answer], store: Store, documents: list[StoredDocument],
                        tries: int = 8) -> list[Example]:
    """Per kind, the first filled template the documents answer with a citation (at most `tries` asked
    per template); each kind about another department when the documents allow it."""
    chosen: dict[str, Example] = {}
    used: set[str] = set()
    for template in templates():
        if template.label in chosen:
            continue
        for number, (question, department) in enumerate(_filled(template, store, documents, used)):
            if number >= tries:
                break
            answer = ask(question)
            if answer.found and answer.citations and answer.route != "none":
                chosen[template.label] = Example(template.label, question)
                used.add(department)
                break
    return list(chosen.values())


def _filled(template: Template, store: Store, documents: list[StoredDocument],
            used: set[str]) -> Iterator[tuple[str, str]]:
    """(question, department) pairs for one template, departments not used by another kind first."""
    fitting = [d for d in documents if d.department and d.fiscal_year
               and (not template.document_kinds or d.kind in template.document_kinds)]
    fitting.sort(key=lambda d: (d.department in used, d.department, -(d.fiscal_year or 0)))
    years_of: dict[str, list[int]] = {}
    for d in documents:
        if d.department and d.fiscal_year:
            years_of.setdefault(d.department, []).append(d.fiscal_year)
    text = template.text
    if "{department}" not in text:  # questions over all departments: the year most departments share
        shared = Counter(y for years in years_of.values() for y in set(years))
        for common_year, count in shared.most_common():
            if count > 1:
                yield text.format(year=common_year), ""
        return
    seen: set[str] = set()
    for doc in fitting:
        department, year = doc.department or "", doc.fiscal_year
        if "{earlier}" in text:
            earlier = sorted(y for y in set(years_of[department]) if y < (year or 0))
            if not earlier:
                continue
            questions = [text.format(department=department, year=year, earlier=earlier[-1])]
        elif "{project}" in text:
            questions = [text.format(department=department, year=year, project=p) for p in _projects(store, doc)]
        else:
            questions = [text.format(department=department, year=year)]
        for question in questions:
            if question not in seen:
                seen.add(question)
                yield question, department


def _projects(store: Store, doc: StoredDocument, limit: int = 3) -> list[str]:
    """Projects a document's tables describe in words (a printed purpose or target beside the name)."""
    names: list[str] = []
    for fact in store.facts([doc.document_id]):
        label = fact.row_label.strip()
        if (fact.table_kind == "narrative" or fact.value is not None or len(fact.text_value or "") < 12
                or not 4 <= len(label) <= 24 or not _PROJECT_WORDS.search(label) or label in names
                or (doc.department or "") in label):
            continue
        names.append(label)
        if len(names) >= limit:
            break
    return names
