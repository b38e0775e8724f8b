"""Question -> what is asked: which documents (department, year, kind), which item and column,
which operation, and which route (table facts, passages, or both).

Department names and their short forms are learned from the store's own document metadata
(department, aliases, file names), never from a list of today's corpus.

    catalog = Catalog(store.documents())
    query = parse_question("区政府办2025年三公经费比去年少了多少？", catalog)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from budgetqa.models import StoredDocument
from qa.cues import RANKS_AMONG
from qa.operations import operation_of, route_of, then_previous

_ORG = re.compile(r"([\u4e00-\u9fa5]{2,10}?(?:局|办公室|办公厅|办|厅|法院|检察院|中心|街道|委员会|政府|学校|大学|医院|"
                  r"宾馆|馆|研究所|研究院|学院|所|站|队|团|署))")
_NOT_ORG = re.compile(r"^(?:部门|本部门|单位|财政局?|机关|政府办?|区政府|市政府|省政府|该部门)$")


@dataclass
class Catalog:
    """The loaded documents and every name people may call their departments by."""

    documents: list[StoredDocument]
    names: dict[str, set[str]] = field(default_factory=dict)  # alias -> departments

    def __post_init__(self) -> None:
        self._of_department: dict[str, list[StoredDocument]] = {}  # canonical name -> its documents, in order
        for doc in self.documents:
            self._of_department.setdefault(canonical_department(doc.department or ""), []).append(doc)
            if not doc.department:
                continue
            canonical = canonical_department(doc.department)
            for name in {doc.department, canonical, *doc.aliases, _file_stem_name(doc.file_name)}:
                if name and len(name) >= 2:
                    self.names.setdefault(name, set()).add(canonical)

    def departments(self) -> list[str]:
        return list(self._departments)

    @cached_property
    def _departments(self) -> tuple[str, ...]:
        return tuple(sorted(dep for dep, docs in self._of_department.items() if any(d.department for d in docs)))

    def years(self, department: str | None = None) -> list[int]:
        docs = self.documents if department is None else self._of_department.get(department, [])
        return sorted({d.fiscal_year for d in docs if d.fiscal_year})

    def docs_for(self, department: str | None, year: int | None, kind: str | None = None) -> list[StoredDocument]:
        """The documents of a department-year of the kind asked; a 预算 question about a year published
        only as 决算 reads the 决算 (it prints the 年初预算 beside the 决算数, and the gate picks it)."""
        of_department = self.documents if department is None else self._of_department.get(department, [])
        docs = [d for d in of_department if year is None or d.fiscal_year == year]
        if kind in ("单位预算", "单位决算"):  # asked for the unit's own disclosure
            return [d for d in docs if d.kind == kind]
        kinds = [d for d in docs if kind is None or (d.kind or "").endswith(kind[-2:])]
        if any((d.kind or "").startswith("部门") for d in kinds):
            # a department name means its 部门预算; the 单位预算 beside it answers only when asked for
            kinds = [d for d in kinds if not (d.kind or "").startswith("单位")]
        if not kinds and kind == "预算" and department is not None and year is not None:
            return docs
        return kinds

    def names_in(self, text: str) -> list[str]:
        """The loaded names that occur in `text`, in catalog order. Each stretch of the text as long as some
        name is looked up, instead of searching the text for every name: a library holds thousands."""
        order, lengths = self._name_order
        found = {text[i:i + n] for n in lengths for i in range(len(text) - n + 1)} & order.keys()
        return sorted(found, key=order.__getitem__)

    def inside_a_name(self, text: str) -> bool:
        """Whether `text` (no line break in it) is part of some loaded name."""
        return text in self._joined_names

    def without_names(self, text: str, mark: str) -> str:
        """`text` with every loaded name in it replaced by `mark`, the longest names first."""
        replaced = self.names_in(text) + [n for n in self._names_holding(mark) if n not in text]
        for name in sorted(replaced, key=lambda n: (-len(n), self._name_order[0][n])):
            text = text.replace(name, mark)
        return text

    @cached_property
    def _name_order(self) -> tuple[dict[str, int], tuple[int, ...]]:
        return {name: i for i, name in enumerate(self.names)}, tuple(sorted({len(n) for n in self.names}))

    @cached_property
    def _joined_names(self) -> str:
        return "\n".join(self.names)

    def _names_holding(self, mark: str) -> list[str]:
        """Names with `mark` in them: replacing another name by `mark` can make them appear."""
        return [n for n in self.names if mark in n] if mark in self._joined_names else []


def canonical_department(name: str) -> str:
    """One name per department: 中共江苏省委办公厅 and 江苏省委办公厅 are the same office."""
    return re.sub(r"^中共", "", name.strip())


def _file_stem_name(file_name: str) -> str:
    """'省法院2017年度部门预算公开.pdf' -> '省法院' (how the publisher itself shortens the name)."""
    match = re.match(r"^([\u4e00-\u9fa5]{2,20}?)(?:20\d{2})", file_name)
    return match.group(1) if match else ""


@dataclass
class Query:
    """What a question asks, resolved against the catalog."""

    question: str
    text: str  # normalized question text
    departments: list[str]  # canonical names; several = ambiguous or a comparison
    unknown_department: str | None  # an organisation named in the question that is not loaded
    years: list[int]  # explicit or resolved years, in the order asked
    relative_previous: bool  # 去年 / 上年 / 比上一年: compare with the year before
    kind: str | None  # 预算 | 决算
    operation: str  # value | difference | sum | share | growth | compare | rank | count
    route: str  # table | passage | mixed
    rank_n: int = 1
    rank_desc: bool = True
    item_text: str = ""  # the question without department names, years and dates: what is asked about
    counting: bool = False  # asks for a count (几个, 多少辆 …), not money
    ambiguous: list[str] = field(default_factory=list)  # one short name that fits several departments


def normalize(text: str) -> str:
    """Full-width to half-width for digits and letters, unify quotes and brackets, drop spaces."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF5A:
            ch = chr(code - 0xFEE0)
        out.append(ch)
    text = "".join(out).replace("(", "（").replace(")", "）").replace("\"", "“")
    return re.sub(r"\s+", "", text)


