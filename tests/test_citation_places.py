"""Where a citation points, as a reader of the paper copy needs it: the page number each PDF page prints
(read from its header or footer, ingest/data/page_numbers.toml), stored per page and given to every
citation of such a page; the document's department, year and kind beside it; and an outline around the
whole quoted passage, not only its first line. Narrative answers quote the part that answers: the numbered
items that name what was asked, under their section path. Real corpus PDFs, real stores in tmp folders."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from budgetqa.library import Library
from budgetqa.settings import Settings
from ingest.page_numbers import printed_number
from ingest.pdf_reader import read_pdf
from tests.conftest import corpus_file

FUZHOU = "福州市医疗保障局2026年部门预算.pdf"  # cover and contents unnumbered: physical page n prints n - 2
ZFB = "普陀区人民政府办公室2025年部门预算.pdf"  # Shanghai district layout: no printed page numbers
SFJ = "普陀区司法局2026年部门预算.pdf"


def test_printed_number_forms() -> None:
    assert [printed_number(t) for t in ("- 5 -", "—12—", "— 12 —", "5", "第 5 页", "第5页 共40页", "5/40")] == [
        "5", "12", "12", "5", "5", "5", "5"]
    assert [printed_number(t) for t in ("2026", "12万元", "合计", "表5", "1.2")] == [None] * 5


@pytest.mark.parametrize(("name", "expected"), [
    (FUZHOU, {1: None, 2: None, 3: "1", 10: "8", 21: "19", 44: "42"}),  # contents page 2 numbers differ
    ("烟台市审计局2026年部门预算.pdf", {1: None, 2: "1", 13: "12"}),  # "—12—" under a table page
    ("苏州市审计局2026年部门预算.pdf", {1: None, 6: "5"}),  # "- 5 -"
    (ZFB, {page: None for page in range(1, 23)}),
])
def test_each_page_prints_its_number_or_none(name: str, expected: dict[int, str | None]) -> None:
    printed = read_pdf(corpus_file(name)).printed_pages
    assert {page: printed.get(page) for page in expected} == expected


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from qa.chain import build_answerer

    settings = Settings(data_dir=tmp_path_factory.mktemp("places"))
    library = Library(settings)
    results = library.ingest([corpus_file(FUZHOU), corpus_file(ZFB), corpus_file(SFJ)])
    assert all(r.ok for r in results), [r.error for r in results]
    return library, build_answerer(settings, passage_index=library.passage_index)


def test_the_store_keeps_printed_pages_and_citations_show_both(loaded) -> None:  # type: ignore[no-untyped-def]
    library, answerer = loaded
    fuzhou = library.store.documents_named(FUZHOU)[0]
    printed = library.store.printed_pages([fuzhou.document_id])
    assert printed[(fuzhou.document_id, 10)] == "8" and (fuzhou.document_id, 2) not in printed

    answer = answerer.ask("福州市医疗保障局2026年“三公”经费预算是多少？")
    assert answer.found and answer.citations
    for citation in answer.citations:
        assert citation.printed_page == str(citation.page - 2)
        assert citation.to_json()["printed_page"] == citation.printed_page
    first = answer.citations[0]
    assert (first.department, first.fiscal_year, first.document_kind) == ("福州市医疗保障局", 2026, "部门预算")
    line = first.describe()
    assert line.startswith(f"福州市医疗保障局 2026年 部门预算 · 第{first.page}页（页码 {first.page - 2}） · ")
    assert first.table and first.table in line and f"列 {first.column}" in line

    zfb = answerer.ask("区政府办2025年“三公”经费预算是多少？")
    assert zfb.found and all(c.printed_page is None and "printed_page" not in c.to_json() for c in zfb.citations)
    assert zfb.citations[0].describe().startswith(f"上海市普陀区人民政府办公室 2025年 部门预算 · 第{zfb.citations[0].page}页 · ")


def _printed_lines(path: Path, page: int, text: str) -> list[tuple[float, float, float, float]]:
    """Boxes of the page's printed lines whose words are part of `text` (read independently with pdfplumber;
    a line whose words the page prints twice cannot be placed by its words and is left out)."""
    flat = "".join(text.split())
    with pdfplumber.open(path) as pdf:
        lines = [("".join(ln["text"].split()), ln) for ln in pdf.pages[page - 1].extract_text_lines()]
    page_text = "".join(words for words, _ in lines)
    return [(ln["x0"], ln["top"], ln["x1"], ln["bottom"]) for words, ln in lines
            if len(words) >= 6 and words in flat and page_text.count(words) == 1]


def test_the_outline_covers_every_line_of_a_quoted_passage(loaded) -> None:  # type: ignore[no-untyped-def]
    _, answerer = loaded
    answer = answerer.ask("区政府办2025年的主要职能是什么？")
    assert answer.found and answer.route == "passage"
    citation = answer.citations[0]
    assert citation.section and "主要职能" in citation.section
    assert citation.describe().endswith(f"第{citation.page}页 · {citation.section}")
    quoted = "".join(line for line in answer.answer.splitlines() if not line.startswith("【"))  # not the path
    lines = _printed_lines(corpus_file(ZFB), citation.page, quoted)  # every printed line quoted from that page
    assert len(lines) >= 10 and citation.bbox is not None
    x0, top, x1, bottom = citation.bbox
    for line in lines:
        assert x0 - 0.5 <= line[0] and line[2] <= x1 + 0.5 and top - 0.5 <= line[1] and line[3] <= bottom + 0.5, line


def test_a_stated_figure_is_outlined_around_its_sentence(loaded) -> None:  # type: ignore[no-untyped-def]
    library, _ = loaded
    zfb = library.store.documents_named(ZFB)[0]
    stated = {f.sentence: f for f in library.store.facts([zfb.document_id], table_kind="narrative") if f.sentence}
    assert stated and all(f.bbox is not None for f in stated.values())
    spans = []
    for sentence, fact in stated.items():
        lines = _printed_lines(corpus_file(ZFB), fact.page, sentence)
        x0, top, x1, bottom = fact.bbox  # type: ignore[misc]
        assert all(x0 - 0.5 <= ln[0] and ln[2] <= x1 + 0.5 and top - 0.5 <= ln[1] and ln[3] <= bottom + 0.5
                   for ln in lines), sentence
        spans.append(len(lines))
    assert max(spans) >= 2  # some sentences wrap over several printed lines, and are outlined whole


@pytest.mark.parametrize(("question", "answering", "unrelated"), [
    # the reason stands in the paragraph before a list of 科目 that says nothing of it
    ("区政府办2025年财政拨款为什么比2024年减少？", "主要原因是项目调整", "行政单位离退休"),
    # one 科目 of the list is asked about: its item, not the five others
    ("区司法局2026年行政运行经费减少的原因？", "部分人员退休", "基层司法业务"),
])
def test_a_narrative_answer_quotes_the_items_that_answer(loaded, question: str, answering: str,  # type: ignore[no-untyped-def]
                                                          unrelated: str) -> None:
    _, answerer = loaded
    answer = answerer.ask(question)
    assert answer.found and answer.route == "passage"
    assert answering in answer.answer and unrelated not in answer.answer
    assert answer.answer.startswith("【") and all(c.section for c in answer.citations)


def test_a_list_asked_for_whole_is_quoted_whole(loaded) -> None:  # type: ignore[no-untyped-def]
    _, answerer = loaded
    answer = answerer.ask("区政府办2025年的主要职能是什么？")
    assert all(f"{n}." in answer.answer for n in range(1, 15))


def test_a_citation_without_a_box_is_outlined_across_its_snippet_lines() -> None:
    """A store ingested before line boxes were kept: the page image finds the whole snippet, wrapped lines too."""
    from budgetqa.pages import snippet_boxes

    snippet = ("上海市普陀区人民政府办公室是协助区政府领导处理区政府日常工作的区政府工作部门，为正处级，"
               "加挂上海市普陀区人民政府研究室、上海市普陀区人民政府外事办公室")
    with pdfplumber.open(corpus_file(ZFB)) as pdf:
        [box] = snippet_boxes(pdf.pages[2], snippet)
    [first] = _printed_lines(corpus_file(ZFB), 3, snippet)  # the second line goes on past the snippet
    height = first[3] - first[1]
    assert box[1] - 0.5 <= first[1] and first[3] <= box[3] and box[3] - box[1] >= 2 * height  # both lines


def test_a_pdf_stored_before_page_numbers_is_read_again(tmp_path: Path) -> None:
    """A store written before revision 0003 holds its PDFs without printed pages and line boxes: ingesting the
    same file again reads it again (once), instead of calling it unchanged."""
    from sqlalchemy import text

    library = Library(Settings(data_dir=tmp_path / "data"))
    path = corpus_file("北京市司法局2026年部门预算.pdf")  # prints "- 1 -" … "- 10 -"
    [first] = library.ingest([path])
    assert first.status == "added" and first.document is not None
    doc_id = first.document.document_id
    with library.store.engine.begin() as connection:  # what such a store holds after its migration to 0003
        connection.execute(text("UPDATE passages SET line_boxes = NULL"))
        connection.execute(text("DELETE FROM printed_pages"))
    assert library.store.read_before_pages(first.document)
    [again] = library.ingest([path])
    assert again.status == "replaced" and library.store.printed_pages([doc_id])[(doc_id, 5)] == "5"
    assert all(p.line_boxes for p in library.store.passages([doc_id]) if p.kind == "narrative")
    [third] = library.ingest([path])
    assert third.status == "unchanged" and library.store.row_counts()["documents"] == 1
