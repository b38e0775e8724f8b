"""One file in, one IngestedDocument out: validate -> read -> metadata -> passages -> facts -> checks.

This module is pure (no store): `index.store` writes what it returns, in one transaction.
`analyse_file` is the per-file step of every ingest, run in this process, in a worker process or as a
Ray task (`budgetqa/workers.py`): it never raises, it returns the document or the error to show.

    doc = build_document(Path("普陀区人民政府办公室2025年部门预算.pdf"))
    outcome = analyse_file(Path("普陀区人民政府办公室2025年部门预算.pdf"), Settings())
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import resource
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from budgetqa.models import IngestedDocument, ParsedDocument
from budgetqa.settings import Settings
from ingest.blocks import header_blocks
from ingest.checks import check_document
from ingest.errors import ReadError
from ingest.facts import fill_missing_labels, table_facts
from ingest.forms import form_facts
from ingest.meta import detect_meta
from ingest.narrative import split_passages
from ingest.stated import instruction_findings, narrative_facts

if TYPE_CHECKING:
    from index.entries import DocumentEntries

SUPPORTED = {".pdf": "pdf", ".txt": "txt", ".md": "md", ".markdown": "md"}
_BUDGET_WORDS = re.compile(r"预算|决算")
log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    """What the per-file step hands back: the document, or the error a person can act on (a string, so
    that it crosses any process boundary), and what it cost where it ran."""

    path: Path
    document: IngestedDocument | None
    error: str | None
    seconds: float
    peak_mb: float  # peak resident memory of the process that read the file, so far
    worker: str  # host:pid of that process
    cpu_seconds: float = 0.0  # CPU time it spent on this file (under load, `seconds` also counts waiting)
    entries: DocumentEntries | None = None  # the document's passage-index entries, when the reader prepared them


def analyse_file(path: Path, settings: Settings, content: bytes | None = None) -> FileOutcome:
    """Read and analyse one file, never raising: any failure becomes `FileOutcome.error` naming the file.
    `content` is the file's bytes when the caller runs on another machine (a Ray task): they are read
    from a private copy and the document keeps `path` as its source.

    Usage: `outcome = analyse_file(Path("a.pdf"), Settings()); outcome.document or outcome.error`."""
    path = Path(path)
    started, cpu = time.perf_counter(), time.process_time()
    document, error = None, None
    try:
        document = _build_from(path, settings, content)
    except ReadError as problem:
        error = str(problem)
    except OSError as problem:  # deleted, moved or made unreadable while the batch ran
        error = (f"{path.name}: the file disappeared or cannot be read ({problem.strerror or type(problem).__name__})"
                 " — check the path and its permissions; nothing was stored")
    except Exception as problem:  # a reader crash must not end the batch
        log.exception("unexpected failure reading %s", path)
        error = f"{path.name}: could not be read ({type(problem).__name__}: {problem}) — report this file as a bug"
    return FileOutcome(path, document, error, time.perf_counter() - started, peak_memory_mb(),
                       f"{socket.gethostname()}:{os.getpid()}", time.process_time() - cpu)


def _build_from(path: Path, settings: Settings, content: bytes | None) -> IngestedDocument:
    if content is None:
        return build_document(path, settings)
    with tempfile.TemporaryDirectory(prefix="budgetqa-file-") as folder:
        copy = Path(folder) / path.name  # same name: the reader and the metadata look at it
        copy.write_bytes(content)
        document = build_document(copy, settings)
    document.path = str(path.resolve())
    return document


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def validate_file(path: Path, settings: Settings) -> str:
    """Refuse what cannot be a readable disclosure before opening it; returns the format."""
    if not path.is_file():
        raise ReadError(path, "file not found", "check the path")
    size = path.stat().st_size
    if size == 0:
        raise ReadError(path, "the file is empty (0 bytes)", "re-download or re-export the document")
    if size > settings.max_file_mb * 1024 * 1024:
        raise ReadError(path, f"the file is {size / 1048576:.1f} MB, over the {settings.max_file_mb:g} MB limit",
                        "split it, or raise BUDGETQA_MAX_FILE_MB")
    file_format = SUPPORTED.get(path.suffix.lower())
    if file_format is None:
        raise ReadError(path, f"unsupported file type '{path.suffix or '(none)'}'",
                        "give a PDF, .txt or .md budget disclosure")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if file_format == "pdf" and b"%PDF" not in head:
        raise ReadError(path, "not a PDF (no %PDF header)", "check that the file really is a PDF, not a renamed file")
    return file_format


def read_document(path: Path, settings: Settings) -> ParsedDocument:
    """Read a file with the reader for its format."""
    file_format = validate_file(path, settings)
    if file_format == "pdf":
        from ingest.pdf_reader import read_pdf

        return read_pdf(path, settings.max_pages)
    from ingest.text_reader import read_text

    return read_text(path)


def build_document(path: Path, settings: Settings | None = None) -> IngestedDocument:
    """Read and analyse one file; raises ReadError with a clear message when it cannot be used."""
    settings = settings or Settings()
    path = Path(path)
    parsed = read_document(path, settings)
    content_hash = file_hash(path)
    document_id = content_hash[:16]
    meta = detect_meta(parsed)
    if not _looks_like_budget(parsed, meta.fiscal_year):
        raise ReadError(path, "not a budget disclosure (no 预算/决算 statements or budget tables found)",
                        "give a 部门预算/单位预算/部门决算 document")
    sections, passages = split_passages(document_id, parsed)
    facts = []
    for index, table in enumerate(parsed.tables):
        facts += form_facts(document_id, index, table) or [
            fact for block in header_blocks(table) for fact in table_facts(document_id, index, block)]
    fill_missing_labels(facts)
    facts += narrative_facts(document_id, passages)
    findings = check_document(facts) + instruction_findings(passages)
    meta.contents = _contents(parsed, passages, facts)
    return IngestedDocument(
        document_id=document_id,
        path=str(path.resolve()),
        file_name=path.name,
        file_format=parsed.file_format,
        content_hash=content_hash,
        page_count=parsed.page_count,
        meta=meta,
        sections=sections,
        passages=passages,
        tables=parsed.tables,
        facts=facts,
        findings=findings,
        printed_pages=dict(parsed.printed_pages),
    )


def _contents(parsed: ParsedDocument, passages: list, facts: list) -> str:
    """What of a disclosure the file holds: the narrative (情况说明), the tables (报表), or both.
    Publishers split one department-year into two files (…公开文件 + …公开表格, 情况说明 + 报表)."""
    narrative_chars = sum(len(p.text) for p in passages if p.kind == "narrative")
    has_tables = sum(1 for f in facts if f.table_index >= 0 and f.value is not None) >= 20
    has_narrative = narrative_chars >= 1500 and bool(re.search(r"主要职能|主要职责|职责|情况说明|编制说明", parsed.text))
    if has_tables and has_narrative:
        return "both"
    return "tables" if has_tables else "narrative"


def _looks_like_budget(parsed: ParsedDocument, fiscal_year: int | None) -> bool:
    """A disclosure has a fiscal year and either standard budget tables or the standard narrative
    sections (主要职能 with a 预算 explanation); a README that merely talks about budgets has neither."""
    from ingest.facts import table_kind

    if not fiscal_year or len(_BUDGET_WORDS.findall(parsed.text[:50000])) < 3:
        return False
    if any(table_kind(t.title) != "其他" for t in parsed.tables):
        return True
    text = parsed.text[:50000]
    mandate = re.search(r"主要职能|主要职责|部门职责|职能职责|部门概况|单位概况|单位基本情况", text)
    return bool(mandate) and bool(re.search(r"(预算|决算|编制|情况|安排)说明|[“\"]?三公[”\"]?经费", text))
