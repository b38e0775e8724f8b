"""Shared fixtures: where the real corpus lies, one store with the whole corpus ingested (built once per
test session in a tmp folder, with the real SQLite store and Chroma index), a real Chroma server, and a
real PostgreSQL server (started once per session, a new database per test) for the store tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_DIRS = [CORPUS]  # the whole corpus: answers must hold with every document loaded


def corpus_file(name: str) -> Path:
    """A corpus file by name, wherever it lies under ../shared/corpus."""
    matches = sorted(CORPUS.rglob(name))
    if not matches:
        raise FileNotFoundError(f"{name} not found under {CORPUS} (CI must have ../shared beside the clone)")
    return matches[0]


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings of a data directory holding the whole corpus, ingested through the real library."""
    from budgetqa.library import Library
    from budgetqa.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("corpus-store"))
    results = Library(settings).ingest(CORPUS_DIRS)
    failed = [r.error for r in results if not r.ok]
    assert not failed, failed
    return settings


@pytest.fixture(scope="session")
def corpus_documents():  # type: ignore[no-untyped-def]
    """Every corpus file read and analysed once per session (no stores): file name -> IngestedDocument."""
    from ingest.pipeline import build_document

    files = [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.suffix in {".pdf", ".txt", ".md"}
             and p.parent != CORPUS]
    return {path.name: build_document(path) for path in files}


@pytest.fixture(scope="session")
def answerer(corpus_settings):  # type: ignore[no-untyped-def]
    from qa.chain import build_answerer

    return build_answerer(corpus_settings)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real `chroma run` server for the session (tests/chroma_server.py); each library on it takes a
    collection of its own through `chroma_server.settings(data_dir)`. No `chroma` executable is a failure."""
    from tests.chroma_server import ChromaServerError, start_chroma_server

    try:
        server = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    except ChromaServerError as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server for the session (tests/pg.py). Fails, never skips, when the server
    binaries are missing: scripts/test.sh installs them."""
    from tests.pg import PostgresMissing, PostgresServer

    try:
        server = PostgresServer.start()
    except PostgresMissing as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture()
def postgres_url(postgres_server):  # type: ignore[no-untyped-def]
    """The SQLAlchemy URL of a new empty database on the session's server, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
