"""A real Chroma server for tests and benchmarks: `chroma run --path <folder> --host 127.0.0.1 --port <free>`
in a subprocess, ready once its heartbeat answers.

    server = start_chroma_server(tmp_path / "chroma")
    settings = server.settings(tmp_path / "data")        # a fresh collection on that server
    server.stop()

The `chroma` console script is looked for next to the running Python first (the virtualenv's bin, where
`pip install chromadb` puts it), then on PATH. Missing, it raises `ChromaServerError`: the fixture in
tests/conftest.py turns that into a failure, never a skip.
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from budgetqa.settings import Settings

HOST = "127.0.0.1"
STARTUP_SECONDS = 60.0


class ChromaServerError(RuntimeError):
    """The Chroma server could not be started (no `chroma` executable, or it never answered)."""


def chroma_executable() -> Path:
    """The `chroma` command of the Python running the tests (its bin folder first, then PATH)."""
    beside = Path(sys.executable).parent / "chroma"  # not resolved: a venv's python is a symlink
    if beside.is_file():
        return beside
    found = shutil.which("chroma")
    if found:
        return Path(found)
    raise ChromaServerError(
        f"no `chroma` executable beside {sys.executable} nor on PATH: the Chroma server tests need the "
        "console script of the chromadb package. Install the project into this Python "
        "(`pip install -e .[test]`, or run scripts/test.sh, which does) and check that "
        f"{beside} exists."
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class ChromaServer:
    """One running `chroma run` process and where it keeps its data and log."""

    host: str
    port: int
    path: Path
    log: Path
    process: subprocess.Popen[bytes]
    _collections: Any = field(default_factory=lambda: itertools.count(1))

    def settings(self, data_dir: Path, **overrides: Any) -> Settings:
        """Settings of a library whose passage vectors live on this server, in a collection of its own
        (one library per collection: BM25 and the relational store stay under `data_dir`)."""
        collection = f"test-{self.port}-{next(self._collections)}"
        return Settings(data_dir=data_dir, chroma_host=self.host, chroma_port=self.port,
                        chroma_collection=collection, **overrides)

    def heartbeat(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.host}:{self.port}/api/v2/heartbeat", timeout=2) as reply:
                return "nanosecond heartbeat" in json.loads(reply.read())
        except (OSError, ValueError):
            return False

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_chroma_server(path: Path, timeout: float = STARTUP_SECONDS) -> ChromaServer:
    """Start `chroma run` on a free port with its data under `path`; return once its heartbeat answers."""
    executable = chroma_executable()
    path.mkdir(parents=True, exist_ok=True)
    log = path / "chroma.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([str(executable), "run", "--path", str(path / "db"), "--host", HOST,
                                    "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = ChromaServer(HOST, port, path, log, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.heartbeat():
            return server
        if process.poll() is not None:
            raise ChromaServerError(f"`{executable} run` exited with code {process.returncode} before answering "
                                    f"on {HOST}:{port}; its log ends:\n{server.log_tail()}")
        time.sleep(0.2)
    server.stop()
    raise ChromaServerError(f"`{executable} run` did not answer on {HOST}:{port} within {timeout:.0f} s; "
                            f"its log ends:\n{server.log_tail()}")
