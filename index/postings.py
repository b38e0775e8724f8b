"""Exact BM25 over postings that grow and shrink one document at a time (the in-memory half of
`index.lexical.BM25Store`).

    postings = Postings(k1=1.2, b=0.75)
    postings.add([("doc1", [["三公经费", "预算"], ["公务接待费"]])])   # rows 0 and 1
    scores = postings.scores(["三公经费"])                               # one per row
    best = ranked(scores, np.flatnonzero(scores), 10)                   # rows, best first
    postings.remove("doc1")

Nothing corpus-wide is precomputed: the corpus statistics (passage count, total length, document
frequency per token) are running totals, and a query computes idf and the length norm from them, so
adding or removing a document touches only that document's postings and answers equal a full rebuild.
The arithmetic is bm25s's (method "lucene", float32 scores) step for step, so scores equal those of
`bm25s.BM25().index(...)` over the same passages to the last bit, ties broken by passage order as before.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# bm25s cannot index a passage without tokens; the old full rebuild gave it this one token, and so do we
EMPTY_PASSAGE = ("\x00",)
CACHED_POSTINGS = 4_000_000  # token contributions kept between changes (~48 MB)


@dataclass(frozen=True)
class _Segment:
    """Postings of some documents, sorted by token id: (token, row, term frequency) triples."""

    tokens: np.ndarray  # int64, ascending
    rows: np.ndarray  # int64, the passage's row in the whole index
    tfs: np.ndarray  # float32, as bm25s counts them

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class _DocumentSpan:
    """What one document added, to be taken back when it is removed."""

    rows: range
    token_ids: np.ndarray  # the distinct tokens of its passages
    passage_counts: np.ndarray  # how many of its passages hold each of them (its share of document frequency)
    length: int  # tokens over all its passages
    postings: int


class Postings:
    """Inverted index with running corpus statistics; rows are numbered in the order passages were added.

    Each added document becomes a small segment; segments are merged so that there are O(log n) of them
    (each posting is merged O(log n) times), and postings of removed documents are dropped when their
    segment is merged. Usage: see the module docstring.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.vocabulary: dict[str, int] = {}
        self.documents: dict[str, _DocumentSpan] = {}
        self.documents_indexed = 0  # documents whose token lists this object turned into postings
        self.passages = 0  # live passages (N of BM25)
        self.total_length = 0  # tokens over live passages (N * average length)
        self.rows = 0  # rows handed out, removed ones included
        self._df = np.zeros(0, dtype=np.int64)
        self._lengths = np.zeros(0, dtype=np.int64)
        self._alive = np.zeros(0, dtype=bool)
        self._segments: list[_Segment] = []
        self._dead_postings = 0
        self._contributions: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached_postings = 0

    # ---------- changes ----------
    def add(self, documents: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> list[range]:
        """Append the passages of each (document id, token lists) as new rows, in order, as one segment.
        A document already present must be removed first. Returns each document's rows."""
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        spans = []
        self._forget_contributions()
        for document_id, token_lists in documents:
            if document_id in self.documents:
                raise ValueError(f"document {document_id!r} is already indexed; remove it first")
            span, part = self._add_document(document_id, token_lists)
            spans.append(span.rows)
            parts.append(part)
        if parts and sum(len(p[0]) for p in parts):
            tokens, rows, tfs = (np.concatenate(column) for column in zip(*parts, strict=True))
            order = np.argsort(tokens, kind="stable")
            self._segments.append(_Segment(tokens[order], rows[order], tfs[order]))
            self._merge_small_segments()
        return spans

    def _add_document(self, document_id: str, token_lists: Sequence[Sequence[str]]
                      ) -> tuple[_DocumentSpan, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        vocabulary = self.vocabulary
        ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in (tokens or EMPTY_PASSAGE)] for tokens in token_lists]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        first, count = self.rows, len(ids)
        flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        width = max(len(vocabulary), 1)
        pairs, tfs = np.unique(np.repeat(np.arange(first, first + count), lengths) * width + flat, return_counts=True)
        rows, tokens = np.divmod(pairs, width)
        token_ids, passage_counts = np.unique(tokens, return_counts=True)
        span = _DocumentSpan(range(first, first + count), token_ids, passage_counts, int(lengths.sum()), len(pairs))

        self._grow(rows=first + count, vocabulary=width)
        self._lengths[first:first + count] = lengths
        self._alive[first:first + count] = True
        self._df[token_ids] += passage_counts
        self.rows += count
        self.passages += count
        self.total_length += span.length
        self.documents[document_id] = span
        self.documents_indexed += 1
        return span, (tokens, rows, tfs.astype(np.float32))

    def remove(self, document_id: str) -> range:
        """Take a document's passages out of the statistics and the results; returns its rows (empty when absent)."""
        span = self.documents.pop(document_id, None)
        if span is None:
            return range(0)
        self._forget_contributions()
        self._alive[span.rows.start:span.rows.stop] = False
        self._df[span.token_ids] -= span.passage_counts
        self.passages -= len(span.rows)
        self.total_length -= span.length
        self._dead_postings += span.postings
        if self._dead_postings * 2 > sum(map(len, self._segments)):
            self._merge(0)  # mostly dead: compact everything
        return span.rows

    def _grow(self, rows: int, vocabulary: int) -> None:
        """Room for `rows` rows and `vocabulary` tokens (capacity doubles, so growing is amortized O(1))."""
        if rows > len(self._lengths):
            size = max(rows, 2 * len(self._lengths), 1024)
            self._lengths = np.concatenate([self._lengths, np.zeros(size - len(self._lengths), np.int64)])
            self._alive = np.concatenate([self._alive, np.zeros(size - len(self._alive), bool)])
        if vocabulary > len(self._df):
            size = max(vocabulary, 2 * len(self._df), 1024)
            self._df = np.concatenate([self._df, np.zeros(size - len(self._df), np.int64)])

    def _merge_small_segments(self) -> None:
        """Merge the newest segments while the last is at least half its predecessor: segment sizes fall
        geometrically, like the digits of a binary counter."""
        while len(self._segments) >= 2 and len(self._segments[-2]) <= 2 * len(self._segments[-1]):
            self._merge(len(self._segments) - 2)

    def _merge(self, start: int) -> None:
        """Merge segments[start:] into one, dropping postings of removed rows."""
        merged = self._segments[start:]
        if not merged:
            return
        tokens, rows, tfs = (np.concatenate(column) for column in
                             zip(*((s.tokens, s.rows, s.tfs) for s in merged), strict=True))
        alive = self._alive[rows]
        self._dead_postings -= int(len(alive) - alive.sum())
        tokens, rows, tfs = tokens[alive], rows[alive], tfs[alive]
        order = np.argsort(tokens, kind="stable")
        self._segments[start:] = [_Segment(tokens[order], rows[order], tfs[order])] if len(order) else []

    # ---------- scoring ----------
    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query (float32; 0 for rows without a query token and removed
        rows). A token repeated in the query counts again, as in bm25s."""
        scores = np.zeros(self.rows, dtype=np.float32)
        ids = [self.vocabulary[t] for t in query_tokens if t in self.vocabulary]
        if not ids or not self.passages:
            return scores
        contributions = {token_id: self._contribution(token_id) for token_id in dict.fromkeys(ids)}
        for token_id in ids:  # summed in query order, in float32, as bm25s sums them
            rows, values = contributions[token_id]
            scores[rows] += values
        return scores

    def _contribution(self, token_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Each live passage holding the token and the token's share of its score (bm25s, method lucene).
        Kept until the next change: most questions share a few frequent words."""
        cached = self._contributions.get(token_id)
        if cached is not None:
            self._contributions.move_to_end(token_id)
            return cached
        df = int(self._df[token_id])
        rows, tfs = self._postings_of(token_id) if df else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        if df:
            n, avg_length = self.passages, self.total_length / self.passages
            idf = np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))
            tf = tfs.astype(np.float64)
            # the same operations in the same order as bm25s.scoring: float64 inside, float32 per posting
            tfc = tf / (self.k1 * ((1 - self.b) + self.b * self._lengths[rows] / avg_length) + tf)
            tfs = (idf * tfc).astype(np.float32)
        self._contributions[token_id] = (rows, tfs)
        self._cached_postings += len(rows)
        while self._cached_postings > CACHED_POSTINGS and len(self._contributions) > 1:
            self._cached_postings -= len(self._contributions.popitem(last=False)[1][0])
        return rows, tfs

    def _forget_contributions(self) -> None:
        """Corpus statistics changed: every idf and length norm is another one now."""
        self._contributions.clear()
        self._cached_postings = 0

    def _postings_of(self, token_id: int) -> tuple[np.ndarray, np.ndarray]:
        rows, tfs = [], []
        for segment in self._segments:
            lo, hi = np.searchsorted(segment.tokens, [token_id, token_id + 1])
            rows.append(segment.rows[lo:hi])
            tfs.append(segment.tfs[lo:hi])
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        all_rows, all_tfs = (rows[0], tfs[0]) if len(rows) == 1 else (np.concatenate(rows), np.concatenate(tfs))
        if not self._dead_postings:
            return all_rows, all_tfs
        alive = self._alive[all_rows]
        return all_rows[alive], all_tfs[alive]

    def rows_of(self, document_ids: Iterable[str]) -> np.ndarray:
        """A mask over all rows: True for the passages of the given documents."""
        mask = np.zeros(self.rows, dtype=bool)
        for document_id in document_ids:
            span = self.documents.get(document_id)
            if span is not None:
                mask[span.rows.start:span.rows.stop] = True
        return mask

    @property
    def segment_count(self) -> int:
        return len(self._segments)


def ranked(scores: np.ndarray, hits: np.ndarray, count: int) -> np.ndarray:
    """The first `count` (or a few more, when tied) of `hits` by descending score, ties in row order:
    always a prefix of the full order, found without sorting every hit."""
    if len(hits) > count:
        values = scores[hits]
        kth = np.partition(values, len(values) - count)[len(values) - count]
        hits = hits[values >= kth]
    return hits[np.lexsort((hits, -scores[hits]))]
