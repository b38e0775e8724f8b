"""Imported once, by the forkserver that parallel ingest's readers are forked from (`budgetqa.workers`):
loads what every reader needs, jieba's dictionary and the embedding model named in $_BUDGETQA_WARM_MODEL,
so that each reader starts with them (shared, copy-on-write) instead of loading its own: about 1.7 CPU s
per reader, which two readers on two cores otherwise spend side by side before the first file.

Never raises (an exception here would stop the forkserver): a reader loads whatever is missing itself, and
its first file reports any problem.
"""

from __future__ import annotations

import logging
import os

from budgetqa.workers import WARM_MODEL_ENV


def _warm() -> None:
    try:
        from index.lexical import tokenize

        tokenize("预算")
        model = os.environ.get(WARM_MODEL_ENV)
        if model:
            from budgetqa.settings import Settings
            from index.embeddings import process_embeddings

            process_embeddings(Settings(embedding_model=model)).embed_query("预算")
    except Exception:  # see the module's docstring
        logging.getLogger(__name__).debug("warming the forkserver failed", exc_info=True)


_warm()
