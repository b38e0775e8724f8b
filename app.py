"""The budgetqa web app (Gradio): ask questions with cited answers, see the cited page, manage documents.

A thin layer over the library: `budgetqa.library.Library` ingests and removes documents,
`index.store.Store` lists them, `qa.chain.build_answerer(settings).ask(...)` answers. Nothing here
reads tables or computes answers.

    budgetqa serve                      # or: python app.py --port 7860
    demo = build_app(Settings(data_dir=tmp_path)); launch(settings, port=7861)
"""

from __future__ import annotations

import os

# No analytics or version checks: the app must run without internet. Set before gradio is imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from budgetqa.exports import table_frame, write_csv
from budgetqa.library import FileResult, Library
from budgetqa.pages import cited_lines, render_pdf_page
from budgetqa.models import Answer, Citation, StoredDocument
from budgetqa.settings import Settings
from budgetqa.uploads import UploadError, discard_upload, store_upload
from budgetqa.views import (ALL, FINDING_HEADERS, LIBRARY_HEADERS, RESULT_HEADERS, STATUS_LABELS, answer_markdown,
                            chart_frame, chart_unit,
                            citation_label, document_choices, example_questions, filter_choices, findings_rows,
                            library_rows, result_rows, results_summary, table_choices)

CSS = """
#answer .value {font-size: 1.6em; font-weight: 700;}
footer {display: none !important;}
"""


def offline_theme() -> gr.themes.Base:
    """A theme that only names fonts installed on the machine (no web fonts are fetched)."""
    return gr.themes.Soft(
        font=[gr.themes.Font("Noto Sans CJK SC"), gr.themes.Font("Noto Sans SC"), "system-ui", "sans-serif"],
        font_mono=[gr.themes.Font("Noto Sans Mono CJK SC"), "ui-monospace", "monospace"],
    )


# ---- the app's connection to the library ---------------------------------------------------------
@dataclass
class BudgetApp:
    """What every session shares: the settings, the library and the answerer."""

    settings: Settings
    library: Library = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.library = Library(self.settings)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.library.store

    def documents(self) -> list[StoredDocument]:
        return self.library.documents()

    def answerer(self):  # type: ignore[no-untyped-def]
        """The process-wide answerer of this store; it reads the document list on every question."""
        from qa.chain import build_answerer

        with self._lock:  # build once even when two sessions ask the first question together
            return build_answerer(self.settings, passage_index=self.library.passage_index)

    def ask(self, question: str, department: str | None, year: int | None, kind: str | None,
            previous: str | None = None) -> Answer:
        return self.answerer().ask(question, department=department, year=year, kind=kind, previous=previous)

    def ingest_upload(self, upload: Path) -> FileResult:
        """Check, store and ingest one uploaded file; any failure becomes a failed FileResult."""
        try:
            stored = store_upload(upload, self.settings)
        except (UploadError, OSError) as error:
            return FileResult(upload, "failed", error=str(error))
        old = {d.document_id: d.path for d in self.store.documents_named(stored.name)}
        try:
            result = self.library.ingest_file(stored)
        except Exception as error:  # the library reports failures itself; this is the last safety net
            result = FileResult(stored, "failed", error=f"{stored.name}：导入出错（{type(error).__name__}: {error}）")
        self._tidy_uploads(result, stored, old)
        return result

    def _tidy_uploads(self, result: FileResult, stored: Path, old: dict[str, str]) -> None:
        if not result.ok and result.status == "failed":
            discard_upload(stored, self.settings)
        elif result.status == "unchanged" and result.document and Path(result.document.path).resolve() != stored:
            discard_upload(stored, self.settings)
        elif result.status == "replaced":
            for path in old.values():
                if Path(path).resolve() != stored:
                    discard_upload(path, self.settings)

    def remove(self, document_id: str) -> StoredDocument | None:
        doc = self.store.document(document_id)
        if doc is None:
            return None
        self.library.remove(doc.document_id)
        discard_upload(doc.path, self.settings)
        return doc


