"""ingest.pdf_reader on the real corpus PDFs (tables, header paths, continuations, lines) and on
small broken files the tests make (errors a person can act on).

Expected cells were read from the printed pages (pdfplumber page text dumps, 1-based pages).

Run: python -m pytest tests/test_pdf_reader.py -q
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pdfplumber
import pytest

from budgetqa.models import Cell, ExtractedTable, ParsedDocument
from ingest.errors import ReadError
from ingest.pdf_reader import read_pdf

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

PUTUO_2025 = "shanghai/普陀区人民政府办公室2025年部门预算.pdf"
WANLI_2024 = "shanghai/普陀区万里街道办事处2024年部门预算.pdf"
SIFA_2026 = "shanghai/普陀区司法局2026年部门预算.pdf"
COURT_2017 = "jiangsu/省法院2017年度部门预算公开.pdf"
COURT_2018 = "jiangsu/省法院2018年度部门预算公开.pdf"
COURT_2019 = "jiangsu/江苏省高级人民法院2019年度部门预算公开.pdf"
OFFICE_TABLES = "jiangsu/江苏省委办公厅2019年度部门预算公开表格.pdf"
OFFICE_TEXT = "jiangsu/江苏省委办公厅2019年度部门预算公开文件.pdf"

SHANGHAI_TITLES = [
    "{y}年部门财务收支预算总表", "{y}年部门收入预算总表", "{y}年部门支出预算总表", "{y}年部门财政拨款收支预算总表",
    "{y}年部门一般公共预算支出功能分类预算表", "{y}年部门政府性基金预算支出功能分类预算表",
    "{y}年部门国有资本经营预算支出功能分类预算表", "{y}年部门一般公共预算基本支出部门预算经济分类预算表",
    "{y}年部门“三公”经费和机关运行经费预算表",
]
COURT_2017_TITLES = [
    "一、2017年度江苏省高级人民法院部门收支预算总表", "二、2017年度江苏省高级人民法院部门收入预算总表",
    "三、2017年度江苏省高级人民法院部门支出预算总表", "四、2017年度江苏省高级人民法院部门财政拨款收支预算总表",
    "五、2017年度江苏省高级人民法院部门财政拨款支出预算表", "六、2017年度江苏省高级人民法院部门财政拨款基本支出预算表",
    "七、2017年度江苏省高级人民法院部门政府性基金支出预算表", "八、2017年度江苏省高级人民法院部门一般公共预算支出预算表",
    "九、2017年度江苏省高级人民法院部门一般公共预算基本支出预算表",
    "十、2017年度江苏省高级人民法院部门一般公共预算机关运行经费支出预算表",
    "十一、2017年江苏省高级人民法院部门一般公共预算“三公”经费、会议费、培训费支出预算表",
    "十二、2017年江苏省高级人民法院部门政府采购预算表",
]
COURT_2018_TITLES = [
    "一、2018年度江苏省高级人民法院收支预算总表", "二、2018年度江苏省高级人民法院收入预算总表",
    "三、2018年度江苏省高级人民法院支出预算总表", "四、2018年度江苏省高级人民法院财政拨款收支预算总表",
    "五、2018年度江苏省高级人民法院财政拨款支出预算表", "六、2018年度江苏省高级人民法院财政拨款基本支出预算表",
    "七、2018年度江苏省高级人民法院一般公共预算支出预算表", "八、2018年度江苏省高级人民法院一般公共预算基本支出预算表",
    "九、2018年江苏省高级人民法院“三公”经费、会议费、培训费支出预算表",
    "十、2018年度江苏省高级人民法院政府性基金预算财政拨款支出预算表",
    "十一、2018年度江苏省高级人民法院一般公共预算机关运行经费支出预算表", "十二、2018年江苏省高级人民法院政府采购预算表",
]
COURT_2019_TITLES = [
    "公开01表 收支预算总表", "公开02表 收入预算总表", "公开03表 支出预算总表", "公开04表 财政拨款收支预算总表",
    "公开05表 财政拨款支出预算表（功能科目）", "公开06表 财政拨款基本支出预算表（经济科目）",
    "公开07表 一般公共预算支出预算表（功能科目）", "公开08表 一般公共预算基本支出预算表（经济科目）",
    "公开09表 “三公”经费、会议费、培训费支出预算表", "公开10表 政府性基金预算财政拨款支出预算表",
    "公开11表 一般公共预算机关运行经费支出预算表", "公开12表 政府采购支出预算表",
]
OFFICE_TITLES = [
    "收支预算总表", "收入预算总表", "支出预算总表", "财政拨款收支预算总表", "财政拨款支出预算表（功能科目）",
    "财政拨款基本支出预算表（经济科目）", "一般公共预算支出预算表（功能科目）", "一般公共预算基本支出预算表（经济科目）",
    "“三公”经费、会议费、培训费支出预算表", "财政拨款政府性基金支出预算表", "一般公共预算机关运行经费支出预算表",
    "2019年政府采购预算表",
]
EXPECTED_TITLES = {
    PUTUO_2025: [t.format(y=2025) for t in SHANGHAI_TITLES],
    SIFA_2026: [t.format(y=2026) for t in SHANGHAI_TITLES],
    WANLI_2024: [t.format(y=2024) for t in SHANGHAI_TITLES[:-1]] + ["部门“三公”经费和机关运行经费预算表"],
    COURT_2017: COURT_2017_TITLES,
    COURT_2018: COURT_2018_TITLES,
    COURT_2019: COURT_2019_TITLES,
    OFFICE_TABLES: OFFICE_TITLES,
    OFFICE_TEXT: [],
}


@cache
def doc(name: str) -> ParsedDocument:
    """Each corpus PDF is read once per test session."""
    return read_pdf(CORPUS / name)


def table(name: str, title_part: str) -> ExtractedTable:
    found = [t for t in doc(name).tables if t.title == title_part] or [
        t for t in doc(name).tables if title_part in t.title]
    assert len(found) == 1, f"{title_part!r} matches {[t.title for t in found]}"
    return found[0]


def column(t: ExtractedTable, *path: str) -> int:
    return t.columns.index(tuple(path))


def row_where(t: ExtractedTable, **cells: str) -> list[Cell | None]:
    """The one row whose cells (by column leaf name) have these texts."""
    leaves = {col[-1]: i for i, col in reversed(list(enumerate(t.columns)))}
    found = [r for r in t.rows if all(r[leaves[k]] is not None and r[leaves[k]].text == v  # type: ignore[union-attr]
                                      for k, v in cells.items())]
    assert len(found) == 1, f"{cells} matches {len(found)} rows"
    return found[0]


def shanghai_code_row(t: ExtractedTable, code: str, label: str) -> list[Cell | None]:
    kinds = [c for c in t.columns if c[-1] in ("类", "款", "项")]
    parts = code.split()
    for row in t.rows:
        texts = [(row[t.columns.index(k)] or Cell("", 0)).text for k in kinds]
        name = row[len(kinds)]
        if texts[: len(parts)] == parts and all(not x for x in texts[len(parts):]) and name and name.text == label:
            return row
    raise AssertionError(f"no row {code} {label}")


def text_of(cell: Cell | None) -> str:
    assert cell is not None
    return cell.text


# ---------------------------------------------------------------- every document


@pytest.mark.parametrize("name", sorted(EXPECTED_TITLES))
def test_titles_and_count_of_tables(name: str) -> None:
    assert [t.title for t in doc(name).tables] == EXPECTED_TITLES[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_TITLES))
def test_grids_are_rectangular_and_cells_sit_on_their_pages(name: str) -> None:
    parsed = doc(name)
    assert parsed.file_format == "pdf" and parsed.file_name == Path(name).name and parsed.path.endswith(name)
    for t in parsed.tables:
        assert t.columns and all(len(row) == len(t.columns) for row in t.rows), t.title
        assert t.pages == sorted(t.pages) and t.pages[-1] - t.pages[0] == len(t.pages) - 1
        assert not any(row[-1] is None and all(c is None or not c.text for c in row) for row in t.rows)
        for row in t.rows:
            for cell in row:
                if cell is not None:
                    assert cell.page in t.pages and cell.bbox is not None
                    assert "\n" not in cell.text and cell.text == cell.text.strip()
        for path in t.columns:
            assert all(part and "\n" not in part for part in path), (t.title, path)


@pytest.mark.parametrize("name", sorted(EXPECTED_TITLES))
def test_units_come_from_the_unit_line(name: str) -> None:
    for t in doc(name).tables:
        expected = "万元" if ("三公" in t.title or name.startswith("jiangsu")) else "元"
        assert t.unit == expected, t.title


@pytest.mark.parametrize("name", sorted(EXPECTED_TITLES))
def test_lines_and_offsets(name: str) -> None:
    parsed = doc(name)
    text = parsed.text
    with pdfplumber.open(CORPUS / name) as pdf:
        assert parsed.page_count == len(pdf.pages) >= max(line.page for line in parsed.lines)
    for line in parsed.lines:
        assert text[line.char_start : line.char_start + len(line.text)] == line.text
        assert line.text == line.text.strip() and line.text
    assert [ln.page for ln in parsed.lines] == sorted(ln.page for ln in parsed.lines)
    marked = [parsed.lines[i].text for i in parsed.table_line_ids]
    titles = {t.title for t in parsed.tables}
    assert not titles & set(marked)
    assert not any("单位：" in m or "单位:" in m for m in marked)


def test_table_lines_are_marked_and_narrative_is_not() -> None:
    parsed = doc(PUTUO_2025)
    marked = {parsed.lines[i].text for i in parsed.table_line_ids}
    assert "201 03 01 行政运行 12,029,501.84 11,919,501.84 110,000.00" in marked
    assert "合计 91,016,775.35 24,606,775.35 66,410,000.00" in marked
    assert "2025年部门支出预算总表" not in marked
    assert not any(text.startswith("2025年“三公”经费预算数为867.50万元") for text in marked)
    assert not any(text.startswith("注:本部门2025年") for text in marked)
    assert not any("目 录" in text or "……" in text for text in marked)  # the table of contents is no table


def test_read_matches_the_printed_page() -> None:
    """A cell's bbox frames exactly its printed text."""
    t = table(PUTUO_2025, "部门支出预算总表")
    row = shanghai_code_row(t, "201 03 01", "行政运行")
    cell = row[column(t, "支出预算", "基本支出")]
    assert cell is not None and cell.page == 11
    with pdfplumber.open(CORPUS / PUTUO_2025) as pdf:
        printed = pdf.pages[10].crop(cell.bbox).extract_text()
    assert printed.strip() == "11,919,501.84"


