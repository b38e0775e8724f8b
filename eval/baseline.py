"""The baseline to beat: the generic RAG pipeline a user would build with the same packages.

pdfplumber `extract_text()` per page (plain read of .txt/.md, as page 1) → fixed-size character
chunks (500 characters, 50 overlap, never across pages) → the project's embeddings
(`index.embeddings.get_embeddings`) → Chroma top-k through langchain_chroma. No tables, no routing,
no reader. Each question is scored by whether its expected answer appears in the top-1 and top-5
chunks, i.e. the best a perfect reader on top of that retriever could do:

    report = run_baseline("eval/sets/budgetqa.jsonl", "/work/shared/corpus", settings=Settings())
    print(format_comparison(our_eval_report, report))

Choices, stated so the comparison is fair and repeatable:
- a `value` answer is found when any spelling of the number occurs in a chunk, as a whole number
  (no digit or decimal part glued on either side): as written (867.50), with thousands separators,
  converted to 元 with 2 decimals (8675000.00, 8,675,000.00, and without decimals when whole) and
  to 万元 with 2 decimals (and as few decimals as the exact value needs). Spellings of fewer than 3
  digits ("3", "12") must be followed by their unit ("3辆", "12%"), otherwise any page would match.
  The 万元 rounding is generous to the baseline: a reader seeing 9101.68万元 could not give the
  exact 元 figure, yet it counts as found.
- a `contains` answer is found when every string occurs in one chunk, compared as the scorer does
  (whitespace removed, full-width → half-width).
- a `none` answer is never counted correct: a generic retriever always returns chunks and has no
  way to say that the documents do not say, so its refusal correctness is 0 by construction.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from budgetqa.settings import Settings
from eval.runner import EvalReport, percentile
from eval.scoring import UNIT_IN_YUAN, EvalItem, load_set, norm_text

DOCUMENT_SUFFIXES = (".pdf", ".txt", ".md")
SKIPPED_NAMES = ("readme.md", "readme.txt")  # a corpus folder's own description is not a document
SHORT_NUMBER_DIGITS = 3
BASELINE_NOTE = ("baseline: pdfplumber text, 500-char chunks, same embeddings, Chroma top-5; hit@k = the "
                 "expected answer appears in the top k chunks (a perfect reader's ceiling); none items "
                 "count as misses.")


@dataclass(frozen=True)
class Chunk:
    """A fixed-size piece of one page's extracted text."""

    document: str  # file name, as the eval set cites it
    page: int  # 1-based physical page; 1 for text files
    index: int  # position of the chunk within its page
    text: str


@dataclass
class BaselineQuestion:
    """Where (if at all) the expected answer showed up in the retrieved chunks of one question."""

    id: str
    question: str
    kind: str
    expected_text: str
    rank: int | None  # 1-based rank of the first chunk holding the answer, None if not in top k
    evidence_rank: int | None  # 1-based rank of the first chunk from an evidence page
    top: list[tuple[str, int]]  # (document, page) of the retrieved chunks, best first
    latency_ms: float

    @property
    def hit_at_1(self) -> bool:
        return self.rank == 1

    @property
    def hit_at_5(self) -> bool:
        return self.rank is not None and self.rank <= 5


@dataclass
class BaselineKindScore:
    """hit@1 / hit@5 over the questions of one kind (none-answer questions count as misses)."""

    kind: str
    n: int = 0
    hit_1: int = 0
    hit_5: int = 0

    @property
    def hit_at_1(self) -> float:
        return self.hit_1 / self.n if self.n else 0.0

    @property
    def hit_at_5(self) -> float:
        return self.hit_5 / self.n if self.n else 0.0


@dataclass
class BaselineReport:
    """Per-question ranks and per-kind hit@1/hit@5 of the generic pipeline on one set."""

    set_path: str
    questions: list[BaselineQuestion]
    by_kind: dict[str, BaselineKindScore]
    overall: BaselineKindScore
    config: dict[str, Any] = field(default_factory=dict)
    chunk_count: int = 0
    index_s: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        def score(s: BaselineKindScore) -> dict[str, Any]:
            return {"n": s.n, "hit_at_1": s.hit_at_1, "hit_at_5": s.hit_at_5}

        return {"set": self.set_path, "config": self.config, "chunk_count": self.chunk_count,
                "index_s": self.index_s, "latency_ms": {"p50": self.p50_ms, "p95": self.p95_ms},
                "overall": score(self.overall), "by_kind": {k: score(s) for k, s in self.by_kind.items()},
                "questions": [{"id": q.id, "kind": q.kind, "question": q.question,
                               "expected": q.expected_text, "rank": q.rank, "evidence_rank": q.evidence_rank,
                               "hit_at_1": q.hit_at_1, "hit_at_5": q.hit_at_5,
                               "top": [list(t) for t in q.top], "latency_ms": q.latency_ms}
                              for q in self.questions]}


# ---------------------------------------------------------------------------------------- reading


def find_documents(docs: str | Path | Sequence[str | Path]) -> list[Path]:
    """The .pdf/.txt/.md files under a folder (recursively, README skipped), or the files given."""
    if isinstance(docs, str | Path):
        root = Path(docs)
        if root.is_file():
            return [root]
        if not root.is_dir():
            raise FileNotFoundError(f"baseline documents: {root} is neither a file nor a folder")
        paths = [p for p in sorted(root.rglob("*")) if p.is_file()
                 and p.suffix.lower() in DOCUMENT_SUFFIXES and p.name.lower() not in SKIPPED_NAMES]
    else:
        paths = [Path(p) for p in docs]
    if not paths:
        raise FileNotFoundError(f"baseline documents: no .pdf, .txt or .md file in {docs}")
    return paths


def read_pages(path: Path) -> list[tuple[int, str]]:
    """(page, text) pairs: pdfplumber extract_text per PDF page; a text file is one page."""
    if path.suffix.lower() == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return [(i, page.extract_text() or "") for i, page in enumerate(pdf.pages, start=1)]
    return [(1, path.read_text(encoding="utf-8", errors="replace"))]


def chunk_text(text: str, size: int = 500, overlap: int = 50) -> list[str]:
    """Fixed-size character windows: chunk_text("abcdef", 4, 2) == ["abcd", "cdef"]."""
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"chunk size must be > 0 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    text = text.strip()
    if not text:
        return []
    step = size - overlap
    starts = range(0, max(1, len(text) - overlap), step)
    return [text[s : s + size] for s in starts]


def chunk_documents(paths: Iterable[Path], size: int = 500, overlap: int = 50) -> list[Chunk]:
    """Every page of every file, cut into fixed-size chunks that keep their (document, page)."""
    return [Chunk(path.name, page, i, piece)
            for path in paths
            for page, text in read_pages(path)
            for i, piece in enumerate(chunk_text(text, size, overlap))]


# ---------------------------------------------------------------------------------------- retrieval


class BaselineRetriever:
    """Chroma (through langchain_chroma) over the chunks, with the given embedding function.

    Usage: `BaselineRetriever(chunks, embeddings).search("三公经费是多少", k=5)`.
    """

    def __init__(self, chunks: Sequence[Chunk], embeddings: Embeddings,
                 persist_dir: str | Path | None = None) -> None:
        from langchain_chroma import Chroma

        if not chunks:
            raise ValueError("baseline: no text to index (all documents empty?)")
        self._name = f"baseline_{uuid.uuid4().hex[:12]}"  # in-process clients share state: never reuse
        self._store = Chroma(collection_name=self._name, embedding_function=embeddings,
                             persist_directory=str(persist_dir) if persist_dir else None)
        self._chunks = {f"c{i}": c for i, c in enumerate(chunks)}
        ids = list(self._chunks)
        for start in range(0, len(ids), 1000):
            batch = ids[start : start + 1000]
            self._store.add_texts([self._chunks[i].text for i in batch], ids=batch,
                                  metadatas=[{"document": self._chunks[i].document, "page": self._chunks[i].page}
                                             for i in batch])

    def search(self, question: str, k: int = 5) -> list[Chunk]:
        docs = self._store.similarity_search(question, k=k)
        return [self._chunks[d.id] for d in docs if d.id in self._chunks]

    def close(self) -> None:
        self._store.delete_collection()


# ---------------------------------------------------------------------------------------- matching


def _with_commas(number: str) -> str:
    whole, _, frac = number.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}"
    return sign + grouped + ("." + frac if frac else "")


def _fixed(value: Decimal, decimals: int) -> str:
    return format(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP), "f")


