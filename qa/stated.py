"""Figures stated in the text (narrative facts), matched to a question by their subject and section:
"2026年本单位委托业务费财政拨款预算为99万元" answers "委托业务费财政拨款预算是多少", and its stated change
("比上年减少12万元") answers how it changed.

    class ItemResolver(StatedFigures): …     matches = self._narrative_by_subject(facts, counts=False)
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from budgetqa.models import TableFact
from qa.concepts import Concept, clean_label
from qa.cues import COUNT_UNITS, asked_item, counted_words
from qa.matching import Match, overlap, uncovered


class StatedFigures:
    """The narrative half of the item resolver (mixed into qa.lookup.ItemResolver)."""

    text: str
    concept: Concept | None
    count_unit: str | None
    levels: list[str]  # classification levels the question names (…（款）…（项）)

    def _counted_in(self, unit: str | None) -> bool:
        raise NotImplementedError

    def _narrative_by_subject(self, facts: list[TableFact], counts: bool) -> list[Match]:
        """Figures stated in sentences whose subject (and section) the question names."""
        scored = []
        counted = self._counted_nouns() if counts else []
        # "政府采购预算中服务类项目有多少": the part after 中 is asked; a subject naming only the whole is not it
        inside = re.match(r"^(.*?)(?<!其)(?:里|中)(?![心央间])[，,、]?(?:的)?(.{2,})$", self.text)
        part = _SHARED_BY_ITEMS.sub("", asked_item(inside.group(2))) if inside else ""
        if len(part) >= 2 and not any(f.table_kind == "narrative" and overlap(_subject_core(f.row_label), part) >= 2
                                      for f in facts):
            part = ""  # (only when the text states the part on its own is the whole's sentence passed over)
        if counts and self.count_unit == "辆":
            counted.append("车")  # 辆 counts vehicles: "的车比…多几辆"
        for fact in facts:
            if fact.table_kind != "narrative" or fact.column_path != ("金额",):
                continue
            if counts != (fact.unit in COUNT_UNITS):
                continue
            if counts and self.count_unit and not self._counted_in(fact.unit):
                continue  # "多少人次" is not answered with 10批次
            subject = _subject_core(fact.row_label)
            shared = max(overlap(part, self.text) for part in subject.split("…"))
            longest = max(len(p) for p in subject.split("…"))
            section = "".join(fact.row_path)
            context = overlap(section, self.text, min_length=3) if section else 0
            named = shared >= 3 and (shared >= 0.45 * longest or shared >= 6)
            if subject and len(part) >= 2 and overlap(subject, part) < 2 and not _noun_of(counted, subject):
                continue  # (the subject names the container, not the part)
            if named and not _repeats_specific(subject, self.text):
                named = False  # "…补助经费安排了多少" shares only 经费安排 with "机关运行经费安排210.32万元"
            noun = _noun_of(counted, subject)
            if noun:  # "多少辆车": 共有车辆46辆 counts what is asked
                named, shared = True, max(shared, len(noun))
            head = re.split(r"[，,、的]|其中", subject)[-1] if subject else ""
            if counts and len(head) >= 3 and head in self.text:  # "…支出的公务接待 152人次": 公务接待 counted
                named = True
            if not named and not (context >= 6 and shared >= 2) and not (context >= 6 and not subject):
                continue  # (a figure with no subject of its own is named by its section: 年度预算安排)
            if self.levels and self.levels[-1][-4:] not in clean_label(subject + section):
                continue  # "审计业务（项）" asked: a sentence about 一般行政管理事务（项） is another classification
            phases = re.findall(r"[一二三四五六七八九十\d]期", self.text)
            if any(phase not in section + fact.row_label for phase in phases):
                continue  # 二期 asked, 一期 stated: not the same project
            score = shared * 2 + (context * 1.5 if context >= 4 else 0) + shared / max(len(subject), 1)
            score -= 0.1 * len(asked_item(uncovered(subject, self.text)))  # "其他收入预算": 其他收入, not 收入预算
            tail = re.split(r"[，,、其中]", subject)[-1] if subject else ""
            if counts and len(tail) >= 3 and tail in self.text:
                score += 3 * len(tail)  # "应急保障用车有几辆": the figure whose own subject is the one asked
            if noun and re.search(r"共|合计|总", subject) and not fact.row_label.startswith("其中"):
                score += 2  # the whole count (共有车辆46辆) before its parts (其中机要通信用车2辆)
            scored.append(Match(fact, subject, score))
        scored.sort(key=lambda m: -m.score)
        return scored

    def narrower_subject(self, label: str) -> bool:
        """A stated figure's subject names more than the question and more than a department's whole
        income or spending ("“三公”经费财政拨款支出预算" read for "支出是多少")."""
        return not names_only_a_total(label) and len(asked_item(uncovered(self.text, _subject_core(label)))) >= 4

    def _counted_nouns(self) -> list[str]:
        """What a count question counts, in its own words and the documents' (车 and 车辆)."""
        return [n for n in (_counted_noun(self.text), *counted_words(self.text)) if n]

    def _names_own_item(self, item: str) -> bool:
        """Whether a figure read for a concept's question is stated about an item of its own, longer than
        the concept's words ("2026年本单位委托业务费财政拨款预算" for "…预算是多少"): its changes are its own."""
        return self.concept is not None and not item.endswith(self.concept.name) and len(
            asked_item(re.sub(self.concept.narrative or "$^", "", clean_label(item)))) >= 4

    def counts_in_texts(self, facts: list[TableFact]) -> list[Match]:
        """Counts written inside a table's text cell ("站点维护数量162个" in a project's 绩效目标), each read as
        a figure stated about its clause's subject, when the question names that subject."""
        counted = self._counted_nouns()
        found = []
        for fact in facts:
            if fact.table_kind == "narrative" or fact.value is not None or len(fact.text_value or "") < 12:
                continue
            for clause in re.split(r"[，。；;,！!？?\n]", fact.text_value or ""):
                stated = _COUNT_IN_TEXT.search(clause)
                if not stated or (self.count_unit and not self._counted_in(stated.group(2))):
                    continue
                subject = re.sub(r"(为|达到|达|约|共计?|不少于|不低于|超过|≥|>=|＞|>)+$", "", clause[:stated.start()])[-16:]
                noun = _noun_of(counted, subject)
                shared = overlap(subject, self.text)
                if not (noun or shared >= 4):
                    continue
                figure = replace(fact, value=Decimal(stated.group(1)), unit=stated.group(2), sentence=fact.text_value)
                found.append(Match(figure, subject, shared * 2 + len(noun or "")))
        found.sort(key=lambda m: -m.score)
        return found

    def narrative(self, facts: list[TableFact]) -> list[Match]:
        """A figure stated in the text about the concept (金额, not a change)."""
        if self.concept is None or self.concept.narrative is None:
            return []
        pattern = self.concept.narrative
        found = [f for f in facts if f.table_kind == "narrative" and f.column_path == ("金额",)
                 and f.unit in ("元", "万元", "亿元")  # "2 个事业单位不在机关运行经费统计范围" is no amount
                 and (re.search(pattern, re.sub(r"(共计|合计|总计|共|为|是|达|约)+$", "", f.row_label))
                      or _under_heading(f, pattern))]
        if self.concept.name in ("收入总计", "支出总计"):  # the whole side, never a part's total
            found = [f for f in found if not self.narrower_subject(f.row_label)]
        return [Match(f, self.concept.name, 50) for f in found[:1]]

    def changes(self, facts: list[TableFact], item: str) -> list[TableFact]:
        """Stated year-on-year changes ("比2024年预算减少2,389.52万元") about the item."""
        if self.concept and self.concept.narrative and not self._names_own_item(item):
            pattern = self.concept.narrative  # (a named item read for a concept's question keeps its own name)
        else:  # the item closes the sentence's subject: "…气象事务行政运行" states 行政运行's change, not 气象事务's
            # (a table's total row is named by its table: "收入预算总表合计" is stated as 收入预算)
            pattern = re.escape(re.sub(r"总?表合计$", "", clean_label(item))) + _SUBJECT_TAIL
        return [f for f in facts if f.table_kind == "narrative" and len(f.column_path) == 2
                and re.search(pattern, f.row_label)]


