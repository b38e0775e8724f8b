"""Extracted table grids -> typed facts.

Readers (pdf_reader, text_reader) hand over aligned grids with header paths; this module decides
what each column is (classification code, row label, value, target text), parses values with
Decimal, normalizes codes of both styles (`201 03 01` and `2010301`) and builds row paths.

    facts = table_facts("doc-id", 0, extracted_table)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from budgetqa.models import Cell, ExtractedTable, TableFact
from ingest.tables import column_dimensions, rules, table_kind

_NUMBER = re.compile(r"^[-−]?\(?[-−]?\d[\d,]*(\.\d+)?\)?%?$")
_LEADING_NUMBER = re.compile(r"^([-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−]?\d+\.\d+)(?=[^\d,.])")
_SPACED_CODE = re.compile(r"^(\d{3})(?:\s+(\d{2}))?(?:\s+(\d{2}))?$")
_JOINED_CODE = re.compile(r"^\d{3}(\d{2}){0,2}$")
_TWO_DIGITS = re.compile(r"^\d{2}$")
# headers of a column that names rows (项目名称, 支出项目, 三级指标), not of an amount ("其中：…列入部门预算项目")
_LABEL_HEAD = r"名称|^(支出|收入|功能|经济)?(分类)?项目$|指标$"
_EMPTY_MARKS = {"", "-", "—", "－", "/", "——"}


def parse_value(text: str) -> tuple[Decimal | None, str | None]:
    """Parse a printed number exactly: ('91,016,775.35') -> Decimal('91016775.35').

    Returns (value, unit_override): unit_override is '%' for percentages. Text that is not a number
    gives (None, None). A number glued to a following label ('91,016,775.35一、…') keeps the number.
    """
    raw = text.strip().replace(" ", "")
    if raw in _EMPTY_MARKS:
        return None, None
    if not _NUMBER.match(raw):
        glued = _LEADING_NUMBER.match(raw)
        if not glued:
            return None, None
        raw = glued.group(1)
    unit = "%" if raw.endswith("%") else None
    negative = raw.startswith(("-", "−")) or (raw.startswith("(") and raw.endswith(")"))
    digits = raw.strip("()%-−").replace(",", "")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None, None
    return (-value if negative else value), unit


# an indicator value: comparator, number, unit ("≥130人", "=100%", "≤20次"); only counts and shares get
# a numeric value, other targets ("按时完成", "≥3000万条/小时") stay text
_TARGET = re.compile(r"^[≥≤><=＝≧≦]{0,2}\s*(\d+(?:\.\d+)?)\s*(%|人次|万人次|人|个|场次|次|台套|台|套|辆|家|项|件|场|户|批次|批|名|篇|期|本|集)$")


def target_value(text: str) -> tuple[Decimal | None, str | None]:
    """'≥130人' -> (130, '人'); '=100%' -> (100, '%'); anything else -> (None, None)."""
    match = _TARGET.match(re.sub(r"\s+", "", text))
    if not match or not match.group(2):
        return None, None
    return Decimal(match.group(1)), match.group(2)


def is_number(text: str | None) -> bool:
    return bool(text) and parse_value(text or "")[0] is not None


def normalize_code(parts: list[str]) -> str | None:
    """Join code parts of either style into one code: ['201','03','01'] or ['2010301'] -> '2010301'.

    A 款/项 part printed without its leading zero ('301 2', a quirk of some tables) is padded."""
    pieces = [p for part in parts if part for p in part.split()]
    if not pieces or not all(p.isdigit() for p in pieces):
        return None
    if len(pieces) == 1 and len(pieces[0]) == 6:
        return pieces[0]  # a budget unit code (3-digit department + 3-digit unit: 117001), printed whole
    if len(pieces) == 1:
        code = pieces[0]
    elif len(pieces[0]) == 3 and all(len(p) <= 2 for p in pieces[1:]):
        code = pieces[0] + "".join(p.zfill(2) for p in pieces[1:])
    else:
        code = "".join(pieces)
    return code if len(code) in (3, 5, 7) else None


def split_code_label(text: str) -> tuple[str | None, str]:
    """'201 03 01 行政运行' -> ('2010301', '行政运行'); '2040501行政运行' -> ('2040501', '行政运行')."""
    match = re.match(r"^[\[【［(（]?(\d{3}(?:\s?\d{2}|\s\d){0,2})[\]】］)）]?\s*[-—－:：.、]?\s*(\D.*)$", text.strip())
    if match:
        code = normalize_code([match.group(1)])
        if code:
            return code, match.group(2).strip()
    return None, text.strip()


@dataclass
class _ColumnRole:
    index: int
    role: str  # "code", "label", "value", "target"


def _cell_text(cell: Cell | None) -> str:
    return cell.text.strip() if cell is not None else ""


def _column_roles(table: ExtractedTable) -> list[_ColumnRole]:
    roles: list[_ColumnRole] = []
    for index, path in enumerate(table.columns):
        header = "".join(path)
        last = path[-1] if path else ""
        texts = [_cell_text(row[index]) for row in table.rows if index < len(row)]
        filled = [t for t in texts if t and t not in _EMPTY_MARKS]
        numeric = [t for t in filled if is_number(t)]
        if re.fullmatch(r"(行次|栏次|序号)", re.sub(r"\s", "", last)):
            roles.append(_ColumnRole(index, "skip"))  # line numbers printed beside 决算 rows, not values
        elif re.search(rules()["text_columns"]["qualifier_pattern"], last):
            roles.append(_ColumnRole(index, "qualifier"))  # ≥ / ＝ of the indicator beside it
        elif re.search(rules()["text_columns"]["unit_pattern"], last):
            roles.append(_ColumnRole(index, "unit"))  # 人 / 期 / % of the indicator beside it
        elif last in ("类", "款", "项") or re.search(r"(代码|编码)$", last):
            roles.append(_ColumnRole(index, "code"))
        elif re.search(rules()["text_columns"]["pattern"], header) or (
                re.search(r"绩效目标$", last) and len(numeric) < 0.5 * max(len(filled), 1)):
            roles.append(_ColumnRole(index, "target"))
        elif filled and len(numeric) >= 0.6 * len(filled) and not re.search(_LABEL_HEAD, last):
            roles.append(_ColumnRole(index, "value"))
        elif not filled and not re.search(_LABEL_HEAD + "|科目$", last):
            roles.append(_ColumnRole(index, "value"))  # an all-empty column is an empty value column
        else:
            roles.append(_ColumnRole(index, "label"))
    return roles


def _groups(roles: list[_ColumnRole]) -> list[tuple[list[int], list[int], list[int], list[int]]]:
    """Split columns into side-by-side groups: (code cols, label cols, value cols, target cols).

    A group starts at a code or label column that follows a value column, so 收入 | 支出 halves of
    a 收支总表 become two groups sharing each row.
    """
    groups: list[tuple[list[int], list[int], list[int], list[int]]] = []
    current: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for role in roles:
        starts_key = role.role in ("code", "label")
        if starts_key and (current[2] or current[3]):
            groups.append(current)
            current = ([], [], [], [])
        if role.role in ("skip", "qualifier", "unit"):
            continue
        {"code": current[0], "label": current[1], "value": current[2], "target": current[3]}[
            role.role
        ].append(role.index)
    if any(current):
        groups.append(current)
    return groups


def _key_columns(table: ExtractedTable, code_cols: list[int], label_cols: list[int]) -> tuple[list[int], list[int]]:
    """The columns that name a row. Two classifications side by side (部门经济分类 code + name, then
    政府经济分类 code + name) keep the first as the row's code and label. Among several label columns
    the one headed …名称 names the row (项目名称 beside 项目类别); the others are its parents."""
    keys = sorted([(c, "code") for c in code_cols] + [(c, "label") for c in label_cols])
    runs: list[tuple[list[int], list[int]]] = []
    for col, role in keys:
        if not runs or (role == "code" and runs[-1][1]):
            runs.append(([], []))
        (runs[-1][0] if role == "code" else runs[-1][1]).append(col)
    if len(runs) > 1 and runs[0][0] and runs[1][0]:
        code_cols, label_cols = runs[0]
    named = [c for c in label_cols if re.search(r"名称$", "".join(table.columns[c]))]
    if named and label_cols and label_cols[-1] != named[-1]:
        label_cols = [c for c in label_cols if c != named[-1]] + [named[-1]]
    return code_cols, label_cols


def _split_code(row: list[Cell | None], code_cols: list[int], carried_code: list[str]) -> str | None:
    """A code printed over 类/款/项 columns. Some layouts print only the row's own level ('08' under 款
    below a '201' row): the higher levels are carried down from the rows above."""
    parts = [_cell_text(row[i]) for i in code_cols]
    if not any(parts) or not all(p.isdigit() or not p for p in parts):
        return normalize_code(parts)
    first = next(i for i, p in enumerate(parts) if p)
    if first > 0 and len(parts[first]) <= 2 and all(carried_code[:first]):
        parts = carried_code[:first] + parts[first:]
    last = max(i for i, p in enumerate(parts) if p)
    carried_code[:] = parts[:last + 1] + [""] * (len(parts) - last - 1)
    return normalize_code(parts)


def _row_key(
    row: list[Cell | None], code_cols: list[int], label_cols: list[int], carried: list[str],
    carried_code: list[str],
) -> tuple[str | None, str, tuple[str, ...]]:
    """Code, label and parent labels of one row within a column group."""
    code = _split_code(row, code_cols, carried_code) if len(code_cols) > 1 else (
        normalize_code([_cell_text(row[i]) for i in code_cols]) if code_cols else None)
    labels = [_cell_text(row[i]) for i in label_cols]
    # carry merged parent labels (blank in continuation rows) down from the rows above
    for pos, text in enumerate(labels[:-1]):
        if text:
            carried[pos] = text
            del carried[pos + 1 :]
            carried.extend([""] * (len(labels) - len(carried)))
        elif pos < len(carried):
            labels[pos] = carried[pos]
    label = labels[-1] if labels else ""
    parents = tuple(t for t in labels[:-1] if t)
    if not label and parents:
        label, parents = parents[-1], parents[:-1]
    if code is None and label:
        split_code, rest = split_code_label(label)
        if split_code:
            code, label = split_code, rest
    if code_cols and code is None:
        # a label like 合计 can sit in the code columns (merged cell)
        code_text = " ".join(t for t in (_cell_text(row[i]) for i in code_cols) if t)
        if code_text and not label:
            label = code_text
    return code, label, parents


def table_facts(document_id: str, table_index: int, table: ExtractedTable) -> list[TableFact]:
    """All facts of one extracted table, one per (row, value column) and per target text cell."""
    kind = table_kind(table.title)
    roles = _column_roles(table)
    around = {r.role: r.index for r in reversed(roles) if r.role in ("qualifier", "unit")}
    facts: list[TableFact] = []
    groups = _groups(roles)
    projects = _project_per_row(table, groups)
    for group, (code_cols, label_cols, value_cols, target_cols) in enumerate(groups):
        code_cols, label_cols = _key_columns(table, code_cols, label_cols)
        carried: list[str] = [""] * max(len(label_cols), 1)
        carried_code: list[str] = [""] * len(code_cols)
        outline = ""  # the last "二、上年结转" heading: "（一）一般公共预算拨款" below it is its part
        for row_index, row in enumerate(table.rows):
            code, label, parents = _row_key(row, code_cols, label_cols, carried, carried_code)
            if not code_cols and not label_cols:
                label = kind  # a table of one unlabeled row (the 三公 table): the row is the table
            if not code and not parents:
                outline, parents = _outline_parent(label, outline)
            if not code and not label and group:
                label = _spanning_total(row, groups[:group], [table.columns[c] for c in value_cols])
            if (not code and not label) or (not code and re.fullmatch(r"栏次|行次|[*＊]+", label.replace(" ", ""))):
                continue  # the column-number row under a header ("栏次 1 2 3", "** 1 2 3") holds no data
            if group and projects[row_index] and projects[row_index] not in parents:
                parents = (projects[row_index], *parents)  # an indicator block beside its project
            for col in value_cols + target_cols:
                cell = row[col] if col < len(row) else None
                if cell is None:
                    continue
                fact = _make_fact(document_id, table_index, kind, table, cell, row_index, code, label,
                                  parents, col, is_target=col in target_cols,
                                  around=[_cell_text(row[i]) if i is not None and i < len(row) and abs(i - col) == 1
                                          else "" for i in (around.get("qualifier"), around.get("unit"))])
                if fact is not None:
                    facts.append(fact)
    facts = _without_column_number_rows(facts)
    _add_code_paths(facts)
    return facts


def _outline_parent(label: str, heading: str) -> tuple[str, tuple[str, ...]]:
    """Numbered outline levels in one label column ("二、上年结转" then "（一）一般公共预算拨款"): the
    heading in force after this row, and the row's parent under it (none for a heading or a total)."""
    text = label.replace(" ", "")
    if re.match(r"^[一二三四五六七八九十]+、", text):
        return label, ()
    if heading and re.match(r"^[（(][一二三四五六七八九十]+[）)]", text):
        return heading, (heading,)
    return "", ()