# ---------------------------------------------------------------- Shanghai district format


def test_putuo_2025_expenditure_table_with_continuation() -> None:
    t = table(PUTUO_2025, "部门支出预算总表")
    assert t.unit == "元" and t.pages == [11, 12] and len(t.rows) == 21
    assert t.columns == [
        ("功能分类科目编码", "类"), ("功能分类科目编码", "款"), ("功能分类科目编码", "项"), ("功能分类科目名称",),
        ("支出预算", "合计"), ("支出预算", "基本支出"), ("支出预算", "项目支出"),
    ]
    row = shanghai_code_row(t, "201 03 01", "行政运行")
    assert [text_of(c) for c in row[4:]] == ["12,029,501.84", "11,919,501.84", "110,000.00"]
    assert row[column(t, "支出预算", "基本支出")].page == 11  # type: ignore[union-attr]
    total = t.rows[-1]
    assert text_of(total[0]) == "合计" and total[1] is None and total[3] is None  # 合计 spans the code columns
    assert [text_of(c) for c in total[4:]] == ["91,016,775.35", "24,606,775.35", "66,410,000.00"]
    assert {c.page for c in total if c is not None} == {12}
    empty = shanghai_code_row(t, "201 03 02", "一般行政管理事务")[column(t, "支出预算", "基本支出")]
    assert empty is not None and empty.text == ""  # printed empty: a Cell with "", not None


