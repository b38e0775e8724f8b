"""The document library: ingest files into both stores, replace, remove, list. The CLI and the
Gradio app call these functions; no ingestion logic lives in either.

    library = Library(Settings(data_dir=tmp_path))
    results = library.ingest([Path("a.pdf"), Path("b.pdf")])
    results = library.ingest([Path("corpus")], runner=make_runner(workers=2))   # read in 2 processes

Reading and analysing a file and preparing its passage-index entries (`budgetqa.workers.read_file`) runs
wherever the runner puts it (`budgetqa/workers.py`); writing happens here: each document's relational rows
in one transaction as it arrives, then the passages of the documents stored since, together, into BM25
and, the narrative ones, into Chroma (embedded here when the readers did not; see README "Parallel ingest").
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from budgetqa.models import IngestedDocument, StoredDocument
from budgetqa.settings import Settings
from budgetqa.workers import InlineRunner, Runner, long_lived_heap, read_file
from index.chroma import ChromaUnavailableError
from index.entries import DocumentEntries, document_entries, index_meta
from index.metadata import EMBEDDED_KINDS
from index.store import Store
from ingest.pipeline import SUPPORTED, FileOutcome, file_hash

__all__ = ["FileResult", "Library", "collect_files", "index_meta"]

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


# Documents indexed together, up to this many vectors: a Chroma call costs ~60 ms whatever its size (120
# five-page documents, 9 vectors each: 1.04 CPU s in groups of 13 documents, 0.66 s in groups of 40);
# and at most this many documents (those of table rows only add no vector)
GROUP_VECTORS = 500
GROUP_DOCUMENTS = 100


def group_is_full(entries: Sequence[DocumentEntries]) -> bool:
    """Whether the documents waiting to be indexed (their entries) are a group to index now."""
    return len(entries) >= GROUP_DOCUMENTS or sum(len(e.dense) for e in entries) >= GROUP_VECTORS


@dataclass
class _Stored:
    """A document whose relational rows are committed and whose passages wait to be indexed."""

    outcome: FileOutcome
    doc: IngestedDocument
    replaced: list[str]  # ids of the documents it replaces
    entries: DocumentEntries


def _with_reader(result: FileResult, outcome: FileOutcome) -> FileResult:
    """The result with what reading the file cost, and where."""
    result.read_by, result.read_seconds, result.reader_peak_mb = outcome.worker, outcome.seconds, outcome.peak_mb
    result.read_cpu_seconds = outcome.cpu_seconds
    return result


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
        the relational store does not hold. A document of table rows only has no vectors and is complete
        without them. Returns (re-indexed, orphans)."""
        with self._index_lock():  # another ingest on this data directory is not half-way through indexing
            return self._repair()

    def _repair(self) -> tuple[int, int]:
        embedded = self.store.passage_counts(EMBEDDED_KINDS)  # document id -> the vectors Chroma should hold
        if self._agree(sum(embedded.values())):
            return 0, 0
        reindexed = 0
        vectors = self.passage_index.vector_counts()
        lexical = set(self.passage_index.document_ids("bm25"))
        in_index = set(vectors) | lexical
        # a document missing from BM25, or whose vectors in Chroma are not its embedded passages (some lost, or
        # the table-row vectors of an older version beside them), is indexed again
        complete = {d for d in lexical if vectors.get(d, 0) == embedded.get(d, 0)}
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

    def _agree(self, embedded: int) -> bool:
        """Whether the stores agree, told without reading every vector's metadata (which grows with the
        library: 90% of a repair at 400 documents): no document half indexed, BM25 holding exactly the
        documents that have something to search, Chroma as many vectors as the store has passages of the
        embedded kinds, and answering a query. Anything else takes the full comparison of `_repair` (so
        does a store whose Chroma still holds the table-row vectors of an older version)."""
        if self.store.unindexed():
            return False
        searchable = {d.document_id for d in self.store.documents() if d.passage_count or d.fact_count}
        if set(self.passage_index.document_ids("bm25")) != searchable:
            return False
        return self.passage_index.count() == embedded and self.passage_index.dense_consistent()

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
            warming = threading.Thread(target=self._warm_index, args=(not runner.embeds,), name="warm-index",
                                       daemon=True)
            warming.start()
        waiting: list[_Stored] = []  # relational rows committed, passages to be indexed together
        heap = contextlib.ExitStack()
        if warming is None:
            heap.enter_context(long_lived_heap())
        try:
            for outcome in runner.run(to_read, self.settings):
                if warming is not None:
                    warming.join()
                    warming = None
                    heap.enter_context(long_lived_heap())  # the model and Chroma loaded: see long_lived_heap
                stored = self._store(outcome)
                if isinstance(stored, FileResult):
                    finish(stored)
                    continue
                waiting.append(stored)
                if group_is_full([w.entries for w in waiting]):
                    done, waiting = waiting, []
                    for result in self._index(done):
                        finish(result)
            done, waiting = waiting, []
            for result in self._index(done):
                finish(result)
        except BaseException:  # Ctrl-C, a store gone away: what was not indexed is taken out again
            self._undo(waiting)
            raise
        finally:
            heap.close()
        return [results[path] for path in files]

    def _warm_index(self, embeds: bool) -> None:
        """Open what writing the first document needs (Chroma; the embedding weights when this process
        embeds: seconds)."""
        try:
            if embeds:
                self.passage_index.embeddings.embed_query("预算")
            else:
                self.passage_index.count()
        except Exception:  # the first write meets the same problem and reports it
            log.debug("warming the passage index failed", exc_info=True)

    def ingest_file(self, path: Path) -> FileResult:
        """Ingest one file into both stores, or report why it cannot be used and change nothing."""
        path = Path(path)
        existing = self._unchanged(path)
        if existing is not None:
            return FileResult(path, "unchanged", existing)
        return self.write(read_file(path, self.settings))

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
        stored = self._store(outcome)
        return stored if isinstance(stored, FileResult) else self._index([stored])[0]

    def _store(self, outcome: FileOutcome) -> FileResult | _Stored:
        """Commit a read document's relational rows in one transaction (stage "stored": from here on a crash
        is repaired by `repair()`), or the result that says why not."""
        path, doc = outcome.path, outcome.document
        if doc is None:
            return _with_reader(FileResult(path, "failed", error=outcome.error), outcome)
        existing = self.store.document_by_hash(doc.content_hash)
        if existing is not None and not self.store.read_before_pages(existing):
            # stored while it was read: the same bytes under two names, or by another process
            return _with_reader(FileResult(path, "unchanged", existing), outcome)
        # a new version of the same file (same path) replaces the old; a same-named file elsewhere is another document
        replaced = [d.document_id for d in self.store.documents_named(path.name) if d.path == doc.path]
        replaced += [existing.document_id] if existing is not None and existing.document_id not in replaced else []
        try:
            entries = outcome.entries or document_entries(doc)
            self.passage_index.embed_entries(entries)  # here, as each document comes, not all at once in _index
            self.store.save(doc, replaces=replaced)
        except Exception as error:
            return _with_reader(self._failed(path, doc, error), outcome)
        return _Stored(outcome, doc, replaced, entries)

    def _failed(self, path: Path, doc: IngestedDocument, error: Exception) -> FileResult:
        existing = self.store.document_by_hash(doc.content_hash)
        if existing is not None:  # another process committed the same file first
            return FileResult(path, "unchanged", existing)
        log.error("failed to store %s", path, exc_info=error)
        return FileResult(path, "failed", error=f"{path.name}: could not be stored ({error}) — nothing was kept")

    def _index(self, waiting: list[_Stored]) -> list[FileResult]:
        """Index stored documents' passages together (Chroma pays per call), then mark them indexed. If that
        fails, each is indexed alone, so that only a document that fails by itself is taken out of both
        stores again; a Chroma server that went away stops the batch, saying why."""
        if not waiting:
            return []
        try:
            with self._index_lock():
                for stored in waiting:
                    for old_id in stored.replaced:
                        self.passage_index.remove_document(old_id)
                self.passage_index.add_entries(*(stored.entries for stored in waiting))
                self.store.mark_indexed(*(stored.doc.document_id for stored in waiting))
        except ChromaUnavailableError:  # no later file could be indexed either
            self._undo(waiting)
            raise
        except Exception as error:
            if len(waiting) > 1:
                log.warning("indexing %d documents together failed (%s); indexing each alone", len(waiting), error)
                return [result for stored in waiting for result in self._index([stored])]
            self._undo(waiting)
            return [_with_reader(self._failed(waiting[0].outcome.path, waiting[0].doc, error), waiting[0].outcome)]
        stored = {d.document_id: d for d in self.store.documents_with_ids([w.doc.document_id for w in waiting])}
        return [_with_reader(FileResult(w.outcome.path, "replaced" if w.replaced else "added",
                                        stored.get(w.doc.document_id)), w.outcome)
                for w in waiting]

    def _undo(self, waiting: list[_Stored]) -> None:
        """Take documents that could not be indexed out of both stores again."""
        for stored in waiting:
            self.store.delete_document(stored.doc.document_id)
            try:
                with self._index_lock():
                    self.passage_index.remove_document(stored.doc.document_id)
            except Exception:  # the next repair drops passages the relational store does not hold
                log.warning("could not remove the passages of %s", stored.outcome.path.name, exc_info=True)

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
        """Index a stored document's passages and table rows from the relational store (the rows in BM25 only)."""
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
