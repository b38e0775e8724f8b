"""The identities a correct disclosure obeys, checked on its facts; each failure is a Finding.

Checked: 收入总计 = 支出总计; a total column = the sum of its sibling columns (合计 = 基本支出 +
项目支出, 三公合计 = 因公出国(境)费 + 公务接待费 + 公务用车购置及运行费, 小计 = 购置费 + 运行费);
a parent code = the sum of its child codes; the same code agrees between the 收入 and 支出 总表;
the totals stated in the narrative agree with the tables after unit conversion.

    findings = check_document(facts)
"""

from __future__ import annotations

from collections import defaultdict
import re
from decimal import Decimal

from budgetqa.models import Finding, TableFact

UNIT_YUAN = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}
_TOTAL_WORDS = ("合计", "小计", "总计")


def check_document(facts: list[TableFact]) -> list[Finding]:
    """All identity checks on one document's facts."""
    tables: dict[int, list[TableFact]] = defaultdict(list)
    for fact in facts:
        if fact.table_index >= 0:
            tables[fact.table_index].append(fact)
    findings: list[Finding] = []
    for table_facts in tables.values():
        findings += check_income_equals_expense(table_facts)
        findings += check_column_sums(table_facts)
        findings += check_code_sums(table_facts)
    findings += check_income_vs_expense_tables(tables)
    findings += check_narrative_totals(facts)
    findings += check_narrative_sangong(facts)
    return findings


def _tolerance(unit: str | None, terms: int) -> Decimal:
    """Exact for 元; for 万元 each printed term may be off by half a cent of rounding."""
    if unit in (None, "元"):
        return Decimal("0.001")
    return Decimal("0.005") * (terms + 1)


def _last_digit(fact: TableFact) -> Decimal:
    """One unit of the last printed digit of a figure ('1,812.81' -> 0.01, '6' -> 1)."""
    text = (fact.text_value or "").replace(",", "")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return Decimal(1).scaleb(-decimals)


def _severity(total: TableFact, difference: Decimal, terms: int) -> str:
    """'rounding' when the difference is at most one unit of the last printed digit per summed cell
    (tables printed in 万元 round each cell), else a 'finding' (first suspected as an extraction error)."""
    return "rounding" if abs(difference) <= _last_digit(total) * max(terms, 1) else "finding"


def _where(fact: TableFact, column: str | None = None) -> str:
    row = f"{fact.row_code} {fact.row_label}".strip() if fact.row_code else fact.row_label
    return f"{fact.table_title} · {row} · {column or fact.column} (p.{fact.page})"


def check_income_equals_expense(table: list[TableFact]) -> list[Finding]:
    incomes = [f for f in table if f.value is not None and f.row_label.replace(" ", "") in ("收入总计", "收入合计")]
    expenses = [f for f in table if f.value is not None and f.row_label.replace(" ", "") in ("支出总计", "支出合计")]
    if not incomes or not expenses:
        return []
    income, expense = incomes[-1], expenses[-1]
    if abs(income.value - expense.value) <= _tolerance(income.unit, 0):  # type: ignore[operator]
        return []
    return [Finding(check="income_equals_expense", where=_where(income), expected=f"支出总计 {expense.text_value}",
                    found=f"收入总计 {income.text_value}", page=income.page,
                    message="收入总计 differs from 支出总计")]


def check_column_sums(table: list[TableFact]) -> list[Finding]:
    """Per row: a column named 合计/小计 equals the sum of the columns beside it under one parent."""
    # printed order, then depth: a set's order changes from run to run, and so would the findings' wording
    columns = sorted(dict.fromkeys(f.column_path for f in table), key=len)
    rows: dict[int, dict[tuple[str, ...], TableFact]] = defaultdict(dict)
    for fact in table:
        rows[fact.row_index][fact.column_path] = fact
    findings: list[Finding] = []
    for total_col in columns:
        if not total_col or total_col[-1] not in _TOTAL_WORDS:
            continue
        parts = _part_columns(total_col, columns)
        if len(parts) < 2:
            continue
        for cells in rows.values():
            total = cells.get(total_col)
            if total is None or total.value is None:
                continue
            values = [cells[c].value for c in parts if c in cells]
            if len(values) != len(parts):
                continue
            found = sum((v for v in values if v is not None), Decimal(0))
            if found != total.value:
                names = " + ".join(c[-1] if c[-1] not in _TOTAL_WORDS else c[-2] for c in parts)
                findings.append(Finding(check="column_sum", where=_where(total), expected=f"{names} = {found}",
                                        found=f"{total_col[-1]} {total.value}", page=total.page,
                                        message=f"{total_col[-1]} is not the sum of {names}",
                                        severity=_severity(total, found - total.value, len(parts))))
    return findings


