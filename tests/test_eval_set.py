"""Validate the evaluation set eval/sets/budgetqa.jsonl against the format and the real documents.

Checks: JSON per line, required fields, exactly one answer shape, unique ids, allowed kinds and
units, evidence documents present in the corpus with pages in range, numeric lookup (and "stated")
answers printed on a cited page in some spelling (as written, with thousands separators, or
converted between 元 and 万元), inputs of "computed" answers printed on the cited pages, and
`contains` strings present on a cited page after whitespace removal and full-width mapping.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import pdfplumber
import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SET_PATH = REPO / "eval" / "sets" / "budgetqa.jsonl"

KINDS = {"lookup", "compute", "compare", "narrative", "unanswerable"}
MONEY_UNITS = {"元", "万元", "亿元"}
# count units as printed ("a count unit such as 个, 人, 辆, 家, 项" in eval-format.md)
# units that do not convert: a share (%), counts, a ratio ("是…的几倍": 倍), a score (分) and a duration (小时)
OTHER_UNITS = {"%", "倍", "个", "人", "辆", "家", "项", "台", "人次", "台（套）", "套", "次", "件", "期", "本", "集", "名", "场次", "分", "小时"}
REQUIRED = {"id", "question", "answer", "kind"}
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# Numbers in a "computed:" note that are operators, not document figures.
NOTE_CONSTANTS = {Decimal(100), Decimal(10000), Decimal(2), Decimal(4)}


def _load_rows() -> list[dict]:
    """Parse every non-empty line with Decimal floats so written trailing zeros survive."""
    rows = []
    for lineno, line in enumerate(SET_PATH.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:  # pragma: no cover - reported by test_lines_are_json
            raise AssertionError(f"line {lineno} is not valid JSON: {exc}") from exc
        row["_line"] = lineno
        rows.append(row)
    return rows


ROWS = _load_rows()
CORPUS_FILES = {p.name: p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md"}


@lru_cache(maxsize=None)
def page_texts(document: str) -> tuple[str, ...]:
    """Text of each physical page (PDF via pdfplumber; .txt/.md are one page)."""
    path = CORPUS_FILES[document]
    if path.suffix.lower() == ".pdf":
        with pdfplumber.open(path) as pdf:
            return tuple(page.extract_text() or "" for page in pdf.pages)
    return (path.read_text(encoding="utf-8"),)


def normalise(text: str) -> str:
    """Remove whitespace and map full-width forms to half-width (NFKC, as the reference scorer)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=None)
def page_numbers(document: str, page: int) -> frozenset[Decimal]:
    """All numbers printed on a page (read both with and without whitespace removal)."""
    text = page_texts(document)[page - 1]
    found: set[Decimal] = set()
    for variant in (text, normalise(text)):
        for match in NUMBER.finditer(variant):
            try:
                found.add(Decimal(match.group().replace(",", "")))
            except InvalidOperation:
                continue
    return frozenset(found)


def half_unit(value: Decimal) -> Decimal:
    """Half of the last written decimal place (867.50 -> 0.005, 839 -> 0.5)."""
    exponent = value.as_tuple().exponent
    return Decimal(1).scaleb(min(int(exponent), 0)) / 2


def printed_on(value: Decimal, unit: str, pages: list[tuple[str, int]]) -> bool:
    """True when `value` (in `unit`) is printed on one of `pages` in some spelling."""
    tolerance = half_unit(value)
    for document, page in pages:
        for number in page_numbers(document, page):
            if abs(number - value) <= tolerance:
                return True  # as printed, or printed with more decimals than the answer keeps (5,138.633453)
            if unit == "万元" and abs(number / 10000 - value) <= tolerance:
                return True  # table in 元, answer in 万元
            if unit == "元" and abs(number * 10000 - value) <= tolerance:
                return True  # figure printed in 万元, answer in 元
    return False


def cited(row: dict) -> list[tuple[str, int]]:
    return [(e["document"], e["page"]) for e in row.get("evidence", [])]


