"""Page text in reading order, rebuilt from character positions.

pdfplumber groups characters into lines by their top coordinate. Some publishers set the figures of a
sentence in another font (or another text object) a few points off the sentence's baseline; the
figures then land on a line of their own and the sentence loses them ("年初预算为 万元，支出决算为
万元。" above "380.00 450.52"). A line of bare figures whose vertical extent overlaps a line of words
by at least half a line height, and whose characters fall in that line's gaps without colliding, is
part of that printed line: the two are merged and read left to right.

    lines = reading_order_lines(page)   # [(text, (x0, top, x1, bottom)), …]
"""

from __future__ import annotations

import re
from typing import Any

from pdfplumber.utils import extract_text as chars_to_text

MIN_OVERLAP = 0.5  # share of the smaller line height two lines must share to be one printed line
COLLISION = 0.5  # pt: characters overlapping more than this horizontally are on different lines

Line = tuple[str, tuple[float, float, float, float]]
_FIGURES = re.compile(r"^[\d,.，．%％\s-]+$")


def reading_order_lines(page: Any) -> list[Line]:
    """The page's text lines, with figures set off the baseline put back into their sentence."""
    raw = [line for line in page.extract_text_lines(strip=True, return_chars=True) if line["text"].strip()]
    merged: list[dict[str, Any]] = []
    for line in sorted(raw, key=lambda ln: ln["top"]):
        partner = next((m for m in reversed(merged[-3:]) if _same_printed_line(m, line)), None)
        if partner is None:
            merged.append(dict(line))
            continue
        partner["chars"] = partner["chars"] + line["chars"]
        partner["top"], partner["bottom"] = min(partner["top"], line["top"]), max(partner["bottom"], line["bottom"])
        partner["x0"], partner["x1"] = min(partner["x0"], line["x0"]), max(partner["x1"], line["x1"])
        partner["merged"] = True
    out: list[Line] = []
    for line in sorted(merged, key=lambda ln: ln["top"]):
        text = _text(line["chars"]) if line.get("merged") else line["text"]
        out.append((text, (line["x0"], line["top"], line["x1"], line["bottom"])))
    return out


def _same_printed_line(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if not (_FIGURES.match(a["text"]) or _FIGURES.match(b["text"])):
        return False  # only a line of bare figures is taken back into the words beside it
    overlap = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    smaller = min(a["bottom"] - a["top"], b["bottom"] - b["top"])
    if smaller <= 0 or overlap < MIN_OVERLAP * smaller:
        return False
    return not any(ca["x0"] + COLLISION < cb["x1"] and cb["x0"] + COLLISION < ca["x1"]
                   for ca in a["chars"] for cb in b["chars"])


def _text(chars: list[dict[str, Any]]) -> str:
    """One line of text from characters that may sit at different heights: read by x only."""
    flat = [dict(c, top=0.0, bottom=1.0, doctop=0.0) for c in sorted(chars, key=lambda c: c["x0"])]
    return chars_to_text(flat, x_tolerance=3, y_tolerance=3).strip()