def test_putuo_2025_income_table_header_paths() -> None:
    t = table(PUTUO_2025, "部门收入预算总表")
    assert t.columns[4:] == [("收入预算", "合计"), ("收入预算", "财政拨款收入"), ("收入预算", "事业收入"),
                             ("收入预算", "事业单位经营收入"), ("收入预算", "其他收入")]
    assert t.pages == [9, 10]
    row = shanghai_code_row(t, "221 02 03", "购房补贴")
    assert text_of(row[column(t, "收入预算", "财政拨款收入")]) == "1,867,680.00" and row[5].page == 10  # type: ignore[union-attr]


def test_putuo_2025_repeated_header_is_dropped_on_merge() -> None:
    t = table(PUTUO_2025, "一般公共预算支出功能分类预算表")
    assert t.pages == [14, 15] and len(t.rows) == 21
    assert not any(text_of(r[3]) == "功能分类科目名称" for r in t.rows if r[3] is not None)
    row = shanghai_code_row(t, "210 11", "行政事业单位医疗")
    assert row[4].page == 15 and row[4].text == "1,097,073.43"  # type: ignore[union-attr]


def test_putuo_2025_sangong_table() -> None:
    t = table(PUTUO_2025, "三公")
    top = "“三公”经费预算数"
    assert t.unit == "万元" and t.pages == [20]
    assert t.columns == [
        (top, "合计"), (top, "因公出国(境)费"), (top, "公务接待费"), (top, "公务用车购置及运行费", "小计"),
        (top, "公务用车购置及运行费", "购置费"), (top, "公务用车购置及运行费", "运行费"), ("机关运行经费预算数",),
    ]
    assert [text_of(c) for c in t.rows[0]] == ["867.50", "839.00", "28.50", "", "", "", "213.28"]


