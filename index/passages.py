"""The passage index: Chroma (dense vectors of the narrative passages; each one's text and metadata stored
beside its vector) + BM25 over jieba tokens of every passage (narrative and table rows), fused by RRF.
Table rows are in BM25 only (`index.metadata.embedded` says why), so a hybrid search finds them by their
words; a dense search returns narrative passages only (also from an index an older version built with
table-row vectors, which stay there unused until the document is indexed again).

    index = PassageIndex(settings)
    index.add_document(doc.document_id, doc.passages, {"department": ..., "fiscal_year": 2025, ...})
    index.add_entries(*prepared)   # documents' entries prepared where they were read (index/entries.py)
    hits = index.search("公车经费为什么减少", k=5, filters={"department": "上海市普陀区人民政府办公室"})
    retriever = index.as_retriever(k=5, filters={"fiscal_year": 2025})   # a LangChain BaseRetriever

Filters (department, region, fiscal_year, kind, document_id, passage_kind, section_path prefix) are
applied inside both retrievers: as a Chroma `where` clause and as a mask on the BM25 candidates.
The embedding model's name and dimension are stored as collection metadata; querying or adding with
another model raises `ModelMismatchError`. With `chroma_host` set the vectors live on a Chroma server
(`index/chroma.py`); the BM25 side stays under `settings.index_dir`. A server that does not answer raises
`ChromaUnavailableError` naming its address.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from budgetqa.models import DocumentMeta, Passage
from budgetqa.settings import Settings
from index.chroma import ChromaUnavailableError, is_connection_error, open_client, server_errors
from index.embeddings import describe, get_embeddings
from index.entries import DocumentEntries, passage_entries
from index.lexical import BM25Store, tokenize_query
from index.metadata import (
    META_KEYS,
    SECTION_SEP,
    as_list,
    chroma_where,
    dense_filters,
    metadata_matches,
    strip_scope,
)
from index.nearest import few_enough, nearest_among

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "bm25", "dense"]
DOCUMENT_KEYS = (*META_KEYS, "document_id")  # filters every passage of a document meets alike
Result = TypeVar("Result")
__all__ = ["ChromaUnavailableError", "ModelMismatchError", "PassageIndex", "SearchHit"]


class ModelMismatchError(RuntimeError):
    """The index was built with another embedding model than the one configured now."""


@dataclass(frozen=True)
class SearchHit:
    """One retrieved passage with its document metadata, fused score and the retrievers that found it."""

    passage_id: str
    document_id: str
    section_path: tuple[str, ...]
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    kind: str  # passage kind: "narrative" | "table_row"
    score: float
    retrievers: tuple[str, ...]  # subset of ("dense", "bm25")
    file_name: str | None = None
    department: str | None = None
    fiscal_year: int | None = None
    document_kind: str | None = None  # "部门预算" | "单位预算" | "部门决算"
    dense_rank: int | None = None  # 1-based rank in each retriever's list, None when not found there
    bm25_rank: int | None = None

    @property
    def passage(self) -> Passage:
        return Passage(self.passage_id, self.document_id, self.section_path, self.text, self.page_start,
                       self.page_end, self.char_start, self.char_end, self.kind)


@dataclass(frozen=True)
class FusionWeights:
    """Reciprocal rank fusion: score = sum over retrievers of weight / (rrf_k + rank).

    Defaults chosen by benchmarks/retrieval.py on the project's evaluation set: BM25 over
    dictionary-aware jieba tokens carries most of the weight; the multilingual USE vectors add
    passages BM25 misses and break near-ties (equal weights cost 0.10 of narrative hit@5).
    """

    dense: float = 0.1
    bm25: float = 1.0
    rrf_k: int = 10
    candidates: int = 40  # how deep each retriever is read before fusing


def _reaching_server(method: Callable[..., Result]) -> Callable[..., Result]:
    """A Chroma server that stops answering during the call raises `ChromaUnavailableError` naming it."""

    @functools.wraps(method)
    def wrapper(self: PassageIndex, *args: Any, **kwargs: Any) -> Result:
        with server_errors(self.settings):
            return method(self, *args, **kwargs)

    return wrapper


class PassageIndex:
    """Dense + lexical index of passages, persisted under `settings.index_dir` (or a Chroma server).

    Usage: `PassageIndex(settings).search("金融办的主要职能有哪些", k=5)`.
    """

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None,
                 weights: FusionWeights | None = None) -> None:
        self.settings = settings
        self._client, self.location = open_client(settings)  # first: a server that is down is told at once
        self.embeddings = embeddings if embeddings is not None else get_embeddings(settings)
        self.model_name, self.dimension = describe(self.embeddings)
        self.weights = weights or FusionWeights()
        self._chroma = self._open_collection()
        self._lexical = BM25Store(settings.index_dir / "bm25")

    def refresh(self) -> None:
        """See what other processes wrote since this index was opened: a persistent Chroma client keeps
        its own view of the collection (queries then fail with "Error finding id"), so it is reopened.
        The BM25 side catches up by itself (it loads only the documents added since)."""
        if not self.settings.chroma_host:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        self._client, self.location = open_client(self.settings)
        self._chroma = self._open_collection()

    # ---------- opening ----------
    @_reaching_server
    def _open_collection(self) -> Any:
        from langchain_chroma import Chroma

        return Chroma(client=self._client, collection_name=self.settings.chroma_collection,
                      embedding_function=self.embeddings, collection_metadata=self._model_metadata(),
                      collection_configuration={"hnsw": {"space": "cosine"}})

    def _model_metadata(self) -> dict[str, Any]:
        return {"embedding_model": self.model_name, "embedding_dim": self.dimension}

    def _check_model(self) -> None:
        """Refuse to mix vectors of two models; an empty collection simply adopts the current one."""
        collection = self._chroma._collection
        stored = collection.metadata or {}
        built_with = (stored.get("embedding_model"), stored.get("embedding_dim"))
        if built_with == (self.model_name, self.dimension):
            return
        if collection.count() == 0:
            collection.modify(metadata=self._model_metadata())
            return
        raise ModelMismatchError(
            f"The passage index in {self.location} was built with embedding model {built_with[0]!r} "
            f"(dimension {built_with[1]}), but the configured model is {self.model_name!r} "
            f"(dimension {self.dimension}). Rebuild the index with `budgetqa reindex`, or set "
            f"BUDGETQA_EMBEDDING_MODEL={built_with[0]} to query the index as it was built."
        )

    # ---------- changes ----------
    @_reaching_server
    def add_document(self, document_id: str, passages: Sequence[Passage],
                     meta: DocumentMeta | dict[str, Any]) -> int:
        """Index all passages of one document, replacing whatever was indexed for it before.

        `meta` carries department, region, fiscal_year, kind and file_name. Returns the passage count.
        """
        return self.add_entries(passage_entries(document_id, passages, meta))

    @_reaching_server
    def add_entries(self, *documents: DocumentEntries) -> int:
        """Index documents' prepared entries (`index.entries`), replacing whatever was indexed for them
        before (in Chroma too the table-row vectors an older version stored); the embedded passages that
        come without vectors of this index's model are embedded here. Their vectors go to Chroma with
        their metadata (which holds the passage text) in as few calls as Chroma takes (a call costs tens of
        milliseconds whatever its size); every passage's tokens go to BM25, one shard per document.
        Returns the passage count (both kinds)."""
        import numpy as np

        self._check_model()
        for entries in documents:
            self.embed_entries(entries)
        collection = self._chroma._collection
        ids = [entries.document_id for entries in documents]
        if collection.get(where={"document_id": {"$in": ids}}, limit=1, include=[])["ids"]:
            collection.delete(where={"document_id": {"$in": ids}})
        passages = [i for entries in documents for i in entries.dense_ids]
        metadatas = [m for entries in documents for m in entries.dense_metadatas]
        vectors = np.concatenate([entries.vectors for entries in documents if len(entries.dense)] or [np.empty((0, 1))])
        if len(vectors) != len(passages):
            raise ValueError(f"{len(vectors)} vectors for {len(passages)} embedded passages")
        step = self._client.get_max_batch_size()
        for start in range(0, len(passages), step):
            collection.upsert(ids=passages[start:start + step], embeddings=vectors[start:start + step],
                              metadatas=metadatas[start:start + step])
        for entries in documents:
            self._lexical.replace_document(entries.document_id, entries.lexical)
        return sum(len(entries.ids) for entries in documents)

    def embed_entries(self, entries: DocumentEntries) -> None:
        """Give a document's entries this index's vectors, unless they came with them (from a reader)."""
        if entries.vectors is None or entries.model != self.model_name:
            entries.embed(self.embeddings)

    @_reaching_server
    def remove_document(self, document_id: str) -> None:
        """Remove every passage of `document_id` from both retrievers (no error when absent)."""
        self._chroma.delete(where={"document_id": document_id})
        self._lexical.remove_document(document_id)

    @_reaching_server
    def clear(self) -> None:
        """Drop everything (both retrievers) and start an empty index for the configured model."""
        self._chroma.delete_collection()
        self._chroma = self._open_collection()
        self._lexical.clear()

    @_reaching_server
    def document_ids(self, retriever: Literal["any", "dense", "bm25"] = "any") -> list[str]:
        """Ids of the documents that have passages in the index (in either retriever, or in the one named:
        "dense" names those with vectors, which a document of table rows only never has)."""
        found: set[str] = set()
        if retriever != "bm25":
            found |= set(self.vector_counts())
        if retriever != "dense":
            found |= set(self._lexical.document_ids())
        return sorted(found)

    @_reaching_server
    def vector_counts(self) -> dict[str, int]:
        """Vectors in Chroma per document (reads every vector's metadata: for repairs, not for questions)."""
        from collections import Counter

        got = self._chroma._collection.get(include=["metadatas"])
        return dict(Counter(md["document_id"] for md in got["metadatas"] if md))

    @_reaching_server
    def count(self) -> int:
        """Vectors in Chroma: the narrative passages (and table rows embedded by an older version)."""
        return self._chroma._collection.count()

    @_reaching_server
    def dense_consistent(self) -> bool:
        """Whether the vector index answers a query over all its entries. A process killed while Chroma
        wrote can leave its vector file naming ids its records no longer hold ("Error finding id"); no
        embedding model is needed to find out (the probe is a zero vector)."""
        collection = self._chroma._collection
        total = collection.count()
        if total == 0:
            return True
        try:
            sample = collection.get(limit=1, include=["embeddings"])
            dimension = len(sample["embeddings"][0])
            collection.query(query_embeddings=[[0.0] * dimension], n_results=min(total, 10_000), include=[])
        except Exception as error:  # chromadb raises InternalError (or a plain error) for a broken index
            if is_connection_error(error):  # a server gone away is no broken index: say so, rebuild nothing
                raise
            log.warning("vector index inconsistent (%s: %s)", type(error).__name__, error)
            return False
        return True

    # ---------- search ----------
    @_reaching_server
    def search(self, query: str, k: int = 5, filters: dict[str, Any] | None = None,
               mode: Mode = "hybrid") -> list[SearchHit]:
        """The `k` best passages for `query` among those matching `filters`."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"mode must be 'hybrid', 'bm25' or 'dense', not {mode!r}")
        if not query.strip():
            return []
        depth = k if mode != "hybrid" else max(k, self.weights.candidates)
        dense = self._dense(query, depth, filters) if mode != "bm25" else []
        lexical = self._bm25(query, depth, filters) if mode != "dense" else []
        return self._fuse(dense, lexical, mode)[:k]

    def _dense(self, query: str, depth: int, filters: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The nearest embedded passages (`dense_filters`: never the table-row vectors an older version
        stored; [] when the filters ask for table rows only)."""
        self._check_model()
        chroma_where(filters)  # validates the filter keys the same way for both retrievers
        filters = dense_filters(filters)
        if filters is None:
            return []
        where = chroma_where(filters)
        try:
            question = strip_scope(query, *self._scope(filters))
            few = self._few_passages(filters)
            if few is not None:  # a question about a few documents: their passages ranked here, same answer
                ranked = nearest_among(self._chroma._collection, self.embeddings.embed_query(question), few, depth)
                if ranked is not None:
                    return ranked
            found = self._chroma._collection.query(query_embeddings=[self.embeddings.embed_query(question)],
                                                   n_results=depth, where=where, include=["metadatas"])
        except Exception as exc:  # Chroma raises when the filter matches nothing in some versions
            if "no elements" in str(exc).lower():
                return []
            if "finding id" in str(exc).lower():  # a vector file broken by a crash: BM25 answers until repair
                log.warning("dense search failed (%s); using BM25 only until the next repair", exc)
                return []
            raise
        return [md for md in found["metadatas"][0] if md]

    def _few_passages(self, filters: dict[str, Any] | None) -> list[str] | None:
        """Ids of the passages `filters` allow when the filter names their documents and they are few
        enough to rank exactly outside the vector index (`index.nearest.few_enough`); else None."""
        named = list(dict.fromkeys(d for d in as_list((filters or {}).get("document_id")) if d))
        collection = self._chroma._collection
        if not named or few_enough(collection, named) is None:  # more documents than that: Chroma searches, as before
            return None
        passages = self._lexical.passages_of(named)
        if passages is None:
            return None
        return few_enough(collection, [md["passage_id"] for md in passages if metadata_matches(md, filters)])

    def _bm25(self, query: str, depth: int, filters: dict[str, Any] | None) -> list[dict[str, Any]]:
        chroma_where(filters)  # validates the filter keys the same way for both retrievers
        accept = (lambda md: metadata_matches(md, filters)) if filters else None
        per_document = {key: value for key, value in (filters or {}).items() if key in DOCUMENT_KEYS}
        named = {d for d in as_list(per_document.get("document_id")) if d}

        def accept_document(md: dict[str, Any]) -> bool:  # asked of every indexed document: the cheap test first
            return (not named or md.get("document_id") in named) and metadata_matches(md, per_document)

        tokens = tokenize_query(strip_scope(query, *self._scope(filters)))
        found = self._lexical.search(tokens, depth, accept, accept_document if per_document else None)
        return [entry.metadata for entry, _score in found]

    def _fuse(self, dense: list[dict[str, Any]], lexical: list[dict[str, Any]], mode: Mode) -> list[SearchHit]:
        """Both lists by reciprocal rank fusion; a table row is found by BM25 only, and ranks by that."""
        w = self.weights
        scores: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        metadata: dict[str, dict[str, Any]] = {}
        for name, weight, results in (("dense", w.dense, dense), ("bm25", w.bm25, lexical)):
            for rank, md in enumerate(results, start=1):
                pid = md["passage_id"]
                metadata.setdefault(pid, md)
                ranks.setdefault(pid, {})[name] = rank
                scores[pid] = scores.get(pid, 0.0) + (weight if mode == "hybrid" else 1.0) / (w.rrf_k + rank)
        order = sorted(scores, key=lambda pid: -scores[pid])
        return [_hit(metadata[pid], scores[pid], ranks[pid]) for pid in order]

    def _scope(self, filters: dict[str, Any] | None) -> tuple[list[str], list[int]]:
        """Departments and fiscal years every candidate is limited to by `filters` (else empty)."""
        filters = filters or {}
        departments = [d for d in as_list(filters.get("department")) if d]
        years = [y for y in as_list(filters.get("fiscal_year")) if y]
        doc_ids = [d for d in as_list(filters.get("document_id")) if d]
        metas = [m for m in (self._lexical.document_metadata(d) for d in doc_ids) if m]
        if metas and len(metas) == len(doc_ids):
            doc_departments = {m.get("department") for m in metas}
            if len(doc_departments) == 1 and not departments:
                departments = [d for d in doc_departments if d]
            doc_years = {m.get("fiscal_year") for m in metas}
            if len(doc_years) == 1 and not years:
                years = [y for y in doc_years if y]
        return departments, years

    def as_retriever(self, k: int = 5, filters: dict[str, Any] | None = None,
                     mode: Mode = "hybrid") -> PassageRetriever:
        """A LangChain retriever over this index (documents carry the SearchHit fields as metadata)."""
        return PassageRetriever(index=self, k=k, filters=filters, mode=mode)


def _hit(md: dict[str, Any], score: float, ranks: dict[str, int]) -> SearchHit:
    section = tuple(md["section_path"].split(SECTION_SEP)) if md.get("section_path") else ()
    return SearchHit(
        passage_id=md["passage_id"], document_id=md["document_id"], section_path=section,
        text=md.get("text", ""), page_start=int(md["page_start"]), page_end=int(md["page_end"]),
        char_start=int(md["char_start"]), char_end=int(md["char_end"]),
        kind=md.get("passage_kind", "narrative"), score=score,
        retrievers=tuple(name for name in ("dense", "bm25") if name in ranks),
        file_name=md.get("file_name"), department=md.get("department"),
        fiscal_year=md.get("fiscal_year"), document_kind=md.get("kind"),
        dense_rank=ranks.get("dense"), bm25_rank=ranks.get("bm25"),
    )


class PassageRetriever(BaseRetriever):
    """LangChain face of `PassageIndex.search`: `retriever.invoke("三公经费为什么减少")`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    k: int = 5
    filters: dict[str, Any] | None = None
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                ) -> list[Document]:
        hits = self.index.search(query, k=self.k, filters=self.filters, mode=self.mode)
        return [hit_to_document(hit) for hit in hits]


def hit_to_document(hit: SearchHit) -> Document:
    """A LangChain Document for one hit: page_content is the passage text, metadata the rest."""
    md = {key: value for key, value in hit.__dict__.items() if key != "text" and value is not None}
    md["section_path"] = SECTION_SEP.join(hit.section_path)
    md["retrievers"] = list(hit.retrievers)
    return Document(page_content=hit.text, metadata=md, id=hit.passage_id)

