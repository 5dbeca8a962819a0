"""Drawing letters as A4 PDF pages with ReportLab: letterhead, envelope window, body, footer.

Everything here is plain data in, PDF bytes out: no database. All text is drawn literally with
ReportLab's canvas text objects, never through paragraph markup, so a name such as
``<font color=red>`` or ``</para>`` prints exactly as typed and nothing a user types can add a
link, an image or a style to the PDF. Text is set in DejaVu Sans, a TrueType font shipped with
the package and embedded in every PDF (the PDF base fonts have no glyphs beyond Latin-1), and
Arabic or Hebrew runs are shaped and put in visual order before they are drawn.

Page geometry (A4, 210 × 297 mm, measured from the top-left corner of the page) is GOV.UK
Notify's printable format for precompiled letters (``followup.letters.notify_check``, which
checks every letter before its PDF is returned; docs/letters.md), so a service that posts
through Notify can upload Followup's PDFs unchanged:

* letterhead: logo top left (at most 70 × 20 mm from 20 mm, 8 mm), the organisation's name
  right-aligned to 190 mm beside it, in the top 30 mm; its address, phone and email
  right-aligned to 190 mm in the column from 125 mm;
* address block: the recipient's lines, and nothing else, inside ``WINDOW`` = 24.6–120 mm
  from the left and 39.5–66.3 mm from the top, at most seven lines (Notify reads the address
  from there, and a C5 window envelope shows it);
* "Private and confidential", date and reference in the column from 125 mm, under the
  letterhead; body from 95 mm (first baseline at 99 mm) down to 25 mm above the bottom edge;
  footer 12 mm above the bottom edge; nothing within 15 mm of the left or right edge (no
  fold marks: Notify's printer folds, and there is nowhere outside the text to put them).

Speed: rendering a letter is dominated by embedding the font subset, which
``followup.pdf.fonts`` caches by the set of characters used (most letters in plain English
share one); the logo is turned once into a JPEG, which ReportLab embeds without recompressing.
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from pypdf import PdfReader, PdfWriter
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from followup.errors import RuleViolation
from followup.letters.notify_check import (
    ADDRESS_AREA,
    LAYOUT_MARKER,
    MAX_ADDRESS_LINES,
    Box,
    check_layout,
)
from followup.letters.templates import banned_word, discretion_refusal
from followup.pdf.fonts import FONT, FONT_BOLD, RENDER_LOCK, register_fonts
from followup.pdf.join import Unsupported, join_pdfs
from followup.pdf.text import clean, visual, wrap

__all__ = [
    "WINDOW",
    "CombinedPdf",
    "LaidOut",
    "LetterContent",
    "Letterhead",
    "Section",
    "address_lines",
    "all_text",
    "check_discreet",
    "lay_out",
    "logo_reader",
    "render_letter",
    "combine_pdfs",
    "render_letters",
]

PAGE_W, PAGE_H = A4
LEFT, RIGHT = 20 * mm, PAGE_W - 20 * mm
# The address block, as (left, top, right, bottom) in mm from the top-left corner.
WINDOW = (ADDRESS_AREA.left, ADDRESS_AREA.top, ADDRESS_AREA.right, ADDRESS_AREA.bottom)
_WINDOW_PAD = 0.6
# Baselines: the first line's capitals and accents start just below 95 mm.
BODY_TOP, CONTINUED_TOP, BODY_BOTTOM = 99 * mm, 22 * mm, 25 * mm
COLUMN_X = 125 * mm  # the right-hand column: letterhead details, date and reference
NAME_BASELINE = 14 * mm
# Where DejaVu Sans's glyphs reach above and below the baseline, as a share of the size.
ASCENT, DESCENT = 0.76, 0.241
BODY_SIZE, BODY_LEADING = 10.5, 14.5
TABLE_SIZE, TABLE_LEADING, LABEL_WIDTH = 9.5, 13.0, 52 * mm


@dataclass(frozen=True)
class Letterhead:
    """The organisation's letterhead, from settings."""

    name: str
    address: str = ""
    phone: str = ""
    logo: bytes | None = None  # PNG or JPEG
    email: str = ""