def _exact(value: Decimal) -> str:
    """Shortest exact spelling: 867.50 -> "867.5", 12.00 -> "12"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def value_spellings(value: Decimal | int, unit: str) -> list[tuple[str, str]]:
    """(number, unit) spellings under which a page could print the value; see the module docstring."""
    value = Decimal(str(value))
    numbers = {(format(value, "f"), unit), (_exact(value), unit)}
    if unit in UNIT_IN_YUAN:
        yuan = value * UNIT_IN_YUAN[unit]
        wan = yuan / UNIT_IN_YUAN["万元"]
        numbers |= {(_fixed(yuan, 2), "元"), (_fixed(wan, 2), "万元")}
        if yuan == yuan.to_integral_value():
            numbers.add((_fixed(yuan, 0), "元"))
        if wan == wan.quantize(Decimal("0.0001")):
            numbers.add((_exact(wan), "万元"))
    spelled = set(numbers) | {(_with_commas(n), u) for n, u in numbers}
    return sorted(spelled)


def _number_pattern(number: str, unit: str) -> re.Pattern[str]:
    body = re.escape(number)
    # no digit, decimal point or thousands group glued on either side of the number
    pattern = rf"(?<![\d.])(?<!\d,){body}(?!\d|[.,]\d)"
    if sum(ch.isdigit() for ch in number) < SHORT_NUMBER_DIGITS:
        pattern += r"\s*" + re.escape(unit)
    return re.compile(pattern)


def answer_patterns(item: EvalItem) -> list[re.Pattern[str]]:
    """Regexes for the expected value of a `value` item, in every spelling of value_spellings."""
    return [_number_pattern(n, u) for n, u in value_spellings(item.answer["value"], item.answer["unit"])]


def chunk_holds_answer(item: EvalItem, text: str, patterns: Sequence[re.Pattern[str]] = ()) -> bool:
    """Whether a perfect reader could take the expected answer from this chunk's text."""
    if item.shape == "none":
        return False
    if item.shape == "contains":
        flat = norm_text(text)
        return all(norm_text(s) in flat for s in item.answer["contains"])
    text = unicodedata.normalize("NFKC", text)
    return any(p.search(text) for p in (patterns or answer_patterns(item)))


# ---------------------------------------------------------------------------------------- running


def score_question(item: EvalItem, retriever: BaselineRetriever, k: int = 5) -> BaselineQuestion:
    """Retrieve top-k chunks for one question and find the rank of the first that holds the answer."""
    t0 = time.perf_counter()
    chunks = retriever.search(item.question, k=k)
    latency = (time.perf_counter() - t0) * 1000
    patterns = answer_patterns(item) if item.shape == "value" else []
    rank = next((i for i, c in enumerate(chunks, start=1) if chunk_holds_answer(item, c.text, patterns)), None)
    places = {(e.document, e.page) for e in item.evidence}
    evidence_rank = next((i for i, c in enumerate(chunks, start=1) if (c.document, c.page) in places), None)
    return BaselineQuestion(item.id, item.question, item.kind, item.expected_text(), rank, evidence_rank,
                            [(c.document, c.page) for c in chunks], round(latency, 3))


def run_baseline(
    set_path: str | Path,
    docs: str | Path | Sequence[str | Path],
    settings: Settings | None = None,
    embeddings: Embeddings | None = None,
    *,
    chunk_size: int = 500,
    overlap: int = 50,
    k: int = 5,
    kinds: Sequence[str] | None = None,
    limit: int | None = None,
) -> BaselineReport:
    """Index `docs` the generic way and score every question of the set by hit@1 / hit@5.

    `embeddings` defaults to `index.embeddings.get_embeddings(settings)`, the model the project uses.
    """
    settings = settings or Settings()
    if embeddings is None:
        from index.embeddings import get_embeddings

        embeddings = get_embeddings(settings)
    eval_set = load_set(set_path)
    items = [it for it in eval_set.items if kinds is None or it.kind in kinds]
    items = items[:limit] if limit is not None else items
    t0 = time.perf_counter()
    chunks = chunk_documents(find_documents(docs), chunk_size, overlap)
    retriever = BaselineRetriever(chunks, embeddings)
    index_s = round(time.perf_counter() - t0, 2)
    try:
        questions = [score_question(item, retriever, k) for item in items]
    finally:
        retriever.close()
    by_kind: dict[str, BaselineKindScore] = {}
    overall = BaselineKindScore("overall")
    for q in questions:
        for score in (by_kind.setdefault(q.kind, BaselineKindScore(q.kind)), overall):
            score.n += 1
            score.hit_1 += q.hit_at_1
            score.hit_5 += q.hit_at_5
    latencies = sorted(q.latency_ms for q in questions)
    config = {"chunk_size": chunk_size, "overlap": overlap, "k": k,
              "embedding_model": getattr(embeddings, "model_name", type(embeddings).__name__)}
    return BaselineReport(eval_set.path, questions, dict(sorted(by_kind.items())), overall, config,
                          len(chunks), index_s, percentile(latencies, 0.5), percentile(latencies, 0.95))


