"""What a question asks to be done (value, difference, growth, share, sum, ranking, ratio, execution rate,
count) and which route answers it (table facts, passages, or both), from its wording.

    operation, rank_n, descending = operation_of("三公经费比去年少了多少？", years=[2025], departments=["区政府办"])
    route = route_of(text, operation)
"""

from __future__ import annotations

import re

CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

_NUMERIC_CUES = re.compile(
    r"多少|(?<!哪)几[个项家人辆]?|金额|数额|预算数|决算数|是多少|占比|比例|比重|百分之|增长率|增幅|降幅|"
    r"多还是少|哪个.{0,6}(多|高|大|少|低)|最(多|少|高|低|大|小)|总额|总计|合计|一共|共计|加起来|差额|相差|"
    r"安排了?多少|花了?多少|预算(是|为)(多少|\d)|排名|排序|前[一二三四五六七八九十\d]")
_NARRATIVE_CUES = re.compile(
    r"什么|哪些|为什么|原因|如何|怎样|怎么|做什么|干什么|职能|职责|内容|概述|介绍|说明了?|何时|什么时候|"
    r"依据|目标|主体|包括|构成|机构设置|实施周期|实施方案|用途|用于|是否|有没有|哪里|谁|哪个|哪家|哪儿|何|哪[两几一]")
def then_previous(text: str) -> re.Match[str] | None:
    """"…比上年少了，那上一年这个科目是多少": after a change the question names without its amount, it asks
    for last year's figure itself (a change it states with its amount is derived by the given-change rule)."""
    if re.search(r"(增加|减少|增长|下降|多|少)了?\s*[\d,.]+\s*(万元|元|亿元|%)", text):
        return None
    return re.search(r"[，,](?:那么?|则|请问)?[^，,。比较]{0,6}?(?:上一年|上年|去年)[^，,。比较]{0,16}?(?:是|为|有)?多少", text)


ASKS_EXECUTION = re.compile(r"执行率|完成率|完成了?(年初|全年|调整)?预算的?(百分之|多少|几成|比例|%)|"
                            r"决算数?(是|占|为)?(年初|全年|调整)?预算数?的?(百分之|多少|几成|比例|%)")


def operation_of(text: str, years: list[int], departments: list[str]) -> tuple[str, int, bool]:
    rank = re.search(r"(最多|最大|最高|最少|最小|最低|排名|排序|前([一二三四五六七八九十\d]+)(名|个|项|位)?)", text)
    if rank:
        n_text = rank.group(2) or "1"
        n = int(n_text) if n_text.isdigit() else CN_DIGITS.get(n_text, 1)
        desc = not re.search(r"最少|最小|最低", text)
        return "rank", n, desc
    if ASKS_EXECUTION.search(text):
        return "execution", 1, True
    if re.search(r"(几|多少)倍", text):  # "人员经费是公用经费的几倍"
        return "ratio", 1, True
    if re.search(r"增长率|增幅|降幅|增长(了)?(百分之)?多少%|(增长|下降|降低|减少|增加)(了)?(百分之|多少百分比|几个百分点)|变化率|增减率|"
                 r"(增长|增加|下降|降低|减少|变化)了?多少[？?]?[（(]([%％]|百分比|百分之几)[）)]|(增长|增加|下降|降低|减少|变动|变化)的?幅度",
                 text):
        return "growth", 1, True
    if re.search(r"占.{0,40}?(比例|比重|多少|百分之|几成|%)|占比|比例是|百分比|(是|为).{1,40}?的百分之(几|多少)", text):
        return "share", 1, True
    if re.search(r"哪个.{0,8}(多|高|大|少|低)|谁.{0,4}(多|高|大|少)|更(多|高|大|少|低)|对比|比较", text):
        if len(departments) > 1 or len(years) > 1:
            return "compare", 1, True
    if re.search(r"比.{0,30}?(多|少|增加|减少|增长|下降|高|低|差)|相差|差额|差多少|差几|差了|变化了?多少|增减|"
                 r"(和|与|跟).{2,30}?(哪个|哪项|哪一项)更?(多|少|高|低|大|小)", text):
        return "difference", 1, True  # (two items of one department-year: "A和B哪个多")
    if re.search(r"(和|与|及|加上|加).{1,20}(一共|合计|总共|加起来|加在一起|之和|共计|总和)|"
                 r"(几个|各个?|所有|全部(?!资金|收入|支出|口径)|多个|这些|[两三四五六七八九十\d]+个)[^，,。？]{0,24}"
                 r"(一共|合计|总共|加起来|加在一起|之和|共计|总和)", text) \
            and not re.search(r"(一共|合计|总共|共)有?(多少|几)(辆|个|人|名|家|项|台|套)", text) \
            or re.search(r"(一共|合计|总共|加起来).{0,12}[（(][^（）()]{2,16}?(加上?|和|与|\+)[^（）()]{2,16}?[）)]", text):
        return "sum", 1, True  # ("物业管理费一共多少（基本支出加项目支出）": the parts in brackets)
    if re.search(r"(?<!哪)(几个|几项|几家)|多少个|多少项|多少家|数量", text) and not re.search(r"多少(万)?元|金额", text):
        return "count", 1, True
    if len(departments) > 1 or len(years) > 1:
        return "compare", 1, True
    return "value", 1, True


def route_of(text: str, operation: str) -> str:
    if operation != "value" and not re.search(r"为什么|原因|怎么回事", text):
        return "table"  # differences, shares, rankings, comparisons are computed from facts
    numeric = bool(_NUMERIC_CUES.search(text)) or operation != "value"
    narrative = bool(_NARRATIVE_CUES.search(text))
    if numeric and not narrative:
        return "table"
    if narrative and not numeric:
        return "passage"
    if re.search(r"为什么|原因|怎么回事", text):
        return "passage"
    return "mixed"