@dataclass(frozen=True)
class Section:
    """A titled block of label/value rows after the body, e.g. the referral summary."""

    title: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LetterContent:
    """Everything one letter shows besides the letterhead, as literal text."""

    recipient: tuple[str, ...]  # the lines in the envelope window
    date_text: str
    reference: str
    body: str
    to_person: bool  # letters to the person are checked for discretion before drawing
    subject: str = ""
    right_lines: tuple[str, ...] = ()  # under date and reference, e.g. "By secure email"
    sections: tuple[Section, ...] = field(default=())


# ---------------------------------------------------------------------------------- address


def address_lines(*parts: str | None) -> list[str]:
    """Address text as envelope lines: one per line typed, or per comma when typed on one."""
    lines: list[str] = []
    for part in parts:
        text = clean(part).strip()
        if not text:
            continue
        pieces = text.split("\n") if "\n" in text else text.split(",")
        lines.extend(p.strip() for p in pieces if p.strip())
    return lines


# ----------------------------------------------------------------------------------- layout


@dataclass
class _Op:
    x: float
    dy: float  # below the row's top baseline
    font: str
    size: float
    text: str
    gray: float = 0.0


@dataclass
class _Row:
    height: float
    ops: list[_Op]
    keep_with_next: bool = False


def _body_rows(content: LetterContent) -> list[_Row]:
    width = RIGHT - LEFT
    rows: list[_Row] = []
    if content.subject:
        for line in wrap(clean(content.subject), FONT_BOLD, BODY_SIZE, width):
            rows.append(_Row(BODY_LEADING, [_Op(0, 0, FONT_BOLD, BODY_SIZE, line)]))
        rows.append(_Row(BODY_LEADING * 0.6, []))
    for line in clean(content.body).split("\n"):
        if not line.strip():
            rows.append(_Row(BODY_LEADING, []))
            continue
        for part in wrap(line, FONT, BODY_SIZE, width):
            rows.append(_Row(BODY_LEADING, [_Op(0, 0, FONT, BODY_SIZE, part)]))
    for section in content.sections:
        rows.append(_Row(BODY_LEADING * 0.8, []))
        rows.append(
            _Row(
                BODY_LEADING + 2,
                [_Op(0, 0, FONT_BOLD, BODY_SIZE + 0.5, section.title)],
                keep_with_next=True,
            )
        )
        for label, value in section.rows:
            labels = wrap(clean(label), FONT_BOLD, TABLE_SIZE, LABEL_WIDTH - 3 * mm)
            values: list[str] = []
            for line in (clean(value) or "-").split("\n"):
                values.extend(wrap(line, FONT, TABLE_SIZE, width - LABEL_WIDTH))
            # One entry stays together on a page, however many lines it wraps to.
            ops = [
                _Op(0, i * TABLE_LEADING, FONT_BOLD, TABLE_SIZE, t) for i, t in enumerate(labels)
            ]
            ops += [
                _Op(LABEL_WIDTH, i * TABLE_LEADING, FONT, TABLE_SIZE, t)
                for i, t in enumerate(values)
            ]
            rows.append(_Row(TABLE_LEADING * max(len(labels), len(values)) + 3, ops))
    return rows


def _paginate(rows: list[_Row]) -> list[list[_Row]]:
    pages: list[list[_Row]] = [[]]
    room = PAGE_H - BODY_TOP - BODY_BOTTOM
    used = 0.0
    for i, row in enumerate(rows):
        need = row.height
        if row.keep_with_next and i + 1 < len(rows):
            need += rows[i + 1].height
        if used + need > room and pages[-1]:
            pages.append([])
            room = PAGE_H - CONTINUED_TOP - BODY_BOTTOM
            used = 0.0
            if not row.ops:  # no blank space at the top of a page
                continue
        pages[-1].append(row)
        used += row.height
    return pages


def _window_lines(recipient: Sequence[str]) -> tuple[float, list[str]]:
    """The recipient lines at the largest size that fits the address block (at most seven)."""
    left, top, right, bottom = WINDOW
    width = (right - left - 2 * _WINDOW_PAD) * mm
    room = (bottom - top - 2 * _WINDOW_PAD) * mm
    lines = [clean(line).strip() for line in recipient if clean(line).strip()]
    for size in (10, 9.5, 9, 8.5, 8):
        wrapped = [part for line in lines for part in wrap(line, FONT, size, width)]
        height = size * (ASCENT + DESCENT) + size * 1.2 * (len(wrapped) - 1)
        if len(wrapped) <= MAX_ADDRESS_LINES and height <= room:
            return size, wrapped
    raise RuleViolation(
        "The address is too long to fit in the envelope window (GOV.UK Notify's address "
        f"block takes at most {MAX_ADDRESS_LINES} lines of about 50 letters); shorten it and "
        "try again. Nothing was printed or saved."
    )