def _spanning_total(row: list[Cell | None], before: list[tuple[list[int], list[int], list[int], list[int]]],
                    headers: list[tuple[str, ...]]) -> str:
    """The label of a half's total row printed in an earlier column group that holds no figure of its own
    ('公用经费合计' across the code and name columns, its figure in the last 公用经费 amount column): only a
    total that names the header of this group's columns ('公用经费' over 公用经费 | 决算数)."""
    code_cols, label_cols, value_cols, _ = before[-1]
    if any(_cell_text(row[c]) for c in value_cols if c < len(row)):
        return ""
    for text in (_cell_text(row[c]) for c in code_cols + label_cols if c < len(row)):
        named = re.fullmatch(r"(.+?)\s*(合|总|小)\s*计", text)
        if named and headers and all(named.group(1) in "".join(h) for h in headers):
            return text
    return ""


def _header_unit(path: tuple[str, ...]) -> str | None:
    """A unit the column header prints itself ('指标权重(%)', '金额（元）'), over the table's unit line."""
    found = re.search(r"[（(](%|万元|元|亿元)[）)]", "".join(path))
    if found:
        return found.group(1)
    last = re.sub(r"[（(][^）)]*[）)]|\s", "", path[-1]) if path else ""
    return next((unit for pattern, unit in rules()["count_columns"]["units"] if re.search(pattern, last)), None)


