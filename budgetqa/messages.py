"""Ingestion's reports of a bad file, which are written in English for the command line, in the Chinese
the app shows; the wording is data (`data/messages.toml`).

    in_chinese("x.pdf: the file is empty (0 bytes) — re-download or re-export the document")
    # 'x.pdf：文件是空的。请重新下载或重新导出该文件'
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

MESSAGES = Path(__file__).resolve().parent / "data" / "messages.toml"


@lru_cache(maxsize=1)
def _rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    try:
        with MESSAGES.open("rb") as handle:
            entries = tomllib.load(handle)["error"]
        return tuple((re.compile(e["pattern"]), e["chinese"]) for e in entries)
    except (OSError, tomllib.TOMLDecodeError, KeyError, re.error) as error:
        raise ValueError(f"{MESSAGES}: cannot read the message wording ({error!r})") from error


def in_chinese(message: str | None) -> str:
    """The message with every known English phrase replaced by its Chinese wording."""
    text = message or ""
    for pattern, chinese in _rules():
        text = pattern.sub(chinese, text)
    return text