def _letterhead_lines(head: Letterhead) -> list[str]:
    lines = address_lines(head.address)
    if len(lines) > 4:
        lines = [*lines[:3], ", ".join(lines[3:])]
    if head.phone.strip():
        lines.append(f"Telephone {clean(head.phone).strip()}")
    if head.email.strip():
        lines.append(f"Email {clean(head.email).strip()}")
    return lines


def all_text(content: LetterContent, head: Letterhead) -> Iterable[str]:
    """Every piece of text the letter shows, for the discretion check."""
    yield head.name
    yield from _letterhead_lines(head)
    yield from content.recipient
    yield from (content.date_text, content.reference, content.subject, content.body)
    yield from content.right_lines
    for section in content.sections:
        yield section.title
        for label, value in section.rows:
            yield label
            yield value


def check_discreet(content: LetterContent, head: Letterhead) -> None:
    """Refuse a letter to the person whose page would show a word that gives them away."""
    if not content.to_person:
        return
    for text in all_text(content, head):
        word = banned_word(clean(text))
        if word:
            raise discretion_refusal(word, "this letter to the person")


# -------------------------------------------------------------------------------- drawing

_logo_cache: OrderedDict[str, ImageReader] = OrderedDict()


def _print_ready(logo: bytes) -> bytes:
    """The logo as a high-quality JPEG on white, at most 800 × 400 pixels.

    ReportLab embeds a JPEG as it is but decodes and recompresses a PNG in every PDF, which
    would cost more than the rest of a short letter. The logo prints at most 70 × 22 mm, so
    800 pixels across is over 280 dpi.
    """
    from PIL import Image

    with Image.open(io.BytesIO(logo)) as image:
        image.load()
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = image.convert("RGB")
        flat.thumbnail((800, 400))
        out = io.BytesIO()
        flat.save(out, "JPEG", quality=95, subsampling=0)
        return out.getvalue()


def logo_reader(logo: bytes) -> ImageReader:
    """The logo prepared once per process (keyed by its SHA-256)."""
    key = hashlib.sha256(logo).hexdigest()
    with RENDER_LOCK:
        reader = _logo_cache.get(key)
        if reader is None:
            reader = _logo_cache[key] = ImageReader(io.BytesIO(_print_ready(logo)))
            while len(_logo_cache) > 4:
                _logo_cache.popitem(last=False)
        return reader


class _Page:
    """One text object per page: far cheaper than a drawString call per line."""

    def __init__(self, canvas: Canvas, number: int, boxes: list[Box]) -> None:
        self.canvas = canvas
        self.text = canvas.beginText()
        self.font: tuple[str, float] | None = None
        self.gray = 0.0
        self.number = number
        self.boxes = boxes  # where everything on the page was drawn, for notify_check
        self.part = "the letter's text"

    def draw(
        self,
        x: float,
        y_from_top: float,
        font: str,
        size: float,
        text: str,
        gray: float = 0.0,
        align: str = "left",
    ) -> None:
        shown = visual(text)
        if not shown:
            return
        width = pdfmetrics.stringWidth(shown, font, size)
        if align == "right":
            x -= width
        elif align == "centre":
            x -= width / 2
        self.boxes.append(
            Box(
                self.number,
                self.part,
                x / mm,
                (y_from_top - size * ASCENT) / mm,
                (x + width) / mm,
                (y_from_top + size * DESCENT) / mm,
            )
        )
        if self.font != (font, size):
            self.text.setFont(font, size)
            self.font = (font, size)
        if gray != self.gray:
            self.text.setFillGray(gray)
            self.gray = gray
        self.text.setTextOrigin(x, PAGE_H - y_from_top)
        self.text.textOut(shown)

    def finish(self) -> None:
        self.canvas.drawText(self.text)
        self.canvas.showPage()


def _fit_size(text: str, font: str, size: float, width: float, smallest: float) -> float:
    while size > smallest and pdfmetrics.stringWidth(visual(text), font, size) > width:
        size -= 0.5
    return size


