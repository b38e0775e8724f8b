"""Names of departments and budget units: region, level, canonical form and the short forms people use.

The knowledge lives in data files a budget expert can review: `data/regions.tsv` (regions and their
level), `data/naming.toml` (how official names are written and shortened) and
`data/department_names.tsv` (real names with their irregular short forms). This module only reads
them and applies them.

    split_region("上海市普陀区司法局")     # NameParts(region='上海市普陀区', level='区县级', core='司法局', party=False)
    canonical_name("江苏省委办公厅")        # '中共江苏省委办公厅'
    short_forms("上海市普陀区人民政府办公室")  # [..., '区政府办', '普陀区政府办', ...]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
LEVELS = ("中央", "省级", "市级", "区县级")


@dataclass(frozen=True)
class Region:
    name: str  # 江苏省, 苏州市
    level: str  # 省级 | 市级
    parent: str | None  # the province of a city
    short: str  # 江苏, 苏州


@dataclass(frozen=True)
class NameParts:
    """A department name split into its region prefix and the rest."""

    region: str | None  # 上海市普陀区, 江苏省, 中央; None when the name carries no region
    level: str | None  # one of LEVELS
    core: str  # 司法局, 省委办公厅, 人民政府办公室
    party: bool  # a party organ (中共…)
    region_forms: tuple[str, ...] = ()  # ways to write the region prefix: 上海市普陀区, 普陀区, 上海普陀区


@dataclass(frozen=True)
class NameEntry:
    """One row of department_names.tsv."""

    name: str
    region: str
    level: str
    short_forms: tuple[str, ...]
    note: str


# ---------------------------------------------------------------- data files


@lru_cache(maxsize=1)
def naming_rules() -> dict:
    with (DATA / "naming.toml").open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """Listed regions by full name."""
    out: dict[str, Region] = {}
    for fields in _tsv_rows(DATA / "regions.tsv"):
        name, level, parent, short = (fields + ["", "", "", ""])[:4]
        out[name] = Region(name, level, parent or None, short or name)
    return out


@lru_cache(maxsize=1)
def name_table() -> tuple[NameEntry, ...]:
    """Real department and unit names with the irregular short forms people use."""
    path = DATA / "department_names.tsv"
    if not path.exists():
        return ()
    entries = []
    for fields in _tsv_rows(path):
        name, region, level, shorts, note = (fields + [""] * 5)[:5]
        if name:
            forms = tuple(s.strip() for s in shorts.split("|") if s.strip())
            entries.append(NameEntry(name.strip(), region.strip(), level.strip(), forms, note.strip()))
    return tuple(entries)


def _tsv_rows(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append([field.strip() for field in line.split("\t")])
    return rows


# ---------------------------------------------------------------- what an organisation name is


@lru_cache(maxsize=1)
def org_suffix_pattern() -> str:
    suffixes = sorted(naming_rules()["org_suffixes"], key=len, reverse=True)
    return "(?:" + "|".join(map(re.escape, suffixes)) + ")"


def looks_like_org(name: str) -> bool:
    """A plausible department or unit name: CJK, ends like an organisation, not a generic word."""
    name = name.strip()
    if not 3 <= len(name) <= 40 or re.search(r"[\d:：，,。；;]", name):
        return False
    if name in naming_rules()["not_org"] or name.startswith(("本", "该", "各", "其他", "所属", "下属")):
        return False
    return bool(re.search(org_suffix_pattern() + "$", name))


# ---------------------------------------------------------------- region prefix


def split_region(name: str) -> NameParts:
    """Split a department name into region prefix, level and core, by the listed regions and the
    rule that a 区/县/旗 (or a county-level 市) may follow a city or a 直辖市."""
    rules = naming_rules()
    text = re.sub(r"\s+", "", name)
    party = False
    for prefix in rules["party_prefixes"]:
        if text.startswith(prefix):
            text, party = text[len(prefix):], True
            break
    for prefix in rules["central_prefixes"]:
        if text.startswith(prefix) and len(text) > len(prefix) + 1:
            return NameParts("中央", "中央", text, party, ())
    top, rest = _leading_region(text, None)
    if top is None:
        district = re.match(r"^([\u4e00-\u9fa5]{1,4}?(?:区|县|旗))(?=[\u4e00-\u9fa5]{2})", text)
        if district and not re.match(rules["party_organ"], text):
            core = text[district.end():]
            party = party or bool(re.match(rules["party_organ"], core))
            return NameParts(district.group(1), "区县级", core, party, (district.group(1),))
        return NameParts(None, None, text, party or bool(re.match(rules["party_organ"], text)), ())
    chain = [top]
    if top.level == "省级" and not top.name.endswith("市"):
        city, after = _leading_region(rest, top.name)
        if city is not None:
            chain.append(city)
            rest = after
    district = None
    if chain[-1].level == "市级" or chain[-1].name.endswith("市"):
        found = re.match(r"^([\u4e00-\u9fa5]{1,4}?(?:区|县|旗|市))(?=[\u4e00-\u9fa5]{2})", rest)
        if found and not re.match(r"^(?:市|区|县)委", rest) and not _is_core_word(found.group(1)):
            district, rest = found.group(1), rest[found.end():]
    region = "".join(r.name for r in chain) + (district or "")
    level = "区县级" if district else chain[-1].level
    if rest.startswith("委") and region[-1] in "省市区县":
        rest = region[-1] + rest  # 江苏省委办公厅: the party committee's organ keeps 省委
    party = party or bool(re.match(rules["party_organ"], rest))
    forms = {region, "".join(r.short for r in chain) + (district or "")}
    if district:
        forms |= {district, chain[-1].name + district, chain[-1].short + district}
    elif len(chain) > 1:
        forms |= {chain[-1].name, chain[-1].short}
    return NameParts(region, level, rest, party, tuple(sorted(forms, key=len, reverse=True)))


def _leading_region(text: str, parent: str | None) -> tuple[Region | None, str]:
    """The listed region a text starts with (full name, or short name followed by 省/市/委…)."""
    best: tuple[Region, int] | None = None
    for region in regions().values():
        if parent is not None and region.parent != parent:
            continue
        for form in (region.name, region.short):
            if not text.startswith(form):
                continue
            consumed = len(form)
            if form == region.short and form != region.name:
                following = text[consumed:consumed + 1]
                if following not in ("省", "市", "委") and not text[consumed:].startswith(("自治区", "党委")):
                    continue  # 江苏 must be followed by 省委… to mean the province
                if following in ("省", "市") and text[consumed + 1:consumed + 2] != "委":
                    consumed += 1  # "江苏省" written out: covered by the full name anyway
            if best is None or consumed > best[1]:
                best = (region, consumed)
    if best is None:
        return None, text
    region, consumed = best
    return region, text[consumed:]


def _is_core_word(word: str) -> bool:
    """Words that end in 区/市/县 but begin a department's own name (社区, 城区管理 …)."""
    return word in {"社区", "城区", "园区", "景区", "开发区", "新区", "市区", "郊区", "市"}


