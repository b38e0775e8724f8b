"""The page number a PDF page prints (its 页码), read from a short line of only the number in the header
or footer margin, outside any ruled table. The accepted forms and the margin are data:
`ingest/data/page_numbers.toml`.

    printed_page_number(page_lines, page.height, [fragment.bbox for fragment in fragments])  # "8" or None
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from budgetqa.models import BBox
from ingest.pdf_grid import PageLine

DATA = Path(__file__).parent / "data" / "page_numbers.toml"


@lru_cache(maxsize=1)
def _rules() -> tuple[float, tuple[re.Pattern[str], ...]]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    return float(data["margin"]), tuple(re.compile(p["regex"]) for p in data["pattern"])


def printed_number(text: str) -> str | None:
    """The page number a header/footer line prints ("- 5 -" -> "5", "第 12 页" -> "12"), or None."""
    _, patterns = _rules()
    text = text.strip()
    for pattern in patterns:
        match = pattern.match(text)
        if match:
            return str(int(match.group("number")))
    return None


def printed_page_number(lines: list[PageLine], page_height: float, tables: list[BBox]) -> str | None:
    """The number the page prints in its footer (tried first) or header, None when it prints none."""
    margin, _ = _rules()
    if page_height <= 0:
        return None
    footer = [ln for ln in lines if ln.bbox[1] >= (1 - margin) * page_height and ln.bbox[3] <= page_height]
    header = [ln for ln in lines if ln.bbox[3] <= margin * page_height and ln.bbox[1] >= 0]
    for line in [*reversed(footer), *header]:
        if any(_inside(line.bbox, table) for table in tables):
            continue
        number = printed_number(line.text)
        if number is not None:
            return number
    return None


def _inside(box: BBox, table: BBox) -> bool:
    mid_x, mid_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return table[0] <= mid_x <= table[2] and table[1] <= mid_y <= table[3]
