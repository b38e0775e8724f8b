"""Find the table fact a question asks for, in the facts of the chosen documents.

Two ways in: budget concepts that people name in their own words (三公, 公车, 人头经费, 一共多少钱 …)
map to known columns and rows; anything else is matched by the printed row label or code. A match
must be unambiguous enough: when nothing fits, nothing is returned (the chain then refuses).

    resolver = ItemResolver(question_text)
    match = resolver.best(facts)
"""

from __future__ import annotations

import re

from budgetqa.models import TableFact
from ingest.checks import UNIT_YUAN
from qa.concepts import CONCEPTS, Concept, clean_label, column_leaf, label_core
from qa.cues import (
    ASKS_AMOUNT,
    COLUMN_CUES,
    EXCLUDED,
    GENERIC_WORDS,
    INCLUDED,
    ROW_SYNONYMS,
    SAME_COUNT,
    SANGONG_TABLE,
    TABLE_CUES,
    TITLE_NOISE,
    asked_item,
    counted_unit,
    rewrite_counts,
    unexplained,
    unit_mentions,
)
from qa.matching import Match, longest_common, names_unit, overlap, uncovered
from qa.scores import RowScores, named_label, rival
from qa.stated import StatedFigures


def _of_table(fact: TableFact, cue: str) -> bool:
    """The fact stands in the table a question names, or in a table of that fund by nature: "一般公共预算中
    的委托业务费" is read in 一般公共预算基本支出 and in the 一般公共预算项目支出 table as well."""
    if fact.table_kind == cue:
        return True
    fund = re.match(r"(一般公共预算|政府性基金预算|国有资本经营预算)支出$", cue)
    # (or a column of that fund in a row's own funding split: "项目的一般公共预算资金")
    return bool(fund) and (fund.group(1) in fact.table_kind + re.sub(r"\s", "", fact.table_title)
                           or fund.group(1).replace("预算", "") in "".join(fact.column_path))


# an indicator's target written as a count too large to print whole: "≥450万人", "100万人次"
_COUNTED_TEXT = re.compile(r"^[≥≤><=＝≧≦]{0,2}\s*\d[\d.]*\s*[万千亿]\s*(人次|人|户|个|家|件|次)$")



