"""Narrative answers: retrieve passages of the asked documents (hybrid BM25 + dense), check that
the best one really speaks about the question, and quote it (extractive, cited).

    answer = answer_from_passages(answerer, query, catalog, departments)
"""

from __future__ import annotations

import re

from budgetqa.models import Answer
from qa.answer import refuse
from qa.concepts import quoted_names
from qa.gate import asks_count
from qa.projects import project_answer
from qa.quotes import blocks_of, focused, quote_citations, quote_text
from qa.understand import Catalog, Query

_QUESTION_WORDS = re.compile(
    r"(请问|我想知道|是?什么时候|何时|是什么|是多少|有哪些|哪些|什么|为什么|怎么|如何|怎样|是否|多少|多久|多大|几个|几层|哪里|哪个|"
    r"做什么|干什么|用来|拿来|的|了|吗|呢|？|\?|。|，|、|“|”|年度|年|这个|该|项目的?|主要|一下|介绍|情况|说明)")
# what kind of sentence answers a kind of question
ANSWER_CUES = [
    (r"哪里|在哪|地点|位置|位于", r"位于|路|地址|坐落|建在"),
    (r"多大|面积", r"面积|平方米"),
    (r"几层|多少层", r"层"),
    (r"什么时候|何时|哪一年|多久|周期|时间", r"\d{4}年|\d+月|全年|周期|期间|阶段|工作日"),
    (r"为什么|原因|为何", r"原因|由于|因为|主要是"),
    (r"依据|根据什么", r"依据|根据|批复|文件|《"),
    (r"做什么|干什么|用途|用来|用于|作用|是什么单位|什么性质|是个什么", r"用于|作为|主要|负责|是.{0,20}(机关|单位|机构|部门)"),
    (r"包括哪些|有哪些单位|下属|构成", r"包括|具体包括|下属|本部"),
]
SECTION_SYNONYMS = [  # what a question asks -> the standard section that answers it
    (r"预算单位|下属|哪些单位|管理哪些机构|内设机构|机构设置|单位构成", r"机构设置|单位构成|所属单位"),
    (r"职能|干什么|做什么的|什么性质|什么单位|什么机构|是什么样的|职责", r"职能|职责"),
    (r"工作任务|任务|工作目标", r"工作任务"),
    (r"是指|什么意思|指什么|指的是|含义|名词", r"名词解释"),
    (r"项目.{0,8}(建设什么|做什么|内容|干什么|建哪)|主要建设", r"项目概述|项目概况|实施方案|主要内容"),
    (r"实施周期|什么时候|何时|进度|多久", r"实施周期|实施方案|实施计划"),
    (r"立项依据|依据", r"立项依据|依据"),
]
# what a question asks -> what the answering passage must name, and what the refusal says is missing:
# where a trip went ("去了哪个国家": 赴…, 前往…, 出访…); where something happens ("在什么地方开": 位于…,
# …路, …宾馆, 在…召开)
_MUST_NAME = [
    (re.compile(r"哪个?国家|哪国|哪些国家|国家或地区|去了?哪|到了?哪|目的地"),
     re.compile(r"赴|前往|出访|访问|考察|目的地"), "去了哪里"),
    (re.compile(r"在什么地方|什么地点|在哪里|在哪儿|地点在哪|地址在哪"),
     re.compile(r"位于|地址|地点|坐落|在[\u4e00-\u9fa5]{2,12}(召开|举办|举行)|[\u4e00-\u9fa5]{2,}(路|街|宾馆|酒店|会议中心|礼堂)\d*号?"),
     "在什么地方"),
]
# which organisation ("哪家律师事务所", "哪家机构承办"): a passage that names one of that kind
_ASKS_WHICH_BODY = re.compile(r"哪(?:家|个|一家)[\u4e00-\u9fa5]{0,4}?(律师事务所|事务所|公司|机构|企业|银行|医院)|"
                              r"(律师事务所|事务所|公司|机构|企业|银行|医院)是哪(?:家|个|一家)")
