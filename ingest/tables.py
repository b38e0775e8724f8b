"""Tables by meaning: a canonical kind per table title and canonical dimensions per column, from the
rules of `data/tables.toml` (kept as data so that a budget expert can review and extend them).

    table_kind("2026年部门收支总体情况表")                   # '收支预算总表'
    column_dimensions(("本年支出", "基本支出", "人员经费"))   # {'side': '支出', 'nature': '人员经费'}
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "tables.toml"
UNMAPPED = "unmapped"


@lru_cache(maxsize=1)
def rules() -> dict:
    """The parsed rules file (cached)."""
    with DATA.open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=1)
def _kind_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(entry["pattern"]), entry["kind"]) for entry in rules()["table_kind"])


@lru_cache(maxsize=1)
def _dimension_words() -> tuple[tuple[str, tuple[tuple[str, re.Pattern[str]], ...]], ...]:
    return tuple((entry["name"], tuple((value, re.compile(pattern)) for value, pattern in entry["words"]))
                 for entry in rules()["dimension"])


def table_kind(title: str) -> str:
    """Canonical kind of a table from its printed title; '其他' when no rule knows it."""
    compact = re.sub(r"\s+", "", re.sub(r"^(公开\s*\d+\s*表|预算\s*\d+\s*表|表\s*[\d一二三四五六七八九十]+)\s*", "", title))
    compact = re.sub(r"^\d{4}年度?", "", compact)
    for pattern, kind in _kind_patterns():
        if pattern.search(compact):
            return kind
    return "其他"


@lru_cache(maxsize=4096)
def column_dimensions(column_path: tuple[str, ...]) -> dict[str, str]:
    """Canonical dimensions of a column from its printed header path. A path no rule knows maps to
    {'unmapped': '<printed path>'}: never guessed."""
    dims: dict[str, str] = {}
    for header in column_path:
        text = re.sub(r"\s+", "", header).replace("：", "").replace("其中", "")
        for name, words in _dimension_words():
            for value, pattern in words:
                if pattern.search(text):
                    if not (name == "fund" and value == "合计" and name in dims):
                        dims[name] = value  # 小计 under 一般公共预算拨款 is that fund's subtotal
                    break
    if not dims and column_path:
        dims[UNMAPPED] = ">".join(column_path)
    return dims