def test_putuo_2025_two_sided_summary_table() -> None:
    t = table(PUTUO_2025, "部门财务收支预算总表")
    assert t.columns == [("本年收入", "项目"), ("本年收入", "预算数"), ("本年支出", "项目"), ("本年支出", "预算数")]
    assert [text_of(c) for c in t.rows[0]] == ["一、财政拨款收入", "91,016,775.35", "一、一般公共服务支出", "82,096,797.42"]
    assert [text_of(c) for c in t.rows[-1]] == ["收入总计", "91,016,775.35", "支出总计", "91,016,775.35"]
    grant = table(PUTUO_2025, "财政拨款收支预算总表")
    # printed glued as '91,016,775.35一、一般公共服务支出' in the page text; the grid separates them
    assert [text_of(c) for c in grant.rows[0][:3]] == ["一、一般公共预算资金", "91,016,775.35", "一、一般公共服务支出"]


def test_wanli_2024_continuation_of_a_single_total_row() -> None:
    t = table(WANLI_2024, "部门收入预算总表")
    assert t.pages == [11, 12, 13, 14, 15] and len(t.rows) == 67
    assert [text_of(c) for c in t.rows[-1][4:]] == ["156,211,123", "156,211,123", "0", "0", "0"]
    assert t.rows[-1][4].page == 15  # type: ignore[union-attr]
    general = table(WANLI_2024, "一般公共预算支出功能分类预算表")
    assert general.pages == [22, 23, 24, 25, 26] and len(general.rows) == 67


def test_wanli_2024_economic_table_and_sangong_with_note() -> None:
    t = table(WANLI_2024, "经济分类预算表")
    assert t.columns[:3] == [("部门预算经济分类科目编码", "类"), ("部门预算经济分类科目编码", "款"), ("经济分类科目名称",)]
    row = row_where(t, 经济分类科目名称="公务用车运行维护费")
    assert text_of(row[column(t, "一般公共预算基本支出", "公用经费")]) == "215,600" and row[3].page == 30  # type: ignore[union-attr]
    sangong = table(WANLI_2024, "三公")
    assert sangong.columns[-1] == ("2024年机关运行经费预算数",)
    assert [text_of(c) for c in sangong.rows[0]] == ["47.91", "0", "1.35", "46.56", "25", "21.56", "443.18"]
    assert sangong.note is not None and "本表为空表" in sangong.note  # printed, although the table has values


