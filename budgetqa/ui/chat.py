"""The 问答 tab: the department filter (search by any part of a name or a short form, level, region),
year and kind, the question, example questions of several kinds, the answer with numbered sources,
and the cited page with the cell or passage outlined.

    parts = chat_tab(app, tabs)      # inside gr.Blocks; parts["department"] … are refreshed on load
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from budgetqa.department_search import (
    ALL,
    department_choices,
    level_choices,
    matches_note,
    region_choices,
    search_departments,
)
from budgetqa.library_view import kind_choices, year_choices
from budgetqa.models import Citation
from budgetqa.pages import cited_lines, render_pdf_page
from budgetqa.ui.service import BudgetApp
from budgetqa.views import answer_markdown, chart_frame, chart_unit, citation_label, cited_document

UPLOAD_POINTER = "要添加或更换文件，请到“文档库”页上传。"


def chat_tab(app: BudgetApp, tabs: gr.Tabs) -> dict:
    settings = app.settings
    model_note = f"语言模型：**{settings.llm}**" if settings.llm else "未配置语言模型：答案直接取自表格与计算"
    with gr.Row():
        gr.Markdown(f"{model_note}　·　{UPLOAD_POINTER}", elem_id="llm-status")
        to_library = gr.Button("去文档库上传文件", size="sm", elem_id="go-upload", scale=0, min_width=160)
    with gr.Row():
        search = gr.Textbox(label="查找部门", placeholder="输入名称的任意部分或简称，如：信访、区政府办、省法院",
                            elem_id="department-search", scale=3)
        level = gr.Dropdown([ALL], value=ALL, label="级别", elem_id="filter-level", scale=1)
        region = gr.Dropdown([(ALL, ALL)], value=ALL, label="地区", elem_id="filter-region", scale=1)
    with gr.Row():
        department = gr.Dropdown([(ALL, ALL)], value=ALL, label="部门", elem_id="filter-department", scale=3)
        year = gr.Dropdown([ALL], value=ALL, label="年度", elem_id="filter-year", scale=1)
        kind = gr.Dropdown([ALL], value=ALL, label="文档类型", elem_id="filter-kind", scale=1)
    matches = gr.Markdown(elem_id="department-matches")
    with gr.Row():
        question = gr.Textbox(label="问题", placeholder="例如：区政府办2025年“三公”经费预算是多少？", lines=1,
                              elem_id="question", scale=5)
        ask = gr.Button("提问", variant="primary", elem_id="ask", scale=1)
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
    # below the answer, so that an answer and its cited page fit one screen
    example_kind = gr.Textbox(visible=False)
    examples = gr.Dataset(components=[question, example_kind], samples=[], headers=["示例问题（点击填入）", "问题类型"],
                          label="示例问题：每一个都已在启动时用已导入的文档答过", elem_id="examples")
    citations = gr.State([])
    last_question = gr.State("")  # per browser session: follow-ups ("比去年少了多少？") build on it

    def on_filter(text, lvl, reg, current):  # type: ignore[no-untyped-def]
        return department_updates(app, text, lvl, reg, current)

    def on_ask(q, dep, yr, kd, last):  # type: ignore[no-untyped-def]
        return [*_ask(app, q, dep, yr, kd, last), (q or "").strip() or last]

    # `change`, not `input`: Gradio sends `input` for key presses only, while a Chinese input method
    # puts the whole composed word in at once (one input event, no keys); `change` sees both.
    filter_inputs = [search, level, region, department]
    for control in (search, level, region):
        control.change(on_filter, filter_inputs, [department, matches], queue=False)
    outputs = [answer, chart, sources, citations, page_note, page_image, text_view, last_question]
    inputs = [question, department, year, kind, last_question]
    # Answering reads only; several sessions may ask at once (the answerer is shared and read-only).
    ask.click(on_ask, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
    question.submit(on_ask, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
    examples.click(lambda sample: sample[0], examples, question)
    to_library.click(lambda: gr.Tabs(selected="documents"), None, tabs)

    def api_ask(question: str) -> dict:
        """The `ask --json` answer for programs (and the load benchmark): POST /gradio_api/call/ask."""
        return app.ask(question or "", None, None, None).to_json()  # too long or empty: refused at once

    gr.api(api_ask, api_name="ask", concurrency_limit=4, concurrency_id="ask")
    sources.select(lambda index, cites: show_citation(app, index, cites), [sources, citations],
                   [page_note, page_image, text_view], concurrency_limit=2)
    return {"search": search, "level": level, "region": region, "department": department, "year": year,
            "kind": kind, "matches": matches, "examples": examples}


def department_updates(app: BudgetApp, text: str | None, level: str | None, region: str | None,
                       current: str | None) -> list:
    """The department list narrowed to what the text, level and region find; one match is selected."""
    entries = app.departments()
    found = search_departments(entries, text or "", level, region)
    names = [e.name for e in found]
    value = names[0] if len(names) == 1 else (current if current in names else ALL)
    return [gr.update(choices=department_choices(found), value=value),
            matches_note((text or "").strip(), found, len(entries))]


def refresh_updates(app: BudgetApp, documents: list, text: str | None, level: str | None, region: str | None,
                    current: str | None) -> list:
    """Everything of this tab that depends on the loaded documents, in chat_tab's refresh order."""
    entries = app.departments(documents)
    regions = region_choices(entries)
    level = level if level in level_choices(entries) else ALL
    region = region if region in [value for _, value in regions] else ALL
    samples = [[e.question, e.label] for e in app.examples(documents)]
    return [gr.update(choices=level_choices(entries), value=level), gr.update(choices=regions, value=region),
            *department_updates(app, text, level, region, current),
            gr.update(choices=year_choices(documents)), gr.update(choices=kind_choices(documents)),
            gr.update(samples=samples)]


