"""The BM25 side grows one document at a time (index/lexical.py, index/postings.py), on real corpus
documents: passages and table rows as ingestion makes them, tokens as the passage index makes them, and
every question of the evaluation set as the query. The reference is the old full rebuild: bm25s over all
passages' tokens in the order they were added."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from budgetqa.library import index_meta
from index.lexical import BM25Store, LexicalEntry, tokenize_query
from index.entries import lexical_entries
from index.rows import table_row_passages
from tests.conftest import corpus_file

REPO = Path(__file__).resolve().parents[1]
FILES = ("上海市金融服务办公室2018年部门预算.txt", "上海市大数据中心2020年部门预算.md",
         "上海市审计局2026年单位预算.pdf", "烟台市审计局2026年部门预算.pdf")
DEPTH = 40  # as deep as the passage index reads BM25 before fusing

Documents = dict[str, list[LexicalEntry]]


@pytest.fixture(scope="module")
def documents() -> Documents:
    """Four real documents as the BM25 side receives them: document id -> entries (with tokens)."""
    from ingest.pipeline import build_document

    out: Documents = {}
    for name in FILES:
        doc = build_document(corpus_file(name))
        meta = index_meta(doc.meta.department, doc.meta.region, doc.meta.fiscal_year, doc.meta.kind, doc.file_name)
        passages = doc.passages + table_row_passages(doc.document_id, meta, doc.facts)
        out[doc.document_id] = lexical_entries(passages, meta)
    assert all(len(entries) > 20 for entries in out.values())
    return out


@pytest.fixture(scope="module")
def questions() -> list[list[str]]:
    """Query tokens of every question of the evaluation set that shares a token with the documents."""
    rows = [json.loads(line) for line in (REPO / "eval" / "sets" / "budgetqa.jsonl").read_text().splitlines()
            if line.strip()]
    return [tokenize_query(row["question"]) for row in rows]


class FullRebuild:
    """What the old BM25Store answered: bm25s built over every entry at once, top k (score > 0) after
    the metadata mask. Usage: `FullRebuild(entries)(tokens, k)`."""

    def __init__(self, entries: list[LexicalEntry]) -> None:
        import bm25s

        self.entries = entries
        self.retriever = bm25s.BM25(k1=1.2, b=0.75)
        self.retriever.index([e.tokens or ["\x00"] for e in entries], show_progress=False)

    def __call__(self, tokens: list[str], k: int = DEPTH,
                 accept: Callable[[dict], bool] | None = None) -> list[tuple[str, float]]:
        ids = self.retriever.get_tokens_ids(tokens)
        if not ids:
            return []
        scores = self.retriever.get_scores_from_ids(ids)
        if accept is not None:
            scores = np.where([accept(e.metadata) for e in self.entries], scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.entries[i].passage_id, float(scores[i])) for i in top if scores[i] > 0]


def results(store: BM25Store, tokens: list[str], k: int = DEPTH,
            accept: Callable[[dict], bool] | None = None) -> list[tuple[str, float]]:
    return [(entry.passage_id, score) for entry, score in store.search(tokens, k, accept)]


def assert_same(got: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert [pid for pid, _ in got] == [pid for pid, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], rtol=0, atol=1e-9)


def build(directory: Path, documents: Documents, ids: list[str]) -> BM25Store:
    store = BM25Store(directory)
    for document_id in ids:
        store.replace_document(document_id, documents[document_id])
    return store


def renamed(entries: list[LexicalEntry], document_id: str) -> list[LexicalEntry]:
    """The same passages as another document (ids and metadata follow)."""
    return [replace(e, passage_id=f"{document_id}:{i}", document_id=document_id,
                    metadata={**e.metadata, "passage_id": f"{document_id}:{i}", "document_id": document_id})
            for i, e in enumerate(entries)]


def test_add_three_remove_one_scores_like_a_full_rebuild_of_the_other_two(
        tmp_path: Path, documents: Documents, questions: list[list[str]]) -> None:
    a, b, c = list(documents)[:3]
    incremental = build(tmp_path / "incremental", documents, [a, b, c])
    incremental.remove_document(b)
    fresh = build(tmp_path / "fresh", documents, [a, c])
    reopened = BM25Store(tmp_path / "incremental")
    remaining = FullRebuild(documents[a] + documents[c])

    def narrative_of_c(md: dict) -> bool:
        return md["document_id"] == c and md["passage_kind"] == "narrative"

    compared = 0
    for tokens in questions:
        expected = remaining(tokens)
        for store in (incremental, fresh, reopened):
            assert_same(results(store, tokens), expected)
            assert_same(results(store, tokens, 5, narrative_of_c), remaining(tokens, 5, narrative_of_c))
            by_document = store.search(tokens, 5, narrative_of_c, accept_document=lambda md: md["document_id"] == c)
            assert [(e.passage_id, score) for e, score in by_document] == results(store, tokens, 5, narrative_of_c)
        compared += bool(expected)
    assert compared > 500  # most questions share words with these documents
    assert incremental.document_ids() == fresh.document_ids() == reopened.document_ids() == sorted([a, c])
    assert len(incremental) == len(remaining.entries)


def test_scores_are_bit_identical_to_the_old_full_rebuild(tmp_path: Path, documents: Documents,
                                                          questions: list[list[str]]) -> None:
    """Not only to 1e-9: the float32 arithmetic of bm25s is reproduced, so no tie can be broken differently."""
    ids = list(documents)
    store = build(tmp_path / "store", documents, ids)
    everything = FullRebuild([e for d in ids for e in documents[d]])

    def rare(md: dict) -> bool:  # about one passage in 30: ranking goes several rounds deeper to find 40
        return md["passage_id"].endswith(("17", "23"))

    for tokens in questions:
        assert results(store, tokens) == everything(tokens)
        assert results(store, tokens, DEPTH, rare) == everything(tokens, DEPTH, rare)


def test_the_index_persists_as_one_shard_per_document(tmp_path: Path, documents: Documents,
                                                      questions: list[list[str]]) -> None:
    ids = list(documents)[:3]
    store = build(tmp_path, documents, ids)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert [d for d, _ in manifest["documents"]] == ids  # in the order they were added
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == sorted(s for _, s in manifest["documents"])
    store.replace_document(ids[0], documents[ids[0]][:10])  # a new version goes to the end, in a new shard
    reopened = BM25Store(tmp_path)
    assert reopened.documents_indexed == 3 and len(reopened) == len(store)
    assert len(list((tmp_path / "shards").iterdir())) == 3  # the old version's shard is gone
    for tokens in questions[:100]:
        assert results(reopened, tokens) == results(store, tokens)
    left = FullRebuild(documents[ids[1]] + documents[ids[2]] + documents[ids[0]][:10])
    assert results(reopened, tokens) == left(tokens)


def test_adding_one_document_indexes_only_that_document(tmp_path: Path, documents: Documents) -> None:
    """Work per add is the added document's: one document turned into postings, here and in every other
    process that follows the index, and no other document's shard rewritten."""
    first, *rest, last = list(documents)
    build(tmp_path, documents, [first, *rest])
    writer, reader = BM25Store(tmp_path), BM25Store(tmp_path)
    assert writer.documents_indexed == reader.documents_indexed == len(rest) + 1
    shards = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "shards").iterdir()}

    writer.replace_document(last, documents[last])
    assert writer.documents_indexed == len(rest) + 2  # the new one only
    assert reader.document_ids() == sorted(documents)  # the other process catches up...
    assert reader.documents_indexed == len(rest) + 2  # ...by reading the new shard only
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "shards").iterdir() if p.name in shards} == shards

    writer.remove_document(first)
    assert reader.document_ids() == sorted(set(documents) - {first})
    assert writer.documents_indexed == reader.documents_indexed == len(rest) + 2  # removing indexes nothing
    writer.replace_document(last, documents[last])  # a replace indexes the new version only
    assert writer.documents_indexed == len(rest) + 3 and len(reader) == len(writer)
    assert reader.documents_indexed == len(rest) + 3