# words that only say a figure changed ("比上年少了"): a reason question naming nothing else asks about the budget
_CHANGE_WORD = re.compile(r"比上|比去|上年|去年|年初|减少|增加|下降|增长|变化|变动|少了?|多了?|降低|提高")
LIST_QUESTION = re.compile(r"哪些|哪几|包括什么|包含什么|有什么|列举")  # asks for a list as a whole, not one item
LIST_SECTIONS = re.compile(r"职能|职责|机构设置|单位构成|所属单位|工作任务")
SECTION_CUES = ["主要职能", "机构设置", "名词解释", "项目概述", "项目概况", "立项依据", "实施主体", "实施方案",
                "实施周期", "年度预算安排", "绩效目标", "三公", "机关运行经费", "政府采购", "国有资产", "工作任务"]
STOP_TOKENS = {"部门", "单位", "预算", "部门预算", "预算单位", "包括", "2017", "2018", "2019", "2020", "2024", "2025", "2026"}


def content_terms(query: Query, catalog: Catalog) -> list[str]:
    """Words of the question that must appear in an answering passage (names and years removed)."""
    text = catalog.without_names(query.text, " ")
    text = re.sub(r"20\d{2}", " ", text)
    text = _QUESTION_WORDS.sub(" ", text)
    from index.lexical import tokenize

    terms = [t for t in tokenize(text) if len(t) >= 2 and t not in STOP_TOKENS]
    return list(dict.fromkeys(terms))


def passage_answer(answerer, query: Query, catalog: Catalog, departments: list[str],  # type: ignore[no-untyped-def]
                   min_coverage: float = 0.25) -> Answer:
    """The passage route: a named project's printed description, else the passages that speak of the
    question; a passage saying the matter is withheld, or without the count asked, is no answer."""
    year = query.years[0] if query.years else None
    project = project_answer(answerer, query, [d for dep in departments for d in catalog.docs_for(dep, year, None)])
    answer = project or answer_from_passages(answerer, query, catalog, departments, min_coverage)
    if not answer.found:
        return answer
    withheld = re.search(r"[^。；]*(?:不予公开|涉密内容|保密审查)[^。；]*", answer.answer)
    if withheld and not re.search(r"公开|涉密|保密", query.text):
        # the document says it withholds this: that is "the documents do not say" (unless asked why)
        return refuse(query.question, f"文档说明此项内容不公开：“{withheld.group().strip('【】 ')}”。", final=True)
    if asks_count(query.text) and not re.search(r"\d+\s*(?:个|人|名|辆|家|项|台|套|层|次)", answer.answer):
        return refuse(query.question, "文档中有相关说明，但没有所问的数量。", final=True)
    for asks, names, missing in _MUST_NAME:
        if asks.search(query.text) and not names.search(answer.answer):
            return refuse(query.question, f"文档中有相关说明，但没有说{missing}。", final=True)
    which = _ASKS_WHICH_BODY.search(query.text)
    body = which.group(1) or which.group(2) if which else ""
    if body and not re.search(r"[\u4e00-\u9fa5]{2,}" + body, answer.answer):
        return refuse(query.question, f"文档中有相关说明，但没有说是哪家{body}。", final=True)
    return answer


