"""Tables of a markdown budget document whose tables are tab-separated lines.

Layout (see 上海市大数据中心2020年部门预算.md): a "## <title>" heading, "编制部门：…" and "单位：元"
lines, then the table as tab-separated lines: header rows first (multi-row, spanning cells printed
once and followed by empty cells), then data rows. A table continued on the next page repeats its
header rows after a blank line. Codes are split over 类/款/项 columns; empty cells are printed empty.

    tables, table_line_ids = read_md_tables(lines)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from budgetqa.models import Cell, ExtractedTable

HEADING_RE = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
UNIT_RE = re.compile(r"^\s*单位\s*[:：]\s*(\S+?)\s*$")
NUMBER_RE = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
CODE_RE = re.compile(r"^\d{2,3}$|^\d{3}(\d{2}){1,2}$")
SUM_RE = re.compile(r"^(合计|总计|\S*总计)$")
TAG_RE = re.compile(r"</?(p|br|div|span)\s*/?>", re.IGNORECASE)
CJK_GAP_RE = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
LABEL_LEAF_RE = re.compile(r"^(类|款|项|项目|\S*编码|\S*名称)$")
PERF_HEADER = "一级指标"


@dataclass
class _MdGroup:
    title: str | None
    unit: str | None
    blocks: list[list[int]] = field(default_factory=list)


def clean_cell(text: str) -> str:
    """Cell text without HTML paragraph tags and surrounding whitespace."""
    return TAG_RE.sub("", text).strip()


def header_text(text: str) -> str:
    """Header text with line-break spaces between Chinese characters removed."""
    return CJK_GAP_RE.sub("", clean_cell(text))


def _cell(text: str, line_id: int) -> Cell:
    return Cell(text=text, page=1, bbox=None, line_no=line_id + 1)


def _groups(texts: list[str]) -> list[_MdGroup]:
    """Tab-separated blocks under the same heading, split only by blank lines, form one table."""
    groups: list[_MdGroup] = []
    title: str | None = None
    unit: str | None = None
    current: _MdGroup | None = None
    for index, text in enumerate(texts):
        heading = HEADING_RE.match(text)
        if heading:
            title, unit, current = heading.group(1).strip(), None, None
        elif "\t" in text:
            if current is None:
                current = _MdGroup(title, unit)
                groups.append(current)
            if current.blocks and current.blocks[-1][-1] == index - 1:
                current.blocks[-1].append(index)
            else:
                current.blocks.append([index])
        elif text.strip():
            unit_match = UNIT_RE.match(text)
            if unit_match:
                unit = unit_match.group(1)
            current = None
    return groups


def read_md_tables(texts: list[str]) -> tuple[list[ExtractedTable], set[int]]:
    """All tab-separated tables of a markdown document, and the indices of their lines."""
    tables: list[ExtractedTable] = []
    line_ids: set[int] = set()
    for group in _groups(texts):
        rows = {i: texts[i].split("\t") for block in group.blocks for i in block}
        title = group.title or "未命名表格"
        if any(clean_cell(cells[0]) == PERF_HEADER for cells in rows.values()):
            tables.extend(_perf_tables(group, rows, title))
        else:
            tables.append(_budget_table(group, rows, title))
        line_ids.update(rows)
    return tables, line_ids


def _is_data(cells: list[str]) -> bool:
    """A data row has a number, starts with a code, or is a 合计 row with nothing but numbers after it."""
    texts = [t for t in (clean_cell(c) for c in cells) if t]
    if any(NUMBER_RE.match(t) for t in texts):
        return True
    return bool(texts) and bool(CODE_RE.match(texts[0]) or (SUM_RE.match(texts[0]) and len(texts) == 1))


def _budget_table(group: _MdGroup, rows: dict[int, list[str]], title: str) -> ExtractedTable:
    first = group.blocks[0]
    n_header = next((k for k, i in enumerate(first) if _is_data(rows[i])), len(first))
    header_rows = [rows[i] for i in first[:n_header]]
    columns = header_columns(header_rows)
    header_words = {header_text(c) for cells in header_rows for c in cells if c.strip()}
    data_ids = first[n_header:]
    for block in group.blocks[1:]:
        k = 0
        while k < len(block) and not _is_data(rows[block[k]]) and \
                {header_text(c) for c in rows[block[k]] if c.strip()} <= header_words:
            k += 1  # repeated header rows of a continuation page
        data_ids += block[k:]
    grid = [_grid_row(rows[i], i, columns) for i in data_ids]
    return ExtractedTable(title=title, unit=group.unit, pages=[1], columns=columns, rows=grid)


def _grid_row(cells: list[str], line_id: int, columns: list[tuple[str, ...]]) -> list[Cell | None]:
    texts = [clean_cell(c) for c in cells]
    while len(texts) > len(columns) and not texts[-1]:
        texts.pop()
    while len(texts) > len(columns):  # a value beyond the header: keep it in an unnamed column
        columns.append((f"列{len(columns) + 1}",))
    texts += [""] * (len(columns) - len(texts))
    return [_cell(t, line_id) for t in texts]


def header_columns(header_rows: list[list[str]]) -> list[tuple[str, ...]]:
    """One header path per column from multi-row headers where a spanning cell is printed once.

    An empty header cell belongs to the cell on its left when something is printed below it (it
    is part of a spanning parent) and both sit under the same parent. A row that only says
    "项目 | <group>" names the label columns (项目) and the value columns (<group>): the group is put
    in front of every value column's path, whatever column the markdown put it in.
    """
    width = max((len(r) for r in header_rows), default=0)
    grid = [[header_text(c) for c in r] + [""] * (width - len(r)) for r in header_rows]
    value_group = None
    kept = []
    for row in grid:
        words = [t for t in row if t]
        if len(words) == 2 and "项目" in words:
            value_group = next(w for w in words if w != "项目")
        else:
            kept.append(row)
    labels: list[list[tuple[int, str] | None]] = []  # (span id, text) per cell
    for r, row in enumerate(kept):
        spans: list[tuple[int, str] | None] = []
        for j, text in enumerate(row):
            below = any(kept[k][j] for k in range(r + 1, len(kept)))
            same_parent = j > 0 and (r == 0 or labels[r - 1][j] == labels[r - 1][j - 1])
            if text:
                spans.append((r * width + j, text))
            elif same_parent and below and spans[j - 1] is not None:
                spans.append(spans[j - 1])
            else:
                spans.append(None)
        labels.append(spans)
    columns = []
    for j in range(width):
        path = tuple(label[1] for r in range(len(kept)) if (label := labels[r][j]) is not None)
        if value_group and path and not LABEL_LEAF_RE.match(path[-1]):
            path = (value_group, *path)
        columns.append(path or (f"列{j + 1}",))
    return columns


def _perf_tables(group: _MdGroup, rows: dict[int, list[str]], title: str) -> list[ExtractedTable]:
    """Project overview rows (项目名称 …) as one table, the 一级/二级/三级指标 rows as another."""
    ids = [i for block in group.blocks for i in block]
    header_at = next(k for k, i in enumerate(ids) if clean_cell(rows[i][0]) == PERF_HEADER)
    overview = []
    for i in ids[:header_at]:
        texts = [clean_cell(c) for c in rows[i]]
        value = next((t for t in texts[1:] if t), "")
        if texts[0] and value:
            overview.append([_cell(texts[0], i), _cell(value, i)])
    columns: list[tuple[str, ...]] = [(clean_cell(c),) for c in rows[ids[header_at]] if clean_cell(c)]
    indicators = [_grid_row(rows[i], i, columns) for i in ids[header_at + 1:]]
    tables = []
    if overview:
        tables.append(ExtractedTable(title=title, unit=None, pages=[1], columns=[("项目",), ("内容",)],
                                     rows=overview, note="项目概况"))
    tables.append(ExtractedTable(title=title, unit=group.unit, pages=[1], columns=columns,
                                 rows=indicators))
    return tables
