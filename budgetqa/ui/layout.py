"""The whole app: the three tabs in one gr.Blocks, what refreshes when documents change, the 表格浏览
tab, and serving offline (local fonts, no analytics, the app's own Chinese message for an oversized
upload).

    demo = build_app(settings); launch(settings, port=7861)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from budgetqa.exports import table_frame, write_csv
from budgetqa.library_view import document_choices
from budgetqa.settings import Settings
from budgetqa.ui import chat, documents
from budgetqa.ui.service import BudgetApp
from budgetqa.views import table_choices

TITLE = "# 预算问答\n用中文提问部门预算、决算；每个答案都附有原文文件、页码和单元格。在“文档库”页上传、替换或删除文件。"
CSS = """
#answer .value {font-size: 1.6em; font-weight: 700;}
#answer details {margin: .3em 0; padding: .2em .6em; border-left: 3px solid var(--border-color-primary);}
#answer summary {cursor: pointer; color: var(--body-text-color-subdued);}
#citations label {white-space: normal;}
#confirm {border: 2px solid var(--error-border-color, #dc2626); padding: .6em;}
footer {display: none !important;}
"""


def offline_theme() -> gr.themes.Base:
    """A theme that only names fonts installed on the machine (no web fonts are fetched)."""
    return gr.themes.Soft(
        font=[gr.themes.Font("Noto Sans CJK SC"), gr.themes.Font("Noto Sans SC"), "system-ui", "sans-serif"],
        font_mono=[gr.themes.Font("Noto Sans Mono CJK SC"), "ui-monospace", "monospace"],
    )


def build_app(settings: Settings, app: BudgetApp | None = None) -> gr.Blocks:
    """The whole interface; every handler calls the library through one shared BudgetApp."""
    app = app or BudgetApp(settings)
    with gr.Blocks(title="预算问答 budgetqa", analytics_enabled=False) as demo:
        gr.Markdown(TITLE, elem_id="title")
        with gr.Tabs() as tabs:
            with gr.Tab("问答", id="chat"):
                asked = chat.chat_tab(app, tabs)
            with gr.Tab("文档库", id="documents"):
                docs = documents.documents_tab(app)
            with gr.Tab("表格浏览", id="tables"):
                tables = _tables_tab(app)
        inputs = [*(asked[name] for name in chat.REFRESH_INPUTS), *docs["filters"]]
        outputs = [*(asked[name] for name in chat.REFRESHED), *(docs[name] for name in documents.REFRESHED),
                   tables["document"]]

        def refresh(search, level, region, department, *library_filters):  # type: ignore[no-untyped-def]
            loaded = app.documents()
            return [*chat.refresh_updates(app, loaded, search, level, region, department),
                    *documents.refresh_updates(app, loaded, *library_filters),
                    gr.update(choices=document_choices(loaded))]

        demo.load(refresh, inputs, outputs)
        for event in docs["changed"]:
            event.then(refresh, inputs, outputs)
    demo.budget_app = app  # type: ignore[attr-defined]
    return demo


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
    Stores left disagreeing by a crashed ingest are repaired before the app listens; the example
    questions are asked once before the first user comes."""
    from budgetqa.library import Library

    Library(settings).repair()
    app = BudgetApp(settings)
    app.answerer().warm_up()  # models, tokenizer and indexes load once, before the first user
    app.examples()
    demo = build_app(settings, app)
    demo.queue(default_concurrency_limit=1)
    demo.launch(server_name=host, server_port=port, share=False, theme=offline_theme(), css=CSS,
                max_file_size=int(settings.max_file_mb * 1024 * 1024), ssr_mode=False, mcp_server=False,
                footer_links=[], show_error=True, head=OVERSIZE_MESSAGE_JS, **kwargs)
