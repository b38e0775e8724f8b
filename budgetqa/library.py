"""The document library: ingest files into both stores, replace, remove, list. The CLI and the
Gradio app call these functions; no ingestion logic lives in either.

    library = Library(Settings(data_dir=tmp_path))
    results = library.ingest([Path("a.pdf"), Path("b.pdf")])
    results = library.ingest([Path("corpus")], runner=make_runner(workers=2))   # read in 2 processes

Reading and analysing a file (`ingest.pipeline.analyse_file`) runs wherever the runner puts it
(`budgetqa/workers.py`); writing happens here, one document at a time: its relational rows in one
transaction, then its passages into Chroma and BM25, embedded by this process's model (loaded once,
and the workers stay small and need no model; see README "Parallel ingest").
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from budgetqa.models import IngestedDocument, StoredDocument
from budgetqa.settings import Settings
from budgetqa.workers import InlineRunner, Runner
from index.chroma import ChromaUnavailableError
from index.store import Store
from ingest.pipeline import SUPPORTED, FileOutcome, analyse_file, file_hash

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    """What happened to one file of a batch."""

    path: Path
    status: str  # "added" | "replaced" | "unchanged" | "failed"
    document: StoredDocument | None = None
    error: str | None = None
    read_by: str = ""  # host:pid of the process that read the file ("" when it was not read)
    read_seconds: float = 0.0
    read_cpu_seconds: float = 0.0
    reader_peak_mb: float = 0.0  # peak memory of that process when it had read the file

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: the given files, and every supported file below the given folders."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            # a folder's README describes the collection; it is not a disclosure
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                            and not p.stem.upper().startswith("README"))
        else:
            files.append(path)
    return files


def index_meta(department: str | None, region: str | None, fiscal_year: int | None, kind: str | None,
               file_name: str) -> dict:
    """A document's metadata as the passage index filters on it (no None values: Chroma refuses them)."""
    return {"department": department or "", "region": region or "", "fiscal_year": fiscal_year or 0,
            "kind": kind or "", "file_name": file_name}


