"""Who published a document, for which fiscal year and what kind it is, read from its content.

The first pages are searched for the statements these disclosures carry (预算主管部门：…,
部门：…, "XX2025年部门预算", "XX主要职能"); the file name is only a fallback.

    meta = detect_meta(parsed_document)
"""

from __future__ import annotations

import re
from collections import Counter

from budgetqa.models import DocumentMeta, ParsedDocument

KINDS = ("部门决算", "单位决算", "单位预算", "部门预算")
_REGION_PREFIX = re.compile(
    r"^((?:上海市|北京市|天津市|重庆市|[\u4e00-\u9fa5]{2,3}省|[\u4e00-\u9fa5]{2,6}自治区)"
    r"(?:[\u4e00-\u9fa5]{1,4}(?:市|区|县))?)"
)
_DEPT_LINE = re.compile(r"(?:预算主管部门|部门名称|编制部门|编制单位|部门|单位名称)[:：]\s*([\u4e00-\u9fa5（）()]{3,40})")
_DEPT_SUFFIX = r"(?:办公室|办公厅|办事处|委员会|局|厅|院|中心|委|部|所|馆|站|队|会|校|大学|学院|法院|检察院)"
_TITLE_DEPT = re.compile(r"([\u4e00-\u9fa5]{2,30}?" + _DEPT_SUFFIX + r")\s*(?:\d{4}\s*年度?)?\s*(?:部门|单位)?(?:预算|决算|主要职能)")
_NOT_DEPT = re.compile(r"^(?:目录|本部门|部门|单位|本单位|编制|上海市财政局)")


def _compact(text: str) -> str:
    """Remove the spaces PDF text puts between digits and CJK ('2019 年度' -> '2019年度')."""
    return re.sub(r"(?<=[\d\u4e00-\u9fa5])[ \t\u3000]+(?=[\d\u4e00-\u9fa5])", "", text)


def detect_meta(doc: ParsedDocument) -> DocumentMeta:
    """Department, region, fiscal year and kind of a parsed document, from its content."""
    head = _compact("\n".join(line.text for line in doc.lines[:400]))
    department = _department(head) or _department(_compact(doc.file_name))
    fiscal_year = _fiscal_year(head) or _fiscal_year(doc.file_name)
    kind = _kind(head + "\n" + doc.file_name)
    region = _region(department or "") or _region(head)
    title = next((line.text.strip() for line in doc.lines if line.text.strip()), None)
    return DocumentMeta(
        department=department,
        region=region,
        fiscal_year=fiscal_year,
        kind=kind,
        title=title,
        aliases=department_aliases(department) if department else [],
    )


def _department(text: str) -> str | None:
    for match in _DEPT_LINE.finditer(text):
        name = match.group(1).strip()
        if not _NOT_DEPT.match(name) and re.search(_DEPT_SUFFIX + "$", name):
            return name
    candidates = Counter(
        m.group(1) for m in _TITLE_DEPT.finditer(text) if not _NOT_DEPT.match(m.group(1))
    )
    if candidates:
        best = max(candidates, key=lambda name: (candidates[name], len(name)))
        return re.sub(r"^(?:\d{4}年度?|第[一二三四五六七八九十]+部分)", "", best)
    return None


def _fiscal_year(text: str) -> int | None:
    """The year of the title statement (the first "20XX年(度)…部门预算"), not of comparisons such as
    "比2024年预算减少" that follow it."""
    for line in text.splitlines():
        if re.search(r"比\s*20\d{2}|上年|截至", line):
            continue
        match = re.search(r"(20\d{2})\s*年度?\s*(?:区级|市级|省级|县级)?(?:部门|单位)?(?:预算|决算)", line)
        if match:
            return int(match.group(1))
    years = [int(y) for y in re.findall(r"(20\d{2})\s*年", text)]
    return Counter(years).most_common(1)[0][0] if years else None


def _kind(text: str) -> str | None:
    counts = {kind: text.count(kind) for kind in KINDS}
    if counts["部门决算"] or counts["单位决算"]:
        return "部门决算" if counts["部门决算"] >= counts["单位决算"] else "单位决算"
    if counts["单位预算"] > counts["部门预算"]:
        return "单位预算"
    if counts["部门预算"] or "预算" in text:
        return "部门预算"
    return None


def _region(text: str) -> str | None:
    match = _REGION_PREFIX.match(text.strip())
    if match:
        return match.group(1)
    for region in ("上海市", "江苏省", "北京市", "浙江省", "广东省"):
        if region in text:
            return region
    return None


def department_aliases(department: str) -> list[str]:
    """Short forms people use for a department: region stripped, 中共 stripped, 人民政府 dropped …

    '上海市普陀区人民政府办公室' -> ['普陀区人民政府办公室', '人民政府办公室', '区政府办公室', '区政府办', …]
    """
    names: set[str] = set()
    base = re.sub(r"^中共", "", department)
    names.add(base)
    region = _region(base)
    core = base[len(region):] if region and base.startswith(region) else base
    names.add(core)
    if region and len(region) > 3:
        names.add(region[3:] + core)  # 普陀区人民政府办公室
    for _ in range(2):  # twice, so that two shortenings combine
        _shorten(names)
    if "高级人民法院" in base:

        province = base.split("高级人民法院")[0]
        names.update({province[:1] + "高院", "省法院", "省高院", province + "法院",
                      re.sub(r"省$", "", province) + "高院"})
    if core.startswith(("区", "市", "县")) is False and region:
        level = region[-1]
        names.add(level + core.replace("人民政府", "政府"))
        names.add(re.sub(r"办公室$", "办", level + core.replace("人民政府", "政府")))
    return sorted(n for n in names if n != department and not _too_generic(n))


def _too_generic(name: str) -> bool:
    rest = re.sub(r"^(上海市|江苏省)?([\u4e00-\u9fa5]{1,3}区)?", "", name)
    return len(name) < 2 or rest in {"", "办", "办公室", "办公厅", "委办公厅"}


def _shorten(names: set[str]) -> None:
    for variant in list(names):
        names.add(variant.replace("人民政府", "政府"))
        names.add(variant.replace("人民政府", ""))
        names.add(re.sub(r"办公室$", "办", variant.replace("人民政府", "政府")))
        names.add(re.sub(r"服务办公室$", "办", variant))
        names.add(re.sub(r"办事处$", "", variant))