def _part_columns(total_col: tuple[str, ...], columns: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Sibling columns that add up to `total_col`: each sibling by itself when it is a leaf, a sibling
    group by its 小计/合计. A group printed without one (基本支出 over 人员支出 | 日常公用支出 beside
    项目支出 over 项目支出总数 | 扣除基建项目后预算数) does not say what it adds: then nothing is checked."""
    parent = total_col[:-1]
    depth = len(parent) + 1
    groups: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for col in columns:
        if col == total_col or len(col) < depth or col[: len(parent)] != parent:
            continue
        if re.match(r"^(其中|行次|栏次|序号)", re.sub(r"\s", "", col[depth - 1])):
            continue  # "其中：…" is a part of another column, not an addend; 行次 numbers lines
        groups.setdefault(col[:depth], []).append(col)
    parts: list[tuple[str, ...]] = []
    for head, members in groups.items():
        if members == [head]:
            parts.append(head)
            continue
        subtotal = [c for c in members if len(c) == depth + 1 and c[-1] in _TOTAL_WORDS]
        if not subtotal:
            return []
        parts.append(subtotal[0])
    return parts


def check_code_sums(table: list[TableFact]) -> list[Finding]:
    """A 类 row equals the sum of its 款 rows, a 款 row the sum of its 项 rows, per column."""
    by_column: dict[tuple[str, ...], dict[str, TableFact]] = defaultdict(dict)
    repeated: set[tuple[str, ...]] = set()
    for fact in table:
        if fact.row_code:
            if fact.row_code in by_column[fact.column_path]:
                repeated.add(fact.column_path)  # rows split by a second classification (501xx beside 301xx)
            by_column[fact.column_path].setdefault(fact.row_code, fact)
    findings: list[Finding] = []
    for column, codes in by_column.items():
        if column in repeated:
            continue
        for code, parent in codes.items():
            child_len = len(code) + 2
            children = [f for c, f in codes.items() if len(c) == child_len and c.startswith(code)]
            if not children:
                continue
            found = sum((f.value or Decimal(0) for f in children), Decimal(0))
            expected = parent.value or Decimal(0)
            if found != expected:
                findings.append(Finding(check="code_sum", where=_where(parent),
                                        expected=f"sum of {len(children)} sub-items = {found}",
                                        found=f"{parent.text_value or 'empty'}", page=parent.page,
                                        message=f"{code} is not the sum of its sub-items",
                                        severity=_severity(parent, found - expected, len(children))))
    return findings


def check_income_vs_expense_tables(tables: dict[int, list[TableFact]]) -> list[Finding]:
    """The 合计 of each function code agrees between the 收入预算总表 and the 支出预算总表."""
    def totals(kind: str) -> dict[str, TableFact]:
        out: dict[str, TableFact] = {}
        for facts in tables.values():
            for f in facts:
                if f.table_kind == kind and f.row_code and f.column_path[-1] == "合计" and f.value is not None:
                    out.setdefault(f.row_code, f)
        return out

    income, expense = totals("收入预算总表"), totals("支出预算总表")
    findings = []
    for code in sorted(set(income) & set(expense)):
        a, b = income[code], expense[code]
        if to_yuan(a) is not None and to_yuan(b) is not None and abs(to_yuan(a) - to_yuan(b)) > Decimal("0.01"):  # type: ignore[operator]
            # each table rounds its own cells: one unit of the last printed digit apart is a rounding note
            last = max(_last_digit(a) * UNIT_YUAN[a.unit], _last_digit(b) * UNIT_YUAN[b.unit])  # type: ignore[index]
            findings.append(Finding(check="table_vs_table", where=_where(b), expected=f"收入预算总表 {a.text_value}",
                                    found=f"支出预算总表 {b.text_value}", page=b.page,
                                    message=f"{code} 合计 differs between 收入 and 支出 总表",
                                    severity="rounding" if abs(to_yuan(a) - to_yuan(b)) <= last else "finding"))  # type: ignore[operator]
    return findings


def to_yuan(fact: TableFact) -> Decimal | None:
    if fact.value is None or fact.unit not in UNIT_YUAN:
        return None
    return fact.value * UNIT_YUAN[fact.unit]


_NARRATIVE_TOTALS = {
    "收入预算": ("收入总计", "收入合计"),
    "支出预算": ("支出总计", "支出合计"),
    "预算支出总额": ("支出总计", "支出合计"),
    "部门预算支出总额": ("支出总计", "支出合计"),
}


_SANGONG_STATED = re.compile(r"^(?:[^，。]{0,12}?)?(?:财政拨款|一般公共预算(?:财政)?拨款)?(?:安排的)?“?三公”?经费(?:财政拨款)?"
                             r"(?:支出)?(?:预算|决算)?(?:数|总额|合计|共计|共)?(?:为|是)?$")


def check_narrative_sangong(facts: list[TableFact]) -> list[Finding]:
    """A 三公 total stated in the text is printed somewhere in the 三公 table (a total cell of the same
    year); a stated figure the table never prints is a contradiction to show the user."""
    table = [f for f in facts if f.table_kind == "三公经费" and f.value is not None and f.unit in UNIT_YUAN]
    if not table:
        return []
    printed = {to_yuan(f) for f in table}
    stated_years = [int(y) for f in facts if f.table_kind == "narrative" for y in re.findall(r"(20\d{2})年", f.row_label)]
    own_year = str(max(stated_years)) if stated_years else None  # a document states its own year last
    findings = []
    for f in facts:
        if f.table_kind != "narrative" or f.column_path != ("金额",) or f.unit not in UNIT_YUAN or f.value is None:
            continue
        label = re.sub(rf"^{own_year}年度?", "", f.row_label) if own_year else f.row_label
        if not _SANGONG_STATED.search(label) or re.search(r"上年|去年|上一年|\d{4}年", label):
            continue
        stated = f.value * UNIT_YUAN[f.unit]  # type: ignore[index]
        tolerance = UNIT_YUAN[f.unit] * Decimal("0.005")  # type: ignore[index]
        if not any(value is not None and abs(stated - value) <= tolerance for value in printed):
            findings.append(Finding(check="table_vs_narrative", where=f"正文 p.{f.page}: {f.sentence}",
                                    expected="三公经费表中的数", found=f"{f.text_value}", page=f.page,
                                    message="the 三公 figure stated in the text is printed nowhere in the 三公 table"))
    return findings


def check_narrative_totals(facts: list[TableFact]) -> list[Finding]:
    """Totals stated in the text (收入预算9,101.68万元) agree with the 收支总表 after conversion."""
    table_totals: dict[str, TableFact] = {}
    for f in facts:
        if f.table_kind == "收支预算总表" and f.value is not None and f.row_label in ("收入总计", "收入合计", "支出总计", "支出合计"):
            table_totals.setdefault(f.row_label, f)
    findings = []
    for f in facts:
        if f.table_kind != "narrative" or f.column_path != ("金额",) or f.unit not in UNIT_YUAN:
            continue
        subject = re.sub(r"^.*?(办公室|办公厅|办事处|局|中心|厅|院|部门)", "", f.row_label)
        labels = _NARRATIVE_TOTALS.get(subject)
        table = next((table_totals[label] for label in labels or () if label in table_totals), None)
        if table is None or to_yuan(table) is None:
            continue
        stated = f.value * UNIT_YUAN[f.unit]  # type: ignore[index,operator]
        printed_decimals = len(f.text_value.split(".")[1].rstrip("万亿元")) if f.text_value and "." in f.text_value else 0
        tolerance = UNIT_YUAN[f.unit] * Decimal(5) / Decimal(10) ** (printed_decimals + 1)  # type: ignore[index]
        if abs(stated - to_yuan(table)) > tolerance:  # type: ignore[operator]
            findings.append(Finding(check="table_vs_narrative", where=f"正文 p.{f.page}: {f.sentence}",
                                    expected=f"{table.row_label} {table.text_value}{table.unit}",
                                    found=f"{f.text_value}", page=f.page,
                                    message=f"stated {f.row_label} differs from the table"))
    return findings
