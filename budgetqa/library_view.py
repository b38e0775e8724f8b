"""What the 文档库 tab shows, as plain data: the loaded documents filtered by region, year, kind and
findings and sorted as asked, the results of an upload, and the choices of the document selectors.

    rows = library_rows(store.documents(), region="广东省", sort="发现问题（多→少）")
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from budgetqa.department_search import ALL, province_of
from budgetqa.library import FileResult
from budgetqa.messages import in_chinese
from budgetqa.models import StoredDocument
from ingest.names import LEVELS

STATUS_LABELS = {"added": "已导入", "replaced": "已替换旧版本", "unchanged": "未变化（已在库中）", "failed": "失败"}
LIBRARY_HEADERS = ["文件", "部门", "地区", "级别", "年度", "类型", "页数", "表格", "数据项", "发现问题"]
RESULT_HEADERS = ["文件", "结果", "部门", "年度", "类型", "页数", "表格", "数据项", "发现问题", "说明"]
FINDING_FILTERS = {ALL: lambda d: True, "有发现问题": lambda d: d.finding_count > 0,
                   "无发现问题": lambda d: d.finding_count == 0}
_LEVEL_ORDER = {level: n for n, level in enumerate(LEVELS)}
SORTS: dict[str, Callable[[StoredDocument], tuple]] = {
    "按地区": lambda d: (_LEVEL_ORDER.get(d.level or "", 9), d.region or "", d.department or "", -(d.fiscal_year or 0)),
    "按年度（新→旧）": lambda d: (-(d.fiscal_year or 0), d.region or "", d.department or ""),
    "按类型": lambda d: (d.kind or "", d.region or "", -(d.fiscal_year or 0)),
    "按发现问题（多→少）": lambda d: (-d.finding_count, d.region or "", d.department or ""),
    "按文件名": lambda d: (d.file_name,),
}


def filter_documents(documents: list[StoredDocument], region: str | None = None, year: str | None = None,
                     kind: str | None = None, findings: str | None = None, sort: str | None = None
                     ) -> list[StoredDocument]:
    """The documents in a region (a province includes its cities), of a year and kind, with or
    without findings, in the chosen order."""
    chosen = [d for d in documents
              if (not region or region == ALL or d.region == region or province_of(d.region or "") == region)
              and (not year or year == ALL or str(d.fiscal_year) == str(year))
              and (not kind or kind == ALL or d.kind == kind)
              and FINDING_FILTERS.get(findings or ALL, FINDING_FILTERS[ALL])(d)]
    return sorted(chosen, key=SORTS.get(sort or "", SORTS["按地区"]))


def library_rows(documents: list[StoredDocument], **filters: str | None) -> pd.DataFrame:
    rows = [[d.file_name, d.department or "未识别", d.region or "", d.level or "", d.fiscal_year or "", d.kind or "",
             d.page_count, d.table_count, d.fact_count, d.finding_count]
            for d in filter_documents(documents, **filters)]
    return pd.DataFrame(rows, columns=LIBRARY_HEADERS)


def library_note(shown: int, total: int) -> str:
    if total == 0:
        return "文档库是空的：请在上方上传部门预算、决算文件。"
    return f"显示 {shown} / {total} 个文档。" + ("" if shown else "没有符合筛选条件的文档，请放宽筛选。")


def year_choices(documents: list[StoredDocument]) -> list[str]:
    return [ALL, *sorted({str(d.fiscal_year) for d in documents if d.fiscal_year}, reverse=True)]


def kind_choices(documents: list[StoredDocument]) -> list[str]:
    return [ALL, *sorted({d.kind for d in documents if d.kind})]


def document_choices(documents: list[StoredDocument]) -> list[tuple[str, str]]:
    ordered = sorted(documents, key=SORTS["按地区"])
    return [(f"{d.file_name}（{d.department or '部门未识别'} · {d.fiscal_year or '年度未识别'}）", d.document_id)
            for d in ordered]


def result_rows(results: list[FileResult]) -> pd.DataFrame:
    rows: list[list] = []
    for r in results:
        d = r.document
        if d is None or not r.ok:
            rows.append([r.path.name, STATUS_LABELS["failed"], "", "", "", "", "", "", "", in_chinese(r.error)])
        else:
            rows.append([d.file_name, STATUS_LABELS.get(r.status, r.status), d.department or "未识别",
                         d.fiscal_year or "未识别", d.kind or "未识别", d.page_count, d.table_count, d.fact_count,
                         d.finding_count, ""])
    return pd.DataFrame(rows, columns=RESULT_HEADERS)


def results_summary(results: list[FileResult]) -> str:
    failed = [r for r in results if not r.ok]
    text = f"**{len(results) - len(failed)} 个文件导入成功**" + (f"，**{len(failed)} 个失败**" if failed else "")
    for r in failed:
        text += f"\n\n❌ 导入失败：{in_chinese(r.error)}"
    return text
