"""A page's content streams read into operands and operators for less, the same result as pdfminer.

pdfminer interprets a page's content streams (the operators that draw every character and rule) with a
tokenizer that walks the bytes one state function at a time, and that walking is the largest part of
reading a PDF: on the 22 PDFs of ../shared/corpus 0.39 s per document, 38% of a bare pdfplumber pass.
`content_objects` tokenizes a page's streams with one regular expression and builds the same top-level
objects pdfminer's `PDFContentParser.nextobject` yields (numbers, strings, names, arrays, dictionaries
and operators); `ReaderInterpreter` runs pdfminer's operators on them. Whatever the fast tokenizer is
not sure to read as pdfminer does (an inline image, an unbalanced array, a token cut by a stream
boundary, an odd escape in a string) makes it give up on that page's streams *before* any operator
runs, and pdfminer's own parser reads them: the fast path is an optimisation, never a second
interpretation. `tests/test_pdf_content.py` compares both, object for object, on every page of real PDFs
and on thousands of mangled pieces of them.

    interpreter = ReaderInterpreter(rsrcmgr, device)   # in place of pdfminer's PDFPageInterpreter
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pdfminer import settings as pdfminer_settings
from pdfminer.pdfinterp import PDFInterpreterError, PDFPageInterpreter
from pdfminer.pdftypes import PDFStream, stream_value
from pdfminer.psparser import (
    KWD,
    LIT,
    PSKeyword,
    keyword_name,
    literal_name,
)

# One token of a content stream, in pdfminer's terms (psparser.PSBaseParser._parse_main and its states).
# The groups, by number: 1 whitespace or NUL (skipped), 2 comment (skipped), 3 name, 4 number,
# 5 operator, 6 literal string without escapes or nesting, 7 "(" of any other string, 8 "<<",
# 9 hex string, 10 ">>", 11 a lone ">" (pdfminer drops it), 12 any other byte (a one-byte operator: [ ] { } ' ").
_TOKEN = re.compile(
    rb"([\s\x00]+)"
    rb"|(%[^\r\n]*)"
    rb"|/((?:[^#/%\[\]()<>{}\s]|#[0-9a-fA-F]{0,2})*)"
    rb"|([-+0-9][0-9]*(?:\.[0-9]*)?|\.[0-9]*)"
    rb"|([A-Za-z][^#/%\[\]()<>{}\s]*)"
    rb"|\(([^()\\]*)\)"
    rb"|(\()"
    rb"|(<<)"
    rb"|<([0-9a-fA-F\s]*)"
    rb"|(>>)"
    rb"|(>)"
    rb"|(.)",
    re.DOTALL,
)
_NAME_HEX = re.compile(rb"#([0-9a-fA-F]{0,2})")
_HEX_PAIR = re.compile(rb"[0-9a-fA-F]{2}|.", re.DOTALL)
_SPACE = re.compile(rb"\s")
_STRING_END = re.compile(rb"[()\\]")
_ESCAPES = {ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("f"): 12, ord("r"): 13, ord("("): 40, ord(")"): 41,
            ord("\\"): 92}
_OCTAL = b"01234567"
_BEGIN = {b"[": "a", b"{": "p", b"<<": "d"}
_END = {b"]": "a", b"}": "p", b">>": "d"}
_INLINE_IMAGE = frozenset({KWD(b"BI"), KWD(b"ID"), KWD(b"EI")})


class Unsure(Exception):
    """The fast tokenizer is not sure to read these streams as pdfminer does: pdfminer's parser reads them."""


def _tokens(data: bytes) -> list[Any]:
    """The tokens of one stream, as pdfminer's tokenizer makes them."""
    tokens: list[Any] = []
    append = tokens.append
    end = len(data)
    match = _TOKEN.match
    pos = 0
    while pos < end:
        m = match(data, pos)
        kind = m.lastindex  # type: ignore[union-attr]
        pos = m.end()  # type: ignore[union-attr]
        if kind == 5:
            word = m.group(5)  # type: ignore[union-attr]
            append(True if word == b"true" else False if word == b"false" else KWD(word))
        elif kind == 4:
            number = m.group(4)  # type: ignore[union-attr]
            try:
                append(float(number) if b"." in number else int(number))
            except ValueError:  # "-" or "." alone: pdfminer makes no token of it either
                pass
        elif kind == 3:
            if pos == end and (not m.group(3) or b"#" in m.group(3)):  # type: ignore[union-attr]
                raise Unsure("a name pdfminer would carry over into the next stream")
            append(_name(m.group(3)))  # type: ignore[union-attr]
        elif kind == 6:
            append(m.group(6))  # type: ignore[union-attr]
        elif kind == 7:
            text, pos = _string(data, pos)
            append(text)
        elif kind == 9:
            if pos == end:  # pdfminer carries an unclosed hex string over into the next stream or drops it
                raise Unsure("a hex string cut by the stream's end")
            append(_HEX_PAIR.sub(lambda p: bytes((int(p.group(0), 16),)), _SPACE.sub(b"", m.group(9))))  # type: ignore[union-attr]
        elif kind == 8 or kind == 10:
            append(KWD(m.group(kind)))  # type: ignore[union-attr]
        elif kind == 11:
            if pos == end:  # pdfminer would join it with a ">" that begins the next stream
                raise Unsure("a '>' at the stream's end")
        elif kind == 12:
            append(KWD(m.group(12)))  # type: ignore[union-attr]
    return tokens


