"""Parallel ingest benchmark: pages/s of a whole ingest (read, analyse, both stores, embeddings) with the
files read in this process, by 1 and by 2 worker processes, against a bare single-process pdfplumber pass
(text + tables of every page) over the same PDFs, all in one run; peak memory of the writer and of each
worker.

    python benchmarks/parallel_ingest.py                      # the four Shanghai PDFs of ../shared/corpus
    python benchmarks/parallel_ingest.py ../shared/corpus     # every PDF of the corpus

Each ingest runs in a fresh process of its own (`--run N`) on a fresh SQLite + on-disk Chroma data
directory, so that its peak memory is its own. "seconds" times `Library.ingest` once the embedding
model and the jieba dictionary are loaded; "command" is the whole process (imports, model, pool start-up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# nothing of budgetqa is imported up here: every worker process imports this file again (as __mp_main__)

DEFAULT = REPO.parent / "shared" / "corpus" / "shanghai"
WORKER_COUNTS = (0, 1, 2)  # 0: read in the writing process, one file after the other


def pdfs(args: Sequence[str]) -> list[Path]:
    from budgetqa.library import collect_files

    return [p for p in collect_files([Path(a) for a in args] or [DEFAULT]) if p.suffix.lower() == ".pdf"]


def bare_pass(files: Sequence[Path]) -> tuple[int, float, float]:
    """What any PDF pipeline pays at least: pdfplumber's text and tables of every page, one process.
    Returns pages, seconds and CPU seconds."""
    import pdfplumber

    pages = 0
    started, cpu = time.perf_counter(), time.process_time()
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.extract_tables()
                page.close()  # as our reader does: free the page's cached objects
                pages += 1
    return pages, time.perf_counter() - started, time.process_time() - cpu


def run_one(workers: int, files: Sequence[Path]) -> dict:  # type: ignore[type-arg]
    """One ingest into a fresh data directory (this process is the writer); printed as JSON."""
    from budgetqa.library import Library
    from budgetqa.settings import Settings
    from budgetqa.workers import make_runner
    from ingest.pipeline import peak_memory_mb

    library = Library(Settings(data_dir=Path(tempfile.mkdtemp(prefix="budgetqa-bench-"))))
    from index.lexical import tokenize

    library.passage_index.embeddings.embed_query("预热")  # weights and dictionary load here, not in the timing
    tokenize("预热")
    started, cpu = time.perf_counter(), time.process_time()
    results = library.ingest(files, runner=make_runner(workers))
    seconds, writer_cpu = time.perf_counter() - started, time.process_time() - cpu
    reader_cpu = sum(r.read_cpu_seconds for r in results) if workers else 0.0  # else counted in the writer's
    readers: dict[str, float] = {}
    for result in results:
        readers[result.read_by] = max(readers.get(result.read_by, 0.0), result.reader_peak_mb)
    return {"seconds": seconds, "cpu": f"{writer_cpu:.1f} + {reader_cpu:.1f}", "ok": sum(r.ok for r in results), "files": len(results),
            "pages": sum(r.document.page_count for r in results if r.document), "writer_mb": peak_memory_mb(),
            "worker_mb": sorted(readers.values(), reverse=True) if workers else []}


def measure(workers: int, files: Sequence[Path]) -> dict:  # type: ignore[type-arg]
    started = time.perf_counter()
    run = subprocess.run([sys.executable, __file__, "--run", str(workers), *map(str, files)], capture_output=True,
                         text=True, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if run.returncode:
        raise SystemExit(f"--run {workers} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1]) | {"command": time.perf_counter() - started}


def main(args: list[str]) -> None:
    if args[:1] == ["--run"]:
        print(json.dumps(run_one(int(args[1]), [Path(a) for a in args[2:]])))
        return
    files = pdfs(args)
    load = f"{os.getloadavg()[0]:.2f}"  # other processes on the machine slow every pass alike, not equally
    for path in files:  # the same page cache for every pass
        path.read_bytes()
    pages, bare, bare_cpu = bare_pass(files)
    rows = [("bare pdfplumber pass (text + tables)", bare, {"cpu": f"{bare_cpu:.1f}"})]
    for workers in WORKER_COUNTS:
        result = measure(workers, files)
        assert result["ok"] == len(files) and result["pages"] == pages, result
        label = "ingest, read in the writer (--workers 0)" if workers == 0 else \
            f"ingest, {workers} worker process{'es' * (workers > 1)} (--workers {workers})"
        rows.append((label, result["seconds"], result))
    print(f"files: {len(files)} PDFs   pages: {pages}   load average before/after: {load} / "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'':42} {'seconds':>7} {'pages/s':>7} {'× bare':>6}  {'CPU s':>11}  {'command':>7}  "
          "peak MB: writer / per worker")
    for label, seconds, result in rows:
        memory, command = "", ""
        if "writer_mb" in result:
            workers = " / ".join(f"{mb:.0f}" for mb in result["worker_mb"]) or "-"
            memory = f"{result['writer_mb']:.0f} / {workers}"
            command = f"{result['command']:5.1f} s"
        print(f"{label:42} {seconds:7.1f} {pages / seconds:7.2f} {bare / seconds:5.2f}×  {result['cpu']:>11}  "
              f"{command:>7}  {memory}")
    print("CPU s: the writer's CPU time + the readers' (their start-up not counted; with --workers 0 the writer "
          "reads). On a busy machine wall times stretch, CPU times much less.")


if __name__ == "__main__":
    main(sys.argv[1:])
