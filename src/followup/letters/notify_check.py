"""GOV.UK Notify's printable format for precompiled letters, and the check every letter passes.

A service that sends its post through GOV.UK Notify can upload a PDF it made itself (a
"precompiled letter"); Notify refuses one whose content lies outside the areas its printer
allows, and reads the postal address from a fixed block on the first page. Followup lays every
letter out inside those areas (``followup.letters.render``), and this module checks it: the
renderer hands it a box for every piece of text and every image it drew, and a letter with a
box outside its area is refused with one sentence saying which part and which rule, before the
PDF is returned. Nothing is then printed, saved or stored. ``check_pdf`` does the same for a
PDF that was stored earlier, from the PDF itself, before it is printed or saved again.

The areas, in mm from the top-left corner of an A4 portrait page (docs/letters.md says where
they come from and what could not be confirmed offline):

* every page: nothing within 15 mm of the left or right edge, nor 5 mm of the top or bottom;
* first page: the recipient's address, and nothing else, in the address block 24.6–120 mm from
  the left and 39.5–66.3 mm from the top (Notify reads every word within 3 mm of it as the
  address); the logo and letterhead in the band 5–30 mm from the top, or in the column from
  125 mm from the left down to 95 mm; the date and reference in that column; the letter's text
  from 95 mm down.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from followup.errors import RuleViolation

__all__ = [
    "ADDRESS_AREA",
    "BODY_AREA",
    "HEAD_BAND",
    "LATER_PAGE",
    "MAX_ADDRESS_LINES",
    "SERVICE_COLUMN",
    "Area",
    "Box",
    "NotifyLayoutRefused",
    "check_layout",
    "check_pdf",
    "layout_problem",
]

A4_MM = (210.0, 297.0)
SIDE_MARGIN = 15.0
TOP_EDGE, BOTTOM_EDGE = 5.0, A4_MM[1] - 5.0
BODY_FROM = 95.0
ADDRESS_READ_MARGIN = 3.0  # Notify reads the address from the block and 3 mm around it
MAX_ADDRESS_LINES = 7  # Notify refuses an address of more lines
_SLACK = 0.01  # mm: rounding in the drawing, far below anything a printer shows


@dataclass(frozen=True)
class Area:
    """A rectangle in mm from the top-left corner of the page."""

    left: float
    top: float
    right: float
    bottom: float

    def holds(self, box: Box) -> bool:
        return (
            box.left >= self.left - _SLACK
            and box.right <= self.right + _SLACK
            and box.top >= self.top - _SLACK
            and box.bottom <= self.bottom + _SLACK
        )

    def touches(self, box: Box) -> bool:
        return (
            box.left < self.right
            and box.right > self.left
            and box.top < self.bottom
            and box.bottom > self.top
        )

    def grown(self, by: float) -> Area:
        return Area(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def describe(self) -> str:
        return (
            f"{self.left:g}–{self.right:g} mm from the left and "
            f"{self.top:g}–{self.bottom:g} mm from the top"
        )


ADDRESS_AREA = Area(24.6, 39.5, 120.0, 66.3)
HEAD_BAND = Area(SIDE_MARGIN, TOP_EDGE, A4_MM[0] - SIDE_MARGIN, 30.0)
SERVICE_COLUMN = Area(125.0, TOP_EDGE, A4_MM[0] - SIDE_MARGIN, BODY_FROM)
BODY_AREA = Area(SIDE_MARGIN, BODY_FROM, A4_MM[0] - SIDE_MARGIN, BOTTOM_EDGE)
LATER_PAGE = Area(SIDE_MARGIN, TOP_EDGE, A4_MM[0] - SIDE_MARGIN, BOTTOM_EDGE)

# What each part of a letter's first page may occupy, and the rule that says so.
_FIRST_PAGE: dict[str, tuple[tuple[Area, ...], str]] = {
    "the address": ((ADDRESS_AREA,), f"the address must lie {ADDRESS_AREA.describe()}"),
    "the logo": (
        (HEAD_BAND, SERVICE_COLUMN),
        "the logo must lie in the top 30 mm or in the column from 125 mm from the left",
    ),
    "the letterhead": (
        (HEAD_BAND, SERVICE_COLUMN),
        "the letterhead must lie in the top 30 mm or in the column from 125 mm from the left",
    ),
    "the date and reference": (
        (SERVICE_COLUMN,),
        "the date and reference must lie in the column from 125 mm from the left, above 95 mm",
    ),
    "the letter's text": (
        (BODY_AREA,),
        f"the letter's text must start at least {BODY_FROM:g} mm from the top of the first page",
    ),
    "the footer": ((BODY_AREA,), "the footer must lie in the body of the page"),
}


@dataclass(frozen=True)
class Box:
    """Where one piece of a letter was drawn: its page (from 1), which part of the letter it
    is (e.g. "the address"; never the text itself), and its edges in mm from the top-left."""

    page: int
    part: str
    left: float
    top: float
    right: float
    bottom: float


class NotifyLayoutRefused(RuleViolation):
    """A letter that would print outside the areas GOV.UK Notify's printable format allows."""


