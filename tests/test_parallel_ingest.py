"""Parallel ingest on real corpus PDFs, real stores and a real Ray: `budgetqa ingest --workers 2` stores
exactly what `--workers 1` stores (documents, facts, passages, both retrievers); a bad file among good
ones is named and the others land; a re-ingest does nothing; Ray tasks (a local `ray.init(num_cpus=2)`)
store the same; two `budgetqa ingest` processes on disjoint files into one PostgreSQL + Chroma server
end with every document exactly once while a thread answers questions from the same stores.
Nothing is mocked."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from budgetqa.library import FileResult, Library
from budgetqa.settings import Settings
from budgetqa.workers import ProcessRunner, RayRunner, read_file
from tests.conftest import REPO, corpus_file

# five small PDFs from four regions (Shanghai, Beijing, Jiangsu layouts): 107 pages
NAMES = ("上海市审计局2026年单位预算.pdf", "普陀区人民政府办公室2025年部门预算.pdf", "普陀区司法局2026年部门预算.pdf",
         "北京市司法局2026年部门预算.pdf", "江苏省委办公厅2019年度部门预算公开表格.pdf")
FILES = [corpus_file(name) for name in NAMES]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`budgetqa …` as a user runs it, in a process of its own (no BUDGETQA_* from this environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "budgetqa.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


def snapshot(library: Library) -> dict:  # type: ignore[type-arg]
    """Everything both stores hold, in a form that does not depend on the order documents were written:
    row counts, the documents, checksums of every fact and passage, what each retriever indexes, and a
    checksum of every vector with its metadata (bytes: whoever embedded them, the vectors are the same)."""
    store = library.store
    facts = sorted(repr((f.document_id, f.table_index, f.table_kind, f.table_title, f.page, f.row_index, f.row_code,
                         f.row_label, f.row_path, f.column_path, f.value, f.text_value, f.unit, f.bbox, f.line_no,
                         f.sentence, sorted(f.dimensions.items())))
                   for f in store.facts())
    passages = sorted(repr((p.passage_id, p.document_id, p.section_path, p.text, p.page_start, p.page_end, p.kind))
                      for p in store.passages())
    findings = sorted(repr((d, f.check, f.where, f.expected, f.found, f.page)) for d, f in store.findings())
    index = library.passage_index
    got = index._chroma._collection.get(include=["embeddings", "metadatas"])
    vectors = hashlib.sha256(b"".join(passage_id.encode() + np.asarray(vector, dtype=np.float32).tobytes()
                                      + repr(sorted(metadata.items())).encode()
                                      for passage_id, vector, metadata in sorted(zip(got["ids"], got["embeddings"],
                                                                                     got["metadatas"], strict=True),
                                                                                 key=lambda row: row[0])))
    return {
        "rows": store.row_counts(),
        "documents": sorted((d.document_id, d.file_name, d.department, d.fiscal_year, d.kind, d.page_count,
                             d.table_count, d.fact_count, d.passage_count, d.finding_count) for d in store.documents()),
        "facts": hashlib.sha256("\n".join(facts).encode()).hexdigest(),
        "passages": hashlib.sha256("\n".join(passages).encode()).hexdigest(),
        "findings": hashlib.sha256("\n".join(findings).encode()).hexdigest(),
        "unindexed": store.unindexed(),
        "dense": (index.document_ids("dense"), index.count()),
        "bm25": (index.document_ids("bm25"), len(index._lexical)),
        "vectors": vectors.hexdigest(),
    }


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The five files ingested by `budgetqa ingest --workers 1` (one reading process beside the writer)."""
    data = tmp_path_factory.mktemp("one-worker")
    run = cli("--data-dir", str(data), "ingest", "--workers", "1", *map(str, FILES))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "5 of 5 files ingested" in run.stdout
    return Library(Settings(data_dir=data))


@pytest.fixture(scope="module")
def reference(one_worker: Library) -> dict:  # type: ignore[type-arg]
    return snapshot(one_worker)