# ---- the Blocks ----------------------------------------------------------------------------------
def build_app(settings: Settings, app: BudgetApp | None = None) -> gr.Blocks:
    """The whole interface; every handler calls the library through one shared BudgetApp."""
    app = app or BudgetApp(settings)
    with gr.Blocks(title="预算问答 budgetqa", analytics_enabled=False) as demo:
        gr.Markdown("# 预算问答\n上传部门预算、决算文件，用中文提问；每个答案都附有原文页码和单元格。")
        with gr.Tab("问答", id="chat"):
            chat = _chat_tab(app)
        with gr.Tab("文档库", id="documents"):
            docs = _documents_tab(app)
        with gr.Tab("表格浏览", id="tables"):
            tables = _tables_tab(app)
        refresh_outputs = [chat["department"], chat["year"], chat["kind"], chat["examples"], docs["library"],
                           docs["select"], tables["document"]]

        def refresh():  # type: ignore[no-untyped-def]
            return _refresh_updates(app)

        demo.load(refresh, outputs=refresh_outputs)
        for event in docs["changed"]:
            event.then(refresh, outputs=refresh_outputs)
    demo.budget_app = app  # type: ignore[attr-defined]
    return demo


def _refresh_updates(app: BudgetApp) -> list:
    documents = app.documents()
    departments, years, kinds = filter_choices(documents)
    choices = document_choices(documents)
    return [gr.update(choices=departments), gr.update(choices=years), gr.update(choices=kinds),
            gr.update(samples=[[q] for q in example_questions(documents)]),
            library_rows(documents), gr.update(choices=choices), gr.update(choices=choices)]