# a count inside a sentence of a table cell: "站点维护数量162个" (not "162万元", not "98%")
_COUNT_IN_TEXT = re.compile(r"(\d+)\s*(个|辆|家|项|人次|人|名|台|套|次|件|场|户|篇|期)(?![\u4e00-\u9fa5]?[元%％])")

# what may follow an item at the end of a stated figure's subject ("委托业务费财政拨款预算")
_SUBJECT_TAIL = r"(财政拨款|一般公共预算|拨款|基本支出|项目支出|支出|经费|预算数?|资金|合计|总额|总计|共计|安排|收入)*$"


def _counted_noun(text: str) -> str | None:
    """What a count question counts: the noun after its measure word ("有多少辆车" -> 车, "几个气象站点"
    -> 气象站点), or the word rewrite_counts added for it (车辆)."""
    found = re.search(r"(?:多少|几)(?:个|辆|台|家|项|名|套|处|座)([\u4e00-\u9fa5]{1,6}?)(?=[^\u4e00-\u9fa5]|$|的|是|有|呢|吗)", text)
    return found.group(1) if found else None


def _noun_of(counted: list[str], subject: str) -> str | None:
    """The counted noun a count's subject holds ("共有车辆46辆" for 多少辆车), if any."""
    return next((n for n in counted if n in subject), None)


