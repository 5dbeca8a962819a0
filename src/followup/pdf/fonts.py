"""DejaVu Sans for every PDF Followup makes: registered once per process, embedded, and fast.

ReportLab builds, formats and compresses each font subset (the glyphs, the widths array and
the ToUnicode map) again for every PDF, which costs more than drawing a short letter. Here
that work is cached by the set of characters a letter uses, so the 500 letters of a batch,
almost all in plain English, share it. The caching replaces two methods on our own font
objects only; if a future ReportLab lays its fonts out differently, its standard path is kept.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["FONT", "FONT_BOLD", "RENDER_LOCK", "register_fonts"]

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
RENDER_LOCK = threading.RLock()

_fonts_ready = False


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) once per process."""
    global _fonts_ready
    with RENDER_LOCK:
        if _fonts_ready:
            return
        folder = resources.files("followup") / "resources" / "fonts"
        for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
            with resources.as_file(folder / filename) as path:
                font = TTFont(name, str(path))
            _cache_subsets(font)
            pdfmetrics.registerFont(font)
        _fonts_ready = True


def _cache_subsets(font: TTFont) -> None:
    """Reuse each font subset, already compressed, across documents.

    ReportLab builds and compresses the subset again for every PDF, which costs more than
    drawing the page. This replaces the one method that does it, on our own font objects only;
    if a future ReportLab lays its font out differently, the standard path is kept.
    """
    face = font.face
    if not all(hasattr(face, a) for a in ("makeSubset", "addSubsetObjects", "flags", "bbox")):
        return
    cache: OrderedDict[tuple[int, ...], tuple[bytes, bytes]] = OrderedDict()
    make = face.makeSubset

    def subset_bytes(subset: Sequence[int]) -> tuple[bytes, bytes]:
        key = tuple(subset)
        hit = cache.get(key)
        if hit is None:
            raw = make(list(subset))
            hit = cache[key] = (raw, zlib.compress(raw))
            if len(cache) > 64:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return hit

    # ReportLab's hook: doc is its PDFDocument, the answer its PDFObjectReference.
    def add_subset_objects(doc: Any, fontname: str, subset: Sequence[int]) -> Any:
        raw, packed = subset_bytes(subset)
        stream = pdfdoc.PDFStream()
        stream.content = packed if doc.compression else raw
        stream.dictionary["Length1"] = len(raw)
        if doc.compression:
            # A Filter entry tells ReportLab the content is encoded already.
            stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        ref = doc.Reference(stream, f"fontFile:{face.filename}({fontname})")
        flags = (face.flags & ~32) | 4  # symbolic, not non-symbolic, as ReportLab does
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": flags,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": ref,
                "MissingWidth": face.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)

    face.addSubsetObjects = add_subset_objects
    _cache_font_objects(font)


class _Formatted(pdfdoc.PDFObject):  # type: ignore[misc]  # ReportLab has no type hints
    """A PDF value formatted once and reused (a font's widths array)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:  # ReportLab's interface
        return self.data


def _cache_font_objects(font: TTFont) -> None:
    """Reuse each subset's widths array and ToUnicode map, formatted and compressed once.

    The same idea as ``_cache_subsets``, for ReportLab's ``TTFont.addObjects``: formatting a
    256-entry widths array number by number is the largest cost of saving a short letter.
    """
    from reportlab.pdfbase.ttfonts import SUBSETN, makeToUnicodeCMap

    face = font.face
    if not all(hasattr(font, a) for a in ("state", "getSubsetInternalName", "_asciiReadable")):
        return
    cache: OrderedDict[tuple[str, tuple[int, ...]], tuple[bytes, bytes, bytes]] = OrderedDict()

    def objects(base_name: str, subset: Sequence[int]) -> tuple[bytes, bytes, bytes]:
        key = (base_name, tuple(subset))
        hit = cache.get(key)
        if hit is None:
            widths = pdfdoc.PDFArray([face.getCharWidth(c) for c in subset])
            cmap = makeToUnicodeCMap(base_name, subset)
            raw = cmap.encode("latin-1") if isinstance(cmap, str) else cmap
            hit = cache[key] = (widths.format(None), raw, zlib.compress(raw))
            if len(cache) > 64:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return hit

    def add_objects(doc: Any) -> None:  # ReportLab's hook; doc is its PDFDocument
        state = font.state.get(doc) or TTFont.State(font._asciiReadable)
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal = font.getSubsetInternalName(n, doc)[1:]
            base_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            widths, cmap_raw, cmap_packed = objects(base_name, subset)
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.Name = internal
            pdf_font.BaseFont = base_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = _Formatted(widths)
            cmap = pdfdoc.PDFStream()
            cmap.content = cmap_packed if doc.compression else cmap_raw
            if doc.compression:
                cmap.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
            pdf_font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_name)
            pdf_font.FontDescriptor = face.addSubsetObjects(doc, base_name, subset)
            doc.Reference(pdf_font, internal)
            doc.idToObject["BasicFonts"].dict[internal] = pdf_font
        font.state.pop(doc, None)

    font.addObjects = add_objects
