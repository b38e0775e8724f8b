"""Findings of the consistency checks as a reader sees them in the 文档库 tab: what was checked, what
should hold, where, expected, found, and whether it is a rounding note or a suspected extraction error,
all in Chinese. The wording is data (`data/findings.toml`); this module only fills it in.

    frame = findings_frame(store.findings(document_id))
    note = findings_note(document, store.findings(document_id))
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from budgetqa.models import Finding, StoredDocument

WORDING = Path(__file__).resolve().parent / "data" / "findings.toml"
FINDING_HEADERS = ["检查", "说明", "位置", "页码", "应为", "实为", "性质"]
NO_DOCUMENT = "请先在上方选择一个文档，这里会列出它的一致性检查结果。"


@lru_cache(maxsize=1)
def wording() -> dict:
    """The check names, explanations, severities and place rewrites of data/findings.toml."""
    try:
        with WORDING.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{WORDING}: cannot read the findings wording ({error})") from error
    for key in ("checks", "unknown", "severity"):
        if key not in data:
            raise ValueError(f"{WORDING}: the section [{key}] is missing")
    return data


def check_name(check: str) -> str:
    entry = wording()["checks"].get(check, wording()["unknown"])
    return entry["name"].format(check=check)


def severity_text(severity: str) -> str:
    texts = wording()["severity"]
    return texts.get(severity, texts["finding"])


def place_text(where: str) -> str:
    """'2025年… · 行政运行 · 合计 (p.8)' -> '2025年… · 行政运行 · 合计（第8页）'."""
    for rule in wording().get("place", []):
        where = re.sub(rule["pattern"], rule["replace"], where)
    return where


def value_text(value: str) -> str:
    """'sum of 4 sub-items = 2731.80' -> '4 个下级科目之和 = 2731.80'."""
    for rule in wording().get("value", []):
        value = re.sub(rule["pattern"], rule["replace"], value)
    return value


def explanation(finding: Finding) -> str:
    entry = wording()["checks"].get(finding.check, wording()["unknown"])
    return entry["explain"].format(check=finding.check, where=place_text(finding.where),
                                   expected=value_text(finding.expected), found=value_text(finding.found))


def findings_frame(findings: list[tuple[str, Finding]]) -> pd.DataFrame:
    """One row per finding, suspected extraction errors before rounding notes."""
    ordered = sorted((f for _, f in findings), key=lambda f: (f.severity == "rounding", f.page or 0))
    rows = [[check_name(f.check), explanation(f), place_text(f.where), f"第{f.page}页" if f.page else "",
             value_text(f.expected), value_text(f.found), severity_text(f.severity)] for f in ordered]
    return pd.DataFrame(rows, columns=FINDING_HEADERS)


def findings_note(document: StoredDocument | None, findings: list[tuple[str, Finding]]) -> str:
    """The line above the findings table: what to do when it is empty, else how many of which kind."""
    if document is None:
        return NO_DOCUMENT
    rounding = sum(1 for _, f in findings if f.severity == "rounding")
    suspected = len(findings) - rounding
    if not findings:
        return f"{document.file_name}：所有一致性检查都通过了，没有发现问题。"
    return (f"{document.file_name}：{suspected} 项疑似提取错误，{rounding} 项舍入差异。"
            "疑似错误请对照原文页面核实；舍入差异通常不是错误。")