@pytest.mark.parametrize("name", [PUTUO_2025, WANLI_2024, SIFA_2026])
def test_empty_tables_keep_their_total_row_and_note(name: str) -> None:
    for title in ("政府性基金预算支出功能分类预算表", "国有资本经营预算支出功能分类预算表"):
        t = table(name, title)
        assert t.note is not None and t.note.endswith("故本表为空表。")
        assert text_of(t.rows[-1][0]) == "合计" and all(text_of(c) == "" for c in t.rows[-1][4:])
    if name == SIFA_2026:
        assert text_of(table(name, "政府性基金预算支出").rows[0][0]) == "无"


def test_sifa_2026_plain_numbers() -> None:
    t = table(SIFA_2026, "部门支出预算总表")
    assert t.pages == [12, 13]
    row = shanghai_code_row(t, "204 06 99", "其他司法支出")
    assert [text_of(c) for c in row[4:]] == ["38454900.00", "0.00", "38454900.00"]


# ---------------------------------------------------------------- Jiangsu provincial format


def test_court_2017_grant_expenditure_table() -> None:
    t = table(COURT_2017, "部门财政拨款支出预算表")
    assert t.unit == "万元" and t.pages == [13, 14]
    assert t.columns == [("功能科目代码",), ("功能科目名称",), ("金额",)]
    assert [text_of(c) for c in row_where(t, 功能科目代码="2040501")] == ["2040501", "行政运行", "11,786.92"]
    assert [text_of(c) for c in t.rows[0]] == ["", "合计", "28,849.38"]
    # the first row on page 14 has no top border; it is still read
    first_on_14 = next(r for r in t.rows if r[0] is not None and r[0].page == 14)
    assert [text_of(c) for c in first_on_14] == ["2210201", "住房公积金", "1,029.15"]


def test_court_2017_summary_table_spans_two_pages() -> None:
    t = table(COURT_2017, "部门收支预算总表")
    assert t.pages == [11, 12] and len(t.rows) == 23 and len(t.columns) == 6
    assert t.columns == [("收入", "项目名称"), ("收入", "金额"), ("支出", "功能分类", "功能科目名称"),
                         ("支出", "功能分类", "金额"), ("支出", "支出用途", "项目名称"), ("支出", "支出用途", "金额")]
    health = row_where(t, 功能科目名称="九、医疗卫生与计划生育支出")  # wrapped in its cell: '…支' + '出'
    assert health[2].page == 12  # type: ignore[union-attr]
    security = row_where(t, 功能科目名称="四、公共安全支出")  # first row of page 12, above its missing border
    assert text_of(security[3]) == "23,513.11"
    total = t.rows[-1]
    assert [text_of(total[0]), text_of(total[1]), text_of(total[2]), text_of(total[5])] == [
        "收入合计", "28,849.38", "支出合计", "28,849.38"]


def test_court_2017_income_table_continues_with_label_rows_only() -> None:
    t = table(COURT_2017, "部门收入预算总表")
    assert t.pages == [12, 13] and len(t.rows) == 15
    labels = [text_of(r[1]) for r in t.rows if r[1] is not None]
    assert labels[-6:] == ["事业收入", "经营收入", "其他收入", "债务资金(银行贷款)", "小计", "其中：动用上年结转和结余资金"]
    assert "小计事业收入" not in labels


def test_court_2017_sangong_and_purchase_tables() -> None:
    sangong = table(COURT_2017, "三公")
    assert sangong.columns[1:6] == [("“三公”经费", "小计"), ("“三公”经费", "因公出国（境）费"),
                                    ("“三公”经费", "公务用车购置及运行维护费", "小计"),
                                    ("“三公”经费", "公务用车购置及运行维护费", "公务用车购置费"),
                                    ("“三公”经费", "公务用车购置及运行维护费", "公务用车运行维护费")]
    assert [text_of(c) for c in sangong.rows[0]] == [
        "2,599.37", "670.12", "180.00", "304.40", "", "304.40", "185.72", "228.00", "1,701.25"]
    purchase = table(COURT_2017, "政府采购预算表")
    assert purchase.pages == [17, 18] and len(purchase.rows) == 53
    # '信息网络及软件购' ends page 17 and '置更新' starts page 18: one cell
    software = row_where(purchase, 专项名称="应用软件购建费")
    assert text_of(software[2]) == "信息网络及软件购置更新" and text_of(software[5]) == "606.00"
    assert text_of(purchase.rows[-1][5]) == "40.00" and purchase.rows[-1][5].page == 18  # type: ignore[union-attr]