def _repeats_specific(subject: str, text: str) -> bool:
    """Whether the question repeats a word of the subject's own, beyond budget boilerplate and the
    words every spending item shares (经费, 资金, 项目, 安排…): a subject left with nothing specific names
    nothing the question could miss."""
    specific = _SHARED_BY_ITEMS.sub("", subject.replace("…", ""))
    return len(specific) < 2 or overlap(specific, text) >= 2


# the words of every spending item's name: a question sharing only these with a subject does not name it
_SHARED_BY_ITEMS = re.compile(r"经费|费用|资金|补助|补贴|专项|项目|工作|业务|情况|预算|支出|收入|安排|合计|总额|总计|"
                              r"财政拨款|一般公共预算|本年|年度|当年|部门|单位|全部|涉及|的|[\d\s，,、。]")


def _subject_core(label: str) -> str:
    """A stated figure's subject without year, 本部门 and the department's own name."""
    subject = re.sub(r"^(\d{4}年度?|截至.*?日|本部门|本单位|其中|部门|下属)+", "", clean_label(label))
    return re.sub(r"^.{2,20}?(办公室|办公厅|办事处|法院|局|中心)(?=.{2,})", "", subject)


_TOTAL_SUBJECT = re.compile(r"(本年|当年|全年)?(部门|单位)?(综合)?(预算|决算)?总?(收入|支出|收支)(预算|决算)?(总额|总计|合计|总量|规模)?")


def names_only_a_total(label: str) -> bool:
    """A stated figure's subject is the department's whole income or spending ("2026年深圳市信访局部门预算
    支出", "本部门收入预算总额"), nothing narrower ("“三公”经费财政拨款支出预算", "政府采购支出总额")."""
    return bool(_TOTAL_SUBJECT.fullmatch(_subject_core(label)))


def _under_heading(fact: TableFact, pattern: str) -> bool:
    """A figure under a numbered item headed by the concept ("（一）机关运行经费。2026 年一般公共预算财政拨款
    运行经费 1,815 万元"): its own subject ends with the heading's last word (运行经费)."""
    heading = clean_label(fact.row_path[-1]) if fact.row_path else ""
    return (len(heading) <= 12 and bool(re.fullmatch(pattern, heading))
            and clean_label(fact.row_label).endswith(heading[-4:]))
