"""End-to-end tests of the Gradio app in Debian's chromium, on a copy of the whole corpus store.

One app process serves the whole module (the first embedding-model load is slow) on a copy of the
session's corpus store (tests/conftest.py), so that deleting and uploading here leaves the store of the
other tests alone. Every page blocks and records requests to anything but the local app, so the tests
also prove that the app runs offline. Screenshots of every step go to test-artifacts/;
BUDGETQA_UPDATE_SCREENSHOT=1 also refreshes docs/screenshot.png.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

import pytest

from budgetqa.settings import Settings
from tests.browser_utils import (
    ARTIFACTS,
    CHROMIUM,
    CORPUS,
    REPO,
    AppServer,
    OfflineGuard,
    ask,
    choose,
    dropdown_options,
    launch_chromium,
    new_page,
    open_tab,
    shot,
    type_composed,
    wait_text,
)

ZFB = "普陀区人民政府办公室2025年部门预算.pdf"
XFJ = "国家信访局2024年度部门决算.pdf"
TEXT_DOC = "上海市金融服务办公室2018年部门预算.txt"


# ---- the app in a browser ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(corpus_settings, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the session's store holding the whole corpus, for this module to change."""
    from budgetqa.library import Library

    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: scripts/test.sh installs it (apt-get install -y chromium fonts-noto-cjk)")
    data = tmp_path_factory.mktemp("app-data") / "data"
    shutil.copytree(corpus_settings.data_dir, data)
    assert len(Library(Settings(data_dir=data)).documents()) >= 20
    return data