def test_court_2018_header_split_over_two_pages() -> None:
    t = table(COURT_2018, "财政拨款收支预算总表")
    assert t.pages == [10, 11] and t.note is None
    assert t.columns == [("收入", "项目名称"), ("收入", "金额"), ("支出", "支出用途", "项目名称"), ("支出", "支出用途", "金额")]
    assert [text_of(c) for c in t.rows[0]] == ["一、一般公共预算", "33,172.15", "一、基本支出", "18,570.82"]


def test_court_2019_numbered_titles_and_pairs() -> None:
    t = table(COURT_2019, "公开01表")
    # the PDF draws 支出用途 over the 金额 of 功能分类; amounts stay with their name column
    assert t.columns[2:4] == [("支出", "功能分类", "功能科目名称"), ("支出", "功能分类", "金额")]
    assert text_of(row_where(t, 功能科目名称="四、公共安全支出")[3]) == "27,488.23"
    grant = table(COURT_2019, "公开05表")
    row = row_where(grant, 功能科目编码="2080505")
    assert text_of(row[1]) == "机关事业单位基本养老保险缴费支出" and text_of(row[2]) == "1,384.70"
    sangong = table(COURT_2019, "公开09表")
    assert sangong.unit == "万元"  # printed as '单位：万' with '元' on the next line
    assert text_of(sangong.rows[0][0]) == "2,382.02"
    fund = table(COURT_2019, "公开10表")
    assert [text_of(c) for c in fund.rows[0] if c is not None] == ["合计", "0"]
    assert fund.note == "注：“科目编码”和“科目名称”为必填项"


def test_court_2019_purchase_table_continues() -> None:
    t = table(COURT_2019, "公开12表")
    assert t.pages == [16, 17] and t.columns[-1] == ("总计",)
    row = row_where(t, 专项名称="网络通讯维护及专用线路租赁费")
    assert text_of(row[5]) == "607.10" and row[5].page == 17  # type: ignore[union-attr]
    assert text_of(row_where(t, 采购物品名称="台式计算机（20 万以上）")[5]) == "99.00"


def test_office_2019_header_without_inner_rules() -> None:
    t = table(OFFICE_TABLES, "收支预算总表")
    assert t.columns == [("收入", "项目名称"), ("收入", "金额"), ("支出", "功能分类", "功能科目名称"),
                         ("支出", "功能分类", "金额"), ("支出", "支出用途", "项目名称"), ("支出", "支出用途", "金额")]
    assert [text_of(c) for c in t.rows[0]] == [
        "一、财政拨款", "27,664.22", "一、一般公共服务支出", "22,395.50", "一、基本支出", "11,700.63"]


def test_office_2019_header_text_overflowing_its_border() -> None:
    t = table(OFFICE_TABLES, "政府采购预算表")
    assert t.columns[4] == ("采购组织形式",)  # '式' is printed across the rule under the header
    assert [text_of(c) for c in t.rows[0]] == ["合计", "", "", "", "", "1,422.50"]


def test_office_2019_narrative_file_has_no_tables() -> None:
    parsed = doc(OFFICE_TEXT)
    assert parsed.tables == [] and parsed.table_line_ids == set()
    assert any("部门预算" in line.text for line in parsed.lines)


# ---------------------------------------------------------------- files that cannot be read


def _one_line(error: ReadError, name: str) -> None:
    message = str(error)
    assert "\n" not in message and message.startswith(f"{name}: ") and " — " in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match="empty") as caught:
        read_pdf(path)
    _one_line(caught.value, "empty.pdf")


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "budget.pdf"
    path.write_bytes(b"PK\x03\x04 this is a zip, renamed" * 50)
    with pytest.raises(ReadError, match="not a PDF") as caught:
        read_pdf(path)
    _one_line(caught.value, "budget.pdf")


