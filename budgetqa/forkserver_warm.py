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

from budgetqa.workers import WARM_MODEL_ENV, load_reader_models


def _warm() -> None:
    try:
        from budgetqa.settings import Settings

        model = os.environ.get(WARM_MODEL_ENV)
        settings = Settings(embedding_model=model) if model else Settings()
    except Exception:  # an environment Settings refuses: the readers say so, not the forkserver
        logging.getLogger(__name__).debug("warming the forkserver failed", exc_info=True)
        return
    load_reader_models(settings, embed=bool(model))


_warm()
