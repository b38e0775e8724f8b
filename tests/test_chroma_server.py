"""The passage index on a real Chroma server (`chroma run`, the session fixture `chroma_server`) beside the
same index on disk. One real corpus document goes through the real ingest pipeline into each; then add,
dense search, the consistency probe, an idempotent re-add, repair and reindex, and removal are checked on
both; the command line runs end to end on the server (ingest, a narrative `ask --json` citing the pages the
disk index cites, reindex, remove); a server that is down, or goes away mid-run, is reported by its address.
Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from budgetqa.library import Library, index_meta
from budgetqa.settings import Settings
from index.chroma import ChromaUnavailableError
from index.rows import table_row_passages
from tests.chroma_server import ChromaServer, free_port, start_chroma_server
from tests.conftest import REPO, corpus_file

PDF = corpus_file("普陀区司法局2026年部门预算.pdf")
NARRATIVE = "区司法局在社区矫正方面负责什么？"  # 职能（六）, pages 4-5
BACKENDS = pytest.mark.parametrize("backend", ["disk", "server"])


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory, chroma_server: ChromaServer) -> dict[str, Library]:
    """The document ingested once into a library on disk and once into a library on the server."""
    root = tmp_path_factory.mktemp("libraries")
    libraries = {"disk": Library(Settings(data_dir=root / "disk")),
                 "server": Library(chroma_server.settings(root / "server"))}
    for library in libraries.values():
        [result] = library.ingest([PDF])
        assert result.status == "added", result.error
    return libraries


def server_count(settings: Settings) -> int:
    """What the server itself holds in the library's collection, asked through a client of its own."""
    import chromadb

    client = chromadb.HttpClient(host=str(settings.chroma_host), port=settings.chroma_port)
    return client.get_collection(settings.chroma_collection).count()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "budgetqa.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def server_args(settings: Settings) -> list[str]:
    return ["--data-dir", str(settings.data_dir), "--chroma-host", str(settings.chroma_host),
            "--chroma-port", str(settings.chroma_port), "--chroma-collection", settings.chroma_collection]


def ask_json(*args: str) -> dict:  # type: ignore[type-arg]
    run = cli(*args, "ask", "--json", NARRATIVE)
    assert run.returncode == 0, run.stderr[-1000:]
    return json.loads(run.stdout)


@BACKENDS
def test_every_passage_is_indexed_where_the_settings_say(libraries: dict[str, Library], backend: str) -> None:
    library = libraries[backend]
    index = library.passage_index
    [doc] = library.documents()
    narrative = [p for p in library.store.passages([doc.document_id]) if p.kind == "narrative"]
    assert index.document_ids() == [doc.document_id]
    assert index.count() == libraries["disk"].passage_index.count() == len(narrative) > 20  # vectors: narrative only
    assert len(index._lexical) > len(narrative)  # BM25: + one passage per table row
    on_disk = library.settings.index_dir / "chroma"
    if backend == "server":
        assert index.location == f"Chroma server {library.settings.chroma_host}:{library.settings.chroma_port}"
        assert server_count(library.settings) == index.count()
        assert not on_disk.exists()  # the vectors went to the server, not into the data directory
    else:
        assert index.location == str(on_disk)


def test_dense_search_on_the_server_ranks_as_on_disk(libraries: dict[str, Library]) -> None:
    for query in ("社区矫正工作", "基层司法业务经费主要用于哪些方面", "公务用车运行费", "法律援助中心"):
        disk, server = (libraries[b].passage_index.search(query, k=5, mode="dense") for b in ("disk", "server"))
        assert len(server) == 5 and all(h.retrievers == ("dense",) for h in server)
        assert [h.passage_id for h in server] == [h.passage_id for h in disk], query
    hits = libraries["server"].passage_index.search("司法局的主要职能", k=5, mode="dense",
                                                    filters={"passage_kind": "narrative"})  # filtered on the server
    assert {h.kind for h in hits} == {"narrative"}
    assert any(h.page_start == 4 and "主管本区司法和法制工作" in h.text for h in hits), [h.text[:30] for h in hits]


@BACKENDS
def test_consistency_probe(libraries: dict[str, Library], backend: str) -> None:
    assert libraries[backend].passage_index.dense_consistent()


@BACKENDS
def test_readding_the_document_changes_nothing(libraries: dict[str, Library], backend: str) -> None:
    library = libraries[backend]
    index = library.passage_index
    [doc] = library.documents()
    before = index.count(), len(index._lexical)
    meta = index_meta(doc.department, doc.region, doc.fiscal_year, doc.kind, doc.file_name)
    narrative = [p for p in library.store.passages([doc.document_id]) if p.kind == "narrative"]
    passages = narrative + table_row_passages(doc.document_id, meta, library.store.facts(document_ids=[doc.document_id]))
    assert index.add_document(doc.document_id, passages, meta) == before[1]  # every passage, both kinds
    assert (index.count(), len(index._lexical)) == before and index.document_ids() == [doc.document_id]
    assert library.ingest([PDF])[0].status == "unchanged"
    hits = index.search("社区矫正工作", k=10, mode="dense")
    assert len({h.passage_id for h in hits}) == len(hits) == 10


