"""Budget concepts people name in their own words (三公, 公车, 人头经费, 一共多少钱 …) and how each
finds its cell in a document's tables, whatever the layout (三公 parts as columns or as rows, totals
printed as a row or a column). Read by qa/lookup.py before any row-label matching.

    concept = next(c for c in CONCEPTS if re.search(c.trigger, "三公经费是多少"))
    cells = concept.pick(facts)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from budgetqa.models import TableFact

_STRIP_LABEL = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.、．]\s*|[（(][一二三四五六七八九十\d]+[）)]|其中[:：]?)")


def quoted_names(text: str, shortest: int = 2) -> list[str]:
    """The names a question puts in quotes (“…”, 「…」, 『…』), of `shortest` to 40 characters."""
    return re.findall(rf"[“「『]([^”」』]{{{shortest},40}})[”」』]", text)


def label_core(label: str) -> str:
    """A cleaned label without a project's system code ('11000022T000000444194-法律援助办案补贴' ->
    '法律援助办案补贴': Beijing prints project codes before names) or a procurement category letter
    ('C-服务' -> '服务': 政府采购品目 A 货物, B 工程, C 服务)."""
    label = re.sub(r"^([0-9A-Z]{8,}[-－]?|[A-C][-－])|(?<=货物|工程|服务)[A-C]$", "", label)
    return _INDICATOR_LEVELS.sub("", label) if len(label) > 10 else label


# the 一级 and 二级 levels a performance table prints in front of an indicator's own name, in one cell
# ("产出指标数量指标开展法治建设业务课题研究数量", "成本指标经济成本指标北京市行政执法资格考试成本")
_INDICATOR_LEVELS = re.compile(r"^(产出|效益|满意度|成本)指标(数量|质量|时效|成本|经济成本|社会成本|生态环境成本|社会效益|经济效益|"
                               r"生态效益|可持续影响|服务对象满意度)指标(?=.{4,})")


def clean_label(label: str) -> str:
    text = _STRIP_LABEL.sub("", label.strip())
    return re.sub(r"[\s“”\"'（）()]", "", text)


@dataclass
class Concept:
    """A budget concept people name in their own words, and how to find its cell."""

    name: str
    trigger: str  # regex on the question
    pick: Callable[[list[TableFact]], list[TableFact]]
    narrative: str | None = None  # regex on a narrative fact's subject, as a fallback
    weak: bool = False  # a generic total: used only when the question names no row of its own


def _col_has(fact: TableFact, *words: str) -> bool:
    joined = "".join(fact.column_path)
    return all(w in joined for w in words)


def column_leaf(fact: TableFact) -> str:
    return re.sub(r"[\s“”]", "", fact.column_path[-1]) if fact.column_path else ""


def _transposed(table: list[TableFact]) -> bool:
    """A 三公 table printed with the parts as rows (广州, 福州 layouts) instead of columns."""
    parts = ("出国", "接待", "公务用车")
    return (any(any(w in f.row_label for w in parts) for f in table)
            and not any(any(w in "".join(f.column_path) for w in parts) for f in table))


def _row_pick(rows: list[TableFact]) -> list[TableFact]:
    """In a transposed table: the row's total column (合计/小计), else its first figure."""
    totals = [f for f in rows if column_leaf(f) in ("合计", "小计", "总计")]
    return totals or sorted(rows, key=lambda f: (f.row_index, len(f.column_path)))[:1]


def _sangong_total(facts: list[TableFact]) -> list[TableFact]:
    table = [f for f in facts if f.table_kind == "三公经费"]
    if _transposed(table):
        named = [f for f in table if "三公" in f.row_label and f.value is not None]
        if named:
            return _row_pick(named)
        if any(w in f.row_label for f in table for w in ("会议", "培训", "行政经费")):
            return []  # a 合计 row that also adds other costs is not the 三公 total
        return _row_pick([f for f in table if clean_label(f.row_label) in ("合计", "总计") and f.value is not None])
    whole = [f for f in table if "三公" in column_leaf(f) and re.search(r"总额|合计|总计", column_leaf(f))]
    if whole:  # "“三公”经费财政拨款预算总额" printed as one column (北京 预算09表)
        return whole
    nested = [f for f in table if any("三公" in c for c in f.column_path[:-1]) and column_leaf(f) in ("合计", "小计")
              and not any(w in "".join(f.column_path) for w in ("公务用车", "出国", "接待"))]
    if nested:
        return sorted(nested, key=lambda f: len(f.column_path))
    has_other = any(_col_has(f, "会议费") or _col_has(f, "培训费") for f in table)
    return [f for f in table if column_leaf(f) == "合计" and not has_other]


