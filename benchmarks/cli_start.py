"""Command-line start-up benchmark: wall time of `budgetqa ask … --json` as a fresh process (the way a
user or a shell script runs it), p50/p95/max over N runs per route, the CPU time (user + sys) of those
processes, and the import time of budgetqa.cli. On a shared machine wall time grows with the load
(printed at the end); CPU time is what the process itself costs.

    python benchmarks/cli_start.py --data-dir <store> [-n 10] [--command budgetqa]
    (without --data-dir two Shanghai documents are ingested into a temporary store first)

Every process starts cold: nothing is shared between runs but the operating system's file cache.
The checkout this script lies in comes first on PYTHONPATH, so the code measured is this checkout's.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
QUESTIONS = {  # route -> a question of that route
    "table": "区政府办2025年三公经费是多少？",
    "passage": "区政府办的主要职能有哪些？",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def child_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "BUDGETQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one process, and its stdout; a failing run stops the benchmark."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, _children_cpu() - cpu, done.stdout


def import_ms(env: dict[str, str]) -> float:
    """Cumulative import time of budgetqa.cli as `python -X importtime` reports it, in ms."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import budgetqa.cli"], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    line = next(line for line in reversed(done.stderr.splitlines())
                if line.rstrip().endswith("| budgetqa.cli"))
    return int(re.split(r"\s*\|\s*", line)[1]) / 1000


def make_store() -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix="budgetqa-cli-bench-"))
    files = [CORPUS / "shanghai" / "普陀区人民政府办公室2025年部门预算.pdf",
             CORPUS / "shanghai" / "上海市金融服务办公室2018年部门预算.txt"]
    timed_run([sys.executable, "-m", "budgetqa.cli", "ingest", *map(str, files)], child_env(data_dir))
    return data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path,
                        help="A store with documents (default: two ingested into a tmp dir).")
    parser.add_argument("-n", "--runs", type=int, default=10, help="Processes per route.")
    parser.add_argument("--command", default="budgetqa",
                        help="How budgetqa is started (default: the `budgetqa` script on PATH, "
                             "else python -m).")
    args = parser.parse_args()
    data_dir = args.data_dir or make_store()
    env = child_env(data_dir)
    found = shutil.which(args.command)
    command = [found] if found else [sys.executable, "-m", "budgetqa.cli"]
    documents = timed_run([*command, "documents", "--json"], env)[2].count('"document_id"')
    print(f"command: {shlex.join(command)} ask QUESTION --json   store: {documents} documents   "
          f"runs: {args.runs}"
          f"   PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')}")
    print(f"{'route':<8} {'wall p50 s':>10} {'p95 s':>6} {'max s':>6} {'cpu p50 s':>10}  question")
    for route, question in QUESTIONS.items():
        runs = [timed_run([*command, "ask", question, "--json"], env) for _ in range(args.runs)]
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(f"{route:<8} {statistics.median(walls):10.2f} {percentile(walls, 0.95):6.2f} {max(walls):6.2f} "
              f"{statistics.median(cpus):10.2f}  {question}")
    imports = [import_ms(env) for _ in range(args.runs)]
    print(f"import budgetqa.cli (python -X importtime): p50 {statistics.median(imports):.0f} ms, "
          f"p95 {percentile(imports, 0.95):.0f} ms")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
