"""Inputs that are no budget question get a clear answer at once, and `budgetqa eval` refuses a file
that is no evaluation set with one line and a non-zero exit (no traceback)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("question, says", [
    ("", "请输入一个问题"),
    ("   ", "请输入一个问题"),
    ("How much is the 2025 budget?", "中文"),
    ("三公" * 50_000, "问题太长"),
])
def test_unusable_questions(answerer, question: str, says: str) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = answerer.ask(question)
    assert not answer.found and answer.value is None and says in answer.answer
    assert answer.route == "none"
    assert time.perf_counter() - started < 5  # refused before any matching (README: < 1 s measured)


@pytest.mark.parametrize("content, says", [
    (None, "no such file"),
    ("", "empty"),
    ("just some text\n", "no line is a question"),
    ('{"id": "a", "text": "x"}\n', "no line is a question"),
])
def test_eval_refuses_what_is_no_set(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "set.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(tmp_path / "data"), "eval", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert says in run.stderr and "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("question", ["机关运行经费呢？", "主要职能是什么？", "三公经费是多少？"])
def test_a_question_that_names_no_department_asks_which(answerer, question: str) -> None:  # type: ignore[no-untyped-def]
    """With many departments loaded and no question before it, a context-free question is not answered
    about an arbitrary department."""
    answer = answerer.ask(question)
    assert not answer.found and "部门" in answer.answer


def test_a_specific_question_still_finds_its_department(answerer) -> None:  # type: ignore[no-untyped-def]
    assert answerer.ask("徐州铁路运输法院负责哪些工作？").found