# ---------------------------------------------------------------------------------------- output


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f} ms"


def write_baseline(report: BaselineReport, report_dir: str | Path, ours: EvalReport | None = None) -> list[Path]:
    """Write baseline.json (per-question ranks) and, given our report, comparison.md into report_dir."""
    import json

    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "baseline.json"]
    paths[0].write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    if ours is not None:
        paths.append(folder / "comparison.md")
        paths[1].write_text("# budgetqa vs generic baseline\n\n" + format_comparison(ours, report, markdown=True)
                            + "\n\n" + BASELINE_NOTE + "\n", encoding="utf-8")
    return paths


def format_baseline(report: BaselineReport) -> str:
    """hit@1 / hit@5 by kind of the baseline alone, as a plain-text table."""
    lines = [f"Baseline (chunks {report.config.get('chunk_size')}/{report.config.get('overlap')}, "
             f"{report.config.get('embedding_model')}, Chroma top-{report.config.get('k')}): "
             f"{report.chunk_count} chunks indexed in {report.index_s:.1f} s",
             f"  {'kind':<14}{'n':>5}{'hit@1':>9}{'hit@5':>9}"]
    for s in [*report.by_kind.values(), report.overall]:
        lines.append(f"  {s.kind:<14}{s.n:>5}{_pct(s.hit_at_1):>9}{_pct(s.hit_at_5):>9}")
    lines.append(f"  retrieval latency p50 / p95: {_ms(report.p50_ms)} / {_ms(report.p95_ms)}")
    return "\n".join(lines)


def comparison_rows(ours: EvalReport, baseline: BaselineReport) -> list[list[str]]:
    """Rows [kind, n, ours accuracy, baseline hit@1, baseline hit@5], then overall and latency."""
    kinds = list(dict.fromkeys([*ours.summary.by_kind, *baseline.by_kind]))
    rows = []
    for kind in kinds:
        o, b = ours.summary.by_kind.get(kind), baseline.by_kind.get(kind)
        rows.append([kind, str(o.n if o else b.n if b else 0), _pct(o.accuracy) if o else "-",
                     _pct(b.hit_at_1) if b else "-", _pct(b.hit_at_5) if b else "-"])
    s = ours.summary
    rows.append(["overall", str(s.n), _pct(s.accuracy), _pct(baseline.overall.hit_at_1),
                 _pct(baseline.overall.hit_at_5)])
    rows.append(["refusal (none)", str(s.refusal_n), _pct(s.refusal_accuracy), "0.0%", "0.0%"])
    rows.append(["latency p50/p95", "", f"{_ms(s.p50_ms)} / {_ms(s.p95_ms)}",
                 f"{_ms(baseline.p50_ms)} / {_ms(baseline.p95_ms)}", "(retrieval only)"])
    return rows


COMPARISON_HEADER = ["kind", "n", "ours: accuracy", "baseline: hit@1", "baseline: hit@5"]


def format_comparison(our_report: EvalReport, baseline_report: BaselineReport, markdown: bool = False) -> str:
    """Ours vs the generic baseline, side by side by kind; markdown=True gives the README table."""
    rows = comparison_rows(our_report, baseline_report)
    if markdown:
        lines = ["| " + " | ".join(COMPARISON_HEADER) + " |", "|" + "---|" * len(COMPARISON_HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [COMPARISON_HEADER, *rows]) for i in range(len(COMPARISON_HEADER))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*COMPARISON_HEADER), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*r) for r in rows]
    lines.append(BASELINE_NOTE)
    return "\n".join(lines)