@lru_cache(maxsize=1)
def _wording() -> tuple[tuple[re.Pattern[str], str], ...]:
    """qa/data/wording.tsv: how people word a question (实际花的, 为啥) -> the documents' words (决算数, 为什么)."""
    lines = (Path(__file__).parent / "data" / "wording.tsv").read_text(encoding="utf-8").splitlines()
    return tuple((re.compile(left), right) for left, right in
                 (line.split("\t", 1) for line in lines if line.strip() and not line.startswith("#")))


def reword(text: str) -> str:
    """The question in the documents' words; a bare 预算 beside a 决算数 is the 预算数 column
    ("实际花的比预算少了多少" -> "决算数比预算数少了多少")."""
    for pattern, printed in _wording():
        text = pattern.sub(printed, text)
    if "决算数" in text:
        text = re.sub(r"(?<!年初)(?<!全年)(?<!调整)(?<!部门)预算(?![数表总])", "预算数", text)
    return text


def parse_question(question: str, catalog: Catalog, department: str | None = None,
                   year: int | None = None, kind: str | None = None) -> Query:
    # "（由2019年公开推算）" names the source document, not a year asked about
    # ("（根据2026年预算和增减额推算）": how to derive the figure, not what is asked)
    text = re.sub(r"[（(]?(?:由|按|根据|从|照)\d{4}年度?(?:的)?(?:公开|文档|说明|数据)?(?:推算|计算)[）)]?|"
                  r"[（(](?:由|按|根据|从|照)[^（）()，,。？?]{0,20}?推算[）)]", "推算", reword(normalize(question)))
    # "（2026年的说明里有同比变化）": a hint where the figure can be derived from, not a change asked for
    text = re.sub(r"（[^（）]{0,30}?(?:说明|文档|公开|报表)[^（）]{0,12}?(?:里|中)有?[^（）]{0,12}?）", "推算", text)
    if re.search(r"一共|总共|共计|合计|总额", re.sub(r"[（(][^（）()]*[）)]", "", text)):
        # "差旅费一共安排了多少（基本支出和专项业务经费合计）": the bracket spells what the total holds
        text = re.sub(r"[（(][^（）()]{2,30}(?:合计|之和|加总|加起来|加在一起|总和)[）)]", "", text)
    departments, unknown, shared = _departments(_distribute_regions(text), catalog)
    if department:
        departments, unknown, _ = _departments(normalize(department), catalog)
        shared = []  # the caller named the department: no short name is ambiguous
        if not departments:
            unknown = department
    years, relative = _years(_without_source_year(text), catalog, departments, year)
    if not years:
        years, relative = _years(text, catalog, departments, year)
    ambiguous: list[str] = []
    for name, candidates in shared:
        # a short form several loaded departments share ("司法局"): the year asked may single one out
        fitting = {d for d in candidates if not years or any(y in catalog.years(d) for y in years)}
        if len(fitting) == 1:
            departments = [d for d in departments if d not in candidates or d in fitting]
        elif len(departments) == len(candidates) and not re.search(r"[、和与及]|哪个|最", text):
            # the only name in the question, and it fits several (a list of regions before it is a comparison)
            ambiguous = sorted(fitting or candidates)
    # 一般公共预算 / 政府性基金预算 name fund sources and 预算数 / 年初预算 a column: none names the document kind
    kind_text = re.sub(r"一般公共预算|政府性基金预算|国有资本经营预算|预算单位|预算数|年初预算|全年预算", "", text)
    unit_kind = re.search(r"单位(预算|决算)", text)
    doc_kind = kind or (unit_kind.group() if unit_kind else
                        "决算" if "决算" in kind_text else "预算" if "预算" in kind_text else None)
    operation, rank_n, rank_desc = operation_of(text, years, departments)
    if operation == "difference" and then_previous(text):
        operation = "value"  # (last year's figure, read or derived; not the change)
    # ("哪几个单位": which ones, a list; "多少场培训": a count)
    counting = bool(re.search(r"(?<!哪)几(个|辆|家|项|人|名|层|台|批|次|天|日|场)|多少(个|辆|家|项|人次|人|名|层|台|套|批次|批|次|天|场)|数量|"
                              r"多少分|几分(?!之)|得分|评分|分数|"
                              r"多少(名|位)?[\u4e00-\u9fa5]{0,4}?(干部|职工|员工|人员)|"
                              r"人数|个数|次数|件数|户数",
                              text)) and not \
        re.search(r"多少(万)?元|金额|经费(是|为|有|共)?(多少|几)|预算(是|为)?多少",
                  re.sub(r"“[^”]*”|「[^」]*」", "", text)) and not \
        RANKS_AMONG.search(text)
    # (a project's 经费 named before a count is its name; "几个项目中哪个最多" ranks, it does not count)
    return Query(question=question, text=text, departments=departments, unknown_department=unknown,
                 years=years, relative_previous=relative, kind=doc_kind, operation=operation, ambiguous=ambiguous,
                 route=route_of(text, operation), rank_n=rank_n, rank_desc=rank_desc,
                 item_text=item_text(text, catalog), counting=counting)


