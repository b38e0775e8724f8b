"""Gold table cells read by hand from the corpus, and a check that ingestion reproduces each one.

`tests/gold/cells.jsonl` holds one table cell per line, written by reading the documents (page text
dumped with pdfplumber, 1-based physical pages; .txt and .md are page 1), not by running ingestion:

    {"file": "普陀区人民政府办公室2025年部门预算.pdf", "page": 11, "table": "部门支出预算总表",
     "row_code": "2010301", "row_label": null, "column": "基本支出", "value": "11919501.84", "unit": "元"}

A gold cell is matched by a `TableFact` when the page is the one the cell is printed on, the gold
`table` is a substring of the fact's table title, the row code (or, without a code, the row label)
is equal, the gold `column` is the last element of the fact's column path (and `column_parent`, when
given, is part of the path), and the value is equal as a Decimal (None for a printed-empty cell;
`text` against `text_value` for text cells such as 绩效目标 指标值). Both row_code and row_label null
means the table has a single data row (三公 tables, Jiangsu 支出预算总表): any row matches.
Labels, titles and headers are compared after NFKC, without whitespace and quote marks, because
PDFs wrap header text over lines ("事业单位\\n经营收入") and print （） or () at will.

Run: python -m pytest tests/test_gold_cells.py -q
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from budgetqa.models import IngestedDocument, TableFact

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
GOLD = REPO / "tests" / "gold" / "cells.jsonl"

MIN_ROWS = 1000
MIN_PER_FILE = 25
# Narrative-only publications: their tables were published as a separate PDF (…公开表格.pdf, …报表.pdf).
NO_TABLE_FILES = frozenset({"江苏省委办公厅2019年度部门预算公开文件.pdf", "北京市司法局2026年部门预算.pdf"})
REQUIRED_FIELDS = {"file", "page", "table", "row_code", "row_label", "column", "value", "unit"}
OPTIONAL_FIELDS = {"column_parent", "text"}
UNITS = {"元", "万元", None}
MAX_MISSES_SHOWN = 40


@dataclass(frozen=True)
class GoldCell:
    """One hand-read table cell: where it is printed and what it says."""

    file: str
    page: int
    table: str
    row_code: str | None
    row_label: str | None
    column: str
    column_parent: str | None
    value: str | None
    text: str | None
    unit: str | None
    is_text: bool  # a 指标值-style text cell: compare `text`, not `value`

    def describe(self) -> str:
        row = self.row_code or self.row_label or "<single row>"
        column = f"{self.column_parent} > {self.column}" if self.column_parent else self.column
        shown = self.text if self.is_text else self.value
        return f"{self.file} p{self.page} [{self.table}] {row} | {column} = {shown!r}"


def _norm(text: str | None) -> str:
    """Comparable form of a label, title or header: NFKC, no whitespace, no quote marks."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\"'“”‘’「」]", "", text)


def _corpus_files() -> dict[str, Path]:
    """The disclosures in the corpus by file name (the corpus README is not one)."""
    return {p.name: p for p in CORPUS.rglob("*")
            if p.is_file() and p.suffix in {".pdf", ".txt", ".md"} and p.parent != CORPUS}


def _load_gold() -> list[GoldCell]:
    cells = []
    for line_no, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        missing = REQUIRED_FIELDS - raw.keys()
        unknown = raw.keys() - REQUIRED_FIELDS - OPTIONAL_FIELDS
        assert not missing and not unknown, f"{GOLD.name}:{line_no}: missing {missing}, unknown {unknown}"
        cells.append(GoldCell(
            file=raw["file"], page=raw["page"], table=raw["table"], row_code=raw["row_code"],
            row_label=raw["row_label"], column=raw["column"], column_parent=raw.get("column_parent"),
            value=raw["value"], text=raw.get("text"), unit=raw["unit"], is_text="text" in raw,
        ))
    return cells


GOLD_CELLS = _load_gold()


# ---------------------------------------------------------------- (1) the gold file itself

def test_gold_file_is_well_formed() -> None:
    files = _corpus_files()
    problems = []
    for cell in GOLD_CELLS:
        where = cell.describe()
        if cell.file not in files:
            problems.append(f"unknown file: {where}")
        if not isinstance(cell.page, int) or cell.page < 1:
            problems.append(f"bad page: {where}")
        if files.get(cell.file) and files[cell.file].suffix != ".pdf" and cell.page != 1:
            problems.append(f"text files have one page: {where}")
        if not cell.table.strip() or not cell.column.strip():
            problems.append(f"empty table or column: {where}")
        if cell.row_code is not None and not re.fullmatch(r"\d{3,7}", cell.row_code):
            problems.append(f"row_code must be digits without spaces: {where}")
        if cell.row_code is not None and cell.row_label is not None:
            problems.append(f"give row_code or row_label, not both: {where}")
        if cell.value is not None:
            if "," in cell.value or not re.fullmatch(r"-?\d+(\.\d+)?", cell.value):
                problems.append(f"value must be a plain decimal string: {where}")
        if cell.is_text and cell.value is not None:
            problems.append(f"text cells carry value null: {where}")
        if cell.unit not in UNITS:
            problems.append(f"unit must be 元, 万元 or null: {where}")
    assert not problems, "\n".join(problems)


