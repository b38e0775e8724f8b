"""The evaluation runner: scorer agrees with the reference scorer, bad set lines are reported,
reports are written, and the generic baseline finds a known value in a real document."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from eval.baseline import (
    chunk_holds_answer,
    chunk_text,
    format_baseline,
    format_comparison,
    run_baseline,
    value_spellings,
    write_baseline,
)
from eval.runner import format_summary, run_eval, text_bar
from eval.scoring import load_set, parse_line, score_response

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
REFERENCE = SHARED / "tools" / "score_reference.py"
ZFB = "普陀区人民政府办公室2025年部门预算.pdf"

# (answer as written in the set, the ask --json response, whether it must score correct).
# Answers are raw JSON text so that written trailing zeros (867.50) reach the decimal parser.
CASES: list[tuple[str, dict[str, Any], bool]] = [
    ('{"value": 867.50, "unit": "万元"}', {"value": 867.5, "unit": "万元"}, True),
    ('{"value": 867.50, "unit": "万元"}', {"value": "8,675,000.00", "unit": "元"}, True),
    ('{"value": 867.50, "unit": "万元"}', {"value": 867.504, "unit": "万元"}, True),
    ('{"value": 867.50, "unit": "万元"}', {"value": 867.506, "unit": "万元"}, False),
    ('{"value": 867.50, "unit": "万元"}', {"value": 0.0867, "unit": "亿元"}, False),
    ('{"value": 867.50, "unit": "万元"}', {"value": 0.08675, "unit": "亿元"}, True),
    ('{"value": 867.50, "unit": "万元"}', {"value": 867.5, "unit": None}, False),
    ('{"value": 867.50, "unit": "万元"}', {"value": 867.5, "unit": " 万元 "}, True),
    ('{"value": 867.50, "unit": "万元"}', {"value": 867.5, "unit": "万元", "found": False}, False),
    ('{"value": 867.50, "unit": "万元"}', {"value": None, "unit": None, "answer": "867.50万元"}, False),
    ('{"value": 867.5, "unit": "万元"}', {"value": 867.54, "unit": "万元"}, True),
    ('{"value": 867.5, "unit": "万元"}', {"value": 867.56, "unit": "万元"}, False),
    ('{"value": 91016775.35, "unit": "元"}', {"value": 9101.68, "unit": "万元"}, False),
    ('{"value": 91016775.35, "unit": "元"}', {"value": "91,016,775.35", "unit": "元"}, True),
    ('{"value": 91016775.35, "unit": "元"}', {"value": 91016775.35, "unit": "元"}, True),
    ('{"value": 1.2, "unit": "亿元"}', {"value": 120000000, "unit": "元"}, True),
    ('{"value": 1.2, "unit": "亿元"}', {"value": 12000, "unit": "万元"}, True),
    ('{"value": 1.2, "unit": "亿元"}', {"value": 1.26, "unit": "亿元"}, False),
    ('{"value": 12.5, "unit": "%"}', {"value": 12.5, "unit": "％"}, True),
    ('{"value": 12.5, "unit": "%"}', {"value": 12.5, "unit": "%"}, True),
    ('{"value": 12.5, "unit": "%"}', {"value": 0.125, "unit": ""}, False),
    ('{"value": 12.5, "unit": "%"}', {"value": 12.5, "unit": "个"}, False),
    ('{"value": 3, "unit": "辆"}', {"value": 3, "unit": "辆"}, True),
    ('{"value": 3, "unit": "辆"}', {"value": 3.4, "unit": "辆"}, True),
    ('{"value": 3, "unit": "辆"}', {"value": 3.6, "unit": "辆"}, False),
    ('{"value": 3, "unit": "辆"}', {"value": 3, "unit": "个"}, False),
    ('{"value": 0.00, "unit": "元"}', {"value": 0, "unit": "元"}, True),
    ('{"value": 0.00, "unit": "元"}', {"value": "n/a", "unit": "元"}, False),
    ('{"contains": ["组织起草", "区政府"]}', {"answer": "主要职能：组织 起草文件，服务区\n政府。"}, True),
    ('{"contains": ["组织起草", "区政府"]}', {"answer": "主要职能：组织起草文件。"}, False),
    ('{"contains": ["ABC123(一)"]}', {"answer": "见ＡＢＣ１２３（一）项"}, True),
    ('{"contains": ["ＡＢＣ１２３"]}', {"answer": "ABC 123"}, True),
    ('{"contains": ["组织起草"]}', {"answer": "组织起草", "found": False}, False),
    ('{"contains": ["组织起草"]}', {"answer": None}, False),
    ('{"none": true}', {"found": False, "value": None, "answer": "文件中没有说明。"}, True),
    ('{"none": true}', {"found": False, "value": "", "answer": "没有"}, True),
    ('{"none": true}', {"found": False, "value": 0, "unit": "元"}, False),
    ('{"none": true}', {"found": True, "value": None, "answer": "大概是零"}, False),
    ('{"none": true}', {"value": None, "answer": "found missing"}, False),
    ('{"none": true}', {"found": False, "value": 5, "unit": "元"}, False),
]

# citations given with each case, cycling: on the evidence page, on another page, page as text, none
CITATIONS: list[list[dict[str, Any]]] = [
    [{"document": ZFB, "page": 20, "snippet": "867.50"}],
    [{"document": ZFB, "page": 3}],
    [{"document": ZFB, "page": "20"}, {"document": None, "page": "x"}],
    [],
]


def write_case_files(tmp_path: Path) -> tuple[Path, Path, dict[str, dict[str, Any]]]:
    """The set (with kinds) and an answers file (ask --json objects with ids) for CASES."""
    set_lines, answers, by_question = [], [], {}
    for i, (answer, response, _) in enumerate(CASES):
        kind = "unanswerable" if "none" in answer else "narrative" if "contains" in answer else "lookup"
        question = f"问题{i}：区政府办2025年的某个数字是多少？"
        evidence = "" if kind == "unanswerable" else f', "evidence": [{{"document": "{ZFB}", "page": 20}}]'
        set_lines.append(f'{{"id": "q{i}", "question": "{question}", "answer": {answer}{evidence}, '
                         f'"kind": "{kind}"}}')
        full = {"question": question, "answer": "", "found": True, "value": None, "unit": None,
                "route": "table", "citations": CITATIONS[i % len(CITATIONS)], "latency_ms": float(i % 7 + 1),
                "extra": {"kept": i}}
        full.update(response)
        answers.append(json.dumps({"id": f"q{i}", **full}, ensure_ascii=False))
        by_question[question] = full
    set_path, answers_path = tmp_path / "set.jsonl", tmp_path / "answers.jsonl"
    set_path.write_text("\n".join(set_lines) + "\n", encoding="utf-8")
    answers_path.write_text("\n".join(answers) + "\n", encoding="utf-8")
    return set_path, answers_path, by_question


def run_reference(set_path: Path, answers_path: Path, out: Path) -> dict[str, Any]:
    subprocess.run([sys.executable, str(REFERENCE), str(set_path), str(answers_path), "--json", str(out)],
                   check=True, capture_output=True, text=True)
    return json.loads(out.read_text(encoding="utf-8"))


def test_scorer_agrees_with_reference_on_every_question(tmp_path: Path) -> None:
    set_path, answers_path, by_question = write_case_files(tmp_path)
    reference = run_reference(set_path, answers_path, tmp_path / "ref.json")
    report = run_eval(set_path, lambda q: by_question[q])

    ours = {q.id: q.correct for q in report.questions}
    theirs = {row["id"]: row["ok"] for row in reference["rows"]}
    assert len(ours) == len(CASES) and ours == theirs
    # and both match what the format says each crafted answer deserves
    assert ours == {f"q{i}": want for i, (_, _, want) in enumerate(CASES)}

    ref, s = reference["summary"], report.summary
    assert s.accuracy == pytest.approx(ref["overall"])
    assert {k: v.accuracy for k, v in s.by_kind.items()} == pytest.approx(ref["by_kind"])
    assert s.citation_when_correct / s.citation_when_correct_n == pytest.approx(ref["citation"])
    assert (s.p50_ms, s.p95_ms) == (ref["p50_ms"], ref["p95_ms"])


def test_citation_correct_when_one_cited_page_is_evidence(tmp_path: Path) -> None:
    set_path, _, by_question = write_case_files(tmp_path)
    report = run_eval(set_path, lambda q: by_question[q])
    for i, q in enumerate(report.questions):
        on_evidence = i % len(CITATIONS) in (0, 2) and q.kind != "unanswerable"
        assert q.cited_correctly == on_evidence, q.id


def test_missing_answer_and_decimal_tolerance_follow_written_digits() -> None:
    item = parse_line('{"id": "a", "question": "q", "answer": {"value": 81.60, "unit": "%"}, '
                      '"evidence": [{"document": "d.pdf", "page": 1}], "kind": "lookup"}')
    assert item.answer["value"] == Decimal("81.60")
    assert score_response(item, None).correct is False
    assert score_response(item, {"value": 81.604, "unit": "%"}).correct
    assert not score_response(item, {"value": 81.606, "unit": "%"}).correct
    assert "not '%'" in score_response(item, {"value": 81.6, "unit": "元"}).reason


def test_malformed_lines_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    good = '{"id": "%s", "question": "三公经费？", "answer": {"value": 867.50, "unit": "万元"}, ' \
           '"evidence": [{"document": "%s", "page": 20}], "kind": "lookup"}'
    lines = [
        good % ("ok1", ZFB),                                                        # 1
        '{"id": "broken", "question": "q", ',                                       # 2 bad JSON
        '{"id": "noq", "answer": {"none": true}, "kind": "unanswerable"}',         # 3 no question
        '{"id": "two", "question": "q", "answer": {"none": true, "contains": ["x"]}, "kind": "x"}',  # 4
        "",                                                                         # 5 blank: ignored
        '{"id": "noev", "question": "q", "answer": {"value": 1, "unit": "元"}, "kind": "lookup"}',  # 6
        good % ("ok1", ZFB),                                                        # 7 duplicate id
        "[1, 2]",                                                                   # 8 not an object
        '{"id": "badpage", "question": "q", "answer": {"contains": ["a"]}, '
        '"evidence": [{"document": "d.pdf", "page": 0}], "kind": "narrative"}',     # 9
        '{"id": "nounit", "question": "q", "answer": {"value": 3}, '
        '"evidence": [{"document": "d.pdf", "page": 1}], "kind": "lookup"}',        # 10
        good % ("ok2", ZFB),                                                        # 11
        '{"id": "none", "question": "火星？", "answer": {"none": true}, "kind": "unanswerable"}',  # 12
    ]
    path = tmp_path / "messy.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    eval_set = load_set(path)
    assert [it.id for it in eval_set.items] == ["ok1", "ok2", "none"]
    assert [p.line_no for p in eval_set.problems] == [2, 3, 4, 6, 7, 8, 9, 10]
    messages = {p.line_no: p.message for p in eval_set.problems}
    assert "bad JSON" in messages[2]
    assert "question" in messages[3]
    assert "exactly one" in messages[4]
    assert "evidence" in messages[6]
    assert "duplicate id 'ok1'" in messages[7] and "line 1" in messages[7]
    assert "unit" in messages[10]

    report = run_eval(path, lambda q: {"answer": "", "found": False, "value": None})
    assert report.summary.n == 3 and report.summary.skipped_lines == 8
    assert "skipped line 2: bad JSON" in format_summary(report)


def tiny_qa(question: str) -> dict[str, Any]:
    """A small real answerer over three stated figures, shaped like `ask --json`."""
    facts = {"三公": ("867.50", "万元", 20), "机关运行": ("213.28", "万元", 21)}
    for key, (value, unit, page) in facts.items():
        if key in question:
            return {"question": question, "answer": f"{value}{unit}", "found": True, "value": float(value),
                    "unit": unit, "route": "table",
                    "citations": [{"document": ZFB, "page": page, "snippet": value}], "latency_ms": 5.0}
    if "职能" in question:
        raise RuntimeError("passage index not built")
    return {"question": question, "answer": "文件中没有找到。", "found": False, "value": None, "unit": None,
            "route": "none", "citations": [], "latency_ms": 1.0}


TINY_SET = [
    {"id": "sangong", "question": "区政府办2025年三公经费预算？", "answer": {"value": 867.50, "unit": "万元"},
     "evidence": [{"document": ZFB, "page": 20}], "kind": "lookup"},
    {"id": "jiguan", "question": "区政府办2025年机关运行经费？", "answer": {"value": 2132800.00, "unit": "元"},
     "evidence": [{"document": ZFB, "page": 20}], "kind": "lookup"},
    {"id": "caigou", "question": "区政府办2025年政府采购预算？", "answer": {"value": 34, "unit": "万元"},
     "evidence": [{"document": ZFB, "page": 21}], "kind": "lookup"},
    {"id": "zhineng", "question": "区政府办的主要职能？", "answer": {"contains": ["组织起草"]},
     "evidence": [{"document": ZFB, "page": 3}], "kind": "narrative"},
    {"id": "mars", "question": "区政府办2025年火星经费？", "answer": {"none": True}, "kind": "unanswerable"},
]


def write_tiny_set(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in TINY_SET) + "\n", encoding="utf-8")
    return path


def test_report_files_summary_and_threshold(tmp_path: Path) -> None:
    report = run_eval(write_tiny_set(tmp_path), tiny_qa, report_dir=tmp_path / "out", min_accuracy=0.7)
    s = report.summary
    assert (s.n, s.correct) == (5, 3)  # sangong, jiguan (cited p.21, evidence p.20), mars
    assert s.by_kind["lookup"].correct == 2 and s.by_kind["narrative"].correct == 0
    assert (s.citation_n, s.citation_correct) == (2, 1)
    assert (s.refusal_n, s.refusal_correct, s.false_refusals, s.errors) == (1, 1, 1, 1)
    # reported latencies 5, 5, 1, 1 and the failing call's measured time: nearest-rank percentiles
    latencies = sorted(q.latency_ms for q in report.questions)
    assert latencies.count(5.0) == 2 and latencies.count(1.0) == 2
    assert (s.p50_ms, s.p95_ms) == (latencies[2], latencies[4])
    assert report.below_min_accuracy  # 60% < 70%

    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["accuracy"] == pytest.approx(0.6)
    assert data["summary"]["below_min_accuracy"] is True
    assert [q["id"] for q in data["questions"]] == [x["id"] for x in TINY_SET]
    for q in data["questions"]:
        assert {"id", "expected", "correct", "cited_correctly", "response"} <= set(q)
    first = data["questions"][0]
    assert first["response"] == json.loads(json.dumps(tiny_qa(TINY_SET[0]["question"]), ensure_ascii=False))
    assert data["questions"][3]["response"]["error"].startswith("RuntimeError: passage index")

    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert f"lookup         {text_bar(2 / 3, 30)}  66.7%  (2/3)" in md
    assert f"narrative      {text_bar(0.0, 30)}   0.0%  (0/1)" in md
    assert "`caigou`" in md and "`sangong`" not in md  # failures listed, passes not

    table = format_summary(report)
    assert "accuracy · overall" in table and "60.0%  (3/5)" in table and "→ FAIL" in table
    assert "expected: 34 万元" in table and "not found" in table

    assert not run_eval(write_tiny_set(tmp_path), tiny_qa, min_accuracy=0.6).below_min_accuracy


def test_baseline_helpers() -> None:
    assert chunk_text("abcdefghij", 4, 1) == ["abcd", "defg", "ghij"]
    spellings = {n for n, _ in value_spellings(Decimal("867.50"), "万元")}
    assert {"867.50", "8,675,000.00", "8675000.00"} <= spellings
    item = parse_line(f'{{"id": "a", "question": "q", "answer": {{"value": 867.50, "unit": "万元"}}, '
                      f'"evidence": [{{"document": "{ZFB}", "page": 20}}], "kind": "lookup"}}')
    assert chunk_holds_answer(item, "合计 867.50 839.00")
    assert chunk_holds_answer(item, "合计８６７．５０万元")  # full-width digits
    assert not chunk_holds_answer(item, "合计 1867.50 839.00")
    assert not chunk_holds_answer(item, "合计 867.501")
    count = parse_line('{"id": "c", "question": "q", "answer": {"value": 3, "unit": "辆"}, '
                       '"evidence": [{"document": "d.pdf", "page": 1}], "kind": "lookup"}')
    assert chunk_holds_answer(count, "共有车辆3 辆") and not chunk_holds_answer(count, "2023年3月")


def test_baseline_on_a_real_document_finds_a_known_value(tmp_path: Path) -> None:
    set_path = write_tiny_set(tmp_path)
    baseline = run_baseline(set_path, [CORPUS / "shanghai" / ZFB])
    by_id = {q.id: q for q in baseline.questions}
    assert by_id["sangong"].hit_at_5  # 867.50 on p.20 (table) and p.21 (narrative)
    assert all(doc == ZFB for doc, _ in by_id["sangong"].top) and len(by_id["sangong"].top) == 5
    assert by_id["mars"].rank is None  # none items never count for a retriever
    assert baseline.by_kind["unanswerable"].hit_at_5 == 0.0
    assert baseline.chunk_count > 22

    ours = run_eval(set_path, tiny_qa)
    table = format_comparison(ours, baseline)
    assert "lookup" in table and "66.7%" in table and "overall" in table
    assert format_comparison(ours, baseline, markdown=True).startswith("| kind | n |")
    assert "hit@5" in format_baseline(baseline)
    written = write_baseline(baseline, tmp_path / "out", ours)
    assert [p.name for p in written] == ["baseline.json", "comparison.md"]
    ranks = json.loads(written[0].read_text(encoding="utf-8"))["questions"]
    assert {q["id"]: q["hit_at_5"] for q in ranks}["sangong"] is True


PROJECT_SET = Path(__file__).resolve().parents[1] / "eval" / "sets" / "budgetqa.jsonl"


def project_set_answers(item: Any, variant: int) -> dict[str, Any]:
    """Right, near-miss and differently-unit'ed answers to a real set item, by variant and position."""
    base = {"question": item.question, "found": True, "value": None, "unit": None, "answer": "",
            "route": "table", "citations": [e.__dict__ for e in item.evidence[:1]], "latency_ms": 3.0}
    if item.shape == "none":
        if variant == 0:  # a third wrongly answered
            return {**base, "found": item.line_no % 3 == 0}
        return {**base, "found": False, "value": 1 if item.line_no % 2 else ""}  # half give a number
    if item.shape == "contains":
        words = item.answer["contains"]
        return {**base, "answer": " ".join(words if variant == 0 else words[:-1] + ["别的"])}
    value, unit = item.answer["value"], item.answer["unit"]
    if unit in ("元", "万元", "亿元") and item.line_no % 2:
        value, unit = value * {"元": 1, "万元": 10000, "亿元": 100000000}[unit], "元"
    if variant == 1:
        value = value + Decimal("0.006") * (1 if item.line_no % 2 else -1)
    return {**base, "value": str(value) if item.line_no % 5 == 0 else float(value), "unit": unit}


