"""benchmarks/scale.py runs end to end at N=3 (generate, bare pdfplumber pass, ingest, repair probe,
questions by route) and prints every figure the README quotes; the generator varies what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_generated_disclosures_differ_and_are_deterministic() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale import questions, specs

    first = specs(40, seed=3)
    assert first == specs(40, seed=3)
    assert len({(s.department, s.fiscal_year) for s in first}) == 40
    assert len({s.region for s in first}) > 5 and len({s.fiscal_year for s in first}) > 1
    assert {s.codes_in_one_column for s in first} == {True, False}
    asked = questions(first)
    assert len(asked) == 30 and len(set(asked)) == 30


def test_scale_benchmark_prints_its_figures(tmp_path: Path) -> None:
    """A first run builds the store in --store-dir and prints every figure; a second run on the same
    folder finds it complete, skips generation and ingest, and asks the questions again under cProfile."""
    scale = [sys.executable, str(REPO / "benchmarks" / "scale.py"), "--sizes", "3", "--store-dir", "stores"]
    out = subprocess.run(scale, capture_output=True, text=True, cwd=tmp_path, timeout=300, check=True).stdout
    for expected in ("== N = 3", "generate:", "bare pdfplumber (text + tables, 1 process):", "ingest, 1 worker:",
                     "3/3 stored", "identity read as generated (department, year): 3/3", "store on disk: SQLite",
                     "of which Chroma probe (dense_consistent", "questions: 9 (9 answered)", "peak RSS:"):
        assert expected in out, out
    for route in ("table", "compute", "passage", "all"):
        assert any(line.split()[:1] == [route] for line in out.splitlines()), out
    again = subprocess.run([*scale, "--profile", "q"], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                           check=True).stdout
    assert "generation and ingest skipped" in again and "ingest, 1 worker:" not in again, again
    assert "identity read as generated (department, year): 3/3" in again and "questions: 9 (9 answered)" in again
    assert (tmp_path / "q-N3.prof").stat().st_size > 0