@pytest.mark.parametrize("cut", [0.3, 0.6])
def test_truncated_pdf(tmp_path: Path, cut: float) -> None:
    data = (CORPUS / PUTUO_2025).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ReadError, match="corrupt or truncated") as caught:
        read_pdf(path)
    _one_line(caught.value, "truncated.pdf")


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"garbage without objects\n" * 40 + b"%%EOF\n")
    with pytest.raises(ReadError, match="corrupt") as caught:
        read_pdf(path)
    _one_line(caught.value, "corrupt.pdf")


def test_encrypted_pdf(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Budget 2025: total 9,101.68")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    with pytest.raises(ReadError, match="encrypted") as caught:
        read_pdf(path)
    _one_line(caught.value, "locked.pdf")
    assert "password" in caught.value.hint or "decrypt" in caught.value.hint


def test_scanned_pdf_without_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (300, 400), (250, 250, 245)).save(image)
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(str(image), x=10, y=10, w=180)
    path = tmp_path / "scanned.pdf"
    pdf.output(str(path))
    with pytest.raises(ReadError, match="no text layer") as caught:
        read_pdf(path)
    _one_line(caught.value, "scanned.pdf")
    assert "OCR" in str(caught.value)


def test_small_text_pdf_reads(tmp_path: Path) -> None:
    """A PDF with text but no ruled table gives lines and no tables."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for text in ("Department budget 2025", "Total income 9,101.68", "Total expenditure 9,101.68"):
        pdf.cell(text=text, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "plain.pdf"
    pdf.output(str(path))
    parsed = read_pdf(path)
    assert [line.text for line in parsed.lines] == ["Department budget 2025", "Total income 9,101.68",
                                                    "Total expenditure 9,101.68"]
    assert parsed.tables == [] and parsed.page_count == 1 and parsed.file_name == "plain.pdf"
    assert re.fullmatch(r"Department budget 2025\nTotal income 9,101.68\nTotal expenditure 9,101.68", parsed.text)


# ---------------------------------------------------------------- a generated 绩效目标 table


def _write_indicator_pdf(path: Path, n_rows: int) -> None:
    """A 项目经费情况说明 with a 绩效目标 table long enough to continue on the next page (header repeated)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK")
    rows = [["一级指标", "二级指标", "三级指标", "指标值"]]
    rows += [["产出指标", "数量指标", f"处理能力{i}", f"≥{3000 + i}万条/小时"] for i in range(n_rows)]
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 9),
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    story = [Paragraph("数据中台运维项目经费情况说明", body), Paragraph("一、项目概述", body),
             Paragraph("本项目用于数据中台的日常运维。", body), Paragraph("七、绩效目标", body),
             Table(rows, style=style, repeatRows=1)]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def test_indicator_table_named_after_its_project_and_merged_over_pages(tmp_path: Path) -> None:
    path = tmp_path / "绩效.pdf"
    _write_indicator_pdf(path, 60)
    parsed = read_pdf(path)
    assert len(parsed.tables) == 1
    t = parsed.tables[0]
    assert t.title == "数据中台运维项目经费情况说明 七、绩效目标" and t.unit is None
    assert t.columns == [("一级指标",), ("二级指标",), ("三级指标",), ("指标值",)]
    assert t.pages == [1, 2] and len(t.rows) == 60  # the repeated header on page 2 is not a row
    assert [text_of(c) for c in t.rows[0]] == ["产出指标", "数量指标", "处理能力0", "≥3000万条/小时"]
    assert [text_of(c) for c in t.rows[-1]] == ["产出指标", "数量指标", "处理能力59", "≥3059万条/小时"]
    assert t.rows[-1][3].page == 2  # type: ignore[union-attr]
    marked = {parsed.lines[i].text for i in parsed.table_line_ids}
    assert "七、绩效目标" not in marked and "本项目用于数据中台的日常运维。" not in marked


