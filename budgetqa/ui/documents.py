"""The 文档库 tab: upload, the loaded documents (filtered by region, year, kind and findings, sorted as
asked), delete and replace after a confirmation, and the findings of the chosen document in Chinese.

    parts = documents_tab(app)       # inside gr.Blocks; parts["changed"] are the events that change the library
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from budgetqa.department_search import ALL, region_choices
from budgetqa.finding_text import FINDING_HEADERS, NO_DOCUMENT, findings_frame, findings_note
from budgetqa.library_view import (
    FINDING_FILTERS,
    LIBRARY_HEADERS,
    RESULT_HEADERS,
    SORTS,
    STATUS_LABELS,
    document_choices,
    kind_choices,
    library_note,
    library_rows,
    result_rows,
    results_summary,
    year_choices,
)
from budgetqa.messages import in_chinese
from budgetqa.ui.service import BudgetApp

# widths that let the findings and library tables fit a laptop screen; long cells wrap
FINDING_WIDTHS: list[str | int] = ["11%", "27%", "22%", "6%", "12%", "10%", "12%"]
LIBRARY_WIDTHS: list[str | int] = ["22%", "17%", "10%", "6%", "6%", "9%", "6%", "6%", "9%", "9%"]


def documents_tab(app: BudgetApp) -> dict:
    settings = app.settings
    gr.Markdown(f"支持 PDF、TXT、MD，单个文件不超过 {settings.max_file_mb:g} MB。同名文件再次上传会替换旧版本。")
    # No client-side file_types filter: the server checks type and size and says why a file is refused.
    uploads = gr.File(file_count="multiple", label="上传文件（PDF / TXT / MD，可多选）", elem_id="upload")
    ingest = gr.Button("导入", variant="primary", elem_id="ingest")
    summary = gr.Markdown(elem_id="ingest-summary")
    results = gr.Dataframe(headers=RESULT_HEADERS, label="导入结果", interactive=False, elem_id="ingest-result",
                           wrap=True)
    gr.Markdown("### 已导入的文档")
    with gr.Row():
        region = gr.Dropdown([(ALL, ALL)], value=ALL, label="地区", elem_id="library-region")
        year = gr.Dropdown([ALL], value=ALL, label="年度", elem_id="library-year")
        kind = gr.Dropdown([ALL], value=ALL, label="类型", elem_id="library-kind")
        findings_filter = gr.Dropdown(list(FINDING_FILTERS), value=ALL, label="发现问题", elem_id="library-findings")
        sort = gr.Dropdown(list(SORTS), value="按地区", label="排序", elem_id="library-sort")
    shown = gr.Markdown(elem_id="library-note")
    library = gr.Dataframe(headers=LIBRARY_HEADERS, label="已导入的文档（也可点表头排序）", interactive=False,
                           elem_id="library", wrap=True, max_height=760, column_widths=LIBRARY_WIDTHS)
    with gr.Row():
        select = gr.Dropdown([], label="选择文档", elem_id="doc-select", scale=3)
        remove = gr.Button("删除所选文档…", variant="stop", elem_id="remove", scale=1)
    with gr.Row():
        replacement = gr.File(file_count="single", label="用新文件替换所选文档", elem_id="replace-file", scale=3)
        replace = gr.Button("替换…", elem_id="replace", scale=1)
    with gr.Group(visible=False, elem_id="confirm") as confirm_box:
        question = gr.Markdown(elem_id="confirm-text")
        with gr.Row():
            confirm = gr.Button("确认", variant="stop", elem_id="confirm-yes")
            cancel = gr.Button("取消", elem_id="confirm-no")
    pending = gr.State(None)  # "remove" or "replace", waiting for the user's confirmation
    action_note = gr.Markdown(elem_id="doc-action")
    findings_hint = gr.Markdown(NO_DOCUMENT, elem_id="findings-note")
    findings = gr.Dataframe(headers=FINDING_HEADERS, label="一致性检查发现的问题", interactive=False,
                            elem_id="findings", wrap=True, column_widths=FINDING_WIDTHS)

    filters = [region, year, kind, findings_filter, sort]

    def on_filters(*values):  # type: ignore[no-untyped-def]
        return library_view(app.documents(), *values)

    for control in filters:
        control.change(on_filters, filters, [library, shown], queue=False)

    def on_ingest(files, progress=gr.Progress()):  # type: ignore[no-untyped-def]
        return _ingest(app, files, progress)

    def on_confirm(action, document_id, file, progress=gr.Progress()):  # type: ignore[no-untyped-def]
        return [gr.update(visible=False), None, *_confirmed(app, action, document_id, file, progress)]

    ask_outputs = [confirm_box, question, pending, action_note]
    remove.click(lambda d: _ask_first(app, "remove", d, None), select, ask_outputs)
    replace.click(lambda d, f: _ask_first(app, "replace", d, f), [select, replacement], ask_outputs)
    cancel.click(lambda: [gr.update(visible=False), None, "已取消，文档库没有变化。"], None,
                 [confirm_box, pending, action_note])
    changed = [
        ingest.click(on_ingest, uploads, [summary, results, uploads], concurrency_id="library"),
        confirm.click(on_confirm, [pending, select, replacement],
                      [confirm_box, pending, action_note, replacement, findings, findings_hint],
                      concurrency_id="library"),
    ]
    select.change(lambda d: _findings(app, d), select, [findings, findings_hint])
    return {"library": library, "shown": shown, "select": select, "region": region, "year": year, "kind": kind,
            "filters": filters, "changed": changed}


def library_view(documents: list, region: str | None, year: str | None, kind: str | None, findings: str | None,
                 sort: str | None) -> list:
    rows = library_rows(documents, region=region, year=year, kind=kind, findings=findings, sort=sort)
    return [rows, library_note(len(rows), len(documents))]


def refresh_updates(app: BudgetApp, documents: list, region: str | None, year: str | None, kind: str | None,
                    findings: str | None, sort: str | None) -> list:
    """Everything of this tab that depends on the loaded documents, in REFRESHED order."""
    regions = region_choices(app.departments(documents))
    region = region if region in [value for _, value in regions] else ALL
    year = year if year in year_choices(documents) else ALL
    kind = kind if kind in kind_choices(documents) else ALL
    return [*library_view(documents, region, year, kind, findings, sort),
            gr.update(choices=regions, value=region), gr.update(choices=year_choices(documents), value=year),
            gr.update(choices=kind_choices(documents), value=kind), gr.update(choices=document_choices(documents))]


REFRESHED = ("library", "shown", "region", "year", "kind", "select")


def _findings(app: BudgetApp, document_id: str | None) -> list:
    document = app.store.document(document_id) if document_id else None
    found = app.store.findings(document.document_id) if document else []
    return [findings_frame(found), findings_note(document, found)]


def _upload_paths(files: Any) -> list[Path]:
    if not files:
        return []
    files = files if isinstance(files, list) else [files]
    return [Path(f if isinstance(f, str) else getattr(f, "name", f)) for f in files]


def _ingest(app: BudgetApp, files: Any, progress: gr.Progress) -> list:
    paths = _upload_paths(files)
    if not paths:
        return ["请先选择要上传的文件。", gr.update(), gr.update()]
    results = []
    for number, path in enumerate(paths):
        progress((number, len(paths)), desc=f"正在导入 {path.name}", unit="个文件")
        results.append(app.ingest_upload(path))
    progress((len(paths), len(paths)), desc="完成")
    return [results_summary(results), result_rows(results), gr.update(value=None)]


def _ask_first(app: BudgetApp, action: str, document_id: str | None, file: Any) -> list:
    """Show the confirmation of a delete or replace; nothing changes before the user confirms."""
    doc = app.store.document(document_id) if document_id else None
    paths = _upload_paths(file)
    if doc is None or (action == "replace" and not paths):
        missing = "请先选择文档。" if action == "remove" else "请先选择要替换的文档，并上传新文件。"
        return [gr.update(visible=False), "", None, missing]
    owner = f"{doc.department or '部门未识别'} · {doc.fiscal_year or '年度未识别'} · {doc.kind or '类型未识别'}"
    text = (f"确定要删除 **{doc.file_name}**（{owner}）吗？删除后问答不再使用它，需重新上传才能恢复。"
            if action == "remove" else
            f"确定要用 **{paths[0].name}** 替换 **{doc.file_name}**（{owner}）吗？新文件导入成功后旧版本会被删除。")
    return [gr.update(visible=True), text, action, ""]


def _confirmed(app: BudgetApp, action: str | None, document_id: str | None, file: Any,
               progress: gr.Progress) -> list:
    """[action note, replacement file, findings, findings note] after the confirmed action."""
    if action == "remove" and document_id:
        doc = app.remove(document_id)
        message = f"已删除 {doc.file_name}" if doc else "该文档已不在库中。"
        return [message, gr.update(), *_findings(app, None)]
    if action == "replace" and document_id:
        return [_replace(app, file, document_id, progress), gr.update(value=None), *_findings(app, None)]
    return ["没有待确认的操作。", gr.update(), gr.update(), gr.update()]


def _replace(app: BudgetApp, file: Any, document_id: str, progress: gr.Progress) -> str:
    paths = _upload_paths(file)
    old = app.store.document(document_id)
    if not paths:
        return "请先上传新文件。"
    progress((0, 1), desc=f"正在导入 {paths[0].name}")
    result = app.ingest_upload(paths[0])
    if not result.ok or result.document is None:
        return f"❌ 替换失败，原文档保持不变：{in_chinese(result.error)}"
    if old and result.document.document_id != old.document_id and app.store.document(old.document_id):
        app.remove(old.document_id)
    name = old.file_name if old else "所选文档"
    return f"已用 {result.document.file_name} 替换 {name}（{STATUS_LABELS.get(result.status, result.status)}）"