def test_many_adds_and_removes_stay_exact(tmp_path: Path, documents: Documents, questions: list[list[str]]) -> None:
    """Segments merge and removed postings are dropped as documents come and go; scores stay those of a
    full rebuild of whatever is left, in the order it was added."""
    store = BM25Store(tmp_path)
    sources = list(documents.values())
    held: dict[str, list[LexicalEntry]] = {}  # in the order of their last add
    for step in range(24):
        document_id = f"d{step % 9}"
        entries = renamed(sources[step % 4], document_id)
        store.replace_document(document_id, entries)
        held.pop(document_id, None)
        held[document_id] = entries
        if step % 5 == 4:
            store.remove_document(oldest := next(iter(held)))
            del held[oldest]
    assert store._postings.segment_count <= 5
    left = FullRebuild([e for entries in held.values() for e in entries])
    for tokens in questions[::5]:
        assert results(store, tokens) == left(tokens)
    assert results(BM25Store(tmp_path), tokens) == left(tokens)


def test_two_processes_adding_at_once_lose_nothing(tmp_path: Path, documents: Documents,
                                                   questions: list[list[str]]) -> None:
    """Two processes add five documents each into one index at the same moment; every document is there
    afterwards and scores equal a full rebuild in the order the manifest committed them."""
    store_dir = tmp_path / "bm25"
    sources = list(documents.values())
    payloads = {}
    for worker in ("a", "b"):
        batch = {f"{worker}{i}": [e.__dict__ for e in renamed(sources[i % 4], f"{worker}{i}")] for i in range(5)}
        payloads[worker] = tmp_path / f"{worker}.json"
        payloads[worker].write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
    go = tmp_path / "go"
    code = textwrap.dedent("""
        import json, sys, time
        from pathlib import Path
        from index.lexical import BM25Store, LexicalEntry
        batch = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        store = BM25Store(Path(sys.argv[1]))
        while not Path(sys.argv[3]).exists():
            time.sleep(0.001)
        for document_id, rows in batch.items():
            store.replace_document(document_id, [LexicalEntry(**row) for row in rows])
        print(store.documents_indexed)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [subprocess.Popen([sys.executable, "-c", code, str(store_dir), str(payloads[w]), str(go)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in ("a", "b")]
    go.touch()
    for process in workers:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
    store = BM25Store(store_dir)
    assert store.document_ids() == sorted(f"{w}{i}" for w in "ab" for i in range(5))
    manifest = json.loads((store_dir / "manifest.json").read_text(encoding="utf-8"))["documents"]
    batches = {**json.loads(payloads["a"].read_text()), **json.loads(payloads["b"].read_text())}
    everything = FullRebuild([LexicalEntry(**row) for document_id, _ in manifest for row in batches[document_id]])
    for tokens in questions[::5]:
        assert results(store, tokens) == everything(tokens)
    assert len(list((store_dir / "shards").iterdir())) == 10


KILLER = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    import index.lexical as lexical
    target = sys.argv[3]
    real_replace, real_unlink = os.replace, Path.unlink

    def dying_replace(src, dst):
        if target == "manifest" and str(dst).endswith("manifest.json"):
            os.kill(os.getpid(), signal.SIGKILL)  # the shard is on disk, the manifest not yet replaced
        if target == "shard" and "shards" in str(dst):
            os.kill(os.getpid(), signal.SIGKILL)  # half a shard: its temporary file only
        real_replace(src, dst)

    def dying_unlink(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # the manifest is committed, the old shard not yet removed

    lexical.os.replace = dying_replace
    if target == "cleanup":
        Path.unlink = dying_unlink
    rows = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    store = lexical.BM25Store(Path(sys.argv[1]))
    store.replace_document(rows[0]["document_id"], [lexical.LexicalEntry(**row) for row in rows])
""")


