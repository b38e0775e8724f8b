"""QA latency benchmark: ms per question (p50/p95/max) over the evaluation set's questions, with the
whole corpus loaded, by route.

    python benchmarks/qa_latency.py [--data-dir DIR] [SET.jsonl]
    (without --data-dir the corpus is ingested into a fresh temporary store first)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from budgetqa.library import Library  # noqa: E402
from budgetqa.settings import Settings  # noqa: E402
from qa.chain import build_answerer  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("set", nargs="?", default=str(REPO / "eval" / "sets" / "budgetqa.jsonl"))
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    if args.data_dir is None:
        settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="budgetqa-qa-bench-")))
        corpus = REPO.parent / "shared" / "corpus"
        Library(settings).ingest([corpus / "shanghai", corpus / "jiangsu"])
    else:
        settings = Settings(data_dir=args.data_dir)
    answerer = build_answerer(settings)
    questions = [json.loads(line)["question"] for line in open(args.set, encoding="utf-8") if line.strip()]
    answerer.ask(questions[0])  # warm-up: loads the embedding model and the BM25 index
    by_route: dict[str, list[float]] = defaultdict(list)
    for question in questions:
        started = time.perf_counter()
        answer = answerer.ask(question)
        by_route[answer.route].append((time.perf_counter() - started) * 1000)
    every = [ms for values in by_route.values() for ms in values]
    print(f"questions: {len(every)}")
    print(f"{'route':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for route, values in sorted(by_route.items()) + [("all", every)]:
        print(f"{route:<10} {len(values):>4} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
              f"{max(values):8.1f}")


if __name__ == "__main__":
    main()
