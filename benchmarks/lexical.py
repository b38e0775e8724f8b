"""Lexical index benchmark: the old full rebuild (all passages in one corpus.json, the bm25s matrix rebuilt
on every change) against per-document shards with running statistics (index/lexical.py), at N documents.

    python benchmarks/lexical.py                                   # N = 24 (the corpus), 300 and 1000
    python benchmarks/lexical.py --sizes 24 300 --doc-cache /tmp/lexical-docs.pkl

Documents: the 24 files of ../shared/corpus read by `ingest.pipeline.build_document` (narrative passages
plus one passage per table row, tokenized as the passage index does). Beyond 24, synthetic documents are
copies of the real ones with their figures changed (the digits of every number but years permuted per
copy, so vocabulary grows as with real figures) and a fictional department (示例N局, after the sample
generator's 上海市示例区示例局): the same passage counts, lengths and word mix as real disclosures.

For each N and scheme, starting from an index of N - 1 documents (build s: made by N - 1 adds, shards
only; the old scheme would rebuild N - 1 times), the columns are: open (a new process loading the index
from disk), add one document (median of 3), catch-up (the first query of another process that had the
index open before the add), remove one document, and queries over every third question of
eval/sets/budgetqa.jsonl with k = 40 as the passage index reads BM25: unfiltered, unfiltered just after a
change (no token contribution kept yet), and filtered to one department as the app asks; indexed/add is
how many documents' tokens an add turned into an index (bm25s re-indexes all of them).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from budgetqa.library import collect_files, index_meta
from index.lexical import BM25Store, LexicalEntry, tokenize_query
from index.metadata import metadata_matches

CORPUS = REPO.parent / "shared" / "corpus"
SET_PATH = REPO / "eval" / "sets" / "budgetqa.jsonl"
DEPTH = 40
Document = tuple[str, list[LexicalEntry]]


class FullRebuildStore:
    """The BM25Store of budgetqa before per-document shards (commit 76bdb3c), kept here to compare with:
    every passage in one corpus.json, rewritten whole and the bm25s matrix rebuilt on every change, and
    reloaded whole by every other process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: list[LexicalEntry] = []
        self._retriever: Any = None
        self._stamp: int | None = None
        self.documents_indexed = 0
        self._load()

    @property
    def corpus_path(self) -> Path:
        return self.directory / "corpus.json"

    def _load(self) -> None:
        try:
            self._stamp = self.corpus_path.stat().st_mtime_ns
            rows = json.loads(self.corpus_path.read_text(encoding="utf-8"))["entries"]
        except FileNotFoundError:
            self._stamp, rows = None, []
        self._entries = [LexicalEntry(**row) for row in rows]
        self._rebuild()

    def _refresh(self) -> None:
        stamp = self.corpus_path.stat().st_mtime_ns if self.corpus_path.exists() else None
        if stamp != self._stamp:
            self._load()

    def _rebuild(self) -> None:
        import bm25s

        self._retriever = None
        self.documents_indexed += len({e.document_id for e in self._entries})
        if self._entries:
            self._retriever = bm25s.BM25(k1=1.2, b=0.75)
            self._retriever.index([e.tokens or ["\x00"] for e in self._entries], show_progress=False)

    def replace_document(self, document_id: str, entries: list[LexicalEntry]) -> None:
        self._refresh()
        self._entries = [e for e in self._entries if e.document_id != document_id] + list(entries)
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.corpus_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": 1, "entries": [e.__dict__ for e in self._entries]},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.corpus_path)
        self._stamp = self.corpus_path.stat().st_mtime_ns
        self._rebuild()

    def remove_document(self, document_id: str) -> None:
        self.replace_document(document_id, [])

    def document_ids(self) -> list[str]:
        self._refresh()
        return sorted({e.document_id for e in self._entries})

    def search(self, tokens: list[str], k: int, accept: Callable[[dict[str, Any]], bool] | None = None
               ) -> list[tuple[LexicalEntry, float]]:
        import numpy as np

        self._refresh()
        ids = self._retriever.get_tokens_ids(tokens) if self._retriever is not None else []
        if not ids:
            return []
        scores = self._retriever.get_scores_from_ids(ids)
        if accept is not None:
            mask = np.fromiter((accept(e.metadata) for e in self._entries), dtype=bool, count=len(self._entries))
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self._entries[i], float(scores[i])) for i in top if scores[i] > 0]


# ---------- documents ----------
def corpus_documents(cache: Path | None) -> list[Document]:
    """The corpus files as the BM25 side receives them (read once, then from `cache` when given)."""
    if cache is not None and cache.exists():
        return pickle.loads(cache.read_bytes())
    from index.entries import lexical_entries
    from index.rows import table_row_passages
    from ingest.pipeline import build_document

    documents = []
    for path in collect_files([CORPUS]):
        doc = build_document(path)
        meta = index_meta(doc.meta.department, doc.meta.region, doc.meta.fiscal_year, doc.meta.kind, doc.file_name)
        passages = doc.passages + table_row_passages(doc.document_id, meta, doc.facts)
        documents.append((doc.document_id, lexical_entries(passages, meta)))
    if cache is not None:
        cache.write_bytes(pickle.dumps(documents))
    return documents


_YEAR = re.compile(r"(19|20)\d\d")