@pytest.mark.skipif(not PROJECT_SET.exists(), reason="project set not written yet")
@pytest.mark.parametrize("variant", [0, 1])
def test_scorer_agrees_with_reference_on_the_project_set(tmp_path: Path, variant: int) -> None:
    items = load_set(PROJECT_SET).items
    answers = {it.question: project_set_answers(it, variant) for it in items}
    answers_path = tmp_path / "answers.jsonl"
    answers_path.write_text("".join(json.dumps({"id": it.id, **answers[it.question]}, ensure_ascii=False)
                                    + "\n" for it in items), encoding="utf-8")
    reference = run_reference(PROJECT_SET, answers_path, tmp_path / "ref.json")
    report = run_eval(PROJECT_SET, lambda q: answers[q])
    assert {q.id: q.correct for q in report.questions} == {r["id"]: r["ok"] for r in reference["rows"]}
    assert report.summary.accuracy == pytest.approx(reference["summary"]["overall"])


def test_wrong_numbers_count_numbers_given_against_another_number_or_none() -> None:
    from eval.runner import QuestionResult, summarize

    def result(expected: dict, response: dict, correct: bool) -> QuestionResult:
        return QuestionResult(id="q", question="?", kind="lookup", expected=expected, expected_text="", evidence=[],
                              correct=correct, cited_correctly=False, reason="", response=response, latency_ms=1.0)

    results = [
        result({"value": 1, "unit": "万元"}, {"found": True, "value": 2.0}, False),  # another number
        result({"none": True}, {"found": True, "value": 5.0}, False),  # a number where there is none
        result({"value": 1, "unit": "万元"}, {"found": False, "value": None}, False),  # a refusal
        result({"contains": ["x"]}, {"found": True, "value": 3.0}, False),  # a text question
        result({"value": 1, "unit": "万元"}, {"found": True, "value": 1.0}, True),
    ]
    summary = summarize(results, "set.jsonl")
    assert [r.wrong_number for r in results] == [True, True, False, False, False]
    assert summary.wrong_numbers == 2 and summary.to_dict()["wrong_numbers"]["n"] == 2
    assert summary.by_kind["lookup"].wrong_numbers == 2
