"""Read a .txt or .md budget document into a ParsedDocument (lines and aligned tables).

Text files have no pages: every line is on page 1 and carries its 1-based line number, and every
table cell carries the line number it was printed on, so an answer can cite "line 110".

- `.md`: tab-separated tables under "## <title>" headings (`ingest.md_tables`).
- `.txt`: a text dump of a PDF, header lines after the data and empty cells vanished
  (`ingest.txt_tables`, values placed with `ingest.cell_assignment`).

    doc = read_text(Path("上海市金融服务办公室2018年部门预算.txt"))
    doc.tables[1].title  # '2018年部门收入预算总表'
"""

from __future__ import annotations

from pathlib import Path

from budgetqa.models import Line, ParsedDocument
from ingest.errors import ReadError
from ingest.md_tables import read_md_tables
from ingest.txt_tables import read_txt_tables

MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt"}
ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(path: Path, data: bytes) -> str:
    """Text of the file: UTF-8 (with or without BOM), else GB18030; ReadError when neither works."""
    if not data.strip():
        raise ReadError(path, "the file is empty", "re-export the document with its text")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(path, "the file is neither UTF-8 nor GB18030 text",
                    "convert it to UTF-8 (e.g. iconv -f <encoding> -t utf-8)")


def split_lines(text: str) -> list[Line]:
    """Lines with their offsets in "\\n".join(texts) and 1-based line numbers (all on page 1)."""
    texts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if texts and texts[-1] == "":
        texts.pop()  # the file's final newline does not start a line
    lines = []
    offset = 0
    for number, line_text in enumerate(texts, start=1):
        lines.append(Line(text=line_text, page=1, char_start=offset, line_no=number))
        offset += len(line_text) + 1
    return lines


def read_text(path: Path) -> ParsedDocument:
    """Parse a .txt or .md budget document; raises ReadError for empty or undecodable files."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MARKDOWN_SUFFIXES | TEXT_SUFFIXES:
        raise ReadError(path, f"unsupported file type '{suffix or '(none)'}' for the text reader",
                        "give a .txt or .md file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(path, f"cannot read the file ({error.strerror})", "check the path and permissions")
    lines = split_lines(decode_text(path, data))
    if not any(line.text.strip() for line in lines):
        raise ReadError(path, "the file has no text", "re-export the document with its text")
    texts = [line.text for line in lines]
    is_markdown = suffix in MARKDOWN_SUFFIXES
    tables, table_line_ids = read_md_tables(texts) if is_markdown else read_txt_tables(texts)
    return ParsedDocument(
        path=str(path),
        file_name=path.name,
        file_format="md" if is_markdown else "txt",
        page_count=1,
        lines=lines,
        tables=tables,
        table_line_ids=table_line_ids,
    )
