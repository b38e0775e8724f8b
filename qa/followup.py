"""Follow-up questions completed from the question before them: "比去年少了多少？" after
"区政府办2025年三公经费是多少？" asks about the same department, year and item.

    with_context("比去年少了多少？", "区政府办2025年三公经费是多少？", catalog)
"""

from __future__ import annotations

import re

from qa.understand import Catalog, normalize, parse_question

_OPERATION_WORDS = re.compile(
    r"比|去年|上年|上一年|前年|今年|多|少|了|多少|增加|减少|增长|下降|变化|百分之几|百分比|几|呢|吗|？|\?|那|这个|"
    r"和|相比|是|的|占|比例|一共|合计|怎么样|又|还有|分别|\s|＃")


def with_context(question: str, previous: str | None, catalog: Catalog) -> str:
    """A follow-up ("比去年少了多少？") completed from the question before it ("区政府办2025年三公经费是
    多少？" -> "区政府办2025年三公经费比去年少了多少？"): the department, year and item not named again are
    taken from the previous question. A question that names its own is returned unchanged."""
    if not previous:
        return question
    now, before = parse_question(question, catalog), parse_question(previous, catalog)
    if now.departments or now.unknown_department or not before.departments:
        return question
    names = [name for name in catalog.names_in(before.text) if before.departments[0] in catalog.names[name]]
    prefix = max(names, key=len) if names else before.departments[0]
    explicit_years = re.findall(r"20\d{2}年", normalize(question))
    if not explicit_years and before.years:
        prefix += f"{before.years[0]}年"
    if not _OPERATION_WORDS.sub("", now.item_text):  # no item of its own: the previous one is meant
        item = re.sub(r"(是多少|多少|是什么|有哪些|[？?])+$", "", before.item_text.replace("＃", ""))
        prefix += item
    return prefix + question
