"""Lexical side of the passage index: jieba tokens with a budget dictionary, query synonyms, BM25.

    tokens = tokenize("公务用车购置及运行费比上年减少")
    query_tokens = tokenize_query("公车经费为什么减少")   # adds 公务用车购置及运行费, 原因
    store = BM25Store(index_dir / "bm25"); store.replace_document("doc1", entries); store.search(...)

The BM25 side grows one document at a time: each document's tokens are saved once in a shard of their
own and scored against running corpus statistics (`index.postings`), with answers identical to a full
rebuild; see `BM25Store`.

Documents and questions go through the same `normalize` (NFKC, quotes removed, "(境)" → "境") so that
“三公”经费 / "三公"经费 / 三公经费 all become one dictionary word.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
USERDICT_PATH = DATA_DIR / "userdict.txt"
SYNONYMS_PATH = DATA_DIR / "synonyms.tsv"

_QUOTES = re.compile(r"[“”‘’\"'「」『』《》〈〉]")
# "(境)", "(室)": a one- or two-character gloss in brackets is part of the term, keep it glued
_GLOSS = re.compile(r"\(([\u4e00-\u9fff]{1,2})\)")
_SPACE = re.compile(r"\s+")
_KEEP = re.compile(r"[\w.%]", re.UNICODE)

STOPWORDS = frozenset(
    "的 了 和 与 及 或 是 在 为 对 于 等 其 中 之 以 由 并 将 把 被 也 都 而 从 按 有 个 这 那 该 此 "
    "什么 多少 哪些 哪个 哪 是否 吗 呢 啊 如何 怎么 怎样 请问 请 一下 有关 关于 情况 是多少 是什么 "
    "主要 包括 分别 各 每".split()
)


def normalize(text: str) -> str:
    """Canonical form shared by documents and questions (width, quotes, bracket glosses, spaces)."""
    text = unicodedata.normalize("NFKC", text)
    text = _QUOTES.sub("", text)
    text = _GLOSS.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()


_TOKENIZER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """The jieba tokenizer with the budget dictionary, loaded once per process even when many
    requests need it at the same moment."""
    with _TOKENIZER_LOCK:
        return _load_tokenizer()


@lru_cache(maxsize=1)
def _load_tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(USERDICT_PATH))
    return tokenizer


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (whole words and their dictionary sub-words), stopwords removed."""
    return [token for word in normalize(text).split(" ") for token in _word_tokens(word)]


@lru_cache(maxsize=1 << 16)
def _word_tokens(word: str) -> tuple[str, ...]:
    """One space-free word's tokens (jieba never cuts across a space), cut once per process: table rows
    repeat their year, department, title and column labels."""
    tokens = _tokenizer().lcut_for_search(word)
    return tuple(t for t in tokens if t.strip() and _KEEP.search(t) and t not in STOPWORDS)


@dataclass(frozen=True)
class Synonym:
    """A way people ask (`term`) and the document wordings it stands for (`expansions`)."""

    term: str
    expansions: tuple[str, ...]


@lru_cache(maxsize=1)
def load_synonyms(path: Path = SYNONYMS_PATH) -> tuple[Synonym, ...]:
    """Read synonyms.tsv: `term<TAB>expansion|expansion`; '#' starts a comment line."""
    synonyms = []
    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"{path}:{line_no}: expected 'term<TAB>expansion|expansion', got {raw!r}")
        expansions = tuple(normalize(e) for e in parts[1].split("|") if e.strip())
        synonyms.append(Synonym(normalize(parts[0]), expansions))
    return tuple(synonyms)


def expand_query(query: str) -> str:
    """The question with the document wordings of every colloquial term it contains appended."""
    text = normalize(query)
    extra = [e for s in load_synonyms() if s.term in text for e in s.expansions if e not in text]
    return " ".join([text, *dict.fromkeys(extra)])


def tokenize_query(query: str) -> list[str]:
    """Tokens of the question after synonym expansion."""
    return tokenize(expand_query(query))


@dataclass
class LexicalEntry:
    """One passage as the BM25 side keeps it: id, filterable metadata, tokens and display fields."""

    passage_id: str
    document_id: str
    metadata: dict[str, Any]
    tokens: list[str] = field(default_factory=list)


class ShardError(RuntimeError):
    """A shard file named by the manifest cannot be read (deleted or damaged outside budgetqa)."""


