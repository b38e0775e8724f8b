"""Who published a document, for which fiscal year and what kind it is, read from its content.

Identity comes, in this order, from the labelled statements these disclosures print
(预算主管部门：…, 预算单位：…, 部门：…, 单位名称：…), from the cover title ("2026年深圳市信访局部门预算",
"杭州市气象局 / 2026年度部门预算"), and from the most frequent title-like name; the file name is only a
fallback. Names are made canonical and given their short forms by `ingest.names` (rules kept as data).

    meta = detect_meta(parsed_document)
"""

from __future__ import annotations

import re
from collections import Counter

from budgetqa.models import DocumentMeta, ParsedDocument
from ingest.names import (
    canonical_name,
    looks_like_org,
    naming_rules,
    org_suffix_pattern,
    short_forms,
    split_region,
)

KINDS = ("部门综合预算", "部门决算", "单位决算", "单位预算", "部门预算")
_CN_YEAR = str.maketrans("〇零一二三四五六七八九", "00123456789")
# labelled statements: which label names the department, which the budget unit
_DEPARTMENT_LABELS = r"预算主管部门|主管部门|部门名称|编制部门|部门"
_UNIT_LABELS = r"预算单位|单位名称|编制单位"
_LABELLED = re.compile(rf"(?<![\u4e00-\u9fa5])({_DEPARTMENT_LABELS}|{_UNIT_LABELS})[:：]\s*([\u4e00-\u9fa5（）()]{{3,40}})")
_COVER_STOP = re.compile(r"^目\s*录|^第[一二三四五六七八九十]+部分|^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[)）]")


def _compact(text: str) -> str:
    """Remove the spaces PDF text puts between digits and CJK ('2019 年度' -> '2019年度')."""
    return re.sub(r"(?<=[\d\u4e00-\u9fa5（）])[ \t\u3000]+(?=[\d\u4e00-\u9fa5（）])", "", text)


def detect_meta(doc: ParsedDocument) -> DocumentMeta:
    """Department, unit, region, level, fiscal year and kind of a parsed document, from its content."""
    head_lines = [_compact(line.text.strip()) for line in doc.lines[:400] if line.text.strip()]
    head = "\n".join(head_lines)
    cover = _cover(head_lines)
    labelled_department, labelled_unit = _labelled(head)
    department = labelled_department or _cover_name(cover) or _title_name(head) or _file_name(doc.file_name)
    kind = _kind(cover, head, doc.file_name)
    unit = labelled_unit if kind in ("单位预算", "单位决算") else None
    if department is None and unit:
        department = unit
    department = canonical_name(department) if department else None
    unit = canonical_name(unit) if unit else None
    if kind in ("单位预算", "单位决算") and unit is None:
        unit = department
    parts = split_region(department) if department else None
    region, level = (parts.region, parts.level) if parts else (None, None)
    if region is None:
        region, level = _region_in(head)
    fiscal_year = _fiscal_year(cover, by_count=False) or _fiscal_year(head) or _fiscal_year(doc.file_name)
    title = next((line for line in head_lines if line), None)
    return DocumentMeta(
        department=department, region=region, fiscal_year=fiscal_year, kind=kind, title=title,
        aliases=short_forms(department) if department else [], unit=unit, level=level,
    )


def _cover(lines: list[str]) -> list[str]:
    """The lines of the cover / title block: before the table of contents or the first numbered part."""
    cover = []
    for line in lines[:15]:
        if _COVER_STOP.match(line) or "…" in line or "...." in line:
            break
        cover.append(line)
    return cover or lines[:3]


def _labelled(head: str) -> tuple[str | None, str | None]:
    department = unit = None
    for match in _LABELLED.finditer(head):
        label, name = match.group(1), _clean_name(match.group(2))
        if not name or not looks_like_org(name):
            continue
        if re.fullmatch(_UNIT_LABELS, label):
            unit = unit or name
        else:
            department = department or name
    return department, unit


def _clean_name(name: str) -> str | None:
    """A labelled or title name without what follows it on the line (单位：万元 …)."""
    name = re.split(r"单位[:：]|金额单位|单位$", name)[0]
    name = re.sub(r"（汇总）|\(汇总\)|（本级）", "", name).strip("（）() ")
    return name or None


def _strip_title_words(text: str) -> str:
    text = re.sub(r"(20\d{2}|[〇零一二三四五六七八九]{4})\s*年度?", "", text)
    for word in sorted(naming_rules()["title_words"], key=len, reverse=True):
        text = text.replace(word, "")
    return re.sub(r"[（(][^）)]*[）)]$", "", text).strip()


