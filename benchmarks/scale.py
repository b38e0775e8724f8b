"""Scale benchmark: N fictional disclosures from the sample generator (budgetqa/sample.py; varied
regions, departments, years, figures and function-table layout, all from --seed) ingested into a
fresh store, at each size of --sizes. Per size it prints: generation time, a bare single-process
pdfplumber pass (text + tables) over the same files, ingest pages/s and docs/s, store sizes on disk,
the cost of Library.repair() and of its Chroma consistency probe, p50/p95 ms per question by route
over 30 questions templated on the generated departments, and peak RSS.

    python benchmarks/scale.py                       # --sizes 38,300 on SQLite + on-disk Chroma
    python benchmarks/scale.py --sizes 38,300,1000   # the full run
    python benchmarks/scale.py --sizes 38 --postgres # a tmp PostgreSQL server (tests/pg.py) as the store
    python benchmarks/scale.py --database-url postgresql+psycopg://… --chroma-host 127.0.0.1

Each size runs in its own child process (fresh imports, its own peak RSS). Generated files and stores
live in a tmp folder that is deleted afterwards (--keep keeps it). With --store-dir DIR they live in
DIR/N<size> and stay there; a later run with the same DIR, size and seed finds the store complete and
skips generation and ingest (ingest of 1,000 documents takes minutes), so the question half can be
measured or profiled again and again:

    python benchmarks/scale.py --sizes 1000 --store-dir /tmp/scale-stores                    # once: builds
    python benchmarks/scale.py --sizes 1000 --store-dir /tmp/scale-stores --profile /tmp/q   # questions only
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the reader processes of parallel ingest (and each size's child) import this checkout too, from any folder
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

from scale_questions import ask_all, keep_store, kept_store, questions

from budgetqa.sample import SampleSpec, write_sample_pdf

# fictional districts under real cities (a 区 after a listed city is read as a district by rule)
CITIES = ("上海市", "北京市", "江苏省苏州市", "浙江省杭州市")
DISTRICTS = ("示例区", "样本区", "演示区", "模拟区", "试点区", "星河区", "云岭区", "青禾区", "明湖区", "松涛区")
DEPARTMENTS = (  # department core name, what its 职能 section says it is responsible for
    ("示例局", "示例"), ("教育局", "教育"), ("司法局", "司法行政"), ("民政局", "民政"), ("财政局", "财政"),
    ("文化和旅游局", "文化旅游"), ("体育局", "体育"), ("统计局", "统计"), ("审计局", "审计"), ("商务委员会", "商务"),
    ("科学技术委员会", "科技"), ("卫生健康委员会", "卫生健康"), ("生态环境局", "生态环境"), ("水务局", "水务"),
    ("应急管理局", "应急管理"), ("退役军人事务局", "退役军人事务"), ("市场监督管理局", "市场监管"),
    ("人力资源和社会保障局", "人力资源和社会保障"), ("规划和自然资源局", "规划和自然资源"), ("医疗保障局", "医疗保障"),
    ("住房保障和房屋管理局", "住房保障"), ("农业农村委员会", "农业农村"), ("档案局", "档案"), ("信访办公室", "信访"),
    ("绿化和市容管理局", "绿化市容"),
)
YEARS = (2023, 2024, 2025, 2026)


def specs(count: int, seed: int) -> list[SampleSpec]:
    """`count` distinct disclosures (region, department, year), figures and layout drawn from `seed`."""
    rng = random.Random(seed)
    combos = list(itertools.product(CITIES, DISTRICTS, DEPARTMENTS, YEARS))
    if count > len(combos):
        raise SystemExit(f"at most {len(combos)} distinct disclosures can be generated, not {count}")
    rng.shuffle(combos)
    return [SampleSpec(region=city + district, core=core, duty=duty, fiscal_year=year, scale=rng.randint(5, 40),
                       codes_in_one_column=rng.random() < 0.5)
            for city, district, (core, duty), year in combos[:count]]


def folder_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def bare_pdfplumber(files: list[Path]) -> tuple[float, int]:
    """Seconds and pages of one plain pdfplumber pass: every page's text and tables, one process."""
    import pdfplumber

    pages = 0
    started = time.perf_counter()
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.extract_tables()
                page.close()  # as our reader does (and benchmarks/parallel_ingest.py's bare pass)
                pages += 1
    return time.perf_counter() - started, pages


def has_workers() -> bool:
    """Whether this checkout has parallel ingest (`budgetqa ingest --workers`, budgetqa/workers.py)."""
    from budgetqa import cli

    return "workers" in inspect.signature(cli.ingest).parameters