@pytest.fixture(scope="module")
def server(data_dir: Path):  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    with AppServer(data_dir, ARTIFACTS / "app-server.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():  # scripts/test.sh installs it; only a machine without apt-get as root gets here
        pytest.fail("chromium is not installed: scripts/test.sh installs it (apt-get install -y chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def guard() -> OfflineGuard:
    return OfflineGuard()


def _open(browser, guard: OfflineGuard, server: AppServer):  # type: ignore[no-untyped-def]
    page = new_page(browser, guard)
    page.goto(server.url)
    page.locator("#question textarea").wait_for()
    # the store fills the filters and the examples on load: wait for the examples' kinds to appear
    page.locator("#examples").get_by_text("决算与预算").first.wait_for()
    return page


def _answer_text(page, must_contain: str) -> str:  # type: ignore[no-untyped-def]
    return wait_text(page, "#answer", must_contain, timeout=180_000)


def _new_answer(page, before: str) -> str:  # type: ignore[no-untyped-def]
    """Wait for the answer to change from `before` (a question was asked) and return it."""
    page.wait_for_function("([before]) => { const text = document.querySelector('#answer').innerText;"
                           " return text.includes('回答') && text !== before; }", arg=[before], timeout=180_000)
    return page.locator("#answer").inner_text()


@pytest.mark.browser
def test_department_filter_finds_partial_names_typed_or_composed(browser, server: AppServer,
                                                                 guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    search = "#department-search textarea"
    page.locator(search).press_sequentially("省法", delay=60)  # key by key
    wait_text(page, "#department-matches", "找到 1 个部门：江苏省高级人民法院")
    assert dropdown_options(page, "#filter-department") == ["全部", "江苏省高级人民法院（江苏省 · 省级 · 2017–2019年 · 部门预算）"]
    assert page.locator("#filter-department input").input_value().startswith("江苏省高级人民法院")  # one match: chosen

    page.locator(search).fill("")
    wait_text(page, "#department-matches", "共 ")
    type_composed(page, search, "信访")  # the whole word in one input event, as from a Chinese input method
    wait_text(page, "#department-matches", "找到 3 个部门")
    options = dropdown_options(page, "#filter-department")
    assert [o.split("（")[0] for o in options] == ["全部", "国家信访局", "广州市信访局", "深圳市信访局"]
    assert "深圳市信访局（深圳市 · 市级 · 2026年 · 部门预算）" in options
    choose(page, "#filter-level", "中央")
    wait_text(page, "#department-matches", "找到 1 个部门：国家信访局")
    assert page.locator("#filter-department input").input_value().startswith("国家信访局")
    shot(page, "01-department-filter")

    page.locator(search).fill("")
    type_composed(page, search, "区政府办")  # a short form, not a part of the printed name
    choose(page, "#filter-level", "全部")
    wait_text(page, "#department-matches", "找到 1 个部门：上海市普陀区人民政府办公室")
    ask(page, "2025年“三公”经费预算是多少？")  # no department in the question: the filter names it
    assert "867.50 万元" in _answer_text(page, "867.50")
    assert guard.blocked == [], f"the app tried to reach the internet: {guard.blocked}"


@pytest.mark.browser
def test_lookup_shows_exact_value_citation_and_cited_page(browser, server: AppServer, guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    shot(page, "02-start")
    ask(page, "区政府办2025年“三公”经费预算是多少？")
    text = _answer_text(page, "867.50")
    assert "867.50 万元" in text
    citations = page.locator("#citations")
    cited = citations.locator("label", has_text=f"{ZFB} 第20页")
    cited.first.wait_for()
    label = cited.first.inner_text()
    assert label.startswith("[1]") and "三公" in label and label.endswith("｜ 上海市普陀区人民政府办公室 · 2025年 · 部门预算")
    shot(page, "03-answer")

    cited.first.click()
    image = page.locator("#page-image img")
    image.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#page-image img').naturalWidth > 500")
    note = page.locator("#page-note").inner_text()
    assert f"{ZFB} 第20页" in note and "上海市普陀区人民政府办公室 · 2025年 · 部门预算" in note
    assert "红框" in note  # the cited cell was outlined
    shot(page, "04-cited-page")
    if os.environ.get("BUDGETQA_UPDATE_SCREENSHOT"):  # refresh the README picture on request only
        page.set_viewport_size({"width": 1400, "height": 1080})
        page.screenshot(path=str(REPO / "docs" / "screenshot.png"), full_page=False)
    assert guard.blocked == [], f"the app tried to reach the internet: {guard.blocked}"


@pytest.mark.browser
def test_a_citation_shows_the_physical_and_the_printed_page(browser, server: AppServer, guard: OfflineGuard) -> None:
    """The PDF's 9th page prints "7" at its foot: readers comparing with the paper need both numbers."""
    page = _open(browser, guard, server)
    ask(page, "国家信访局2024年购房补贴决算是多少？")
    _answer_text(page, "331.00")
    label = page.locator("#citations label").first
    label.wait_for()
    text = label.inner_text()
    assert text.startswith(f"[1] {XFJ} 第9页") and "｜ 国家信访局 · 2024年 · 部门决算" in text
    assert re.search(r"第9页（印刷页码 ?7）", text), text
    label.click()
    page.wait_for_function("document.querySelector('#page-image img')?.naturalWidth > 500")
    assert re.search(r"第9页（印刷页码 ?7）", page.locator("#page-note").inner_text())
    shot(page, "05-printed-page")
    assert guard.blocked == []


@pytest.mark.browser
def test_findings_are_explained_in_chinese_and_the_library_filters(browser, server: AppServer,
                                                                   guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    open_tab(page, "文档库")
    library = page.locator("#library")
    library.get_by_text(XFJ).wait_for()
    assert page.locator("#findings-note").inner_text().startswith("请先在上方选择一个文档")
    assert re.match(r"显示 (\d+) / \1 个文档", page.locator("#library-note").inner_text())

    choose(page, "#library-findings", "有发现问题")
    choose(page, "#library-region", "广东省")
    wait_text(page, "#library-note", "显示 3 /")
    rows = library.inner_text()
    assert "深圳市信访局" in rows and "佛山市轨道交通局" in rows and "国家信访局" not in rows
    choose(page, "#library-region", "全部")
    choose(page, "#library-sort", "按发现问题")
    page.wait_for_function("document.querySelector('#library').innerText.includes('国家信访局')")
    shot(page, "06-library-filtered")

    choose(page, "#doc-select", XFJ)
    note = wait_text(page, "#findings-note", "项疑似提取错误")
    assert XFJ in note
    findings = page.locator("#findings")
    wait_text(page, "#findings", "第")
    text = findings.inner_text()
    assert re.search(r"不等于|不一致", text) and ("舍入差异" in text or "疑似提取错误" in text)
    for english in ("column_sum", "code_sum", "sum of", "is not the sum", "differs", "(p."):
        assert english not in text, english
    # the table fits the window: long explanations wrap instead of running off to the right
    assert page.evaluate("document.querySelector('#findings table').getBoundingClientRect().right"
                         " <= document.documentElement.clientWidth")
    shot(page, "07-findings")
    assert guard.blocked == []


@pytest.mark.browser
def test_examples_cover_several_kinds_and_each_gets_an_answer(browser, server: AppServer, guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    rows = page.locator("#examples tbody tr")
    examples = [[cell.inner_text().strip() for cell in row.locator("td").all()] for row in rows.all()]
    kinds = {kind for _, kind in examples}
    assert len(kinds) >= 4 and {"单项数字", "占比", "决算与预算", "排名"} <= kinds, examples
    for number, (question, kind) in enumerate(examples):
        before = page.locator("#answer").inner_text()
        page.locator("#examples").get_by_text(question, exact=True).click()  # the example fills the box
        page.wait_for_function("([q]) => document.querySelector('#question textarea').value === q", arg=[question])
        page.locator("#ask").click()
        answer = _new_answer(page, before)
        assert "没有找到答案" not in answer, (question, answer)
        page.locator("#citations label").first.wait_for()
        if kind == "排名":  # a ranking is drawn as a bar chart
            page.locator("#chart").locator("canvas, svg").first.wait_for(state="visible")
        if kind == "职能说明":  # a long quote folds
            assert "展开全文" in page.locator("#answer details summary").first.inner_text()
        shot(page, f"08-example-{number}")
    assert guard.blocked == []


@pytest.mark.browser
def test_delete_asks_for_confirmation_then_a_text_file_is_uploaded_again(browser, server: AppServer,
                                                                         guard: OfflineGuard, tmp_path: Path) -> None:
    """Delete the text copy (after confirming), upload it again with a bad file, ask and see its cited lines."""
    text_doc = CORPUS / "shanghai" / TEXT_DOC
    bad = tmp_path / "说明.docx"
    bad.write_bytes(b"PK\x03\x04 not a budget")
    page = _open(browser, guard, server)
    page.locator("#go-upload").click()  # the 问答 tab points to where files are uploaded
    page.locator("#upload").wait_for(state="visible")
    library = page.locator("#library")
    library.get_by_text(TEXT_DOC).wait_for()

    choose(page, "#doc-select", TEXT_DOC)
    page.locator("#remove").click()
    confirm = wait_text(page, "#confirm-text", "确定要删除")
    assert TEXT_DOC in confirm and "上海市金融服务办公室 · 2018 · 部门预算" in confirm
    page.wait_for_timeout(500)
    assert TEXT_DOC in library.inner_text()  # nothing is removed before the confirmation
    shot(page, "09-confirm-delete")
    page.locator("#confirm-no").click()
    wait_text(page, "#doc-action", "已取消")
    assert not page.locator("#confirm-yes").is_visible() and TEXT_DOC in library.inner_text()

    page.locator("#remove").click()
    wait_text(page, "#confirm-text", TEXT_DOC)
    page.locator("#confirm-yes").click()
    wait_text(page, "#doc-action", f"已删除 {TEXT_DOC}")
    page.wait_for_function("([sel, name]) => !document.querySelector(sel).innerText.includes(name)",
                           arg=["#library", TEXT_DOC])

    page.locator("#upload input[type=file]").set_input_files([str(text_doc), str(bad)])
    wait_text(page, "#upload", ".docx")  # both files uploaded (the widget shows name and suffix apart)
    page.locator("#ingest").click()
    summary = wait_text(page, "#ingest-summary", "1 个文件导入成功", timeout=300_000)
    assert "1 个失败" in summary and "不支持的文件类型" in summary
    results = page.locator("#ingest-result").inner_text()
    assert "上海市金融服务办公室" in results and "2018" in results and "部门预算" in results
    wait_text(page, "#library", TEXT_DOC)
    uploaded = [p for p in (server.data_dir / "uploads").rglob("*") if p.is_file()]
    assert [p.name for p in uploaded] == [TEXT_DOC]
    shot(page, "10-batch-upload")

    open_tab(page, "问答")
    ask(page, "上海市金融服务办公室2018年“三公”经费预算是多少？")
    _answer_text(page, "173.05")
    page.locator("#citations label", has_text=TEXT_DOC).first.click()
    page.wait_for_function("(document.querySelector('#cited-lines textarea')?.value || '').includes('▶')")
    assert "173.05" in page.locator("#cited-lines textarea").input_value().replace(",", "")
    shot(page, "11-text-citation")
    assert guard.blocked == []


@pytest.mark.browser
def test_corrupt_upload_is_reported_and_library_unchanged(browser, server: AppServer, guard: OfflineGuard,
                                                          tmp_path: Path) -> None:
    page = _open(browser, guard, server)
    open_tab(page, "文档库")
    library = page.locator("#library")
    library.get_by_text(ZFB).wait_for()
    before = library.inner_text()
    corrupt = tmp_path / "损坏的预算.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)  # a PDF header, then garbage
    page.locator("#upload input[type=file]").set_input_files(str(corrupt))
    page.locator("#upload").get_by_text("损坏的预算.pdf").first.wait_for()
    page.locator("#ingest").click()
    summary = wait_text(page, "#ingest-summary", "导入失败", timeout=180_000)
    assert "损坏的预算.pdf：PDF 文件已损坏或不完整" in summary and "请重新下载或重新导出该文件" in summary
    assert "0 个文件导入成功" in summary
    assert "失败" in page.locator("#ingest-result").inner_text()
    page.wait_for_timeout(1500)  # the library table refreshes after the batch
    assert library.inner_text() == before
    uploads = server.data_dir / "uploads"
    assert not any(p.is_file() and p.name == corrupt.name for p in uploads.rglob("*")) if uploads.exists() else True
    shot(page, "12-corrupt-upload")
    assert guard.blocked == []


@pytest.mark.browser
def test_two_sessions_asking_at_once_both_get_their_answer(browser, server: AppServer, guard: OfflineGuard) -> None:
    first, second = _open(browser, guard, server), _open(browser, guard, server)
    questions = [(first, "区政府办2025年“三公”经费预算是多少？", "867.50", ZFB),
                 (second, "万里街道2024年机关运行经费是多少？", "443.18", "普陀区万里街道办事处2024年部门预算.pdf")]
    for page, question, _, _ in questions:
        page.locator("#question textarea").fill(question)
    # Playwright's sync API is not thread-safe: click in turn, without waiting, so both are in flight at once.
    for page, *_ in questions:
        page.locator("#ask").click()
    for page, _, value, document in questions:
        text = _answer_text(page, value)
        assert page.locator("#citations").get_by_text(document, exact=False).count() >= 1
        other = next(v for p, _, v, _ in questions if p is not page)
        assert other not in text
    shot(first, "13-session-1")
    shot(second, "14-session-2")
    # follow-ups build on each session's own previous question
    follow_ups = [(first, "机关运行经费呢？", "213.28"), (second, "三公经费呢？", "47.91")]
    for page, question, _ in follow_ups:
        page.locator("#question textarea").fill(question)
        page.locator("#ask").click()
    for page, _, value in follow_ups:
        assert "按上一问理解为" in _answer_text(page, value)
    shot(second, "15-follow-up")
    assert guard.blocked == []


@pytest.mark.browser
def test_table_explorer_shows_table_and_downloads_csv(browser, server: AppServer, guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    open_tab(page, "表格浏览")
    choose(page, "#table-document", ZFB)
    choose(page, "#table-select", "三公")
    wait_text(page, "#table-view", "867.50")
    shot(page, "16-table-explorer")
    with page.expect_download() as download_info:
        page.locator("#table-csv").click()
    saved = ARTIFACTS / "table.csv"
    download_info.value.save_as(str(saved))
    with saved.open(encoding="utf-8-sig") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert "867.50" in cells
    assert guard.blocked == []


@pytest.mark.browser
def test_an_oversized_upload_is_refused_in_chinese_and_nothing_changes(browser, data_dir: Path, guard: OfflineGuard,
                                                                       tmp_path: Path) -> None:
    """Gradio refuses a file over the limit in the browser; the page says so in the app's Chinese words."""
    big = tmp_path / "超大文件2026年部门预算.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 40_000)
    with AppServer(data_dir, ARTIFACTS / "app-server-small-limit.log",
                   extra_env={"BUDGETQA_MAX_FILE_MB": "0.01"}) as small:
        page = _open(browser, guard, small)
        open_tab(page, "文档库")
        before = page.locator("#library").inner_text()
        page.locator("#upload input[type=file]").set_input_files([str(big)])
        page.get_by_text("文件太大，超过上限", exact=False).first.wait_for(timeout=30_000)
        assert page.get_by_text("exceed the maximum allowed size", exact=False).count() == 0
        assert page.locator("#library").inner_text() == before
        shot(page, "17-oversized-upload")
    assert not [p for p in (data_dir / "uploads").rglob("*") if p.is_file() and p.name == big.name]
