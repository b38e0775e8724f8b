"""20 concurrent clients × 10 questions against a cold `app.py` server (the one `budgetqa serve` runs)
on localhost, with the whole corpus loaded: no errors, no mixed-up answers, and a 100,000-character
question refused at once. Figures are printed by benchmarks/load.py; this test asserts only what must
hold."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def _load_benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("load_benchmark", REPO / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_twenty_clients_at_once_get_their_own_answers(corpus_settings) -> None:  # type: ignore[no-untyped-def]
    result = _load_benchmark().run(corpus_settings.data_dir, clients=20, per_client=10)
    assert result["errors"] == 0, result["error_samples"]
    assert result["answers"] == 200 and result["mixed_up"] == 0
    assert result["long_question_refused"] and result["long_question_ms"] < 1000