def test_gold_file_covers_the_corpus() -> None:
    files = _corpus_files()
    per_file = Counter(cell.file for cell in GOLD_CELLS)
    assert len(GOLD_CELLS) >= MIN_ROWS, f"only {len(GOLD_CELLS)} gold cells"
    thin = {name: per_file[name] for name in files if name not in NO_TABLE_FILES and per_file[name] < MIN_PER_FILE}
    assert not thin, f"files with fewer than {MIN_PER_FILE} gold cells: {thin}"
    assert not any(per_file[name] for name in NO_TABLE_FILES), "narrative-only files have no table cells"
    keys = Counter((c.file, c.page, _norm(c.table), c.row_code or _norm(c.row_label), _norm(c.column),
                    _norm(c.column_parent)) for c in GOLD_CELLS)
    duplicates = [key for key, n in keys.items() if n > 1]
    assert not duplicates, f"duplicate gold cells: {duplicates}"


def test_gold_file_covers_the_hard_cases() -> None:
    kinds = {
        "三公 table": [c for c in GOLD_CELLS if "三公" in c.table or "培训费支出预算表" in c.table
                      or "机关运行经费预算表" in c.table],
        "7-digit code": [c for c in GOLD_CELLS if c.row_code and len(c.row_code) == 7],
        "row without code": [c for c in GOLD_CELLS if c.row_code is None and c.row_label],
        "printed-empty cell": [c for c in GOLD_CELLS if c.value is None and not c.is_text],
        "指标值 text": [c for c in GOLD_CELLS if c.is_text and c.text],
        "万元 cell": [c for c in GOLD_CELLS if c.unit == "万元"],
        "元 cell": [c for c in GOLD_CELLS if c.unit == "元"],
        "txt file": [c for c in GOLD_CELLS if c.file.endswith(".txt")],
        "md file": [c for c in GOLD_CELLS if c.file.endswith(".md")],
    }
    empty = [kind for kind, cells in kinds.items() if len(cells) < 5]
    assert not empty, f"too few gold cells for: {empty}"
    for label in ("收入总计", "一、财政拨款收入", "合计"):
        assert any(c.row_label == label for c in GOLD_CELLS), f"no gold cell in row {label}"
    for column in ("因公出国(境)费", "公务接待费", "购置费", "运行费"):
        assert any(_norm(c.column) == _norm(column) for c in GOLD_CELLS), f"no gold cell in column {column}"


# ---------------------------------------------------------------- (2) ingestion reproduces it

_DOCUMENTS: dict[str, IngestedDocument] = {}


@pytest.fixture(scope="module")
def ingested(corpus_documents) -> dict[str, IngestedDocument]:  # type: ignore[no-untyped-def]
    """Every corpus file, read once per test session (the conftest fixture)."""
    _DOCUMENTS.update(corpus_documents)
    return _DOCUMENTS


def _same_row(cell: GoldCell, fact: TableFact) -> bool:
    if cell.row_code is not None:
        return fact.row_code == cell.row_code
    if cell.row_label is not None:
        return _norm(fact.row_label) == _norm(cell.row_label)
    return True  # single-row table


def _same_column(cell: GoldCell, fact: TableFact) -> bool:
    if not fact.column_path or _norm(fact.column_path[-1]) != _norm(cell.column):
        return False
    if cell.column_parent is None:
        return True
    parent = _norm(cell.column_parent)
    return any(parent and parent in _norm(part) for part in fact.column_path[:-1])


def _same_content(cell: GoldCell, fact: TableFact) -> bool:
    if cell.is_text:
        if cell.text is None:
            return fact.value is None and not (fact.text_value or "").strip()
        return re.sub(r"\s", "", fact.text_value or "") == re.sub(r"\s", "", cell.text)
    if cell.value is None:
        return fact.value is None
    return fact.value is not None and fact.value == Decimal(cell.value)


def _placed_like(cell: GoldCell, fact: TableFact) -> bool:
    """Same page, table, row and column: the fact that should carry the gold value.

    Only table facts count (narrative facts have table_index -1): the gold cells are table cells.
    """
    return (fact.table_index >= 0 and fact.page == cell.page and _norm(cell.table) in _norm(fact.table_title)
            and _same_row(cell, fact) and _same_column(cell, fact))


