"""QA latency benchmark: ms per question (p50/p95/max wall, p50/p95 CPU of this process) over the
evaluation set's questions, with the whole corpus loaded, by route.

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

from budgetqa.library import Library
from budgetqa.settings import Settings
from qa.chain import build_answerer


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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
    lines = Path(args.set).read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    answerer.ask(questions[0])  # warm-up: loads the embedding model and the BM25 index
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)  # this process's CPU time: what other processes took is not in it
    for question in questions:
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = answerer.ask(question)
        wall[answer.route].append((time.perf_counter() - started) * 1000)
        cpu[answer.route].append((time.process_time() - started_cpu) * 1000)
    routes = sorted(wall)
    wall["all"], cpu["all"] = [ms for r in routes for ms in wall[r]], [ms for r in routes for ms in cpu[r]]
    print(f"questions: {len(wall['all'])}")
    print(f"{'route':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8} {'cpu p95':>8}")
    for route in [*routes, "all"]:
        values, spent = wall[route], cpu[route]
        print(f"{route:<10} {len(values):>4} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
              f"{max(values):8.1f} {statistics.median(spent):8.1f} {percentile(spent, 0.95):8.1f}")


if __name__ == "__main__":
    main()
