"""Fragments of successive pages -> whole tables: a titled fragment starts a table; a fragment
without a title (or reprinting the same title and header) continues the one before, its columns
mapped by position; a label cut by the page break is joined back.

    builder = Builder(); add_fragment(builder, fragment); builder.tables
"""

from __future__ import annotations

from dataclasses import dataclass, field

from budgetqa.models import Cell, ExtractedTable
from ingest.pdf_grid import CJK_GAP, SNAP, Fragment
from ingest.pdf_headers import AMOUNT, CODE, ENUMERATED, INDICATOR_HEAD, Shape, shape_of


@dataclass
class Builder:
    """Tables being assembled across pages."""

    tables: list[ExtractedTable] = field(default_factory=list)
    col_x: list[list[float]] = field(default_factory=list)
    filled: set[Cell] = field(default_factory=set)


def add_fragment(builder: Builder, fragment: Fragment) -> None:
    """Start a new table, or append a titleless fragment to the table it continues."""
    shape = shape_of(fragment)
    if fragment.title is not None and builder.tables and _repeats_title(builder.tables[-1], fragment, shape):
        if _continue_table(builder, fragment, shape):
            return  # a continuation page that reprints the title and header (烟台, 佛山, 宣传部 layouts)
    if fragment.title is None and builder.tables:
        if _continue_table(builder, fragment, shape):
            return
        if shape.header_rows and _continue_table(builder, fragment, shape_of(fragment, header_rows=0)):
            return
    note = fragment.note
    if not shape.rows and note is None:
        note = "本表无数据行"
    builder.tables.append(ExtractedTable(
        title=full_title(fragment, shape),
        unit=fragment.unit,
        pages=[fragment.page],
        columns=shape.columns,
        rows=shape.rows,
        title_bbox=fragment.title_bbox,
        note=note,
    ))
    builder.col_x.append(shape.col_x)
    builder.filled |= shape.filled


def _repeats_title(previous: ExtractedTable, fragment: Fragment, shape: Shape) -> bool:
    """The next page reprints the previous table's title and header: the same table goes on."""
    same_title = CJK_GAP.sub("", previous.title).replace(" ", "") == full_title(fragment, shape).replace(" ", "")
    return (same_title and fragment.page - previous.pages[-1] == 1 and shape.columns == previous.columns
            and fragment.unit in (None, previous.unit))


def full_title(fragment: Fragment, shape: Shape) -> str:
    """The printed title, else the heading above; 绩效目标 tables are named after their project."""
    title = fragment.title or fragment.heading or ""
    indicators = any(INDICATOR_HEAD.search(part) for path in shape.columns for part in path)
    if (indicators or "绩效" in title) and fragment.project and fragment.project not in title:
        title = f"{fragment.project} {title or '绩效目标'}"
    return title


def _continue_table(builder: Builder, fragment: Fragment, shape: Shape) -> bool:
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
        full = shape_of(fragment, shape.header_rows, keep_empty=True)
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
        if (above is None or above not in filled or AMOUNT.match(text.replace(" ", "")) or CODE.match(text)
                or ENUMERATED.match(text) or AMOUNT.match(above.text.replace(" ", "")) or len(text) > 8):
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


def _column_map(previous_x: list[float], shape: Shape) -> list[int | None] | None:
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