class BM25Store:
    """BM25 over the tokens of all passages, kept as one shard file per document.

    On disk (`directory`): `shards/<hash>-<random>.json` holds one document's passages with their tokens,
    written once when the document is added; `manifest.json` lists the documents and their shard in the
    order they were added and is the single commit point (replaced atomically after the shard is on
    disk, so a crash leaves either the old or the new state; a shard it does not name is removed by the
    next change). Writers hold an exclusive `flock` on `lock` and readers a shared one while loading, so
    two processes adding documents at once lose nothing.

    In memory (`index.postings.Postings`): postings and running corpus statistics; adding or removing a
    document, here or in another process, turns only that document's tokens into postings, and scores
    equal a full rebuild (the old bm25s index) to the last bit. A store written by the old single-file
    format (`corpus.json`) is converted on open.

    Usage: `store = BM25Store(path); store.replace_document(doc_id, entries); store.search(tokens, 10)`.
    """

    def __init__(self, directory: Path, k1: float = 1.2, b: float = 0.75) -> None:
        self.directory = directory
        self.k1 = k1
        self.b = b
        self._lock = threading.RLock()
        self._reset()
        if self.legacy_path.exists():
            self._convert_legacy()
        with self._lock:
            self._refresh()

    @property
    def manifest_path(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def shards_dir(self) -> Path:
        return self.directory / "shards"

    @property
    def legacy_path(self) -> Path:
        return self.directory / "corpus.json"

    @property
    def documents_indexed(self) -> int:
        """Documents whose tokens this store turned into postings since it was opened (the work an add costs)."""
        return self._postings.documents_indexed

    def _reset(self) -> None:
        from index.postings import Postings  # numpy: not for table questions, which import this module

        self._postings = Postings(self.k1, self.b)
        self._entries: list[LexicalEntry | None] = []  # by row; None once the document is removed
        self._loaded: dict[str, str] = {}  # document id -> shard file, in the order they were added
        self._first_metadata: dict[str, dict[str, Any]] = {}
        self._stamp: tuple[int, int, int] | None = None

    # ---------- files ----------
    @contextmanager
    def _file_lock(self, exclusive: bool) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield  # closing the file releases the lock

    def _manifest_stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = self.manifest_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _read_manifest(self) -> list[tuple[str, str]]:
        try:
            payload = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [(document_id, shard) for document_id, shard in payload["documents"]]

    def _write_manifest(self, documents: list[tuple[str, str]]) -> None:
        payload = {"format": 2, "documents": [list(d) for d in documents]}
        _write_atomically(self.manifest_path, json.dumps(payload, ensure_ascii=False))
        self._stamp = self._manifest_stamp()

    def _write_shard(self, document_id: str, entries: list[LexicalEntry]) -> str:
        name = f"{hashlib.sha1(document_id.encode()).hexdigest()[:16]}-{uuid.uuid4().hex[:8]}.json"
        payload = {"format": 2, "document_id": document_id, "entries": [e.__dict__ for e in entries]}
        self.shards_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.shards_dir / name, json.dumps(payload, ensure_ascii=False))
        return name

    def _read_shard(self, document_id: str, shard: str) -> list[LexicalEntry]:
        path = self.shards_dir / shard
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return [LexicalEntry(**row) for row in payload["entries"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ShardError(f"BM25 shard {path} of document {document_id} cannot be read ({error}); the "
                             "document is left out of keyword search until `budgetqa ingest` repairs the "
                             "index or `budgetqa reindex` rebuilds it") from error

    def _collect_garbage(self, keep: set[str]) -> None:
        """Remove shard files the manifest does not name: replaced versions, and what a crash left."""
        if self.shards_dir.is_dir():
            for path in self.shards_dir.iterdir():
                if path.name not in keep:
                    path.unlink(missing_ok=True)

    def _convert_legacy(self) -> None:
        """Split a `corpus.json` of the single-file format into shards (once, by whoever opens it first)."""
        with self._lock, self._file_lock(exclusive=True):
            if not self.legacy_path.exists():
                return
            if self.manifest_path.exists():  # converted, but the process died before removing the old file
                self.legacy_path.unlink()
                return
            rows = json.loads(self.legacy_path.read_text(encoding="utf-8"))["entries"]
            by_document: dict[str, list[LexicalEntry]] = {}
            for row in rows:
                entry = LexicalEntry(**row)
                by_document.setdefault(entry.document_id, []).append(entry)
            self._collect_garbage(keep=set())
            self._write_manifest([(d, self._write_shard(d, entries)) for d, entries in by_document.items()])
            self.legacy_path.unlink()
            self._stamp = None  # written here, not loaded yet
            log.info("BM25 index in %s converted to one shard per document (%d documents)",
                     self.directory, len(by_document))

    # ---------- memory ----------
    def _refresh(self) -> None:
        """Catch up with what other processes committed (a stat when nothing changed)."""
        stamp = self._manifest_stamp()
        if stamp == self._stamp:
            return
        with self._file_lock(exclusive=False):
            self._stamp = self._manifest_stamp()
            self._sync(self._read_manifest())

    def _sync(self, manifest: list[tuple[str, str]]) -> None:
        """Make memory hold exactly the manifest's documents, loading only the shards not held yet.
        New documents come after all held ones in the manifest, so rows stay in manifest order."""
        wanted = dict(manifest)
        for document_id in [d for d, shard in self._loaded.items() if wanted.get(d) != shard]:
            self._forget(document_id)
        if not self._loaded and self._postings.rows:
            self._reset_memory()  # everything went (a clear or reindex elsewhere): start small again
        added = []
        for document_id, shard in manifest:
            if document_id in self._loaded:
                continue
            try:
                added.append((document_id, shard, self._read_shard(document_id, shard)))
            except ShardError as error:
                log.warning("%s", error)
        self._index(added)

    def _reset_memory(self) -> None:
        stamp = self._stamp
        self._reset()
        self._stamp = stamp

    def _index(self, documents: list[tuple[str, str, list[LexicalEntry]]]) -> None:
        """Add documents' entries to the postings (their tokens are not kept in memory)."""
        documents = [d for d in documents if d[2]]
        self._postings.add([(document_id, [e.tokens for e in entries]) for document_id, _, entries in documents])
        for document_id, shard, entries in documents:
            self._entries += [LexicalEntry(e.passage_id, e.document_id, e.metadata) for e in entries]
            self._loaded[document_id] = shard
            self._first_metadata[document_id] = entries[0].metadata

    def _forget(self, document_id: str) -> None:
        for row in self._postings.remove(document_id):
            self._entries[row] = None
        self._loaded.pop(document_id, None)
        self._first_metadata.pop(document_id, None)

    # ---------- changes ----------
    def replace_document(self, document_id: str, entries: Iterable[LexicalEntry]) -> None:
        """Drop every passage of `document_id`, then add `entries` (all of that document): one shard
        written, the manifest replaced, and only this document's postings touched."""
        entries = list(entries)
        with self._lock, self._file_lock(exclusive=True):
            manifest = self._read_manifest()
            kept = [(d, shard) for d, shard in manifest if d != document_id]
            self._sync(kept)  # what others committed first stays; this document's old version goes
            if not entries and len(kept) == len(manifest):
                return  # removing a document that is not there changes nothing
            if entries:
                kept.append((document_id, self._write_shard(document_id, entries)))
            self._write_manifest(kept)
            self._index([(document_id, kept[-1][1], entries)] if entries else [])
            self._collect_garbage(keep={shard for _, shard in kept})

    def remove_document(self, document_id: str) -> None:
        self.replace_document(document_id, [])

    def clear(self) -> None:
        with self._lock, self._file_lock(exclusive=True):
            self._write_manifest([])
            self._collect_garbage(keep=set())
            self._reset_memory()

    # ---------- reading ----------
    def document_ids(self) -> list[str]:
        with self._lock:
            self._refresh()
            return sorted(self._loaded)

    def document_metadata(self, document_id: str) -> dict[str, Any] | None:
        """Metadata of one passage of the document (department, fiscal_year … are per document)."""
        with self._lock:
            self._refresh()
            return self._first_metadata.get(document_id)

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return self._postings.passages

    def passages_of(self, document_ids: Iterable[str]) -> list[dict[str, Any]] | None:
        """The metadata of every passage of these documents, in the order they were added; None when one
        of them has no passage here."""
        with self._lock:
            self._refresh()
            found: list[dict[str, Any]] = []
            for document_id in dict.fromkeys(document_ids):
                span = self._postings.documents.get(document_id)
                if span is None:
                    return None
                found += [e.metadata for e in self._entries[span.rows.start:span.rows.stop] if e is not None]
            return found

    def search(self, tokens: list[str], k: int, accept: Callable[[dict[str, Any]], bool] | None = None,
               accept_document: Callable[[dict[str, Any]], bool] | None = None) -> list[tuple[LexicalEntry, float]]:
        """Top `k` entries by BM25 score among those whose metadata `accept` allows (score > 0 only).

        `accept_document`, for filters on what is the same for all of a document's passages (department,
        year …), is asked once per document and rules its passages out before ranking; `accept` is asked
        per candidate, best first, until `k` are found."""
        import numpy as np  # not at the top: table questions read synonyms from this module without numpy

        from index.postings import ranked

        with self._lock:
            self._refresh()
            scores = self._postings.scores(tokens)
            if accept_document is not None:
                allowed = [d for d, metadata in self._first_metadata.items() if accept_document(metadata)]
                scores[~self._postings.rows_of(allowed)] = 0
            hits = np.flatnonzero(scores > 0)
            found: list[tuple[LexicalEntry, float]] = []
            count, seen = (k if accept is None else max(4 * k, 64)), 0
            while seen < len(hits) and len(found) < k:
                rows = ranked(scores, hits, count)  # a prefix of the full order, longer each round
                for row in rows[seen:].tolist():
                    entry = self._entries[row]
                    if entry is not None and (accept is None or accept(entry.metadata)):
                        found.append((entry, float(scores[row])))
                        if len(found) == k:
                            break
                seen, count = len(rows), count * 4
            return found


def _write_atomically(path: Path, text: str) -> None:
    """Write a file whole or not at all: a temporary beside it, flushed to disk, then renamed over it."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