class ItemResolver(StatedFigures, RowScores):
    """Finds, in a document's facts, the cell a question names.

    `text` is the question without department names and years (Query.item_text)."""

    def __init__(self, text: str, counting: bool = False, table_hint: str | None = None) -> None:
        self.asked = text  # as given, for the trust gate (codes the question names)
        self.counting = counting
        unit = re.search(r"(?:多少|几)(人次|批次|个工作日|个|辆|家|项|人|名|台|套|层|天|场|分(?!之))|(得分|评分|分数)", text)
        self.count_unit = (unit.group(1) or "分") if unit else None  # (a score is counted in 分)
        if counting:
            text = text + rewrite_counts(text)
        table_named = SANGONG_TABLE.search(text)
        self.whole_sangong_table = bool(table_named) and (table_named.group(6) == "合计" or bool(
            re.search(r"表的?合计|合计(数|是)|表合计", text)))
        text = SANGONG_TABLE.sub("三公表", text)
        self.text = text
        expanded = text
        for pattern, printed in ROW_SYNONYMS:
            if re.search(pattern, text) and printed not in text:
                expanded += printed
        # prepared once, compared with every row: spaced codes joined ("201 08 04"), brackets and quotes
        # dropped ("维修（护）费" asked, 维修（护）费 printed: compared as 维修护费)
        # what a figure leaves out names no row of it: "三公经费（不含会议费、培训费）"
        expanded = EXCLUDED.sub("", expanded)
        self.digits = re.sub(r"(?<=\d)\s+(?=\d)", "", expanded)
        self.plain = re.sub(r"[\s“”\"'（）()「」『』]", "", expanded)
        self.table_cue = next((kind for pattern, kind in TABLE_CUES if re.search(pattern, text)), table_hint)
        # the columns the question names, in the order it names them: "基本支出里的人员经费" reads the
        # 人员经费 column under 基本支出 (the last named is the cell's own column, the others its parents)
        # ("全部资金（含其他收入）": what a total includes names no column of its own)
        cued = INCLUDED.sub("", text)
        cues = sorted((m.start(), col) for pattern, col in COLUMN_CUES for m in [re.search(pattern, cued)] if m)
        # a stage (决算数/预算数) after a nature ("项目支出决算数") qualifies it: the nature is the column read
        natures = [c for c in cues if c[1] not in ("决算", "预算")]
        self.column_cue = (natures[-1] if natures else cues[-1])[1] if cues else None
        cues = [c for c in cues if c[1] != self.column_cue] + [c for c in cues if c[1] == self.column_cue][:1]
        fund = re.search(r"一般公共预算|政府性基金|国有资本经营|财政专户", text)
        self.fund_cue = fund.group() if fund else None  # a fund source named: its column is preferred
        # names the question quotes (“气象设施维护及科普”): the row printing exactly that name is the one asked
        # (a quoted name followed by 里/中/下 is a container: "「信访专项」里的信访工作经费" asks a part of it)
        # (… unless what follows names a column of that row: "“其他…事务支出”中一般公共预算拨款")
        column_after = r"(?:的)?(?:一般公共预算|政府性基金|财政拨款|基本支出|项目支出|人员经费|公用经费|上年结转)"
        self.quoted = {clean_label(q) for q in re.findall(
            rf"[“「『]([^”」』]{{2,40}})[”」』](?:(?![里中下内])|[里中内]{column_after})", text)}
        # a quoted path ("政府办公厅（室）及相关机构事务-行政运行"): the row is the last part, under the first
        self.containers = {clean_label(q) for q in re.findall(
            rf"[“「『]([^”」』]{{2,40}})[”」』](?=[里中下内])(?![里中内]{column_after})", text)}
        self.quoted_paths = [tuple(clean_label(p) for p in re.split(r"[-－—>／/]", q) if p.strip())
                             for q in self.quoted if re.search(r"[-－—>／/]", q)]
        self.parent_cues = [col for _, col in cues[:-1] if col != self.column_cue]
        # "气象事务下的行政运行": the row is 行政运行 under 气象事务, not 气象事务 itself
        self.parents_named = [clean_label(p) for p in re.findall(r"([\u4e00-\u9fa5]{2,12}?)(?:项下|下面|之下|下)的", self.plain)]
        # budget units the question names ("下属的气象服务中心", "市委讲师团"): rows printing them, in full or short
        self.units = unit_mentions(self.plain)
        # a classification named level by level: "自然资源海洋气象等支出（类）气象事务（款）气象服务（项）"
        self.levels = re.findall(r"([\u4e00-\u9fa5]{2,20}?)[（(](?:类|款|项)[）)]", text)
        self.concept = self._concept()
        self.rivals: list[Match] = []  # rows as good as the last best one: one label under two parents
        self.amounts_only = False  # set for the operands of a computation (a share's part and whole)

    def _counted_in(self, unit: str | None) -> bool:
        """A count printed in the unit the question counts in, or its equivalent (vehicles: 辆 or 台)."""
        return any((unit or "").startswith(u) for u in (self.count_unit, *SAME_COUNT.get(self.count_unit or "", ())))

    def _concept(self) -> Concept | None:
        if self.counting or re.search(r"(?<!\d)\d{3}(\s?\d{2}){1,2}(?!\d)", self.text):
            return None  # a count, or a classification code named: read the row, not a concept
        if self.table_cue in ("一般公共预算基本支出", "财政拨款基本支出") and not re.search(r"人员经费|公用经费|人头", self.text):
            return None
        if self.whole_sangong_table:
            return Concept("“三公”经费、会议费、培训费合计", "", lambda facts: [
                f for f in facts if f.table_kind == "三公经费" and f.column_path and column_leaf(f) == "合计"
                and not any(re.search(r"三公|公务|会议|培训|出国", h) for h in f.column_path[:-1])])
            # (the 合计 of the whole table, under at most a year/stage header such as 当年)
        # a quoted name ("「市人民来访接待厅专项经费」") is a row's name: its words (接待) trigger no concept
        unquoted = INCLUDED.sub("", re.sub(r"[“「『][^”」』]{4,}[”」』]", "", self.text))  # (含/不含 … names no concept)
        # an overview table's name ("财政拨款收支总表的一般公共服务支出") names where to read, not a concept
        unquoted = re.sub(r"(部门综合预算|部门财务|财政拨款)?(收支|收入|支出)(预算)?总表", "", unquoted)
        within = re.match(r"^(.*?)(?<!其)(?:里|中|当中|之中)[，,、]?(?:的)?(.{2,})$", unquoted)
        if within and len(GENERIC_WORDS.sub("", within.group(2))) >= 2:
            unquoted = within.group(2)  # "财政拨款收入中，上年结转": the context names no concept of its own
        for concept in CONCEPTS:
            if concept.name == "财政拨款收入" and re.search(
                    r"(费|经费|补助|资金|项目)(涉及|安排了?|使用了?|用了)?(多少)?的?财政拨款|财政拨款(安排|用于)的?.{2,}(支出|经费|费)",
                    unquoted):
                continue  # "委托业务费财政拨款预算": 财政拨款 qualifies the item named, it is not the total asked
            if re.search(concept.trigger, unquoted):
                return concept
        return None

    def best(self, facts: list[TableFact]) -> Match | None:
        """The single best fact for the question among one document's facts, or None. A cell printed empty
        is passed over when a later candidate holds a figure or a text."""
        matches = self.candidates(facts)
        filled = [m for m in matches if m.fact.value is not None or m.fact.text_value]
        if self.amounts_only:  # an operand of a computation: a figure, never a sentence a project prints
            filled = [m for m in filled if m.fact.value is not None]
        if ASKS_AMOUNT.search(self.text) and not re.search(r"指标|目标", self.text):
            filled = [m for m in filled if m.fact.value is not None and m.fact.unit in UNIT_YUAN] or \
                [m for m in filled if m.fact.value is not None] or filled  # 多少钱: an amount, not a text or a score
        if not matches:
            return None
        top, *rest = filled or matches
        self.rivals = [m for m in rest if rival(top, m)]  # read by the value route (not by sums of them)
        return top

    def candidates(self, facts: list[TableFact]) -> list[Match]:
        table_facts = [f for f in facts if f.table_kind != "narrative"]
        if self.counting:  # a count: an indicator of a project form (聘用人员数量 ≥130人) or a stated count
            counted = [f for f in table_facts if counted_unit(f.unit) and (not self.count_unit or self._counted_in(f.unit))]
            targets = [m for m in self._by_label(counted) if m.score >= 30] or self._project_count(counted)
            if not targets:  # a target counted in 万 (≥450万人) stays text: quoted as printed, never rounded
                texts = [f for f in table_facts if f.value is None and _COUNTED_TEXT.search(f.text_value or "")]
                targets = [m for m in self._by_label(texts) if m.score >= 30]
            return targets + self._narrative_by_subject(facts, counts=True) + self.counts_in_texts(table_facts)
        if self.quoted and not self.counting:
            # a row printing exactly the name the question quotes answers before any concept's words around it
            exact = [m for m in self._by_label(table_facts) if m.item in self.quoted and m.score >= 30]
            if exact:
                return self._or_stated_amounts(exact, facts)
            # no row prints it: a figure the text states about exactly that name ("信访工作经费216.40万元")
            stated = [m for m in self._narrative_by_subject(facts, counts=False) if clean_label(m.item) in self.quoted]
            if stated:
                return stated
        if self.concept is not None:
            # a printed name spelled out whole holds the concept's words ("市人民来访接待厅专项经费" is no 公务接待费)
            spelled = [m for m in self._by_label(table_facts) if len(m.item) >= 6 and m.item in self.plain
                       and re.search(self.concept.trigger, m.item) and m.score >= 30
                       and len(asked_item(re.sub(self.concept.trigger, "", m.item))) >= 4]
            if spelled:
                return spelled
        whole = self._table_total(table_facts)  # a table named and nothing in it: its total, before any concept
        if whole:
            return whole
        if self.concept is not None and self.concept.weak:
            specific = self._labelled(table_facts, facts)
            stated = self._narrative_by_subject(facts, counts=False)
            # a sentence whose subject is the whole item asked ("本部门委托业务费财政拨款预算总额236.75万元"),
            # before a row that prints only part of it (财政拨款)
            # (a sentence naming a classification path, "城乡社区支出（类）…（款）行政运行（项）", states the
            # deepest level's figure, not the 类 the question names)
            whole = [m for m in stated if len(m.item) >= 6 and not asked_item(uncovered(m.item, self.text))
                     and not re.search(r"[（(](类|款|项)[）)]", m.fact.sentence or "")]
            if whole and specific and len(asked_item(whole[0].item.replace(clean_label(specific[0].item), ""))) >= 3:
                return whole[:1]  # (the row names the fund source; the sentence the item the question names)
            if specific and specific[0].score >= 30:
                return specific
            totals = [m for m in stated if not self.narrower_subject(m.fact.row_label)]
            if totals and totals[0].score >= 10 and self.concept.name in ("收入总计", "支出总计"):
                return totals  # ("“三公”经费财政拨款支出预算为76.43万元" states no department total)
            if unexplained(self.text, self.concept.trigger):
                # "江苏法院云平台租赁费政府采购预算": a named item not found is not the department total; a figure
                # stated about that item is ("固定资产值多少钱": 本部门固定资产金额2,995.16万元)
                rest = asked_item(re.sub(self.concept.trigger, "", self.text))
                return [m for m in stated if longest_common(m.item, rest)[0] >= max(3, int(0.6 * len(rest)))][:1]
        if self.concept is not None:
            picked = self._named_rows(self.concept.pick(table_facts), table_facts)
            picked = [f for f in picked if f.value is not None] or picked
            if picked:
                asked = clean_label(self.text)
                concept = clean_label(self.concept.name)
                def named_row(f: TableFact) -> bool:  # the row of a unit or item the question names
                    label = clean_label(f.row_label)
                    return (len(label) >= 4 and (label in asked or any(names_unit(u, f.row_label) for u in self.units))
                            and f.row_label != f.table_kind and label not in concept and concept not in label)
                return [Match(f, (f.row_label if named_row(f) else "") + self.concept.name, 100 - i)
                        for i, f in enumerate(picked)]
            narrative = self.narrative(facts)
            if narrative:
                return narrative
            if self.concept.name not in ("基本支出", "项目支出"):
                return []
        by_label = self._labelled(table_facts, facts)
        if by_label and by_label[0].score >= 30:
            return self._or_stated_amounts(by_label, facts)
        spelled = self._spelled_column(table_facts)
        if spelled:
            return spelled
        stated = self._narrative_by_subject(facts, counts=False)
        if stated and (not by_label or stated[0].score > by_label[0].score):
            return stated + by_label
        return by_label

    def _or_stated_amounts(self, named: list[Match], facts: list[TableFact]) -> list[Match]:
        """The rows named, and when an amount is asked and they print only sentences (a project form's
        总目标), the amounts the text states after them."""
        if ASKS_AMOUNT.search(self.text) and not any(m.fact.value is not None for m in named):
            return named + self._narrative_by_subject(facts, counts=False)
        return named

    def _project_count(self, counted: list[TableFact]) -> list[Match]:
        """"信访干部培训专项实际培训了多少人": the one indicator of the named project counted in the unit asked
        (培训人数 …人), its 实际完成值 when the question asks what was done, else its target."""
        named = [f for f in counted if f.row_path and len(clean_label(f.row_path[0])) >= 4
                 and clean_label(f.row_path[0]) in self.plain and overlap(f.row_label, self.plain) >= 2]
        asked = self.text.replace(clean_label(named[0].row_path[0]), "") if named else ""

        def spelled(label: str) -> float:  # the share of the indicator's characters the question writes
            core = label_core(clean_label(label))
            return sum(ch in asked for ch in core) / len(core)
        ranked = sorted({f.row_label for f in named}, key=spelled, reverse=True)
        # (the only indicator of the project counted in the unit asked needs fewer of its words: "多少场")
        enough = 0.35 if self.count_unit and len(ranked) == 1 else 0.6
        if not ranked or spelled(ranked[0]) < enough or (len(ranked) > 1 and spelled(ranked[1]) > spelled(ranked[0]) - 0.2):
            return []  # no indicator, or several the question does not tell apart
        named = [f for f in named if f.row_label == ranked[0]]
        done = bool(re.search(r"实际|完成|已经|做了", self.text))
        return sorted((Match(f, f.row_label, 30 + 10 * ((column_leaf(f) == "实际完成值") == done)) for f in named),
                      key=lambda m: -m.score)

    def _labelled(self, table_facts: list[TableFact], facts: list[TableFact]) -> list[Match]:
        """Rows named by label or code. An economic item of a 基本支出 table is only its basic part, so the
        text's statement of the whole comes first when it differs ("一般公共预算安排委托业务费478.2万元" =
        36.00 基本 + 442.20 项目, or a 基本 cell printed empty)."""
        by_label = self._by_label(table_facts)
        if not by_label or by_label[0].score < 30:
            return by_label
        top = by_label[0]
        if top.fact.table_kind in ("一般公共预算基本支出", "财政拨款基本支出") and \
                not re.search(r"基本支出|人员经费|公用经费|人头", self.text):
            whole = [m for m in self._narrative_by_subject(facts, counts=False)
                     if clean_label(top.fact.row_label) in clean_label(m.fact.row_label) and _differs(m.fact, top.fact)]
            if whole:
                return whole + by_label
        return by_label

    def _named_rows(self, picked: list[TableFact], facts: list[TableFact]) -> list[TableFact]:
        """A concept's column read in the row the question names: a 三公 table printed per unit
        (杭州市气象服务中心 | 公务用车运行维护费) answers for that unit, not with the 合计 row."""
        if not picked:
            return picked
        text = clean_label(self.text)
        tables = {f.table_index for f in picked}
        named = {f.row_label for f in facts if f.table_index in tables and len(clean_label(f.row_label)) >= 4
                 and (clean_label(f.row_label) in text or any(names_unit(u, f.row_label) for u in self.units))}
        if not named:
            return picked
        columns = {(f.table_index, f.column_path) for f in picked}
        rows = [f for f in facts if (f.table_index, f.column_path) in columns and f.row_label in named]
        return rows or picked

    def titled(self, facts: list[TableFact]) -> set[int]:
        """The tables the question names by their printed title ("一般公共预算支出表（按经济分类）中", "基本支出
        总表里"): the titles it repeats almost whole (80%+), the best only, so 按经济分类 is not 按功能分类."""
        ratios: dict[int, float] = {}
        if "表" not in self.plain:
            return set()  # "专项业务经费支出是多少" names a row; "专项业务经费支出表" would name the table
        for index, title in {f.table_index: f.table_title for f in facts if f.table_index >= 0}.items():
            core = TITLE_NOISE.sub("", title)
            if len(core) >= 5:
                ratios[index] = overlap(core, self.plain, min_length=3) / len(core)
        best = max(ratios.values(), default=0)
        return {i for i, r in ratios.items() if r == best} if best >= 0.8 else set()

    def _by_label(self, facts: list[TableFact]) -> list[Match]:
        scored: list[tuple[float, TableFact, str]] = []
        single = self._single_rows_under_quoted(facts)
        titled = self.titled(facts)
        labels: dict[int, set[str]] = {}
        implementers: dict[int, str] = {}  # table -> the 实施单位 a project form prints
        for fact in facts:
            labels.setdefault(fact.table_index, set()).add(label_core(clean_label(fact.row_label)))
            if fact.column_path == ("实施单位",) and fact.text_value:
                implementers[fact.table_index] = fact.text_value
        for fact in facts:
            label, score = named_label(fact, self.digits, self.plain)
            if score <= 0 and self.units:
                named = next((u for u in self.units if names_unit(u, fact.row_label)), None)
                score = 20 + 2 * len(named) if named else 0
            if score <= 0 and self.quoted and fact.row_path and any(q in clean_label(fact.row_path[0]) for q in self.quoted):
                shared = overlap(label, self.plain, min_length=3)  # an indicator of the quoted project, in other words
                score = 10 + 2 * shared if shared >= 4 else 0  # ("要保障多少名离退休干部": 保障离退休干部人数)
            if score <= 0 and id(fact) in single:
                # the quoted name is printed in a parent column of exactly one row (专项名称 beside 采购品目名称)
                label = single[id(fact)]  # (a name spelled out unquoted counts less than a row printing it)
                score = 15 + (2 if label in self.quoted else 1) * len(label)
            if score <= 0:
                continue
            score += (45 if fact.table_index in titled else self._table_score(fact)) + self._column_score(fact) + (
                15 if label in self.quoted else 0)
            if label not in self.quoted and any(q in label_core(clean_label(p)) for p in fact.row_path for q in self.quoted):
                score += 30  # a row named by the question under the project it quotes (an indicator of it)
            if self._named_before(label, labels[fact.table_index]):
                score -= 5  # "气象事务（款）行政运行（项）": the 款 named first is the parent of the row asked
            if self.levels and len(label) >= 2:  # "…（类）气象事务（款）气象服务（项）": the deepest level named
                if self.levels[-1].endswith(label):
                    score += 20
                elif any(level.endswith(label) for level in self.levels[:-1]):
                    score -= 20
            if label in self.containers or label in self.parents_named:
                score -= 30  # "「信访专项」里的信访工作经费": the container is not what is asked
            elif self.parents_named and any(p in clean_label(r) for r in fact.row_path for p in self.parents_named):
                score += 30  # the row under the parent the question names
            elif any(len(parent) >= 4 and parent in self.plain and parent not in self.quoted
                     for parent in map(clean_label, fact.row_path)):
                score += 15  # "上年结转过来的一般公共预算拨款": the 一般公共预算拨款 row under 二、上年结转
            elif any(longest_common(clean_label(parent), self.plain)[0] >= max(4, len(label) + 2)
                     for parent in fact.row_path if parent not in self.quoted):
                score += 10  # "云平台租赁费": the 租赁费 row under 江苏法院云平台租赁费, not under another parent
            implementer = implementers.get(fact.table_index)
            if self.units and implementer and any(names_unit(u, implementer) for u in self.units):
                score += 20  # the form of the project the unit the question names carries out (实施单位)
            for path in self.quoted_paths:
                if label == path[-1] and all(any(p in clean_label(r) for r in fact.row_path) for p in path[:-1]):
                    score += 30  # the child the quoted path names, under its parent
                elif label in path[:-1]:
                    score -= 30  # the parent of the quoted path is not what is asked
            scored.append((score, fact, label))
        scored.sort(key=lambda s: -s[0])
        if titled and scored and scored[0][1].table_index not in titled:
            return []  # the question names a table by its title but the row was only found elsewhere
        if not titled and self.table_cue and scored and not _of_table(scored[0][1], self.table_cue) and \
                any(f.table_kind == self.table_cue for f in facts):
            return []  # the question names a table but the row was only found elsewhere: do not guess
        return [Match(f, label, score) for score, f, label in scored]

    def _named_before(self, label: str, others: set[str]) -> bool:
        """Whether the question names `label` right before another row of its table, as a classification
        is named from 类 through 款 to 项 ("气象事务行政运行（项）")."""
        at = self.plain.find(label) if len(label) >= 2 else -1
        if at < 0:
            return False
        after = re.sub(r"^[（(]?[类款][）)]?", "", self.plain[at + len(label):])
        return any(len(o) >= 2 and o != label and after.startswith(o) for o in others)

    def _single_rows_under_quoted(self, facts: list[TableFact]) -> dict[int, str]:
        """Facts whose row path holds a name the question quotes (or spells out whole, 6+ characters:
        "区域重点项目协审经费多少钱") that no other row of the same table holds (with several rows under
        it, one of them is no answer)."""
        rows: dict[tuple[int, str], set[int]] = {}
        for fact in facts:
            for part in fact.row_path:
                name = clean_label(part)
                if (name in self.quoted or (len(name) >= 6 and name in self.plain)) and fact.value is not None:
                    rows.setdefault((fact.table_index, name), set()).add(fact.row_index)
        if not rows:
            return {}
        return {id(f): clean_label(p) for f in facts for p in f.row_path
                if len(rows.get((f.table_index, clean_label(p)), ())) == 1}


def _differs(stated: TableFact, printed: TableFact) -> bool:
    """Two money figures differ by more than the stated one's rounding (万元 with 2 decimals: 50 元)."""
    if printed.value is None and stated.value is not None and stated.unit in UNIT_YUAN:
        return True  # the 基本支出 cell is printed empty: the text states the figure
    if stated.value is None or printed.value is None or stated.unit not in UNIT_YUAN or printed.unit not in UNIT_YUAN:
        return False
    return abs(stated.value * UNIT_YUAN[stated.unit] - printed.value * UNIT_YUAN[printed.unit]) > UNIT_YUAN[stated.unit] / 100