def _sangong_part(*words: str, exclude: tuple[str, ...] = ()) -> Callable[[list[TableFact]], list[TableFact]]:
    def pick(facts: list[TableFact]) -> list[TableFact]:
        table = [f for f in facts if f.table_kind == "三公经费"]
        if _transposed(table):
            return _row_pick([f for f in table if all(w in f.row_label for w in words) and f.value is not None
                                     and not any(x in f.row_label for x in exclude)])
        found = [f for f in table if all(any(w in c for c in f.column_path) for w in words)
                 and not any(x in column_leaf(f) for x in exclude)]
        # a column group (公务用车购置及运行费 > 小计/购置费/运行费) answers with its 小计
        return sorted(found, key=lambda f: (column_leaf(f) not in ("小计", "合计") and len(f.column_path) > 1,
                                            len(f.column_path)))
    return pick


def _vehicle_part(word: str) -> Callable[[list[TableFact]], list[TableFact]]:
    def pick(facts: list[TableFact]) -> list[TableFact]:
        return [f for f in facts if f.table_kind == "三公经费" and any("公务用车" in c for c in f.column_path)
                and word in column_leaf(f) and "购置及" not in column_leaf(f) and column_leaf(f) not in ("小计", "合计")]
    return pick


def _column_anywhere(word: str, kinds: tuple[str, ...]) -> Callable[[list[TableFact]], list[TableFact]]:
    def pick(facts: list[TableFact]) -> list[TableFact]:
        in_columns = [f for f in facts if f.table_kind in kinds and any(word in c for c in f.column_path)]
        if in_columns:
            return in_columns
        return [f for f in facts if f.table_kind in kinds and word in f.row_label]
    return pick


def _total_row(*labels: str, kinds: tuple[str, ...] = ("收支预算总表",)) -> Callable[[list[TableFact]], list[TableFact]]:
    side = labels[0][:2]  # 收入 / 支出: a 决算 总表 prints 收入 and 支出 side by side, each ending in a plain 总计

    def pick(facts: list[TableFact]) -> list[TableFact]:
        rows = [f for f in facts if f.table_kind in kinds and f.value is not None
                and clean_label(f.row_label) in labels]
        if rows:
            return sorted(rows, key=lambda f: labels.index(clean_label(f.row_label)))
        return [f for f in facts if f.table_kind in kinds and f.value is not None
                and clean_label(f.row_label) == "总计" and f.column_path[:1] == (side,)]
    return pick


def _expense_column(word: str) -> Callable[[list[TableFact]], list[TableFact]]:
    """基本支出 / 项目支出 of the whole department: the 合计 row of the 支出预算总表."""
    def pick(facts: list[TableFact]) -> list[TableFact]:
        return [f for f in facts if f.table_kind == "支出预算总表" and column_leaf(f) == word
                and clean_label(f.row_label) in ("合计", "总计", "支出预算总表", "")]
    return pick


def _basic_column(word: str) -> Callable[[list[TableFact]], list[TableFact]]:
    """人员经费 / 公用经费 of the 基本支出 table: its 合计 row under that column, or, where the two are
    printed side by side as halves (决算 layouts), the half's own '人员经费合计' row."""
    def pick(facts: list[TableFact]) -> list[TableFact]:
        basic = [f for f in facts if f.table_kind in ("一般公共预算基本支出", "财政拨款基本支出")]
        return [f for f in basic if word in column_leaf(f) and clean_label(f.row_label) in ("合计", "总计")] or [
            f for f in basic if clean_label(f.row_label) == word + "合计" and f.column_path and word in f.column_path[0]]
    return pick


