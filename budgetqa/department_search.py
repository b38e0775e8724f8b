"""The department filter of the 问答 tab: departments of the loaded documents, found by any part of
their name or by a short form people use (区政府办, 省法院, 医保局), and narrowed by level
(中央 / 省级 / 市级 / 区县级) and region. Short forms come from ingestion (the document's aliases) and
from the naming rules of ingest/data (ingest.names.short_forms), never from lists kept here.

    entries = department_entries(store.documents())
    found = search_departments(entries, "信访", level="市级")     # [广州市信访局, 深圳市信访局]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from budgetqa.models import StoredDocument
from ingest.names import LEVELS, regions, short_forms

ALL = "全部"  # the filter choice that filters nothing


@dataclass(frozen=True)
class DepartmentEntry:
    """One department of the loaded documents, with what it can be found by."""

    name: str
    region: str
    level: str
    years: tuple[int, ...]
    kinds: tuple[str, ...]
    forms: tuple[str, ...]  # short forms and aliases

    @property
    def label(self) -> str:
        """'江苏省高级人民法院（江苏省 · 省级 · 2017–2019年 · 部门预算）': shown in the dropdown."""
        years = (f"{self.years[0]}年" if len(self.years) == 1 else f"{self.years[0]}–{self.years[-1]}年") \
            if self.years else "年度未识别"
        place = [self.region] + ([self.level] if self.level != self.region else [])
        return f"{self.name}（{' · '.join(x for x in (*place, years, '、'.join(self.kinds)) if x)}）"


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def department_entries(documents: list[StoredDocument]) -> list[DepartmentEntry]:
    """The departments of the documents, in level order (中央 first) then by region and name."""
    grouped: dict[str, list[StoredDocument]] = {}
    for doc in documents:
        if doc.department:
            grouped.setdefault(doc.department, []).append(doc)
    entries = []
    for name, docs in grouped.items():
        forms = {*short_forms(name), *(a for d in docs for a in d.aliases)}
        entries.append(DepartmentEntry(
            name=name, region=next((d.region for d in docs if d.region), ""),
            level=next((d.level for d in docs if d.level), ""),
            years=tuple(sorted({d.fiscal_year for d in docs if d.fiscal_year})),
            kinds=tuple(sorted({d.kind for d in docs if d.kind})),
            forms=tuple(sorted(forms - {name}))))
    order = {level: n for n, level in enumerate(LEVELS)}
    return sorted(entries, key=lambda e: (order.get(e.level, len(order)), e.region, e.name))


def matches(entry: DepartmentEntry, text: str) -> int:
    """How well the typed text finds a department: a part of its name, region or short form (100), else
    the length of the longest short form written inside the text ("普陀区司法局2026年"); 0 for none."""
    text = _plain(text)
    if not text or text in entry.name or text in entry.region or any(text in form for form in entry.forms):
        return 100
    return max((len(form) for form in (entry.name, *entry.forms) if len(form) >= 3 and form in text), default=0)


def search_departments(entries: list[DepartmentEntry], text: str = "", level: str | None = None,
                       region: str | None = None) -> list[DepartmentEntry]:
    """The entries that match the typed text best, at the chosen level and in the chosen region."""
    chosen = [e for e in entries if (not level or level == ALL or e.level == level)
              and (not region or region == ALL or e.region == region or province_of(e.region) == region)]
    scores = {e.name: matches(e, text) for e in chosen}
    best = max(scores.values(), default=0)
    return [e for e in chosen if best and scores[e.name] == best]


def province_of(region: str) -> str | None:
    """The province (or 直辖市) a region lies in: 深圳市 -> 广东省, 上海市普陀区 -> 上海市."""
    known = regions()
    if region in known:
        return known[region].parent
    return next((name for name in sorted(known, key=len, reverse=True) if region.startswith(name)), None)


def region_choices(entries: list[DepartmentEntry]) -> list[tuple[str, str]]:
    """Provinces first, each followed by its cities and districts: ('　深圳市', '深圳市')."""
    provinces: dict[str, set[str]] = {}
    for entry in entries:
        if not entry.region or entry.region == "中央":
            continue
        province = province_of(entry.region) or entry.region
        provinces.setdefault(province, set())
        if entry.region != province:
            provinces[province].add(entry.region)
    choices = [(ALL, ALL)]
    for province in sorted(provinces):
        choices.append((province, province))
        choices += [(f"　{province} · {region.removeprefix(province)}", region) for region in sorted(provinces[province])]
    return choices


def level_choices(entries: list[DepartmentEntry]) -> list[str]:
    present = {e.level for e in entries}
    return [ALL, *(level for level in LEVELS if level in present)]


def department_choices(found: list[DepartmentEntry]) -> list[tuple[str, str]]:
    return [(ALL, ALL), *((e.label, e.name) for e in found)]


def matches_note(text: str, found: list[DepartmentEntry], total: int) -> str:
    """The line under the filter: how many departments the typed text and the chosen level/region find."""
    if total == 0:
        return "文档库是空的：请到“文档库”页上传部门预算、决算文件。"
    if not found:
        return f"没有找到与“{text}”相符的部门，请换一个名称或简称再试。" if text else "所选地区或级别下没有已导入的部门。"
    if len(found) == total and not text:
        return f"共 {total} 个部门；可输入名称的任意部分或简称（如“信访”“区政府办”）筛选。"
    names = "、".join(e.name for e in found[:6]) + ("等" if len(found) > 6 else "")
    return f"找到 {len(found)} 个部门：{names}"
