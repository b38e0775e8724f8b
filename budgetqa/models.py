"""Typed objects that flow through budgetqa: file -> pages -> sections and tables -> facts and passages.

Every stage returns these dataclasses, never loose dicts, so that a reader can follow one value
from the PDF cell it came from to the citation shown next to an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left


def union(boxes: list[BBox]) -> BBox | None:
    """The smallest box holding all `boxes`; None when there are none."""
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass(frozen=True)
class Cell:
    """One cell of an extracted table grid, with where it sits in the source."""

    text: str
    page: int  # 1-based physical page (1 for text files)
    bbox: BBox | None = None  # PDF only
    line_no: int | None = None  # text files only: 1-based line number


@dataclass
class ExtractedTable:
    """A table as read from the source, before it becomes facts.

    `columns` holds one header path per grid column, e.g. ("收入预算", "事业收入") or
    ("功能分类科目编码", "类"). Every row in `rows` has exactly len(columns) entries; an entry
    is None where the source has no cell (merged or absent) and a Cell with text "" where the
    cell is printed empty. Continuation pages are already merged into one table.
    """

    title: str  # e.g. "2025年部门支出预算总表" or "公开03表 一般公共预算支出预算表"
    unit: str | None  # "元", "万元" … from the table's 单位 line; None when not printed
    pages: list[int]
    columns: list[tuple[str, ...]]
    rows: list[list[Cell | None]]
    title_bbox: BBox | None = None
    note: str | None = None  # e.g. "本表为空表"


@dataclass
class Line:
    """One line of page text with its character offset inside the document text."""

    text: str
    page: int
    char_start: int
    line_no: int | None = None  # text files only
    bbox: BBox | None = None  # PDF only: where the line is printed on its page


@dataclass
class ParsedDocument:
    """What a reader returns: the document's lines (in reading order) and its tables."""

    path: str
    file_name: str
    file_format: str  # "pdf", "txt", "md"
    page_count: int
    lines: list[Line]
    tables: list[ExtractedTable]
    # lines that belong to tables are marked so narrative splitting can skip them
    table_line_ids: set[int] = field(default_factory=set)
    printed_pages: dict[int, str] = field(default_factory=dict)  # physical page -> the number it prints (PDF)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class DocumentMeta:
    """Who published the document, for which year, and what kind of disclosure it is."""

    department: str | None  # e.g. "上海市普陀区人民政府办公室"
    region: str | None  # e.g. "上海市普陀区", "江苏省"
    fiscal_year: int | None
    kind: str | None  # "部门预算" | "单位预算" | "部门综合预算" | "部门决算" | "单位决算"
    title: str | None = None
    aliases: list[str] = field(default_factory=list)
    unit: str | None = None  # the budget unit (预算单位) of a 单位预算/单位决算
    level: str | None = None  # "中央" | "省级" | "市级" | "区县级"
    contents: str | None = None  # "narrative" | "tables" | "both": what of the disclosure the file holds


@dataclass
class Section:
    """A narrative section with its heading path, e.g. ("其他相关情况说明", "三公经费预算情况说明")."""

    path: tuple[str, ...]
    page_start: int
    page_end: int


@dataclass
class Passage:
    """A span of narrative text that does not cut a sentence or a numbered item in half."""

    passage_id: str
    document_id: str
    section_path: tuple[str, ...]
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    kind: str = "narrative"  # "narrative" | "table_row"
    page_breaks: tuple[tuple[int, int], ...] = ()  # (offset in text, page) where a new page begins
    # PDF: (offset in text where a printed line starts, its page, its box) for every line of the passage
    line_boxes: tuple[tuple[int, int, BBox], ...] = ()

    def page_at(self, offset: int) -> int:
        """The page of the character at `offset` of the passage text (from the page breaks, else the lines)."""
        page = self.page_start
        for start, break_page in self.page_breaks or [(line[0], line[1]) for line in self.line_boxes]:
            if start <= offset:
                page = break_page
        return page

    def box(self, start: int = 0, end: int | None = None, page: int | None = None) -> BBox | None:
        """The box around every printed line holding text[start:end] on `page` (default: the page of
        `start`): the union of those lines' boxes, so a quote wrapped over several lines is outlined whole."""
        end = len(self.text) if end is None else end
        page = self.page_at(start) if page is None else page
        boxes = [box for (line_start, line_page, box), line_end
                 in zip(self.line_boxes, [b[0] for b in self.line_boxes[1:]] + [len(self.text) + 1])
                 if line_page == page and line_start < end and line_end > start]
        return union(boxes)


@dataclass
class TableFact:
    """One value of one table cell (or one figure stated in a narrative sentence)."""

    document_id: str
    table_index: int  # position of the table in the document (narrative facts: -1)
    table_kind: str  # normalized kind, e.g. "支出预算总表", "三公经费", "绩效目标", "narrative"
    table_title: str
    page: int
    row_index: int
    row_code: str | None  # normalized classification code, e.g. "2010301"
    row_label: str  # e.g. "行政运行", "收入总计"
    row_path: tuple[str, ...]  # labels of the parent rows, outermost first
    column_path: tuple[str, ...]  # e.g. ("支出预算", "基本支出")
    value: Decimal | None  # None when the cell is printed empty, or for text facts
    text_value: str | None  # raw text as printed ("91,016,775.35", "≥3000万条/小时")
    unit: str | None
    bbox: BBox | None = None
    line_no: int | None = None
    sentence: str | None = None  # narrative facts: the sentence the figure was stated in
    # canonical column dimensions from ingest/data/tables.toml: side, fund, nature, stage (or unmapped)
    dimensions: dict[str, str] = field(default_factory=dict)

    @property
    def column(self) -> str:
        return " > ".join(self.column_path)