def answer_from_passages(answerer, query: Query, catalog: Catalog, departments: list[str],  # type: ignore[no-untyped-def]
                         min_coverage: float = 0.25) -> Answer:

    year = query.years[0] if query.years else None
    docs = [d for dep in departments for d in catalog.docs_for(dep, year, None)]
    if not docs and year is not None:
        docs_any = [d for dep in departments for d in catalog.docs_for(dep, None, None)]
        if docs_any:
            return refuse(query.question, f"没有加载{year}年的相关文档。")
    if not docs:
        return refuse(query.question, "没有找到相关的文档。")
    filters = {"document_id": [d.document_id for d in docs], "passage_kind": "narrative"}
    terms = content_terms(query, catalog)
    if not terms and re.search(r"干什么|做什么|是什么|什么性质|什么单位|什么机构|负责|职能", query.text):
        terms = ["职能"]  # a question about the department itself: its 主要职能 section answers
    elif re.search(r"为什么|原因|为何", query.text) and all(_CHANGE_WORD.fullmatch(t) for t in terms):
        terms = ["原因"]  # why the budget itself changed: the sentences giving a reason compete
    hits = list(answerer.passage_index.search(query.question, k=8, filters=filters))
    wanted = [section for asked, section in SECTION_SYNONYMS if re.search(asked, query.text)
              and (section != r"职能|职责" or terms == ["职能"] or any(t in ("职能", "职责", "性质") for t in terms))]
    if wanted:  # the standard section that answers this kind of question competes too
        seen = {h.passage_id for h in hits}
        hits += [_as_hit(p) for p in answerer.store.passages([d.document_id for d in docs])
                 if p.kind == "narrative" and p.passage_id not in seen
                 and any(re.search(w, "".join(p.section_path)) for w in wanted)]
    quoted = _quoted_cores(query.question)
    if quoted:  # a quoted name is asked whole: the passages printing it compete, and only they
        seen = {h.passage_id for h in hits}
        hits += [_as_hit(p) for p in answerer.store.passages([d.document_id for d in docs])
                 if p.kind == "narrative" and p.passage_id not in seen and _prints_all(quoted, p.text, p.section_path)]
        hits = [h for h in hits if _prints_all(quoted, h.text, h.section_path)]
    variants = _variants(terms)
    cues = [answer for asked, answer in ANSWER_CUES if re.search(asked, query.text)]
    sections = [word for word in SECTION_CUES if word in query.text]
    scored = []
    for rank, hit in enumerate(hits):
        section = "".join(hit.section_path)
        haystack = hit.text + section
        covered = [t for t in terms if any(v in haystack for v in variants[t])]
        in_wanted = any(re.search(w, section) for w in wanted)
        coverage = len(covered) / len(terms) if terms else (1.0 if in_wanted else 0.0)
        bonus = 0.25 * sum(bool(re.search(cue, hit.text)) for cue in cues)
        bonus += 0.3 * sum(word in section for word in sections)
        bonus += 1.0 * in_wanted
        scored.append((coverage + bonus - min(rank, 8) * 0.03, coverage, hit))
    scored.sort(key=lambda s: -s[0])
    if not scored or scored[0][1] < min_coverage or (min_coverage > 0.5 and len(terms) < 2):
        searched = "、".join(sorted({d.file_name for d in docs}))
        return refuse(query.question, f"在{searched}的正文中没有找到与“{'、'.join(terms) or query.question}”"
                                      "相关的内容。")
    best = scored[0][2]
    generic = {"职能", "职责", "机构", "单位", "任务", "工作", "目标", "主要职能", "下属", "预算单位", "内设机构"}
    whole_list = not [t for t in terms if t not in generic] or bool(re.search(r"第[一1]|首要|首先", query.text))
    names = {d.document_id: d.file_name for d in docs}
    specific = [t for t in terms if t not in generic and not any(t in w for w in SECTION_CUES)]
    if quoted:  # a quoted name is one word, not the pieces the tokenizer cut it into
        specific = quoted
        variants.update({name: [name] for name in quoted})
    stored = {p.passage_id: p for p in answerer.store.passages([best.document_id])}
    chosen = [stored.get(p.passage_id, p) for p in _with_neighbours(answerer, best, whole_list=whole_list)]
    blocks = blocks_of(chosen)
    if not whole_list and not LIST_QUESTION.search(query.text):  # a list asked about one item: the items naming it
        blocks = focused(blocks, [variants[t] for t in specific], cues)
    lead = [] if whole_list else _focus(answerer, best, specific, variants)
    text = "\n".join(block for _, block in blocks)
    if all(piece in text[:300] for _, piece in lead):
        lead = []  # the sentences that speak of what was asked open the quote already
    lead = [(stored.get(p.passage_id, p), piece) for p, piece in lead]
    return Answer(question=query.question, answer=quote_text(lead, blocks), found=True, route="passage",
                  citations=quote_citations(lead + blocks, stored.get(best.passage_id, best.passage), names))


def _quoted_cores(question: str) -> list[str]:
    """Names the question quotes ("“资产运行维护”项目"), without spaces and a trailing 项目/经费/资金."""
    return [core for name in quoted_names(question, shortest=3)
            for core in [re.sub(r"(项目|经费|资金)$", "", re.sub(r"\s", "", name))] if len(core) >= 3]


