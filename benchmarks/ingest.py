"""Ingest benchmark: where the seconds of an ingest go, stage by stage, in one process, against a bare
pdfplumber pass (text + tables of every page) over the same files; then a whole ingest into a fresh data
directory (`Library.ingest`, read in this process) with its pages/s and peak memory.

    python benchmarks/ingest.py [CORPUS_DIR_OR_FILE ...]      # default: the whole ../shared/corpus

Stages (CPU seconds of this process, each file through the same functions an ingest calls, stores written
in a fresh tmp data directory): parse = the reader (`ingest.pipeline.read_document`: pdfplumber and the
grid/line analysis of `ingest/pdf_*.py`), analysis = the rest of `build_document` (metadata, passages,
facts, checks), entries = passages for the index and their BM25 tokens (`index.entries.document_entries`),
embed = their vectors (the configured model), pickle = a worker's result sent to the writer and read back,
SQL = `Store.save` + `mark_indexed`, Chroma = the vectors and metadata added (grouped as `Library.ingest` groups
them), BM25 = the shard and manifest.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import ingest.pipeline  # noqa: E402
from budgetqa.library import Library, collect_files, group_is_full  # noqa: E402
from budgetqa.settings import Settings  # noqa: E402
from index.embeddings import process_embeddings  # noqa: E402
from index.entries import document_entries  # noqa: E402
from index.lexical import tokenize  # noqa: E402
from ingest.pipeline import FileOutcome, build_document, peak_memory_mb  # noqa: E402

STAGES = ("parse", "analysis", "entries", "embed", "pickle", "SQL", "Chroma", "BM25")


def bare_pass(files: list[Path]) -> float:
    """CPU seconds of pdfplumber's text and tables of every page of the PDFs, one process."""
    import pdfplumber

    started = time.process_time()
    for path in files:
        if path.suffix.lower() == ".pdf":
            with pdfplumber.open(path) as pdf:
                for page in pdf.pages:
                    page.extract_text()
                    page.extract_tables()
                    page.close()
    return time.process_time() - started


def stages(files: list[Path], settings: Settings) -> tuple[dict[str, float], int, int]:
    """CPU seconds per stage over all files, pages, passages indexed."""
    library = Library(settings)
    index = library.passage_index
    embeddings = process_embeddings(settings)
    embeddings.embed_query("预热")
    tokenize("预热")
    spent: dict[str, float] = defaultdict(float)
    pages = passages = 0
    collection = index._chroma._collection
    waiting: list = []  # type: ignore[type-arg]

    def timed(stage: str, step):  # type: ignore[no-untyped-def]
        started = time.process_time()
        result = step()
        spent[stage] += time.process_time() - started
        return result

    read_document = ingest.pipeline.read_document
    ingest.pipeline.read_document = lambda *args: timed("parse", lambda: read_document(*args))  # timed inside
    for path in files:
        started = time.process_time()
        doc = build_document(path, settings)  # its time minus the parse timed inside it is analysis
        spent["analysis"] += time.process_time() - started
        entries = timed("entries", lambda: document_entries(doc))  # noqa: B023
        timed("embed", lambda: entries.embed(embeddings))  # noqa: B023
        outcome = FileOutcome(path, doc, None, 0.0, 0.0, "", 0.0, entries)
        timed("pickle", lambda: pickle.loads(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)))  # noqa: B023
        timed("SQL", lambda: library.store.save(doc))  # noqa: B023
        timed("BM25", lambda: index._lexical.replace_document(doc.document_id, entries.lexical))  # noqa: B023
        waiting.append(entries)
        if group_is_full(waiting) or path == files[-1]:  # as Library.ingest groups
            timed("Chroma", lambda: collection.upsert(ids=[i for e in waiting for i in e.dense_ids],  # noqa: B023
                                                      embeddings=np.concatenate([e.vectors for e in waiting]),  # noqa: B023
                                                      metadatas=[m for e in waiting for m in e.dense_metadatas]))  # noqa: B023
            timed("SQL", lambda: library.store.mark_indexed(*(e.document_id for e in waiting)))  # noqa: B023
            waiting = []
        pages += doc.page_count
        passages += len(entries.ids)
    spent["analysis"] -= spent["parse"]
    return spent, pages, passages


def main(args: list[str]) -> None:
    files = collect_files([Path(a) for a in args] or [REPO.parent / "shared" / "corpus"])
    load = os.getloadavg()[0]
    bare = bare_pass(files)
    spent, pages, passages = stages(files, Settings(data_dir=Path(tempfile.mkdtemp(prefix="budgetqa-stages-"))))
    total = sum(spent.values())
    print(f"files: {len(files)}   pages: {pages}   passages indexed: {passages}   load average {load:.2f}")
    print(f"bare pdfplumber pass (text + tables, PDFs only): {bare:6.1f} CPU s")
    print(f"{'stage':<9} {'CPU s':>6} {'share':>6} {'× bare':>7}")
    for stage in STAGES:
        print(f"{stage:<9} {spent[stage]:6.2f} {spent[stage] / total:6.1%} {spent[stage] / bare:6.2f}×")
    print(f"{'all':<9} {total:6.2f} {1:6.1%} {total / bare:6.2f}×")

    library = Library(Settings(data_dir=Path(tempfile.mkdtemp(prefix="budgetqa-bench-"))))
    library.passage_index.embeddings.embed_query("预热")  # the model loads before timing
    tokenize("预热")
    started = time.perf_counter()
    results = library.ingest(files)
    full = time.perf_counter() - started
    docs = library.documents()
    checks = [f for _, f in library.store.findings()]
    rounding = sum(f.severity == "rounding" for f in checks)
    print(f"full ingest (both stores, read in this process): {full:6.1f} s   {pages / full:5.2f} pages/s   "
          f"{sum(r.ok for r in results)}/{len(files)} ingested")
    print(f"facts: {sum(d.fact_count for d in docs)}   passages: {sum(d.passage_count for d in docs)}   "
          f"findings: {len(checks) - rounding} (+ {rounding} rounding notes)   peak memory (RSS): "
          f"{peak_memory_mb():.0f} MB   load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