@dataclass
class Finding:
    """A failed consistency check: what should hold, where, what was expected and found."""

    check: str  # e.g. "total_equals_sum", "sangong_parts", "table_vs_narrative"
    where: str  # human-readable place: table, row, column, page
    expected: str
    found: str
    page: int | None = None
    message: str = ""
    severity: str = "finding"  # "finding" (suspected extraction error first) | "rounding" (a rounding note)


@dataclass
class IngestedDocument:
    """Everything ingestion produces for one file, ready to be stored in one transaction."""

    document_id: str
    path: str
    file_name: str
    file_format: str
    content_hash: str
    page_count: int
    meta: DocumentMeta
    sections: list[Section]
    passages: list[Passage]
    tables: list[ExtractedTable]
    facts: list[TableFact]
    findings: list[Finding]
    printed_pages: dict[int, str] = field(default_factory=dict)  # physical page -> the number it prints


@dataclass
class StoredDocument:
    """A document as the store lists it: identity, metadata and what ingestion found in it."""

    document_id: str
    file_name: str
    path: str
    file_format: str
    content_hash: str
    page_count: int
    department: str | None
    region: str | None
    fiscal_year: int | None
    kind: str | None
    title: str | None
    aliases: list[str]
    table_count: int
    fact_count: int
    passage_count: int
    finding_count: int
    unit: str | None = None  # the budget unit of a 单位预算
    level: str | None = None  # 中央 | 省级 | 市级 | 区县级
    contents: str | None = None  # narrative | tables | both


@dataclass
class Citation:
    """Where an answer's evidence is: document and page, and the cell or the snippet."""

    document: str  # file name as ingested
    page: int
    document_id: str = ""
    table: str | None = None
    row: str | None = None
    column: str | None = None
    snippet: str | None = None
    bbox: BBox | None = None  # the cited cell on the page (PDF), for highlighting
    line_no: int | None = None  # text files
    context: str | None = None  # what a stated figure is about (its section / project), for the trust gate
    printed_page: str | None = None  # the page number printed on that page ("- 5 -" -> "5"), when it prints one
    department: str | None = None  # the cited document's department, fiscal year and kind (部门预算 …)
    fiscal_year: int | None = None
    document_kind: str | None = None
    section: str | None = None  # the section path of a quoted passage or stated figure ("其他相关情况说明 > …")

    def to_json(self) -> dict:
        out: dict = {"document": self.document, "page": self.page}
        for key in ("table", "row", "column", "snippet", "printed_page"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def describe(self) -> str:
        """One line saying where the evidence is, for people:
        "上海市普陀区人民政府办公室 2025年 部门预算 · 第8页 · 2025年部门财务收支预算总表 · 行 收入总计 · 列 金额"."""
        who = " ".join(x for x in (self.department, f"{self.fiscal_year}年" if self.fiscal_year else None,
                                   self.document_kind) if x) or self.document
        if self.line_no is not None and self.bbox is None and not self.printed_page:
            where = f"第{self.line_no}行"  # a text file: the line is its place
        else:
            where = f"第{self.page}页" + (f"（页码 {self.printed_page}）" if self.printed_page else "")
        parts = [who, where]
        if self.table:
            parts += [self.table, *(f"{name} {value}" for name, value in (("行", self.row), ("列", self.column)) if value)]
        elif self.section:
            parts.append(self.section)
        return " · ".join(parts)


@dataclass
class Answer:
    """An answer with its evidence. `value`/`unit` hold the primary number of a numeric answer."""

    question: str
    answer: str
    found: bool
    route: str  # "table" | "passage" | "compute" | "none"
    value: Decimal | None = None
    unit: str | None = None
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    computation: str | None = None  # the arithmetic shown to the user, inputs cited
    chart: list[dict] | None = None  # [{"label": "2017年", "value": 1.0, "unit": "万元"}] for comparisons
    llm: str | None = None  # the chat model that phrased the answer, if any

    def to_json(self) -> dict:
        """The `ask --json` object of ../shared/docs/eval-format.md."""
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "value": None if self.value is None else float(self.value),
            "value_text": None if self.value is None else str(self.value),
            "unit": re.sub(r"（[^）]*）$", "", self.unit) if self.unit else self.unit,  # 台（套） -> 台
            "route": self.route,
            "citations": [c.to_json() for c in self.citations],
            "computation": self.computation,
            "latency_ms": round(self.latency_ms, 1),
        }

    def render_text(self) -> str:
        lines = [self.answer]
        if self.computation:
            lines.append(f"计算：{self.computation}")
        for number, c in enumerate(self.citations, start=1):
            where = " · ".join(x for x in (c.table, c.row, c.column) if x)
            lines.append(f"[{number}] {c.document} 第{c.page}页" + (f"（页码 {c.printed_page}）" if c.printed_page else "")
                         + (f" · {where}" if where else "")
                         + (f"：{c.snippet}" if c.snippet and not where else ""))
        return "\n".join(lines)
