"""Run a known-answer set through any answer function and report how it scored.

`answer_fn(question) -> dict` must be the code path of `budgetqa ask --json` (the CLI passes the
real QA chain), so that what is measured here is what users get:

    report = run_eval("eval/sets/budgetqa.jsonl", answer_fn, report_dir=Path("out"), min_accuracy=0.8)
    print(format_summary(report))
    raise SystemExit(1 if report.below_min_accuracy else 0)

Writes report_dir/report.json (a top-level "summary" and a "questions" list) and report_dir/report.md
(tables, a per-kind bar chart in text, and every failure with what was expected and what came back).
"""

from __future__ import annotations

import dataclasses
import json
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from eval.scoring import EvalItem, SetProblem, load_set, score_response

AnswerFn = Callable[[str], Mapping[str, Any]]
ProgressFn = Callable[[int, int, "QuestionResult"], None]


@dataclass
class QuestionResult:
    """One question, the full `ask --json` object that came back, and how it scored."""

    id: str
    question: str
    kind: str
    expected: dict[str, Any]
    expected_text: str
    evidence: list[dict[str, Any]]
    correct: bool
    cited_correctly: bool
    reason: str
    response: dict[str, Any]
    latency_ms: float
    error: str | None = None
    line_no: int = 0

    @property
    def answerable(self) -> bool:
        return "none" not in self.expected

    @property
    def answered(self) -> bool:
        """The system gave an answer (did not say "not found", did not fail)."""
        return self.error is None and self.response.get("found") is not False

    @property
    def wrong_number(self) -> bool:
        """The worst outcome: a number was given where the known answer is another number or none."""
        gave_number = self.answered and self.response.get("value") is not None
        return gave_number and not self.correct and ("value" in self.expected or "none" in self.expected)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class KindScore:
    """Accuracy over the questions of one `kind`."""

    kind: str
    n: int = 0
    correct: int = 0
    wrong_numbers: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def wrong_number_rate(self) -> float:
        return self.wrong_numbers / self.n if self.n else 0.0


@dataclass
class EvalSummary:
    """The figures the CLI prints and report.json stores under "summary"."""

    set_path: str
    n: int
    correct: int
    accuracy: float
    by_kind: dict[str, KindScore]
    # citations: at least one cited (document, page) is an evidence place
    citation_n: int  # answerable questions the system answered
    citation_correct: int
    citation_when_correct_n: int  # answerable questions answered correctly (the reference scorer's base)
    citation_when_correct: int
    refusal_n: int  # questions whose expected answer is none
    refusal_correct: int
    false_refusals: int  # answerable questions the system said it could not answer
    errors: int  # answer_fn raised
    wrong_numbers: int  # a number given where the known answer is another number or none
    p50_ms: float | None
    p95_ms: float | None
    mean_ms: float | None
    skipped_lines: int
    min_accuracy: float | None = None
    started_at: str = ""
    wall_s: float = 0.0

    @property
    def citation_accuracy(self) -> float:
        return self.citation_correct / self.citation_n if self.citation_n else 0.0

    @property
    def refusal_accuracy(self) -> float:
        return self.refusal_correct / self.refusal_n if self.refusal_n else 0.0

    @property
    def below_min_accuracy(self) -> bool:
        return self.min_accuracy is not None and self.accuracy < self.min_accuracy

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set_path, "n": self.n, "correct": self.correct, "accuracy": self.accuracy,
            "by_kind": {k: {"n": s.n, "correct": s.correct, "accuracy": s.accuracy,
                            "wrong_numbers": s.wrong_numbers, "wrong_number_rate": s.wrong_number_rate}
                        for k, s in self.by_kind.items()},
            "wrong_numbers": {"n": self.wrong_numbers, "rate": _ratio(self.wrong_numbers, self.n)},
            "citation": {"n": self.citation_n, "correct": self.citation_correct,
                         "accuracy": self.citation_accuracy,
                         "when_correct_n": self.citation_when_correct_n,
                         "when_correct": self.citation_when_correct,
                         "when_correct_accuracy": _ratio(self.citation_when_correct,
                                                         self.citation_when_correct_n)},
            "refusal": {"n": self.refusal_n, "correct": self.refusal_correct,
                        "accuracy": self.refusal_accuracy, "false_refusals": self.false_refusals},
            "errors": self.errors,
            "latency_ms": {"p50": self.p50_ms, "p95": self.p95_ms, "mean": self.mean_ms},
            "skipped_lines": self.skipped_lines,
            "min_accuracy": self.min_accuracy, "below_min_accuracy": self.below_min_accuracy,
            "started_at": self.started_at, "wall_s": self.wall_s,
        }


