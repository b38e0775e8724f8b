"""ingest/pdf_content: a page's content streams read by one regular expression must give pdfminer's own
objects, on every page of the real corpus and on the odd corners of the syntax; where the fast reader is
unsure (inline images, unbalanced arrays, tokens cut by a stream boundary) pdfminer's parser reads the page.

Run: python -m pytest tests/test_pdf_content.py -q
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, list_value, stream_value
from pdfminer.psparser import PSEOF

from ingest.pdf_content import Unsure, content_objects
from ingest.pdf_objects import ReaderPage

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PDFS = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.pdf"))


def pdfminer_objects(streams: list[PDFStream]) -> list:
    """What pdfminer's own parser yields for `streams`: the reference `content_objects` must match."""
    try:
        parser = PDFContentParser(list(streams))
    except PSEOF:
        return []
    objects = []
    while True:
        try:
            objects.append(parser.nextobject()[1])
        except PSEOF:
            return objects


def streams(*parts: bytes) -> list[PDFStream]:
    """Content streams as a page holds them (each an indirect object, no filter)."""
    made = []
    for number, data in enumerate(parts, start=1):
        stream = PDFStream({"Length": len(data)}, data)
        stream.objid = number
        made.append(stream)
    return made


def page_streams(path: Path) -> list[list[PDFStream]]:
    with path.open("rb") as fp:
        document = PDFDocument(PDFParser(fp))
        pages = [[stream_value(s) for s in list_value(page.contents)] for page in PDFPage.create_pages(document)]
        for page in pages:
            for stream in page:
                stream.get_data()  # decoded while the file is open
    return pages


def same(a: list, b: list) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True in Python, not in a PDF)."""
    return repr(a) == repr(b) and a == b


def test_the_corpus_has_pdfs() -> None:
    assert len(PDFS) >= 20


@pytest.mark.parametrize("name", PDFS)
def test_every_page_of_a_real_pdf_reads_as_pdfminer_reads_it(name: str) -> None:
    pages = page_streams(CORPUS / name)
    for number, page in enumerate(pages, start=1):
        expected = pdfminer_objects(page)
        assert same(content_objects(page), expected), f"{name} page {number}"
    assert pages


@pytest.mark.parametrize("data", [
    b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET",
    b"q 1 0 0 1 -5.5 +3 cm .5 -.25 5. 0 re f Q",
    b"1.5.3 +-5 - . 007 -0 12Tf",  # pdfminer's number rules: 1.5 .3, -5, no token, no token, 7, 0, 12 Tf
    b"[(A) 120 (B) -30.5 <4142 43> <414> < 41 >] TJ",  # hex: spaces dropped, an odd last digit alone
    b"(a\\(b\\)c \\\\ \\n\\r\\t\\b\\f) Tj (\\101\\102C\\0\\12x) Tj (\\q\\\nz) Tj",  # escapes, octal, unknown, continued line
    b"(a (nested (twice)) b) Tj ((()))' 1 2 (x)\" T* Tf",
    b"/Name /N#41me /Sp#20ace /#e4#b8#ad /Bad#zz /Odd# / /A/B//C",  # name escapes, empty names, names back to back
    b"/P <</MCID 3 /ActualText <FEFF0041>>> BDC EMC /Span <</Lang (zh)>> BDC EMC",
    b"true false null {1 2 add} [1 [2 [3]] /x <<>>] %a comment\r\n%another\n0 g",
    b"\x00 1\x001 Tj\x00 ) ' \x80 \xff # *",  # NUL, and bytes pdfminer makes one-byte operators of
    b"<41> > 1 2 re f <</A 1>> Tj",  # a lone '>' is dropped
])
def test_odd_corners_of_the_syntax_read_as_pdfminer_reads_them(data: bytes) -> None:
    got = content_objects(streams(data))
    assert same(got, pdfminer_objects(streams(data)))
    assert got  # each case makes objects


@pytest.mark.parametrize("parts", [
    (b"BT /F1 12 Tf 72 712 Td (Hi) Tj ", b"ET q Q"),
    (b"BT /F1 12 Tf 72 71", b"2 Td (Hi) Tj ET"),  # a number cut in two: two numbers, as pdfminer
    (b"BT [(A) 10 ", b"(B)] TJ ET"),  # an array across two streams
    (b"q 1 0 0 1 0 0 cm", b"", b"Q"),  # an empty stream between
    (b"BT /F1 12 Tf ET T", b"j"),  # an operator cut in two
])
def test_several_streams_of_one_page_read_as_pdfminer_reads_them(parts: tuple[bytes, ...]) -> None:
    assert same(content_objects(streams(*parts)), pdfminer_objects(streams(*parts)))


@pytest.mark.parametrize("parts", [
    (b"q BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI Q",),  # an inline image: pdfminer reads its raw bytes
    (b"[1 2] ] 0 0 m",),  # a ']' without its '[' (pdfminer drops it, or raises when strict)
    (b"<</A>> BDC",),  # a dictionary of one item (pdfminer raises)
    (b"(\\777) Tj",),  # an octal escape above 255 (pdfminer asserts)
    (b"(a\\\r\nb) Tj",),  # backslash, CR, LF: what pdfminer drops depends on its 4096-byte buffers
    (b"[1 2",),  # an array never closed
    (b"(unclosed",),
    (b"1 0 0 1 0 0 cm /", b"F1 12 Tf"),  # a name, a string and a hex string cut by a stream boundary
    (b"(ab", b"c) Tj"),
    (b"<41", b"42> Tj"),
    (b"<41>", b"> Tj"),
    (b"/A#4", b"1 Tf"),
])
def test_what_the_fast_reader_is_unsure_of_is_left_to_pdfminer(parts: tuple[bytes, ...]) -> None:
    with pytest.raises(Unsure):
        content_objects(streams(*parts))


def test_a_page_with_an_inline_image_is_read_by_pdfminer_and_the_same(tmp_path: Path) -> None:
    """A real PDF with an inline image (the fast reader gives up on the page): the page's objects are
    pdfminer's, characters and image alike."""
    from PIL import Image
    from reportlab.pdfgen import canvas

    image = tmp_path / "dot.png"
    Image.new("RGB", (4, 4), (200, 30, 30)).save(image)
    path = tmp_path / "inline.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Budget 2026")
    pdf.drawInlineImage(str(image), 72, 600, 20, 20)
    pdf.rect(72, 500, 100, 50)
    pdf.save()
    with pytest.raises(Unsure, match="inline image"):
        content_objects(page_streams(path)[0])
    assert_reader_page_is_pdfplumbers(path, images=1)


