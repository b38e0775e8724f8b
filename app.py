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
import csv
import hashlib
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import gradio as gr
import pandas as pd

from budgetqa.library import FileResult, Library
from budgetqa.models import Answer, Citation, StoredDocument
from budgetqa.settings import Settings

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown")
ALL = "全部"
STATUS_LABELS = {"added": "已导入", "replaced": "已替换旧版本", "unchanged": "未变化（已在库中）", "failed": "失败"}
LIBRARY_HEADERS = ["文件", "部门", "年度", "类型", "页数", "表格", "数据项", "段落", "发现问题", "文档ID"]
RESULT_HEADERS = ["文件", "结果", "部门", "年度", "类型", "页数", "表格", "数据项", "发现问题", "说明"]
FINDING_HEADERS = ["检查", "位置", "页码", "应为", "实为", "说明"]
PAGE_RESOLUTION = 110  # dpi of rendered citation pages: readable cells, images under ~1 MB
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


# ---- uploads -------------------------------------------------------------------------------------
class UploadError(ValueError):
    """An uploaded file refused before ingestion (type or size); str() is shown to the user."""


def safe_file_name(name: str) -> str:
    """The last path component of an uploaded name, reduced to letters, digits (any script), . _ - ( ).

    '../../etc/passwd' -> 'passwd'; '..\\x\\普陀区 2025.pdf' -> '普陀区_2025.pdf'."""
    base = PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    base = re.sub(r"[^\w.\-()（）]", "_", base).lstrip(".")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:150] or "upload"
    return f"{stem}.{suffix[:12]}" if suffix else stem


def check_upload(path: Path, settings: Settings) -> None:
    """Refuse files of the wrong type or over the size limit, with a message a person can act on."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UploadError(f"{path.name}：不支持的文件类型“{path.suffix or '无扩展名'}”，请上传 PDF、TXT 或 MD 文件")
    size_mb = path.stat().st_size / (1024 * 1024)
    if size_mb > settings.max_file_mb:
        raise UploadError(f"{path.name}：文件大小 {size_mb:.1f} MB，超过上限 {settings.max_file_mb:g} MB"
                          "（可设置 BUDGETQA_MAX_FILE_MB 调整）")


def store_upload(source: Path, settings: Settings, original_name: str | None = None) -> Path:
    """Copy an upload to uploads_dir/<content hash>/<safe name>; the folder keeps equal names apart."""
    check_upload(source, settings)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    uploads = settings.uploads_dir.resolve()
    target = (uploads / digest / safe_file_name(original_name or source.name)).resolve()
    if uploads not in target.parents:  # cannot happen after safe_file_name; kept as the last guard
        raise UploadError(f"{source.name}：文件名不安全")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def discard_upload(path: str | Path, settings: Settings) -> None:
    """Delete an uploaded copy (and its folder) once no document uses it; never touches other files."""
    uploads = settings.uploads_dir.resolve()
    folder = Path(path).resolve().parent
    if uploads in folder.parents:
        shutil.rmtree(folder, ignore_errors=True)


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


_render_lock = threading.Lock()  # pdfium (behind pdfplumber's renderer) is not thread-safe


def render_pdf_page(path: str, page_number: int, bbox: tuple | None, snippet: str | None):  # type: ignore[no-untyped-def]
    """The page as an image with the cited cell (bbox) or the cited passage outlined in red."""
    import pdfplumber

    with _render_lock, pdfplumber.open(path) as pdf:
        page = pdf.pages[page_number - 1]
        image = page.to_image(resolution=PAGE_RESOLUTION)
        boxes = [tuple(bbox)] if bbox else _snippet_boxes(page, snippet)
        for box in boxes:
            padded = (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2)
            image.draw_rect(padded, fill=(255, 214, 0, 70), stroke=(220, 20, 20), stroke_width=3)
        return image.annotated.convert("RGB"), bool(boxes)


def _snippet_boxes(page, snippet: str | None) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Where a passage's opening words sit on the page (text search tolerant of spaces between characters)."""
    text = re.sub(r"\s+", "", snippet or "")
    for length in (24, 14, 8):
        fragment = text[:length]
        if len(fragment) < 4:
            break
        pattern = r"\s*".join(re.escape(ch) for ch in fragment)
        found = page.search(pattern, regex=True, return_chars=False)
        if found:
            return [(m["x0"], m["top"], m["x1"], m["bottom"]) for m in found[:3]]
    return []


def read_text_file(path: str) -> list[str]:
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace").splitlines()


def cited_lines(path: str, line_no: int | None, snippet: str | None, context: int = 4) -> str:
    """The cited line of a text document with a few lines around it; the cited line is marked ▶."""
    lines = read_text_file(path)
    if line_no is None and snippet:
        key = re.sub(r"\s+", "", snippet)[:12]
        line_no = next((i for i, line in enumerate(lines, start=1) if key and key in re.sub(r"\s+", "", line)), None)
    if line_no is None:
        return "\n".join(lines[: 2 * context + 1])
    start, end = max(1, line_no - context), min(len(lines), line_no + context)
    return "\n".join(f"{'▶' if n == line_no else ' '} {n:>5} │ {lines[n - 1]}" for n in range(start, end + 1))


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


def findings_rows(app: BudgetApp, document_id: str | None) -> pd.DataFrame:
    rows = [[f.check, f.where, f.page or "", f.expected, f.found, f.message]
            for _, f in (app.store.findings(document_id) if document_id else [])]
    return pd.DataFrame(rows, columns=FINDING_HEADERS)


def table_choices(app: BudgetApp, document_id: str | None) -> list[tuple[str, int]]:
    if not document_id:
        return []
    return [(f"表{t['table_index'] + 1} · {t['title']} · 第{'、'.join(map(str, t['pages']))}页"
             + (f"（{t['unit']}）" if t.get("unit") else ""), t["table_index"])
            for t in app.store.tables(document_id)]


def table_frame(app: BudgetApp, document_id: str, table_index: int) -> pd.DataFrame:
    """One stored table rebuilt from its facts: a row per table row, a column per grid column."""
    table = next((t for t in app.store.tables(document_id) if t["table_index"] == table_index), None)
    facts = app.store.facts(document_ids=[document_id], table_index=table_index)
    rows: dict[int, dict[str, str]] = {}
    seen: list[str] = []
    for fact in facts:
        row = rows.setdefault(fact.row_index, {"页码": str(fact.page), "编码": fact.row_code or "",
                                                "项目": fact.row_label})
        shown = fact.text_value if fact.text_value is not None else ("" if fact.value is None else str(fact.value))
        row[fact.column] = shown
        if fact.column not in seen:
            seen.append(fact.column)
    declared = [" > ".join(c) for c in (table or {}).get("columns", [])]
    columns = [c for c in declared if c in seen] + [c for c in seen if c not in declared]
    frame = pd.DataFrame([rows[i] for i in sorted(rows)], columns=["页码", "编码", "项目", *columns])
    return frame.fillna("")


def write_csv(frame: pd.DataFrame, name: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix="budgetqa-csv-"))
    path = folder / f"{safe_file_name(name)}.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
    return str(path)


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
    select.change(lambda d: findings_rows(app, d), select, findings)
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
    return [message, findings_rows(app, None)]


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
        return gr.update(choices=table_choices(app, document_id), value=None)

    def on_table(document_id, table_index):  # type: ignore[no-untyped-def]
        if document_id is None or table_index is None:
            return gr.update(value=None), gr.update(visible=False)
        data = table_frame(app, document_id, int(table_index))
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