@dataclass
class EvalReport:
    """Everything one run produced; `below_min_accuracy` decides the CLI's exit code."""

    summary: EvalSummary
    questions: list[QuestionResult]
    problems: list[SetProblem] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)

    @property
    def failures(self) -> list[QuestionResult]:
        return [q for q in self.questions if not q.correct]

    @property
    def below_min_accuracy(self) -> bool:
        return self.summary.below_min_accuracy

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict(),
                "questions": [q.to_dict() for q in self.questions],
                "skipped_lines": [{"line": p.line_no, "message": p.message} for p in self.problems]}


# ---------------------------------------------------------------------------------------- running


def run_eval(
    set_path: str | Path,
    answer_fn: AnswerFn,
    report_dir: str | Path | None = None,
    *,
    min_accuracy: float | None = None,
    kinds: Sequence[str] | None = None,
    limit: int | None = None,
    progress: ProgressFn | None = None,
) -> EvalReport:
    """Ask every question of the set through `answer_fn`, score it, and optionally write the report.

    A question whose answer_fn raises is scored wrong (the error is kept in the report); malformed
    set lines are skipped and listed in `report.problems`. `kinds`/`limit` select a subset.
    """
    if min_accuracy is not None and not 0.0 <= min_accuracy <= 1.0:
        raise ValueError(f"min_accuracy must be between 0 and 1 (a fraction), got {min_accuracy}")
    eval_set = load_set(set_path)
    items = [it for it in eval_set.items if kinds is None or it.kind in kinds]
    items = items[:limit] if limit is not None else items
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    results = []
    for i, item in enumerate(items, start=1):
        result = ask_and_score(item, answer_fn)
        results.append(result)
        if progress is not None:
            progress(i, len(items), result)
    summary = summarize(results, eval_set.path, len(eval_set.problems), min_accuracy)
    summary.started_at, summary.wall_s = started_at, round(time.perf_counter() - t0, 3)
    report = EvalReport(summary, results, eval_set.problems)
    if report_dir is not None:
        report.report_files = write_report(report, report_dir)
    return report


def ask_and_score(item: EvalItem, answer_fn: AnswerFn) -> QuestionResult:
    """Ask one question, time it, and score the answer."""
    error = None
    t0 = time.perf_counter()
    try:
        response = as_plain_dict(answer_fn(item.question))
        measured_ms = (time.perf_counter() - t0) * 1000
    except Exception as exc:  # one failing question must not end the run: it is scored wrong
        measured_ms = (time.perf_counter() - t0) * 1000
        error = f"{type(exc).__name__}: {exc}"
        response = {"question": item.question, "answer": "", "found": None, "value": None,
                    "unit": None, "route": "error", "citations": [],
                    "error": error, "traceback": traceback.format_exc(limit=5)}
    reported = response.get("latency_ms")
    latency = float(reported) if isinstance(reported, int | float) and not isinstance(reported, bool) \
        else measured_ms
    verdict = score_response(item, None if error else response)
    return QuestionResult(
        id=item.id, question=item.question, kind=item.kind, expected=item.answer,
        expected_text=item.expected_text(),
        evidence=[{"document": e.document, "page": e.page} for e in item.evidence],
        correct=verdict.correct, cited_correctly=verdict.cited_correctly,
        reason=error or verdict.reason, response=response, latency_ms=round(latency, 3),
        error=error, line_no=item.line_no)


