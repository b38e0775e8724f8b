"""Key/value forms -> facts: the project performance form (项目支出绩效目标表) that every national
template prints once per project, instead of a grid with a header row.

    项目名称 | 医保服务站工作经费
    专项资金情况（万元） | 资金总额 | 968.00
    年度目标 | 按……要求，用于……
    一级指标 | 二级指标 | 三级指标 | 指标值
    产出指标 | 数量指标 | 聘用人员数量 | ≥130人

becomes facts whose row is the project (amounts and sentences, one column per printed key) and, for
each indicator, a fact with row path (project, 一级指标, 二级指标), label 三级指标 and column 指标值.
The words of the form live in data/tables.toml ([forms]).

    facts = form_facts("doc-id", 7, extracted_table)   # [] when the table is no such form
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from budgetqa.models import Cell, ExtractedTable, TableFact
from ingest.facts import is_number, parse_value, target_value
from ingest.tables import column_dimensions, rules

FORM_KIND = "绩效目标"
_UNIT_IN_KEY = re.compile(r"[（(](万元|元|亿元)[）)]")


@lru_cache(maxsize=1)
def _words() -> dict[str, re.Pattern[str]]:
    return {key: re.compile(pattern) for key, pattern in rules()["forms"].items()}


def _text(cell: Cell | None) -> str:
    return re.sub(r"\s+", "", cell.text) if cell is not None else ""


def _cells(row: list[Cell | None]) -> list[tuple[int, Cell]]:
    return [(i, c) for i, c in enumerate(row) if c is not None and _text(c)]


def is_form(table: ExtractedTable) -> bool:
    """A project form: a 项目名称 key followed by a name in one of its first rows, and an indicator
    header or a sentence key further down."""
    words = _words()
    named = any(words["name_keys"].match(_text(c)) and i + 1 < len(cells) and not is_number(_text(cells[i + 1][1]))
                for row in table.rows[:4] for cells in [_cells(row)] for i, (_, c) in enumerate(cells))
    body = any(words["indicator_value"].match(_text(c)) or words["text_keys"].match(_text(c))
               for row in table.rows for _, c in _cells(row))
    return named and body


def _header_project(table: ExtractedTable) -> str:
    """The project name of a form whose 项目名称 line was read as the column header (the name printed
    over the value columns: 审计业务经费 over 231_烟台市审计局 | 实施单位), when the body holds the
    indicator block; '' otherwise."""
    words = _words()
    if not any(words["indicator_value"].match(_text(c)) for row in table.rows for _, c in _cells(row)):
        return ""
    tops = [re.sub(r"\s+", "", path[0]) for path in table.columns if len(path) >= 2]
    names = [t for t in dict.fromkeys(tops) if t and not is_number(t) and not re.search(
        r"部门|代码|单位|名称|指标|资金|^项目$", t)]
    return names[0] if len(names) == 1 else ""


def form_facts(document_id: str, table_index: int, table: ExtractedTable) -> list[TableFact]:
    """The facts of a project form (one or several projects in one table); [] when it is no form."""
    project = "" if is_form(table) else _header_project(table)
    if not project and not is_form(table):
        return []
    words = _words()
    facts: list[TableFact] = []
    title = table.title
    unit = table.unit or "万元"
    indicator_cols: dict[int, str] = {}
    value_col: int | None = None
    levels: dict[int, str] = {}

    stage_cols: dict[int, str] = {}  # a self-evaluation form's amount block: column -> 年初预算数 / 全年执行数 …
    result_cols: dict[int, str] = {}  # its indicator block's 实际完成值 / 分值 / 得分 columns

    def add(cell: Cell, label: str, path: tuple[str, ...], column: str | tuple[str, ...], value: Decimal | None,
            fact_unit: str | None) -> None:
        columns = (column,) if isinstance(column, str) else column
        facts.append(TableFact(
            document_id=document_id, table_index=table_index, table_kind=FORM_KIND,
            table_title=title or f"{project}绩效目标表", page=cell.page, row_index=len(facts), row_code=None,
            row_label=label, row_path=path, column_path=columns, value=value, text_value=cell.text.strip(),
            unit=fact_unit, bbox=cell.bbox, line_no=cell.line_no, dimensions=column_dimensions(columns)))

    for row in table.rows:
        cells = _cells(row)
        if not cells:
            continue
        texts = [_text(c) for _, c in cells]
        if len(cells) == 1 and re.search(r"绩效目标表|绩效目标申报表|项目支出表$", texts[0]) and not value_col:
            title = cells[0][1].text.strip()
            continue
        name_at = next((k for k, t in enumerate(texts) if words["name_keys"].match(t)), None)
        if name_at is not None and name_at + 1 < len(cells):
            project = cells[name_at + 1][1].text.strip()
            indicator_cols, value_col, levels = {}, None, {}
            if len(cells) == 2 and not re.search(r"绩效目标", title):
                title = f"{project}绩效目标表"
            continue
        stages = {i: t for (i, _), t in zip(cells, texts, strict=True) if words["money_stage"].match(t)}
        indicators = any(words["indicator_value"].match(t) for t in texts)
        if len(stages) >= 2 and project and not indicators:  # 项目资金（万元）| 年初预算数 | 全年预算数 | …
            stage_cols = stages
            block_unit = _UNIT_IN_KEY.search(cells[0][1].text)
            unit = block_unit.group(1) if block_unit else unit
            continue
        key = re.sub(r"^其中[:：]?|[:：]$", "", texts[0])
        if stage_cols and words["money_keys"].match(key):
            by_col = dict(cells)
            read = {stage: (by_col[col], parse_value(by_col[col].text)[0]) for col, stage in stage_cols.items()
                    if col in by_col and is_number(_text(by_col[col]))}
            for stage, (cell, value) in read.items():
                if stage == "执行率" and not _rate_holds(value, read):
                    continue  # "0.0%" printed beside 751.32 of 1,357.67: no rate of this line
                add(cell, project, (), (key, stage), value,
                    "%" if stage == "执行率" else None if stage in ("分值", "得分") else unit)
        elif not words["money_keys"].match(key):
            stage_cols = {}
        if indicators:
            indicator_cols = {i: t for (i, _), t in zip(cells, texts, strict=True)
                              if words["indicator_header"].match(t)}
            value_col = next(i for (i, _), t in zip(cells, texts, strict=True) if words["indicator_value"].match(t))
            result_cols = {i: t for (i, _), t in zip(cells, texts, strict=True) if words["indicator_result"].match(t)}
            levels = {}
            continue
        if value_col is not None and project:
            by_col = dict(cells)
            for col in sorted(indicator_cols):
                if col in by_col:
                    levels[col] = by_col[col].text.strip()
                    for deeper in [c for c in levels if c > col]:
                        if deeper not in by_col:
                            del levels[deeper]
            cols = sorted(c for c in indicator_cols if c in levels)
            if value_col in by_col and cols and cols[-1] in by_col:
                indicator, path = levels[cols[-1]], (project, *(levels[c] for c in cols[:-1]))
                value, fact_unit = target_value(by_col[value_col].text)
                add(by_col[value_col], indicator, path, "指标值", value, fact_unit)
                for col, name in result_cols.items():  # 实际完成值 366人, 分值 6, 得分 6
                    if col in by_col:
                        value, fact_unit = target_value(by_col[col].text)
                        add(by_col[col], indicator, path, name, value, None if name in ("分值", "得分") else fact_unit)
            continue
        if not project:
            continue
        for k, (col, cell) in enumerate(cells):
            key = texts[k]
            block_unit = _UNIT_IN_KEY.search(cell.text)
            if block_unit:
                unit = block_unit.group(1)
            rest = cells[k + 1:]
            if not rest:
                continue
            if words["money_keys"].match(key) and is_number(_text(rest[0][1])):
                value, _ = parse_value(rest[0][1].text)
                add(rest[0][1], project, (), key, value, unit)
            elif words["text_keys"].match(key) or words["other_keys"].match(key):
                if not words["money_keys"].match(texts[k + 1]) and not words["text_keys"].match(texts[k + 1]):
                    add(rest[0][1], project, (), key, None, None)
    return facts


def _rate_holds(rate: Decimal | None, read: dict[str, tuple[Cell, Decimal | None]]) -> bool:
    """Whether a printed 执行率 is its line's 全年执行数 ÷ 全年预算数 (to the printed rounding)."""
    done = (read.get("全年执行数") or read.get("执行数") or (None, None))[1]
    budget = (read.get("全年预算数") or read.get("预算数") or read.get("年初预算数") or (None, None))[1]
    if rate is None or done is None or not budget:
        return False
    return abs(done / budget * 100 - rate) < Decimal("0.6")