def synthetic(source: Document, number: int) -> Document:
    """A copy of a real document with other figures (digits permuted, years kept) and a fictional department."""
    rng = random.Random(number)
    digits = list("0123456789")
    rng.shuffle(digits)
    table = str.maketrans("0123456789", "".join(digits))
    document_id = f"synthetic{number:05d}"
    department = f"上海市示例区示例{number}局"

    def figure(token: str) -> str:
        return token if _YEAR.match(token) or not any(c.isdigit() for c in token) else token.translate(table)

    entries = []
    for i, entry in enumerate(source[1]):
        passage_id = f"{document_id}:{i}"
        metadata = {**entry.metadata, "passage_id": passage_id, "document_id": document_id, "department": department}
        entries.append(LexicalEntry(passage_id, document_id, metadata, [figure(t) for t in entry.tokens]))
    return document_id, entries


def documents_for(real: list[Document], n: int) -> list[Document]:
    return real[:n] + [synthetic(real[i % len(real)], i) for i in range(len(real), n)]


# ---------- measuring ----------
def timed(action: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """Milliseconds one call of `action(*args, **kwargs)` takes."""
    started = time.perf_counter()
    action(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.1f} / {p95:.1f}"


def disk_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def measure(scheme: str, documents: list[Document], queries: list[list[str]], workdir: Path) -> dict[str, Any]:
    """Figures for one scheme on an index of len(documents) - 1 documents growing to len(documents)."""
    make: Callable[[Path], Any] = BM25Store if scheme == "shards" else FullRebuildStore
    directory = workdir / scheme
    *base, (new_id, new_entries) = documents
    build_s = None
    if scheme == "shards":
        started = time.perf_counter()
        store = make(directory)
        for document_id, entries in base:
            store.replace_document(document_id, entries)
        build_s = time.perf_counter() - started
    else:  # adding them one by one would rebuild N times; write the file as the last add would have
        directory.mkdir(parents=True)
        rows = [e.__dict__ for _, entries in base for e in entries]
        (directory / "corpus.json").write_text(json.dumps({"format": 1, "entries": rows}, ensure_ascii=False),
                                               encoding="utf-8")
    started = time.perf_counter()
    store = make(directory)  # as a new process opens it
    open_ms = (time.perf_counter() - started) * 1000
    other = make(directory)  # another process with the index open

    indexed_before = store.documents_indexed
    adds = []
    for copy in range(3):
        document_id = new_id if copy == 0 else f"{new_id}-copy{copy}"
        entries = new_entries if copy == 0 else [
            LexicalEntry(f"{document_id}:{i}", document_id, {**e.metadata, "document_id": document_id}, e.tokens)
            for i, e in enumerate(new_entries)]
        adds.append(timed(store.replace_document, document_id, entries))
    indexed_per_add = (store.documents_indexed - indexed_before) / 3
    catch_up_ms = timed(other.search, queries[0], DEPTH)
    remove_ms = timed(store.remove_document, f"{new_id}-copy2")

    def one_department(md: dict[str, Any]) -> bool:
        return metadata_matches(md, {"department": new_entries[0].metadata["department"]})

    # as index/passages.py asks: the new store is also told which filters hold per document
    by_document = {"accept_document": one_department} if scheme == "shards" else {}
    def after_a_change(tokens: list[str]) -> None:  # no token contribution kept yet
        store._postings._forget_contributions()
        store.search(tokens, DEPTH)

    plain = [timed(store.search, q, DEPTH) for q in queries]
    filtered = [timed(store.search, q, DEPTH, one_department, **by_document) for q in queries]
    cold = [timed(after_a_change, q) for q in queries] if scheme == "shards" else plain
    return {"scheme": scheme, "n": len(documents), "passages": sum(len(e) for _, e in documents),
            "build_s": build_s, "open_ms": open_ms, "add_ms": statistics.median(adds), "catch_up_ms": catch_up_ms,
            "remove_ms": remove_ms, "plain": plain, "cold": cold, "filtered": filtered, "indexed_per_add": indexed_per_add,
            "disk_mb": disk_mb(directory)}


COLUMNS = ("N", "passages", "scheme", "build s", "open ms", "add ms", "catch-up ms", "remove ms",
           "query ms", "after a change", "one department", "indexed/add", "disk MB")
LINE = "{:>5} {:>8}  {:<12} {:>7} {:>8} {:>8} {:>11} {:>9}  {:>13} {:>14} {:>14} {:>11} {:>7}"


def report(row: dict[str, Any]) -> str:
    build = f"{row['build_s']:.1f}" if row["build_s"] is not None else "-"
    return LINE.format(row["n"], row["passages"], row["scheme"], build, f"{row['open_ms']:.0f}",
                       f"{row['add_ms']:.1f}", f"{row['catch_up_ms']:.1f}", f"{row['remove_ms']:.1f}",
                       percentiles(row["plain"]), percentiles(row["cold"]), percentiles(row["filtered"]),
                       f"{row['indexed_per_add']:.0f}", f"{row['disk_mb']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 300, 1000])
    parser.add_argument("--doc-cache", type=Path, help="pickle of the corpus documents (made when missing)")
    parser.add_argument("--schemes", nargs="+", default=["full-rebuild", "shards"])
    args = parser.parse_args()

    real = corpus_documents(args.doc_cache)
    rows = [json.loads(line) for line in SET_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [tokenize_query(row["question"]) for row in rows[::3]]
    print(f"corpus documents: {len(real)}   queries: {len(queries)}   k = {DEPTH}")
    print(LINE.format(*COLUMNS))
    for n in args.sizes:
        documents = documents_for(real, n)
        for scheme in args.schemes:
            workdir = Path(tempfile.mkdtemp(prefix="budgetqa-lexical-"))
            try:
                print(report(measure(scheme, documents, queries, workdir)), flush=True)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
