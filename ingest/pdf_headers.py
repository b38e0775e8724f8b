"""Grid cells -> column header paths and data rows (a `Shape`), for one ruled region.

    shape = shape_of(fragment)   # shape.columns[3] == ("支出预算", "基本支出"); shape.rows[0][3].text
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from budgetqa.models import Cell
from ingest.pdf_grid import Fragment, GridCell

AMOUNT = re.compile(r"^[-−]?\(?\d[\d,]*(\.\d+)?\)?%?$")
CODE = re.compile(r"^\d{3}(\s?\d{2}){0,2}$")
ENUMERATED = re.compile(r"^([一二三四五六七八九十]+、|\d+[.．、]|（[一二三四五六七八九十]+）)")
TOC = re.compile(r"^\s*目\s*录\s*$|…{3,}|\.{6,}")  # a contents page (not 采购目录, a procurement catalogue)
INDICATOR_HEAD = re.compile(r"指标值|目标值|三级指标$")
_AMOUNT_HEADS = ("金额", "预算数", "决算数")


@dataclass
class Shape:
    """A fragment as columns and data rows: header rows resolved into column paths."""

    columns: list[tuple[str, ...]]
    rows: list[list[Cell | None]]
    col_x: list[float]  # left x of each column
    header_rows: int
    filled: set[Cell] = field(default_factory=set)  # cells whose text runs to the right edge


# ---------------------------------------------------------------- header paths and data rows


def shape_of(fragment: Fragment, header_rows: int | None = None, keep_empty: bool = False) -> Shape:
    """Split header rows from data rows, resolve header paths, keep columns that hold something.

    With keep_empty, every grid column where a cell starts is kept (for aligning continuations).
    """
    cells, n_rows = fragment.cells, fragment.n_rows
    if header_rows is None:
        header_rows = _header_row_count(cells, n_rows)
    header = [c for c in cells if c.r1 < header_rows]
    body = [c for c in cells if c.r0 >= header_rows]
    inside = [c for c in cells if c.r1 < header_rows or c.r0 >= header_rows]
    kept = sorted({c.c0 for c in inside if c.text or keep_empty} | {col for c in header for col in c.subheads})
    columns = _pair_amounts(_inherit_blank([_column_path(header, col, kept) for col in kept]))
    rows: list[list[Cell | None]] = []
    filled: set[Cell] = set()
    for r in range(header_rows, n_rows):
        row: list[Cell | None] = [None] * len(kept)
        for cell in (c for c in body if c.r0 == r):
            slot = _slot(kept, cell.c0)
            current = row[slot] if slot is not None else None
            if slot is not None and (current is None or not current.text):
                bbox = (round(cell.bbox[0], 2), round(cell.bbox[1], 2), round(cell.bbox[2], 2), round(cell.bbox[3], 2))
                row[slot] = Cell(cell.text, fragment.page, bbox)
                if cell.filled:
                    filled.add(row[slot])
        if any(c is not None and c.text for c in row):
            rows.append(row)
    return Shape(columns, rows, [fragment.xs[c] for c in kept], header_rows, filled)


def _inherit_blank(columns: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """A column under a blank header cell (the second label column under 项目名称) takes its left
    neighbour's path."""
    fixed = list(columns)
    for i in range(1, len(fixed)):
        if not fixed[i] and fixed[i - 1]:
            fixed[i] = fixed[i - 1]
    return fixed


def _pair_amounts(columns: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """An amount column belongs to the name column on its left (项目名称 | 金额 pairs).

    Some Jiangsu 收支预算总表 draw the 支出用途 header over the 金额 column of 功能分类; the pair
    rule puts that 金额 back under 功能分类.
    """
    fixed = list(columns)
    for i in range(1, len(fixed)):
        here, left = fixed[i], fixed[i - 1]
        if (len(here) == len(left) > 1 and here[-1] in _AMOUNT_HEADS and re.search(r"名称$|项目$", left[-1])
                and here[:-1] != left[:-1]):
            fixed[i] = left[:-1] + (here[-1],)
    return fixed


def _slot(kept: list[int], c0: int) -> int | None:
    """Column of a cell starting at fine column c0: the kept column at or just before it."""
    position = bisect_right(kept, c0) - 1
    return position if position >= 0 else None


def _bands(cells: list[GridCell], n_rows: int) -> list[tuple[int, int]]:
    """Horizontal bands of fine rows that no merged cell crosses: (first row, last row)."""
    bands = []
    start = 0
    while start < n_rows:
        end = start
        changed = True
        while changed:
            changed = False
            for c in cells:
                if start <= c.r0 <= end and c.r1 > end:
                    end, changed = c.r1, True
        bands.append((start, end))
        start = end + 1
    return bands


def _header_row_count(cells: list[GridCell], n_rows: int) -> int:
    """Number of leading fine rows that are column headers."""
    count = 0
    for start, end in _bands(cells, n_rows):
        texts = [c.text for c in cells if start <= c.r0 <= end and c.text]
        if not _is_header_band(texts, multi_row=end > start):
            break
        count = end + 1
        if any(INDICATOR_HEAD.search(text) for text in texts):
            break  # 绩效目标 tables: rows under 一级/二级/三级指标 | 指标值 are text data, not headers
    return count


def _is_header_band(texts: list[str], multi_row: bool) -> bool:
    if not texts:
        return False
    for text in texts:
        compact = text.replace(" ", "")
        if AMOUNT.match(compact) or CODE.match(text) or ENUMERATED.match(text) or TOC.search(text):
            return False
    return len(texts) >= 2 or multi_row


def _column_path(header: list[GridCell], col: int, kept: list[int]) -> tuple[str, ...]:
    """Texts of the header cells above a column, outermost first, e.g. ('支出预算', '基本支出')."""
    next_kept = kept[kept.index(col) + 1] if col != kept[-1] else None
    path: list[str] = []
    for cell in sorted(header, key=lambda c: c.r0):
        spans = cell.c0 <= col <= cell.c1 or (cell.c0 > col and (next_kept is None or cell.c0 < next_kept))
        if spans and cell.text and (not path or path[-1] != cell.text):
            path.append(cell.text)
        if spans and col in cell.subheads:
            path.append(cell.subheads[col])
    if len(path) > 1 and path[0] in ("项目", "项目名称"):
        path = path[1:]  # the stub head over the row labels says nothing about the column
    return tuple(path)


