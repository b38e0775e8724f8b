"""What the 问答 and 表格浏览 tabs show, as plain data (no interface code): answers as markdown with
their citations (the document's department, year and kind; table, row and column or section path;
the physical page and the printed page), long quotes folded, chart data and table choices. The ui
package lays these out; tests and other front ends can use them as they are.

    text = answer_markdown(answer, settings, documents_by_id)
    label = citation_label(1, citation, document)
"""

from __future__ import annotations

import html
import re

import pandas as pd

from budgetqa.models import Answer, Citation, StoredDocument
from budgetqa.settings import Settings
from index.store import Store

FOLD_AFTER = 160  # characters of a quote shown before the rest folds away


# ---- citations -----------------------------------------------------------------------------------
def page_text(citation: Citation) -> str:
    """'第8页（印刷页码 6）': the PDF's physical page, and the page number printed on it when known."""
    printed = getattr(citation, "printed_page", None)  # set by ingestion when the page prints a number
    text = f"第{citation.page}页"
    return text + (f"（印刷页码 {printed}）" if printed not in (None, "") else "")


def section_text(citation: Citation) -> str:
    """The section path of a quoted passage ('其他相关情况说明 > 三公经费'), when the citation has one."""
    section = getattr(citation, "section", None)  # set by qa when the passage's headings are known
    return " > ".join(str(p) for p in section if p) if isinstance(section, (list, tuple)) else str(section or "")


def citation_place(citation: Citation) -> str:
    """Table · row · column of a cited cell, else the section path of a quoted passage."""
    cell = " · ".join(x for x in (citation.table, citation.row, citation.column) if x)
    return cell or section_text(citation)


def document_text(document: StoredDocument | None, citation: Citation | None = None) -> str:
    """'国家信访局 · 2024年 · 部门决算': whose document, which year, which kind (the citation's own, else
    the stored document's)."""
    department = getattr(citation, "department", None) or (document.department if document else None)
    year = getattr(citation, "fiscal_year", None) or (document.fiscal_year if document else None)
    kind = getattr(citation, "document_kind", None) or (document.kind if document else None)
    if document is None and not (department or year or kind):
        return ""
    unit = document.unit if document and document.unit and document.unit != department else None
    return " · ".join(x for x in (department or "部门未识别", f"{year}年" if year else "年度未识别",
                                  kind or "类型未识别", unit) if x)


def citation_label(number: int, citation: Citation, document: StoredDocument | None = None) -> str:
    """'[1] 文件.pdf 第20页（印刷页码 17） · 表 · 行 · 列 ｜ 上海市普陀区人民政府办公室 · 2025年 · 部门预算'."""
    where = citation_place(citation)
    line = f" 第{citation.line_no}行" if citation.line_no and not citation.bbox else ""
    owner = document_text(document, citation)
    return (f"[{number}] {citation.document} {page_text(citation)}{line}" + (f" · {where}" if where else "")
            + (f" ｜ {owner}" if owner else ""))


def documents_by_id(store: Store) -> dict[str, StoredDocument]:
    return {d.document_id: d for d in store.documents()}


def cited_document(citation: Citation, documents: dict[str, StoredDocument]) -> StoredDocument | None:
    found = documents.get(citation.document_id) if citation.document_id else None
    return found or next((d for d in documents.values() if d.file_name == citation.document), None)


# ---- answers -------------------------------------------------------------------------------------
def folded(text: str, keep: int = FOLD_AFTER) -> str:
    """Text as markdown; past `keep` characters (at a sentence or line end) the rest folds into
    <details>, so that a long quote does not push the sources off the screen."""
    text = text.strip()
    if len(text) <= keep * 3 // 2:
        return _lines(text)
    ends = [m.end() for m in re.finditer(r"[。；！？\n]", text) if keep // 2 <= m.end() <= keep * 3 // 2]
    cut = min(ends, key=lambda end: abs(end - keep)) if ends else keep
    head, rest = text[:cut].strip(), text[cut:].strip()
    return (f"{_lines(head)}\n\n<details><summary>展开全文（另有 {len(rest)} 字）</summary>\n\n{_lines(rest)}\n\n"
            "</details>")


def _lines(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "  \n")


def answer_markdown(answer: Answer, settings: Settings, documents: dict[str, StoredDocument] | None = None) -> str:
    """The answer as shown: text (long quotes folded), the value in large type, the computation,
    numbered sources with their documents and pages, and the model."""
    documents = documents or {}
    parts = ["### 回答\n\n" + folded(answer.answer)]
    if answer.value is not None:
        parts.append(f'<div class="value">{format(answer.value, ",f")} {answer.unit or ""}</div>')
    if answer.computation:
        parts.append(f"**计算：** {answer.computation}")
    if answer.citations:
        lines = []
        for number, c in enumerate(answer.citations, start=1):
            label = citation_label(number, c, cited_document(c, documents))[len(f"[{number}] "):]
            quote = c.snippet if c.snippet and not c.table else ""
            line = f"{number}. {html.escape(label, quote=False)}"
            if quote:  # a quoted sentence under its source; a long one folds
                line += (f"<br>“{_lines(quote)}”" if len(quote) <= 120 else
                         f"<details><summary>原文摘录（{len(quote)} 字）</summary>{_lines(quote)}</details>")
            lines.append(line)
        parts.append("**来源**（点选下方来源查看原文页面）\n\n" + "\n".join(lines))
    elif answer.found:
        parts.append("_没有可引用的来源_")
    model = answer.llm or settings.llm
    parts.append(f"<small>{'语言模型：' + model if model else '未使用大语言模型（表格检索与计算）'} · "
                 f"{answer.latency_ms:.0f} 毫秒</small>")
    return "\n\n".join(parts)


def chart_frame(chart: list[dict] | None) -> pd.DataFrame | None:
    if not chart:
        return None
    return pd.DataFrame({"项目": [str(p["label"]) for p in chart], "金额": [float(p["value"]) for p in chart]})


def chart_unit(chart: list[dict] | None) -> str:
    units = {p.get("unit") for p in chart or [] if p.get("unit")}
    return f"金额（{units.pop()}）" if len(units) == 1 else "金额"


# ---- the table explorer --------------------------------------------------------------------------
def table_choices(store: Store, document_id: str | None) -> list[tuple[str, int]]:
    if not document_id:
        return []
    return [(f"表{t['table_index'] + 1} · {t['title']} · 第{'、'.join(map(str, t['pages']))}页"
             + (f"（{t['unit']}）" if t.get("unit") else ""), t["table_index"])
            for t in store.tables(document_id)]