def _project_per_row(table: ExtractedTable, groups: list[tuple[list[int], list[int], list[int], list[int]]]) -> list[str]:
    """The project each row belongs to when the first column group names projects (项目名称 | 项目总额 …)
    and later groups hold its indicators (一级指标 | 二级指标 | 三级指标 | 指标值): '' otherwise."""
    if len(groups) < 2 or not groups[0][1] or not re.search(r"项目名称|^项目$", "".join(table.columns[groups[0][1][0]])):
        return [""] * len(table.rows)
    projects, current = [], ""
    for row in table.rows:
        text = _cell_text(row[groups[0][1][0]]) if groups[0][1][0] < len(row) else ""
        current = text or current
        projects.append(current)
    return projects


def _without_column_number_rows(facts: list[TableFact]) -> list[TableFact]:
    """Drop the row that numbers the columns under a header (1 2 3 … n, printed as plain integers)."""
    rows: dict[tuple[int, str], list[TableFact]] = {}
    for fact in facts:  # side-by-side groups share a row index, so a row is (index, label)
        rows.setdefault((fact.row_index, fact.row_label), []).append(fact)
    numbering = set()
    for key, cells in rows.items():
        texts = [f.text_value or "" for f in cells]
        if len(texts) >= 3 and all(t.isdigit() for t in texts):
            numbers = [int(t) for t in texts]
            if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
                numbering.add(key)
    return [f for f in facts if (f.row_index, f.row_label) not in numbering]