@pytest.mark.parametrize("name", ["beijing/北京市司法局2026年部门预算报表.pdf", "national/国家信访局2024年度部门决算.pdf",
                                  "guangdong/佛山市轨道交通局2019年部门决算.pdf"])
def test_a_real_page_interpreted_from_the_fast_reader_has_pdfplumbers_objects(name: str) -> None:
    """The whole interpretation (graphics state, text state, every operator) on the fast reader's objects:
    characters, rules, rectangles and curves equal pdfplumber's own, page by page."""
    assert_reader_page_is_pdfplumbers(CORPUS / name, chars=1000)


def assert_reader_page_is_pdfplumbers(path: Path, chars: int = 1, images: int = 0) -> None:
    kinds = ("chars", "lines", "rects", "curves", "images")
    counts = dict.fromkeys(kinds, 0)
    with pdfplumber.open(path) as reference, pdfplumber.open(path) as ours:
        for theirs, mine in zip(reference.pages, ours.pages, strict=True):
            mine.__class__ = ReaderPage
            for kind in kinds:
                expected = getattr(theirs, kind)
                got = getattr(mine, kind)
                assert [_comparable(o) for o in got] == [_comparable(o) for o in expected], (path.name, mine.page_number, kind)
                counts[kind] += len(got)
            theirs.close()
            mine.close()
    assert counts["chars"] >= chars and counts["images"] >= images


def _comparable(obj: dict) -> dict:
    """An object's dict without an image's stream (a pdfminer object, equal only to itself) and, for an
    inline image, its name (pdfminer names one by the id() of its Python object)."""
    inline = obj["object_type"] == "image" and str(obj.get("name", "")).isdigit()
    return {k: v for k, v in obj.items() if k != "stream" and not (inline and k == "name")}


def test_mangled_content_streams_read_as_pdfminer_reads_them_or_are_left_to_it() -> None:
    """5,000 pieces of real content streams, mangled at random (bytes of PDF syntax put in, taken out,
    replaced; cut into up to three streams): each is read exactly as pdfminer reads it (its objects, or its
    exception) or left to pdfminer (`Unsure`); never anything else."""
    import random

    rng = random.Random(8)
    syntax = [bytes([c]) for c in b"()<>[]{}/%#\\\r\n \t\x00.-+0123456789abcdefABCDEFTjJmlreqQ'\"*\x80\xff"]
    syntax += [b"\\101", b"\\7", b"\\n", b"\\(", b"\\\r\n", b"#41", b"#4", b"<<", b">>", b" BI ", b" ID ", b" EI ",
               b"true", b"(a(b)c)", b"<4142>", b"/F1", b"1.5", b"-.5"]
    texts = [b"".join(s.get_data() for s in page) for name in PDFS[::4] for page in page_streams(CORPUS / name)[:2]]
    texts += [b"BT /F1 12 Tf (a\\(b\\)\\101\\n) Tj [(A) -30 <4142>] TJ ET /P <</MCID 1>> BDC EMC {1 2} /N#41me Tf"]
    outcomes = {"same": 0, "unsure": 0}
    for _ in range(5000):
        text = rng.choice(texts) if rng.random() < 0.7 else texts[-1]
        start = rng.randrange(max(1, len(text) - 400))
        piece = bytearray(text[start:start + rng.randint(20, 400)])
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(piece) + 1)
            if rng.random() < 0.5:
                piece[at:at] = b"".join(rng.choice(syntax) for _ in range(rng.randint(1, 3)))
            else:
                del piece[at:at + rng.randint(1, 3)]
        cuts = sorted(rng.randrange(len(piece) + 1) for _ in range(rng.randint(0, 2)))
        parts = [bytes(piece[a:b]) for a, b in zip([0, *cuts], [*cuts, len(piece)], strict=True)]
        try:
            expected: tuple = ("objects", repr(pdfminer_objects(streams(*parts))))
        except Exception as error:  # noqa: BLE001  # pdfminer's own failure is part of what must match
            expected = ("error", type(error).__name__)
        try:
            got: tuple = ("objects", repr(content_objects(streams(*parts))))
        except Unsure:
            outcomes["unsure"] += 1
            continue
        except Exception as error:  # noqa: BLE001
            got = ("error", type(error).__name__)
        assert got == expected, parts
        outcomes["same"] += 1
    assert outcomes["same"] > 1000 and outcomes["unsure"] > 100, outcomes  # both paths were taken
