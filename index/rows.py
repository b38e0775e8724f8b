"""Table rows as short searchable passages, so a numerically phrased question can still find its row.

    passages = table_row_passages(doc.document_id, doc.meta, doc.facts)
    # "2025年 上海市普陀区人民政府办公室 部门支出预算总表 201 03 01 行政运行 合计 12,029,501.84 …元"
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from budgetqa.models import DocumentMeta, Passage, TableFact

TABLE_ROW = "table_row"
TABLES_SECTION = "预算表"


def format_code(code: str | None) -> str:
    """Classification codes as printed in Shanghai tables: 2010301 -> "201 03 01", 30101 -> "301 01"."""
    if not code:
        return ""
    if code.isdigit() and len(code) in (5, 7):
        return " ".join([code[:3], *(code[i:i + 2] for i in range(3, len(code), 2))])
    return code


def _column_labels(facts: list[TableFact]) -> list[str]:
    """Shortest column label that is still unique within the row (last header level, else the path)."""
    last = [f.column_path[-1] if f.column_path else "" for f in facts]
    repeated = {label for label in last if last.count(label) > 1}
    return [">".join(f.column_path) if label in repeated else label for f, label in zip(facts, last, strict=True)]


def _meta_value(meta: DocumentMeta | dict[str, Any], key: str) -> Any:
    return getattr(meta, key, None) if isinstance(meta, DocumentMeta) else meta.get(key)


def row_text(meta: DocumentMeta | dict[str, Any], facts: list[TableFact]) -> str:
    """One line for one table row: year, department, table, code, label, column/value pairs, unit."""
    first = facts[0]
    year = _meta_value(meta, "fiscal_year")
    title = first.table_title
    if year and str(year) in title:  # "2025年部门支出预算总表" already says the year
        title = title.replace(f"{year}年", "", 1).strip()
    head = [f"{year}年" if year else "", _meta_value(meta, "department") or "", title,
            *first.row_path, format_code(first.row_code), first.row_label]
    cells = [f"{label} {f.text_value}".strip() for f, label in zip(facts, _column_labels(facts), strict=True)]
    unit = first.unit or ""
    return " ".join(part for part in [*head, *cells, unit] if part)


def table_row_passages(document_id: str, meta: DocumentMeta | dict[str, Any],
                       facts: list[TableFact]) -> list[Passage]:
    """One `Passage` (kind "table_row") per table row that has at least one printed value.

    Narrative facts (table_index -1) are skipped: their sentences are already narrative passages.
    `section_path` is ("预算表", table title); char offsets are 0 because rows have no text span.
    """
    rows: dict[tuple[int, int], list[TableFact]] = defaultdict(list)
    for fact in facts:
        if fact.table_index < 0 or fact.document_id != document_id:
            continue
        if not (fact.text_value or "").strip():
            continue
        rows[(fact.table_index, fact.row_index)].append(fact)
    passages = []
    for (table_index, row_index), row_facts in sorted(rows.items()):
        text = row_text(meta, row_facts)
        page = min(f.page for f in row_facts)
        passages.append(Passage(
            passage_id=f"{document_id}:t{table_index}:r{row_index}", document_id=document_id,
            section_path=(TABLES_SECTION, row_facts[0].table_title), text=text,
            page_start=page, page_end=max(f.page for f in row_facts), char_start=0, char_end=0,
            kind=TABLE_ROW,
        ))
    return passages
