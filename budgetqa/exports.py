"""Stored tables for people: one table rebuilt from its facts as a frame, written as CSV (UTF-8 with
BOM, so that spreadsheet programs read the Chinese). Whole-library exports for analysts (one row per
fact, document or finding) are `budgetqa/analyst_export.py`.

    frame = table_frame(store, document_id, 3)
    path = write_csv(frame, "普陀区司法局_表4")
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd

from budgetqa.uploads import safe_file_name
from index.store import Store


def table_frame(store: Store, document_id: str, table_index: int) -> pd.DataFrame:
    """One stored table rebuilt from its facts: a row per table row, a column per grid column."""
    table = next((t for t in store.tables(document_id) if t["table_index"] == table_index), None)
    facts = store.facts(document_ids=[document_id], table_index=table_index)
    rows: dict[int, dict[str, str]] = {}
    seen: list[str] = []
    for fact in facts:
        row = rows.setdefault(fact.row_index, {"页码": str(fact.page), "编码": fact.row_code or "",
                                                "项目": fact.row_label})
        shown = fact.text_value if fact.text_value is not None else ("" if fact.value is None else str(fact.value))
        row[fact.column] = shown
        if fact.column not in seen:
            seen.append(fact.column)
    declared = [" > ".join(c) for c in (table or {}).get("columns", [])]
    columns = [c for c in declared if c in seen] + [c for c in seen if c not in declared]
    frame = pd.DataFrame([rows[i] for i in sorted(rows)], columns=["页码", "编码", "项目", *columns])
    return frame.fillna("")


def write_csv(frame: pd.DataFrame, name: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix="budgetqa-csv-"))
    path = folder / f"{safe_file_name(name)}.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
    return str(path)
