"""Document identity on every corpus file: department, budget unit, region, level, year, kind, what
the file holds (narrative, tables, both) and the pairing of split publications; and the name table
of ingest/data/department_names.tsv, whose short forms must each resolve to exactly one name."""

from __future__ import annotations

from collections import defaultdict

import pytest

from ingest.names import LEVELS, canonical_name, name_table, short_forms, split_region

# file -> (department, unit, region, level, fiscal year, kind, contents), read from each document's cover
EXPECTED = {
    "北京市司法局2026年部门预算.pdf": ("北京市司法局", None, "北京市", "省级", 2026, "部门预算", "narrative"),
    "北京市司法局2026年部门预算报表.pdf": ("北京市司法局", None, "北京市", "省级", 2026, "部门预算", "tables"),
    "重庆市人民政府办公厅2026年部门预算.pdf": ("重庆市人民政府办公厅", None, "重庆市", "省级", 2026, "部门预算", "both"),
    "福州市医疗保障局2026年部门预算.pdf": ("福州市医疗保障局", None, "福州市", "市级", 2026, "部门预算", "both"),
    "佛山市轨道交通局2019年部门决算.pdf": ("佛山市轨道交通局", None, "佛山市", "市级", 2019, "部门决算", "both"),
    "广州市信访局2026年部门预算.pdf": ("广州市信访局", None, "广州市", "市级", 2026, "部门预算", "both"),
    "深圳市信访局2026年部门预算.pdf": ("深圳市信访局", None, "深圳市", "市级", 2026, "部门预算", "both"),
    "江苏省委办公厅2019年度部门预算公开文件.pdf": ("中共江苏省委办公厅", None, "江苏省", "省级", 2019, "部门预算", "narrative"),
    "江苏省委办公厅2019年度部门预算公开表格.pdf": ("中共江苏省委办公厅", None, "江苏省", "省级", 2019, "部门预算", "tables"),
    "江苏省高级人民法院2019年度部门预算公开.pdf": ("江苏省高级人民法院", None, "江苏省", "省级", 2019, "部门预算", "both"),
    "省法院2017年度部门预算公开.pdf": ("江苏省高级人民法院", None, "江苏省", "省级", 2017, "部门预算", "both"),
    "省法院2018年度部门预算公开.pdf": ("江苏省高级人民法院", None, "江苏省", "省级", 2018, "部门预算", "both"),
    "苏州市审计局2026年部门预算.pdf": ("苏州市审计局", None, "苏州市", "市级", 2026, "部门预算", "both"),
    "国家信访局2024年度部门决算.pdf": ("国家信访局", None, "中央", "中央", 2024, "部门决算", "both"),
    "中共西安市委宣传部2021年部门综合预算.pdf": ("中共西安市委宣传部", None, "西安市", "市级", 2021, "部门综合预算", "both"),
    "西安市审计局2026年部门预算.pdf": ("西安市审计局", None, "西安市", "市级", 2026, "部门预算", "both"),
    "烟台市审计局2026年部门预算.pdf": ("烟台市审计局", None, "烟台市", "市级", 2026, "部门预算", "both"),
    "上海市大数据中心2020年部门预算.md": ("上海市大数据中心", None, "上海市", "省级", 2020, "部门预算", "both"),
    "上海市审计局2026年单位预算.pdf": ("上海市审计局", "上海市审计局", "上海市", "省级", 2026, "单位预算", "both"),
    "上海市金融服务办公室2018年部门预算.txt": ("上海市金融服务办公室", None, "上海市", "省级", 2018, "部门预算", "both"),
    "普陀区万里街道办事处2024年部门预算.pdf": ("上海市普陀区人民政府万里街道办事处", None, "上海市普陀区", "区县级", 2024,
                                    "部门预算", "both"),
    "普陀区人民政府办公室2025年部门预算.pdf": ("上海市普陀区人民政府办公室", None, "上海市普陀区", "区县级", 2025, "部门预算", "both"),
    "普陀区司法局2026年部门预算.pdf": ("上海市普陀区司法局", None, "上海市普陀区", "区县级", 2026, "部门预算", "both"),
    "杭州市气象局2026年部门预算.pdf": ("杭州市气象局", None, "杭州市", "市级", 2026, "部门预算", "both"),
}


