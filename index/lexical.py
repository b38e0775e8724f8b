"""Lexical side of the passage index: jieba tokens with a budget dictionary, query synonyms, BM25.

    tokens = tokenize("公务用车购置及运行费比上年减少")
    query_tokens = tokenize_query("公车经费为什么减少")   # adds 公务用车购置及运行费, 原因
    store = BM25Store(index_dir / "bm25"); store.replace_document("doc1", entries); store.search(...)

Documents and questions go through the same `normalize` (NFKC, quotes removed, "(境)" → "境") so that
“三公”经费 / "三公"经费 / 三公经费 all become one dictionary word.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    tokens = _tokenizer().lcut_for_search(normalize(text))
    return [t for t in tokens if t.strip() and _KEEP.search(t) and t not in STOPWORDS]


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


class BM25Store:
    """BM25 (bm25s) over the token lists of all passages, persisted as one JSON corpus file.

    The matrix is rebuilt from the stored tokens after every change (a few ms per thousand
    passages) and reloaded when another process has changed the file.

    Usage: `store = BM25Store(path); store.replace_document(doc_id, entries); store.search(tokens, 10)`.
    """

    def __init__(self, directory: Path, k1: float = 1.2, b: float = 0.75) -> None:
        self.directory = directory
        self.k1 = k1
        self.b = b
        self._entries: list[LexicalEntry] = []
        self._retriever: Any = None
        self._documents: dict[str, dict[str, Any]] = {}
        self._loaded_stamp: float | None = None
        self._load()

    @property
    def corpus_path(self) -> Path:
        return self.directory / "corpus.json"

    # ---------- persistence ----------
    def _stamp(self) -> float | None:
        try:
            return self.corpus_path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _load(self) -> None:
        stamp = self._stamp()
        if stamp is None:
            self._entries = []
        else:
            rows = json.loads(self.corpus_path.read_text(encoding="utf-8"))
            self._entries = [LexicalEntry(**row) for row in rows["entries"]]
        self._loaded_stamp = stamp
        self._rebuild()

    def _refresh(self) -> None:
        if self._stamp() != self._loaded_stamp:
            self._load()

    def _save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {"format": 1, "entries": [e.__dict__ for e in self._entries]}
        tmp = self.corpus_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.corpus_path)
        self._loaded_stamp = self._stamp()

    def _rebuild(self) -> None:
        import bm25s

        self._retriever = None
        self._documents = {e.document_id: e.metadata for e in reversed(self._entries)}
        if not self._entries:
            return
        retriever = bm25s.BM25(k1=self.k1, b=self.b)
        # an empty token list would break bm25s; a placeholder token keeps positions aligned
        retriever.index([e.tokens or ["\x00"] for e in self._entries], show_progress=False)
        self._retriever = retriever

    # ---------- changes ----------
    def replace_document(self, document_id: str, entries: Iterable[LexicalEntry]) -> None:
        """Drop every passage of `document_id`, then add `entries` (all of that document)."""
        self._refresh()
        kept = [e for e in self._entries if e.document_id != document_id]
        self._entries = kept + list(entries)
        self._save()
        self._rebuild()

    def remove_document(self, document_id: str) -> None:
        self.replace_document(document_id, [])

    def clear(self) -> None:
        self._entries = []
        self._save()
        self._rebuild()

    # ---------- reading ----------
    def document_ids(self) -> list[str]:
        self._refresh()
        return sorted({e.document_id for e in self._entries})

    def document_metadata(self, document_id: str) -> dict[str, Any] | None:
        """Metadata of one passage of the document (department, fiscal_year … are per document)."""
        self._refresh()
        return self._documents.get(document_id)

    def __len__(self) -> int:
        self._refresh()
        return len(self._entries)

    def search(
        self, tokens: list[str], k: int, accept: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[tuple[LexicalEntry, float]]:
        """Top `k` entries by BM25 score among those whose metadata `accept` allows (score > 0 only)."""
        import numpy as np  # not at the top: table questions read synonyms from this module without numpy

        self._refresh()
        if self._retriever is None or not tokens:
            return []
        token_ids = self._retriever.get_tokens_ids(tokens)
        if not token_ids:
            return []
        scores = self._retriever.get_scores_from_ids(token_ids)
        if accept is not None:
            mask = np.fromiter((accept(e.metadata) for e in self._entries), dtype=bool, count=len(self._entries))
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self._entries[i], float(scores[i])) for i in top if scores[i] > 0]