_REGION_LIST = re.compile(r"((?:[\u4e00-\u9fa5]{2,3}[、，,和与及])+[\u4e00-\u9fa5]{2,3})(?:[一二三四五六七八九十两\d]+个)?"
                          r"((?:市|省|区|县)[\u4e00-\u9fa5]{1,8}?(?:局|厅|委|办|院|中心))")


def _distribute_regions(text: str) -> str:
    """'苏州、烟台、西安、上海四个市审计局' names four departments: 苏州市审计局、烟台市审计局、… ."""
    from ingest.names import regions

    shorts = {r.short for r in regions().values()} | set(regions())

    def expand(match: re.Match[str]) -> str:
        places = re.split(r"[、，,和与及]", match.group(1))
        if not all(p in shorts for p in places):
            return match.group()
        level, core = match.group(2)[0], match.group(2)[1:]
        return "、".join((p if p.endswith(level) else p + level) + core for p in places)

    return _REGION_LIST.sub(expand, text)


_SOURCE_YEAR = re.compile(r"(?:根据|按照|按|依据|从|由)[^，,。？?]{0,20}?20\d{2}年度?[^，,。？?]{0,14}?"
                          r"(?:说明|公开|文件|文档|报表|数据|决算|预算)(?:中|里|的|推算|来看)?")