def row_id(row: dict) -> str:
    return str(row.get("id", f"line{row['_line']}"))


def test_set_size_and_kinds():
    counts = Counter(r["kind"] for r in ROWS)
    assert len(ROWS) >= 260, counts
    assert counts["unanswerable"] >= 35, counts
    for kind in KINDS:
        assert counts[kind] >= 25, counts


def test_ids_unique():
    ids = Counter(r.get("id") for r in ROWS)
    assert not [i for i, n in ids.items() if n > 1]


def test_every_corpus_file_is_covered():
    used = {e["document"] for r in ROWS for e in r.get("evidence", [])}
    assert set(CORPUS_FILES) == used, set(CORPUS_FILES) ^ used
    lookups = {e["document"] for r in ROWS if r["kind"] == "lookup" for e in r["evidence"]}
    assert set(CORPUS_FILES) == lookups


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_row_shape(row):
    missing = REQUIRED - row.keys()
    assert not missing, missing
    assert isinstance(row["id"], str) and re.fullmatch(r"[a-z0-9][a-z0-9-]*", row["id"])
    assert isinstance(row["question"], str) and row["question"].strip()
    assert row["kind"] in KINDS
    answer = row["answer"]
    shapes = [k for k in ("value", "contains", "none") if k in answer]
    assert len(shapes) == 1, answer
    if "value" in answer:
        assert set(answer) == {"value", "unit"}, answer
        assert isinstance(answer["value"], (int, Decimal)) and not isinstance(answer["value"], bool)
        assert answer["unit"] in MONEY_UNITS | OTHER_UNITS, answer["unit"]
    elif "contains" in answer:
        assert set(answer) == {"contains"}
        strings = answer["contains"]
        assert 1 <= len(strings) <= 3 and all(isinstance(s, str) and s.strip() for s in strings)
    else:
        assert answer == {"none": True}
    assert (row["kind"] == "unanswerable") == ("none" in answer)
    if "none" not in answer:
        assert row.get("evidence"), "answerable questions need evidence"
    if "note" in row:
        assert isinstance(row["note"], str)


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_evidence_points_at_real_pages(row):
    for document, page in cited(row):
        assert document in CORPUS_FILES, document
        assert "/" not in document
        assert isinstance(page, int) and 1 <= page <= len(page_texts(document)), (document, page)


NUMERIC_PRESENT = [
    r for r in ROWS
    if "value" in r["answer"] and (r["kind"] == "lookup" or r.get("note", "").startswith("stated"))
]


@pytest.mark.parametrize("row", NUMERIC_PRESENT, ids=row_id)
def test_numeric_answer_is_printed_on_a_cited_page(row):
    value = Decimal(row["answer"]["value"])
    assert printed_on(value, row["answer"]["unit"], cited(row)), (value, cited(row))


COMPUTED = [r for r in ROWS if "value" in r["answer"] and r.get("note", "").startswith("computed")]


@pytest.mark.parametrize("row", COMPUTED, ids=row_id)
def test_computed_inputs_are_printed_on_cited_pages(row):
    formula = row["note"].split(":", 1)[1]
    formula = re.sub(r"\([^)]*[\u4e00-\u9fff][^)]*\)", "", formula)  # drop Chinese remarks
    inputs = [Decimal(m.replace(",", "")) for m in NUMBER.findall(formula)]
    inputs = [n for n in inputs if n not in NOTE_CONSTANTS] or inputs  # (2.00 ÷ 100: the inputs are printed ones)
    assert inputs, row["note"]
    for number in inputs:
        unit = "元" if number >= 1_000_000 else "万元"
        assert printed_on(number, unit, cited(row)), (number, cited(row))


CONTAINS = [r for r in ROWS if "contains" in r["answer"]]


@pytest.mark.parametrize("row", CONTAINS, ids=row_id)
def test_contains_strings_occur_on_a_cited_page(row):
    pages = [normalise(page_texts(d)[p - 1]) for d, p in cited(row)]
    for string in row["answer"]["contains"]:
        assert any(normalise(string) in text for text in pages), string