def test_ruled_table_of_contents_is_not_a_table(tmp_path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17)
    entries = [["一、部门主要职能 ……………………", "3"], ["二、部门机构设置 ……………………", "4"],
               ["三、名词解释 ……………………", "5"], ["1. 2025年部门收入预算总表 ……………", "9"]]
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
    path = tmp_path / "toc.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([Paragraph("目 录", body), Table(entries, style=style)])
    parsed = read_pdf(path)
    assert parsed.tables == [] and parsed.table_line_ids == set()
    assert any(line.text.startswith("一、部门主要职能") for line in parsed.lines)


def test_figures_set_off_the_baseline_stay_in_their_sentence(tmp_path: Path) -> None:
    """A text layer that puts the figures of a sentence on their own line (another font, a few points
    higher) must not lose them: the stated figures keep their words."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from ingest.pdf_reader import read_pdf

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "某部门2024年部门决算.pdf"
    pdf = canvas.Canvas(str(path))
    pieces = [("STSong-Light", 12, 0, "一般公共服务支出年初预算为"), ("Helvetica", 10, 5, "380.00"),
              ("STSong-Light", 12, 0, "万元，支出决算为"), ("Helvetica", 10, 5, "450.52"), ("STSong-Light", 12, 0, "万元。")]
    x = 72.0
    for font, size, rise, text in pieces:
        pdf.setFont(font, size)
        pdf.drawString(x, 700 + rise, text)
        x += pdfmetrics.stringWidth(text, font, size) + 2
    pdf.showPage()
    pdf.save()
    text = read_pdf(path).text.replace(" ", "")
    assert "年初预算为380.00万元，支出决算为450.52万元。" in text


def test_each_page_is_let_go_once_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long report never holds every page's parsed characters at once: each page's objects are freed
    (pdfplumber's Page.close) before the next page is parsed. The reading itself is pdfplumber's own."""
    events: list[tuple[str, int]] = []
    original_close, original_objects = pdfplumber.page.Page.close, pdfplumber.page.Page.objects

    def close(page: pdfplumber.page.Page) -> None:
        events.append(("close", page.page_number))
        original_close(page)

    def objects(page: pdfplumber.page.Page):  # type: ignore[no-untyped-def]
        if not events or events[-1] != ("parse", page.page_number):
            events.append(("parse", page.page_number))
        return original_objects.fget(page)  # type: ignore[attr-defined]

    monkeypatch.setattr(pdfplumber.page.Page, "close", close)
    monkeypatch.setattr(pdfplumber.page.Page, "objects", property(objects))
    doc = read_pdf(CORPUS / "shanghai" / "普陀区司法局2026年部门预算.pdf")
    pages = max(line.page for line in doc.lines)
    assert pages > 10
    expected = [event for number in range(1, pages + 1) for event in (("parse", number), ("close", number))]
    assert events[:len(expected)] == expected  # (closing the file closes them all again afterwards)


@pytest.mark.parametrize("name", ["shanghai/普陀区司法局2026年部门预算.pdf", "beijing/北京市司法局2026年部门预算.pdf",
                                  "jiangsu/江苏省委办公厅2019年度部门预算公开表格.pdf"])
def test_the_reader_page_makes_the_objects_pdfplumber_makes(name: str) -> None:
    """ingest/pdf_objects.ReaderPage builds each character, line, rect, curve and image dict for less; they
    must be pdfplumber's own, attribute for attribute, on every layout object of real pages of three layouts
    (a pdfplumber upgrade that changes its dicts fails here)."""
    from pdfminer.layout import LTContainer

    from ingest.pdf_objects import ReaderPage

    def leaves(objects):  # type: ignore[no-untyped-def]  # as pdfplumber walks them (no LAParams)
        for obj in objects:
            yield from leaves(obj._objs) if isinstance(obj, LTContainer) else [obj]

    made = 0
    with pdfplumber.open(CORPUS / name) as pdf:
        for page in pdf.pages:
            for obj in leaves(page.layout._objs):
                assert ReaderPage.process_object(page, obj) == pdfplumber.page.Page.process_object(page, obj)
                made += 1
            text = page.extract_text()
            page.close()
            page.__class__ = ReaderPage
            assert page.extract_text() == text
    assert made > 3000