@pytest.mark.parametrize("moment", ["shard", "manifest", "cleanup"])
def test_a_kill_in_the_middle_of_an_add_leaves_the_index_consistent(
        tmp_path: Path, documents: Documents, questions: list[list[str]], moment: str) -> None:
    """SIGKILL while a replace writes its shard, before it commits the manifest, or after the commit while
    it removes the old version's shard: the index holds the old or the new version whole, and the next
    change removes the leftover files."""
    a, b, c = list(documents)[:3]
    store_dir = tmp_path / "bm25"
    build(store_dir, documents, [a, b])
    new_b = documents[c][:30]
    new_b = [replace(e, document_id=b, metadata={**e.metadata, "document_id": b}) for e in new_b]
    payload = tmp_path / "b.json"
    payload.write_text(json.dumps([e.__dict__ for e in new_b], ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", KILLER, str(store_dir), str(payload), moment], check=False,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert run.returncode == -9, run.stderr[-2000:]

    store = BM25Store(store_dir)
    committed = moment == "cleanup"
    expected = FullRebuild(documents[a] + (new_b if committed else documents[b]))
    assert store.document_ids() == sorted([a, b]) and len(store) == len(expected.entries)
    leftovers = len(list((store_dir / "shards").iterdir())) - 2
    assert leftovers == 1  # the half-written, uncommitted or replaced shard
    for tokens in questions[::5]:
        assert results(store, tokens) == expected(tokens)
    store.replace_document(c, documents[c])
    assert len(list((store_dir / "shards").iterdir())) == 3  # leftovers removed by the next change


def test_a_store_of_the_old_single_file_format_is_converted(tmp_path: Path, documents: Documents,
                                                            questions: list[list[str]]) -> None:
    everything = [e for entries in documents.values() for e in entries]
    (tmp_path / "corpus.json").write_text(json.dumps({"format": 1, "entries": [e.__dict__ for e in everything]},
                                                     ensure_ascii=False), encoding="utf-8")
    store = BM25Store(tmp_path)
    assert not (tmp_path / "corpus.json").exists()
    assert store.document_ids() == sorted(documents) and len(store) == len(everything)
    reference = FullRebuild(everything)
    for tokens in questions[::5]:
        assert results(store, tokens) == reference(tokens)


def test_an_unreadable_shard_leaves_its_document_out_and_clear_empties(tmp_path: Path, documents: Documents,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    a, b = list(documents)[:2]
    build(tmp_path, documents, [a, b])
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["documents"]
    (tmp_path / "shards" / manifest[0][1]).write_text("{not json", encoding="utf-8")
    store = BM25Store(tmp_path)
    assert store.document_ids() == [b]
    assert f"of document {a} cannot be read" in caplog.text and "budgetqa reindex" in caplog.text
    store.replace_document(a, documents[a])  # what repair does: index it again
    assert BM25Store(tmp_path).document_ids() == sorted([a, b])
    other = BM25Store(tmp_path)
    store.clear()
    assert other.document_ids() == [] and len(other) == 0
    assert other.search(tokenize_query("三公经费"), 5) == []
    assert list((tmp_path / "shards").iterdir()) == []


def test_repair_indexes_again_a_document_whose_shard_was_lost(tmp_path: Path) -> None:
    """The library's repair (run by every `budgetqa ingest` and at app start-up) treats a document missing
    from BM25 like one missing from Chroma: it indexes it again."""
    from budgetqa.library import Library
    from budgetqa.settings import Settings

    library = Library(Settings(data_dir=tmp_path / "data"))
    [result] = library.ingest([corpus_file("上海市大数据中心2020年部门预算.md")])
    assert result.ok, result.error
    document_id = result.document.document_id  # type: ignore[union-attr]
    bm25 = library.settings.index_dir / "bm25"
    for shard in (bm25 / "shards").iterdir():
        shard.unlink()
    again = Library(Settings(data_dir=tmp_path / "data"))
    assert again.passage_index.document_ids("bm25") == []
    assert again.repair() == (1, 0)
    assert again.passage_index.document_ids("bm25") == [document_id]
    hits = again.passage_index.search("大数据中心的主要职能", k=3, mode="bm25")
    assert hits and hits[0].document_id == document_id
