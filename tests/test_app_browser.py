"""End-to-end tests of the Gradio app in Debian's chromium, on the real Shanghai PDFs.

One app process serves the whole module (the first embedding-model load is slow). Every page blocks
and records requests to anything but the local app, so the tests also prove that the app runs offline.
Screenshots of every step go to test-artifacts/; BUDGETQA_UPDATE_SCREENSHOT=1 also refreshes docs/screenshot.png.

The first tests (no browser) check the upload rules of app.py directly.
"""

from __future__ import annotations

import os

import csv
from pathlib import Path

import pytest

from budgetqa.settings import Settings
from tests.browser_utils import (ARTIFACTS, CHROMIUM, CORPUS, REPO, AppServer, OfflineGuard, ask, launch_chromium,
                                 new_page, open_tab, shot, wait_text)

SHANGHAI_PDFS = ["普陀区人民政府办公室2025年部门预算.pdf", "普陀区万里街道办事处2024年部门预算.pdf",
                 "普陀区司法局2026年部门预算.pdf"]
ZFB = "普陀区人民政府办公室2025年部门预算.pdf"


# ---- upload rules (no browser) -------------------------------------------------------------------
def test_safe_file_name_strips_folders_and_odd_characters() -> None:
    from budgetqa.uploads import safe_file_name

    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\windows\\普陀区 2025.pdf") == "普陀区_2025.pdf"
    assert safe_file_name(ZFB) == ZFB
    assert safe_file_name("..") == "upload"
    assert safe_file_name("/abs/.hidden.pdf") == "hidden.pdf"
    assert "/" not in safe_file_name("a/b\x00c.pdf") and "\x00" not in safe_file_name("a/b\x00c.pdf")


def test_store_upload_keeps_files_under_uploads_dir(tmp_path: Path) -> None:
    from budgetqa.uploads import store_upload

    settings = Settings(data_dir=tmp_path / "data")
    evil = tmp_path / "in" / "..%2F..%2Fevil.pdf"
    evil.parent.mkdir()
    evil.write_bytes(b"%PDF-1.4 test")
    stored = store_upload(evil, settings, original_name="../../../evil.pdf")
    assert settings.uploads_dir.resolve() in stored.parents
    assert stored.name == "evil.pdf" and stored.read_bytes() == b"%PDF-1.4 test"


def test_upload_limits_refuse_type_and_size_with_a_clear_message(tmp_path: Path) -> None:
    from app import BudgetApp

    app = BudgetApp(Settings(data_dir=tmp_path / "data", max_file_mb=0.01))
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 20_000)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    too_big, wrong_type = app.ingest_upload(big), app.ingest_upload(exe)
    assert too_big.status == "failed" and "超过上限 0.01 MB" in (too_big.error or "")
    assert wrong_type.status == "failed" and "不支持的文件类型" in (wrong_type.error or "")
    assert app.documents() == []
    assert not any(p.is_file() for p in uploaded_files(app.settings.uploads_dir))


def uploaded_files(folder: Path) -> list[Path]:
    return list(folder.rglob("*")) if folder.exists() else []


# ---- the app in a browser ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A data directory with the three Shanghai PDFs ingested through the library (real pipeline)."""
    from budgetqa.library import Library

    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    data = tmp_path_factory.mktemp("app-data")
    results = Library(Settings(data_dir=data)).ingest([CORPUS / "shanghai" / name for name in SHANGHAI_PDFS])
    assert all(r.ok for r in results), [r.error for r in results]
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
        pytest.skip("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")

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
    # the store fills the filters and the examples on load: wait for one of our documents to appear
    page.locator("#examples").get_by_text("上海市普陀区人民政府办公室", exact=False).first.wait_for()
    return page


def _answer_text(page, must_contain: str) -> str:  # type: ignore[no-untyped-def]
    return wait_text(page, "#answer", must_contain, timeout=180_000)


