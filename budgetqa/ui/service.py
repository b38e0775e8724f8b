"""What every session of the app shares: the settings, the library and the answerer, the departments of
the loaded documents and the example questions they answer. Nothing here reads tables or computes
answers; `budgetqa.library.Library` ingests and removes, `qa.chain` answers.

    app = BudgetApp(settings); app.ask("区政府办2025年“三公”经费预算是多少？", None, None, None)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from budgetqa.department_search import DepartmentEntry, department_entries
from budgetqa.examples import Example, answerable_examples
from budgetqa.library import FileResult, Library
from budgetqa.models import Answer, StoredDocument
from budgetqa.settings import Settings
from budgetqa.uploads import UploadError, discard_upload, store_upload


@dataclass
class BudgetApp:
    """The app's connection to one data directory, shared by all browser sessions."""

    settings: Settings
    library: Library = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _cached: dict = field(default_factory=dict, init=False)  # of the current document set: departments, examples

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

    # ---- what the loaded documents offer (computed once per set of documents) --------------------
    def _memo(self, name: str, documents: list[StoredDocument], compute):  # type: ignore[no-untyped-def]
        generation = frozenset(d.content_hash for d in documents)
        with self._cache_lock:
            if self._cached.get("generation") != generation:  # documents were added or removed
                self._cached = {"generation": generation}
            if name not in self._cached:
                self._cached[name] = compute()
            return self._cached[name]

    def departments(self, documents: list[StoredDocument] | None = None) -> list[DepartmentEntry]:
        documents = self.documents() if documents is None else documents
        return self._memo("departments", documents, lambda: department_entries(documents))

    def examples(self, documents: list[StoredDocument] | None = None) -> list[Example]:
        """Example questions of several kinds, each asked once (tables and arithmetic only, no language
        model) and kept only when the loaded documents answer it."""
        documents = self.documents() if documents is None else documents
        return self._memo("examples", documents, lambda: answerable_examples(
            self._fast_answerer().ask, self.store, documents) if documents else [])

    def _fast_answerer(self):  # type: ignore[no-untyped-def]
        answerer = self.answerer()
        if answerer.llm is None:
            return answerer
        from qa.chain import Answerer  # the configured model phrases user answers; examples need none

        return Answerer(self.settings, store=self.store, passage_index=self.library.passage_index)

    # ---- changing the library ----------------------------------------------------------------------
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
        failed = not result.ok and result.status == "failed"
        known_elsewhere = (result.status == "unchanged" and result.document is not None
                           and Path(result.document.path).resolve() != stored)
        if failed or known_elsewhere:  # nothing new was kept from this upload
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