def _prints_all(names: list[str], text: str, section_path) -> bool:  # type: ignore[no-untyped-def]
    """Whether a passage (with its section path) prints every quoted name whole."""
    plain = re.sub(r"\s", "", text + "".join(section_path))
    return all(name in plain for name in names)


def _variants(terms: list[str]) -> dict[str, list[str]]:
    """Each question word with the document wordings it stands for (招待费 -> 公务接待费)."""
    from index.lexical import load_synonyms

    synonyms = load_synonyms()
    return {t: [t, *[e for syn in synonyms if syn.term == t or t in syn.term for e in syn.expansions]] for t in terms}


MAX_ANSWER_CHARS = 900


def _with_neighbours(answerer, best, whole_list: bool = True):  # type: ignore[no-untyped-def]
    """The best passage with the passages around it in the same section, up to ~700 characters,
    so that a list (职能, 机构) or an explanation split over passages is quoted whole."""
    depth = len(best.section_path)
    section = [p for p in answerer.store.passages([best.document_id])  # the section and its sub-sections
               if p.section_path[:depth] == best.section_path and p.kind == "narrative"]
    section.sort(key=lambda p: p.char_start)
    index = next((i for i, p in enumerate(section) if p.passage_id == best.passage_id), None)
    if index is None:
        return [best.passage]
    if LIST_SECTIONS.search("".join(best.section_path)) and whole_list:
        index = 0  # a list (职能, 机构, 任务) asked for as a whole is quoted from its start
    chosen, size = [section[index]], len(section[index].text)
    before, after = index - 1, index + 1
    while size < MAX_ANSWER_CHARS and (before >= 0 or after < len(section)):
        if after < len(section) and size + len(section[after].text) <= MAX_ANSWER_CHARS:
            chosen.append(section[after])
            size += len(section[after].text)
            after += 1
        elif before >= 0 and size + len(section[before].text) <= MAX_ANSWER_CHARS:
            chosen.insert(0, section[before])
            size += len(section[before].text)
            before -= 1
        else:
            break
    return chosen


_PIECE = re.compile(r"(?<=[。；;！？])|\n")


def _focus(answerer, best, specific: list[str], variants: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    """Up to three sentences or list items of the best passage's section that name most of the asked
    specific words (a list of 职责 asked about one duty), in document order, with their passages."""
    if not specific:
        return []
    # the whole top section: a numbered list item ("（十一）负责…执法工作") may be read as a heading of its own
    section = sorted((p for p in answerer.store.passages([best.document_id])
                      if p.section_path[:1] == best.section_path[:1] and p.kind == "narrative"),
                     key=lambda p: p.char_start)
    scored = []
    for order, passage in enumerate(section):
        heading = passage.section_path[-1] if len(passage.section_path) > 1 else ""
        pieces = [x.strip() for x in _PIECE.split(passage.text)]
        # a sentence that only names an item keeps the explanation that follows it ("…2170.39万元。主要用于…")
        pieces = [p + (pieces[i + 1] if i + 1 < len(pieces) and re.match(r"(主要)?(用于|包括)|其中", pieces[i + 1])
                       else "") for i, p in enumerate(pieces)]
        for piece in [heading + passage.text.split("\n")[0] if heading else "", *pieces]:
            if len(piece) < 6:
                continue
            hits = sum(any(v in piece for v in variants.get(t, [t])) for t in specific)
            scored.append((hits, order, passage, piece))
    top = max((h for h, *_ in scored), default=0)
    if top == 0 or top < 0.5 * len(specific):
        return []
    picked = sorted((s for s in scored if s[0] == top), key=lambda s: s[1])[:3]
    return [(passage, piece) for _, _, passage, piece in picked]


def _as_hit(passage):  # type: ignore[no-untyped-def]
    from index.passages import SearchHit

    return SearchHit(passage.passage_id, passage.document_id, passage.section_path, passage.text, passage.page_start,
                     passage.page_end, passage.char_start, passage.char_end, passage.kind, 0.0, ())
