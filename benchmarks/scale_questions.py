"""The question half of benchmarks/scale.py: 30 questions templated on the generated departments (one
table, one compute, one passage question for each of 10 departments spread over them), timed by route,
optionally under cProfile; and the note that lets a later run reuse a store kept with --store-dir.

    lines = ask_all(settings, questions(generated), generated[-1], profile=Path("q-N1000.prof"))
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from budgetqa.sample import SampleSpec

ASKED_DEPARTMENTS = 10  # three questions each (one per route): 30 questions

TABLE_QUESTIONS = ("{d}{y}年三公经费预算是多少？", "{d}{y}年行政运行支出是多少？", "{d}{y}年公务用车运行费是多少？",
                   "{d}{y}年机关运行经费预算是多少？", "{d}{y}年住房公积金是多少？")
COMPUTE_QUESTIONS = ("{d}{y}年公务接待费占三公经费的比例是多少？", "{d}{y}年基本支出占支出预算的比重是多少？",
                     "{d}{y}年机关运行经费比{d2}{y2}年多多少？")
PASSAGE_QUESTIONS = ("{d}{y}年的主要职能是什么？", "{d}{y}年机关运行经费主要用于什么？",
                     "{d}{y}年财政拨款收入支出减少的主要原因是什么？")


def questions(generated: list[SampleSpec]) -> list[str]:
    """30 questions, one per route for each of 10 departments spread over the generated ones."""
    step = max(1, len(generated) // ASKED_DEPARTMENTS)
    asked = generated[::step][:ASKED_DEPARTMENTS]
    out = []
    for number, spec in enumerate(asked):
        other = asked[(number + 1) % len(asked)]
        fill = {"d": spec.department, "y": spec.fiscal_year, "d2": other.department, "y2": other.fiscal_year}
        for templates in (TABLE_QUESTIONS, COMPUTE_QUESTIONS, PASSAGE_QUESTIONS):
            out.append(templates[number % len(templates)].format(**fill))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ask_all(settings, asked: list[str], warm_up: SampleSpec,  # type: ignore[no-untyped-def]
            profile: Path | None = None) -> list[str]:
    """p50/p95/max wall ms per route over `asked`, and p50/p95 of the CPU time this process spent on each
    question (on a shared machine the wall time also holds the time other processes had the core); with
    `profile`, the questions (not the warm-up) run under cProfile and its statistics are written there
    (read them with `python -m pstats`)."""
    import cProfile

    from qa.chain import build_answerer

    answerer = build_answerer(settings)
    for templates in (TABLE_QUESTIONS, COMPUTE_QUESTIONS, PASSAGE_QUESTIONS):  # loads models, BM25 matrix, tables
        answerer.ask(templates[0].format(d=warm_up.department, y=warm_up.fiscal_year, d2=warm_up.department,
                                         y2=warm_up.fiscal_year - 1))
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    found = 0
    profiler = cProfile.Profile() if profile else None
    for question in asked:
        if profiler:
            profiler.enable()
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = answerer.ask(question)
        wall[answer.route].append((time.perf_counter() - started) * 1000)
        cpu[answer.route].append((time.process_time() - started_cpu) * 1000)
        if profiler:
            profiler.disable()
        found += answer.found
    if profiler and profile:
        profiler.dump_stats(profile)
    wall["all"], cpu["all"] = [ms for r in sorted(wall) for ms in wall[r]], [ms for r in sorted(cpu) for ms in cpu[r]]
    lines = [f"questions: {len(asked)} ({found} answered)",
             f"  {'route':<8} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8} {'cpu p95':>8}"]
    for route in [*sorted(r for r in wall if r != "all"), "all"]:
        values, spent = wall[route], cpu[route]
        lines.append(f"  {route:<8} {len(values):>3} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
                     f"{max(values):8.1f} {statistics.median(spent):8.1f} {percentile(spent, 0.95):8.1f}")
    return lines


def kept_store(root: Path, count: int, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The settings of a complete store of `count` documents of this seed that an earlier run left in
    `root` (--store-dir), or None."""
    from budgetqa.settings import Settings

    marker = root / "store.json"
    if not marker.exists():
        return None
    kept = json.loads(marker.read_text(encoding="utf-8"))
    if (kept["count"], kept["seed"]) != (count, args.seed):
        raise SystemExit(f"{root} holds {kept['count']} documents of seed {kept['seed']}, not {count} of seed "
                         f"{args.seed}: give another --store-dir")
    return Settings(data_dir=Path(kept["data_dir"]), database_url=kept["database_url"],
                    chroma_host=kept["chroma_host"], chroma_port=kept["chroma_port"],
                    chroma_collection=kept["chroma_collection"])


def keep_store(root: Path, count: int, args: argparse.Namespace, settings) -> None:  # type: ignore[no-untyped-def]
    """Note in `root` that its store is complete, for the next run with the same --store-dir."""
    kept = {"count": count, "seed": args.seed, "data_dir": str(settings.data_dir), "database_url": settings.database_url,
            "chroma_host": settings.chroma_host, "chroma_port": settings.chroma_port,
            "chroma_collection": settings.chroma_collection}
    (root / "store.json").write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")