def layout_problem(boxes: Iterable[Box], *, address_lines: int = 0) -> str | None:
    """The first rule a letter's boxes break, as a sentence; None when every box is in place."""
    if address_lines > MAX_ADDRESS_LINES:
        return (
            f"the address takes {address_lines} lines, and GOV.UK Notify prints at most "
            f"{MAX_ADDRESS_LINES}"
        )
    read_as_address = ADDRESS_AREA.grown(ADDRESS_READ_MARGIN)
    for box in boxes:
        where = f"{box.part} on page {box.page}"
        if box.left < SIDE_MARGIN - _SLACK or box.right > A4_MM[0] - SIDE_MARGIN + _SLACK:
            return f"{where} is within {SIDE_MARGIN:g} mm of the left or right edge of the paper"
        if box.top < TOP_EDGE - _SLACK or box.bottom > BOTTOM_EDGE + _SLACK:
            return f"{where} is within 5 mm of the top or bottom edge of the paper"
        if box.page > 1:
            if box.part == "the address":
                return f"{where}: the address belongs on the first page only"
            continue
        areas, rule = _FIRST_PAGE.get(box.part, ((LATER_PAGE,), "it must lie in the page"))
        if not any(area.holds(box) for area in areas):
            return f"{where} is out of place ({rule})"
        if box.part != "the address" and read_as_address.touches(box):
            return (
                f"{where} is in or next to the address block, where GOV.UK Notify would read "
                "it as part of the address"
            )
    return None


def _refusal(problem: str) -> NotifyLayoutRefused:
    return NotifyLayoutRefused(
        "This letter does not fit GOV.UK Notify's printable format, so it was not printed "
        f"or saved: {problem}. Ask an administrator to shorten the letterhead or the "
        "template, or shorten the address, and try again."
    )


def check_layout(boxes: Iterable[Box], *, address_lines: int = 0) -> None:
    """Refuse (``NotifyLayoutRefused``) a letter whose boxes break a rule of the format."""
    problem = layout_problem(boxes, address_lines=address_lines)
    if problem:
        raise _refusal(problem)


def _read(pdf: bytes) -> tuple[str, Sequence[tuple[float, float, int]]]:
    """A PDF's keywords and each page's width and height (mm) and rotation."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    info = reader.metadata
    keywords = str(info.get("/Keywords", "")) if info is not None else ""
    sizes = []
    for page in reader.pages:
        box = page.mediabox
        sizes.append(
            (float(box.width) / 72 * 25.4, float(box.height) / 72 * 25.4, page.rotation or 0)
        )
    return keywords, sizes


def check_pdf(pdf: bytes) -> None:
    """Refuse a stored letter, before it is printed or saved again, that is not in the format.

    A letter made since Followup lays letters out for Notify carries the marker
    ``LAYOUT_MARKER`` in its document properties (it passed ``check_layout`` when it was made);
    a letter made before has its address where Notify would not find it, and is refused with
    a sentence saying to make it again. Every page must be A4 portrait.
    """
    try:
        keywords, sizes = _read(pdf)
    except Exception as exc:  # a damaged file: never print what cannot be read
        raise _refusal("the stored file cannot be read as a PDF") from exc
    for number, (width, height, rotation) in enumerate(sizes, start=1):
        portrait = abs(width - A4_MM[0]) <= 2 and abs(height - A4_MM[1]) <= 2
        if not portrait or rotation % 360 not in (0, 180):
            raise _refusal(f"page {number} is not A4 portrait")
    if LAYOUT_MARKER not in keywords:
        raise NotifyLayoutRefused(
            "This letter was made with Followup's older layout, whose address GOV.UK Notify "
            "would not find, so it was not printed or saved. Make the letter again (it will "
            "be laid out for Notify) and print that one."
        )


# In the document properties of every letter laid out for Notify (no personal data).
LAYOUT_MARKER = "layout:notify-precompiled-1"
