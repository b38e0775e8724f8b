"""What the app shows, as plain data (no interface code): answers as markdown with their citations,
chart data, library and ingest-result rows, findings, table choices, and example questions drawn from
the loaded documents. app.py lays these out; tests and other front ends can use them as they are.

    text = answer_markdown(answer, settings)
    questions = example_questions(store.documents())
"""

from __future__ import annotations

import pandas as pd

from budgetqa.library import FileResult
from budgetqa.models import Answer, Citation, StoredDocument
from budgetqa.settings import Settings
from index.store import Store

ALL = "全部"  # the filter choice that filters nothing
STATUS_LABELS = {"added": "已导入", "replaced": "已替换旧版本", "unchanged": "未变化（已在库中）", "failed": "失败"}
LIBRARY_HEADERS = ["文件", "部门", "年度", "类型", "页数", "表格", "数据项", "段落", "发现问题", "文档ID"]
RESULT_HEADERS = ["文件", "结果", "部门", "年度", "类型", "页数", "表格", "数据项", "发现问题", "说明"]
FINDING_HEADERS = ["检查", "位置", "页码", "应为", "实为", "说明"]

# ---- presenting answers --------------------------------------------------------------------------
def citation_label(number: int, citation: Citation) -> str:
    where = " · ".join(x for x in (citation.table, citation.row, citation.column) if x)
    return f"[{number}] {citation.document} 第{citation.page}页" + (f" · {where}" if where else "")


def answer_markdown(answer: Answer, settings: Settings) -> str:
    """The answer as shown: text, the value in large type, the computation, numbered sources, the model."""
    parts = ["### 回答\n\n" + answer.answer.replace("\n", "  \n")]
    if answer.value is not None:
        parts.append(f'<div class="value">{format(answer.value, ",f")} {answer.unit or ""}</div>')
    if answer.computation:
        parts.append(f"**计算：** {answer.computation}")
    if answer.citations:
        lines = [f"{n}. {citation_label(n, c)[len(f'[{n}] '):]}" + (f"：{c.snippet}" if c.snippet and not c.table else "")
                 for n, c in enumerate(answer.citations, start=1)]
        parts.append("**来源**（点选下方来源查看原文页面）\n\n" + "\n".join(lines))
    elif answer.found:
        parts.append("_没有可引用的来源_")
    model = answer.llm or settings.llm
    parts.append(f"<small>{'语言模型：' + model if model else '未使用大语言模型（表格检索与计算）'} · "
                 f"{answer.latency_ms:.0f} ms</small>")
    return "\n\n".join(parts)


def chart_frame(chart: list[dict] | None) -> pd.DataFrame | None:
    if not chart:
        return None
    return pd.DataFrame({"项目": [str(p["label"]) for p in chart], "金额": [float(p["value"]) for p in chart]})


def chart_unit(chart: list[dict] | None) -> str:
    units = {p.get("unit") for p in chart or [] if p.get("unit")}
    return f"金额（{units.pop()}）" if len(units) == 1 else "金额"


# ---- library and table views ----------------------------------------------------------------------
def library_rows(documents: list[StoredDocument]) -> pd.DataFrame:
    rows = [[d.file_name, d.department or "", d.fiscal_year or "", d.kind or "", d.page_count, d.table_count,
             d.fact_count, d.passage_count, d.finding_count, d.document_id] for d in documents]
    return pd.DataFrame(rows, columns=LIBRARY_HEADERS)


def result_rows(results: list[FileResult]) -> pd.DataFrame:
    rows = []
    for r in results:
        d = r.document
        if d is None or not r.ok:
            rows.append([r.path.name, STATUS_LABELS["failed"], "", "", "", "", "", "", "", r.error or ""])
        else:
            rows.append([d.file_name, STATUS_LABELS.get(r.status, r.status), d.department or "未识别",
                         d.fiscal_year or "未识别", d.kind or "未识别", d.page_count, d.table_count, d.fact_count,
                         d.finding_count, ""])
    return pd.DataFrame(rows, columns=RESULT_HEADERS)


def results_summary(results: list[FileResult]) -> str:
    failed = [r for r in results if not r.ok]
    text = f"**{len(results) - len(failed)} 个文件导入成功**" + (f"，**{len(failed)} 个失败**" if failed else "")
    for r in failed:
        text += f"\n\n❌ 导入失败：{r.error}"
    return text


def findings_rows(store: Store, document_id: str | None) -> pd.DataFrame:
    rows = [[f.check, f.where, f.page or "", f.expected, f.found, f.message]
            for _, f in (store.findings(document_id) if document_id else [])]
    return pd.DataFrame(rows, columns=FINDING_HEADERS)


def table_choices(store: Store, document_id: str | None) -> list[tuple[str, int]]:
    if not document_id:
        return []
    return [(f"表{t['table_index'] + 1} · {t['title']} · 第{'、'.join(map(str, t['pages']))}页"
             + (f"（{t['unit']}）" if t.get("unit") else ""), t["table_index"])
            for t in store.tables(document_id)]


EXAMPLE_TEMPLATES = (
    "{department}{year}年“三公”经费预算是多少？",
    "{department}{year}年财政拨款收入比上年少了多少？",
    "{department}的主要职能有哪些？",
    "{department}{year}年预算一共多少钱？",
    "{department}{year}年机关运行经费预算是多少？",
)


def example_questions(documents: list[StoredDocument], limit: int = 6) -> list[str]:
    """Questions the loaded documents can answer: a lookup, a comparison with the year before, a
    narrative question…, each kind about another department so that the examples show the range."""
    latest: dict[str, list[int]] = {}
    for d in documents:
        if d.department and d.fiscal_year:
            latest.setdefault(d.department, []).append(d.fiscal_year)
    departments = sorted(latest)
    questions: list[str] = []
    for department, years in latest.items():
        if len(set(years)) > 1:  # two years of one department: the chart-worthy comparison
            newest, earlier = sorted(set(years))[-1], sorted(set(years))[-2]
            questions.append(f"{department}{newest}年“三公”经费比{earlier}年增加了多少？")
    if len(departments) > 1:  # several departments: a ranking, shown with a bar chart
        questions.append("哪个部门的“三公”经费最多？")
    for round_ in range(len(EXAMPLE_TEMPLATES)):
        for offset, template in enumerate(EXAMPLE_TEMPLATES):
            if not departments:
                break
            department = departments[(offset + round_) % len(departments)]
            questions.append(template.format(department=department, year=max(latest[department])))
    return list(dict.fromkeys(questions))[:limit]


def filter_choices(documents: list[StoredDocument]) -> tuple[list[str], list[str], list[str]]:
    departments = sorted({d.department for d in documents if d.department})
    years = sorted({str(d.fiscal_year) for d in documents if d.fiscal_year}, reverse=True)
    kinds = sorted({d.kind for d in documents if d.kind})
    return [ALL, *departments], [ALL, *years], [ALL, *kinds]


def document_choices(documents: list[StoredDocument]) -> list[tuple[str, str]]:
    return [(f"{d.file_name}（{d.department or '部门未识别'} · {d.fiscal_year or '年度未识别'}）", d.document_id)
            for d in documents]
