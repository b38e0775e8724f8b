"""Load a known-answer set and score one `ask --json` answer against one question.

The rules are those of ../shared/docs/eval-format.md and agree, question by question, with the
reference scorer ../shared/tools/score_reference.py:

    eval_set = load_set("eval/sets/budgetqa.jsonl")      # malformed lines -> eval_set.problems
    verdict = score_response(eval_set.items[0], ask_json_object)
    verdict.correct, verdict.cited_correctly
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

# 元, 万元 and 亿元 convert into each other; % and count units (个, 人, 辆 …) never convert.
UNIT_IN_YUAN: dict[str, Decimal] = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}
ANSWER_SHAPES = ("value", "contains", "none")
REQUIRED_FIELDS = ("id", "question", "answer", "kind")


class SetLineError(ValueError):
    """A line of a set file that does not follow eval-format.md."""


@dataclass(frozen=True)
class Evidence:
    """A place that holds the answer: file name as ingested and 1-based physical page."""

    document: str
    page: int


@dataclass
class EvalItem:
    """One question of a known-answer set, as written in the file (numbers kept as Decimal)."""

    id: str
    question: str
    answer: dict[str, Any]  # exactly one shape: {"value", "unit"} | {"contains"} | {"none": true}
    kind: str
    evidence: list[Evidence] = field(default_factory=list)
    note: str | None = None
    line_no: int = 0

    @property
    def shape(self) -> str:
        """"value", "contains" or "none"."""
        return next(s for s in ANSWER_SHAPES if s in self.answer)

    @property
    def answerable(self) -> bool:
        return self.shape != "none"

    def expected_text(self) -> str:
        """The expected answer as a person reads it, e.g. "867.50 万元" or "contains 组织起草, 区政府"."""
        if self.shape == "value":
            return f"{self.answer['value']} {self.answer['unit']}"
        if self.shape == "contains":
            return "contains " + ", ".join(self.answer["contains"])
        return "(no answer in the documents)"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "question": self.question, "answer": self.answer,
                                "kind": self.kind,
                                "evidence": [{"document": e.document, "page": e.page} for e in self.evidence]}
        if self.note is not None:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class SetProblem:
    """A line that was skipped, and why."""

    line_no: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line_no}: {self.message}"


@dataclass
class EvalSet:
    """The questions of a set file, plus the lines that could not be read."""

    path: str
    items: list[EvalItem]
    problems: list[SetProblem]


@dataclass(frozen=True)
class Verdict:
    """How one answer scored: correct per its answer shape, cited on an evidence page, and why not."""

    correct: bool
    cited_correctly: bool
    reason: str = ""


# ---------------------------------------------------------------------------------------- loading


def load_set(path: str | Path) -> EvalSet:
    """Read a JSON Lines set; malformed lines are reported with their 1-based number and skipped.

    Usage: `s = load_set(p); for problem in s.problems: print(problem)`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileNotFoundError(f"cannot read evaluation set {path}: {exc.strerror or exc}") from exc
    items: list[EvalItem] = []
    problems: list[SetProblem] = []
    seen_ids: dict[str, int] = {}
    for line_no, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            item = parse_line(line, line_no)
        except SetLineError as exc:
            problems.append(SetProblem(line_no, str(exc)))
            continue
        if item.id in seen_ids:
            problems.append(SetProblem(line_no, f"duplicate id {item.id!r} (first on line {seen_ids[item.id]})"))
            continue
        seen_ids[item.id] = line_no
        items.append(item)
    return EvalSet(str(path), items, problems)


