"""Errors that ingestion raises for a person to act on: which file, what is wrong, what to do."""

from __future__ import annotations

from pathlib import Path


class ReadError(Exception):
    """A file could not be read: `str()` gives "<file name>: <problem> — <hint>"."""

    def __init__(self, path: str | Path, problem: str, hint: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        super().__init__(f"{Path(path).name}: {problem} — {hint}")