def test_the_reference_holds_every_file(reference: dict) -> None:  # type: ignore[type-arg]
    assert sorted(d[1] for d in reference["documents"]) == sorted(NAMES)
    assert reference["rows"]["facts"] > 1500 and reference["rows"]["passages"] > 100
    assert reference["unindexed"] == []
    ids = sorted(d[0] for d in reference["documents"])
    assert reference["dense"][0] == ids == reference["bm25"][0]
    assert reference["dense"][1] == reference["rows"]["passages"]  # vectors: the narrative passages only
    assert reference["bm25"][1] > reference["rows"]["passages"]  # BM25: + one per table row


def test_two_workers_store_exactly_what_one_worker_stores(tmp_path: Path, reference: dict) -> None:  # type: ignore[type-arg]
    data = tmp_path / "data"
    run = cli("--data-dir", str(data), "ingest", "--workers", "2", *map(str, FILES))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "5 of 5 files ingested" in run.stdout
    for name in NAMES:  # one line per file, as it lands
        assert sum(line.startswith("added") and name in line for line in run.stdout.splitlines()) == 1, run.stdout
    assert "file/s" in run.stderr or "s/file" in run.stderr  # the progress bar
    assert snapshot(Library(Settings(data_dir=data))) == reference


def test_with_two_workers_the_readers_embed_and_with_one_the_writer(tmp_path: Path) -> None:
    """The per-file step hands the writer a document's index entries: tokens always, vectors from two
    workers on (the writer then only writes), none from one worker (the writer embeds: the reader is the
    longer half); vectors of the narrative passages only; a reader's vectors are bit for bit the writer's."""
    settings = Settings(data_dir=tmp_path / "data")
    files = FILES[1:3]
    two = {r.path: r for r in ProcessRunner(2, read_while_starting=False).run(files, settings)}
    one = {r.path: r for r in ProcessRunner(1).run(files, settings)}
    for path in files:
        embedded, tokens_only = two[path].entries, one[path].entries
        assert embedded is not None and tokens_only is not None, (two[path].error, one[path].error)
        assert embedded.vectors is not None and embedded.vectors.shape == (len(embedded.dense), 512)
        assert 0 < len(embedded.dense) < len(embedded.ids)  # the narrative passages, not the table rows
        assert tokens_only.vectors is None and all(e.tokens for e in tokens_only.lexical)
        assert [e.tokens for e in embedded.lexical] == [e.tokens for e in tokens_only.lexical]
        writer = read_file(path, settings)
        assert writer.entries is not None and writer.entries.vectors is None
        writer.entries.embed(Library(settings).passage_index.embeddings)  # as the writer does in add_entries
        assert writer.entries.vectors.tobytes() == embedded.vectors.tobytes()
        assert two[path].cpu_seconds > 0 and two[path].worker != f"{os.uname().nodename}:{os.getpid()}"


READ_WHILE_STARTING = """
import os, sys
from pathlib import Path
from budgetqa.settings import Settings
from budgetqa.workers import ProcessRunner
if __name__ == "__main__":
    files = [Path(p) for p in sys.argv[2:]]
    outcomes = list(ProcessRunner(2).run(files, Settings(data_dir=Path(sys.argv[1]))))
    here = f"{os.uname().nodename}:{os.getpid()}"
    for o in outcomes:
        print(o.path.name, "here" if o.worker == here else "reader", o.entries is not None and o.entries.vectors is not None)
"""


def test_while_the_readers_start_the_writers_process_reads_and_every_file_is_read_once(tmp_path: Path) -> None:
    """A fresh `budgetqa ingest --workers 2` (its own forkserver, which loads jieba and the model for the
    readers: about 2 s) reads files in its own process until the first reader is up: those come without
    vectors (the writer embeds them), the readers' with; no file is read twice or left out."""
    from budgetqa.sample import SampleSpec, write_sample_pdf

    files = [write_sample_pdf(tmp_path / "docs", SampleSpec(core=f"第{i}示例局", scale=5 + i)) for i in range(24)]
    script = tmp_path / "run.py"
    script.write_text(READ_WHILE_STARTING)
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "data"), *map(str, files)], check=False, capture_output=True,
                         text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [line.split() for line in run.stdout.splitlines()]
    assert sorted(name for name, _, _ in rows) == sorted(f.name for f in files)
    here = [row for row in rows if row[1] == "here"]
    readers = [row for row in rows if row[1] == "reader"]
    assert here and readers, run.stdout
    assert all(vectors == "False" for _, _, vectors in here) and all(vectors == "True" for _, _, vectors in readers)