def _chat_tab(app: BudgetApp) -> dict:
    settings = app.settings
    model_note = f"语言模型：**{settings.llm}**" if settings.llm else "未配置语言模型：答案直接取自表格与计算"
    gr.Markdown(model_note, elem_id="llm-status")
    with gr.Row():
        department = gr.Dropdown([ALL], value=ALL, label="部门", elem_id="filter-department", scale=3)
        year = gr.Dropdown([ALL], value=ALL, label="年度", elem_id="filter-year", scale=1)
        kind = gr.Dropdown([ALL], value=ALL, label="文档类型", elem_id="filter-kind", scale=1)
    with gr.Row():
        question = gr.Textbox(label="问题", placeholder="例如：区政府办2025年“三公”经费预算是多少？", lines=1,
                              elem_id="question", scale=5)
        ask = gr.Button("提问", variant="primary", elem_id="ask", scale=1)
    examples = gr.Dataset(components=[question], samples=[], label="示例问题（点击填入）", elem_id="examples")
    with gr.Row():
        with gr.Column(scale=1):
            answer = gr.Markdown(elem_id="answer")
            chart = gr.BarPlot(x="项目", y="金额", label="对比", visible=False, elem_id="chart", sort=None)
            sources = gr.Radio([], type="index", label="来源（选择查看原文）", elem_id="citations")
        with gr.Column(scale=1):
            page_note = gr.Markdown(elem_id="page-note")
            page_image = gr.Image(label="原文页面", type="pil", interactive=False, visible=False,
                                  elem_id="page-image", format="png")
            text_view = gr.Textbox(label="原文行", lines=10, interactive=False, visible=False, elem_id="cited-lines")
    citations = gr.State([])
    last_question = gr.State("")  # per browser session: follow-ups ("比去年少了多少？") build on it

    def on_ask(q, dep, yr, kd, last):  # type: ignore[no-untyped-def]
        return [*_ask(app, q, dep, yr, kd, last), (q or "").strip() or last]

    def on_source(index, cites):  # type: ignore[no-untyped-def]
        return _show_citation(app, index, cites)

    outputs = [answer, chart, sources, citations, page_note, page_image, text_view, last_question]
    inputs = [question, department, year, kind, last_question]
    # Answering reads only; several sessions may ask at once (the answerer is shared and read-only).
    ask.click(on_ask, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
    question.submit(on_ask, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
    examples.click(lambda sample: sample[0], examples, question)

    def api_ask(question: str) -> dict:
        """The `ask --json` answer for programs (and the load benchmark): POST /gradio_api/call/ask."""
        return app.ask(question or "", None, None, None).to_json()  # too long or empty: refused at once

    gr.api(api_ask, api_name="ask", concurrency_limit=4, concurrency_id="ask")
    sources.select(on_source, [sources, citations], [page_note, page_image, text_view], concurrency_limit=2)
    return {"department": department, "year": year, "kind": kind, "examples": examples}


def _filter(value: str | None) -> str | None:
    return None if value in (None, "", ALL) else value


def _ask(app: BudgetApp, question: str, department: str | None, year: str | None, kind: str | None,
         previous: str | None = None) -> list:
    hide = [gr.update(value="", visible=True), gr.update(value=None, visible=False), gr.update(value="", visible=False)]
    question = (question or "").strip()
    if not question:
        return ["请输入问题。", gr.update(visible=False), gr.update(choices=[], value=None), [], *hide]
    if not app.documents():
        return ["文档库是空的：请先在“文档库”页上传预算文件。", gr.update(visible=False),
                gr.update(choices=[], value=None), [], *hide]
    try:
        answer = app.ask(question, _filter(department), int(year) if _filter(year) else None, _filter(kind),
                         previous=previous or None)
    except Exception as error:  # an answering bug must show as a message, not break the page
        return [f"回答时出错：{type(error).__name__}: {error}", gr.update(visible=False),
                gr.update(choices=[], value=None), [], *hide]
    frame = chart_frame(answer.chart)
    chart = (gr.update(value=frame, visible=True, y_title=chart_unit(answer.chart), sort=list(dict.fromkeys(frame["项目"])))
             if frame is not None
             else gr.update(value=None, visible=False))
    labels = [citation_label(n, c) for n, c in enumerate(answer.citations, start=1)]
    cites = [c.__dict__ for c in answer.citations]
    return [answer_markdown(answer, app.settings), chart, gr.update(choices=labels, value=None), cites, *hide]


def _show_citation(app: BudgetApp, index: int | None, cites: list[dict]) -> list:
    if index is None or not (0 <= index < len(cites)):
        return [gr.update(value=""), gr.update(visible=False), gr.update(visible=False)]
    c = Citation(**cites[index])
    doc = app.store.document(c.document_id) if c.document_id else None
    doc = doc or next((d for d in app.documents() if d.file_name == c.document), None)
    title = f"**[{index + 1}] {c.document} 第{c.page}页**" + (f"　{c.table} · {c.row} · {c.column}" if c.table else "")
    if doc is None or not Path(doc.path).is_file():
        return [title + "\n\n原文件已不在文档库中。", gr.update(visible=False), gr.update(visible=False)]
    if doc.file_format == "pdf":
        image, marked = render_pdf_page(doc.path, c.page, c.bbox, c.snippet)
        note = "红框为引用的单元格或段落" if marked else "（未能在页面上定位引用内容，请查看整页）"
        return [f"{title}\n\n{note}", gr.update(value=image, visible=True), gr.update(visible=False)]
    text = cited_lines(doc.path, c.line_no, c.snippet)
    return [f"{title}" + (f" 第{c.line_no}行" if c.line_no else ""), gr.update(visible=False),
            gr.update(value=text, visible=True)]


def _documents_tab(app: BudgetApp) -> dict:
    settings = app.settings
    gr.Markdown(f"支持 PDF、TXT、MD，单个文件不超过 {settings.max_file_mb:g} MB。同名文件再次上传会替换旧版本。")
    # No client-side file_types filter: the server checks type and size and says why a file is refused.
    uploads = gr.File(file_count="multiple", label="上传文件（PDF / TXT / MD，可多选）", elem_id="upload")
    ingest = gr.Button("导入", variant="primary", elem_id="ingest")
    summary = gr.Markdown(elem_id="ingest-summary")
    results = gr.Dataframe(headers=RESULT_HEADERS, label="导入结果", interactive=False, elem_id="ingest-result",
                           wrap=True)
    library = gr.Dataframe(headers=LIBRARY_HEADERS, label="已导入的文档", interactive=False, elem_id="library",
                           wrap=True)
    with gr.Row():
        select = gr.Dropdown([], label="选择文档", elem_id="doc-select", scale=3)
        remove = gr.Button("删除所选文档", variant="stop", elem_id="remove", scale=1)
    with gr.Row():
        replacement = gr.File(file_count="single", label="用新文件替换所选文档",
                              elem_id="replace-file", scale=3)
        replace = gr.Button("替换", elem_id="replace", scale=1)
    action_note = gr.Markdown(elem_id="doc-action")
    findings = gr.Dataframe(headers=FINDING_HEADERS, label="一致性检查发现的问题", interactive=False,
                            elem_id="findings", wrap=True)

    def on_ingest(files, progress=gr.Progress()):  # type: ignore[no-untyped-def]
        return _ingest(app, files, progress)

    def on_replace(file, document_id, progress=gr.Progress()):  # type: ignore[no-untyped-def]
        return _replace(app, file, document_id, progress)

    changed = [
        ingest.click(on_ingest, uploads, [summary, results, uploads], concurrency_id="library"),
        remove.click(lambda d: _remove(app, d), select, [action_note, findings], concurrency_id="library"),
        replace.click(on_replace, [replacement, select], [action_note, replacement], concurrency_id="library"),
    ]
    select.change(lambda d: findings_rows(app.store, d), select, findings)
    return {"library": library, "select": select, "changed": changed}


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


def _remove(app: BudgetApp, document_id: str | None) -> list:
    if not document_id:
        return ["请先选择文档。", gr.update()]
    doc = app.remove(document_id)
    message = f"已删除 {doc.file_name}" if doc else "该文档已不在库中。"
    return [message, findings_rows(app.store, None)]


def _replace(app: BudgetApp, file: Any, document_id: str | None, progress: gr.Progress) -> list:
    paths = _upload_paths(file)
    if not document_id or not paths:
        return ["请先选择要替换的文档，并上传新文件。", gr.update()]
    old = app.store.document(document_id)
    progress((0, 1), desc=f"正在导入 {paths[0].name}")
    result = app.ingest_upload(paths[0])
    if not result.ok or result.document is None:
        return [f"❌ 替换失败，原文档保持不变：{result.error}", gr.update(value=None)]
    if old and result.document.document_id != old.document_id and app.store.document(old.document_id):
        app.remove(old.document_id)
    name = old.file_name if old else "所选文档"
    return [f"已用 {result.document.file_name} 替换 {name}（{STATUS_LABELS.get(result.status, result.status)}）",
            gr.update(value=None)]


def _tables_tab(app: BudgetApp) -> dict:
    with gr.Row():
        document = gr.Dropdown([], label="文档", elem_id="table-document", scale=2)
        table = gr.Dropdown([], label="表格", elem_id="table-select", scale=3)
    frame = gr.Dataframe(label="表格内容", interactive=False, elem_id="table-view", wrap=True, max_height=600)
    download = gr.DownloadButton("下载 CSV", elem_id="table-csv", visible=False)

    def on_document(document_id):  # type: ignore[no-untyped-def]
        return gr.update(choices=table_choices(app.store, document_id), value=None)

    def on_table(document_id, table_index):  # type: ignore[no-untyped-def]
        if document_id is None or table_index is None:
            return gr.update(value=None), gr.update(visible=False)
        data = table_frame(app.store, document_id, int(table_index))
        doc = app.store.document(document_id)
        name = f"{Path(doc.file_name).stem if doc else document_id}_表{int(table_index) + 1}"
        return data, gr.update(value=write_csv(data, name), visible=True)

    document.change(on_document, document, table)
    table.change(on_table, [document, table], [frame, download])
    return {"document": document}


# ---- starting ------------------------------------------------------------------------------------
# Gradio refuses a file over max_file_size in the browser, before any upload, with an English message;
# the page shows the app's own Chinese one instead (the server-side limit stays Gradio's).
OVERSIZE_MESSAGE_JS = """<script>
(() => {
  const pattern = /File\\(s\\) exceed the maximum allowed size of ([^:]+):\\s*(.*)/;
  const rewrite = (root) => {
    if (!root) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const found = node.nodeValue.match(pattern);
      if (found) node.nodeValue = `文件太大，超过上限 ${found[1]}：${found[2].replace(/"/g, "")}。` +
        "请上传更小的文件（例如按部门拆分），未导入任何内容。";
    }
  };
  new MutationObserver((changes) => changes.forEach((change) => {
    if (change.type === "characterData") rewrite(change.target.parentNode);
    change.addedNodes.forEach((node) => rewrite(node.nodeType === 1 ? node : node.parentNode));
  })).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>"""


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> None:
    """Serve the app on host:port (blocking); offline: local fonts, no analytics, no share link.
    Stores left disagreeing by a crashed ingest are repaired before the app listens."""
    from budgetqa.library import Library

    Library(settings).repair()
    app = BudgetApp(settings)
    app.answerer().warm_up()  # models, tokenizer and indexes load once, before the first user
    demo = build_app(settings, app)
    demo.queue(default_concurrency_limit=1)
    demo.launch(server_name=host, server_port=port, share=False, theme=offline_theme(), css=CSS,
                max_file_size=int(settings.max_file_mb * 1024 * 1024), ssr_mode=False, mcp_server=False,
                footer_links=[], show_error=True, head=OVERSIZE_MESSAGE_JS, **kwargs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the budgetqa app (settings from BUDGETQA_* variables).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    launch(Settings(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