@pytest.mark.browser
def test_lookup_shows_exact_value_citation_and_cited_page(browser, server: AppServer, guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    shot(page, "01-start")
    ask(page, "区政府办2025年“三公”经费预算是多少？")
    text = _answer_text(page, "867.50")
    assert "867.50 万元" in text
    citations = page.locator("#citations")
    cited = citations.locator("label", has_text=f"{ZFB} 第20页")
    cited.first.wait_for()
    assert "[1]" in citations.inner_text()
    shot(page, "02-answer")

    cited.first.click()
    image = page.locator("#page-image img")
    image.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#page-image img').naturalWidth > 500")
    assert f"{ZFB} 第20页" in page.locator("#page-note").inner_text()
    assert "红框" in page.locator("#page-note").inner_text()  # the cited cell was outlined
    shot(page, "03-cited-page")
    page.set_viewport_size({"width": 1400, "height": 1000})
    shot(page, "03b-readme")
    if os.environ.get("BUDGETQA_UPDATE_SCREENSHOT"):  # refresh the README picture on request only
        page.screenshot(path=str(REPO / "docs" / "screenshot.png"), full_page=False)
    assert guard.blocked == [], f"the app tried to reach the internet: {guard.blocked}"


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
    assert "损坏的预算.pdf" in summary
    assert "0 个文件导入成功" in summary
    assert "失败" in page.locator("#ingest-result").inner_text()
    page.wait_for_timeout(1500)  # the library table refreshes after the batch
    assert library.inner_text() == before
    uploads = server.data_dir / "uploads"
    assert not any(p.is_file() for p in uploads.rglob("*")) if uploads.exists() else True
    shot(page, "04-corrupt-upload")
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
        other = [v for p, _, v, _ in questions if p is not page][0]
        assert other not in text
    shot(first, "05-session-1")
    shot(second, "06-session-2")
    # follow-ups build on each session's own previous question
    follow_ups = [(first, "机关运行经费呢？", "213.28"), (second, "三公经费呢？", "47.91")]
    for page, question, _ in follow_ups:
        page.locator("#question textarea").fill(question)
        page.locator("#ask").click()
    for page, _, value in follow_ups:
        assert "按上一问理解为" in _answer_text(page, value)
    shot(second, "06b-follow-up")
    assert guard.blocked == []


@pytest.mark.browser
def test_table_explorer_shows_table_and_downloads_csv(browser, server: AppServer, guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    open_tab(page, "表格浏览")
    _choose(page, "#table-document", ZFB)
    _choose(page, "#table-select", "三公")
    wait_text(page, "#table-view", "867.50")
    shot(page, "07-table-explorer")
    with page.expect_download() as download_info:
        page.locator("#table-csv").click()
    saved = ARTIFACTS / "table.csv"
    download_info.value.save_as(str(saved))
    with saved.open(encoding="utf-8-sig") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert "867.50" in cells
    assert guard.blocked == []


@pytest.mark.browser
def test_ranking_question_shows_a_bar_chart(browser, server: AppServer, guard: OfflineGuard) -> None:
    page = _open(browser, guard, server)
    page.locator("#examples").get_by_text("哪个部门的“三公”经费最多？").click()  # the example fills the box
    page.wait_for_function("document.querySelector('#question textarea').value === '哪个部门的“三公”经费最多？'")
    page.locator("#ask").click()
    text = _answer_text(page, "867.50")
    assert "上海市普陀区人民政府办公室2025" in text
    chart = page.locator("#chart")
    chart.wait_for(state="visible")
    chart.locator("canvas, svg").first.wait_for(state="visible")
    shot(page, "08-ranking-chart")
    assert guard.blocked == []


def test_example_questions_are_answered_from_the_loaded_documents(data_dir: Path) -> None:
    from app import BudgetApp
    from budgetqa.views import example_questions

    app = BudgetApp(Settings(data_dir=data_dir))
    questions = example_questions(app.documents())
    assert len(questions) == 6 and "哪个部门的“三公”经费最多？" in questions
    for question in questions:
        answer = app.ask(question, None, None, None)
        assert answer.found and answer.citations, (question, answer.answer)
        assert {c.document for c in answer.citations} <= set(SHANGHAI_PDFS)


def _choose(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"{selector} input").click()
    page.get_by_role("option", name=text, exact=False).first.click()



@pytest.mark.browser
def test_upload_batch_with_a_bad_file_then_text_citation_then_remove(browser, server: AppServer, guard: OfflineGuard,
                                                                    tmp_path: Path) -> None:
    """A good .txt and a bad file in one batch: the good one is ingested, answers cite its lines; then removed."""
    text_doc = CORPUS / "shanghai" / "上海市金融服务办公室2018年部门预算.txt"
    bad = tmp_path / "说明.docx"
    bad.write_bytes(b"PK\x03\x04 not a budget")
    page = _open(browser, guard, server)
    open_tab(page, "文档库")
    library = page.locator("#library")
    library.get_by_text(ZFB).wait_for()
    before = library.inner_text()
    page.locator("#upload input[type=file]").set_input_files([str(text_doc), str(bad)])
    wait_text(page, "#upload", ".docx")  # both files uploaded (the widget shows name and suffix apart)
    page.locator("#ingest").click()
    summary = wait_text(page, "#ingest-summary", "1 个文件导入成功", timeout=300_000)
    assert "1 个失败" in summary and "不支持的文件类型" in summary
    results = page.locator("#ingest-result").inner_text()
    assert "上海市金融服务办公室" in results and "2018" in results and "部门预算" in results
    wait_text(page, "#library", text_doc.name)
    uploaded = [p for p in (server.data_dir / "uploads").rglob("*") if p.is_file()]
    assert [p.name for p in uploaded] == [text_doc.name]
    shot(page, "09-batch-upload")

    open_tab(page, "问答")
    ask(page, "上海市金融服务办公室2018年“三公”经费预算是多少？")
    _answer_text(page, "173.05")
    page.locator("#citations label", has_text=text_doc.name).first.click()
    page.wait_for_function("(document.querySelector('#cited-lines textarea')?.value || '').includes('▶')")
    assert "173.05" in page.locator("#cited-lines textarea").input_value().replace(",", "")
    shot(page, "10-text-citation")

    open_tab(page, "文档库")
    _choose(page, "#doc-select", text_doc.name)
    page.locator("#remove").click()
    wait_text(page, "#doc-action", f"已删除 {text_doc.name}")
    page.wait_for_function("([sel, name]) => !document.querySelector(sel).innerText.includes(name)",
                           arg=["#library", text_doc.name])
    assert library.inner_text() == before
    assert not [p for p in (server.data_dir / "uploads").rglob("*") if p.is_file()]
    shot(page, "11-removed")
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
        shot(page, "11-oversized-upload")
    assert not [p for p in (data_dir / "uploads").rglob("*") if p.is_file() and p.name == big.name]
