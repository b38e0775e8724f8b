"""What one document puts into the passage index, prepared away from the stores: for every passage (the
narrative ones and one per table row) its id, its metadata and its BM25 tokens, and for the passages the
dense retriever holds (the narrative ones: `index.metadata.embedded`) their vectors, once embedded. Table
rows go to BM25 only. The process that prepares them (the writer, a worker process or a Ray task,
`budgetqa/workers.py`) may embed them too; `PassageIndex.add_entries` embeds what arrives without vectors.

    entries = document_entries(doc)                       # passages, metadata, tokens: no model needed
    entries.embed(process_embeddings(settings))           # vectors of entries.dense, with this process's model
    PassageIndex(settings).add_entries(entries)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from budgetqa.models import DocumentMeta, IngestedDocument, Passage
from index.lexical import LexicalEntry, tokenize
from index.metadata import embedded, indexed_text, meta_dict, passage_metadata
from index.rows import table_row_passages

if TYPE_CHECKING:  # numpy and langchain are not for table questions, whose command imports this module
    import numpy as np
    from langchain_core.embeddings import Embeddings


def index_meta(department: str | None, region: str | None, fiscal_year: int | None, kind: str | None,
               file_name: str) -> dict:  # type: ignore[type-arg]
    """A document's metadata as the passage index filters on it (no None values: Chroma refuses them)."""
    return {"department": department or "", "region": region or "", "fiscal_year": fiscal_year or 0,
            "kind": kind or "", "file_name": file_name}


@dataclass
class DocumentEntries:
    """One document's passages as both retrievers take them, in passage order: all of them for BM25
    (`lexical`), the embedded ones (`dense`, in the same order) for Chroma."""

    document_id: str
    lexical: list[LexicalEntry]  # passage id, metadata (stored beside the vector too) and BM25 tokens
    texts: list[str]  # what both retrievers see of each passage (`index.metadata.indexed_text`)
    vectors: np.ndarray | None = None  # float32, one row per passage of `dense`; None until embedded
    model: str = ""  # the embedding model the vectors come from

    @property
    def ids(self) -> list[str]:
        """Every passage (what BM25 holds)."""
        return [entry.passage_id for entry in self.lexical]

    @property
    def metadatas(self) -> list[dict[str, Any]]:
        return [entry.metadata for entry in self.lexical]

    @property
    def dense(self) -> list[int]:
        """Positions of the passages that are embedded and go to Chroma (`index.metadata.embedded`)."""
        return [i for i, entry in enumerate(self.lexical) if embedded(entry.metadata["passage_kind"])]

    @property
    def dense_ids(self) -> list[str]:
        return [self.lexical[i].passage_id for i in self.dense]

    @property
    def dense_metadatas(self) -> list[dict[str, Any]]:
        return [self.lexical[i].metadata for i in self.dense]

    def embed(self, embeddings: Embeddings) -> None:
        """Vectors of the passages that go to Chroma (`dense`), all in one call (the batches, and so the
        vectors, are those of the writer embedding the document itself)."""
        import numpy as np

        from index.embeddings import describe

        texts = [self.texts[i] for i in self.dense]
        self.model, dimension = describe(embeddings)
        self.vectors = (np.asarray(embeddings.embed_documents(texts), dtype=np.float32) if texts
                        else np.empty((0, dimension), dtype=np.float32))  # table rows only: nothing to embed


def passage_entries(document_id: str, passages: Sequence[Passage], meta: DocumentMeta | dict[str, Any]
                    ) -> DocumentEntries:
    """Entries of the given passages (tokens, no vectors); refuses duplicate ids and passages of another
    document, which would leave the two retrievers disagreeing."""
    meta = meta_dict(meta)
    ids = [p.passage_id for p in passages]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise ValueError(f"Document {document_id}: duplicate passage ids {duplicates}; ids must be unique.")
    wrong = [p.passage_id for p in passages if p.document_id != document_id]
    if wrong:
        raise ValueError(f"Passages {wrong[:3]} belong to another document than {document_id}.")
    return DocumentEntries(document_id, lexical_entries(passages, meta), [indexed_text(p, meta) for p in passages])


def lexical_entries(passages: Sequence[Passage], meta: dict[str, Any]) -> list[LexicalEntry]:
    """The BM25 side of passages: each one's metadata and the tokens of the text both retrievers see."""
    return [LexicalEntry(p.passage_id, p.document_id, passage_metadata(p, meta), tokenize(indexed_text(p, meta)))
            for p in passages]


def document_entries(doc: IngestedDocument) -> DocumentEntries:
    """Entries of an ingested document: its narrative passages, then one passage per table row."""
    meta = index_meta(doc.meta.department, doc.meta.region, doc.meta.fiscal_year, doc.meta.kind, doc.file_name)
    return passage_entries(doc.document_id, doc.passages + table_row_passages(doc.document_id, meta, doc.facts),
                           meta)
