"""Where the per-file step of an ingest runs: in this process, in a pool of worker processes, or as Ray
tasks on a cluster. Every runner calls the same `read_file` (read + analyse with `ingest.pipeline.
analyse_file`, then the document's passage-index entries: BM25 tokens and, when the runner says so, the
vectors; no store) and yields its `FileOutcome`s as they finish; `Library.ingest` writes each one, in
this process.

    runner = make_runner(workers=2)                    # a pool of 2 processes (spawned by a forkserver)
    runner = make_runner(ray_address="ray://head:10001")  # Ray tasks; pip install 'budgetqa[ray]'
    for outcome in runner.run(files, settings): ...

A worker process never touches a store, so a crash in one (a reader bug, the kernel's OOM killer) loses
no data: the files it held are read again one at a time, and only the one that kills its process again is
reported as failed. At most WINDOW_PER_WORKER files per worker wait parsed in memory for the writer.

What is embedded is a document's narrative passages only (`index.metadata.embedded`; its table rows go
to BM25 alone): about 3 CPU s for the 22 PDFs (653 pages) of ../shared/corpus, against 25 s of reading.

Who embeds: with one worker process the writer does (the reader is the longer half: measured on the corpus,
the whole ingest took 27.3 s with the writer embedding, 30.4 s with the reader embedding); with two or
more, or Ray tasks, each reader embeds what it read (the one writer would otherwise hold them all up).
The forkserver that readers are forked from loads jieba's dictionary, and the model when the readers
embed, before the first reader starts (`budgetqa/forkserver_warm.py`): the readers share them. Until the
first reader is up, the writer's process reads files itself (`_read_while_starting`).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from budgetqa.settings import Settings
from ingest.errors import ReadError
from ingest.pipeline import FileOutcome, analyse_file, peak_memory_mb, validate_file

log = logging.getLogger(__name__)

RAY_ADDRESS_ENV = "BUDGETQA_RAY_ADDRESS"
WARM_MODEL_ENV = "_BUDGETQA_WARM_MODEL"  # the embedding model the forkserver loads (budgetqa/forkserver_warm.py)
# Files handed to the pool per worker before the writer takes their results: the writer works in bursts
# (it indexes up to 500 vectors at once; before session 7 it also embedded them all then, with one worker),
# and a reader with nothing queued waits out the burst. With 2 per worker, 1 worker read 120 five-page
# PDFs at 0.66x the bare pdfplumber pass in the steady state; with 12, at 0.93x. A parsed document
# waiting is a few MB at most.
WINDOW_PER_WORKER = 12
# imported once, by the forkserver; the last loads jieba and the model named in WARM_MODEL_ENV for every reader
_PRELOAD = ["ingest.pipeline", "ingest.pdf_reader", "ingest.text_reader", "index.entries", "index.embeddings",
            "budgetqa.forkserver_warm"]


class RunnerError(RuntimeError):
    """A runner cannot start (bad worker count, Ray missing or unreachable): the message says what to do."""


class Runner(Protocol):
    """Runs `read_file` over files and yields each outcome as soon as it is ready (any order)."""

    description: str
    embeds: bool  # whether the readers embed the passages (else the writer does)

    def run(self, files: Sequence[Path], settings: Settings) -> Iterator[FileOutcome]: ...


def machine_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's total, under a container limit)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def make_runner(workers: int | None = None, ray_address: str | None = None) -> Runner:
    """The runner an ingest asked for: Ray tasks when a Ray address is given, else `workers` processes
    (None: one per core; 0: this process, no pool).

    Usage: `Library(settings).ingest(paths, runner=make_runner(workers=2))`."""
    if ray_address:
        return RayRunner(ray_address)
    if workers is None:
        workers = machine_cores()
    if workers < 0:
        raise RunnerError(f"--workers must be 0 (read in this process) or more, not {workers}")
    return ProcessRunner(workers) if workers else InlineRunner()


def read_file(path: Path, settings: Settings, content: bytes | None = None, embed: bool = False) -> FileOutcome:
    """The per-file step of every runner: read and analyse the file (`analyse_file`, which never raises),
    then prepare the document's passage-index entries (`index.entries`: BM25 tokens of every passage, and
    with `embed` the vectors of its narrative passages, by this process's model), so that the writer only
    writes. Entries that cannot be prepared here are left to the writer, which prepares them again and
    reports what fails.

    Usage: `outcome = read_file(Path("a.pdf"), Settings(), embed=True); outcome.entries.vectors`."""
    outcome = analyse_file(path, settings, content)
    if outcome.document is None:
        return outcome
    started, cpu = time.perf_counter(), time.process_time()
    try:
        from index.entries import document_entries

        entries = document_entries(outcome.document)
        if embed:
            from index.embeddings import process_embeddings

            entries.embed(process_embeddings(settings))
        outcome.entries = entries
    except Exception:  # the writer meets the same problem and says it, naming the file
        log.warning("the index entries of %s were not prepared here", path.name, exc_info=True)
    outcome.seconds += time.perf_counter() - started
    outcome.cpu_seconds += time.process_time() - cpu
    outcome.peak_mb = peak_memory_mb()
    return outcome


class InlineRunner:
    """Reads each file in this process, one after the other."""

    description = "in this process"
    embeds = False  # the same process embeds when it writes

    def run(self, files: Sequence[Path], settings: Settings) -> Iterator[FileOutcome]:
        for path in files:
            yield read_file(path, settings)


class ProcessRunner:
    """Reads files in `workers` processes (concurrent.futures with a forkserver: no fork of a parent that
    holds an embedding model, a database pool or threads). A batch of one file is read in this process.
    `embed` (default: with two workers or more) has the workers embed the passages they read.
    `read_while_starting` (default): this process reads files too until the first worker is up."""

    def __init__(self, workers: int, start_method: str = "forkserver", embed: bool | None = None,
                 read_while_starting: bool = True) -> None:
        if workers < 1:
            raise RunnerError(f"a process pool needs at least one worker, not {workers}")
        self.workers = workers
        self.start_method = start_method
        self.embeds = workers >= 2 if embed is None else embed
        self.read_while_starting = read_while_starting
        self.description = f"{workers} worker process{'es' * (workers > 1)}"

    def run(self, files: Sequence[Path], settings: Settings) -> Iterator[FileOutcome]:
        if len(files) <= 1:  # starting a process would only add its start-up time
            yield from InlineRunner().run(files, settings)
            return
        pending = deque(files)
        while pending:
            suspects = yield from self._run_pool(pending, settings)
            for path in suspects:  # the pool broke: which of the files it held killed it?
                yield self._run_alone(path, settings)

    def _pool(self, workers: int, settings: Settings) -> ProcessPoolExecutor:
        import multiprocessing

        context = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":  # (the forkserver starts once per process, with the first pool)
            if self.embeds:  # readers that embed find the model loaded (when this pool starts the forkserver)
                os.environ.setdefault(WARM_MODEL_ENV, settings.embedding_model.strip())
            context.set_forkserver_preload(_PRELOAD)
        return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings, self.embeds))

    def _run_pool(self, pending: deque[Path], settings: Settings) -> Generator[FileOutcome, None, list[Path]]:
        """Read files off `pending` until it is empty or the pool breaks; returns the files the pool held
        when it broke (they are put back nowhere: the caller reads each alone)."""
        window = WINDOW_PER_WORKER * self.workers
        running: dict[Future[FileOutcome], Path] = {}
        pool = self._pool(min(self.workers, len(pending)), settings)
        try:
            if self.read_while_starting:
                yield from _read_while_starting(pool, pending, settings)
            while pending or running:
                while pending and len(running) < window:
                    try:
                        future = pool.submit(read_file, pending[0], settings, None, self.embeds)
                    except BrokenProcessPool:  # its processes died as they started: one file more is suspect
                        log.warning("the reader processes died as they started")
                        return [*running.values()] or [pending.popleft()]
                    running[future] = pending.popleft()
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    path = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        log.warning("a worker process died while %s was being read", path.name)
                        return [path, *(running.pop(f) for f in list(running))]
                    yield outcome
            return []
        finally:  # also when the caller stops early (a store that went away): files not begun are dropped
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_alone(self, path: Path, settings: Settings) -> FileOutcome:
        started = time.perf_counter()
        try:
            with self._pool(1, settings) as pool:
                return pool.submit(read_file, path, settings, None, self.embeds).result()
        except BrokenProcessPool:
            return FileOutcome(path, None, f"{path.name}: the process reading it died (out of memory, or a crash "
                                           "in the PDF library) — check the file, or ingest it alone with "
                                           "--workers 0 to see the error; nothing was stored",
                               time.perf_counter() - started, 0.0, "")


def _read_while_starting(pool: ProcessPoolExecutor, pending: deque[Path], settings: Settings) -> Iterator[FileOutcome]:
    """Until the pool's first reader is up (the forkserver's imports and models: about 2 s on this machine,
    with a core left idle), this process reads files itself, the last of the batch (the writer embeds their
    passages, as with one worker). Were one to crash this process, nothing is half-written either."""
    started = threading.Event()

    def start() -> None:
        try:
            pool.submit(os.getpid).result()  # starts a reader; the forkserver first, when it is not running
        except Exception:  # a broken pool: the caller's loop meets it and says so
            log.debug("the pool did not start", exc_info=True)
        finally:
            started.set()

    threading.Thread(target=start, name="start-readers", daemon=True).start()
    while len(pending) > 1 and not started.is_set():
        yield read_file(pending.pop(), settings)
    started.wait()


def _start_worker(settings: Settings, embed: bool) -> None:
    """Ctrl-C is the writer's to handle (it stops the batch; a worker would only print a traceback), and a
    worker ends when the writer is gone: a killed `budgetqa ingest` leaves no workers behind (they would
    otherwise wait for work forever, and keep the forkserver alive). What every file needs (the jieba
    dictionary, the embedding model) is loaded here, once, and not counted against the first file (usually
    already loaded by the forkserver, budgetqa/forkserver_warm.py, so this only finds it)."""
    import multiprocessing
    from multiprocessing.connection import wait as wait_for

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)  # the writer (and a database or Chroma server on this machine) first: readers take what is left
    _warm(settings, embed)
    writer = multiprocessing.parent_process()  # the writer, also under a forkserver (its pipe closes when it dies)
    if writer is None:
        return

    def watch() -> None:
        wait_for([writer.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-writer", daemon=True).start()


def _warm(settings: Settings, embed: bool) -> None:
    load_reader_models(settings, embed)
    gc.collect()
    gc.freeze()  # the worker's lifetime: see long_lived_heap


def load_reader_models(settings: Settings, embed: bool) -> None:
    """Load what every file a reader reads needs, once per process: jieba's dictionary and, with `embed`,
    the embedding model. Never raises: the first file meets the same problem, and the writer reports it."""
    from index.lexical import tokenize

    try:
        tokenize("预算")
        if embed:
            from index.embeddings import process_embeddings

            process_embeddings(settings).embed_query("预算")
    except Exception:  # see the docstring
        log.debug("loading a reader's models failed", exc_info=True)


@contextlib.contextmanager
def long_lived_heap() -> Iterator[None]:
    """While a batch is read and written, the objects alive at its start (the embedding model, jieba's
    dictionary, Chroma's client: hundreds of thousands) are kept out of Python's cyclic garbage collector,
    which otherwise walks them all on each of the many full collections that a PDF's millions of short-lived
    layout objects set off: 15-17% of a reader's CPU with the model loaded (60 five-page PDFs: 4.1 s, 3.5 s
    with them kept out; a bare pdfplumber pass in the same process alike). Garbage is still freed by
    reference counting; the objects go back under the collector when the batch ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class RayRunner:
    """Reads files as Ray tasks (one CPU each) on the cluster at `address` ("local" starts one here;
    None uses the Ray already initialised in this process, or $BUDGETQA_RAY_ADDRESS). Each task gets the
    file's bytes, so the workers need no shared file system; they need budgetqa installed."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address or os.environ.get(RAY_ADDRESS_ENV)
        self.embeds = True
        self.description = f"Ray tasks on {self.address or 'the initialised Ray'}"

    def run(self, files: Sequence[Path], settings: Settings) -> Iterator[FileOutcome]:
        ray = _import_ray()
        started_here = self._connect(ray)
        try:
            yield from self._run(ray, files, settings)
        finally:
            if started_here and self.address == "local":
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        if ray.is_initialized():
            return False
        if not self.address:
            raise RunnerError(f"no Ray cluster to use: give --ray ADDRESS (or set {RAY_ADDRESS_ENV}); "
                              "'local' starts one on this machine")
        local = {"include_dashboard": False} if self.address == "local" else {}
        problem = _unreachable(self.address)
        if problem:  # Ray itself would retry for minutes before saying so
            raise RunnerError(f"cannot reach the Ray cluster at {self.address} ({problem}) — is it running "
                              "(`ray start --head` on its head node), and is the address right?")
        try:
            ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False, **local)
        except Exception as error:  # ConnectionError, or a bad address
            raise RunnerError(f"cannot reach the Ray cluster at {self.address} ({type(error).__name__}: {error}) "
                              "— is it running (`ray start --head` on its head node), and is the address right?"
                              ) from error
        return True

    def _run(self, ray: Any, files: Sequence[Path], settings: Settings) -> Iterator[FileOutcome]:
        task = ray.remote(num_cpus=1, max_retries=1)(read_file)
        settings_ref = ray.put(settings)
        window = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        pending = deque(files)
        running: dict[Any, Path] = {}
        while pending or running:
            while pending and len(running) < window:
                path = pending.popleft()
                try:
                    validate_file(path, settings)  # too big, missing, not a PDF: said here, nothing sent
                    content = path.read_bytes()
                except (ReadError, OSError):
                    yield analyse_file(path, settings)  # the same message a worker would give
                    continue
                running[task.remote(path, settings_ref, content, self.embeds)] = path
            if not running:
                continue
            [ready], _ = ray.wait(list(running), num_returns=1)
            path = running.pop(ready)
            try:
                yield ray.get(ready)
            except ray.exceptions.RayError as error:  # the worker died, or the cluster lost the task
                yield FileOutcome(path, None, f"{path.name}: the Ray task reading it failed ({type(error).__name__})"
                                              " — check the cluster's logs, or ingest it without --ray to see "
                                              "the error; nothing was stored", 0.0, 0.0, "")


def _unreachable(address: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at a `host:port` or `ray://host:port` address, or None (also for `local`/`auto`)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise RunnerError("--ray needs Ray: pip install 'budgetqa[ray]'") from error
    return ray
