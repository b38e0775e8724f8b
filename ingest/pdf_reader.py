"""PDF -> ParsedDocument: page lines in reading order and every ruled table as a clean, aligned grid.

The steps, one module each: `pdf_lines` (text lines in reading order), `pdf_grid` (ruling lines ->
table regions -> grid cells), `pdf_headers` (header paths and data rows), `pdf_labels` (titles, units,
notes around a table), `pdf_assembly` (tables continued across pages). This module reads the file
and runs them page by page.

    doc = read_pdf(Path("普陀区人民政府办公室2025年部门预算.pdf"))
    doc.tables[2].title, doc.tables[2].columns[5], doc.tables[2].rows[2][5].text
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from budgetqa.models import BBox, Line, ParsedDocument
from ingest.errors import ReadError
from ingest.page_numbers import printed_page_number
from ingest.pdf_assembly import Builder, add_fragment
from ingest.pdf_grid import CJK_GAP, Fragment, PageLine, PageResult, page_rules, read_fragment, rule_groups
from ingest.pdf_labels import META_LINE, PAGE_NUMBER, SUBTITLE, TITLE_HINT, label_fragments, line_mid, table_unit
from ingest.pdf_lines import reading_order_lines
from ingest.pdf_objects import ReaderPage

MIN_CHARS_PER_PAGE = 15  # below this on every page the PDF has no usable text layer
_PROJECT_LINE = re.compile(r"项目(经费)?情况说明$|项目绩效目标表?$")


# ---------------------------------------------------------------- public API


def read_pdf(path: Path, max_pages: int | None = None) -> ParsedDocument:
    """Read a budget PDF into lines and aligned tables; raises ReadError when it cannot be read, or when it
    has more than `max_pages` pages (counted from the page tree before any page is parsed).

        doc = read_pdf(Path("省法院2017年度部门预算公开.pdf"))
    """
    path = Path(path)
    _check_file(path)
    try:
        with pdfplumber.open(path) as pdf:
            if max_pages is not None and len(pdf.pages) > max_pages:  # a 3,000-page file is refused at once
                raise ReadError(path, f"{len(pdf.pages)} pages, over the {max_pages}-page limit",
                                "split the file, or raise BUDGETQA_MAX_PAGES")
            pages = [_read_closing(page, number) for number, page in enumerate(pdf.pages, start=1)]
    except (PdfminerException, MalformedPDFException, PDFSyntaxError, PSException, PDFEncryptionError,
            PDFPasswordIncorrect, ValueError, KeyError, TypeError, AttributeError) as error:
        raise _read_error(path, error) from error
    if not pages:
        raise ReadError(path, "the PDF has no pages", "re-export the document")
    if all(page.char_count < MIN_CHARS_PER_PAGE for page in pages):
        raise ReadError(path, "the PDF has no text layer (scanned images only)",
                        "run OCR on it (e.g. ocrmypdf) or use the publisher's text PDF")
    return _assemble(path, pages)


# ---------------------------------------------------------------- file checks


def _read_error(path: Path, error: Exception) -> ReadError:
    """The ReadError for an exception raised while parsing (pdfplumber wraps pdfminer's)."""
    cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return ReadError(path, "the PDF is encrypted (password protected)",
                         "remove the password (e.g. qpdf --decrypt) and give the decrypted file")
    name = type(cause).__name__ if isinstance(cause, Exception) else type(error).__name__
    return ReadError(path, f"the PDF is corrupt or truncated ({name})", "re-download or re-export the document")


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ReadError(path, "file not found", "check the path")
    if path.stat().st_size == 0:
        raise ReadError(path, "the file is empty (0 bytes)", "re-download or re-export the document")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF" not in head:
        raise ReadError(path, "not a PDF (no %PDF header)",
                        "check that the file really is a PDF, not a renamed file")


# ---------------------------------------------------------------- one page


def _read_closing(page: Any, number: int) -> PageResult:
    """A page read, then its parsed objects freed: a 300-page report never holds every page's characters."""
    page.__class__ = ReaderPage  # the same objects, made for less (ingest/pdf_objects.py)
    try:
        return _read_page(page, number)
    finally:
        page.close()


def _read_page(page: Any, number: int) -> PageResult:
    chars = [c for c in page.chars if c["text"].strip()]
    lines = [PageLine(text, bbox) for text, bbox in reading_order_lines(page)]
    fragments = []
    for rules in rule_groups(page_rules(page)):
        fragment = read_fragment(rules, chars, number)
        if fragment is not None:
            fragments.append(fragment)
    fragments.sort(key=lambda f: f.bbox[1])
    printed = printed_page_number(lines, float(page.height), [f.bbox for f in fragments])
    return PageResult(lines, fragments, len(chars), printed)



# ---------------------------------------------------------------- document assembly


def _assemble(path: Path, pages: list[PageResult]) -> ParsedDocument:
    lines: list[Line] = []
    table_line_ids: set[int] = set()
    offset = 0
    builder = Builder()
    project: str | None = None
    pending_title: tuple[str, BBox] | None = None
    for number, result in enumerate(pages, start=1):
        label_fragments(result)
        if pending_title and result.fragments and result.fragments[0].title is None:
            first = result.fragments[0]
            if not any(line_mid(ln) < first.bbox[1] - 1 and TITLE_HINT.search(ln.text.strip()) for ln in result.lines):
                first.title, first.title_bbox = pending_title  # the title was printed at the foot of the page before
                first.unit = first.unit or table_unit([ln for ln in result.lines if line_mid(ln) < first.bbox[1]])
        pending_title = _trailing_title(result)
        project = _track_project(result, project)
        for page_line in result.lines:
            if any(_inside(page_line, f) for f in result.fragments if not f.is_toc):
                table_line_ids.add(len(lines))
            lines.append(Line(page_line.text, number, offset, bbox=page_line.bbox))
            offset += len(page_line.text) + 1
        for fragment in result.fragments:
            if not fragment.is_toc:
                add_fragment(builder, fragment)
    return ParsedDocument(
        path=str(path),
        file_name=path.name,
        file_format="pdf",
        page_count=len(pages),
        lines=lines,
        tables=builder.tables,
        table_line_ids=table_line_ids,
        printed_pages={number: r.printed_page for number, r in enumerate(pages, start=1) if r.printed_page},
    )


def _trailing_title(result: PageResult) -> tuple[str, BBox] | None:
    """A table title printed below the page's last table (or on a page without tables) with nothing
    but page furniture after it: its table starts on the next page."""
    bottom = max((f.bbox[3] for f in result.fragments), default=0.0)
    tail = [ln for ln in result.lines if line_mid(ln) > bottom + 1 and not PAGE_NUMBER.match(ln.text.strip())]
    tail = [ln for ln in tail if not META_LINE.search(ln.text) and not SUBTITLE.match(ln.text.strip())]
    if tail and TITLE_HINT.search(tail[-1].text.strip()) and len(tail[-1].text.strip()) <= 60 \
            and not re.search(r"[。；;，,]", tail[-1].text):
        return CJK_GAP.sub("", tail[-1].text.strip()), tail[-1].bbox
    return None


def _track_project(result: PageResult, project: str | None) -> str | None:
    """Give each fragment the project heading (…项目经费情况说明) printed before it; returns the
    heading still current at the end of the page."""
    for line in result.lines:
        for fragment in result.fragments:
            if fragment.project is None and line.bbox[1] >= fragment.bbox[1]:
                fragment.project = project
        if _PROJECT_LINE.search(line.text.strip()):
            project = CJK_GAP.sub("", line.text.strip())
    for fragment in result.fragments:
        fragment.project = fragment.project or project
    return project


def _inside(line: PageLine, fragment: Fragment) -> bool:
    x0, top, x1, bottom = fragment.bbox
    mid = line_mid(line)
    overlap = min(x1, line.bbox[2]) - max(x0, line.bbox[0])
    return top <= mid <= bottom and overlap > 0.5 * (line.bbox[2] - line.bbox[0])