def test_every_corpus_file_has_an_expected_identity(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    assert set(corpus_documents) == set(EXPECTED)


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_document_identity(corpus_documents, file_name: str) -> None:  # type: ignore[no-untyped-def]
    meta = corpus_documents[file_name].meta
    found = (meta.department, meta.unit, meta.region, meta.level, meta.fiscal_year, meta.kind, meta.contents)
    assert found == EXPECTED[file_name]


def test_split_publications_pair_up(corpus_documents) -> None:  # type: ignore[no-untyped-def]
    """The 情况说明 and the 报表 of one department-year share department, year and kind, and together
    hold both halves; no other document is left half."""
    groups: dict[tuple, set[str]] = defaultdict(set)
    for doc in corpus_documents.values():
        m = doc.meta
        groups[(m.department, m.fiscal_year, m.kind, m.unit)].add(m.contents or "")
    halves = {key: kinds for key, kinds in groups.items() if "both" not in kinds}
    assert halves == {("北京市司法局", 2026, "部门预算", None): {"narrative", "tables"},
                      ("中共江苏省委办公厅", 2019, "部门预算", None): {"narrative", "tables"}}


def test_name_table_is_large_and_well_formed() -> None:
    entries = name_table()
    assert len(entries) >= 150
    assert len({e.name for e in entries}) == len(entries), "a name is listed twice"
    assert all(e.level in LEVELS and e.short_forms for e in entries)


def test_each_short_form_resolves_to_exactly_one_name() -> None:
    """With every name of the table loaded at once, a listed short form fits exactly its own name."""
    entries = name_table()
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        for form in short_forms(entry.name):
            owners[form].add(entry.name)
    problems = []
    for entry in entries:
        for form in entry.short_forms:
            if owners.get(form) != {entry.name}:
                problems.append(f"{form} -> {sorted(owners.get(form, set()))}, listed for {entry.name}")
            if canonical_name(form) != entry.name:
                problems.append(f"canonical_name({form}) = {canonical_name(form)}, not {entry.name}")
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("name, region, level", [
    ("上海市普陀区司法局", "上海市普陀区", "区县级"), ("中共江苏省委办公厅", "江苏省", "省级"),
    ("国家信访局", "中央", "中央"), ("苏州市审计局", "苏州市", "市级"), ("江苏省苏州市审计局", "江苏省苏州市", "市级"),
    ("广东省佛山市南海区财政局", "广东省佛山市南海区", "区县级"), ("上海市审计局", "上海市", "省级"),
])
def test_region_and_level_by_rule(name: str, region: str, level: str) -> None:
    parts = split_region(name)
    assert (parts.region, parts.level) == (region, level)


@pytest.mark.parametrize("full, short", [
    ("上海市普陀区人民政府办公室", "区政府办"), ("中共江苏省委办公厅", "省委办公厅"), ("江苏省高级人民法院", "省法院"),
    ("上海市金融服务办公室", "金融办"), ("上海市普陀区人民政府万里街道办事处", "万里街道"),
    ("江苏省人民代表大会常务委员会办公厅", "江苏省人大常委会办公厅"), ("上海市商务委员会", "上海市商务委"),
    ("江苏省人民检察院", "江苏省检察院"), ("福州市医疗保障局", "福州医保局"),
])
def test_short_forms_by_rule(full: str, short: str) -> None:
    assert short in short_forms(full)


def test_generic_office_words_are_not_short_forms() -> None:
    assert "政府办公厅" not in short_forms("重庆市人民政府办公厅")
    assert "法院" not in short_forms("江苏省高级人民法院")
