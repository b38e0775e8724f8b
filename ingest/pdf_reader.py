"""PDF -> ParsedDocument: page lines in reading order and every ruled table as a clean, aligned grid.

Tables are rebuilt from the ruling lines drawn on the page, not from pdfplumber's table finder:
budget PDFs draw borders as thin filled rectangles, and some (the Jiangsu ones) also paint cell
padding as wide filled rectangles that would create spurious columns. Only thin rectangles (and
real line objects) count as rules. A continuation page whose first row has no top border is still
read, because the region of a table is the span of its vertical rules.

    doc = read_pdf(Path("普陀区人民政府办公室2025年部门预算.pdf"))
    doc.tables[2].title, doc.tables[2].columns[5], doc.tables[2].rows[2][5].text
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.utils import extract_text as chars_to_text
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from budgetqa.models import BBox, Cell, ExtractedTable, Line, ParsedDocument
from ingest.errors import ReadError
from ingest.pdf_lines import reading_order_lines

THIN = 1.5  # a filled rectangle thinner than this (pt) is a ruling line
SNAP = 2.0  # rules closer than this (pt) are the same grid line
MIN_CHARS_PER_PAGE = 15  # below this on every page the PDF has no usable text layer

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_AMOUNT = re.compile(r"^[-−]?\(?\d[\d,]*(\.\d+)?\)?%?$")
_CODE = re.compile(r"^\d{3}(\s?\d{2}){0,2}$")
_ENUMERATED = re.compile(r"^([一二三四五六七八九十]+、|\d+[.．、]|（[一二三四五六七八九十]+）)")
# "单位：元" / "金额单位：万元", never "单位名称：…", "编制单位：…", "预算单位：…" (those name an organisation)
_UNIT = re.compile(r"(?:(?<![\u4e00-\u9fa5])|(?<=金额)|(?<=计量))单位\s*[:：]\s*(\S*)")
_KNOWN_UNITS = ("万元", "元", "千元", "亿元")
_META_LINE = re.compile(r"^(编制部门|部门名称|部门|单位)\s*[:：]|单位\s*[:：]")
_PAGE_NUMBER = re.compile(r"^[-—\s]*\d{1,3}[-—\s]*$")
_NUMBERED_TABLE = re.compile(r"^公开\s*(\d+)\s*表$")
_TITLE_HINT = re.compile(r"表(（[^）]*）)?$")
_SUBTITLE = re.compile(r"^[（(]\s*\d{4}\s*年度?\s*[)）]$")  # "（2024年度）" printed under a title
_NOTE = re.compile(r"^注\s*[:：]?")
_AMOUNT_HEADS = ("金额", "预算数", "决算数")
_INDICATOR_HEAD = re.compile(r"指标值|目标值|三级指标$")
_PROJECT_LINE = re.compile(r"项目(经费)?情况说明$|项目绩效目标表?$")
_TOC = re.compile(r"目\s*录|…{3,}|\.{6,}")


# ---------------------------------------------------------------- page geometry


@dataclass(frozen=True)
class _Rule:
    """A ruling line: `pos` is x for a vertical rule, y for a horizontal one; it runs start..end."""

    vertical: bool
    pos: float
    start: float
    end: float


@dataclass
class _GridCell:
    """A logical (possibly merged) cell of a page grid: fine rows r0..r1 and columns c0..c1."""

    r0: int
    r1: int
    c0: int
    c1: int
    bbox: BBox
    text: str = ""
    filled: bool = False  # the text runs to the right edge (it may continue on the next page)
    subheads: dict[int, str] = field(default_factory=dict)  # column labels printed inside a merged header


@dataclass
class _Fragment:
    """One ruled table region on one page, before titles and continuation merging."""

    page: int
    bbox: BBox
    xs: list[float]  # fine column boundaries
    n_rows: int
    cells: list[_GridCell]
    title: str | None = None  # a line above naming a table (…表); None on continuation pages
    title_bbox: BBox | None = None
    heading: str | None = None  # else the nearest heading-like line above ('七、绩效目标')
    project: str | None = None  # the 项目经费情况说明 the table is printed under, if any
    unit: str | None = None
    note: str | None = None
    is_toc: bool = False


@dataclass
class _Shape:
    """A fragment as columns and data rows: header rows resolved into column paths."""

    columns: list[tuple[str, ...]]
    rows: list[list[Cell | None]]
    col_x: list[float]  # left x of each column
    header_rows: int
    filled: set[Cell] = field(default_factory=set)  # cells whose text runs to the right edge


@dataclass
class _PageLine:
    text: str
    bbox: BBox


@dataclass
class _PageResult:
    lines: list[_PageLine]
    fragments: list[_Fragment]
    char_count: int


@dataclass
class _Builder:
    """Tables being assembled across pages."""

    tables: list[ExtractedTable] = field(default_factory=list)
    col_x: list[list[float]] = field(default_factory=list)
    filled: set[Cell] = field(default_factory=set)


# ---------------------------------------------------------------- public API


def read_pdf(path: Path) -> ParsedDocument:
    """Read a budget PDF into lines and aligned tables; raises ReadError when it cannot be read.

        doc = read_pdf(Path("省法院2017年度部门预算公开.pdf"))
    """
    path = Path(path)
    _check_file(path)
    try:
        with pdfplumber.open(path) as pdf:
            pages = [_read_page(page, number) for number, page in enumerate(pdf.pages, start=1)]
    except (PdfminerException, MalformedPDFException, PDFSyntaxError, PSException, PDFEncryptionError,
            PDFPasswordIncorrect, ValueError, KeyError, TypeError, AttributeError) as error:
        raise _read_error(path, error) from error
    if not pages:
        raise ReadError(path, "the PDF has no pages", "re-export the document")
    if all(page.char_count < MIN_CHARS_PER_PAGE for page in pages):
        raise ReadError(path, "the PDF has no text layer (scanned images only)",
                        "run OCR on it (e.g. ocrmypdf) or use the publisher's text PDF")
    return _assemble(path, pages)


# ---------------------------------------------------------------- file checks


def _read_error(path: Path, error: Exception) -> ReadError:
    """The ReadError for an exception raised while parsing (pdfplumber wraps pdfminer's)."""
    cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return ReadError(path, "the PDF is encrypted (password protected)",
                         "remove the password (e.g. qpdf --decrypt) and give the decrypted file")
    name = type(cause).__name__ if isinstance(cause, Exception) else type(error).__name__
    return ReadError(path, f"the PDF is corrupt or truncated ({name})", "re-download or re-export the document")


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ReadError(path, "file not found", "check the path")
    if path.stat().st_size == 0:
        raise ReadError(path, "the file is empty (0 bytes)", "re-download or re-export the document")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF" not in head:
        raise ReadError(path, "not a PDF (no %PDF header)",
                        "check that the file really is a PDF, not a renamed file")


# ---------------------------------------------------------------- one page


def _read_page(page: Any, number: int) -> _PageResult:
    chars = [c for c in page.chars if c["text"].strip()]
    lines = [_PageLine(text, bbox) for text, bbox in reading_order_lines(page)]
    fragments = []
    for rules in _rule_groups(_page_rules(page)):
        fragment = _fragment(rules, chars, number)
        if fragment is not None:
            fragments.append(fragment)
    fragments.sort(key=lambda f: f.bbox[1])
    return _PageResult(lines, fragments, len(chars))


def _page_rules(page: Any) -> list[_Rule]:
    """Ruling lines of a page: thin filled rectangles, line objects, edges of stroked rectangles."""
    rules: list[_Rule] = []
    for rect in page.rects:
        width, height = rect["x1"] - rect["x0"], rect["bottom"] - rect["top"]
        if min(width, height) < THIN and not _is_white(rect.get("non_stroking_color")):
            rules.append(_segment(rect["x0"], rect["top"], rect["x1"], rect["bottom"]))
        elif rect.get("stroke") and not rect.get("fill"):
            x0, top, x1, bottom = rect["x0"], rect["top"], rect["x1"], rect["bottom"]
            rules += [_Rule(True, x0, top, bottom), _Rule(True, x1, top, bottom),
                      _Rule(False, top, x0, x1), _Rule(False, bottom, x0, x1)]
    for line in page.lines:
        rules.append(_segment(line["x0"], line["top"], line["x1"], line["bottom"]))
    for curve in page.curves:  # some publishers draw each rule as a thin filled polygon, not a rect
        width, height = curve["x1"] - curve["x0"], curve["bottom"] - curve["top"]
        if min(width, height) < THIN and max(width, height) > SNAP and not _is_white(curve.get("non_stroking_color")):
            rules.append(_segment(curve["x0"], curve["top"], curve["x1"], curve["bottom"]))
    return rules


def _is_white(color: Any) -> bool:
    """White fills are padding or erasures, not visible rules."""
    if isinstance(color, (int, float)):
        return color >= 0.99
    if isinstance(color, (tuple, list)) and len(color) in (1, 3):
        return all(isinstance(v, (int, float)) and v >= 0.99 for v in color)
    return False


def _segment(x0: float, top: float, x1: float, bottom: float) -> _Rule:
    if (bottom - top) >= (x1 - x0):
        return _Rule(True, (x0 + x1) / 2, top, bottom)
    return _Rule(False, (top + bottom) / 2, x0, x1)


def _rule_groups(rules: list[_Rule]) -> list[list[_Rule]]:
    """Connected sets of touching rules: each set is one candidate table."""
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    verticals = [i for i, r in enumerate(rules) if r.vertical]
    horizontals = sorted((i for i, r in enumerate(rules) if not r.vertical), key=lambda i: rules[i].pos)
    h_pos = [rules[i].pos for i in horizontals]
    for v in verticals:
        rule = rules[v]
        lo = bisect_right(h_pos, rule.start - SNAP - 0.01)
        hi = bisect_right(h_pos, rule.end + SNAP)
        for h in horizontals[lo:hi]:
            other = rules[h]
            if other.start - SNAP <= rule.pos <= other.end + SNAP:
                parent[find(v)] = find(h)
    _join_collinear(rules, parent, find)
    groups: dict[int, list[_Rule]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(find(i), []).append(rule)
    return [g for g in groups.values() if sum(r.vertical for r in g) >= 2 and sum(not r.vertical for r in g) >= 1]


def _join_collinear(rules: list[_Rule], parent: list[int], find: Any) -> None:
    """Rules continuing each other on the same line (a border drawn in pieces) belong together."""
    for vertical in (True, False):
        members = [i for i, r in enumerate(rules) if r.vertical == vertical]
        lines = _cluster([rules[i].pos for i in members])
        idx = sorted(members, key=lambda i: (_nearest(lines, rules[i].pos), rules[i].start))
        reach, last = -1.0, -1
        for i in idx:
            line = _nearest(lines, rules[i].pos)
            if last >= 0 and line == _nearest(lines, rules[last].pos) and rules[i].start <= reach + SNAP:
                parent[find(i)] = find(last)
                reach = max(reach, rules[i].end)
            else:
                reach = rules[i].end
            last = i


def _nearest(bounds: list[float], value: float) -> int:
    """Index of the clustered position closest to `value`."""
    position = bisect_right(bounds, value)
    if position == len(bounds) or (position > 0 and value - bounds[position - 1] < bounds[position] - value):
        return position - 1
    return position


def _cluster(values: list[float]) -> list[float]:
    """Sorted positions with values closer than SNAP merged into their mean."""
    result: list[list[float]] = []
    for value in sorted(values):
        if result and value - result[-1][-1] <= SNAP:
            result[-1].append(value)
        else:
            result.append([value])
    return [sum(group) / len(group) for group in result]


def _index(bounds: list[float], value: float) -> int:
    """Index of the grid interval holding `value` (clamped to the grid)."""
    return min(max(bisect_right(bounds, value) - 1, 0), len(bounds) - 2)


def _covers(rules: list[_Rule], pos: float, start: float, end: float) -> bool:
    """Whether some rule at `pos` covers the middle of the interval start..end."""
    margin = (end - start) * 0.3
    return any(abs(r.pos - pos) <= SNAP and r.start <= start + margin and r.end >= end - margin for r in rules)


# ---------------------------------------------------------------- grid of one region


def _fragment(rules: list[_Rule], chars: list[dict[str, Any]], page: int) -> _Fragment | None:
    verticals = [r for r in rules if r.vertical]
    horizontals = [r for r in rules if not r.vertical]
    top = min(r.start for r in verticals)
    bottom = max(r.end for r in verticals)
    left = min(r.pos for r in verticals)
    right = max(r.pos for r in verticals)
    xs = _cluster([r.pos for r in verticals])
    ys = _cluster([r.pos for r in horizontals if top - SNAP <= r.pos <= bottom + SNAP] + [top, bottom])
    if len(xs) < 2 or len(ys) < 2:
        return None
    inside = [c for c in chars if left <= _mid_x(c) <= right and top <= _mid_y(c) <= bottom]
    cells = _grid_cells(xs, ys, verticals, horizontals, inside)
    if sum(1 for c in cells if c.text) < 2:
        return None  # a framed box or a rule under a heading, not a table
    return _Fragment(page, (left, top, right, bottom), xs, len(ys) - 1, cells)


def _mid_x(char: dict[str, Any]) -> float:
    return (char["x0"] + char["x1"]) / 2


def _mid_y(char: dict[str, Any]) -> float:
    return (char["top"] + char["bottom"]) / 2


def _grid_cells(xs: list[float], ys: list[float], verticals: list[_Rule], horizontals: list[_Rule],
                chars: list[dict[str, Any]]) -> list[_GridCell]:
    """Merge fine grid cells not separated by a rule (or joined by text running across a rule)."""
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(n_rows):
        for c in range(n_cols - 1):
            if not _covers(verticals, xs[c + 1], ys[r], ys[r + 1]):
                union(r * n_cols + c, r * n_cols + c + 1)
    for r in range(n_rows - 1):
        for c in range(n_cols):
            if not _covers(horizontals, ys[r + 1], xs[c], xs[c + 1]):
                union(r * n_cols + c, (r + 1) * n_cols + c)
    for char in chars:  # a character lying across a rule means the rule does not split that cell
        r = _index(ys, _mid_y(char))
        for c in range(n_cols - 1):
            if char["x0"] + 0.5 < xs[c + 1] < char["x1"] - 0.5:
                union(r * n_cols + c, r * n_cols + c + 1)
    groups: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        groups.setdefault(find(i), []).append(i)
    bounds = {root: _group_bounds(members, n_cols) for root, members in groups.items()}
    by_group: dict[int, list[dict[str, Any]]] = {}
    for char in chars:
        r, c = _index(ys, _mid_y(char)), _index(xs, _mid_x(char))
        by_group.setdefault(find(r * n_cols + c), []).append(char)
    _lift_overflow(by_group, bounds, xs, ys, n_cols, find)
    cells = []
    for root, (r0, r1, c0, c1) in bounds.items():
        bbox = (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])
        own = by_group.get(root, [])
        spanning, subheads = _split_subheads(own, c0, c1, xs)
        cells.append(_GridCell(r0, r1, c0, c1, bbox, _cell_text(spanning), _fills_width(own, bbox), subheads))
    return cells


def _group_bounds(members: list[int], n_cols: int) -> tuple[int, int, int, int]:
    rows = [m // n_cols for m in members]
    cols = [m % n_cols for m in members]
    return min(rows), max(rows), min(cols), max(cols)


def _lift_overflow(by_group: dict[int, list[dict[str, Any]]], bounds: dict[int, tuple[int, int, int, int]],
                   xs: list[float], ys: list[float], n_cols: int, find: Any) -> None:
    """Characters printed across the rule under a full cell (a header wrapped past its border,
    '采购组织形' + '式') belong to the cell above."""
    for root, chars in list(by_group.items()):
        r0 = bounds[root][0]
        for char in [ch for ch in chars if r0 > 0 and ch["top"] < ys[r0] - 1 < ys[r0] + 1 < ch["bottom"]]:
            above = find((r0 - 1) * n_cols + _index(xs, _mid_x(char)))
            a_r0, a_r1, a_c0, a_c1 = bounds[above]
            upper = by_group.get(above, [])
            if upper and _fills_width(upper, (xs[a_c0], ys[a_r0], xs[a_c1 + 1], ys[a_r1 + 1])):
                chars.remove(char)
                upper.append(char)


def _split_subheads(chars: list[dict[str, Any]], c0: int, c1: int,
                    xs: list[float]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Split a merged header cell whose lower lines label single columns without rules between them
    ('功能分类' over '功能科目名称' and '金额'): returns the spanning characters and {column: label}."""
    if c1 == c0 or not chars:
        return chars, {}
    spanning: list[dict[str, Any]] = []
    confined: dict[int, list[dict[str, Any]]] = {}
    for piece in _text_pieces(chars):
        first = _index(xs, piece[0]["x0"] + 0.5)
        last = _index(xs, piece[-1]["x1"] - 0.5)
        if first == last:
            confined.setdefault(first, []).extend(piece)
        else:
            spanning.extend(piece)
    if len(confined) < 2 or not spanning:
        return chars, {}
    if max(c["bottom"] for c in spanning) > min(c["top"] for part in confined.values() for c in part) + 1:
        return chars, {}  # the column labels must sit under the spanning label
    return spanning, {col: _cell_text(part) for col, part in confined.items()}


def _text_pieces(chars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Runs of characters on one line separated by wide gaps."""
    pieces: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda ch: (round(ch["top"]), ch["x0"])):
        if pieces:
            last = pieces[-1][-1]
            same_line = abs(char["top"] - last["top"]) < 2
            near = char["x0"] - last["x1"] < 1.5 * (last["x1"] - last["x0"])
            if same_line and near:
                pieces[-1].append(char)
                continue
        pieces.append([char])
    return pieces


def _fills_width(chars: list[dict[str, Any]], bbox: BBox) -> bool:
    """Whether the last text line of a cell reaches its right edge (so it may have wrapped)."""
    if not chars:
        return False
    last_top = max(c["top"] for c in chars)
    last_line = [c for c in chars if c["top"] > last_top - 2]
    width = max(c["x1"] - c["x0"] for c in last_line)
    return bbox[2] - max(c["x1"] for c in last_line) < 2 * width + 6


def _cell_text(chars: list[dict[str, Any]]) -> str:
    """Text of a cell with its wrapped lines joined (no newline) and letter-spacing removed."""
    if not chars:
        return ""
    lines = [ln.strip() for ln in chars_to_text(chars, x_tolerance=3, y_tolerance=3).split("\n")]
    text = ""
    for line in (ln for ln in lines if ln):
        joiner = "" if not text or re.match(rf"[{_CJK}]", line[0]) or re.search(rf"[{_CJK}]$", text) else " "
        text += joiner + line
    return _CJK_GAP.sub("", text).strip()


# ---------------------------------------------------------------- header paths and data rows


def _shape(fragment: _Fragment, header_rows: int | None = None, keep_empty: bool = False) -> _Shape:
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
    return _Shape(columns, rows, [fragment.xs[c] for c in kept], header_rows, filled)


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


def _bands(cells: list[_GridCell], n_rows: int) -> list[tuple[int, int]]:
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


def _header_row_count(cells: list[_GridCell], n_rows: int) -> int:
    """Number of leading fine rows that are column headers."""
    count = 0
    for start, end in _bands(cells, n_rows):
        texts = [c.text for c in cells if start <= c.r0 <= end and c.text]
        if not _is_header_band(texts, multi_row=end > start):
            break
        count = end + 1
        if any(_INDICATOR_HEAD.search(text) for text in texts):
            break  # 绩效目标 tables: rows under 一级/二级/三级指标 | 指标值 are text data, not headers
    return count


def _is_header_band(texts: list[str], multi_row: bool) -> bool:
    if not texts:
        return False
    for text in texts:
        compact = text.replace(" ", "")
        if _AMOUNT.match(compact) or _CODE.match(text) or _ENUMERATED.match(text) or _TOC.search(text):
            return False
    return len(texts) >= 2 or multi_row


def _column_path(header: list[_GridCell], col: int, kept: list[int]) -> tuple[str, ...]:
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


# ---------------------------------------------------------------- titles, units, notes


def _label_fragments(result: _PageResult) -> None:
    """Find each fragment's title, unit and note in the page lines around it."""
    previous_bottom = 0.0
    for position, fragment in enumerate(result.fragments):
        top, bottom = fragment.bbox[1], fragment.bbox[3]
        above = [ln for ln in result.lines if previous_bottom - 1 <= _line_mid(ln) < top - 1]
        next_top = result.fragments[position + 1].bbox[1] if position + 1 < len(result.fragments) else 1e9
        below = [ln for ln in result.lines if bottom + 1 < _line_mid(ln) < next_top]
        fragment.title, fragment.title_bbox = _title(above)
        fragment.heading = _heading(above)
        fragment.unit = _unit(above)
        fragment.note = _note(below)
        fragment.is_toc = any(_TOC.search(ln.text) for ln in above[-3:]) or _looks_like_toc(fragment)
        previous_bottom = bottom


def _line_mid(line: _PageLine) -> float:
    return (line.bbox[1] + line.bbox[3]) / 2


def _title(above: list[_PageLine]) -> tuple[str | None, BBox | None]:
    """The nearest line above the table that names a table (ends with 表), with its 公开NN表 number."""
    for i in range(len(above) - 1, -1, -1):
        text = above[i].text.strip()
        if _META_LINE.search(text) or _PAGE_NUMBER.match(text) or len(text) <= 2:
            continue
        if _NUMBERED_TABLE.match(text) or _SUBTITLE.match(text):
            continue
        if not _TITLE_HINT.search(text) and i > 0 and _TITLE_HINT.search(above[i - 1].text.strip() + text):
            # a title wrapped over two lines ("…（按支出功能分类科" / "目-不含上年结转）")
            joined = _CJK_GAP.sub("", above[i - 1].text.strip() + text)
            return joined, above[i - 1].bbox
        if not _TITLE_HINT.search(text):
            return None, None
        bbox = above[i].bbox
        prefix = above[i - 1].text.strip() if i > 0 else ""
        number = _NUMBERED_TABLE.match(prefix)
        if number is None:
            number = _NUMBERED_TABLE.match(above[i + 1].text.strip()) if i + 1 < len(above) else None
        text = _CJK_GAP.sub("", text)
        if number:
            text = f"公开{number.group(1)}表 {text}"
        return text, bbox
    return None, None


def _heading(above: list[_PageLine]) -> str | None:
    """The nearest short heading-like line above a table that has no …表 title."""
    for line in reversed(above):
        text = line.text.strip()
        if _META_LINE.search(text) or _PAGE_NUMBER.match(text):
            continue
        if len(text) <= 40 and not re.search(r"[。；;，,]$", text):
            return _CJK_GAP.sub("", text)
        return None
    return None


def _unit(above: list[_PageLine]) -> str | None:
    for i, line in enumerate(above):
        match = _UNIT.search(line.text)
        if not match:
            continue
        if not any(match.group(1).startswith(known[:1]) for known in _KNOWN_UNITS) and match.group(1):
            continue  # "单位：上海市审计局" style lines name an organisation, not a unit of money
        unit = match.group(1)
        if unit not in _KNOWN_UNITS:
            for other in above[i + 1 :] + above[:i]:  # '单位：万' with '元' wrapped onto another line
                if (unit + other.text.strip()[-1:]) in _KNOWN_UNITS:
                    return unit + other.text.strip()[-1:]
            for known in _KNOWN_UNITS:
                if unit.startswith(known):
                    return known
        return unit or None
    return None


def _note(below: list[_PageLine]) -> str | None:
    """The 注 lines printed right under a table."""
    note: list[str] = []
    for line in below:
        text = line.text.strip()
        if not note:
            if _NOTE.match(text):
                note.append(text)
                last = line
                continue
            return None
        gap = line.bbox[1] - last.bbox[3]
        if gap > (last.bbox[3] - last.bbox[1]) * 1.2 or _PAGE_NUMBER.match(text) or _TITLE_HINT.search(text):
            break
        note.append(text)
        last = line
    return "".join(note) or None


def _looks_like_toc(fragment: _Fragment) -> bool:
    texts = [c.text for c in fragment.cells if c.text]
    return bool(texts) and sum(1 for t in texts if _TOC.search(t)) >= max(1, len(texts) // 3)


# ---------------------------------------------------------------- document assembly


def _assemble(path: Path, pages: list[_PageResult]) -> ParsedDocument:
    lines: list[Line] = []
    table_line_ids: set[int] = set()
    offset = 0
    builder = _Builder()
    project: str | None = None
    pending_title: tuple[str, BBox] | None = None
    for number, result in enumerate(pages, start=1):
        _label_fragments(result)
        if pending_title and result.fragments and result.fragments[0].title is None:
            first = result.fragments[0]
            if not any(_line_mid(ln) < first.bbox[1] - 1 and _TITLE_HINT.search(ln.text.strip()) for ln in result.lines):
                first.title, first.title_bbox = pending_title  # the title was printed at the foot of the page before
                first.unit = first.unit or _unit([ln for ln in result.lines if _line_mid(ln) < first.bbox[1]])
        pending_title = _trailing_title(result)
        project = _track_project(result, project)
        for page_line in result.lines:
            if any(_inside(page_line, f) for f in result.fragments if not f.is_toc):
                table_line_ids.add(len(lines))
            lines.append(Line(page_line.text, number, offset))
            offset += len(page_line.text) + 1
        for fragment in result.fragments:
            if not fragment.is_toc:
                _add_fragment(builder, fragment)
    return ParsedDocument(
        path=str(path),
        file_name=path.name,
        file_format="pdf",
        page_count=len(pages),
        lines=lines,
        tables=builder.tables,
        table_line_ids=table_line_ids,
    )


def _trailing_title(result: _PageResult) -> tuple[str, BBox] | None:
    """A table title printed below the page's last table (or on a page without tables) with nothing
    but page furniture after it: its table starts on the next page."""
    bottom = max((f.bbox[3] for f in result.fragments), default=0.0)
    tail = [ln for ln in result.lines if _line_mid(ln) > bottom + 1 and not _PAGE_NUMBER.match(ln.text.strip())]
    tail = [ln for ln in tail if not _META_LINE.search(ln.text) and not _SUBTITLE.match(ln.text.strip())]
    if tail and _TITLE_HINT.search(tail[-1].text.strip()) and len(tail[-1].text.strip()) <= 60 \
            and not re.search(r"[。；;，,]", tail[-1].text):
        return _CJK_GAP.sub("", tail[-1].text.strip()), tail[-1].bbox
    return None


def _track_project(result: _PageResult, project: str | None) -> str | None:
    """Give each fragment the project heading (…项目经费情况说明) printed before it; returns the
    heading still current at the end of the page."""
    for line in result.lines:
        for fragment in result.fragments:
            if fragment.project is None and line.bbox[1] >= fragment.bbox[1]:
                fragment.project = project
        if _PROJECT_LINE.search(line.text.strip()):
            project = _CJK_GAP.sub("", line.text.strip())
    for fragment in result.fragments:
        fragment.project = fragment.project or project
    return project


def _inside(line: _PageLine, fragment: _Fragment) -> bool:
    x0, top, x1, bottom = fragment.bbox
    mid = _line_mid(line)
    overlap = min(x1, line.bbox[2]) - max(x0, line.bbox[0])
    return top <= mid <= bottom and overlap > 0.5 * (line.bbox[2] - line.bbox[0])


def _add_fragment(builder: _Builder, fragment: _Fragment) -> None:
    """Start a new table, or append a titleless fragment to the table it continues."""
    shape = _shape(fragment)
    if fragment.title is not None and builder.tables and _repeats_title(builder.tables[-1], fragment, shape):
        if _continue_table(builder, fragment, shape):
            return  # a continuation page that reprints the title and header (烟台, 佛山, 宣传部 layouts)
    if fragment.title is None and builder.tables:
        if _continue_table(builder, fragment, shape):
            return
        if shape.header_rows and _continue_table(builder, fragment, _shape(fragment, header_rows=0)):
            return
    note = fragment.note
    if not shape.rows and note is None:
        note = "本表无数据行"
    builder.tables.append(ExtractedTable(
        title=_full_title(fragment, shape),
        unit=fragment.unit,
        pages=[fragment.page],
        columns=shape.columns,
        rows=shape.rows,
        title_bbox=fragment.title_bbox,
        note=note,
    ))
    builder.col_x.append(shape.col_x)
    builder.filled |= shape.filled


def _repeats_title(previous: ExtractedTable, fragment: _Fragment, shape: _Shape) -> bool:
    """The next page reprints the previous table's title and header: the same table goes on."""
    same_title = _CJK_GAP.sub("", previous.title).replace(" ", "") == _full_title(fragment, shape).replace(" ", "")
    return (same_title and fragment.page - previous.pages[-1] == 1 and shape.columns == previous.columns
            and fragment.unit in (None, previous.unit))


def _full_title(fragment: _Fragment, shape: _Shape) -> str:
    """The printed title, else the heading above; 绩效目标 tables are named after their project."""
    title = fragment.title or fragment.heading or ""
    indicators = any(_INDICATOR_HEAD.search(part) for path in shape.columns for part in path)
    if (indicators or "绩效" in title) and fragment.project and fragment.project not in title:
        title = f"{fragment.project} {title or '绩效目标'}"
    return title


def _continue_table(builder: _Builder, fragment: _Fragment, shape: _Shape) -> bool:
    """Append a fragment to the last table if it continues it (same columns, next page); True if done."""
    previous, previous_x = builder.tables[-1], builder.col_x[-1]
    if fragment.page - previous.pages[-1] not in (0, 1):
        return False
    if not previous.rows and shape.header_rows:  # the header itself was split over two pages
        previous.columns = [_prefixed(previous, previous_x, path, x) for path, x in zip(shape.columns, shape.col_x)]
        previous.rows = shape.rows
        builder.col_x[-1] = shape.col_x
        if previous.note == "本表无数据行":
            previous.note = None
    else:
        if shape.header_rows and shape.columns != previous.columns:
            return False
        full = _shape(fragment, shape.header_rows, keep_empty=True)
        mapping = _column_map(previous_x, full)
        if mapping is None:
            return False
        _append_rows(previous, full.rows, mapping, builder.filled)
        builder.filled |= full.filled
    if fragment.page not in previous.pages:
        previous.pages.append(fragment.page)
    previous.note = previous.note or fragment.note
    return True


def _append_rows(table: ExtractedTable, rows: list[list[Cell | None]], mapping: list[int | None],
                 filled: set[Cell]) -> None:
    for number, row in enumerate(rows):
        merged: list[Cell | None] = [None] * len(table.columns)
        for position, cell in enumerate(row):
            target = mapping[position]
            if cell is not None and target is not None and (merged[target] is None or cell.text):
                merged[target] = cell
        if number == 0 and table.rows and _wraps_previous(merged, table.rows[-1], filled):
            table.rows[-1] = _joined(table.rows[-1], merged)
        else:
            table.rows.append(merged)


def _wraps_previous(row: list[Cell | None], previous: list[Cell | None], filled: set[Cell]) -> bool:
    """A page-top row holding only the tail of labels cut by the page break ('置更新')."""
    texts = [(i, c.text) for i, c in enumerate(row) if c is not None and c.text]
    if not texts:
        return False
    for i, text in texts:
        above = previous[i]
        if (above is None or above not in filled or _AMOUNT.match(text.replace(" ", "")) or _CODE.match(text)
                or _ENUMERATED.match(text) or _AMOUNT.match(above.text.replace(" ", "")) or len(text) > 8):
            return False
    return True


def _joined(previous: list[Cell | None], tail: list[Cell | None]) -> list[Cell | None]:
    joined = list(previous)
    for i, cell in enumerate(tail):
        above = previous[i]
        if cell is not None and cell.text and above is not None:
            joined[i] = Cell(above.text + cell.text, above.page, above.bbox)
    return joined


def _prefixed(previous: ExtractedTable, previous_x: list[float], path: tuple[str, ...], x: float) -> tuple[str, ...]:
    """Header path of a column whose upper header rows were printed on the previous page."""
    owners = [i for i, px in enumerate(previous_x) if px <= x + 2 * SNAP]
    if not owners:
        return path
    return tuple(previous.columns[owners[-1]]) + path


def _column_map(previous_x: list[float], shape: _Shape) -> list[int | None] | None:
    """Column of the previous table for each continuation column (by left x).

    A continuation column with no counterpart may only hold empty cells; otherwise None (no fit).
    """
    mapping: list[int | None] = []
    for position, x in enumerate(shape.col_x):
        distances = [abs(x - px) for px in previous_x]
        best = min(range(len(previous_x)), key=lambda i: distances[i])
        if distances[best] <= 4 * SNAP:
            mapping.append(best)
        elif any(row[position] is not None and row[position].text for row in shape.rows):  # type: ignore[union-attr]
            return None
        else:
            mapping.append(None)
    return mapping
