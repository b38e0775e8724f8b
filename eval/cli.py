"""`budgetqa eval`: optionally ingest a folder into a fresh store, ask every question through the
same code path as `ask --json`, score, print and write the report (and the baseline beside it).

    code = run_eval_command(settings, Path("eval/sets/budgetqa.jsonl"), docs=Path("../shared/corpus"))
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from budgetqa.settings import Settings


def run_eval_command(settings: Settings, set_path: Path, docs: Path | None = None, report: Path | None = None,
                     baseline: bool = False, min_accuracy: float | None = None, limit: int | None = None) -> int:
    problem = check_set_file(set_path)
    if problem:
        print(f"budgetqa eval: {set_path}: {problem}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    from budgetqa.library import Library
    from eval.runner import format_summary, run_eval
    from qa.chain import build_answerer

    if docs is not None:
        settings = settings.model_copy(update={"data_dir": Path(tempfile.mkdtemp(prefix="budgetqa-eval-")),
                                               "database_url": None})
        results = Library(settings).ingest([docs])
        failed = [r for r in results if not r.ok]
        print(f"ingested {len(results) - len(failed)} of {len(results)} files into {settings.data_dir}", file=sys.stderr)
        for r in failed:
            print(f"  FAILED {r.error}", file=sys.stderr)
    answerer = build_answerer(settings)
    bar = tqdm(unit="q", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int, _result: object = None) -> None:
        bar.total = total
        bar.n = done + 1
        bar.refresh()

    result = run_eval(set_path, lambda q: answerer.ask(q).to_json(), report, min_accuracy=min_accuracy,
                      limit=limit, progress=progress)
    bar.close()
    print(format_summary(result))
    if baseline:
        from eval.baseline import format_comparison, run_baseline, write_baseline

        corpus = docs or _ingested_paths(settings)
        base = run_baseline(set_path, corpus, settings=settings, limit=limit)
        print(format_comparison(result, base))
        if report is not None:
            write_baseline(base, report, result)
    return 1 if result.below_min_accuracy else 0


def check_set_file(set_path: Path) -> str | None:
    """Why a file cannot be an evaluation set (missing, not JSON Lines, no question), or None."""
    import json

    if not set_path.is_file():
        return "no such file"
    try:
        lines = [line for line in set_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        return "not a UTF-8 text file (an evaluation set is JSON Lines, see ../shared/docs/eval-format.md)"
    if not lines:
        return "the set is empty (no question)"
    good = 0
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        good += isinstance(row, dict) and "question" in row and "answer" in row
    if not good:
        return "no line is a question object with 'question' and 'answer' (see ../shared/docs/eval-format.md)"
    return None


def _ingested_paths(settings: Settings) -> list[Path]:
    from index.store import Store

    return [Path(d.path) for d in Store(settings.resolved_database_url).documents() if Path(d.path).exists()]
