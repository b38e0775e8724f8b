"""The command line, run as a user runs it (a real process, a tmp data directory): the quick start
on the generated sample disclosure, `ask --json` in the format of eval-format.md, documents/remove."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=600)


def test_quickstart_then_ask_json_then_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    quick = _cli(data, "quickstart")
    assert quick.returncode == 0, quick.stderr
    assert "上海市示例区示例局 · 2025 · 部门预算" in quick.stdout
    assert "12.50万元" in quick.stdout and "第5页" in quick.stdout  # the 三公 table cell, cited
    assert "比2024年预算减少1.50万元" in quick.stdout  # the stated change

    asked = _cli(data, "ask", "示例局2025年住房公积金是多少？", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["found"] is True and answer["value"] == 300000.0 and answer["unit"] == "元"
    assert answer["route"] == "table" and answer["citations"][0]["document"] == "示例局2025年部门预算.pdf"
    assert answer["citations"][0]["page"] == 4 and answer["latency_ms"] >= 0

    refused = json.loads(_cli(data, "ask", "示例局2030年三公经费是多少？", "--json").stdout)
    assert refused["found"] is False and refused["value"] is None and refused["route"] == "none"

    listed = json.loads(_cli(data, "documents", "--json").stdout)
    assert [d["file_name"] for d in listed] == ["示例局2025年部门预算.pdf"]
    assert _cli(data, "remove", "示例局2025年部门预算.pdf").returncode == 0
    assert json.loads(_cli(data, "documents", "--json").stdout) == []