# ---------------------------------------------------------------- canonical names and short forms


def canonical_name(name: str) -> str:
    """One printed form per department: whitespace removed, brackets unified, 中共 on party organs,
    and a listed short form replaced by its full name."""
    text = re.sub(r"\s+", "", name).replace("(", "（").replace(")", "）")
    text = re.sub(r"（汇总）$|（本级）$|（本部）$", "", text)
    entry = _entries_by_form().get(text)
    if entry is not None:
        return entry
    parts = split_region(text)
    if parts.party and not text.startswith(tuple(naming_rules()["party_prefixes"])):
        text = "中共" + text
    if text.startswith("中国共产党"):
        text = "中共" + text[len("中国共产党"):]
    return text


@lru_cache(maxsize=1)
def _entries_by_form() -> dict[str, str]:
    """Exact full names and unambiguous listed short forms -> full name (from the name table)."""
    out: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for entry in name_table():
        for form in (entry.name, *entry.short_forms):
            seen.setdefault(form, set()).add(entry.name)
    for form, names in seen.items():
        if len(names) == 1:
            out[form] = next(iter(names))
    return out


def _core_variants(core: str) -> set[str]:
    variants = {core}
    for _ in range(2):  # twice, so that two shortenings combine (人民政府办公室 -> 政府办)
        for variant in list(variants):
            for rule in naming_rules()["shorten"]:
                if rule["full"] not in variant:
                    continue
                for short in rule["short"]:
                    shorter = variant.replace(rule["full"], short)
                    if not short and shorter.startswith(tuple(rule.get("not_before", ()))):
                        continue
                    variants.add(shorter)
    return {v for v in variants if len(v) >= 2}


def short_forms(name: str) -> list[str]:
    """Every short form people use for a department, by the rules of naming.toml and the name table.

    '上海市普陀区人民政府办公室' -> ['区政府办', '普陀区政府办', '普陀区人民政府办公室', '政府办公室', …]
    """
    full = canonical_name(name)
    parts = split_region(full)
    cores = _core_variants(parts.core)
    forms: set[str] = set()
    for core in cores:
        forms.add(core)
        for region in parts.region_forms:
            # 江苏省 + 省委办公厅 -> 江苏省委办公厅 (the level character is written once)
            forms.add(region + core[1:] if core[:2] in ("省委", "市委", "区委", "县委") and region[-1] == core[0]
                      else region + core)
        if parts.level in ("省级", "市级", "区县级") and parts.region and not core.startswith(("省", "市", "区", "县")):
            level_word = _level_word(parts)
            if level_word:
                forms.add(level_word + core)  # 区政府办, 省法院, 市审计局
    for entry in name_table():
        if entry.name == full:
            forms.update(entry.short_forms)
    forms.discard(full)
    return sorted(f for f in forms if not _too_generic(f))


def _level_word(parts: NameParts) -> str | None:
    region = parts.region or ""
    if parts.level == "区县级":
        return region[-1] if region[-1] in "区县" else None
    if parts.level == "市级" or region in ("北京市", "上海市", "天津市", "重庆市"):
        return "市"
    if parts.level == "省级":
        return "省" if region.endswith("省") else None
    return None


_GENERIC = re.compile(r"^(人民)?政府(办公厅|办公室|办)?$|^(办|办公室|办公厅|委办公厅|委|局|厅|中心|法院|检察院|高院)$")


def _too_generic(name: str) -> bool:
    """Forms that name a kind of office, not one office: 政府办公厅 is also a classification item
    (政府办公厅（室）及相关机构事务), 法院 is every court."""
    return len(name) < 2 or bool(_GENERIC.match(name))