def _without_source_year(text: str) -> str:
    """'根据上海市审计局2026年单位预算说明，该局2025年…是多少' asks about 2025: the year that names the
    source document is not a year asked about."""
    return _SOURCE_YEAR.sub(lambda m: re.sub(r"20\d{2}年度?", "", m.group()), text)


def item_text(text: str, catalog: Catalog) -> str:
    """The question with department names, years and dates removed, so that '司法局' or '2019'
    are not mistaken for the row 司法 or the code 201."""
    quoted = re.findall(r"[“「『][^”」』]*[”」』]", text)  # a quoted project name keeps its department words
    quoted += re.findall(_PROJECT_PERIOD, text)  # … and a project's period keeps its years
    for index, part in enumerate(quoted):
        text = text.replace(part, f"\0{index}\0", 1)
    text = catalog.without_names(text, "＃")
    text = re.sub(r"\d{4}年(?:年)?[底末]的?(?=结转|结余)", "＃年末", text)  # "2024年底的结转和结余": 年末结转和结余
    text = re.sub(r"截至?\d{4}年(\d{1,2}月)?(\d{1,2}日)?|\d{4}年\d{1,2}月(\d{1,2}日)?|(到|截至|截止)?\d{4}年(年)?[底末](?!结转|结余|余额)",
                  "＃", text)
    text = re.sub(r"(?<!\d)(19|20)\d{2}(年度?)?(?!\d)", "＃", text)
    for index, part in enumerate(quoted):  # (and its year: “…（2018升级改造）”)
        text = text.replace(f"\0{index}\0", part, 1)
    # "（%，保留两位小数）" says how to write the answer, not what is asked
    text = re.sub(r"[（(][^（）()]{0,6}(?:保留|精确到|四舍五入)[^（）()]{0,10}[）)]|[，,]?(?:保留|精确到)[^，,。？?]{0,8}小数", "", text)
    # "按说明推算，…" / "（按2024年决算说明推算）" says how to get the figure, not what figure
    text = re.sub(r"[（(]?(?:按|根据|依据|由|从)[^，,。？?（）()]{0,24}?推算[）)]?[，,]?|推算", "", text)
    # "根据2026年预算说明，…" says where to read, not what
    text = re.sub(r"(?:^|(?<=[，,。]))(?:根据|按照?|依据|从)[^，,。？?]{0,16}?(?:说明|文档|文件|资料|报告|公开表)(?:中|里|来看|看)?[，,]",
                  "", text)
    # "部门预算收入一共多少": 部门预算 names the disclosure, not a row (一、部门预算 of a 综合预算 收支总表)
    text = re.sub(r"(?<![一二三四五六七八九十、])((部门|单位)(综合)?|综合)(预算|决算)(?=收入|支出|中|里|显示|说|$)", "", text)
    return re.sub(r"^([＃的\s]*)(中|里)?(说|提到|显示)的?", r"\1", text)  # "（预算）里说…": where it is said


