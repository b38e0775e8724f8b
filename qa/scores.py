"""How well a printed row, its table and its column fit a question: the scores the item resolver
(qa/lookup.py) adds up for each candidate fact, when two candidates are equally good rivals, and the
reads that need a table or a column only (a named table's total, a column the question spells out).

    class ItemResolver(StatedFigures, RowScores): …     score = self._table_score(fact) + self._column_score(fact)
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from budgetqa.models import TableFact
from qa.concepts import clean_label, column_leaf, label_core
from qa.cues import DEFAULT_COLUMNS, GENERIC_WORDS, TABLE_CUES, TABLE_PRIORITY
from qa.matching import Match, overlap, shortened_in


class RowScores:
    """The table and column half of the item resolver's scoring (mixed into qa.lookup.ItemResolver)."""

    text: str
    plain: str
    table_cue: str | None
    column_cue: str | None
    fund_cue: str | None
    parent_cues: list[str]

    def _table_score(self, fact: TableFact) -> float:
        if self.table_cue and fact.table_kind == self.table_cue:
            return 30
        priority = TABLE_PRIORITY.index(fact.table_kind) if fact.table_kind in TABLE_PRIORITY else len(TABLE_PRIORITY)
        # 基本支出 / 项目支出 named for an economic item: the table of that nature (its columns may not say it)
        nature = 20 if self.column_cue in ("基本支出", "项目支出") and self.column_cue in fact.table_kind else 0
        return (len(TABLE_PRIORITY) - priority) * 0.5 + nature

    def _column_score(self, fact: TableFact) -> float:
        fund = 8 if self.fund_cue and fact.dimensions.get("fund") == self.fund_cue else 0
        return self._header_score(fact) + fund + (12 if self.spells_group(fact) else 0)

    def spells_group(self, fact: TableFact) -> bool:
        """Whether the question spells the column group a cell stands under ("本年支出" over 小计 | 基本支出 |
        项目支出): that group's columns come first."""
        group = re.sub(r"\s", "", fact.column_path[0]) if len(fact.column_path) >= 2 else ""
        return len(group) >= 4 and group in self.text

    def _header_score(self, fact: TableFact) -> float:
        leaf = re.sub(r"^(指标目标值|目标值|年度指标值)$", "指标值", column_leaf(fact))  # one column, three spellings
        joined = "".join(fact.column_path)
        header = overlap(re.sub(r"\s", "", joined), self.text, min_length=4) if len(joined) >= 8 else 0
        if header >= 6:  # a long header the question spells out ("政府采购项目中预留给中小企业的…")
            return 10 + header
        if self.column_cue and self.column_cue not in re.sub(r"\s", "", fact.table_title + fact.row_label + "".join(fact.row_path)):
            # (a cue its table's own title names is met by the table: every column of 基本支出总表 is 基本支出;
            # one its row names is met by the row: 上年结转 is a row of the 收支总表, not a column)
            parents = 5 * sum(cue in joined for cue in self.parent_cues)
            other_side = (f"{self.column_cue}支出" in self.text and "收入" in leaf) or \
                (f"{self.column_cue}收入" in self.text and "支出" in leaf)  # 财政拨款支出 asked, 财政拨款收入 printed
            if other_side:
                return parents - 20
            return parents + (20 if self.column_cue in leaf else (5 if self.column_cue in joined else -20))
        if fact.text_value and fact.value is None and fact.unit is None:
            return 1  # a target text (指标值)
        for rank, name in enumerate(DEFAULT_COLUMNS):
            if leaf == name or leaf.endswith(name):
                # a 小计 nested under a group ("2026年政府采购项目 > 小计") totals that group, not the row
                return 10 - rank - 3 * (len(fact.column_path) - 1)
        return -5 if re.search(r"本年支出|支出$", joined) and "收入" in self.text else 0


    def _table_total(self, facts: list[TableFact]) -> list[Match]:
        """"一般公共预算支出是多少": a question that names a table and nothing inside it asks for the
        table's total row, read in its default column."""
        cue = next((pattern for pattern, kind in TABLE_CUES if kind == self.table_cue and re.search(pattern, self.text)),
                   None)
        if cue is None:
            return []
        rest = re.sub(r"决算数?|预算数?|执行数", "", GENERIC_WORDS.sub("", re.sub(cue, "", self.text)))
        if len(rest) >= 2:
            return []  # anything else named (金融支出, 人员经费, 服务) is a row or column, not the total
        table = [f for f in facts if f.table_kind == self.table_cue]
        totals = [f for f in table if f.value is not None
                  and clean_label(f.row_label) in ("合计", "总计", "支出合计", "本年支出合计", "收入合计", "本年收入合计")]
        if table and not totals and all(f.value is None and not f.text_value and clean_label(f.row_label) in ("合计", "总计")
                                        for f in table):
            # a table printed empty, its 合计 row and nothing else ("政府性基金预算支出表" with no 科目): none spent
            first = min(table, key=lambda f: (len(f.column_path), f.row_index))
            return [Match(replace(first, value=Decimal(0), unit=first.unit or "万元"), f"{self.table_cue}合计（空表）", 40)]
        # ("收支总决算", "总额": the grand 总计 before a 合计 that leaves out what was carried over)
        grand = bool(re.search(r"总", re.sub(r"总表|总体", "", self.text)))
        scored = sorted(totals, key=lambda f: (not self.spells_group(f), grand and clean_label(f.row_label) != "总计",
                                               len(f.column_path), -self._column_score(f), f.row_index))
        return [Match(f, f"{self.table_cue}合计", 40 + self._column_score(f)) for f in scored]

    def _spelled_column(self, facts: list[TableFact]) -> list[Match]:
        """"政府采购项目中，预留给中小企业的资金规模是多少": a long column header the question spells out, and
        no row named: the column's total row (合计 / 总计, else its first row, the department's own)."""
        spelled = []
        for fact in facts:
            header = re.sub(r"\s|^其中[:：]?", "", column_leaf(fact))
            if fact.value is None:
                continue
            parts = [re.sub(r"\s", "", p) for p in fact.column_path]
            if len(parts) >= 2 and fact.table_kind == self.table_cue and all(len(p) >= 4 and p in self.plain for p in parts):
                spelled.append((sum(map(len, parts)), fact))  # "收入总表中，上年结转结余里的单位资金": its path
                continue
            if len(header) < 10:
                continue
            shared = overlap(header, self.plain, min_length=4)
            if shared >= 8 and shared >= 0.5 * len(header):
                spelled.append((shared, fact))
        if not spelled:
            return []
        best = max(shared for shared, _ in spelled)
        column = [f for shared, f in spelled if shared == best]
        totals = [f for f in column if clean_label(f.row_label) in ("合计", "总计")] or \
            [f for f in column if f.row_index == min(g.row_index for g in column) and not f.row_code]
        return [Match(f, re.sub(r"^其中[:：]?|^\d{4}年", "", column_leaf(f)), 30 + best) for f in totals[:1]]


