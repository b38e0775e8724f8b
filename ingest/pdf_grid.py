"""Page geometry -> ruled table regions -> grid cells with their text.

Tables are rebuilt from the ruling lines drawn on the page, not from pdfplumber's table finder:
budget PDFs draw borders as thin filled rectangles (or thin polygons), and some (the Jiangsu ones)
also paint cell padding as wide filled rectangles that would create spurious columns. Only thin
shapes (and real line objects) count as rules. A continuation page whose first row has no top border
is still read, because the region of a table is the span of its vertical rules.

    fragments = [read_fragment(rules, chars, page_number) for rules in rule_groups(page_rules(page))]
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from pdfplumber.utils import extract_text as chars_to_text

from budgetqa.models import BBox

THIN = 1.5  # a filled rectangle thinner than this (pt) is a ruling line
SNAP = 2.0  # rules closer than this (pt) are the same grid line
CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
CJK_GAP = re.compile(rf"(?<=[{CJK}])\s+(?=[{CJK}])")


@dataclass(frozen=True)
class Rule:
    """A ruling line: `pos` is x for a vertical rule, y for a horizontal one; it runs start..end."""

    vertical: bool
    pos: float
    start: float
    end: float


@dataclass
class GridCell:
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
class Fragment:
    """One ruled table region on one page, before titles and continuation merging."""

    page: int
    bbox: BBox
    xs: list[float]  # fine column boundaries
    n_rows: int
    cells: list[GridCell]
    title: str | None = None  # a line above naming a table (…表); None on continuation pages
    title_bbox: BBox | None = None
    heading: str | None = None  # else the nearest heading-like line above ('七、绩效目标')
    project: str | None = None  # the 项目经费情况说明 the table is printed under, if any
    unit: str | None = None
    note: str | None = None
    is_toc: bool = False


@dataclass
class PageLine:
    text: str
    bbox: BBox


@dataclass
class PageResult:
    lines: list[PageLine]
    fragments: list[Fragment]
    char_count: int
    printed_page: str | None = None  # the page number the page prints ("- 5 -" -> "5"), if any


def page_rules(page: Any) -> list[Rule]:
    """Ruling lines of a page: thin filled rectangles, line objects, edges of stroked rectangles."""
    rules: list[Rule] = []
    for rect in page.rects:
        width, height = rect["x1"] - rect["x0"], rect["bottom"] - rect["top"]
        if min(width, height) < THIN and not _is_white(rect.get("non_stroking_color")):
            rules.append(_segment(rect["x0"], rect["top"], rect["x1"], rect["bottom"]))
        elif rect.get("stroke") and not rect.get("fill"):
            x0, top, x1, bottom = rect["x0"], rect["top"], rect["x1"], rect["bottom"]
            rules += [Rule(True, x0, top, bottom), Rule(True, x1, top, bottom),
                      Rule(False, top, x0, x1), Rule(False, bottom, x0, x1)]
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


def _segment(x0: float, top: float, x1: float, bottom: float) -> Rule:
    if (bottom - top) >= (x1 - x0):
        return Rule(True, (x0 + x1) / 2, top, bottom)
    return Rule(False, (top + bottom) / 2, x0, x1)


def rule_groups(rules: list[Rule]) -> list[list[Rule]]:
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
    groups: dict[int, list[Rule]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(find(i), []).append(rule)
    return [g for g in groups.values() if sum(r.vertical for r in g) >= 2 and sum(not r.vertical for r in g) >= 1]


def _join_collinear(rules: list[Rule], parent: list[int], find: Any) -> None:
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


def _covers(rules: list[Rule], pos: float, start: float, end: float) -> bool:
    """Whether some rule at `pos` covers the middle of the interval start..end."""
    margin = (end - start) * 0.3
    return any(abs(r.pos - pos) <= SNAP and r.start <= start + margin and r.end >= end - margin for r in rules)


# ---------------------------------------------------------------- grid of one region


def read_fragment(rules: list[Rule], chars: list[dict[str, Any]], page: int) -> Fragment | None:
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
    inside = [c for c in chars if left <= mid_x(c) <= right and top <= mid_y(c) <= bottom]
    cells = _grid_cells(xs, ys, verticals, horizontals, inside)
    if sum(1 for c in cells if c.text) < 2:
        return None  # a framed box or a rule under a heading, not a table
    return Fragment(page, (left, top, right, bottom), xs, len(ys) - 1, cells)


def mid_x(char: dict[str, Any]) -> float:
    return (char["x0"] + char["x1"]) / 2


def mid_y(char: dict[str, Any]) -> float:
    return (char["top"] + char["bottom"]) / 2


def _grid_cells(xs: list[float], ys: list[float], verticals: list[Rule], horizontals: list[Rule],
                chars: list[dict[str, Any]]) -> list[GridCell]:
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
        r = _index(ys, mid_y(char))
        for c in range(n_cols - 1):
            if char["x0"] + 0.5 < xs[c + 1] < char["x1"] - 0.5:
                union(r * n_cols + c, r * n_cols + c + 1)
    groups: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        groups.setdefault(find(i), []).append(i)
    bounds = {root: _group_bounds(members, n_cols) for root, members in groups.items()}
    by_group: dict[int, list[dict[str, Any]]] = {}
    for char in chars:
        r, c = _index(ys, mid_y(char)), _index(xs, mid_x(char))
        by_group.setdefault(find(r * n_cols + c), []).append(char)
    _lift_overflow(by_group, bounds, xs, ys, n_cols, find)
    cells = []
    for root, (r0, r1, c0, c1) in bounds.items():
        bbox = (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])
        own = by_group.get(root, [])
        spanning, subheads = _split_subheads(own, c0, c1, xs)
        cells.append(GridCell(r0, r1, c0, c1, bbox, cell_text(spanning), _fills_width(own, bbox), subheads))
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
            above = find((r0 - 1) * n_cols + _index(xs, mid_x(char)))
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
    return spanning, {col: cell_text(part) for col, part in confined.items()}


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


def cell_text(chars: list[dict[str, Any]]) -> str:
    """Text of a cell with its wrapped lines joined (no newline) and letter-spacing removed."""
    if not chars:
        return ""
    lines = [ln.strip() for ln in chars_to_text(chars, x_tolerance=3, y_tolerance=3).split("\n")]
    text = ""
    for line in (ln for ln in lines if ln):
        joiner = "" if not text or re.match(rf"[{CJK}]", line[0]) or re.search(rf"[{CJK}]$", text) else " "
        text += joiner + line
    return CJK_GAP.sub("", text).strip()


