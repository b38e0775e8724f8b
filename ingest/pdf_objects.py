"""A pdfplumber page whose objects (chars, lines, rects, curves) cost less to make, same dicts.

pdfplumber turns each of pdfminer's layout objects into a dict (`Page.process_object`), and on a budget
table page that is a fifth of all the reading: for every attribute of every character it runs a recursive
resolver of PDF references (`resolve_all`) and, for every object, a regular expression on its class name.
Nearly all of those attributes are plain numbers and strings, which the resolver returns unchanged, and a
page has a handful of classes. `ReaderPage.process_object` skips the resolver for plain values (and tuples of them)
and remembers each class's name and each colour space's decoded name; everything else is pdfplumber 0.11's own code, so the dicts are equal
(`tests/test_pdf_reader.py` compares them on real PDFs of several layouts). On 60 five-page disclosures the
objects cost 2.4 CPU s instead of 2.9.

    page.__class__ = ReaderPage  # a page of pdfplumber.open(path).pages, before its objects are read
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from unicodedata import normalize as normalize_unicode

from pdfminer.layout import LTChar, LTCurve, LTItem, LTPage, LTTextContainer
from pdfplumber.page import ALL_ATTRS, Page, PDFPageAggregatorWithMarkedContent, fix_fontname_bytes, lt_pat
from pdfplumber.utils import resolve_all, resolve_and_decode
from pdfplumber.utils.exceptions import PdfminerException

from ingest.pdf_content import ReaderInterpreter

_PLAIN = frozenset({float, int, str, bytes, bool, type(None)})  # what resolve_all returns unchanged
_KINDS: dict[type, str] = {}  # LTChar -> "char", as pdfplumber names them


class ReaderPage(Page):
    """pdfplumber's Page with a cheaper `process_object` and content-stream parser (same result)."""

    @property
    def layout(self) -> LTPage:
        """pdfplumber 0.11's `Page.layout`, its interpreter reading the content streams for less."""
        if hasattr(self, "_layout"):
            return self._layout
        device = PDFPageAggregatorWithMarkedContent(self.pdf.rsrcmgr, pageno=self.page_number,
                                                    laparams=self.pdf.laparams)
        interpreter = ReaderInterpreter(self.pdf.rsrcmgr, device)
        try:
            interpreter.process_page(self.page_obj)
        except Exception as e:
            raise PdfminerException(e) from e
        self._layout: LTPage = device.get_result()
        return self._layout

    def process_object(self, obj: LTItem) -> dict[str, Any]:
        cls = obj.__class__
        kind = _KINDS.get(cls)
        if kind is None:
            kind = _KINDS[cls] = re.sub(lt_pat, "", cls.__name__).lower()
        attr = {k: _resolved(v) for k, v in obj.__dict__.items() if k in ALL_ATTRS}
        attr["object_type"] = kind
        attr["page_number"] = self.page_number
        for cs in ("ncs", "scs"):
            if hasattr(obj, cs):
                attr[cs] = _colour_space(getattr(obj, cs).name)
        if isinstance(obj, (LTChar, LTTextContainer)):
            text = obj.get_text()
            norm = self.pdf.unicode_norm
            attr["text"] = normalize_unicode(norm, text) if norm is not None else text
        if isinstance(obj, LTChar):
            gs = obj.graphicstate
            attr["stroking_color"] = gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,)
            attr["non_stroking_color"] = gs.ncolor if isinstance(gs.ncolor, tuple) else (gs.ncolor,)
            if isinstance(attr["fontname"], bytes):
                attr["fontname"] = fix_fontname_bytes(attr["fontname"])
        elif isinstance(obj, LTCurve):
            attr["pts"] = list(map(self.point2coord, attr["pts"]))
            attr["path"] = [(cmd, *map(self.point2coord, pts)) for cmd, *pts in obj.original_path]
            attr["dash"] = obj.dashing_style
        mb_x0, mb_top = self.mediabox[:2]
        if "y0" in attr:
            attr["top"] = (self.height - attr["y1"]) + mb_top
            attr["bottom"] = (self.height - attr["y0"]) + mb_top
            attr["doctop"] = self.initial_doctop + attr["top"]
        if "x0" in attr and mb_x0 != 0:
            attr["x0"] = attr["x0"] + mb_x0
            attr["x1"] = attr["x1"] + mb_x0
        return attr


def _resolved(value: Any) -> Any:
    """resolve_all(value), without its work for a plain value or a tuple of them (a char's matrix)."""
    cls = value.__class__
    if cls in _PLAIN or (cls is tuple and all(v.__class__ in _PLAIN for v in value)):
        return value
    return resolve_all(value)


def _colour_space(name: Any) -> Any:
    """resolve_and_decode of a colour space's name (a page has a few: DeviceGray, DeviceRGB, …)."""
    return _decoded_name(name) if name.__class__ is str else resolve_and_decode(name)


@lru_cache(maxsize=256)
def _decoded_name(name: str) -> Any:
    return resolve_and_decode(name)
