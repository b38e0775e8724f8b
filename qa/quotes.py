"""What a narrative answer quotes and cites: the part of a section that answers the question (a numbered
list keeps only the items that name what was asked), each run of quoted text under its section path, and
one citation per quoted page with the box around every printed line quoted there.

    blocks = focused(blocks, [["行政运行"], ["减少"]])  # [(passage, block), …] without the unrelated list items
    text = quote_text(lead, blocks)                  # "【2026年部门预算编制说明】\n…"
    citations = quote_citations(lead + blocks, best_passage, file_names)
"""

from __future__ import annotations

import re

from budgetqa.models import BBox, Citation, Passage, union

Quote = tuple[Passage, str]  # a passage and the text quoted from it (the whole text, a block or a sentence)
_ITEM = re.compile(r"^\s*(\d{1,2}\s*[.、．](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[）)]|[①②③④⑤⑥⑦⑧⑨⑩])")
MIN_LIST_ITEMS = 3  # fewer numbered items are quoted whole: a short list is read at a glance
NEAR_MOST = 0.75  # an item naming at least this share of what the item naming most names is quoted too


def blocks_of(passages: list[Passage]) -> list[Quote]:
    """The paragraphs and numbered items of the passages, in order (a passage joins them with line breaks)."""
    return [(p, block) for p in passages for block in p.text.split("\n") if block.strip()]


def focused(blocks: list[Quote], terms: list[list[str]], cues: tuple[str, ...] | list[str] = ()) -> list[Quote]:
    """The blocks of a numbered list without the items that name clearly less of what was asked than the item
    naming most: the asked `terms` (each in its document wordings) and answer `cues` (regexes: 原因|由于 for a
    why-question), each counted only where it tells items apart (named by at most half of them). No item at
    all when only the text around the list names the terms ("…减少的主要原因是项目调整。财政拨款支出主要内容
    如下：1. …"); every block when nothing does, or every item alike. A line continuing an item goes with it."""
    owner: list[int | None] = []
    for i, (_, block) in enumerate(blocks):
        owner.append(i if _ITEM.match(block) else (owner[-1] if owner else None))
    items = sorted({o for o in owner if o is not None})
    if len(items) < MIN_LIST_ITEMS or not terms:
        return blocks
    texts = {i: "".join(b for o, (_, b) in zip(owner, blocks) if o == i) for i in items}
    marks = [lambda text, words=words: any(w in text for w in words) for words in terms]
    marks += [lambda text, cue=cue: bool(re.search(cue, text)) for cue in cues]
    naming = [{i for i, text in texts.items() if mark(text)} for mark in marks]
    if not any(naming):
        around = any(o is None and any(w in b for words in terms for w in words) for o, (_, b) in zip(owner, blocks))
        return [quote for o, quote in zip(owner, blocks) if o is None] if around else blocks
    telling = [named for named in naming if 0 < len(named) <= len(items) / 2]
    score = {i: sum(i in named for named in telling) for i in items}
    most = max(score.values())
    if most == 0:
        return blocks  # every item speaks of what was asked alike: the list answers as a whole
    answering = {i for i in items if score[i] >= NEAR_MOST * most}
    parents = _parents(blocks, items)
    chains = {i: _ancestors(i, parents) for i in items}
    # an answering item keeps the items nested under it and the items it is nested under
    kept = answering | {i for i in items if answering & set(chains[i])} | {a for i in answering for a in chains[i]}
    return [quote for o, quote in zip(owner, blocks) if o is None or o in kept]


def _parents(blocks: list[Quote], items: list[int]) -> dict[int, int | None]:
    """The item each numbered item is nested under: "（2）…" under "2．…其中：", by the numbering styles."""
    parents: dict[int, int | None] = {}
    stack: list[tuple[str, int]] = []  # (numbering style, item) from the outermost
    for i in items:
        style = _style(blocks[i][1])
        depth = next((d for d, (s, _) in enumerate(stack) if s == style), len(stack))
        del stack[depth:]
        parents[i] = stack[-1][1] if stack else None
        stack.append((style, i))
    return parents


def _ancestors(item: int, parents: dict[int, int | None]) -> list[int]:
    chain, parent = [], parents.get(item)
    while parent is not None:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def _style(block: str) -> str:
    """The numbering style of an item: "1." and "1、" → "d.", "（1）" → "(d)", "（一）" → "(c)", "①" → "o"."""
    marker = _ITEM.match(block).group(1)  # type: ignore[union-attr]
    if marker[0] in "①②③④⑤⑥⑦⑧⑨⑩":
        return "o"
    if marker[0] in "（(":
        return "(d)" if re.search(r"\d", marker) else "(c)"
    return "d."


def quote_text(lead: list[Quote], blocks: list[Quote]) -> str:
    """The lead sentences, "……", then the blocks; each run of one section under its path "【… > …】"."""
    lines: list[str] = []
    for group in (lead, blocks):
        if not group:
            continue
        if lines:
            lines.append("……")
        section: tuple[str, ...] | None = None
        for passage, piece in group:
            if passage.section_path != section:
                section = passage.section_path
                if section:
                    lines.append(f"【{' > '.join(section)}】")
            lines.append(piece)
    return "\n".join(lines)


def quote_citations(quotes: list[Quote], best: Passage, names: dict[str, str]) -> list[Citation]:
    """One citation per quoted page, the best passage's page first: its section path, opening words and the
    box around every printed line quoted on that page."""
    cited: dict[tuple[str, int], Citation] = {}
    boxes: dict[tuple[str, int], list[BBox]] = {}
    for passage, piece in sorted(quotes, key=lambda q: q[0].passage_id != best.passage_id):
        start = passage.text.find(piece)
        start = passage.text.find(piece[:20]) if start < 0 else start  # an item joined with the sentence after it
        start, end = (start, start + len(piece)) if start >= 0 else (0, len(passage.text.split("\n")[0]))
        for page in sorted({passage.page_at(start), passage.page_at(max(end - 1, start))}):
            key = (passage.document_id, page)
            box = passage.box(start, end, page)
            boxes.setdefault(key, []).extend([box] if box else [])
            cited.setdefault(key, Citation(document=names.get(passage.document_id, ""), page=page,
                                           document_id=passage.document_id, snippet=piece[:120],
                                           section=" > ".join(passage.section_path) or None))
    for key, citation in cited.items():
        citation.bbox = union(boxes[key])
    return list(cited.values())
