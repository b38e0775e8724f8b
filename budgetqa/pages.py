"""The cited place shown to the user: a PDF page rendered with the cited cell (or passage) outlined,
or the cited line of a text document with the lines around it.

    image, outlined = render_pdf_page(path, 20, bbox, snippet)
    text = cited_lines(path, line_no=312, snippet=None)
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

PAGE_RESOLUTION = 110  # dpi of rendered citation pages: readable cells, images under ~1 MB

_render_lock = threading.Lock()  # pdfium (behind pdfplumber's renderer) is not thread-safe


def render_pdf_page(path: str, page_number: int, bbox: tuple | None, snippet: str | None):  # type: ignore[no-untyped-def]
    """The page as an image with the cited cell (bbox) or the cited passage outlined in red."""
    import pdfplumber

    with _render_lock, pdfplumber.open(path) as pdf:
        page = pdf.pages[page_number - 1]
        image = page.to_image(resolution=PAGE_RESOLUTION)
        boxes = [tuple(bbox)] if bbox else snippet_boxes(page, snippet)
        for box in boxes:
            padded = (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2)
            image.draw_rect(padded, fill=(255, 214, 0, 70), stroke=(220, 20, 20), stroke_width=3)
        return image.annotated.convert("RGB"), bool(boxes)


def snippet_boxes(page, snippet: str | None) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Where the quoted words sit on the page when the citation has no box (a store ingested before boxes were
    kept): the whole snippet across its lines (one box around them all), else its opening words (text search
    tolerant of spaces and line breaks between characters)."""
    text = re.sub(r"\s+", "", snippet or "")
    for length in (len(text), 24, 14, 8):
        fragment = text[:length]
        if len(fragment) < 4:
            break
        pattern = r"\s*".join(re.escape(ch) for ch in fragment)
        found = page.search(pattern, regex=True, return_chars=False)
        if found:
            return [(m["x0"], m["top"], m["x1"], m["bottom"]) for m in found[:3]]
    return []


def read_text_file(path: str) -> list[str]:
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace").splitlines()


def cited_lines(path: str, line_no: int | None, snippet: str | None, context: int = 4) -> str:
    """The cited line of a text document with a few lines around it; the cited line is marked ▶."""
    lines = read_text_file(path)
    if line_no is None and snippet:
        key = re.sub(r"\s+", "", snippet)[:12]
        line_no = next((i for i, line in enumerate(lines, start=1) if key and key in re.sub(r"\s+", "", line)), None)
    if line_no is None:
        return "\n".join(lines[: 2 * context + 1])
    start, end = max(1, line_no - context), min(len(lines), line_no + context)
    return "\n".join(f"{'▶' if n == line_no else ' '} {n:>5} │ {lines[n - 1]}" for n in range(start, end + 1))