@BACKENDS
def test_repair_and_reindex(libraries: dict[str, Library], backend: str) -> None:
    library = libraries[backend]
    index = library.passage_index
    [doc] = library.documents()
    count = index.count()
    ghost = [replace(p, document_id="ghost-document", passage_id=f"ghost-document:p{i}")
             for i, p in enumerate(library.store.passages([doc.document_id])[:3])]
    index.add_document("ghost-document", ghost, index_meta(None, None, None, None, "ghost.pdf"))
    assert index.count() == count + 3
    assert library.repair() == (0, 1)  # passages of a document the store does not hold are dropped
    assert index.document_ids() == [doc.document_id] and index.count() == count
    assert library.reindex() == 1
    assert index.count() == count and index.dense_consistent()
    if backend == "server":
        assert server_count(library.settings) == count


def test_an_empty_server_is_filled_from_the_store(libraries: dict[str, Library], chroma_server: ChromaServer) -> None:
    """A library pointed at a new server (or one that lost its data) gets its vectors back at the next repair
    (`budgetqa ingest`, `budgetqa serve`)."""
    library = libraries["server"]
    moved = Library(chroma_server.settings(library.settings.data_dir))  # same store and BM25, empty collection
    assert moved.passage_index.count() == 0
    assert moved.repair() == (1, 0)
    assert moved.passage_index.count() == library.passage_index.count() == server_count(moved.settings)
    assert moved.repair() == (0, 0)


def test_command_line_on_the_server_cites_what_the_disk_index_cites(tmp_path: Path, libraries: dict[str, Library],
                                                                    chroma_server: ChromaServer) -> None:
    settings = chroma_server.settings(tmp_path / "data")
    on_server = server_args(settings)
    ingest = cli(*on_server, "ingest", str(PDF))
    assert ingest.returncode == 0 and "1 of 1 files ingested" in ingest.stdout, ingest.stderr[-1000:]
    assert server_count(settings) == libraries["disk"].passage_index.count()
    answer = ask_json(*on_server)
    expected = ask_json("--data-dir", str(libraries["disk"].settings.data_dir))
    assert answer["route"] == "passage" and answer["found"] and "社区矫正" in answer["answer"]
    assert answer["citations"][0]["page"] == expected["citations"][0]["page"] in (4, 5)
    assert [c["page"] for c in answer["citations"]] == [c["page"] for c in expected["citations"]]
    assert answer["answer"] == expected["answer"]
    reindex = cli(*on_server, "reindex")
    assert reindex.returncode == 0 and "reindexed 1 documents" in reindex.stdout, reindex.stderr[-1000:]
    assert ask_json(*on_server)["citations"] == answer["citations"]
    remove = cli(*on_server, "remove", PDF.name)
    assert remove.returncode == 0, remove.stderr[-1000:]
    assert server_count(settings) == 0


def test_a_server_that_is_down_is_named_not_a_stack_trace(libraries: dict[str, Library]) -> None:
    port = free_port()  # nothing listens there
    down = ["--data-dir", str(libraries["disk"].settings.data_dir), "--chroma-host", "127.0.0.1",
            "--chroma-port", str(port)]
    for command in (["ask", NARRATIVE], ["ingest", str(PDF)], ["reindex"]):
        run = cli(*down, *command)
        assert run.returncode == 2, (command, run.stdout[-500:], run.stderr[-500:])
        assert f"No Chroma server answers at 127.0.0.1:{port}" in run.stderr and "chroma run" in run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr[-1000:]
    assert [d.file_name for d in libraries["disk"].documents()] == [PDF.name]  # nothing changed
    table = cli(*down, "ask", "--json", "区司法局2026年三公经费多少？")  # the table route needs no vectors
    assert table.returncode == 0, table.stderr[-1000:]
    assert json.loads(table.stdout)["value"] == 10.81


def test_a_server_that_goes_away_mid_run_is_named(tmp_path: Path) -> None:
    server = start_chroma_server(tmp_path / "short-lived")
    try:
        library = Library(server.settings(tmp_path / "data"))
        index = library.passage_index
        assert index.count() == 0
    finally:
        server.stop()
    address = f"No Chroma server answers at 127.0.0.1:{server.port}"
    with pytest.raises(ChromaUnavailableError, match=address):
        index.count()
    with pytest.raises(ChromaUnavailableError, match=address):
        index.search(NARRATIVE, k=3)
    with pytest.raises(ChromaUnavailableError, match=address):  # the batch stops: no later file could be indexed
        library.ingest_file(PDF)
    assert library.documents() == []  # nothing half kept in the relational store


@BACKENDS
def test_removal_deletes_the_documents_passages(libraries: dict[str, Library], backend: str) -> None:
    library = libraries[backend]
    [doc] = library.documents()
    assert library.remove(doc.document_id)
    index = library.passage_index
    assert index.count() == 0 and index.document_ids() == []
    assert index.search("社区矫正工作", k=5, mode="dense") == []
    assert index.search("社区矫正工作", k=5) == []
    if backend == "server":
        assert server_count(library.settings) == 0