def descendants_peak_mb(stop: threading.Event, peaks: dict[int, float]) -> None:
    """Until `stop`: every 0.2 s, the peak RSS (VmHWM) of every process below this one, from /proc (the
    reader processes hang under a forkserver, so RUSAGE_CHILDREN never sees them)."""
    me = os.getpid()
    while not stop.wait(0.2):
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parents[int(stat.parent.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        for pid in parents:
            up = parents.get(pid)
            while up not in (None, 0, 1, me):
                up = parents.get(up)
            if up != me:
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            if found:
                peaks[pid] = max(peaks.get(pid, 0.0), int(found.group(1)) / 1024)


def worker_label(workers: int) -> str:
    return "0 workers (read in this process)" if workers == 0 else f"{workers} worker{'s' * (workers > 1)}"


def ingest(settings, files: list[Path], workers: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Ingest into a fresh store through Library.ingest, as `budgetqa ingest --workers N` does (0: read in
    this process); returns (seconds, documents stored). The embedding model is loaded before timing, as
    in benchmarks/ingest.py."""
    from budgetqa.library import Library

    library = Library(settings)
    library.passage_index.count()
    if has_workers():
        from budgetqa.workers import make_runner

        runner = make_runner(workers)
        stop, peaks = threading.Event(), {}  # type: ignore[var-annotated]
        watcher = threading.Thread(target=descendants_peak_mb, args=(stop, peaks), daemon=True)
        watcher.start()
        started = time.perf_counter()
        results = library.ingest(files, runner=runner)
        seconds = time.perf_counter() - started
        stop.set()
        watcher.join()
        stop_forkserver()
        if peaks:
            say(f"  peak RSS of the processes below this one (forkserver, readers): {', '.join(f'{mb:.0f}' for mb in sorted(peaks.values()))} MB")
        return seconds, sum(r.ok for r in results)
    else:  # an older checkout: one process only
        started = time.perf_counter()
        results = library.ingest(files)
    return time.perf_counter() - started, sum(r.ok for r in results)


def stop_forkserver() -> None:
    """Each worker count starts its readers as a fresh `budgetqa ingest --workers N` does: with a forkserver
    of its own (which loads the embedding model for readers that embed), not the one the count before left."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # CPython 3.8+; private
    if stop is not None:
        stop()


def identity_matches(settings, generated: list[SampleSpec]) -> int:  # type: ignore[no-untyped-def]
    from index.store import Store

    wanted = {(spec.department, spec.fiscal_year) for spec in generated}
    return sum((d.department, d.fiscal_year) in wanted for d in Store(settings.resolved_database_url).documents())


def store_sizes(settings) -> str:  # type: ignore[no-untyped-def]
    from index.store import Store

    parts = []
    if settings.database_url and settings.database_url.startswith("postgresql"):
        from sqlalchemy import text

        with Store(settings.database_url).engine.connect() as connection:
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        parts.append(f"PostgreSQL database {size / 2**20:.1f} MB")
    else:
        parts.append(f"SQLite {sum(folder_mb(p) for p in settings.data_dir.glob('budgetqa.db*')):.1f} MB")
    index = settings.index_dir
    chroma = "on the server" if settings.chroma_host else f"{folder_mb(index / 'chroma'):.1f} MB"
    lexical = folder_mb(index) - folder_mb(index / "chroma")
    return "   ".join(parts + [f"Chroma {chroma}", f"BM25 {lexical:.1f} MB"])


def measure_repair(settings) -> str:  # type: ignore[no-untyped-def]
    """Library.repair() on a consistent store, and its Chroma probe (dense_consistent) alone; median of 3."""
    from budgetqa.library import Library

    library = Library(settings)
    vectors = library.passage_index._chroma._collection.count()
    probe, whole = [], []
    for _ in range(3):
        started = time.perf_counter()
        assert library.passage_index.dense_consistent()
        probe.append(time.perf_counter() - started)
        started = time.perf_counter()
        library.repair()
        whole.append(time.perf_counter() - started)
    return (f"repair(): {statistics.median(whole) * 1000:8.1f} ms   of which Chroma probe (dense_consistent, "
            f"{vectors} vectors): {statistics.median(probe) * 1000:8.1f} ms")


def say(line: str) -> None:
    print(line, flush=True)  # the parent prints as it goes; a long size shows its progress


def ask_and_report(settings, generated: list[SampleSpec], args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    say(f"identity read as generated (department, year): {identity_matches(settings, generated)}/{len(generated)}")
    say(f"store on disk: {store_sizes(settings)}")
    say(measure_repair(settings))
    profile = Path(f"{args.profile}-N{len(generated)}.prof") if args.profile else None
    for line in ask_all(settings, questions(generated), generated[-1], profile):
        say(line)
    if profile:
        say(f"profile of the questions: {profile}")


def run_size(count: int, args: argparse.Namespace, root: Path) -> None:
    """Everything for one size, in this (child) process."""
    from budgetqa.settings import Settings

    generated = specs(count, args.seed)
    kept = kept_store(root, count, args) if args.store_dir else None
    if kept is not None:
        say(f"== N = {count}   store kept in {root} (seed {args.seed}): generation and ingest skipped")
        ask_and_report(kept, generated, args)
        return
    if args.store_dir:  # what an earlier run stopped during ingest left is built again from nothing
        shutil.rmtree(root)
        root.mkdir()
    docs = root / "docs"
    started = time.perf_counter()
    files = [write_sample_pdf(docs, spec) for spec in generated]
    made = time.perf_counter() - started
    say(f"== N = {count}   store: {'PostgreSQL' if args.database_url else 'SQLite'} + "
        f"{'Chroma server' if args.chroma_host else 'on-disk Chroma'}   seed {args.seed}")
    say(f"generate: {made:7.1f} s   {count / made:6.1f} docs/s   PDFs {folder_mb(docs):.2f} MB   "
        f"({sum(s.codes_in_one_column for s in generated)} with codes in one column)")
    bare, pages = bare_pdfplumber(files)
    say(f"bare pdfplumber (text + tables, 1 process): {bare:7.1f} s   {pages / bare:6.1f} pages/s   {pages} pages")
    settings = None
    urls = args.database_url.split(",") if args.database_url else [None] * len(args.workers)
    for workers, url in zip(args.workers, urls, strict=True):  # each worker count into a fresh store
        settings = Settings(data_dir=root / f"data-w{workers}", database_url=url,
                            chroma_host=args.chroma_host, chroma_port=args.chroma_port,
                            chroma_collection=f"scale_{count}_w{workers}_{uuid.uuid4().hex[:8]}")
        seconds, stored = ingest(settings, files, workers)
        say(f"ingest, {worker_label(workers)}: {seconds:7.1f} s   {pages / seconds:6.2f} pages/s   "
            f"{stored / seconds:5.2f} docs/s   {stored}/{count} stored   {bare / seconds:.2f}× the bare pass")
    assert settings is not None
    if args.store_dir:
        keep_store(root, count, args, settings)
    ask_and_report(settings, generated, args)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    say(f"peak RSS: {self_mb:.0f} MB (this process: generation, ingest writer, questions)   "
        f"{children_mb:.0f} MB (largest waited-for child)")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="38,300", help="comma-separated document counts (full run: 38,300,1000)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workers", default="1",
                        help="comma-separated reader process counts for ingest, as `budgetqa ingest --workers` (0: read in "
                             "this process); each count ingests into its own fresh store")
    parser.add_argument("--database-url", help="store URL (default: SQLite in the tmp folder)")
    parser.add_argument("--postgres", action="store_true", help="start a tmp PostgreSQL server (tests/pg.py) as the store")
    parser.add_argument("--chroma-host", help="Chroma server host (default: on-disk Chroma in the tmp folder)")
    parser.add_argument("--chroma-port", type=int, default=8000)
    parser.add_argument("--keep", action="store_true", help="keep the tmp folder (generated files and stores)")
    parser.add_argument("--store-dir", type=Path,
                        help="keep each size's files and stores in STORE_DIR/N<size>; a complete one there is reused "
                             "(generation and ingest skipped: only the questions run)")
    parser.add_argument("--profile", help="write cProfile statistics of the questions to PROFILE-N<size>.prof")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)  # the child process of one size
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.workers = [int(w) for w in str(args.workers).split(",")]
    if args.database_url and not args.one_size and len(args.workers) > 1:
        raise SystemExit("each worker count needs a fresh store: with --database-url measure one --workers count "
                         "at a time (or use --postgres, which makes a database for each)")
    if args.store_dir and args.postgres:
        raise SystemExit("--postgres makes a tmp server that is dropped afterwards: with --store-dir give "
                         "--database-url of a server that stays")
    return args


def main() -> None:
    args = parse()
    if args.one_size:
        run_size(args.one_size, args, args.root)
        return
    if args.workers != [1] and not has_workers():
        raise SystemExit("this checkout's `budgetqa ingest` has no --workers option: run with --workers 1")
    print(f"ingest workers measured: {','.join(map(str, args.workers))}"
          f"{'' if has_workers() else ' (budgetqa ingest has no --workers here: one process only)'}", flush=True)
    server = None
    if args.postgres:
        sys.path.insert(0, str(REPO / "tests"))
        from pg import PostgresServer  # type: ignore[import-not-found]

        server = PostgresServer.start()
    try:
        for count in [int(n) for n in args.sizes.split(",")]:
            if args.store_dir:
                root = args.store_dir.resolve() / f"N{count}"
                root.mkdir(parents=True, exist_ok=True)
            else:
                root = Path(tempfile.mkdtemp(prefix=f"budgetqa-scale-{count}-"))
            # one database per worker count: a second ingest into the first's database would find every
            # document stored and re-index them all in its repair (what the 2-worker runs on PostgreSQL timed
            # before session 7)
            url = ",".join(server.create_database("scale") for _ in args.workers) if server else args.database_url
            command = [sys.executable, __file__, "--one-size", str(count), "--root", str(root), "--seed",
                       str(args.seed), "--workers", ",".join(map(str, args.workers)), "--chroma-port", str(args.chroma_port)]
            command += ["--database-url", url] if url else []
            command += ["--chroma-host", args.chroma_host] if args.chroma_host else []
            command += ["--store-dir", str(args.store_dir)] if args.store_dir else []
            command += ["--profile", args.profile] if args.profile else []
            try:
                subprocess.run(command, check=True)
            finally:
                if server and url:
                    for one in url.split(","):
                        server.drop_database(one)
                if args.keep or args.store_dir:
                    print(f"kept: {root}")
                else:
                    shutil.rmtree(root, ignore_errors=True)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