def rival(top: Match, other: Match) -> bool:
    """Another row of the same table and column, printing the same label with another figure under
    another parent (租赁费 under two procurement items), that the question matches as well as the first."""
    a, b = top.fact, other.fact
    return (other.score == top.score and other.item == top.item and a.table_index == b.table_index
            and a.column_path == b.column_path and a.row_path != b.row_path and a.value != b.value
            and a.table_kind != "narrative")


def label_score(label: str, code: str | None, digits: str, text: str) -> float:
    """How well a printed row names the asked item: its code in `digits` (the question with spaced codes
    joined), or its label in `text` (the question without brackets and quotes)."""
    if code and re.search(rf"(?<!\d){code}(?!\d)", digits):
        return 60 + len(code)
    if len(label) < 2 or label in ("合计", "小计", "总计", "项目", "金额"):
        return 0  # a total row is never asked for by its bare name
    if label in text:
        return 20 + 2 * len(label)
    short = re.sub(r"(支出|费用|经费|费)$", "", label)
    if len(short) >= 3 and short in text:
        return 10 + 2 * len(short)
    if len(label) >= 6 and "的" not in label and label in text.replace("的", ""):
        return 15 + 2 * len(label)  # a long name asked with a 的 inside it ("退休人员的补助经费")
    return 0

# a project printed with its owner's name first ("广州市信访局2026-2027年信息化运维项目")
OWNER = re.compile(r"^[\u4e00-\u9fa5]{2,12}?(局|办公室|办公厅|委员会|中心|法院)(?=[\d\u4e00-\u9fa5]{4,})")
# or, for an amount, with its city's ("烟台市智慧审计平台等保测评服务", asked as 智慧审计平台等保测评服务)
_ORG_PREFIX = re.compile(OWNER.pattern + r"|^[\u4e00-\u9fa5]{2,3}(省|市)(?=[\u4e00-\u9fa5]{6,})")
# a row printed with its year first ("2019年度聘请专家人员经费", "2026-2027年信息化运维项目")
# (or with 年度 alone: "年度全市居民医保参保人数", an indicator of the year's target)
_YEAR_PREFIX = re.compile(r"^(19|20)\d{2}([-－至](19|20)?\d{2})?年度?|^年度")
# a bracketed character a classification name may be read without: 维修（护）费, 因公出国（境）费
_OPTIONAL = re.compile(r"[（(][\u4e00-\u9fa5][）)]")


def named_label(fact: TableFact, digits: str, text: str) -> tuple[str, float]:
    """The printed row name a question uses, and how well it names it (`label_score`): the label as
    printed, else without its owner or city ("广州市信访局2026-2027年信息化运维项目"), without its year
    ("2019年度聘请专家人员经费"), with a word left out (云客服外包项目), or without an optional bracketed
    character ("维修（护）费" asked as 维修费 or 维护费)."""
    label = label_core(clean_label(fact.row_label))
    score = label_score(label, fact.row_code, digits, text)
    bare = _ORG_PREFIX.sub("", label) if fact.value is not None else OWNER.sub("", label)
    if score <= 0 and len(bare) >= 6 and bare != label:
        label, score = bare, label_score(bare, None, digits, text)
    undated = _YEAR_PREFIX.sub("", label)
    if score <= 0 and len(undated) >= 4 and undated != label:
        label, score = undated, label_score(undated, None, digits, text)
    shortened = shortened_in(label, text) if score <= 0 and not fact.row_code else 0
    if shortened:
        score = 10 + 2 * shortened
    if score <= 0 and _OPTIONAL.search(fact.row_label):
        short = label_core(clean_label(_OPTIONAL.sub("", fact.row_label)))
        label, score = (short, label_score(short, None, digits, text)) if len(short) >= 3 else (label, 0)
    return label, score

