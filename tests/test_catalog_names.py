"""The catalog finds the loaded names in a question by looking up stretches of the question, not by
searching it for every loaded name: with hundreds of departments (names of real cities and districts,
short forms shared by many, names inside other names) it finds what the search over every name finds,
in the same order, and item_text and the departments a question names come out the same."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from budgetqa.models import StoredDocument
from ingest.meta import department_aliases
from qa.understand import Catalog, parse_question

CITIES = ("上海市", "北京市", "江苏省苏州市", "浙江省杭州市", "上海市普陀区", "江苏省")
CORES = ("司法局", "教育局", "人民政府办公室", "财政局", "审计局", "金融服务办公室", "高级人民法院", "信访办公室",
         "卫生健康委员会", "市场监督管理局")


def _doc(number: int, department: str, year: int) -> StoredDocument:
    return StoredDocument(document_id=f"d{number}", file_name=f"{department.removeprefix('中共')}{year}年部门预算.pdf",
                          path="", file_format="pdf", content_hash=f"d{number}", page_count=1, department=department,
                          region=None, fiscal_year=year, kind="部门预算", title=None,
                          aliases=department_aliases(department), table_count=0, fact_count=0, passage_count=0,
                          finding_count=0)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    names = [city + core for city, core in itertools.product(CITIES, CORES)] + ["中共江苏省委办公厅"]
    return Catalog([_doc(n, name, 2023 + n % 4) for n, name in enumerate(names)])


def _questions(catalog: Catalog) -> list[str]:
    rng = random.Random(7)
    names = sorted(catalog.names)
    out = []
    for _ in range(300):
        parts = rng.sample(names, rng.choice([1, 1, 2, 3]))
        out.append(f"{'和'.join(parts)}{rng.choice([2023, 2025])}年{rng.choice(['三公经费', '主要职能', '司法局经费'])}"
                   f"{rng.choice(['是多少？', '比去年多多少？', '是什么？'])}")
    return out + ["区政府办2025年三公经费是多少？", "省委办公厅和省法院谁的预算多？", "普陀区教育局2025年预算有多少？"]


def test_names_in_a_question_are_those_a_search_over_every_name_finds(catalog: Catalog) -> None:
    assert len(catalog.names) > 100
    shared = [name for name, departments in catalog.names.items() if len(departments) > 1]
    assert shared  # short forms several departments share ("司法局")
    for question in _questions(catalog):
        assert catalog.names_in(question) == [name for name in catalog.names if name in question]
        replaced = question
        for name in sorted(catalog.names, key=len, reverse=True):
            replaced = replaced.replace(name, "＃")
        assert catalog.without_names(question, "＃") == replaced
        for org in re.findall(r"[\u4e00-\u9fa5]{2,8}", question):
            assert catalog.inside_a_name(org) == any(org in name for name in catalog.names)


def test_departments_and_items_of_questions(catalog: Catalog) -> None:
    """Spot checks that parsing still reads the departments named, longest names first."""
    query = parse_question("江苏省苏州市审计局和上海市普陀区司法局2025年三公经费是多少？", catalog)
    assert query.departments == ["江苏省苏州市审计局", "上海市普陀区司法局"]
    assert "审计" not in query.item_text and "三公经费" in query.item_text
    assert parse_question("江苏省委办公厅2026年住房公积金多少？", catalog).departments == ["江苏省委办公厅"]
    unknown = parse_question("北京市体育局2025年预算有多少？", catalog)
    assert unknown.departments == [] and unknown.unknown_department == "北京市体育局"
