"""Passage metadata and filters, shared by both retrievers: what is stored beside each passage (its
document's department, region, year, kind and file; its section path), which passages the dense
retriever holds (`embedded`), the Chroma `where` clause and the same test for BM25 entries, and the
scope words (department names, years) a query drops before matching, since the filter already applies them.

    where = chroma_where({"department": ["普陀区司法局"], "fiscal_year": 2026})
    embedded("narrative"), embedded("table_row")     # True, False: table rows are in BM25 only
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from budgetqa.models import DocumentMeta, Passage
from index.lexical import normalize

SECTION_SEP = " > "
MAX_SECTION_LEVELS = 6
META_KEYS = ("department", "region", "fiscal_year", "kind", "file_name")
FILTER_KEYS = ("department", "region", "fiscal_year", "kind", "file_name", "document_id", "passage_kind",
               "section_path")
_SPACES = re.compile(r"\s+")

# The passage kinds that are embedded and stored in Chroma; every kind goes to BM25. Table rows are not
# embedded: the QA chain asks the vector index for narrative passages only (qa/passages.py), a table
# question is answered from the facts store, and a row is found by its words (codes, labels, amounts),
# which BM25 matches. Embedding the corpus's ~4,300 rows cost 5.2 s of its 8.6 s of embedding.
EMBEDDED_KINDS = ("narrative",)


def embedded(passage_kind: str) -> bool:
    """Whether passages of this kind are embedded (dense + BM25) rather than searched by words only."""
    return passage_kind in EMBEDDED_KINDS


def meta_dict(meta: DocumentMeta | dict[str, Any], file_name: str | None = None) -> dict[str, Any]:
    """Document metadata as the index keeps it (accepts the ingest `DocumentMeta` or a plain dict)."""
    if isinstance(meta, DocumentMeta):
        out: dict[str, Any] = {"department": meta.department, "region": meta.region,
                               "fiscal_year": meta.fiscal_year, "kind": meta.kind}
    else:
        out = {key: meta.get(key) for key in META_KEYS}
    if file_name is not None:
        out["file_name"] = file_name
    out.setdefault("file_name", None)
    return out


def passage_metadata(passage: Passage, meta: dict[str, Any]) -> dict[str, Any]:
    """Flat, None-free metadata for one passage (Chroma accepts only str/int/float/bool values)."""
    md: dict[str, Any] = {
        "passage_id": passage.passage_id,
        "document_id": passage.document_id,
        "passage_kind": passage.kind,
        "section_path": SECTION_SEP.join(passage.section_path),
        "section_depth": len(passage.section_path),
        "page_start": passage.page_start,
        "page_end": passage.page_end,
        "char_start": passage.char_start,
        "char_end": passage.char_end,
        "text": passage.text,
    }
    for level in range(1, min(len(passage.section_path), MAX_SECTION_LEVELS) + 1):
        md[f"section_{level}"] = SECTION_SEP.join(passage.section_path[:level])
    md.update({k: v for k, v in meta.items() if v is not None})
    return md


def indexed_text(passage: Passage, meta: dict[str, Any]) -> str:
    """What the retrievers see: year, department, section path, then the passage text."""
    head = [f"{meta['fiscal_year']}年" if meta.get("fiscal_year") else "", meta.get("department") or ""]
    if passage.kind != "table_row":  # table rows already start with year, department and table title
        head += list(passage.section_path)
    else:
        head = []
    return " ".join([h for h in head if h] + [passage.text])


def _section_prefix(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(SECTION_SEP.strip()) if p.strip())
    return tuple(value)


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def chroma_where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Translate index filters into a Chroma `where` clause (None when nothing to filter)."""
    clauses: list[dict[str, Any]] = []
    for key, value in (filters or {}).items():
        if value is None:
            continue
        if key not in FILTER_KEYS:
            raise ValueError(f"Unknown passage filter {key!r}; use one of {', '.join(FILTER_KEYS)}.")
        if key == "section_path":
            prefix = _section_prefix(value)
            if not prefix:
                continue
            if len(prefix) > MAX_SECTION_LEVELS:
                raise ValueError(f"section_path filters go at most {MAX_SECTION_LEVELS} levels deep.")
            clauses.append({f"section_{len(prefix)}": SECTION_SEP.join(prefix)})
            continue
        values = as_list(value)
        clauses.append({key: values[0]} if len(values) == 1 else {key: {"$in": values}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def dense_filters(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """`filters` as the dense retriever applies them: limited to the embedded passage kinds, so that an
    index written when table rows were embedded too ranks what a new one ranks; None when the filters
    allow no embedded kind (a search for table rows only: BM25 finds them)."""
    filters = dict(filters or {})
    asked = filters.get("passage_kind")
    kinds = [k for k in (EMBEDDED_KINDS if asked is None else as_list(asked)) if embedded(k)]
    if not kinds:
        return None
    filters["passage_kind"] = kinds[0] if len(kinds) == 1 else kinds
    return filters


def strip_scope(query: str, departments: Sequence[str] = (), years: Sequence[int] = ()) -> str:
    """The question without the department and year that the filters already pin down.

    Under a department filter every candidate passage belongs to that department, so its name only
    rewards passages that repeat it (captions, the 机构设置 paragraph); likewise the fiscal year.
    Removed: the leftmost run of 2+ characters that occurs in a department name and any other such
    run of 4+ characters, and the first "<year>年" of each year.
    """
    text = normalize(query)
    names = [normalize(d) for d in departments if d]
    if names:
        text = _drop_name_runs(text, names)
    for year in years:
        text = re.sub(rf"{year}\s*年?度?", " ", text, count=1)
    return _SPACES.sub(" ", text).strip() or normalize(query)


def _drop_name_runs(text: str, names: list[str]) -> str:
    out, i, first = [], 0, True
    while i < len(text):
        j = i + 1
        while j <= len(text) and any(text[i:j] in name for name in names):
            j += 1
        run = j - 1 - i  # longest run starting at i that is inside a name
        if run >= 4 or (run >= 2 and first):
            first = False
            out.append(" ")
            i += run
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def metadata_matches(md: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    """The same filter semantics as `chroma_where`, evaluated on one passage's metadata."""
    for key, value in (filters or {}).items():
        if value is None:
            continue
        if key == "section_path":
            prefix = _section_prefix(value)
            if prefix and md.get(f"section_{len(prefix)}") != SECTION_SEP.join(prefix):
                return False
        elif md.get(key) not in as_list(value):
            return False
    return True
