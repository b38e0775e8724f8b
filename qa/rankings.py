"""Rankings: one item's values ranked over departments or years, items a question lists ranked, and the
spread between a ranking's ends ("最多的比最少的多多少"), each value cited.

    names = ranked_names("＃＃A、B、C三个项目里最多的")      # ["A", "B", "C"]
    answer = ranked_sides(query, [((dep, year), evidence), …])
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from budgetqa.models import Answer
from qa.answer import Evidence, cite, convert, fmt
from qa.understand import Query

# "最多的比最少的多多少": the spread between the two ends of a ranking, not either end
# ("最高的一年比最低的一年多多少", "最多的部门和最少的部门相差多少": what is ranked may follow 的)
SPREAD = re.compile(r"最(多|高|大)的?[\u4e00-\u9fa5]{0,4}?(比|和|与|跟)最(少|低|小)的?.{0,6}(多|高|大|相差|差)|"
                    r"最(少|低|小)的?[\u4e00-\u9fa5]{0,4}?(比|和|与|跟)最(多|高|大)的?.{0,6}(少|低|小|相差|差)")


def spread(query: Query, items: Sequence[tuple[str, Evidence]], scope: str) -> Answer:
    """Highest minus lowest of the ranked items, both cited, the arithmetic shown."""
    ordered = sorted(items, key=lambda x: convert(x[1].value, x[1].unit, "元"))  # type: ignore[arg-type]
    (low_name, low), (high_name, high) = ordered[0], ordered[-1]
    unit = "元" if low.unit == high.unit == "元" else "万元"
    a, b = convert(high.value, high.unit, unit), convert(low.value, low.unit, unit)  # type: ignore[arg-type]
    delta = a - b
    lines = [f"{i + 1}. {name}：{fmt(e.value, e.unit)}" for i, (name, e) in enumerate(reversed(ordered))]  # type: ignore[arg-type]
    text = (f"{scope}最多的是{high_name}（{fmt(a, unit)}），最少的是{low_name}（{fmt(b, unit)}），"
            f"相差{fmt(delta, unit)}。\n" + "\n".join(lines))
    return Answer(query.question, text, True, "compute", delta, unit,
                  [cite(f, e.doc) for _, e in reversed(ordered) for f in e.facts[:1]],
                  computation=f"{fmt(a)} − {fmt(b)} = {fmt(delta)}{unit}")


def ranked_sides(query: Query, found: Sequence[tuple[tuple[str, int | None], Evidence]]) -> Answer:
    """One item's values for several departments or years, most (or least) first, each cited."""
    if SPREAD.search(query.text):
        return spread(query, [(f"{d}{y}年", e) for (d, y), e in found], "")
    found = sorted(found, key=lambda x: convert(x[1].value, x[1].unit, "元"), reverse=query.rank_desc)  # type: ignore[arg-type]
    (dep, year), top = found[0]
    lines = [f"{d}{y}年：{fmt(e.value, e.unit)}" for (d, y), e in found]  # type: ignore[arg-type]
    return Answer(query.question, f"{dep}{year}年{top.item}最" + ("多" if query.rank_desc else "少")
                  + f"，为{fmt(top.value, top.unit)}。\n" + "\n".join(lines), True, "compute", top.value, top.unit,  # type: ignore[arg-type]
                  [cite(f, e.doc) for _, e in found for f in e.facts],
                  chart=[{"label": f"{d}{y}", "value": float(convert(e.value, e.unit, "万元")), "unit": "万元"}  # type: ignore[arg-type]
                         for (d, y), e in found])


def ranked_names(item_text: str) -> list[str]:
    """The items a ranking question lists before its scope ("A、B、C三个项目里最多的" -> [A, B, C])."""
    listed = re.search(r"[（(]([^（）()]+?、[^（）()]+)[）)](?:里|中|之中|当中)", item_text)
    if listed:  # "几个科目（一般公共服务、社会保障和就业、卫生健康）里"
        parts = [p.strip("＃的，, ") for p in listed.group(1).split("、")]
        return parts if len(parts) >= 2 and all(len(p) >= 2 for p in parts) else []
    scope = re.search(r"^[＃的，,\s]*(.+?)(?:这)?[两二三四五六七八九十\d]*(?:个|项)(?:项目|科目|经费|支出)?"
                      r"(?:里|中|之中|当中|[，,]?(?=最|哪))", item_text)
    if not scope:
        return []
    body = re.split(r"[，,]", scope.group(1))[-1]  # ("一般公共预算当年拨款中，A、B、C三项": the list after the scope)
    # (a list written with 、 keeps the 和/及 inside its names: 公务用车购置及运行费)
    parts = [p.strip("＃的，, ") for p in re.split(r"、|[和与及](?=[^、]*$)" if "、" in body else r"[和与及]|以及", body)]
    return parts if len(parts) >= 2 and all(len(p) >= 2 for p in parts) else []
