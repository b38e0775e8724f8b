"""Answers and their evidence: the value read for one department-year (`Evidence`), number
formatting and unit conversion, citations of facts, and refusals.

    refuse("…", "文档中没有…")      cite(fact, stored_document)      fmt(Decimal("91016775.35"))
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from budgetqa.models import Answer, Citation, StoredDocument, TableFact
from ingest.checks import UNIT_YUAN
from qa.concepts import clean_label
from qa.cues import SAME_COUNT
from qa.lookup import Match

TWO = Decimal("0.01")


@dataclass
class Evidence:
    """A value for one (department, year) with the facts it was read or derived from."""

    value: Decimal | None  # None for a target text (指标值)
    unit: str | None
    item: str
    facts: list[TableFact]
    doc: StoredDocument
    note: str | None = None  # how it was derived when not read directly
    score: float = 0.0  # how specifically the question named the item

    @classmethod
    def of(cls, match: Match, doc: StoredDocument, facts: list[TableFact] | None = None,
           note: str | None = None) -> Evidence:
        """The evidence of a resolved match: its fact's value, cited with `facts` (default: the fact)."""
        return cls(match.fact.value, match.fact.unit, match.item, facts or [match.fact], doc, note=note,
                   score=match.score)


def described(fact: TableFact) -> str:
    """Everything a cited fact says about what it is: its table, row path, row, column and sentence."""
    return " ".join([fact.table_title, *fact.row_path, fact.row_label, *fact.column_path, fact.sentence or ""])


def fmt(value: Decimal, unit: str | None = None) -> str:
    """'91016775.35' -> '91,016,775.35'; keeps the printed decimals."""
    text = f"{value:,f}"
    return text + (unit or "")


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def shown(value: Decimal, unit: str | None) -> Decimal:
    """A converted value for display: at most 2 decimals (computations keep full precision)."""
    exponent = value.as_tuple().exponent
    return round2(value) if isinstance(exponent, int) and exponent < -2 else value


def convert(value: Decimal, unit: str | None, target: str) -> Decimal:
    if unit not in UNIT_YUAN or target not in UNIT_YUAN:
        return value
    return value * UNIT_YUAN[unit] / UNIT_YUAN[target]


def common_unit(a: str | None, b: str | None) -> str | None:
    """The unit two figures are set against each other in: their own when they share it (辆 and 台 count
    the same vehicles), 万元 for two amounts; None when one is an amount and the other a count, or two
    counts of different things (人 and 辆): no difference or ratio of those is a number."""
    if a == b:
        return a
    if a in UNIT_YUAN and b in UNIT_YUAN:
        return "万元"
    counted_alike = b in SAME_COUNT.get(a or "", ()) or a in SAME_COUNT.get(b or "", ())
    return a if counted_alike else None


def _who(dep: str, year: int | None, with_department: bool) -> str:
    return f"{dep}{year or ''}年" if with_department else f"{year}年"


def corroborating(fact: TableFact, facts: list[TableFact], limit: int = 3) -> list[TableFact]:
    """Other places of the same document that print the same figure: the same row (code or label)
    in another table, or a sentence stating the amount in 万元 (the identities of domain.md say
    they agree). Cited beside the primary cell so a reader can check either."""
    if fact.value is None or fact.table_kind == "narrative" or fact.value == 0:
        return []
    wan = round2(convert(fact.value, fact.unit, "万元")) if fact.unit in UNIT_YUAN else None
    label = clean_label(fact.row_label)
    side = _side(f"{fact.row_label}{''.join(fact.column_path)}")
    out: list[TableFact] = []
    pages = {fact.page}
    for other in facts:
        if other.page in pages or other.document_id != fact.document_id or other.value is None:
            continue
        if other.table_kind == "narrative":
            same = wan is not None and other.unit == "万元" and other.value == wan and len(str(wan).replace(".", "")) >= 4 \
                and (side is None or _side(other.row_label) in (None, side))
        else:
            same_row = (fact.row_code and other.row_code == fact.row_code) or (
                not fact.row_code and clean_label(other.row_label) == label and len(label) >= 2)
            same = bool(same_row) and other.unit == fact.unit and other.value == fact.value \
                and other.table_index != fact.table_index
        if same:
            out.append(other)
            pages.add(other.page)
        if len(out) >= limit:
            break
    return out


def _side(text: str) -> str | None:
    """收入 or 支出 when a label speaks of one side only (收入总计 and 支出总计 often print one amount)."""
    income, spending = "收入" in text, "支出" in text
    return None if income == spending else "收入" if income else "支出"


def cite(fact: TableFact, doc: StoredDocument) -> Citation:
    """A citation of one fact: document, page, and table/row/column (or the stated sentence)."""
    if fact.table_kind == "narrative":
        return Citation(document=doc.file_name, page=fact.page, document_id=doc.document_id,
                        snippet=fact.sentence, line_no=fact.line_no, bbox=fact.bbox, section=fact.table_title,
                        context=" > ".join([*fact.row_path, fact.row_label, fact.table_title]))
    row = " ".join(x for x in (fact.row_code, fact.row_label) if x)
    if fact.row_path and not fact.row_code:  # a project's line under its project: 区域重点项目协审经费 > 审计服务
        row = " > ".join([*fact.row_path, row])
    return Citation(document=doc.file_name, page=fact.page, document_id=doc.document_id, table=fact.table_title,
                    row=row, column=" > ".join(fact.column_path), bbox=fact.bbox, line_no=fact.line_no,
                    context=" > ".join(fact.row_path) if fact.row_code and fact.row_path else None)
    # (a coded row's parents, 一般公共服务支出 > 审计事务, are what "审计事务下的审计业务" names)


Place = tuple[StoredDocument | None, dict[int, str]]  # a document and the page numbers its pages print


def locate(citations: list[Citation], places: dict[str, Place]) -> None:
    """Give each citation its document's department, fiscal year and kind, and the page number printed on
    its page (`places`: document id -> the stored document and {physical page: printed number}), so that a
    reader can find it in the paper copy."""
    for citation in citations:
        doc, printed = places.get(citation.document_id, (None, {}))
        if doc is not None:
            citation.department = citation.department or doc.department
            citation.fiscal_year = citation.fiscal_year or doc.fiscal_year
            citation.document_kind = citation.document_kind or doc.kind
        citation.printed_page = citation.printed_page or printed.get(citation.page)


def refuse(question: str, why: str, final: bool = False) -> Answer:
    """The honest answer: the documents do not say (no number)."""
    return Answer(question=question, answer=f"文档中没有找到答案。{why}", found=False,
                  route="none-final" if final else "none")