def _cover_name(cover: list[str]) -> str | None:
    """The name in the cover title, which may be split over lines ('2018年度江苏省高级' / '人民法院预算公开')."""
    joined = _strip_title_words("".join(line for line in cover if not re.search(r"\d{1,2}\s*月|\d+\s*日", line)))
    for candidate in (joined, *(_strip_title_words(line) for line in cover)):
        name = _trim_to_region(candidate)
        if name and looks_like_org(name):
            return name
    return None


def _title_name(head: str) -> str | None:
    """The most frequent name printed before 部门预算/决算 or 主要职能 in the first pages."""
    pattern = re.compile(r"((?:中共)?[\u4e00-\u9fa5]{2,30}?" + org_suffix_pattern()
                         + r")\s*(?:\d{4}\s*年度?)?\s*(?:部门|单位)?(?:综合)?(?:预算|决算|主要职能|主要职责|概况)")
    candidates: Counter[str] = Counter()
    for match in pattern.finditer(head):
        name = _trim_to_region(match.group(1))
        if name and looks_like_org(name):
            candidates[name] += 1
    if not candidates:
        return None
    return max(candidates, key=lambda name: (candidates[name], len(name)))


def _trim_to_region(text: str) -> str | None:
    """Cut words printed before a name ('纳入烟台市审计局' -> '烟台市审计局', '年深圳市…' -> '深圳市…'):
    official names begin with their region, 中共 or 国家, so the name starts at the first of those."""
    text = re.sub(r"^[\d年度\s]+", "", text)
    if not text:
        return None
    for start in range(len(text)):
        rest = text[start:]
        if rest.startswith(tuple(naming_rules()["party_prefixes"]) + tuple(naming_rules()["central_prefixes"])):
            return rest
        parts = split_region(rest)
        if parts.region not in (None, "中央") and start <= len(text) - 3 and rest.startswith(parts.region_forms):
            return rest
    return text


def _file_name(file_name: str) -> str | None:
    stem = re.sub(r"\.[A-Za-z]+$", "", file_name)
    match = re.match(r"^([\u4e00-\u9fa5（）()]{2,40}?)(?:20\d{2})", stem)
    name = match.group(1) if match else None
    return name if name and looks_like_org(name) else None


def _fiscal_year(text: str | list[str], by_count: bool = True) -> int | None:
    """The year of the title statement (the first "20XX年(度)…部门预算"), not of comparisons such as
    "比2024年预算减少" that follow it."""
    if isinstance(text, list):
        text = "\n".join(text)
    for line in text.splitlines():
        if re.search(r"比\s*20\d{2}|上年|截至", line):
            continue
        match = re.search(r"(20\d{2})\s*年度?\s*(?:区级|市级|省级|县级)?[\u4e00-\u9fa5（）]{0,20}?"
                          r"(?:部门|单位)?(?:综合)?(?:预算|决算)", line)
        if match:
            return int(match.group(1))
    years = [int(y) for y in re.findall(r"(20\d{2})\s*年", text)] if by_count else []
    return Counter(years).most_common(1)[0][0] if years else None


def _kind(cover: list[str], head: str, file_name: str) -> str | None:
    """The kind named on the cover, else the kind the first pages name most, else the file name's."""
    for text in ("".join(cover), file_name):
        for kind in KINDS:
            if kind in text:
                return kind
        if "决算" in text:
            return "部门决算"
    counts = {kind: head.count(kind) for kind in KINDS}
    if counts["部门决算"] or counts["单位决算"]:
        return "部门决算" if counts["部门决算"] >= counts["单位决算"] else "单位决算"
    if counts["单位预算"] > counts["部门预算"]:
        return "单位预算"
    if counts["部门预算"] or "预算" in head:
        return "部门预算"
    return None


def _region_in(head: str) -> tuple[str | None, str | None]:
    """A region named in the first pages when the department name carries none."""
    for line in head.splitlines()[:40]:
        match = re.search(r"((?:[\u4e00-\u9fa5]{2,3}省)?[\u4e00-\u9fa5]{2,4}(?:市|省)(?:[\u4e00-\u9fa5]{1,4}?(?:区|县))?)", line)
        if match:
            parts = split_region(match.group(1) + "财政局")
            if parts.region:
                return parts.region, parts.level
    return None, None


def department_aliases(department: str) -> list[str]:
    """Short forms people use for a department (see ingest.names.short_forms)."""
    return short_forms(department)