@pytest.mark.parametrize(("model", "loaded"), [("use-multilingual", 1), ("/no/such/model", 0)])
def test_the_forkserver_loads_the_readers_model_and_never_fails_for_it(model: str, loaded: int) -> None:
    """budgetqa/forkserver_warm.py, imported by the forkserver, loads jieba and the model named in its
    environment variable; a model that cannot load leaves the forkserver running (the reader says why)."""
    from budgetqa.workers import WARM_MODEL_ENV

    check = ("import budgetqa.forkserver_warm; from index.embeddings import _loaded; from index.lexical import _tokenizer; "
             "print(_loaded.cache_info().currsize, _tokenizer.cache_info().currsize == 1 and _tokenizer().initialized)")
    run = subprocess.run([sys.executable, "-c", check], check=False, capture_output=True, text=True, cwd=REPO, timeout=120,
                         env={**os.environ, WARM_MODEL_ENV: model, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == [str(loaded), "True"]


def _die() -> None:
    os._exit(3)  # a reader process that dies as it starts (a broken install, the OOM killer)


class DyingReaders(ProcessRunner):
    def _pool(self, workers: int, settings: Settings):  # type: ignore[no-untyped-def]
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"), initializer=_die)


def test_readers_that_die_as_they_start_lose_no_file_and_hang_nothing(tmp_path: Path) -> None:
    """Every file gets one outcome: read by the writer's process while the pool was starting, or named as
    the one whose process died; nothing is read twice, nothing waits forever."""
    from budgetqa.sample import SampleSpec, write_sample_pdf

    files = [write_sample_pdf(tmp_path / "docs", SampleSpec(core=f"第{i}示例局")) for i in range(4)]
    outcomes = list(DyingReaders(2).run(files, Settings(data_dir=tmp_path / "data")))
    assert sorted(o.path for o in outcomes) == sorted(files)
    for outcome in outcomes:
        assert outcome.document is not None or "the process reading it died" in (outcome.error or ""), outcome.error


def test_reingest_is_a_noop(one_worker: Library, reference: dict) -> None:  # type: ignore[type-arg]
    seen: list[FileResult] = []
    started = time.perf_counter()
    results = one_worker.ingest(FILES, progress=seen.append, runner=ProcessRunner(2))
    assert [r.status for r in results] == ["unchanged"] * len(FILES)
    assert [r.path for r in results] == FILES and len(seen) == len(FILES)
    assert all(r.read_by == "" for r in results)  # recognised by content hash: no file was read again
    assert time.perf_counter() - started < 30
    assert snapshot(one_worker) == reference
    again = cli("--data-dir", str(one_worker.settings.data_dir), "ingest", "--workers", "2", *map(str, FILES))
    assert again.returncode == 0 and again.stdout.count("unchanged") == len(FILES), again.stdout
    assert snapshot(one_worker) == reference


def test_a_bad_file_among_good_ones_is_named_and_the_others_land(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "notes.pdf").write_text("这不是PDF文件", encoding="utf-8")
    (folder / "novel.md").write_text("# 一篇小说\n\n从前有座山，山里有座庙。\n", encoding="utf-8")
    good = [FILES[1], FILES[3]]
    library = Library(Settings(data_dir=tmp_path / "data"))
    seen: list[str] = []
    results = library.ingest([good[0], folder, good[1]], progress=lambda r: seen.append(r.path.name),
                             runner=ProcessRunner(2, read_while_starting=False))  # every file through a reader
    by_name = {r.path.name: r for r in results}
    assert sorted(seen) == sorted(by_name) and len(results) == 6
    for path in good:
        assert by_name[path.name].status == "added", by_name[path.name].error
        assert by_name[path.name].read_by and by_name[path.name].read_by != f"{os.uname().nodename}:{os.getpid()}"
    expected = {"corrupt.pdf": "corrupt", "empty.pdf": "empty", "notes.pdf": "not a PDF",
                "novel.md": "not a budget disclosure"}
    for name, phrase in expected.items():
        result = by_name[name]
        assert result.status == "failed" and result.error, name
        assert result.error.startswith(name) and phrase in result.error and "—" in result.error, result.error
    assert sorted(d.file_name for d in library.documents()) == sorted(p.name for p in good)
    assert library.store.unindexed() == []
    assert sorted(library.passage_index.document_ids()) == sorted(d.document_id for d in library.documents())

    run = cli("--data-dir", str(tmp_path / "cli"), "ingest", "--workers", "2", str(folder / "corrupt.pdf"), str(good[0]))
    assert run.returncode == 1 and "FAILED  corrupt.pdf" in run.stdout and "1 of 2 files ingested, 1 failed" in run.stdout


def test_a_worker_count_below_zero_is_refused() -> None:
    run = cli("ingest", "--workers", "-1", str(FILES[0]))
    assert run.returncode == 2 and "--workers must be 0" in run.stderr, run.stderr


def test_a_ray_cluster_that_does_not_answer_is_named(tmp_path: Path) -> None:
    """BUDGETQA_RAY_ADDRESS naming a port where nothing listens: one line, exit code 2, nothing stored."""
    from tests.chroma_server import free_port

    address = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", BUDGETQA_RAY_ADDRESS=address)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(tmp_path / "data"), "ingest",
                          *map(str, FILES[:2])], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"cannot reach the Ray cluster at {address}" in run.stderr and "ray start --head" in run.stderr
    assert time.perf_counter() - started < 60
    assert Library(Settings(data_dir=tmp_path / "data")).documents() == []


def test_ray_tasks_store_what_one_worker_stores(tmp_path: Path, reference: dict) -> None:  # type: ignore[type-arg]
    import ray  # a test requirement (pyproject's test extra)

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        library = Library(Settings(data_dir=tmp_path / "data"))
        results = library.ingest(FILES, runner=RayRunner())
        readers = {r.read_by for r in results}
    finally:
        ray.shutdown()
    assert [r.status for r in results] == ["added"] * len(FILES), [r.error for r in results]
    assert f"{os.uname().nodename}:{os.getpid()}" not in readers and all(readers)  # read by Ray's workers
    assert all(0 < r.reader_peak_mb < 4096 for r in results)
    assert snapshot(library) == reference


QUESTIONS = ("区司法局2026年三公经费是多少？", "区政府办2025年一共多少钱？", "上海市审计局的主要职能是什么？",
             "北京市司法局的主要职责是什么？", "江苏省委办公厅2019年一般公共预算支出是多少？")


def test_two_ingest_processes_into_one_postgres_and_chroma_server(tmp_path: Path, reference: dict,  # type: ignore[type-arg]
                                                                  postgres_url: str, chroma_server) -> None:  # type: ignore[no-untyped-def]
    """Disjoint file sets, started together, one PostgreSQL database, one Chroma collection, one data
    directory (BM25): every document ends up exactly once, indexed in both retrievers, with the facts and
    passages a single ingest stores; a thread answers questions through the same stores all along."""
    from qa.chain import Answerer

    settings = chroma_server.settings(tmp_path / "data", database_url=postgres_url)
    library = Library(settings)  # creates the schema and the collection before the race begins
    answerer = Answerer(settings)
    server = ["--data-dir", str(settings.data_dir), "--database-url", postgres_url, "--chroma-host",
              str(settings.chroma_host), "--chroma-port", str(settings.chroma_port),
              "--chroma-collection", settings.chroma_collection]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    halves = (FILES[0::2], FILES[1::2])
    processes = [subprocess.Popen([sys.executable, "-m", "budgetqa.cli", *server, "ingest", "--workers", "1",
                                   *map(str, half)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for half in halves]
    asked, errors = [], []

    def ask_until_done() -> None:
        while any(p.poll() is None for p in processes):
            for question in QUESTIONS:
                try:
                    asked.append(answerer.ask(question))
                except Exception as error:  # noqa: BLE001 - any error is the test's failure, reported below
                    errors.append(f"{question}: {type(error).__name__}: {error}")
            time.sleep(0.2)

    thread = threading.Thread(target=ask_until_done)
    thread.start()
    outputs = [p.communicate(timeout=900) for p in processes]
    thread.join(timeout=120)
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out[-2000:] + err[-2000:]
    assert not errors, errors[:5]
    assert len(asked) >= len(QUESTIONS)

    assert snapshot(library) == reference
    names = [d.file_name for d in library.documents()]
    assert sorted(names) == sorted(NAMES)  # each exactly once
    answers = [answerer.ask(q) for q in QUESTIONS]
    assert all(a.found for a in answers), [(q, a.answer) for q, a in zip(QUESTIONS, answers, strict=True)]


def test_the_index_step_waits_for_another_process_on_the_same_data_directory(tmp_path: Path) -> None:
    """Two processes indexing on one data directory take turns (an fcntl lock): one's repair never
    re-indexes, or revives, a document the other is indexing at that moment."""
    settings = Settings(data_dir=tmp_path / "data")
    library = Library(settings)
    library.passage_index.count()  # opened before the clock starts
    hold = ("import sys, time; from pathlib import Path; from budgetqa.library import Library; "
            "from budgetqa.settings import Settings; lib = Library(Settings(data_dir=Path(sys.argv[1])))\n"
            "with lib._index_lock():\n    print('locked', flush=True); time.sleep(3)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(settings.data_dir)], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    started = time.perf_counter()
    library.remove("no-such-document")  # its index step must wait for the holder
    waited = time.perf_counter() - started
    assert holder.wait(timeout=60) == 0
    assert waited > 1.5, waited


def _descendants(pid: int) -> set[int]:
    table = [line.split() for line in subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True,
                                                     check=True).stdout.splitlines()]
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {int(child) for child, parent in table if int(parent) in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_killed_ingest_leaves_no_worker_behind(tmp_path: Path) -> None:
    """SIGKILL to `budgetqa ingest --workers 2` mid-run: its worker processes (and the forkserver) end too."""
    import signal

    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")} | {"PYTHONPATH": str(REPO),
                                                                                    "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "budgetqa.cli", "--data-dir", str(tmp_path / "data"), "ingest",
                                "--workers", "2", *map(str, FILES)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    helpers: set[int] = set()
    while len(helpers) < 4 and time.monotonic() < deadline:  # resource tracker, forkserver, two workers
        time.sleep(0.2)
        helpers = _descendants(process.pid)
    assert len(helpers) >= 4 and process.poll() is None, helpers
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(map(_alive, helpers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in helpers if _alive(pid)]
    for pid in left:  # not to leave them to the machine when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_the_objects_alive_when_a_batch_starts_are_kept_from_the_collector_until_it_ends(tmp_path: Path) -> None:
    """While a batch is written, what was loaded before it (the model, Chroma, jieba) is frozen out of the
    cyclic collector (gc.freeze), read in this process or by workers; afterwards it is back under it."""
    import gc

    before = gc.get_freeze_count()
    library = Library(Settings(data_dir=tmp_path / "data"))
    frozen_while_writing: list[int] = []
    for runner in (None, ProcessRunner(1)):
        library.ingest(FILES[:2] if runner is None else FILES[2:4], runner=runner,
                       progress=lambda result: frozen_while_writing.append(gc.get_freeze_count()))
        assert gc.get_freeze_count() == before
    assert len(frozen_while_writing) == 4 and min(frozen_while_writing) > before + 10_000
