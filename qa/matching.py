"""How much of one text another repeats, used to match stated figures' subjects and long column headers
to the words of a question.

    overlap("编报绩效目标的项目", "有项目编报了绩效目标")   # 8
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from budgetqa.models import TableFact


@dataclass
class Match:
    """A fact chosen for a question, with why (the item name shown to the user)."""

    fact: TableFact
    item: str
    score: float


def uncovered(a: str, b: str, min_length: int = 2) -> str:
    """What is left of `b` once every common substring of 2+ characters with `a` is removed
    ('收入预算' vs '其他收入预算是多少' -> '其他是多少')."""
    return _take_common(a, b, min_length)[1]


def overlap(a: str, b: str, min_length: int = 2) -> int:
    """How much of `a` the text `b` repeats: the summed lengths of common substrings of 2+ characters
    ('编报绩效目标的项目' vs '有项目编报了绩效目标' -> 8)."""
    return _take_common(a, b, min_length)[0]


def _take_common(a: str, b: str, min_length: int) -> tuple[int, str]:
    """Takes the longest common substring out of both texts until none of `min_length` is left: the
    summed length taken, and what is left of `b`."""
    total = 0
    while True:
        length, start_a, start_b = longest_common(a, b)
        if length < min_length:
            return total, b.replace("\1", "")
        total += length
        a = a[:start_a] + "\0" + a[start_a + length:]
        b = b[:start_b] + "\1" + b[start_b + length:]


def longest_common(a: str, b: str) -> tuple[int, int, int]:
    best = (0, 0, 0)
    previous = [0] * (len(b) + 1)
    for i, ch in enumerate(a, start=1):
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if ch == other:
                current[j] = previous[j - 1] + 1
                if current[j] > best[0]:
                    best = (current[j], i - current[j], j - current[j])
        previous = current
    return best


def names_unit(name: str, label: str) -> bool:
    """Whether a printed row label is the budget unit a question names: the name inside it (the label's
    city dropped when the name has none), or a short form of it (its characters in order, close
    together) with the same two-character ending."""
    label = re.sub(r"\s", "", label)
    for form in dict.fromkeys((label, re.sub(r"^[^省市区县]{2,4}?(省|市|区|县)(?=.{4,})", "", label))):
        if name in form:
            if form.startswith(name) or form.endswith(name) or len(form) - len(name) <= 4:
                return True
        elif form[-2:] == name[-2:] and abbreviates(name, form) and \
                len(name) >= (0.45 if form[-3:] == name[-3:] else 0.6) * len(form):
            return True
    return False


def abbreviates(short: str, text: str) -> bool:
    """`short`'s characters in order within a window of twice its length somewhere in `text`."""
    for start in (i for i, ch in enumerate(text) if ch == short[0]):
        window, position = text[start:start + 2 * len(short)], 0
        for ch in window:
            if position < len(short) and ch == short[position]:
                position += 1
        if position == len(short):
            return True
    return False


def shortened_in(label: str, text: str) -> int:
    """The length of the longest run of `text` that spells `label` with words left out: its first and last
    two characters, the rest in order, at least 70% of it ("云客服外包项目" for 云客服服务外包项目); 0 if none."""
    if len(label) < 6:
        return 0
    best = 0
    start = text.find(label[:2])
    while start >= 0:
        position, end = 0, start
        while end < len(text) and position < len(label):
            found = label.find(text[end], position)
            if found < 0:
                break
            position, end = found + 1, end + 1
            if position == len(label) and end - start >= 0.7 * len(label):
                best = max(best, end - start)
        start = text.find(label[:2], start + 1)
    return best if best < len(label) else 0