def _hint(cell: GoldCell, facts: list[TableFact]) -> str:
    """What ingestion produced near a missed cell, to show why it was missed."""
    placed = [f for f in facts if _placed_like(cell, f)]
    if placed:
        return "value differs: " + ", ".join(f"{f.value}/{f.text_value!r}" for f in placed[:3])
    same_row = [f for f in facts if f.page == cell.page and _same_row(cell, f)
                and _norm(cell.table) in _norm(f.table_title)]
    if same_row:
        return "row found, columns: " + "; ".join(
            f"{'>'.join(f.column_path)}={f.value}" for f in same_row[:6])
    same_table = [f for f in facts if _norm(cell.table) in _norm(f.table_title)]
    if same_table:
        pages = sorted({f.page for f in same_table})
        return f"table found on pages {pages}, row not on p{cell.page}"
    titles = sorted({f.table_title for f in facts if f.page == cell.page})
    return f"no table titled like it; titles on p{cell.page}: {titles[:4]}"


def _match_report(ingested: dict[str, IngestedDocument]) -> tuple[int, list[str], Counter, Counter]:
    hits, misses = 0, []
    per_file_total, per_file_hit = Counter(), Counter()
    for cell in GOLD_CELLS:
        facts = ingested[cell.file].facts
        per_file_total[cell.file] += 1
        if any(_placed_like(cell, f) and _same_content(cell, f) for f in facts):
            hits += 1
            per_file_hit[cell.file] += 1
        else:
            misses.append(f"{cell.describe()}  -> {_hint(cell, facts)}")
    return hits, misses, per_file_hit, per_file_total


def test_ingestion_reproduces_every_gold_cell(ingested: dict[str, IngestedDocument]) -> None:
    hits, misses, per_file_hit, per_file_total = _match_report(ingested)
    breakdown = "\n".join(
        f"  {per_file_hit[name]:>3}/{total:<3} {per_file_hit[name] / total:6.1%}  {name}"
        for name, total in sorted(per_file_total.items()))
    shown = "\n".join(f"  {m}" for m in misses[:MAX_MISSES_SHOWN])
    more = f"\n  … and {len(misses) - MAX_MISSES_SHOWN} more" if len(misses) > MAX_MISSES_SHOWN else ""
    assert not misses, (
        f"gold cells matched: {hits}/{len(GOLD_CELLS)} ({hits / len(GOLD_CELLS):.1%})\n"
        f"per file:\n{breakdown}\nmissed:\n{shown}{more}")


def test_matched_gold_cells_carry_the_table_unit(ingested: dict[str, IngestedDocument]) -> None:
    wrong = []
    for cell in GOLD_CELLS:
        if cell.unit is None:
            continue
        facts = [f for f in ingested[cell.file].facts if _placed_like(cell, f) and _same_content(cell, f)]
        if facts and all(f.unit != cell.unit for f in facts):
            wrong.append(f"{cell.describe()}: unit {facts[0].unit!r}, printed {cell.unit!r}")
    assert not wrong, f"{len(wrong)} cells with the wrong unit:\n" + "\n".join(wrong[:MAX_MISSES_SHOWN])


def test_narrative_only_file_yields_no_table_facts(ingested: dict[str, IngestedDocument]) -> None:
    for name in NO_TABLE_FILES:
        table_facts = [f for f in ingested[name].facts if f.table_index >= 0]
        assert not table_facts, (f"{name} prints no tables, yet ingestion made {len(table_facts)} table facts, "
                                 f"e.g. {table_facts[0].table_title!r} p{table_facts[0].page}")


# ---------------------------------------------------------------- (3) known extraction gaps

GAPS = REPO / "tests" / "gold" / "known_gaps.jsonl"


def _load_gaps() -> list[GoldCell]:
    cells = []
    for line in GAPS.read_text(encoding="utf-8").splitlines() if GAPS.exists() else []:
        if line.strip():
            raw = json.loads(line)
            cells.append(GoldCell(
                file=raw["file"], page=raw["page"], table=raw["table"], row_code=raw["row_code"],
                row_label=raw["row_label"], column=raw["column"], column_parent=raw.get("column_parent"),
                value=raw["value"], text=raw.get("text"), unit=raw["unit"], is_text="text" in raw))
    return cells


def test_known_gaps_are_listed_apart_and_still_open(ingested: dict[str, IngestedDocument]) -> None:
    """Hand-read cells that ingestion does not reproduce yet (form-like 绩效 tables, a value printed
    in another column than its label). They are not counted as matched; when one starts matching,
    this test fails so that it is moved into cells.jsonl and stays covered from then on."""
    gaps = _load_gaps()
    fixed = [c.describe() for c in gaps
             if any(_placed_like(c, f) and _same_content(c, f) for f in _DOCUMENTS[c.file].facts)]
    assert not fixed, "now reproduced, move to cells.jsonl:\n" + "\n".join(fixed)
    assert len(gaps) <= 0.02 * (len(gaps) + len(GOLD_CELLS)), "known gaps must stay a small minority"

