"""How much of one text another repeats, used to match stated figures' subjects and long column headers
to the words of a question.

    overlap("编报绩效目标的项目", "有项目编报了绩效目标")   # 8
"""

from __future__ import annotations


def overlap(a: str, b: str, min_length: int = 2) -> int:
    """How much of `a` the text `b` repeats: the summed lengths of common substrings of 2+ characters
    ('编报绩效目标的项目' vs '有项目编报了绩效目标' -> 8)."""
    total = 0
    while True:
        length, start_a, start_b = longest_common(a, b)
        if length < min_length:
            return total
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
