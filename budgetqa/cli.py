"""The `budgetqa` command. Every option is also an environment variable BUDGETQA_<NAME>.

    budgetqa ingest ../shared/corpus
    budgetqa ask "区政府办2025年三公经费是多少？" --json
    budgetqa findings
    budgetqa export facts --format xlsx --output facts.xlsx
    budgetqa eval eval/sets/budgetqa.jsonl --report out/
    budgetqa serve
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError

from budgetqa.analyst_export import Format, Kind
from budgetqa.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Exact, cited answers to questions about Chinese government budget disclosures.")


@app.callback()
def _global(
    ctx: typer.Context,
    data_dir: Optional[Path] = typer.Option(None, envvar="BUDGETQA_DATA_DIR", help="Data directory (stores, index, uploads)."),
    database_url: Optional[str] = typer.Option(None, envvar="BUDGETQA_DATABASE_URL", help="SQLAlchemy URL of the store."),
    chroma_host: Optional[str] = typer.Option(None, envvar="BUDGETQA_CHROMA_HOST", help="Chroma server host."),
    chroma_port: Optional[int] = typer.Option(None, envvar="BUDGETQA_CHROMA_PORT", help="Chroma server port."),
    chroma_collection: Optional[str] = typer.Option(None, envvar="BUDGETQA_CHROMA_COLLECTION",
                                                    help="Chroma collection (one per library)."),
    embedding_model: Optional[str] = typer.Option(None, envvar="BUDGETQA_EMBEDDING_MODEL",
                                                  help="'use-multilingual' or a sentence-transformers name/path."),
    llm: Optional[str] = typer.Option(None, envvar="BUDGETQA_LLM", help="Optional chat model 'openai:<model>' or 'ollama:<model>'."),
    llm_base_url: Optional[str] = typer.Option(None, envvar="BUDGETQA_LLM_BASE_URL", help="LLM endpoint URL."),
    max_file_mb: Optional[float] = typer.Option(None, envvar="BUDGETQA_MAX_FILE_MB", help="Refuse larger files."),
    max_pages: Optional[int] = typer.Option(None, envvar="BUDGETQA_MAX_PAGES", help="Refuse PDFs with more pages."),
) -> None:
    overrides = {k: v for k, v in {
        "data_dir": data_dir, "database_url": database_url, "chroma_host": chroma_host, "chroma_port": chroma_port,
        "chroma_collection": chroma_collection,
        "embedding_model": embedding_model, "llm": llm, "llm_base_url": llm_base_url, "max_file_mb": max_file_mb,
        "max_pages": max_pages,
    }.items() if v is not None}
    try:
        ctx.obj = Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise typer.BadParameter(problems) from None


def _library(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from budgetqa.library import Library

    return Library(ctx.obj)


@app.command()
def ingest(ctx: typer.Context, paths: list[Path] = typer.Argument(..., help="Files or folders of disclosures."),
           workers: Optional[int] = typer.Option(None, "--workers", "-w", envvar="BUDGETQA_WORKERS",
                                                 help="Processes reading files (default: one per core; "
                                                      "0: read in this process)."),
           ray: Optional[str] = typer.Option(None, "--ray", envvar="BUDGETQA_RAY_ADDRESS",
                                             help="Read files as Ray tasks on this cluster ('local' starts one "
                                                  "here); needs pip install 'budgetqa[ray]'.")) -> None:
    """Ingest PDF/TXT/MD disclosures into the store and the passage index (with a progress bar)."""
    from tqdm import tqdm

    from budgetqa.library import collect_files
    from budgetqa.workers import RunnerError, make_runner

    try:
        runner = make_runner(workers, ray)
    except RunnerError as error:
        typer.echo(f"budgetqa: {error}", err=True)
        raise typer.Exit(2) from None
    library = _library(ctx)
    files = list(dict.fromkeys(collect_files(paths)))
    library.repair()  # before the bar: what a crash left half done, and a Chroma server that is down is told
    with tqdm(total=len(files), unit="file", file=sys.stderr, dynamic_ncols=True) as bar:
        def show(result) -> None:  # type: ignore[no-untyped-def]
            bar.set_description(result.path.name[:40])
            bar.update(1)
            tqdm.write(_describe(result), file=sys.stdout)

        try:
            results = library.ingest(files, progress=show, runner=runner, repair=False)
        except RunnerError as error:
            tqdm.write(f"budgetqa: {error}", file=sys.stderr)
            raise typer.Exit(2) from None
    failed = sum(not r.ok for r in results)
    typer.echo(f"{len(files) - failed} of {len(files)} files ingested" + (f", {failed} failed" if failed else ""))
    raise typer.Exit(1 if failed else 0)


def _describe(result) -> str:  # type: ignore[no-untyped-def]
    if not result.ok:
        return f"FAILED  {result.error}"
    d = result.document
    return (f"{result.status:<9} {d.file_name}: {d.department or '?'} · {d.fiscal_year or '?'} · {d.kind or '?'} · "
            f"{d.page_count} pages · {d.table_count} tables · {d.fact_count} facts · {d.passage_count} passages · "
            f"{d.finding_count} findings")


@app.command()
def documents(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the documents in the store."""
    docs = _library(ctx).documents()
    if as_json:
        typer.echo(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=1))
        return
    for d in docs:
        typer.echo(f"{d.document_id}  {d.file_name}  {d.department} {d.fiscal_year} {d.kind}  "
                   f"{d.fact_count} facts, {d.finding_count} findings")