def _draw_first_page_head(canvas: Canvas, page: _Page, laid: LaidOut, head: Letterhead) -> None:
    content = laid.content
    if head.logo:
        reader = logo_reader(head.logo)
        w, h = reader.getSize()
        scale = min(70 * mm / w, 20 * mm / h)
        top = 8 * mm
        canvas.drawImage(reader, LEFT, PAGE_H - top - h * scale, w * scale, h * scale)
        page.boxes.append(
            Box(1, "the logo", LEFT / mm, top / mm, (LEFT + w * scale) / mm, (top + h * scale) / mm)
        )
    page.part = "the letterhead"
    name = clean(head.name).strip()
    # Right of the logo (or of the left half), on more lines if it must.
    logo_right = page.boxes[-1].right * mm if head.logo else PAGE_W / 2 - 20 * mm
    name_width = RIGHT - max(logo_right + 5 * mm, RIGHT - 105 * mm)
    size = _fit_size(name, FONT_BOLD, 13, name_width, 9)
    y = NAME_BASELINE
    for part in wrap(name, FONT_BOLD, size, name_width):
        page.draw(RIGHT, y, FONT_BOLD, size, part, align="right")
        y += size * 1.2
    # The details sit in the right-hand column, which Notify keeps free down to the body.
    column = RIGHT - COLUMN_X
    y += 13 - size * 1.2
    for line in _letterhead_lines(head):
        line_size = _fit_size(line, FONT, 8.5, column, 6.5)
        for part in wrap(line, FONT, line_size, column):
            page.draw(RIGHT, y, FONT, line_size, part, 0.25, align="right")
            y += 10.5
    head_end = y - 10.5  # the last letterhead baseline

    page.part = "the address"
    size, lines = laid.window
    x = (WINDOW[0] + _WINDOW_PAD) * mm
    y = (WINDOW[1] + _WINDOW_PAD) * mm + size * ASCENT
    for i, line in enumerate(lines):
        page.draw(x, y + i * size * 1.2, FONT, size, line)

    # Notify reads everything in the address block as the address, so this marking sits
    # with the date and reference rather than above the address.
    page.part = "the date and reference"
    y = max(50 * mm, head_end + 7 * mm)
    page.draw(COLUMN_X, y, FONT_BOLD, 9.5, "Private and confidential")
    y += 14
    for line in (
        f"Date: {content.date_text}",
        f"Our reference: {content.reference}",
        *content.right_lines,
    ):
        for part in wrap(clean(line), FONT, 9.5, column):
            page.draw(COLUMN_X, y, FONT, 9.5, part)
            y += 12.5
    page.part = "the letter's text"


def _draw_footer(
    page: _Page, content: LetterContent, head: Letterhead, number: int, total: int
) -> None:
    page.part = "the footer"
    width = RIGHT - LEFT
    footer = f"{clean(head.name).strip()}  ·  Page {number} of {total}"
    size = _fit_size(footer, FONT, 8, width, 6)
    page.draw(PAGE_W / 2, PAGE_H - 12 * mm, FONT, size, footer, 0.4, align="centre")
    if not content.to_person:
        notice = (
            "Confidential: personal and health information. If this reached you by "
            "mistake, please tell us and destroy it."
        )
        size = _fit_size(notice, FONT, 7.5, width, 6)
        page.draw(PAGE_W / 2, PAGE_H - 12 * mm - 10, FONT, size, notice, 0.4, align="centre")
    page.part = "the letter's text"


@dataclass(frozen=True)
class LaidOut:
    """A letter checked, wrapped and split into pages, ready to draw any number of times."""

    content: LetterContent
    window: tuple[float, list[str]]
    pages: list[list[_Row]]


def lay_out(content: LetterContent, head: Letterhead) -> LaidOut:
    """Check a letter (discretion, envelope window) and lay out its pages."""
    register_fonts()
    check_discreet(content, head)
    return LaidOut(content, _window_lines(content.recipient), _paginate(_body_rows(content)))


def _draw(canvas: Canvas, laid: LaidOut, head: Letterhead) -> int:
    """Draw one letter on ``canvas``; returns its number of pages.

    Refused (``NotifyLayoutRefused``) when anything drawn lies outside GOV.UK Notify's
    printable format; the caller then throws the canvas away, so nothing is printed or saved.
    """
    content = laid.content
    boxes: list[Box] = []
    for number, rows in enumerate(laid.pages, start=1):
        page = _Page(canvas, number, boxes)
        if number == 1:
            _draw_first_page_head(canvas, page, laid, head)
        y = BODY_TOP if number == 1 else CONTINUED_TOP
        for row in rows:
            for op in row.ops:
                page.draw(LEFT + op.x, y + op.dy, op.font, op.size, op.text, op.gray)
            y += row.height
        _draw_footer(page, content, head, number, len(laid.pages))
        page.finish()
    check_layout(boxes, address_lines=len(laid.window[1]))
    return len(laid.pages)


