"""The lines printed around a ruled region: its title (…表, 公开NN表), unit line, heading and notes.

    label_fragments(page_result)   # fills fragment.title, .unit, .heading, .note, .is_toc
"""

from __future__ import annotations

import re

from budgetqa.models import BBox
from ingest.pdf_grid import CJK_GAP, Fragment, PageLine, PageResult
from ingest.pdf_headers import TOC

# "单位：元" / "金额单位：万元", never "单位名称：…", "编制单位：…", "预算单位：…" (those name an organisation)
UNIT_LINE = re.compile(r"(?:(?<![\u4e00-\u9fa5])|(?<=金额)|(?<=计量))单位\s*[:：]\s*(\S*)")
KNOWN_UNITS = ("万元", "元", "千元", "亿元")
META_LINE = re.compile(r"^(编制部门|部门名称|部门|单位)\s*[:：]|单位\s*[:：]")
PAGE_NUMBER = re.compile(r"^[-—\s]*\d{1,3}[-—\s]*$")
NUMBERED_TABLE = re.compile(r"^公开\s*(\d+)\s*表$")
TITLE_HINT = re.compile(r"表(（[^）]*）)?$")
SUBTITLE = re.compile(r"^[（(]\s*\d{4}\s*年度?\s*[)）]$")  # "（2024年度）" printed under a title
NOTE = re.compile(r"^注\s*[:：]?")


# ---------------------------------------------------------------- titles, units, notes


def label_fragments(result: PageResult) -> None:
    """Find each fragment's title, unit and note in the page lines around it."""
    previous_bottom = 0.0
    for position, fragment in enumerate(result.fragments):
        top, bottom = fragment.bbox[1], fragment.bbox[3]
        above = [ln for ln in result.lines if previous_bottom - 1 <= line_mid(ln) < top - 1]
        next_top = result.fragments[position + 1].bbox[1] if position + 1 < len(result.fragments) else 1e9
        below = [ln for ln in result.lines if bottom + 1 < line_mid(ln) < next_top]
        fragment.title, fragment.title_bbox = _title(above)
        fragment.heading = _heading(above)
        fragment.unit = table_unit(above)
        fragment.note = _note(below)
        fragment.is_toc = any(TOC.search(ln.text) for ln in above[-3:]) or _looks_like_toc(fragment)
        previous_bottom = bottom


def line_mid(line: PageLine) -> float:
    return (line.bbox[1] + line.bbox[3]) / 2


def _title(above: list[PageLine]) -> tuple[str | None, BBox | None]:
    """The nearest line above the table that names a table (ends with 表), with its 公开NN表 number."""
    for i in range(len(above) - 1, -1, -1):
        text = above[i].text.strip()
        if META_LINE.search(text) or PAGE_NUMBER.match(text) or len(text) <= 2:
            continue
        if NUMBERED_TABLE.match(text) or SUBTITLE.match(text):
            continue
        if not TITLE_HINT.search(text) and i > 0 and TITLE_HINT.search(above[i - 1].text.strip() + text):
            # a title wrapped over two lines ("…（按支出功能分类科" / "目-不含上年结转）")
            joined = CJK_GAP.sub("", above[i - 1].text.strip() + text)
            return joined, above[i - 1].bbox
        if not TITLE_HINT.search(text):
            return None, None
        bbox = above[i].bbox
        prefix = above[i - 1].text.strip() if i > 0 else ""
        number = NUMBERED_TABLE.match(prefix)
        if number is None:
            number = NUMBERED_TABLE.match(above[i + 1].text.strip()) if i + 1 < len(above) else None
        text = CJK_GAP.sub("", text)
        if number:
            text = f"公开{number.group(1)}表 {text}"
        return text, bbox
    return None, None


def _heading(above: list[PageLine]) -> str | None:
    """The nearest short heading-like line above a table that has no …表 title."""
    for line in reversed(above):
        text = line.text.strip()
        if META_LINE.search(text) or PAGE_NUMBER.match(text):
            continue
        if len(text) <= 40 and not re.search(r"[。；;，,]$", text):
            return CJK_GAP.sub("", text)
        return None
    return None


def table_unit(above: list[PageLine]) -> str | None:
    for i, line in enumerate(above):
        match = UNIT_LINE.search(line.text)
        if not match:
            continue
        if not any(match.group(1).startswith(known[:1]) for known in KNOWN_UNITS) and match.group(1):
            continue  # "单位：上海市审计局" style lines name an organisation, not a unit of money
        unit = match.group(1)
        if unit not in KNOWN_UNITS:
            for other in above[i + 1 :] + above[:i]:  # '单位：万' with '元' wrapped onto another line
                if (unit + other.text.strip()[-1:]) in KNOWN_UNITS:
                    return unit + other.text.strip()[-1:]
            for known in KNOWN_UNITS:
                if unit.startswith(known):
                    return known
        return unit or None
    return None


def _note(below: list[PageLine]) -> str | None:
    """The 注 lines printed right under a table."""
    note: list[str] = []
    for line in below:
        text = line.text.strip()
        if not note:
            if NOTE.match(text):
                note.append(text)
                last = line
                continue
            return None
        gap = line.bbox[1] - last.bbox[3]
        if gap > (last.bbox[3] - last.bbox[1]) * 1.2 or PAGE_NUMBER.match(text) or TITLE_HINT.search(text):
            break
        note.append(text)
        last = line
    return "".join(note) or None


def _looks_like_toc(fragment: Fragment) -> bool:
    texts = [c.text for c in fragment.cells if c.text]
    return bool(texts) and sum(1 for t in texts if TOC.search(t)) >= max(1, len(texts) // 3)