def _name(raw: bytes) -> Any:
    """A name token: #xx escapes decoded (a '#' without hex digits is dropped), then UTF-8 if it is."""
    if b"#" in raw:
        raw = _NAME_HEX.sub(lambda h: bytes((int(h.group(1), 16),)) if h.group(1) else b"", raw)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    """A literal string from just after its "(": nested parentheses and escapes as pdfminer reads them."""
    out = bytearray()
    depth = 1
    end = len(data)
    while True:
        m = _STRING_END.search(data, pos)
        if m is None:
            raise Unsure("a string cut by the stream's end")
        out += data[pos:m.start()]
        pos = m.end()
        c = data[m.start()]
        if c == 0x28:  # (
            depth += 1
            out.append(c)
        elif c == 0x29:  # )
            depth -= 1
            if not depth:
                return bytes(out), pos
            out.append(c)
        else:  # a backslash
            if pos >= end:
                raise Unsure("an escape cut by the stream's end")
            c = data[pos]
            if c in _OCTAL:
                digits = 1
                while digits < 3 and pos + digits < end and data[pos + digits] in _OCTAL:
                    digits += 1
                code = int(data[pos:pos + digits], 8)
                if code > 255 or pos + digits >= end:  # pdfminer asserts; or the string is cut
                    raise Unsure("an octal escape pdfminer rejects")
                out.append(code)
                pos += digits
            elif c in _ESCAPES:
                out.append(_ESCAPES[c])
                pos += 1
            elif c == 0x0D:  # a backslash before CR LF: where the two fall in pdfminer's buffers matters
                raise Unsure("a backslash before a carriage return")
            else:  # pdfminer drops an unknown escape's character (a backslash before LF: a line continued)
                pos += 1


def content_objects(streams: Sequence[PDFStream]) -> list[Any]:
    """The top-level objects pdfminer's `PDFContentParser` yields for `streams`, or `Unsure`."""
    stack: list[tuple[str, list[Any]]] = []
    kind: str | None = None
    current: list[Any] = []
    for stream in streams:
        for token in _tokens(stream.get_data()):
            if token.__class__ is not PSKeyword:
                current.append(token)
                continue
            name = token.name
            if name in _BEGIN:
                stack.append((kind, current))  # type: ignore[arg-type]
                kind, current = _BEGIN[name], []
            elif name in _END:
                if kind != _END[name]:
                    raise Unsure("an unbalanced array, dictionary or procedure")
                made: Any = current
                if kind == "d":
                    if len(made) % 2:
                        raise Unsure("a dictionary with an odd number of items")
                    made = {literal_name(k): v for k, v in zip(made[::2], made[1::2], strict=True) if v is not None}
                kind, current = stack.pop()  # type: ignore[assignment]
                current.append(made)
            elif token in _INLINE_IMAGE:
                raise Unsure("an inline image")
            else:
                current.append(token)
    if stack:
        raise Unsure("an array, dictionary or procedure left open")
    return current


class ReaderInterpreter(PDFPageInterpreter):
    """pdfminer's page interpreter reading content streams with `content_objects` (pdfminer's parser when
    that is unsure). Operators, graphics state and form XObjects are pdfminer's own."""

    _operators: ClassVar[dict[tuple[type, PSKeyword], tuple[str, int] | None]] = {}

    def execute(self, streams: Sequence[object]) -> None:
        parents = getattr(self, "parent_stream_ids", None)  # None: a pdfminer older than the one this follows
        valid = [stream_value(obj) for obj in streams]
        if parents is None or not valid or any(s.objid is None or s.objid in parents for s in valid):
            super().execute(streams)  # an empty page, or streams pdfminer skips (and says why)
            return
        try:
            objects = content_objects(valid)
        except Unsure:
            super().execute(streams)
            return
        self.stream_ids.clear()
        self.stream_ids.update(s.objid for s in valid if s.objid is not None)
        push = self.argstack.append
        for obj in objects:
            if obj.__class__ is not PSKeyword:
                push(obj)
                continue
            operator = self._operator(obj)
            if operator is None:
                if pdfminer_settings.STRICT:
                    raise PDFInterpreterError(f"Unknown operator: {keyword_name(obj)!r}")
                continue
            method, nargs = operator
            func = getattr(self, method)
            if nargs:
                args = self.pop(nargs)
                if len(args) == nargs:
                    func(*args)
            else:
                func()
            push = self.argstack.append  # pop() makes a new list

    def _operator(self, keyword: PSKeyword) -> tuple[str, int] | None:
        """The do_ method of an operator and how many operands it takes (pdfminer's naming), per class."""
        key = (self.__class__, keyword)
        if key not in self._operators:
            name = keyword_name(keyword)
            method = "do_" + name.replace("*", "_a").replace('"', "_w").replace("'", "_q")
            func = getattr(self, method, None)
            self._operators[key] = None if func is None else (method, func.__code__.co_argcount - 1)
        return self._operators[key]

