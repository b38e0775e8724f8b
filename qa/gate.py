"""The trust gate: which facts may answer a question at all.

A figure is eligible only when the column it was printed in fits what the question asks: the year
(a 2026 document prints 2025年预算数, 上年 and 增减变化 columns beside the 2026 figures) and the stage
(a 决算 document prints 年初预算数 / 预算数 beside 决算数). Facts that do not fit are never offered to
the resolver, so a close-looking cell of the wrong year or stage cannot become the answer.

    facts = eligible(facts, fiscal_year=2026, document_kind="部门预算", asked_kind=None)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from budgetqa.models import Answer, TableFact
from qa.answer import fmt, refuse
from qa.concepts import quoted_names
from qa.cues import INCLUDED, RANKS_AMONG, unit_mentions
from qa.matching import abbreviates
from qa.understand import Query

_YEAR = re.compile(r"(20\d{2})\s*年")
_PREVIOUS = re.compile(r"^上年(?!结转|结余)|上年(预算|执行|决算)")  # 上年结转: a fund source, not a year
_CHANGE = re.compile(r"增减|变化|变动|比上年")
_BUDGET_STAGES = ("预算数", "年初预算", "全年预算")


def column_year(fact: TableFact, fiscal_year: int | None) -> int | str | None:
    """The year a column's figures belong to: a printed year, 'previous' for 上年, 'change' for 增减
    columns, None when the header names no year (the document's own year)."""
    for header in fact.column_path:
        text = re.sub(r"\s", "", header)
        if _CHANGE.search(text):
            return "change"
        if _PREVIOUS.search(text):
            return "previous" if fiscal_year is None else fiscal_year - 1
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


def fits_year(fact: TableFact, fiscal_year: int | None) -> bool:
    if fact.table_index < 0:
        return True  # stated figures carry their own year in their sentence
    year = column_year(fact, fiscal_year)
    return year is None or (fiscal_year is not None and year == fiscal_year)


_ACTUAL_STAGE = re.compile(r"决算数|执行数|实际支出|支出决算")


def asked_stage(text: str) -> str | None:
    """The column stage a question names: 年初预算, 全年预算 (调整预算), 预算 (预算数) or 决算 (决算数,
    执行数); None when it names none."""
    if _ACTUAL_STAGE.search(text) and not re.search(r"年初预算|全年预算|预算数", text):
        return "决算"
    if "年初预算" in text:
        return "年初预算"
    if re.search(r"全年预算|调整预算|调整后预算", text):
        return "全年预算"
    return "预算" if "预算数" in text else None


def one_stage(text: str) -> str | None:
    """The one stage a question reads its figures at (asked_stage); None when it sets two against each
    other ("全年执行数占全年预算数的百分之多少": each side is read at its own stage by the operation)."""
    named = re.sub(r"(支出)?决算(总)?表", "", text)  # "“三公”经费支出决算表" names a table, not a stage
    if _ACTUAL_STAGE.search(named) and re.search(r"(年初|全年|调整)预算|预算数", named):
        return None
    return asked_stage(text)


def fits_stage(fact: TableFact, document_kind: str | None, asked_kind: str | None) -> bool:
    """In a 决算 document, a question about spending reads 决算数; one that says 预算 reads the budget,
    and one that names 年初预算 or 全年预算 reads that column (or a plain 预算数 column)."""
    if fact.table_index < 0 or not (document_kind or "").endswith("决算"):
        return True
    stage = fact.dimensions.get("stage")
    if asked_kind in ("年初预算", "全年预算"):
        return stage in (asked_kind, "预算数")
    if asked_kind == "预算":
        return stage != "决算数"
    return stage not in _BUDGET_STAGES


def eligible(facts: list[TableFact], fiscal_year: int | None, document_kind: str | None,
             asked_kind: str | None) -> list[TableFact]:
    """The facts of one document that may answer a question about its own year."""
    return [f for f in facts if fits_year(f, fiscal_year) and fits_stage(f, document_kind, asked_kind)]


_NAMED_CODE = re.compile(r"(?<![\d.])(\d{3}\s\d{2}\s\d{2}|\d{3}\s\d{2}|\d{7}|\d{5})(?![\d.]|\s*(?:年|万|元|亿|%|人|个|辆|项|台|套))")


def named_codes(text: str) -> set[str]:
    """Classification codes a question names ('信访业务（2014004）', '201 08 04', '30201办公费')."""
    return {re.sub(r"\s", "", m.group(1)) for m in _NAMED_CODE.finditer(text)}


def fits_codes(fact: TableFact, codes: set[str]) -> bool:
    """A question that names a code is answered by that code's row (or a sentence that states it)."""
    if not codes:
        return True
    if fact.row_code in codes:
        return True
    return fact.table_index < 0 and any(code in (fact.sentence or "") for code in codes)


PER_PERSON = re.compile(r"人均|平均每(人|个人)|每人平均|每(名|个|位)[^，。？?]{0,10}(工资|收入|补贴|奖金)|月工资|个人工资")
_COUNT = re.compile(r"人数|编制数|多少.{0,6}编制|编制.{0,4}多少|数量(?!指标)|编制是多少|(?<!哪)几(个|名|人|辆|台|套|批|次|家|项|场)|多少(个|名|人|辆|台|套|批|次|人次|家|项|场)(?!元)")
MONEY_UNITS = ("元", "万元", "亿元")
# a score asked (自评得分, 多少分): the only question a figure in 分 answers
ASKS_SCORE = re.compile(r"多少分|几分(?!之)|得分|评分|分数|打分|分值")
# a project's whole investment, over the years it runs ("总投资", "两年加起来"), and a cell or sentence stating one
ASKS_TOTAL_INVESTMENT = re.compile(r"总投资|总投入|累计投入|一共投入|[两二三四五几多]个?年(度)?(加起来|合计|加在一起|总共|一共|累计)|多年")
_STATES_TOTAL = re.compile(r"总投资|总投入|累计|项目总额|总经费|资金总额|总预算")
_ORG_TAIL = re.compile(r"[\u4e00-\u9fa5]{2,16}?(?:管理局|局|厅|委员会|委|办公室|办公厅|中心|法院|检察院|院|所|馆|站|队|讲师团|团|部|署)")


def asks_count(text: str) -> bool:
    """The question asks how many (people, cars, trips …), so money cannot answer it."""
    # ("几个项目合计多少万元", "几个预算单位加起来一共多少": a sum over them, not their number)
    # ("几个项目中哪个最多": a ranking over them)
    return bool(_COUNT.search(text)) and not re.search(r"多少(万|亿)?元|金额|(加起来|加在一起|合计|一共|总共|共计)(是)?多少钱?[？?]?$", text) \
        and not RANKS_AMONG.search(text)


def foreign_organisations(text: str, loaded_names: set[str]) -> list[str]:
    """Organisations named with a listed region prefix in the question that are no loaded department
    under any of its names (北京市监狱管理局 asked inside a question about 北京市司法局, 南京市审计局)."""
    from ingest.names import canonical_name, regions

    found: list[str] = []
    for region in regions():
        for start in (m.start() for m in re.finditer(re.escape(region), text)):
            tail = _ORG_TAIL.match(text, start + len(region))
            if tail is None:
                continue
            name = region + tail.group()
            if (name in loaded_names or canonical_name(name) in loaded_names
                    or any(name in n or (n in name and len(n) >= len(name) - 1) or abbreviates(name, n)
                           for n in loaded_names)):
                continue
            if name not in found:
                found.append(name)
    return found


def names_in_evidence(names: list[str], texts: list[str]) -> bool:
    """Every organisation the question names is printed in the cited evidence, in full or as the short
    form people use (西安市委讲师团 for 中共西安市委理论讲师团: its characters in order, close together)."""
    joined = "".join(texts)
    return all(name in joined or abbreviates(name, joined) for name in names)


def restates_the_question(value: float | str, question: str) -> bool:
    """The answer is a figure the question itself gives ('比上年执行数少了113.53万元，那么上年执行数是多少'):
    echoing the user's own number back is never an answer."""
    given = {m.replace(",", "") for m in re.findall(r"\d[\d,]*\.\d+|\d{2,}", question)}
    text = f"{value}"
    return any(text == g or text.rstrip("0").rstrip(".") == g.rstrip("0").rstrip(".") for g in given
               if "." in g or len(g) >= 3) and not re.fullmatch(r"20\d{2}", text)


# Words that say how a figure is asked, not which figure: they need not appear in the evidence.
_ASKING = re.compile(
    r"＃|[\d.,%％]+|这一?[行栏列项]|一行|请(给出|列出|告诉我|计算|算出|回答)?|给出|告诉我|差额|相差|差距|相当于|倍数|几倍|多少倍|整个|整体|最[大小多少高低]的?|百分之几|百分之|占了|占到|所有|全部|名称为|名为|名叫|叫做|是多少|有多少|多少|一共|总共|合计|总额|总计|共计|加起来|加在一起|相加|安排了?|预算数?|决算数?|金额|经费数|资金|"
    r"财政拨款|一般公共预算|政府性基金|国有资本经营|基本支出|项目支出|万元|亿元|元|部门|单位|本级|年度|全年|今年|本年|当年|"
    r"报表|公开|表[里中内]?|[里中](?![心央])|的|了|是|为|有|在|及|和|与|其|这个|该|请问|那么|花了?|用了?|支出了?|开支|收入|支出|"
    r"分别|大约|约|按|口径|保留两位小数|保留|两位|小数|几[个辆项家名人台套]?|辆车?|台车辆?|科目|经济科目|功能科目|显示|介绍|"
    r"根据|说明|方面|这一?块|项目绩效|绩效自评|自评|数量|比去年|比上年|去年|上年|多还是少|变化|增加|减少|增长|下降|百分比|比例|占比|比重|多大|是否|过来|部分|哪个|哪家|谁|"
    r"这?[两二三四五六七八九十]+[个项]|[这那]?[两二三四五六七八九十]+个?年度?(里|中|间|之中|当中)?|哪一?年|"
    r"[，,。？?！!：:（）()“”\"、\s]")


# the same without the one-character joiners (中, 里, 在, 和 …): a named phrase stays whole (预留给中小企业)
_ASKING_WHOLE = re.compile(_ASKING.pattern.replace("|[里中](?![心央])|的|了|是|为|有|在|及|和|与|其|", "|的|了|"))


def _without_table_names(item_text: str) -> str:
    return re.sub(r"[\u4e00-\u9fa5“”]{2,24}表", " ", item_text)  # a named table is the resolver's table cue


def item_runs(item_text: str) -> list[str]:
    """The words of the asked item: the question without department, year, table names and asking words
    (also what a refusal names as looked for: "因公出国、团组")."""
    return re.findall(r"[\u4e00-\u9fa5]{2,}", _ASKING.sub(" ", _without_table_names(item_text)))


def _plain(evidence: list[str]) -> str:
    return re.sub(r"[“”\"'（）()\s]", "", "".join(evidence))


def unmatched_item_words(item_text: str, evidence: list[str], synonyms: dict[str, list[str]]) -> list[str]:
    """The parts of the asked item (the question without department, year and asking words) that no
    cited cell or sentence mentions, even by a synonym: '委托业务费' when the answer cites 财政拨款收入."""
    plain = _plain(evidence)
    runs = item_runs(item_text)
    missing = [run for run in runs if not _covered_by_synonyms(run, plain, synonyms)]
    # a stray word ("给职工交的养老保险") is tolerated; most of the asked item missing is not, nor an item
    # the question puts in quotes (“行政运行”)
    quoted = quoted_missing(item_text, evidence)
    if quoted:
        return quoted
    return missing if sum(map(len, missing)) > 0.5 * sum(map(len, runs)) else []


def quoted_missing(item_text: str, evidence: list[str]) -> list[str]:
    """Names the question puts in quotes (“行政运行”, 「住房公积金」) that the evidence does not print."""
    plain = _plain(evidence)
    quoted = re.findall(r"“([^”]{2,20})”|「([^」]{2,20})」|『([^』]{2,20})』", _without_table_names(item_text))
    return [q for q in ("".join(groups) for groups in quoted) if not _covered_by_synonyms(_plain([q]), plain, {})]


def item_absent(item_text: str, evidence: list[str], synonyms: dict[str, list[str]]) -> bool:
    """Not one word pair of the asked item is in the evidence: the sentence is about something else
    (差旅费 answered with a sentence about 财政拨款收入)."""
    plain = _plain(evidence)
    runs = item_runs(item_text)
    words = runs + [sub for term, subs in synonyms.items() for run in runs if term in run for sub in subs]
    return bool(runs) and not any(run[i:i + 2] in plain for run in words for i in range(len(run) - 1))


def untouched_phrases(item_text: str, evidence: list[str], synonyms: dict[str, list[str]]) -> list[str]:
    """Stretches of five or more characters of the asked item of which the evidence holds not one word
    pair, even by a synonym: a named thing ('预留给中小企业') the cited figure says nothing about."""
    plain = _plain(evidence)
    runs = re.findall(r"[\u4e00-\u9fa5]{2,}", _ASKING_WHOLE.sub(" ", _without_table_names(item_text)))
    found = []
    for run in runs:
        touched = _touched_pairs(run, plain, synonyms)
        stretch = 0
        for i, hit in enumerate(touched + [True]):
            if not hit:
                stretch += 1
                continue
            if stretch + 1 >= 5:  # the stretch without the characters its touched neighbours share
                found.append(run[i - stretch + (i - stretch > 0):i + (i == len(touched))])
            stretch = 0
    return found


def _touched_pairs(run: str, text: str, synonyms: dict[str, list[str]]) -> list[bool]:
    """For each word pair of the run, whether the text holds it, a colloquial term counting as present
    when one of its document wordings is (公车 -> 公务用车购置及运行费)."""
    touched = [run[i:i + 2] in text for i in range(len(run) - 1)]
    for term, subs in synonyms.items():
        start = run.find(term)
        if start >= 0 and any(sub in text for sub in subs):
            for i in range(start, min(start + len(term) - 1, len(touched))):
                touched[i] = True
    return touched


def _covered_by_synonyms(run: str, text: str, synonyms: dict[str, list[str]]) -> bool:
    """Half of the run's word pairs are in the text (or stand for a synonym in it)."""
    touched = _touched_pairs(run, text, synonyms)
    return bool(touched) and sum(touched) >= 0.5 * len(touched)


# Column meanings that hold another figure than the row's total (nature and fund source, from the
# [[dimension]] rules of ingest/data/tables.toml); 合计, 财政拨款 and 一般公共预算 are left out because most
# tables hold nothing else and the question's word then names the table rather than a column.
_NOT_DISTINCT = {"合计", "财政拨款", "一般公共预算"}


@lru_cache(maxsize=1)
def _column_meanings() -> tuple[tuple[str, re.Pattern[str]], ...]:
    from ingest.tables import rules

    return tuple((value, re.compile(pattern.replace("^", "").replace("$", "")))
                 for entry in rules()["dimension"] if entry["name"] in ("nature", "fund")
                 for value, pattern in entry["words"] if value not in _NOT_DISTINCT)


def unmet_columns(text: str, evidence: list[str]) -> list[str]:
    """Column meanings the question names (基本支出里的人员经费, 政府性基金) that no cited cell or
    sentence carries: the row's 合计 is not its 人员经费."""
    joined = re.sub(r"\s", "", "".join(evidence))
    text = INCLUDED.sub("", text)  # "全部资金（含其他收入）" names no 其他收入 column
    return [value for value, pattern in _column_meanings() if value in text and not pattern.search(joined)]


def other_side(item_text: str, sentences: list[str]) -> str | None:
    """The question asks for 收入 (or 支出) and the cited sentences speak only of the other side: a
    stated "财政拨款支出减少287.41万元" does not answer how 财政拨款收入 changed."""
    item_text = _without_table_names(item_text)  # "收入预算总表中…" names a table, not a side
    asks_income, asks_spending = "收入" in item_text, "支出" in item_text
    if asks_income == asks_spending:
        return None
    want, other = ("收入", "支出") if asks_income else ("支出", "收入")
    joined = "".join(sentences)
    return other if other in joined and want not in joined and "收支" not in joined else None


# the uses a stated figure is spent on, when it lists several (…、…等): the figure is no single use's
_PURPOSE = re.compile(r"(主要)?用于(?=[^。；;]*(、|等|和|及))[^。；;]*")


def _subject_of(sentence: str) -> str:
    """What a sentence states its first amount about: its words up to that amount."""
    return re.split(r"[\d,.]+\s*(?:万元|亿元|元|%)", sentence, maxsplit=1)[0]


def gate_answer(query: Query, loaded_names: set[str], answer: Answer, synonyms: dict[str, list[str]],
                sections: Callable[[], list[str]] | None = None,
                units: Callable[[], set[str]] | None = None, unit: str | None = None) -> Answer:
    """Refuse a number whose evidence does not satisfy what the question names. `sections` gives, on
    demand, the text of the sections a cited sentence stands in (a project's part of the document names
    the project once, at its head); `units`, on demand, the budget units the cited documents print as rows."""
    if not answer.found or answer.value is None:
        return answer
    if restates_the_question(answer.value, query.question):
        return refuse(query.question, f"找到的数字{fmt(answer.value)}是问题本身给出的数字，文档中没有直接给出所问的数。",
                      final=True)
    if answer.unit is None and not query.counting:
        return refuse(query.question, f"文档中的数字{fmt(answer.value)}没有金额单位（是评分、编号或序号一类），"
                                      "不是所问的数。", final=True)
    if asks_count(query.text) and answer.unit in MONEY_UNITS:
        return refuse(query.question, f"文档中有金额（{fmt(answer.value, answer.unit)}），但没有所问的数量。", final=True)
    if answer.unit == "分" and not ASKS_SCORE.search(query.text):
        return refuse(query.question, f"文档中的{fmt(answer.value)}分是评分，不是所问的数。", final=True)
    if ASKS_TOTAL_INVESTMENT.search(query.text) and not any(
            _STATES_TOTAL.search(f"{c.row or ''}{c.column or ''}{c.snippet or ''}") for c in answer.citations):
        # a budget prints one year's amount of a project: never its investment over several years
        return refuse(query.question, f"文档中有一年的预算（{fmt(answer.value, answer.unit)}），但没有所问的多年总投资。",
                      final=True)
    foreign = foreign_organisations(query.text, loaded_names)
    if foreign and units is not None:  # budget units the cited documents print are no foreign organisations
        foreign = foreign_organisations(query.text, loaded_names | units())
    # a stated figure is about its subject, not about what it is spent on: "信访工作经费216.40万元，主要用于
    # 赴省进京劝返工作…" says nothing of a 劝返工作经费 of its own
    # (a sentence cited beside a single figure only for its amount speaks of its own subject: it names
    # nothing the figure is about, "社工服务项目498.82万元：…纠纷调解社工23名…373.66万元" for 社工服务项目)
    evidence = [f"{c.table or ''}{c.row or ''}{c.column or ''}"
                f"{(c.snippet or '') if c.table else _PURPOSE.sub('', c.snippet or '')}{c.context or ''}"
                if i == 0 or answer.route != "table" or c.table else _subject_of(c.snippet or "")
                for i, c in enumerate(answer.citations)]
    said = _PURPOSE.sub("", answer.answer)  # (the answer quotes the sentence)
    asked = INCLUDED.sub("", query.item_text)  # "收入总计（含财政拨款上年结转）": what it includes is no item
    missing = unmatched_item_words(asked, evidence + [said], synonyms)
    table_cells = any(c.table for c in answer.citations)
    if answer.route == "table" and ((missing and table_cells) or
                                    (not table_cells and item_absent(query.item_text, evidence, synonyms))):
        missing = missing or item_runs(query.item_text)
        return refuse(query.question, f"文档中有{answer.answer.rstrip('。')}，但没有找到“{'、'.join(missing)}”。",
                      final=True)
    # (a quoted name is the answer's own: printed by its first citation, not only by a sentence cited beside it)
    unquoted = quoted_missing(query.item_text, evidence[:1]) if answer.route == "table" else []
    if unquoted:  # a sentence about something else (the department's total for 「住房公积金」)
        return refuse(query.question, f"文档中有{answer.answer.rstrip('。')[:80]}，但没有提到“{'、'.join(unquoted)}”。",
                      final=True)
    untouched = untouched_phrases(asked, evidence + [said], synonyms)
    if untouched and sections is not None:
        untouched = untouched_phrases(asked, evidence + [said] + [_PURPOSE.sub("", t) for t in sections()], synonyms)
    if untouched and answer.route in ("table", "compute"):
        return refuse(query.question, f"文档中有{answer.answer.rstrip('。')}，但没有提到“{'、'.join(untouched)}”。",
                      final=True)
    named_table = re.search(r"[\u4e00-\u9fa5“”]{4,24}(明细|情况)?表(?!示|明|述|彰)", query.item_text)
    if named_table and answer.route == "table" and not any(c.table for c in answer.citations):
        # "财政拨款政府购买服务明细表的合计金额": a figure of a named table, never a sentence about something else
        return refuse(query.question, f"问题指明了“{named_table.group()}”，但文档中没有找到该表中的这个数。", final=True)
    sentences = [c.snippet or "" for c in answer.citations if not c.table and c.snippet]
    if sentences and query.operation != "share" and (side := other_side(query.item_text, sentences)):
        return refuse(query.question, f"文档中的说明是关于{side}的（“{sentences[0][:60]}”），不是所问的数。", final=True)
    unmet = unmet_columns(query.item_text, evidence)
    if unmet and answer.route in ("table", "compute"):
        return refuse(query.question, f"文档中有{answer.answer.rstrip('。')}，但不是所问的“{'、'.join(unmet)}”一栏。",
                      final=True)
    if foreign and not names_in_evidence(foreign, evidence):
        return refuse(query.question, f"文档中没有“{'、'.join(foreign)}”的这项数据。", final=True)
    stage = re.search(r"年初预算|全年预算", query.text)
    other = {"年初预算": "全年预算", "全年预算": "年初预算"}[stage.group()] if stage else ""
    if stage and evidence and all(other in _plain([e]) and stage.group() not in _plain([e]) for e in evidence):
        # "年初预算数是多少" answered with "全年预算数为1639.34万元": another stage's figure
        return refuse(query.question, f"文档中有{answer.answer.rstrip('。')[:80]}，但那是{other}数，不是所问的{stage.group()}数。",
                      final=True)
    # a unit named inside the department ("烟台市审计局长岛分局的审计业务经费") or asked by its printed name:
    # its own row only, never the department's (an item quoted by name is the unit's own)
    units_named = [u for u in [*unit_mentions(asked), unit] if u and not names_in_evidence([u], evidence)]
    if units_named and not quoted_names(query.item_text, shortest=4):
        return refuse(query.question, f"文档中有{answer.answer.rstrip('。')[:80]}，但不是“{'、'.join(units_named)}”的数据。",
                      final=True)
    return answer