@app.command()
def remove(ctx: typer.Context, document: str = typer.Argument(..., help="Document id or file name.")) -> None:
    """Remove a document from both stores."""
    library = _library(ctx)
    doc = library.store.document(document)
    if doc is None:
        typer.echo(f"no document '{document}' in the store", err=True)
        raise typer.Exit(2)
    library.remove(doc.document_id)
    typer.echo(f"removed {doc.file_name}")


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild the passage index from the store (e.g. after changing --embedding-model)."""
    count = _library(ctx).reindex()
    typer.echo(f"reindexed {count} documents with {ctx.obj.embedding_model}")


@app.command()
def findings(ctx: typer.Context, document: Optional[str] = typer.Argument(None, help="Document id or file name."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List failed consistency checks (findings) per document."""
    store = _library(ctx).store
    docs = {d.document_id: d for d in store.documents()}
    doc_id = None
    if document:
        doc = store.document(document)
        if doc is None:
            typer.echo(f"no document '{document}' in the store", err=True)
            raise typer.Exit(2)
        doc_id = doc.document_id
    rows = store.findings(doc_id)
    if as_json:
        typer.echo(json.dumps([{"document": docs[d].file_name, **f.__dict__} for d, f in rows], ensure_ascii=False, indent=1))
        return
    real = [(d, f) for d, f in rows if f.severity != "rounding"]
    notes = [(d, f) for d, f in rows if f.severity == "rounding"]
    for d, f in real:
        typer.echo(f"{docs[d].file_name} p.{f.page}: [{f.check}] {f.message}\n    where: {f.where}\n"
                   f"    expected: {f.expected}\n    found: {f.found}")
    if notes:
        typer.echo("\nrounding notes (at most one unit of the last printed digit per summed cell):")
        for d, f in notes:
            typer.echo(f"  {docs[d].file_name} p.{f.page}: [{f.check}] {f.where}: {f.expected}; printed {f.found}")
    typer.echo(f"{len(real)} findings, {len(notes)} rounding notes")