def _make_fact(document_id: str, table_index: int, kind: str, table: ExtractedTable, cell: Cell,
               row_index: int, code: str | None, label: str, parents: tuple[str, ...], col: int,
               is_target: bool, around: list[str] | None = None) -> TableFact | None:
    text = cell.text.strip()
    value, unit_override = (None, None) if is_target else parse_value(text)
    target_unit = None
    if is_target and text:
        qualifier, unit = (around + ["", ""])[:2] if around else ("", "")
        if re.fullmatch(r"[≥≤><=＝≧≦]{1,2}", qualifier.replace(" ", "")):
            text = qualifier.replace(" ", "") + text
        if unit and not text.endswith(unit):
            text += unit.strip()
        value, target_unit = target_value(text)  # "≥130人" -> 130 人; other targets stay text
    if not is_target and value is None and text and text not in _EMPTY_MARKS:
        return None  # stray text in a value column (a note), not a value
    return TableFact(
        document_id=document_id,
        table_index=table_index,
        table_kind=kind,
        table_title=table.title,
        page=cell.page,
        row_index=row_index,
        row_code=code,
        row_label=label,
        row_path=parents,
        column_path=tuple(table.columns[col]),
        dimensions=column_dimensions(tuple(table.columns[col])),
        value=value,
        text_value=text or None,
        unit=target_unit if is_target else (unit_override or _header_unit(table.columns[col]) or table.unit),
        bbox=cell.bbox,
        line_no=cell.line_no,
    )


def _add_code_paths(facts: list[TableFact]) -> None:
    """Fill row_path of coded rows with the labels of their parent codes (201 > 20103 > 2010301)."""
    labels = {f.row_code: f.row_label for f in facts if f.row_code and f.row_label}
    for fact in facts:
        if fact.row_code and not fact.row_path:
            parents = [fact.row_code[:n] for n in (3, 5) if n < len(fact.row_code)]
            fact.row_path = tuple(labels[p] for p in parents if p in labels)


def fill_missing_labels(facts: list[TableFact]) -> None:
    """Give coded rows without a printed name (e.g. a 支出总表 with no name column) the label that
    other tables of the same document print for that code."""
    labels: dict[str, str] = {}
    for fact in facts:
        if fact.row_code and fact.row_label and not fact.row_label.isdigit():
            labels.setdefault(fact.row_code, fact.row_label)
    for fact in facts:
        if fact.row_code and not fact.row_label and fact.row_code in labels:
            fact.row_label = labels[fact.row_code]
    _add_code_paths(facts)
