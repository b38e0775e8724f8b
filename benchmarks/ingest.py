"""Ingest benchmark: pages/s and peak memory for ingesting a corpus into a fresh data directory,
split into reading+analysis (build_document) and storing+indexing (both stores).

    python benchmarks/ingest.py [CORPUS_DIR ...]      # default: the whole ../shared/corpus
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from budgetqa.library import Library, collect_files  # noqa: E402
from budgetqa.settings import Settings  # noqa: E402
from ingest.pipeline import build_document  # noqa: E402


def main(args: list[str]) -> None:
    folders = [Path(a) for a in args] or [REPO.parent / "shared" / "corpus"]
    files = collect_files(folders)
    pages = 0
    started = time.perf_counter()
    for path in files:
        pages += build_document(path).page_count
    analysis = time.perf_counter() - started

    library = Library(Settings(data_dir=Path(tempfile.mkdtemp(prefix="budgetqa-bench-"))))
    library.passage_index.count()  # load the embedding model before timing
    started = time.perf_counter()
    results = library.ingest(files)
    full = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    docs = library.documents()
    print(f"files: {len(files)} ({sum(r.ok for r in results)} ingested)   pages: {pages}")
    checks = [f for _, f in library.store.findings()]
    rounding = sum(f.severity == "rounding" for f in checks)
    print(f"facts: {sum(d.fact_count for d in docs)}   passages: {sum(d.passage_count for d in docs)}   "
          f"findings: {len(checks) - rounding} (+ {rounding} rounding notes)")
    print(f"read + analyse (build_document): {analysis:6.1f} s   {pages / analysis:5.2f} pages/s")
    print(f"full ingest (both stores):       {full:6.1f} s   {pages / full:5.2f} pages/s")
    print(f"peak memory (RSS):               {peak_mb:6.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