def parse_line(line: bytes | str, line_no: int = 0) -> EvalItem:
    """Parse one set line into an EvalItem, or raise SetLineError saying what is wrong."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SetLineError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        obj = json.loads(line, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise SetLineError(f"bad JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(obj, dict):
        raise SetLineError(f"expected a JSON object, got {type(obj).__name__}")
    missing = [f for f in REQUIRED_FIELDS if f not in obj]
    if missing:
        raise SetLineError("missing field(s): " + ", ".join(missing))
    for name in ("id", "question", "kind"):
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise SetLineError(f"field {name!r} must be a non-empty string")
    answer = _check_answer(obj["answer"])
    evidence = _check_evidence(obj.get("evidence"), required="none" not in answer)
    note = obj.get("note")
    return EvalItem(id=obj["id"], question=obj["question"], answer=answer, kind=obj["kind"],
                    evidence=evidence, note=note if isinstance(note, str) else None, line_no=line_no)


def _check_answer(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise SetLineError("field 'answer' must be an object")
    shapes = [s for s in ANSWER_SHAPES if s in answer]
    if len(shapes) != 1:
        found = " and ".join(shapes) if shapes else "none of them"
        raise SetLineError(f"answer must have exactly one of value/contains/none, found {found}")
    shape = shapes[0]
    if shape == "value":
        value = answer["value"]
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            raise SetLineError(f"answer value must be a finite number, got {value!r}")
        unit = answer.get("unit")
        if not isinstance(unit, str) or not unit.strip():
            raise SetLineError("answer with a value needs a non-empty 'unit' (元, 万元, 亿元, % or a count unit)")
    elif shape == "contains":
        strings = answer["contains"]
        if (not isinstance(strings, list) or not strings
                or not all(isinstance(s, str) and norm_text(s) for s in strings)):
            raise SetLineError("answer 'contains' must be a non-empty list of non-empty strings")
    elif answer["none"] is not True:
        raise SetLineError("answer 'none' must be true")
    return answer


def _check_evidence(evidence: Any, required: bool) -> list[Evidence]:
    if evidence is None:
        if required:
            raise SetLineError("missing field: evidence (required unless the answer is none)")
        return []
    if not isinstance(evidence, list):
        raise SetLineError("field 'evidence' must be a list of {document, page}")
    places = []
    for i, ev in enumerate(evidence):
        if not isinstance(ev, dict) or not isinstance(ev.get("document"), str):
            raise SetLineError(f"evidence[{i}] must be an object with a 'document' string")
        page = ev.get("page")
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise SetLineError(f"evidence[{i}] page must be a 1-based integer, got {page!r}")
        places.append(Evidence(ev["document"], page))
    if required and not places:
        raise SetLineError("evidence must list at least one {document, page}")
    return places


# ---------------------------------------------------------------------------------------- scoring


def norm_text(text: Any) -> str:
    """Full-width -> half-width (NFKC) and every whitespace removed: how `contains` is compared."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def half_last_decimal(value: int | Decimal) -> Decimal:
    """Half of the last decimal place written: 867.50 -> 0.005, 867.5 -> 0.05, 12 -> 0.5."""
    written = format(Decimal(str(value)), "f")
    decimals = len(written.split(".")[1]) if "." in written else 0
    return Decimal(5) / (Decimal(10) ** (decimals + 1))


def to_decimal(value: Any) -> Decimal | None:
    """A response's value as Decimal ("1,234.5", 1234.5 and Decimal all work); None if not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def value_matches(expected: Mapping[str, Any], response: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the response's primary value equals the expected one, converting 元/万元/亿元."""
    want, want_unit = Decimal(str(expected["value"])), expected["unit"]
    got = to_decimal(response.get("value"))
    got_unit = str(response.get("unit") or "").strip()
    if got is None:
        return False, f"no numeric value (got {response.get('value')!r})"
    if want_unit in UNIT_IN_YUAN:
        if got_unit not in UNIT_IN_YUAN:
            return False, f"unit {got_unit or '(none)'!r} does not convert to {want_unit}"
        got = got * UNIT_IN_YUAN[got_unit] / UNIT_IN_YUAN[want_unit]
    elif got_unit.replace("％", "%") != want_unit:
        return False, f"unit {got_unit or '(none)'!r} is not {want_unit!r}"
    tolerance = half_last_decimal(expected["value"])
    if abs(got - want) <= tolerance:
        return True, ""
    return False, f"{got} {want_unit} differs from {want} by more than {tolerance}"


def is_correct(item: EvalItem, response: Mapping[str, Any] | None) -> tuple[bool, str]:
    """Whether `response` (an `ask --json` object) answers `item` correctly, and if not, why."""
    if response is None:
        return False, "no answer"
    shape = item.shape
    if shape == "none":
        if response.get("found") is not False:
            return False, "answered although the documents do not say"
        if response.get("value") not in (None, ""):
            return False, f"gave a number ({response.get('value')!r}) although the documents do not say"
        return True, ""
    if response.get("found") is False:
        return False, "said no answer was found"
    if shape == "value":
        return value_matches(item.answer, response)
    text = norm_text(response.get("answer"))
    missing = [s for s in item.answer["contains"] if norm_text(s) not in text]
    if missing:
        return False, "answer lacks " + ", ".join(repr(s) for s in missing)
    return True, ""


def cites_evidence(item: EvalItem, response: Mapping[str, Any] | None) -> bool:
    """True when at least one cited (document, page) pair is one of the item's evidence places."""
    places = {(e.document, e.page) for e in item.evidence}
    for citation in (response or {}).get("citations") or []:
        if not isinstance(citation, Mapping):
            continue
        try:
            if (citation.get("document"), int(citation.get("page"))) in places:
                return True
        except (TypeError, ValueError):
            continue
    return False


def score_response(item: EvalItem, response: Mapping[str, Any] | None) -> Verdict:
    """Score one `ask --json` object against one set item. Usage: `score_response(item, resp).correct`."""
    correct, reason = is_correct(item, response)
    return Verdict(correct=correct, cited_correctly=cites_evidence(item, response), reason=reason)