@app.command(name="export")
def export_rows(ctx: typer.Context, kind: Kind = typer.Argument(..., help="One row per fact, document or finding."),
                fmt: Optional[Format] = typer.Option(None, "--format", "-f",
                                                     help="File format (default: from --output's suffix, else csv)."),
                document: Optional[list[str]] = typer.Option(None, "--document", "-d",
                                                             help="Only this document (id or file name); repeatable."),
                output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (csv: stdout when absent).")) -> None:
    """Export facts, documents or findings for analysts as CSV (UTF-8 with BOM), Parquet or Excel."""
    import io

    from tqdm import tqdm

    from budgetqa.analyst_export import ExportError, export, row_count, select_documents
    from index.store import Store

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = Format(suffix) if suffix in {f.value for f in Format} else Format.CSV
    if output is None and fmt is not Format.CSV:
        typer.echo(f"{fmt.value} is a binary format and is not written to the terminal: "
                   f"give --output FILE.{fmt.value} (only csv goes to stdout)", err=True)
        raise typer.Exit(2)
    store = Store(ctx.obj.resolved_database_url)
    try:
        docs = select_documents(store, document or [])
        with tqdm(total=row_count(kind, docs), unit="row", file=sys.stderr, delay=1.0, dynamic_ncols=True,
                  desc=f"export {kind.value}") as bar:
            if output is None:
                stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8-sig", newline="")
                count = export(store, kind, fmt, docs, stream, progress=bar.update)
                stream.flush()
                stream.detach()
            else:
                count = export(store, kind, fmt, docs, output, progress=bar.update)
    except ExportError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    if output is not None:
        typer.echo(f"{count} {kind.value} rows of {len(docs)} document{'s' * (len(docs) != 1)} written to {output}",
                   err=True)


@app.command()
def ask(ctx: typer.Context, question: str = typer.Argument(...),
        as_json: bool = typer.Option(False, "--json", help="Print the answer object as JSON."),
        department: Optional[str] = typer.Option(None, help="Restrict to a department (name or alias)."),
        year: Optional[int] = typer.Option(None, help="Restrict to a fiscal year."),
        kind: Optional[str] = typer.Option(None, help="Restrict to a document kind (部门预算, 部门决算 …).")) -> None:
    """Answer a question with cited evidence."""
    from qa.chain import build_answerer

    answerer = build_answerer(ctx.obj)
    answer = answerer.ask(question, department=department, year=year, kind=kind)
    if as_json:
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        typer.echo(answer.render_text())


@app.command(name="eval")
def evaluate(ctx: typer.Context, set_path: Path = typer.Argument(..., help="Evaluation set (JSON Lines)."),
             docs: Optional[Path] = typer.Option(None, help="Ingest this folder into a fresh store first."),
             report: Optional[Path] = typer.Option(None, help="Folder for report.json and report.md."),
             baseline: bool = typer.Option(False, help="Also score the generic chunk-retrieval baseline."),
             min_accuracy: Optional[float] = typer.Option(None, help="Exit 1 when overall accuracy is below this.")) -> None:
    """Score the system on a known-answer set (and optionally the baseline)."""
    from eval.cli import run_eval_command

    code = run_eval_command(ctx.obj, set_path, docs=docs, report=report, baseline=baseline, min_accuracy=min_accuracy)
    raise typer.Exit(code)


@app.command()
def serve(ctx: typer.Context, host: str = typer.Option("127.0.0.1"), port: int = typer.Option(7860),
          docs: Optional[Path] = typer.Option(None, help="Ingest this folder before serving.")) -> None:
    """Start the Gradio app on localhost."""
    from app import launch

    if docs:
        _library(ctx).ingest([docs])
    launch(ctx.obj, host=host, port=port)


@app.command()
def quickstart(ctx: typer.Context, serve_app: bool = typer.Option(False, "--serve", help="Serve the app afterwards.")) -> None:
    """Generate the sample disclosure, ingest it and answer example questions (works offline)."""
    from budgetqa.sample import write_sample_pdf

    settings: Settings = ctx.obj
    pdf = write_sample_pdf(settings.data_dir / "sample")
    for result in _library(ctx).ingest([pdf]):
        typer.echo(_describe(result))
    from qa.chain import build_answerer

    answerer = build_answerer(settings)
    for question in ("示例局2025年“三公”经费预算是多少？", "示例局2025年一共多少钱？", "示例局的主要职能有哪些？",
                     "示例局2025年公车经费比去年减少了多少？"):
        typer.echo(f"\nQ: {question}\n{answerer.ask(question).render_text()}")
    if serve_app:
        from app import launch

        launch(settings)


def main() -> None:
    from index.chroma import ChromaUnavailableError
    from index.migrations import StoreOpenError

    try:
        app()
    except (ChromaUnavailableError, StoreOpenError) as error:  # one line naming the server, no stack trace
        typer.echo(f"budgetqa: {error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