class Library:
    """Both stores of one data directory: the relational store and the passage index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.resolved_database_url)

    @cached_property
    def passage_index(self):  # type: ignore[no-untyped-def]
        from index.passages import PassageIndex

        return PassageIndex(self.settings)

    def repair(self) -> tuple[int, int]:
        """Make both stores agree after a crash: index documents whose indexing never finished or whose
        vectors (a new or emptied Chroma server) or BM25 shard are missing, and drop passages of documents
        the relational store does not hold. Returns (re-indexed, orphans)."""
        with self._index_lock():  # another ingest on this data directory is not half-way through indexing
            return self._repair()

    def _repair(self) -> tuple[int, int]:
        reindexed = 0
        dense = set(self.passage_index.document_ids("dense"))
        lexical = set(self.passage_index.document_ids("bm25"))
        in_index = dense | lexical
        complete = dense & lexical  # a document missing from either retriever is indexed again
        for document_id, stage in self.store.unindexed():
            if stage is None and document_id in in_index:
                self.store.mark_indexed(document_id)  # a store from before stages: already indexed
                continue
            doc = self.store.document(document_id)
            if doc is not None:
                self.passage_index.remove_document(document_id)
                self._index_stored(doc)
                complete.add(document_id)
                reindexed += 1
        documents = self.store.documents()
        known = {d.document_id for d in documents}
        orphans = sorted(in_index - known)
        for document_id in orphans:
            self.passage_index.remove_document(document_id)
        for doc in documents:
            if doc.document_id not in complete and (doc.passage_count or doc.fact_count):
                self.passage_index.remove_document(doc.document_id)
                self._index_stored(doc)
                reindexed += 1
        if not self.passage_index.dense_consistent():
            # killed while Chroma wrote its vector file: rebuild the passage index from the relational store
            reindexed += self._reindex()
        return reindexed, len(orphans)

    def ingest(self, paths: Iterable[Path], progress: Callable[[FileResult], None] | None = None,
               runner: Runner | None = None, repair: bool = True) -> list[FileResult]:
        """Ingest files and folders; a bad file is reported and skipped, the batch goes on. Stores left
        disagreeing by an earlier crash are repaired first (unless the caller just did). Files are read by
        `runner` (default: in this process) and written here as each is ready; `progress` gets each
        file's result at that moment. Returns the results in the order of the files."""
        if repair:
            self.repair()
        files = list(dict.fromkeys(collect_files(paths)))  # a file named twice is read once
        results: dict[Path, FileResult] = {}

        def finish(result: FileResult) -> None:
            results[result.path] = result
            if progress:
                progress(result)

        to_read = []
        for path in files:
            existing = self._unchanged(path)
            if existing is not None:
                finish(FileResult(path, "unchanged", existing))
            else:
                to_read.append(path)
        runner = runner or InlineRunner()
        warming = None
        if to_read and not isinstance(runner, InlineRunner):  # load the models while the workers read
            warming = threading.Thread(target=self._warm_index, name="warm-index", daemon=True)
            warming.start()
        for outcome in runner.run(to_read, self.settings):
            if warming is not None:
                warming.join()
                warming = None
            finish(self.write(outcome))
        return [results[path] for path in files]

    def _warm_index(self) -> None:
        """Load what writing the first document needs (embedding weights, the jieba dictionary: seconds)."""
        from index.lexical import tokenize

        try:
            self.passage_index.embeddings.embed_query("预算")
            tokenize("预算")
        except Exception:  # the first write meets the same problem and reports it
            log.debug("warming the passage index failed", exc_info=True)

    def ingest_file(self, path: Path) -> FileResult:
        """Ingest one file into both stores, or report why it cannot be used and change nothing."""
        path = Path(path)
        existing = self._unchanged(path)
        if existing is not None:
            return FileResult(path, "unchanged", existing)
        return self.write(analyse_file(path, self.settings))

    def _unchanged(self, path: Path) -> StoredDocument | None:
        """The stored document with this file's content, if any (an unreadable file is left to the reader,
        which says what is wrong with it)."""
        try:
            doc = self.store.document_by_hash(file_hash(path)) if path.is_file() else None
        except OSError:
            return None
        return None if doc is not None and self.store.read_before_pages(doc) else doc  # older reading: read again

    def write(self, outcome: FileOutcome) -> FileResult:
        """Store what the per-file step produced (both stores, or neither), or report its error."""
        result = self._write(outcome)
        result.read_by, result.read_seconds, result.reader_peak_mb = outcome.worker, outcome.seconds, outcome.peak_mb
        result.read_cpu_seconds = outcome.cpu_seconds
        return result

    def _write(self, outcome: FileOutcome) -> FileResult:
        path, doc = outcome.path, outcome.document
        if doc is None:
            return FileResult(path, "failed", error=outcome.error)
        existing = self.store.document_by_hash(doc.content_hash)
        if existing is not None and not self.store.read_before_pages(existing):
            return FileResult(path, "unchanged", existing)  # stored while it was read: the same bytes twice, or by another process
        # a new version of the same file (same path) replaces the old; a same-named file elsewhere is another document
        replaced = [d.document_id for d in self.store.documents_named(path.name) if d.path == doc.path]
        replaced += [existing.document_id] if existing is not None and existing.document_id not in replaced else []
        try:
            self._save(doc, replaced)
        except ChromaUnavailableError:  # no later file could be indexed either: the batch stops, saying why
            raise
        except Exception as error:
            existing = self.store.document_by_hash(doc.content_hash)
            if existing is not None:  # another process committed the same file first
                return FileResult(path, "unchanged", existing)
            log.exception("failed to store %s", path)
            return FileResult(path, "failed", error=f"{path.name}: could not be stored ({error}) — nothing was kept")
        return FileResult(path, "replaced" if replaced else "added", self.store.document_by_hash(doc.content_hash))

    @contextlib.contextmanager
    def _index_lock(self) -> Iterator[None]:
        """One process at a time indexes on this data directory: a repair run by one ingest then never
        re-indexes (or, after the other's failure, revives) a document another ingest is indexing at that
        moment. Held for the index step only, not while reading files or writing SQL; BM25 also locks its
        own files."""
        try:
            import fcntl
        except ImportError:  # not POSIX: one writer at a time is up to the user
            yield
            return
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.index_dir / "write.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _save(self, doc: IngestedDocument, replaced: list[str]) -> None:
        """Relational store first (one transaction), then the passage index; if indexing fails the
        relational rows are removed again so that neither store holds half a document."""
        self.store.save(doc, replaces=replaced)  # stage "stored": a crash from here on is repaired by repair()
        with self._index_lock():
            try:
                for old_id in replaced:
                    self.passage_index.remove_document(old_id)
                self.passage_index.add_document(doc.document_id, self._index_passages(doc), self._index_meta(doc))
                self.store.mark_indexed(doc.document_id)
            except Exception:
                self.store.delete_document(doc.document_id)
                self.passage_index.remove_document(doc.document_id)
                raise

    @staticmethod
    def _index_meta(doc: IngestedDocument) -> dict:
        return index_meta(doc.meta.department, doc.meta.region, doc.meta.fiscal_year, doc.meta.kind, doc.file_name)

    @staticmethod
    def _index_passages(doc: IngestedDocument):  # type: ignore[no-untyped-def]
        from index.rows import table_row_passages

        return doc.passages + table_row_passages(doc.document_id, Library._index_meta(doc), doc.facts)

    def reindex(self, progress: Callable[[int, int, Path], None] | None = None) -> int:
        """Rebuild the passage index from the structured store (after switching embedding model)."""
        with self._index_lock():
            return self._reindex(progress)

    def _reindex(self, progress: Callable[[int, int, Path], None] | None = None) -> int:
        self.passage_index.clear()
        documents = self.store.documents()
        for number, doc in enumerate(documents):
            if progress:
                progress(number, len(documents), Path(doc.file_name))
            self._index_stored(doc)
        return len(documents)

    def _index_stored(self, doc: StoredDocument) -> None:
        """Index a stored document's passages and table rows from the relational store."""
        from index.rows import table_row_passages

        meta = index_meta(doc.department, doc.region, doc.fiscal_year, doc.kind, doc.file_name)
        facts = self.store.facts(document_ids=[doc.document_id])
        passages = [p for p in self.store.passages([doc.document_id]) if p.kind == "narrative"]
        self.passage_index.add_document(doc.document_id, passages + table_row_passages(doc.document_id, meta, facts), meta)
        self.store.mark_indexed(doc.document_id)

    def remove(self, document_id: str) -> bool:
        """Remove a document from both stores."""
        removed = self.store.delete_document(document_id)
        with self._index_lock():
            self.passage_index.remove_document(document_id)
        return removed

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()
