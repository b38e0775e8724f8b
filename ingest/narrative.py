"""Narrative text -> sections with heading paths -> passages with pages and offsets (the figures those
passages state are read by `ingest/stated.py`).

Lines that belong to tables are skipped. Headings are recognised by their numbering (第一部分,
一、, （一）) or by the standard section names of these disclosures; a passage never cuts a sentence
or a numbered item in half.

    sections, passages = split_passages("doc-id", parsed_document)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from budgetqa.models import BBox, ParsedDocument, Passage, Section

MAX_PASSAGE_CHARS = 360
_SECTION_WORDS = (
    "主要职能", "机构设置", "预算单位构成", "名词解释", "编制说明", "情况说明", "预算表", "项目概述",
    "立项依据", "实施主体", "实施方案", "实施周期", "年度预算安排", "绩效目标", "部门概况",
    "主要工作任务", "收支预算", "三公", "机关运行经费", "政府采购", "国有资产", "其他相关情况",
    "项目经费", "预算情况", "测算分析", "预算安排",
)
_LEVEL1 = re.compile(r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、)")
_LEVEL2 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_ITEM = re.compile(r"^(\d{1,2}[.、．]|[（(]\d{1,2}[）)]|[①②③④⑤⑥⑦⑧⑨⑩])")
_SENTENCE_END = re.compile(r"(?<=[。；！？!?;])")
_PAGE_NUMBER = re.compile(r"^[-—\s]*\d{1,3}[-—\s]*$")
_TOC_LEADER = re.compile(r"[…\.]{6,}")


@dataclass
class _Block:
    """A paragraph or numbered item: joined lines with the page of each character span."""

    text: str
    spans: list[tuple[int, int, int]]  # (offset in text, page, char_start in the document), one per line
    boxes: list[BBox | None]  # the box of each line (PDF), beside spans
    section: tuple[str, ...]

    def page_at(self, offset: int) -> int:
        page = self.spans[0][1]
        for start, span_page, _ in self.spans:
            if start <= offset:
                page = span_page
        return page

    def doc_offset(self, offset: int) -> int:
        best = self.spans[0]
        for span in self.spans:
            if span[0] <= offset:
                best = span
        return best[2] + (offset - best[0])


_TOP_SECTIONS = re.compile(r"(主要职能|机构设置|预算单位构成|名词解释|编制说明|其他相关情况说明|情况说明|部门概况|"
                           r"预算表|预算公开|主要工作任务)$")


def heading_level(text: str, is_markdown: bool = False) -> int:
    """0 for body text; otherwise the heading's depth: 1 parts and named sections (主要职能,
    名词解释, …说明, table titles), 2 for 一、, 3 for （一）, 4 for named sub-headings (项目概述 …)."""
    line = text.strip()
    if is_markdown and line.startswith("#"):
        return min(len(line) - len(line.lstrip("#")), 4)
    if not line or len(line) > 40 or _TOC_LEADER.search(line):
        return 0
    sentence_like = line.endswith(("。", "；", "，", ",", "：", ":")) or "，" in line
    if sentence_like or re.search(r"\d[\d,]*\.?\d*\s*万?元", line):
        return 0
    if line.startswith("第") and _LEVEL1.match(line):
        return 1
    if _LEVEL1.match(line):
        return 2 if len(line) <= 32 and not re.search(r"[：:].", line) else 0
    if _LEVEL2.match(line):
        return 3 if len(line) <= 24 else 0
    if _ITEM.match(line):
        return 0
    if _TOP_SECTIONS.search(line) or re.search(r"20\d{2}\s*年.{0,30}表$", line):
        return 1
    if len(line) <= 16 and any(w in line for w in _SECTION_WORDS):
        return 4
    return 0


def _clean_heading(text: str) -> str:
    return re.sub(r"^#+\s*", "", text.strip()).rstrip("。:：")


def _blocks(doc: ParsedDocument) -> list[_Block]:
    """Group body lines into paragraphs/items, tracking the heading path above each."""
    is_md = doc.file_format == "md"
    path: list[tuple[int, str]] = []
    blocks: list[_Block] = []
    current: _Block | None = None
    just_headed = False
    for index, line in enumerate(doc.lines):
        text = line.text.strip()
        if index in doc.table_line_ids or not text or _PAGE_NUMBER.match(text) or _TOC_LEADER.search(text):
            if not text and current is not None:
                blocks.append(current)
                current = None
            continue
        if just_headed and len(text) <= 8 and not re.search(r"[。，；：:,\d]", text) and path:
            level_, name = path[-1]
            path[-1] = (level_, name + text)  # a heading wrapped onto a second line
            just_headed = False
            continue
        level = heading_level(text, is_md)
        just_headed = bool(level) and not text.endswith(("说明", "职能", "解释", "设置", "概况", "表"))
        if level:
            if current is not None:
                blocks.append(current)
                current = None
            path = [(lvl, name) for lvl, name in path if lvl < level]
            path.append((level, _clean_heading(text)))
            continue
        section = tuple(name for _, name in path)
        starts_item = bool(_ITEM.match(text) or _LEVEL2.match(text))
        follows_end = current is not None and current.text.endswith(("。", "；", "：", ":"))
        if current is None or current.section != section or starts_item or (follows_end and is_md):
            if current is not None:
                blocks.append(current)
            current = _Block(text="", spans=[], boxes=[], section=section)
        current.spans.append((len(current.text), line.page, line.char_start + line.text.find(text[:1])))
        current.boxes.append(line.bbox)
        current.text += text
    if current is not None:
        blocks.append(current)
    return [b for b in blocks if b.text.strip()]


def _sentences(block: _Block) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(block.text):
        end = match.start()
        if end > start:
            bounds.append((start, end))
            start = end
    if start < len(block.text):
        bounds.append((start, len(block.text)))
    return bounds


def split_passages(document_id: str, doc: ParsedDocument) -> tuple[list[Section], list[Passage]]:
    """Sections (heading paths with page ranges) and passages of at most ~360 characters that
    keep sentences and short numbered items whole; consecutive short blocks of one section are
    packed together."""
    sections: dict[tuple[str, ...], Section] = {}
    passages: list[Passage] = []
    pending: list[tuple[_Block, int, int]] = []  # pieces waiting to be packed into one passage

    def flush() -> None:
        if not pending:
            return
        first, last = pending[0], pending[-1]
        text = "\n".join(block.text[start:end] for block, start, end in pending)
        breaks: list[tuple[int, int]] = []
        boxes: list[tuple[int, int, BBox]] = []
        position, page = 0, first[0].page_at(first[1])
        for block, start, end in pending:
            ends = [s[0] for s in block.spans[1:]] + [len(block.text)]
            for (span_start, span_page, _), span_end, box in zip(block.spans, ends, block.boxes):
                if span_page != page and start <= span_start < end:
                    breaks.append((position + span_start - start, span_page))
                    page = span_page
                if box is not None and span_start < end and span_end > start:
                    boxes.append((position + max(span_start - start, 0), span_page, box))
            position += end - start + 1
        passages.append(Passage(
            passage_id=f"{document_id}:p{len(passages)}",
            document_id=document_id,
            section_path=first[0].section,
            text=text,
            page_start=first[0].page_at(first[1]),
            page_end=last[0].page_at(max(last[2] - 1, last[1])),
            char_start=first[0].doc_offset(first[1]),
            char_end=last[0].doc_offset(last[2]),
            page_breaks=tuple(breaks),
            line_boxes=tuple(boxes),
        ))
        pending.clear()

    for block in _blocks(doc):
        _extend_section(sections, block)
        for start, end in _pieces(block):
            size = sum(e - s for _, s, e in pending)
            if pending and (pending[0][0].section != block.section or size + end - start > MAX_PASSAGE_CHARS):
                flush()
            pending.append((block, start, end))
    flush()
    return list(sections.values()), passages


def _pieces(block: _Block) -> list[tuple[int, int]]:
    """Split a block at sentence ends into pieces no longer than MAX_PASSAGE_CHARS where possible."""
    pieces: list[tuple[int, int]] = []
    start = end = 0
    for s, e in _sentences(block):
        if e - start > MAX_PASSAGE_CHARS and end > start:
            pieces.append((start, end))
            start = s
        end = e
    if end > start:
        pieces.append((start, end))
    return pieces


def _extend_section(sections: dict[tuple[str, ...], Section], block: _Block) -> None:
    first, last = block.spans[0][1], block.spans[-1][1]
    section = sections.get(block.section)
    if section is None:
        sections[block.section] = Section(path=block.section, page_start=first, page_end=last)
    else:
        section.page_end = max(section.page_end, last)