def as_plain_dict(response: Any) -> dict[str, Any]:
    """Accept a dict, a dataclass or a pydantic model from answer_fn; the scorer reads a dict."""
    if isinstance(response, Mapping):
        return dict(response)
    if dataclasses.is_dataclass(response) and not isinstance(response, type):
        return dataclasses.asdict(response)
    for method in ("to_dict", "model_dump"):
        if callable(getattr(response, method, None)):
            return dict(getattr(response, method)())
    raise TypeError(f"answer_fn must return the ask --json object (a dict), got {type(response).__name__}")


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile as the reference scorer computes it (index int(p * n), clamped)."""
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def summarize(results: Sequence[QuestionResult], set_path: str, skipped_lines: int = 0,
              min_accuracy: float | None = None) -> EvalSummary:
    """Aggregate per-question results into accuracy by kind, citations, refusals and latency."""
    by_kind: dict[str, KindScore] = {}
    for r in results:
        score = by_kind.setdefault(r.kind, KindScore(r.kind))
        score.n += 1
        score.correct += r.correct
        score.wrong_numbers += r.wrong_number
    answered = [r for r in results if r.answerable and r.answered]
    right = [r for r in results if r.answerable and r.correct]
    refusals = [r for r in results if not r.answerable]
    latencies = sorted(r.latency_ms for r in results)
    correct = sum(r.correct for r in results)
    return EvalSummary(
        set_path=set_path, n=len(results), correct=correct, accuracy=_ratio(correct, len(results)),
        by_kind=dict(sorted(by_kind.items())),
        citation_n=len(answered), citation_correct=sum(r.cited_correctly for r in answered),
        citation_when_correct_n=len(right), citation_when_correct=sum(r.cited_correctly for r in right),
        refusal_n=len(refusals), refusal_correct=sum(r.correct for r in refusals),
        false_refusals=sum(1 for r in results if r.answerable and r.error is None
                           and r.response.get("found") is False),
        errors=sum(1 for r in results if r.error is not None),
        wrong_numbers=sum(r.wrong_number for r in results),
        p50_ms=percentile(latencies, 0.5), p95_ms=percentile(latencies, 0.95),
        mean_ms=round(sum(latencies) / len(latencies), 3) if latencies else None,
        skipped_lines=skipped_lines, min_accuracy=min_accuracy)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


# ---------------------------------------------------------------------------------------- output


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() and "." not in str(obj) else float(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return str(obj)


def write_report(report: EvalReport, report_dir: str | Path) -> list[Path]:
    """Write report.json and report.md into report_dir (created if needed); returns their paths."""
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "report.json", folder / "report.md"
    json_path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, default=_json_default),
                         encoding="utf-8")
    md_path.write_text(format_markdown(report), encoding="utf-8")
    return [json_path, md_path]


def text_bar(fraction: float, width: int = 20) -> str:
    """A bar of `width` cells: text_bar(0.5, 10) == "█████░░░░░"."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def summary_rows(summary: EvalSummary) -> list[tuple[str, str]]:
    """(metric, value) pairs shared by the CLI table and the markdown report."""
    rows = [(f"accuracy · {k}", f"{_pct(s.accuracy)}  ({s.correct}/{s.n})   wrong numbers {s.wrong_numbers}")
            for k, s in summary.by_kind.items()]
    rows += [
        ("accuracy · overall", f"{_pct(summary.accuracy)}  ({summary.correct}/{summary.n})"),
        ("wrong numbers (overall)",
         f"{_pct(_ratio(summary.wrong_numbers, summary.n))}  ({summary.wrong_numbers}/{summary.n})"),
        ("citation correctness (answered)",
         f"{_pct(summary.citation_accuracy)}  ({summary.citation_correct}/{summary.citation_n})"),
        ("refusal correctness (none items)",
         f"{_pct(summary.refusal_accuracy)}  ({summary.refusal_correct}/{summary.refusal_n})"),
        ("false refusals (answerable)", str(summary.false_refusals)),
        ("latency p50 / p95", f"{_ms(summary.p50_ms)} / {_ms(summary.p95_ms)}"),
    ]
    if summary.errors:
        rows.append(("errors (answer_fn raised)", str(summary.errors)))
    if summary.skipped_lines:
        rows.append(("skipped malformed lines", str(summary.skipped_lines)))
    if summary.min_accuracy is not None:
        verdict = "FAIL" if summary.below_min_accuracy else "pass"
        rows.append(("min accuracy", f"{_pct(summary.min_accuracy)}  → {verdict}"))
    return rows