def _departments(text: str, catalog: Catalog) -> tuple[list[str], str | None, list[tuple[str, set[str]]]]:
    """Departments named in the text (longest names win), an unloaded one if named instead, and the
    names that fit several loaded departments ("司法局" with two 司法局 loaded) with their candidates."""
    hits: list[tuple[int, int, set[str]]] = []
    for name in catalog.names_in(text):
        for match in re.finditer(re.escape(name), text):
            hits.append((match.start(), match.end(), catalog.names[name]))
    chosen: list[str] = []
    spans: list[tuple[int, int]] = []
    shared: list[tuple[str, set[str]]] = []
    for start, end, departments in sorted(hits, key=lambda h: -(h[1] - h[0])):
        if any(start < e and s < end for s, e in spans):
            continue  # a shorter name inside a longer one already matched
        spans.append((start, end))
        if len(departments) > 1:
            shared.append((text[start:end], set(departments)))
        chosen += [dep for dep in sorted(departments) if dep not in chosen]
    unknown = None
    if not chosen:
        for match in _ORG.finditer(text):
            org = re.sub(r"^(?:\d{4}年度?|年度?|请问|我想知道|查询|查一下)", "", match.group(1))
            if not _NOT_ORG.match(org) and not (catalog.inside_a_name(org) or catalog.names_in(org)):
                unknown = org
                break
    return _mention_order(text, chosen, catalog), unknown, shared


def _mention_order(text: str, departments: list[str], catalog: Catalog) -> list[str]:
    named = catalog.names_in(text)

    def first_mention(dep: str) -> int:
        positions = [text.find(name) for name in named if dep in catalog.names[name]]
        return min(positions) if positions else len(text)

    return sorted(departments, key=first_mention)


# a project's period ("2026-2027年信息化运维项目"): part of its name, not a year asked about
_PROJECT_PERIOD = r"20\d{2}\s*[-－—]\s*20\d{2}\s*年度?(?=[^，,。？?]{0,12}(?:项目|工程|专项|经费|运维|服务))"


def _years(text: str, catalog: Catalog, departments: list[str], forced: int | None) -> tuple[list[int], bool]:
    # a year inside a quoted name, or a project's period ("2026-2027年信息化运维项目"), is part of a name
    text = re.sub(r"[“「『][^”」』]*[”」』]", "", text)
    text = re.sub(_PROJECT_PERIOD, "", text)
    years = [int(y) for y in re.findall(r"(?<!截至)(?<!截止)(20\d{2})\s*年(?!\d{1,2}月)", text)]
    years += [int(y) for y in re.findall(r"(?<!\d)(20\d{2})(?!\d|年)", text) if int(y) not in years]
    department = departments[0] if len(departments) == 1 else None
    for position, year in enumerate(years):
        # a stock counted at the end of year Y ("到2025年底有多少辆车") is reported in Y+1's 预算 too
        if re.search(rf"{year}\s*年\s*(底|末)", text) and year not in catalog.years(department) \
                and year + 1 in catalog.years(department):
            years[position] = year + 1
    # "截至上年末" is when a stock is counted, not a comparison with the year before
    # (上年结转 / 上年结余 / 上年实户资金余额 is a source of funds, not last year)
    relative = bool(re.search(r"去年|上年|上一年|前一年|比上年|较上年|同比",
                              re.sub(r"(上年|上一年|去年)(底|末)|上年(结转|结余|实户资金|实户|资金余额|余额)|(去年|上年|上一年)\s*[（(]\s*20\d{2}", "", text)))
    # ("去年（2025年）": the year in brackets is the year asked, already counted)
    if forced:
        years = [forced] + [y for y in years if y != forced]
    if not years:
        loaded = catalog.years(department)
        if len(loaded) == 1 and (department or re.search(r"今年|本年|本年度", text)):
            years = loaded
    asks_previous_value = relative and (not re.search(
        r"比|较|增|减|变化|变动|差|相比|同比|对比|多了|少了|高|低|多少了", re.sub(r"去年|上年|上一年|前一年", "", text))
        or bool(then_previous(text)))
    if re.search(r"前年", text) and years:
        years = [years[0], years[0] - 2]
    elif asks_previous_value and len(years) == 1:
        years = [years[0] - 1]  # "上一年执行数是多少": last year's figure, not a comparison with it
    elif relative and len(years) == 1:
        years = [years[0], years[0] - 1]
    return list(dict.fromkeys(years)), relative