REFRESHED = ("level", "region", "department", "matches", "year", "kind", "examples")
REFRESH_INPUTS = ("search", "level", "region", "department")


def _filter(value: str | None) -> str | None:
    return None if value in (None, "", ALL) else value


def _ask(app: BudgetApp, question: str, department: str | None, year: str | None, kind: str | None,
         previous: str | None = None) -> list:
    hide = [gr.update(value="", visible=True), gr.update(value=None, visible=False), gr.update(value="", visible=False)]
    question = (question or "").strip()
    empty = [gr.update(visible=False), gr.update(choices=[], value=None), [], *hide]
    if not question:
        return ["请输入问题。", *empty]
    documents = app.documents()
    if not documents:
        return ["文档库是空的：请先在“文档库”页上传预算文件。", *empty]
    try:
        chosen_year = _filter(year)
        answer = app.ask(question, _filter(department), int(chosen_year) if chosen_year else None, _filter(kind),
                         previous=previous or None)
    except Exception as error:  # an answering bug must show as a message, not break the page
        return [f"回答时出错：{type(error).__name__}: {error}", *empty]
    frame = chart_frame(answer.chart)
    chart = (gr.update(value=frame, visible=True, y_title=chart_unit(answer.chart),
                       sort=list(dict.fromkeys(frame["项目"])))
             if frame is not None else gr.update(value=None, visible=False))
    by_id = {d.document_id: d for d in documents}
    labels = [citation_label(n, c, cited_document(c, by_id)) for n, c in enumerate(answer.citations, start=1)]
    cites = [dict(c.__dict__) for c in answer.citations]
    return [answer_markdown(answer, app.settings, by_id), chart, gr.update(choices=labels, value=None), cites, *hide]


def show_citation(app: BudgetApp, index: int | None, cites: list[dict]) -> list:
    """The cited page with the cell or passage outlined (PDF), or the cited lines (text files)."""
    if index is None or not (0 <= index < len(cites)):
        return [gr.update(value=""), gr.update(visible=False), gr.update(visible=False)]
    c = Citation(**cites[index])
    doc = cited_document(c, {d.document_id: d for d in app.documents()})
    title = f"**{citation_label(index + 1, c, doc)}**"
    if doc is None or not Path(doc.path).is_file():
        return [title + "\n\n原文件已不在文档库中。", gr.update(visible=False), gr.update(visible=False)]
    if doc.file_format == "pdf":
        image, marked = render_pdf_page(doc.path, c.page, c.bbox, c.snippet)
        note = "红框为引用的单元格或段落" if marked else "（未能在页面上定位引用内容，请查看整页）"
        return [f"{title}\n\n{note}", gr.update(value=image, visible=True), gr.update(visible=False)]
    text = cited_lines(doc.path, c.line_no, c.snippet)
    return [title, gr.update(visible=False), gr.update(value=text, visible=True)]
