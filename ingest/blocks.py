"""A table that prints a second header row part-way down, read as blocks, each under its own header: the
部门整体支出绩效目标表 opens with its funding lines under 部门名称 | 总体资金情况 and then heads its indicators
活动 | 绩效指标 | 指标性质 | 指标值 | 度量单位 (the header words are `[inner_header]` in ingest/data/tables.toml).

    for block in header_blocks(table): facts += table_facts(document_id, index, block)
"""

from __future__ import annotations

import re
from dataclasses import replace

from budgetqa.models import Cell, ExtractedTable
from ingest.tables import rules


def header_blocks(table: ExtractedTable) -> list[ExtractedTable]:
    """The table itself, or its blocks when a row part-way down is a header of its own (the rows above keep
    the table's header; a block keeps the columns its header names or its rows fill)."""
    words, least = re.compile(rules()["inner_header"]["words"]), rules()["inner_header"]["min_cells"]
    printed = {re.sub(r"\s", "", part) for path in table.columns for part in path}
    for at, row in enumerate(table.rows):
        texts = [re.sub(r"\s", "", cell.text) for cell in row if cell is not None and cell.text.strip()]
        headers = [text for text in texts if words.fullmatch(text)]
        if at == 0 or len(headers) < least or len(headers) != len(texts) \
                or set(headers) <= printed:
            continue
        below = table.rows[at + 1:]
        # the block's columns: those its header names or its rows fill (a header cell spanning two grid
        # columns leaves the second empty all the way down)
        kept = [j for j, cell in enumerate(row) if (cell is not None and cell.text.strip())
                or any(j < len(r) and r[j] is not None and r[j].text.strip() for r in below)]
        columns = [(re.sub(r"\s", "", row[j].text),) if row[j] is not None else ("",) for j in kept]
        rows = [[r[j] if j < len(r) else None for j in kept] for r in below]
        rest = replace(table, columns=columns, rows=rows, pages=_pages(rows) or table.pages)
        return [replace(table, rows=table.rows[:at])] + header_blocks(rest)
    return [table]


def _pages(rows: list[list[Cell | None]]) -> list[int]:
    return sorted({cell.page for row in rows for cell in row if cell is not None})