def describe_response(response: Mapping[str, Any]) -> str:
    """One line saying what the system answered: value and unit, or the text, or not found."""
    if response.get("error"):
        return f"error: {response['error']}"
    if response.get("found") is False:
        return "not found: " + _short(str(response.get("answer") or ""))
    if response.get("value") is not None:
        return f"{response.get('value')} {response.get('unit') or ''}".strip() + \
            f" — {_short(str(response.get('answer') or ''))}"
    return _short(str(response.get("answer") or ""))


def describe_citations(response: Mapping[str, Any]) -> str:
    cites = [c for c in response.get("citations") or [] if isinstance(c, Mapping)]
    return "; ".join(f"{c.get('document')} p.{c.get('page')}" for c in cites) or "(none)"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_summary(report: EvalReport, max_failures: int = 20) -> str:
    """The plain-text table the CLI prints: figures, per-kind bars, then the first failures."""
    summary = report.summary
    rows = summary_rows(summary)
    width = max(len(m) for m, _ in rows)
    lines = [f"Evaluation of {summary.set_path}: {summary.n} questions"]
    lines += [f"  {m.ljust(width)}  {v}" for m, v in rows]
    lines.append("")
    lines += [f"  {k.ljust(14)} {text_bar(s.accuracy)} {_pct(s.accuracy):>6}"
              for k, s in summary.by_kind.items()]
    for problem in report.problems:
        lines.append(f"  skipped {problem}")
    failures = report.failures
    if failures:
        lines.append(f"\nFailures ({len(failures)}):")
        for r in failures[:max_failures]:
            lines += [f"- [{r.kind}] {r.id}: {r.question}",
                      f"    expected: {r.expected_text}",
                      f"    got:      {describe_response(r.response)}",
                      f"    route: {r.response.get('route')}   citations: {describe_citations(r.response)}",
                      f"    why: {r.reason}"]
        if len(failures) > max_failures:
            lines.append(f"  … {len(failures) - max_failures} more in report.json")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(report: EvalReport) -> str:
    """The readable report: summary table, per-kind bar chart, failures, skipped lines."""
    s = report.summary
    out = [f"# Evaluation report — `{Path(s.set_path).name}`", "",
           f"{s.n} questions, run {s.started_at} in {s.wall_s:.1f} s.", "",
           "## Summary", "", "| metric | value |", "|---|---|"]
    out += [f"| {_md_cell(m)} | {_md_cell(v)} |" for m, v in summary_rows(s)]
    out += ["", "## Accuracy by kind", "", "```text"]
    out += [f"{k.ljust(14)} {text_bar(ks.accuracy, 30)} {_pct(ks.accuracy):>6}  ({ks.correct}/{ks.n})"
            for k, ks in s.by_kind.items()]
    out += [f"{'overall'.ljust(14)} {text_bar(s.accuracy, 30)} {_pct(s.accuracy):>6}  ({s.correct}/{s.n})",
            "```", ""]
    failures = report.failures
    out += [f"## Failures ({len(failures)})", ""]
    if not failures:
        out.append("None.")
    for r in failures:
        out += [f"### `{r.id}` ({r.kind})", "", f"- question: {r.question}",
                f"- expected: {r.expected_text}",
                f"- got: {_md_cell(describe_response(r.response))}",
                f"- route: `{r.response.get('route')}`; citations: {describe_citations(r.response)}",
                "- evidence: " + ("; ".join(f"{e['document']} p.{e['page']}" for e in r.evidence) or "-"),
                f"- why: {_md_cell(r.reason)}", ""]
    if report.problems:
        out += ["## Skipped set lines", ""] + [f"- {p}" for p in report.problems] + [""]
    return "\n".join(out)
