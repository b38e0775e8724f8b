"""Score the generic baseline (pdfplumber text → 500-char chunks → same embeddings → Chroma top-5)
on a known-answer set, and print hit@1 / hit@5 by kind.

    python benchmarks/eval_baseline.py [SET.jsonl] [--docs DIR] [--json OUT.json]

Defaults: eval/sets/budgetqa.jsonl over ../shared/corpus. `budgetqa eval --baseline` prints the
same figures next to the project's own accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.baseline import format_baseline, run_baseline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", nargs="?", default=str(ROOT / "eval" / "sets" / "budgetqa.jsonl"))
    parser.add_argument("--docs", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--json", dest="json_out", default=None, help="also write the per-question ranks here")
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--overlap", type=int, default=50)
    args = parser.parse_args()
    report = run_baseline(args.set, args.docs, chunk_size=args.chunk_size, overlap=args.overlap)
    print(format_baseline(report))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1),
                                       encoding="utf-8")


if __name__ == "__main__":
    main()