CONCEPTS: list[Concept] = [
    # ("公车（购置加运行维护）" names both parts: the whole 公务用车购置及运行费)
    Concept("公务用车购置费", r"(公车|公务用车|车辆|用车).{0,6}购置(?![及加和与])|购置.{0,4}(公车|车辆)|购车|买车|"
            r"(公车|公务用车|车辆|用车).*(?<![及加和与])购置费",
            _vehicle_part("购置"), r"公务用车购置"),
    Concept("公务用车运行费", r"(公车|公务用车|车辆|用车).{0,6}(?<![及加和与])运行|(?<![及加和与])运行维护费|车辆运行",
            _vehicle_part("运行"), r"公务用车运行"),
    Concept("公务用车购置及运行费", r"公车|公务用车|车辆费用|车辆经费|用车", _sangong_part("公务用车"),
            r"公务用车购置及运行"),
    Concept("因公出国（境）费", r"出国|出境|因公出", _sangong_part("出国"), r"因公出国"),
    Concept("公务接待费", r"接待|招待", _sangong_part("接待"), r"公务接待"),
    Concept("会议费", r"会议费|开会", _column_anywhere("会议费", ("三公经费", "一般公共预算基本支出")), r"会议费"),
    Concept("培训费", r"培训费|培训", _column_anywhere("培训费", ("三公经费", "一般公共预算基本支出")), r"培训费"),
    Concept("“三公”经费", r"三公", _sangong_total, r"三公"),
    Concept("机关运行经费", r"机关运行经费|运行经费|办公经费",
            _column_anywhere("机关运行经费", ("三公经费", "机关运行经费")), r"机关运行经费"),
    Concept("人员经费", r"人员经费|人头经费", _basic_column("人员经费"), r"人员经费", weak=True),
    Concept("公用经费", r"公用经费", _basic_column("公用经费"), r"公用经费", weak=True),
    Concept("基本支出", r"基本支出(?!.{0,3}(表|中|里))", _expense_column("基本支出"), r"^基本支出", weak=True),
    Concept("项目支出", r"项目支出(?!.{0,3}(表|中|里))", _expense_column("项目支出"), r"^项目支出", weak=True),
    Concept("政府采购预算", r"政府采购(预算|支出)?(总额|总计|合计|是多少|多少|有多少|预算)(?!.{0,6}(货物|工程|服务|中小|小微|预留))",
            lambda facts: [f for f in facts if f.table_kind == "政府采购" and clean_label(f.row_label) in ("合计", "总计")
                           and column_leaf(f) in ("合计", "总计", "金额", "预算金额")],
            r"政府采购(预算|项目|支出)?(总额|总计|合计|共有|共计|安排)?(为|是)?$", weak=True),
    Concept("财政拨款收入", r"财政拨款收入|财政拨款(?!支出|基本|项目)",
            _total_row("财政拨款收入", "财政拨款"), r"财政拨款收入|财政拨款"),
    # "（部门预算）支出是多少": the department's spending named by the side alone is its total
    Concept("支出总计", r"支出总(计|额)|总支出|全部支出|支出合计|支出预算(总额|是多少|多少|$)|"
            r"(^|＃)的?(年初)?支出(是|有|为|共|一共|总共)?(多少|几)|(^|＃)的?(年初)?支出(?=哪|比|多|少|最|相比|增|减)",
            _total_row("支出总计", "支出合计", "当年支出小计"), r"支出(预算)?总额|支出预算|(部门|单位)预算支出$", weak=True),
    Concept("收入总计", r"收入总(计|额)|总收入|收入合计|收入预算(总额|是多少|多少)|(部门)?预算收入(总额|合计)?(是|为|有)?多少|"
            r"总预算|预算总额|一共多少钱|"
            r"总共多少钱|多少钱|预算规模|盘子|预算总计|部门预算(是|有)?多少|收支(预算)?总计|预算(是|有)多少|"
            r"(^|＃|的)(部门)?预算(?=比|多|最|和|与|增|减|相比|总|$|？)|(^|＃)的?(年初)?收入(是|有|为|共|一共|总共)?(多少|几)",
            _total_row("收入总计", "收入合计", "当年收入小计", "支出总计"), r"收入预算|预算收入|预算总额|支出(预算)?总额|预算总计|总预算",
            weak=True),
]
