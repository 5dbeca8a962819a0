"""Text as every Followup PDF draws it: cleaned of control characters, Arabic and Hebrew put
in visual order, and wrapped to a width in the embedded font.

Text from users is always drawn literally (never through ReportLab's paragraph markup), so
these helpers are what every PDF shares: the letters, the subject access pack.
"""

from __future__ import annotations

import re

from reportlab.pdfbase import pdfmetrics

from followup.pdf.fonts import FONT, register_fonts

__all__ = ["clean", "missing_glyphs", "text_width", "visual", "wrap"]

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str | None) -> str:
    """User text made safe to draw: line breaks kept, tabs as spaces, controls removed."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub("", text)


def visual(text: str) -> str:
    """Text in the order and letter forms to draw it: Arabic joined, right-to-left reversed."""
    if not _RTL.search(text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return str(get_display(arabic_reshaper.reshape(text)))


def missing_glyphs(text: str, font_name: str = FONT) -> set[str]:
    """Characters of ``text`` (as drawn) that the font has no glyph for."""
    register_fonts()
    face = pdfmetrics.getFont(font_name).face
    return {c for c in visual(text) if not c.isspace() and ord(c) not in face.charToGlyph}


_token_widths: dict[tuple[str, str, float], float] = {}


def text_width(text: str, font: str, size: float) -> float:
    """How wide ``text`` is drawn in ``font`` at ``size`` points (words measured once)."""
    if _RTL.search(text):
        return float(pdfmetrics.stringWidth(visual(text), font, size))
    key = (text, font, size)
    width = _token_widths.get(key)
    if width is None:
        if len(_token_widths) > 50_000:
            _token_widths.clear()
        width = _token_widths[key] = float(pdfmetrics.stringWidth(text, font, size))
    return width


def _split_long(word: str, font: str, size: float, width: float) -> list[str]:
    parts = []
    while len(word) > 1 and text_width(word, font, size) > width:
        cut = len(word) - 1
        while cut > 1 and text_width(word[:cut], font, size) > width:
            cut -= 1
        parts.append(word[:cut])
        word = word[cut:]
    return [*parts, word]


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """One line of text broken into lines no wider than ``width`` (long words are split)."""
    if _RTL.search(text):
        # Shaping changes widths, so measure whole candidate lines as they will be drawn.
        return _wrap_measuring_lines(text, font, size, width)
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for token in re.findall(r"\S+|\s+", text):
        w = text_width(token, font, size)
        if token.isspace():
            if current:
                current.append(token)
                used += w
            continue
        if current and used + w > width:
            while current and current[-1].isspace():
                current.pop()
            lines.append("".join(current))
            current, used = [], 0.0
        if w > width:
            *whole, token = _split_long(token, font, size, width)
            lines.extend(whole)
            w = text_width(token, font, size)
        current.append(token)
        used += w
    while current and current[-1].isspace():
        current.pop()
    if current or not lines:
        lines.append("".join(current))
    return lines


def _wrap_measuring_lines(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in re.split(r"(?<=\s)(?=\S)", text):
        candidate = current + word
        if not current or text_width(candidate.rstrip(), font, size) <= width:
            current = candidate
        else:
            lines.append(current.rstrip())
            current = word
        if text_width(current.rstrip(), font, size) > width:
            *whole, current = _split_long(current, font, size, width)
            lines.extend(whole)
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines
