"""Rebuild the tables of a plain-text dump of a Shanghai budget PDF.

Such a dump (see 上海市金融服务办公室2018年部门预算.txt) loses the grid: every PDF page becomes a block
of lines separated from the next by two or more blank lines; a table's 单位 line comes first, then
its data rows, and its title and header lines come AFTER the data (continuation pages print the
header first); empty cells simply vanish ("208 05 01 名称 41,760 41,760"). This module

1. groups page blocks into tables (a 单位 line starts a table, blocks of code rows continue it),
2. reads the columns from the header lines (code group 类/款/项, name column, value leaves in the
   order printed, under the "项目 <group>" label),
3. places each row's values with `ingest.cell_assignment` (column identities, parent = Σ children,
   totals known from the 财务收支总表, ties to the usually-empty columns last).

    tables, table_line_ids = read_txt_tables(lines)
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from decimal import Decimal

from budgetqa.models import Cell, ExtractedTable
from ingest.cell_assignment import AssignmentProblem, Identity, RowValues, assign_rows

UNIT_RE = re.compile(r"^\s*单位\s*[:：]\s*(\S+?)\s*$")
TITLE_RE = re.compile(r"^\s*([^\s，。；：:]{4,60}(?:表|绩效目标))\s*$")
NUMBER_RE = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
CODE_HEAD_RE = re.compile(r"^\s*\d{3}(?:\s+\d{2}){0,2}\s+[^\d\s,.]")
CODE_PARTS_RE = re.compile(r"^\s*类(?:\s+款)?(?:\s+项)?\s*$")
ENUM_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.．、]|[（(][一二三四五六七八九十\d]+[)）])")
SUM_LABEL_RE = re.compile(r"(总计|合计)$")
PERF_HEADER_RE = re.compile(r"^\s*一级指标\s+二级指标\s+三级指标\s+指标(目标)?值\s*$")
PERF_CATEGORY_RE = re.compile(r"^\s*\S{2,8}目标\s*$")
PERF_KEYS = ("项目名称", "项目总目标", "年度绩效目标")
YEAR_LINE_RE = re.compile(r"^\s*[（(]\d{4}年?[)）]\s*$")

# value-column names as printed in Shanghai tables; found in the glued header text, longest first
VALUE_LEAVES = [
    "事业单位经营收入", "用事业基金弥补收支差额", "附属单位上缴收入", "上级补助收入", "财政拨款收入",
    "国有资本经营预算", "政府性基金预算", "一般公共预算", "事业收入", "其他收入", "上年结转",
    "基本支出", "项目支出", "人员经费", "公用经费", "合计", "小计",
]
# columns that are usually empty in Shanghai department budgets (tie-break: leave them empty)
RARE_LEAVES = {"事业收入", "事业单位经营收入", "政府性基金预算", "国有资本经营预算", "购置费",
               "附属单位上缴收入", "上级补助收入", "用事业基金弥补收支差额"}

KnownTotals = dict[str, Decimal | None]


@dataclass
class _Group:
    """Page blocks (lists of non-blank line indices) that make one table."""

    kind: str  # "budget" | "perf"
    blocks: list[list[int]] = field(default_factory=list)

    @property
    def line_ids(self) -> list[int]:
        return [i for block in self.blocks for i in block]


def is_number(token: str) -> bool:
    return bool(NUMBER_RE.match(token))


def to_decimal(token: str) -> Decimal:
    return Decimal(token.replace(",", ""))


def _tokens(text: str) -> list[re.Match[str]]:
    return list(re.finditer(r"\S+", text))


def _cell(text: str, line_id: int) -> Cell:
    return Cell(text=text, page=1, bbox=None, line_no=line_id + 1)


def _empty(line_id: int) -> Cell:
    return _cell("", line_id)


def page_blocks(texts: list[str]) -> list[list[int]]:
    """Non-blank line indices grouped into page blocks (separated by 2+ blank lines)."""
    blocks: list[list[int]] = [[]]
    blank_run = 0
    for index, text in enumerate(texts):
        if not text.strip():
            blank_run += 1
            continue
        if blank_run >= 2 and blocks[-1]:
            blocks.append([])
        blank_run = 0
        blocks[-1].append(index)
    return [block for block in blocks if block]


def _is_code_row(text: str) -> bool:
    return bool(CODE_HEAD_RE.match(text))


def _total_row_parts(text: str) -> tuple[str, list[str]] | None:
    """('合计', numbers) for "758,013,488 757,955,000 58,488合计" or "合计 1 2"; None otherwise."""
    stripped = text.strip()
    for label in ("合计", "总计"):
        if stripped.endswith(label) or stripped.startswith(label):
            rest = stripped.removesuffix(label) if stripped.endswith(label) else stripped.removeprefix(label)
            numbers = rest.split()
            if all(is_number(n) for n in numbers):
                return label, numbers
    return None


def _is_total_row(text: str) -> bool:
    return _total_row_parts(text) is not None


def _is_narrative(text: str) -> bool:
    """A sentence of running text (tables rows never end a sentence or carry commas inside words)."""
    stripped = text.strip()
    if _is_code_row(stripped) or _is_total_row(stripped):
        return False
    return stripped.endswith(("。", "；", "：")) or (len(stripped) > 40 and "，" in stripped)


def _group_tables(texts: list[str], blocks: list[list[int]]) -> list[_Group]:
    groups: list[_Group] = []
    current: _Group | None = None
    for block in blocks:
        lines = [texts[i] for i in block]
        has_unit = any(UNIT_RE.match(t) for t in lines)
        has_rows = any(_is_code_row(t) or _is_total_row(t) for t in lines)
        if has_unit:
            current = _Group("budget", [block])
            groups.append(current)
        elif any(PERF_HEADER_RE.match(t) for t in lines):
            current = _Group("perf", [block])
            groups.append(current)
        elif current and current.kind == "budget" and has_rows and not any(_is_narrative(t) for t in lines):
            current.blocks.append(block)
        elif current and current.kind == "perf" and _continues_perf(lines):
            current.blocks.append(block)
        else:
            current = None
    return groups


def _continues_perf(lines: list[str]) -> bool:
    has_category = any(PERF_CATEGORY_RE.match(t) for t in lines)
    return has_category and not any(t.rstrip().endswith("。") for t in lines)


def read_txt_tables(texts: list[str]) -> tuple[list[ExtractedTable], set[int]]:
    """All tables of a text dump, and the indices of the lines that belong to them."""
    tables: list[ExtractedTable] = []
    table_line_ids: set[int] = set()
    known: KnownTotals = {}
    for group in _group_tables(texts, page_blocks(texts)):
        title_id = next((i for i in group.line_ids if TITLE_RE.match(texts[i])), None)
        unit_id = next((i for i in group.line_ids if UNIT_RE.match(texts[i])), None)
        title = texts[title_id].strip() if title_id is not None else "未命名表格"
        unit = _unit(texts[unit_id]) if unit_id is not None else None
        body = [i for i in group.line_ids if i not in (title_id, unit_id)]
        if title_id is None and not any(_is_code_row(texts[i]) or _is_total_row(texts[i]) for i in body):
            continue  # a 单位 line in running text, not a table
        if group.kind == "perf":
            tables.extend(_perf_tables(texts, group, title, title_id))
        elif "三公" in title:
            tables.append(_sangong_table(texts, body, title, unit))
        elif _side_by_side_header(texts, body) is not None:
            tables.append(_side_by_side_table(texts, body, title, unit, known))
        else:
            tables.append(_code_table(texts, body, title, unit, known))
        table_line_ids.update(body)
    return tables, table_line_ids


def _unit(text: str) -> str | None:
    match = UNIT_RE.match(text)
    return match.group(1) if match else None


# --- 类/款/项 code tables ---------------------------------------------------------------------------


@dataclass
class _CodeRow:
    line_id: int
    codes: list[str]
    name: str
    values: list[str]
    is_total: bool = False


def _parse_code_row(text: str, line_id: int, max_parts: int) -> _CodeRow:
    tokens = _tokens(text)
    codes = [tokens[0].group()]
    pos = 1
    while pos < len(tokens) and len(codes) < max_parts and re.fullmatch(r"\d{2}", tokens[pos].group()):
        codes.append(tokens[pos].group())
        pos += 1
    end = len(tokens)
    while end > pos and is_number(tokens[end - 1].group()):
        end -= 1
    name = text[tokens[pos].start():tokens[end - 1].end()] if end > pos else ""
    return _CodeRow(line_id, codes, name, [t.group() for t in tokens[end:]])


def _parse_total_row(text: str, line_id: int) -> _CodeRow:
    parts = _total_row_parts(text)
    assert parts is not None
    return _CodeRow(line_id, [], parts[0], parts[1], is_total=True)


def _code_columns(header_lines: list[str]) -> tuple[list[tuple[str, ...]], int]:
    """Columns of a code table from its header lines, and how many code parts (类/款/项) it has."""
    joined = " ".join(header_lines)
    parts_line = next((t for t in header_lines if CODE_PARTS_RE.match(t)), "类 款 项")
    parts = parts_line.split()
    group_re = re.compile(r"^\s*项目\s+(\S+)\s*$")
    code_label = (re.search(r"\S*科目编码", joined) or re.search(r"\S*编码", joined))
    name_label = re.search(r"\S*科目名称", joined)
    group = next((m.group(1) for t in header_lines if (m := group_re.match(t))), None)
    skip = {code_label.group() if code_label else "", name_label.group() if name_label else "", "项目"}
    rest = [tok for t in header_lines if t != parts_line and not group_re.match(t)
            for tok in t.split() if tok not in skip]
    leaves = _value_leaves("".join(rest)) or rest
    columns: list[tuple[str, ...]] = [(code_label.group() if code_label else "科目编码", p) for p in parts]
    columns.append((name_label.group(),) if name_label else ("科目名称",))
    columns += [(group, leaf) if group else (leaf,) for leaf in leaves]
    return columns, len(parts)


def _value_leaves(glued: str) -> list[str]:
    pattern = "|".join(re.escape(leaf) for leaf in sorted(VALUE_LEAVES, key=len, reverse=True))
    seen: list[str] = []
    for match in re.finditer(pattern, glued):
        if match.group() not in seen:
            seen.append(match.group())
    return seen


def _code_table(texts: list[str], body: list[int], title: str, unit: str | None,
                known: KnownTotals) -> ExtractedTable:
    data_ids = [i for i in body if _is_code_row(texts[i]) or _is_total_row(texts[i])]
    header_lines = [texts[i].strip() for i in body if i not in data_ids]
    columns, n_parts = _code_columns(header_lines)
    rows = [_parse_total_row(texts[i], i) if _is_total_row(texts[i])
            else _parse_code_row(texts[i], i, n_parts) for i in data_ids]
    value_cols = list(range(n_parts + 1, len(columns)))
    widest = max((len(r.values) for r in rows), default=0)
    while len(value_cols) < widest:  # more values than header columns: keep them, unnamed
        columns.append((f"列{len(columns) + 1}",))
        value_cols.append(len(columns) - 1)
    problem = _problem(columns, value_cols, known)
    placements = assign_rows(_code_tree(rows), problem)
    grid = []
    for row in rows:
        cells: list[Cell | None] = [_empty(row.line_id) for _ in columns]
        if row.is_total:
            cells[0] = _cell(row.name, row.line_id)
        else:
            for pos, code in enumerate(row.codes):
                cells[pos] = _cell(code, row.line_id)
            cells[n_parts] = _cell(row.name, row.line_id)
        for col, value in zip(placements[row.line_id], row.values):
            cells[col] = _cell(value, row.line_id)
        grid.append(cells)
    return ExtractedTable(title=title, unit=unit, pages=[1], columns=columns, rows=grid)


def _code_tree(rows: list[_CodeRow]) -> list[RowValues]:
    """Rows with their parent: 项 -> 款 -> 类 -> the 合计 row."""
    total = next((r.line_id for r in rows if r.is_total), None)
    latest: dict[tuple[str, ...], int] = {}
    tree = []
    for row in rows:
        parent: Hashable | None = None
        if not row.is_total:
            latest[tuple(row.codes)] = row.line_id
            parent = latest.get(tuple(row.codes[:-1]), total) if len(row.codes) > 1 else total
        tree.append(RowValues(row.line_id, [to_decimal(v) for v in row.values], parent))
    return tree


def _problem(columns: list[tuple[str, ...]], value_cols: list[int], known: KnownTotals) -> AssignmentProblem:
    """Identities (合计 = Σ others), rare columns and known totals for one group of value columns."""
    leaves = {col: columns[col][-1] for col in value_cols}
    identities = []
    total_col = next((c for c in value_cols if leaves[c] in ("合计", "小计")), None)
    if total_col is not None:
        identities.append(Identity(total_col, tuple(c for c in value_cols if c != total_col)))
    rare = {c for c in value_cols if leaves[c] in RARE_LEAVES}
    known_root = {}
    for col in value_cols:
        match = _known_total(leaves[col], known)
        if match is not None:
            known_root[col] = match[1]
    return AssignmentProblem(value_cols, identities, rare, known_root)


def _known_total(leaf: str, known: KnownTotals) -> tuple[str, Decimal | None] | None:
    if leaf in known:
        return leaf, known[leaf]
    for label, value in known.items():
        if len(label) >= 4 and len(leaf) >= 4 and (label.startswith(leaf) or leaf.startswith(label)):
            return label, value
    return None


# --- side-by-side 收支总表 ------------------------------------------------------------------------------


def _side_by_side_header(texts: list[str], body: list[int]) -> int | None:
    for i in body:
        tokens = texts[i].split()
        if tokens.count("项目") == 2 and tokens[0] == "项目":
            return i
    return None


def _side_by_side_table(texts: list[str], body: list[int], title: str, unit: str | None,
                        known: KnownTotals) -> ExtractedTable:
    header_id = _side_by_side_header(texts, body)
    assert header_id is not None
    tokens = texts[header_id].split()
    split = tokens.index("项目", 1)
    halves = [tokens[:split], tokens[split:]]
    group_id = next((i for i in body if i != header_id and _is_group_line(texts[i])), None)
    groups = texts[group_id].split() if group_id is not None else ["", ""]
    columns = [(groups[side], leaf) if groups[side] else (leaf,) for side in (0, 1) for leaf in halves[side]]
    offsets = [0, len(halves[0])]
    data_ids = [i for i in body if i not in (header_id, group_id)]
    sides: list[list[tuple[int, str, list[str]]]] = [[], []]  # per side: (line, label, values)
    for i in data_ids:
        for side, label, values in _place_segments(texts[i]):
            sides[side].append((i, label, values))
    grid: dict[int, list[Cell | None]] = {i: [_empty(i) for _ in columns] for i in data_ids}
    for side in (0, 1):
        value_cols = list(range(offsets[side] + 1, offsets[side] + len(halves[side])))
        problem = _problem(columns, value_cols, {})
        root = next((line for line, label, _ in sides[side] if SUM_LABEL_RE.search(label)), None)
        tree = [RowValues(line, [to_decimal(v) for v in values], None if line == root else root)
                for line, _, values in sides[side]]  # items are children of the 总计 row
        placements = assign_rows(tree, problem)
        for line, label, values in sides[side]:
            grid[line][offsets[side]] = _cell(label, line)
            for col, value in zip(placements[line], values):
                grid[line][col] = _cell(value, line)
            known[_bare_label(label)] = to_decimal(values[0]) if values else None
    rows = [grid[i] for i in data_ids if any(c is not None and c.text for c in grid[i])]
    return ExtractedTable(title=title, unit=unit, pages=[1], columns=columns, rows=rows)


def _is_group_line(text: str) -> bool:
    """'本年收入 本年支出': two group names over the two halves, no values, no item labels."""
    words = text.split()
    return (len(words) == 2 and "项目" not in words and not any(is_number(w) for w in words)
            and not any(ENUM_RE.match(w) or SUM_LABEL_RE.search(w) for w in words))


def _bare_label(label: str) -> str:
    return re.sub(r"\s+", "", ENUM_RE.sub("", label.strip()))


def _line_segments(text: str) -> list[tuple[str, list[str]]]:
    """'一、财政拨款收入 757,955,000 一、社会保障和就业支出 2,907,516' -> [(label, values), …]."""
    segments: list[tuple[str, list[str]]] = []
    start = end = None
    values: list[str] = []
    for token in _tokens(text):
        word = token.group()
        if is_number(word):
            values.append(word)
            continue
        # a new label starts after values, or at an enumerator ("三、…") unless the label so far
        # is a bare enumerator ("一、 一般公共预算资金")
        bare_enumerator = start is not None and bool(ENUM_RE.fullmatch(text[start:end]))
        starts_item = bool(ENUM_RE.match(word) or SUM_LABEL_RE.search(word))
        new_label = start is None or bool(values) or (starts_item and not bare_enumerator)
        if new_label:
            if start is not None:
                segments.append((text[start:end], values))
            start, values = token.start(), []
        end = token.end()
    if start is not None:
        segments.append((text[start:end], values))
    return segments or [("", values)]


def _place_segments(text: str) -> list[tuple[int, str, list[str]]]:
    """Which side (0 收入 / 1 支出) each label of a line belongs to."""
    segments = _line_segments(text)
    if len(segments) >= 2:
        return [(0, *segments[0]), (1, *segments[1])]
    label, values = segments[0]
    side = 1 if "支出" in label else 0
    return [(side, label, values)]


# --- 三公经费 ---------------------------------------------------------------------------------------------

_SANGONG_PARTS = [r"因公出国[（(]境[)）]费", r"公务接待费", r"公务用车购置及运行费"]


def _sangong_table(texts: list[str], body: list[int], title: str, unit: str | None) -> ExtractedTable:
    data_ids = [i for i in body if all(is_number(t) for t in texts[i].split())]
    glued = re.sub(r"\s+", "", "".join(texts[i] for i in body if i not in data_ids))
    group_match = re.search(r"(\d{4}年)?“?三公”?经费(预算|决算)数", glued)
    group = group_match.group() if group_match else "“三公”经费"
    running = re.search(r"(\d{4}年)?机关运行经费(预算|决算)数", glued)
    found = sorted((m.start(), m.group()) for p in _SANGONG_PARTS if (m := re.search(p, glued)))
    columns: list[tuple[str, ...]] = [(group, "合计")]
    for _, part in found:
        if part.startswith("公务用车"):
            columns += [(group, part, "小计"), (group, part, "购置费"), (group, part, "运行费")]
        else:
            columns.append((group, part))
    if running:
        columns.append((running.group(),))
    index = {path[-1]: col for col, path in enumerate(columns)}
    identities = [Identity(0, tuple(col for col, path in enumerate(columns) if len(path) == 2 and col)
                           + tuple(index[k] for k in ("小计",) if k in index))]
    if "小计" in index:
        identities.append(Identity(index["小计"], (index["购置费"], index["运行费"])))
    rare = {index["购置费"]} if "购置费" in index else set()
    problem = AssignmentProblem(list(range(len(columns))), identities, rare)
    rows = []
    for i in data_ids:
        values = texts[i].split()
        placement = assign_rows([RowValues(i, [to_decimal(v) for v in values])], problem)[i]
        cells: list[Cell | None] = [_empty(i) for _ in columns]
        for col, value in zip(placement, values):
            cells[col] = _cell(value, i)
        rows.append(cells)
    return ExtractedTable(title=title, unit=unit, pages=[1], columns=columns, rows=rows)


# --- 项目绩效目标 ------------------------------------------------------------------------------------------


def _perf_tables(texts: list[str], group: _Group, title: str, title_id: int | None) -> list[ExtractedTable]:
    """Two tables: the project overview (项目名称/项目总目标/年度绩效目标) and the indicator rows."""
    ids = group.line_ids
    header_id = next(i for i in ids if PERF_HEADER_RE.match(texts[i]))
    keys = [i for i in ids if texts[i].strip() in PERF_KEYS]
    overview: list[list[Cell | None]] = []
    if title_id is not None:
        paragraphs = _paragraphs(texts, [i for i in ids if i > title_id and not YEAR_LINE_RE.match(texts[i])])
        for key_id, para in zip(keys, paragraphs):
            text = "".join(texts[i].strip() for i in para)
            overview.append([_cell(texts[key_id].strip(), key_id), _cell(text, para[0])])
    # the overview (title, year, project name, goal paragraphs) sits between the title and the
    # first 目标 category line; indicator rows are everything else after the 一级指标 header
    overview_span = range(title_id, _overview_end(texts, ids, title_id) + 1) if title_id is not None else range(0)
    indicator_ids = [i for i in ids if i > header_id and i not in keys and i not in overview_span
                     and not PERF_CATEGORY_RE.match(texts[i])]
    indicators: list[list[Cell | None]] = []
    for i in indicator_ids:
        text = texts[i].strip()
        name, _, value = text.partition(" ")
        if not value and indicators and _wraps(indicators[-1]):
            _append_value(indicators, text, i)  # a target value printed over several lines
            continue
        indicators.append([None, None, _cell(name, i), _cell(value.strip(), i)])
    perf_columns: list[tuple[str, ...]] = [tuple([t]) for t in texts[header_id].split()]
    tables = []
    if overview:
        tables.append(ExtractedTable(title=title, unit=None, pages=[1], columns=[("项目",), ("内容",)],
                                     rows=overview, note="项目概况"))
    tables.append(ExtractedTable(title=title, unit=None, pages=[1], columns=perf_columns, rows=indicators))
    return tables


def _paragraphs(texts: list[str], ids: list[int]) -> list[list[int]]:
    """Runs of consecutive lines (no blank line between), stopping at the first 目标 category line."""
    runs: list[list[int]] = []
    for i in ids:
        if PERF_CATEGORY_RE.match(texts[i]):
            break
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _overview_end(texts: list[str], ids: list[int], title_id: int) -> int:
    after = [i for i in ids if i > title_id]
    return next((i for i in after if PERF_CATEGORY_RE.match(texts[i])), after[-1] if after else title_id)


def _wraps(row: list[Cell | None]) -> bool:
    """A target value printed over several lines: the value is empty or fills a whole line."""
    value = row[3]
    return value is not None and (value.text == "" or len(value.text) >= 15)


def _append_value(rows: list[list[Cell | None]], text: str, line_id: int) -> None:
    value = rows[-1][3]
    assert value is not None
    line_no = value.line_no if value.text else line_id + 1  # cite the line where the value starts
    rows[-1][3] = Cell(value.text + text, value.page, value.bbox, line_no)