@contextmanager
def _binary_streams() -> Iterator[None]:
    """ReportLab's streams as binary, not ASCII85 text (held under ``RENDER_LOCK``).

    ReportLab writes every page and image as ASCII85 by default, a quarter larger than the
    bytes themselves, and encodes the logo again for every letter: a batch of 500 letters
    would store 3.5 MB more, and spend the time writing it. Any PDF reader reads either.
    """
    was = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = was


def _canvas(buffer: io.BytesIO) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=FONT)
    # Nothing about the person or the letter goes in the document's properties.
    canvas.setTitle("Letter")
    canvas.setAuthor("")
    canvas.setSubject("")
    canvas.setCreator("Followup")
    canvas.setKeywords(LAYOUT_MARKER)  # laid out for GOV.UK Notify (notify_check.check_pdf)
    return canvas


def render_letter(content: LetterContent | LaidOut, head: Letterhead) -> bytes:
    """One letter as the bytes of a PDF."""
    laid = content if isinstance(content, LaidOut) else lay_out(content, head)
    buffer = io.BytesIO()
    with RENDER_LOCK, _binary_streams():
        canvas = _canvas(buffer)
        _draw(canvas, laid, head)
        canvas.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class CombinedPdf:
    """Several letters in one PDF: its bytes, its pages, and the page each letter starts on."""

    pdf: bytes
    pages: int
    starts: tuple[int, ...]  # 1-based; always odd, so every letter starts a new sheet


def render_letters(contents: Iterable[LetterContent | LaidOut], head: Letterhead) -> CombinedPdf:
    """Several letters in one PDF, each starting on a new sheet of paper.

    A letter with an odd number of pages is followed by a blank page, so printed double-sided
    (on any printer, by whoever prints the file) no sheet carries two people's letters.
    """
    buffer = io.BytesIO()
    pages = 0
    starts: list[int] = []
    with RENDER_LOCK, _binary_streams():
        canvas = _canvas(buffer)
        for content in contents:
            laid = content if isinstance(content, LaidOut) else lay_out(content, head)
            starts.append(pages + 1)
            pages += _draw(canvas, laid, head)
            if pages % 2:
                canvas.showPage()  # the back of the letter's last sheet stays blank
                pages += 1
        canvas.save()
    return CombinedPdf(buffer.getvalue(), pages, tuple(starts))


def combine_pdfs(pdfs: Sequence[bytes]) -> CombinedPdf:
    """Stored letters joined into one PDF as they are, each starting on a new sheet.

    The letters' own pages are copied unchanged (a stored letter is the record of what was
    sent); a letter with an odd number of pages is followed by a blank A4 page. The letters
    ReportLab drew are joined by ``followup.pdf.join`` (fast, and the fonts and logo they
    share written once); any other PDF makes the whole batch go through pypdf instead. The
    whole carries the Notify layout marker only when every letter in it does.
    """
    marker = LAYOUT_MARKER.encode()
    keywords = LAYOUT_MARKER if all(marker in pdf for pdf in pdfs) else ""
    try:
        joined = join_pdfs(
            pdfs,
            blank_after_odd=(PAGE_W, PAGE_H),
            title="Letters",
            creator="Followup",
            keywords=keywords,
        )
    except Unsupported:
        return _combine_with_pypdf(pdfs, keywords)
    return CombinedPdf(joined.pdf, joined.pages, joined.starts)


def _combine_with_pypdf(pdfs: Sequence[bytes], keywords: str) -> CombinedPdf:
    writer = PdfWriter()
    starts: list[int] = []
    for pdf in pdfs:
        starts.append(len(writer.pages) + 1)
        writer.append(PdfReader(io.BytesIO(pdf)))
        if len(writer.pages) % 2:
            writer.add_blank_page(PAGE_W, PAGE_H)
    writer.add_metadata({"/Title": "Letters", "/Creator": "Followup"})
    if keywords:
        writer.add_metadata({"/Keywords": keywords})
    buffer = io.BytesIO()
    writer.write(buffer)
    return CombinedPdf(buffer.getvalue(), len(writer.pages), tuple(starts))
