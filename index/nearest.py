"""Nearest passages among a few, ranked here instead of by the vector index's graph search.

A question is asked about one or two documents: the filter leaves a few dozen passages of a library of
thousands of documents. Chroma's HNSW search with such a filter keeps walking the graph until it has
seen `ef_search` allowed passages or nothing is left, so with fewer allowed passages than that it walks
the whole graph: exact, but its time grows with the library. Reading those few vectors by id and
ranking them by cosine distance gives the same list in time that grows with the few only, except where
two distances are so close that float32 rounding may order them either way (a text printed twice in a
document, embedded in two batches): then the index's own search is asked, as before.

    ids = few_enough(collection, allowed_ids)      # None: more than the search visits; ask Chroma
    found = nearest_among(collection, embedding, ids, depth=40)    # None: a near-tie; ask Chroma
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_EF_SEARCH = 100  # Chroma's default search breadth
# closer distances may come in either order: float32 sums over 512 dimensions differ by ~1e-7 between
# implementations, and vectors of one text embedded in two batches by about as much
NEAR_TIE = 1e-5


def few_enough(collection: Any, ids: list[str]) -> list[str] | None:
    """`ids` when the collection's own search would visit every one of them (cosine space, no more than
    its `ef_search`), so that ranking them here gives its very answer; else None."""
    hnsw = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
    if hnsw.get("space", "cosine") != "cosine":
        return None
    return ids if len(ids) <= int(hnsw.get("ef_search") or DEFAULT_EF_SEARCH) else None


def nearest_among(collection: Any, embedding: list[float], ids: list[str], depth: int) -> list[dict[str, Any]] | None:
    """The metadata of the `depth` passages of `ids` nearest to `embedding` (cosine distance), nearest
    first; None when two of them (or the last and the next one) lie closer than `NEAR_TIE`."""
    if not ids:
        return []
    got = collection.get(ids=ids, include=["embeddings", "metadatas"])
    if not got["ids"]:
        return []
    vectors = np.asarray(got["embeddings"], dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = np.asarray(embedding, dtype=np.float64)
    distances = 1 - vectors @ (query / np.linalg.norm(query))
    order = np.argsort(distances, kind="stable")
    if len(order) > 1 and np.diff(distances[order[:depth + 1]]).min() < NEAR_TIE:
        return None
    return [got["metadatas"][i] for i in order[:depth]]
