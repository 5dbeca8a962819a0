"""Every letter in GOV.UK Notify's printable format, read back from the PDF with pdfminer: the
address (and nothing else) in Notify's address block, nothing within 15 mm of the sides, the
text from 95 mm; a layout that breaks a rule is refused before anything is stored or printed,
with a sentence saying why; a stored letter in the older layout is not printed in a batch.
SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTContainer, LTImage, LTTextLine
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select

from followup import vocab
from followup.db import models as m
from followup.db.types import utcnow
from followup.errors import RuleViolation
from followup.letters import render
from followup.letters.batch import letters_due, render_batch
from followup.letters.making import LetterRequest, create_letter
from followup.letters.notify_check import (
    ADDRESS_AREA,
    BODY_AREA,
    HEAD_BAND,
    SERVICE_COLUMN,
    NotifyLayoutRefused,
    check_pdf,
)
from followup.letters.settings import set_letterhead
from tests.letters.helpers import add_case, letterhead_set_fixture, logo_png  # noqa: F401
from tests.letters.test_making import SOON

FIRST, LAST = "Testperson Alexandra-Bartholomew", "Longname-Doublebarrelled"
ADDRESS = (
    "Flat 12b, The Extraordinarily Long Named Building\n"
    "123 Exceptionally Long Street Name\n"
    "Test Village upon Testwater\n"
    "Testtown\n"
    "Testshire"
)
POSTCODE = "ZZ99 9ZZ"
GP = "The Very Long Named Test Surgery and Health Centre, 2 Practice Road, Testtown, B5 7EE"
LONG_HEAD = {
    "name": "Northshire Community Support and Follow-up Team for Testing",
    "address": "Unit 7, The Long Named Business Park\n10 Example Road\nTest Village\n"
    "Testtown\nTestshire\nB1 1AA",
    "phone": "0121 496 0000",
    "email": "a.very.long.team.address@community-support.example",
}


@pytest.fixture
def long_case(database, team) -> int:
    with database.session() as s:
        set_letterhead(s, team["admin"], logo=logo_png(), **LONG_HEAD)
        return add_case(
            s, team["worker1"].id, first=FIRST, last=LAST, address=ADDRESS, postcode=POSTCODE, gp=GP
        )


def make(db, actor, case_id, template: str):
    extra = {}
    if template == vocab.LetterTemplate.APPOINTMENT:
        extra = {"appointment_time": SOON, "appointment_place": "The Community Centre, Testtown"}
    with db.session() as s:
        return create_letter(s, actor, case_id, template, **extra)


def boxes(pdf: bytes):
    """Every character, image and text line as (page, thing, left, top, right, bottom) in mm
    from the top-left corner, as pdfminer reads them back."""
    found = []
    for number, page in enumerate(extract_pages(io.BytesIO(pdf)), start=1):
        height = page.height

        def walk(item, number=number, height=height):
            if isinstance(item, LTChar | LTImage | LTTextLine):
                x0, y0, x1, y1 = item.bbox
                found.append(
                    (number, item, x0 / mm, (height - y1) / mm, x1 / mm, (height - y0) / mm)
                )
            if isinstance(item, LTContainer):
                for child in item:
                    walk(child)

        walk(page)
    return found


def inside(area, box) -> bool:
    _, _, left, top, right, bottom = box
    slack = 0.01
    return (
        area.left - slack <= left
        and right <= area.right + slack
        and area.top - slack <= top
        and bottom <= area.bottom + slack
    )


@pytest.mark.parametrize("template", list(vocab.LetterTemplate))
def test_every_template_is_in_notifys_printable_format(database, team, long_case, template):
    record = make(database, team["worker1"], long_case, template)
    found = boxes(record.pdf)
    marks = [b for b in found if not isinstance(b[1], LTTextLine)]
    assert marks
    for page, thing, left, _top, right, _bottom in marks:
        assert left >= 15 and right <= 195, (page, thing)  # the side margins stay blank

    first = [b for b in marks if b[0] == 1]
    # Notify reads every word within 3 mm of its address block as the address: only the
    # recipient's lines are there, whole, each character inside the block itself.
    read_area = ADDRESS_AREA
    near = [
        b
        for b in first
        if b[2] < read_area.right + 3
        and b[4] > read_area.left - 3
        and b[3] < read_area.bottom + 3
        and b[5] > read_area.top - 3
    ]
    assert near and all(inside(ADDRESS_AREA, b) for b in near)
    lines = [
        b[1].get_text().strip()
        for b in found
        if b[0] == 1 and isinstance(b[1], LTTextLine) and inside(ADDRESS_AREA, b)
    ]
    if template == vocab.LetterTemplate.GP_NOTIFICATION:
        assert lines[0] == "The GP" and "Test Surgery" in " ".join(lines)
    elif template == vocab.LetterTemplate.TREATMENT_REFERRAL:
        assert lines[0] == "Test Treatment Service" and lines[-1] == "B6 6EE"
    else:
        assert lines[0] == f"{FIRST} {LAST}"
        assert lines[1:] == [*ADDRESS.split("\n"), POSTCODE]
    assert 3 <= len(lines) <= 7

    # Everything else: the letterhead in the top 30 mm or the right-hand column, the text
    # from 95 mm down.
    for box in first:
        if box in near:
            continue
        assert any(inside(a, box) for a in (HEAD_BAND, SERVICE_COLUMN, BODY_AREA)), box
    body = [b for b in first if isinstance(b[1], LTChar) and b[2] < 120 and b[3] > 30]
    body = [b for b in body if b not in near]
    assert body and min(b[3] for b in body) >= 95
    check_pdf(record.pdf)  # stored as it was made: it may be printed again


def letters_stored(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Letter))


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("LEFT", 10 * mm, "within 15 mm of the left or right edge"),
        ("COLUMN_X", 90 * mm, "on page 1 is out of place"),
        ("BODY_TOP", 80 * mm, "the letter's text must start at least 95 mm from the top"),
    ],
)
def test_a_letter_outside_the_format_is_refused_and_nothing_stored(
    database, team, long_case, monkeypatch, name, value, says
):
    monkeypatch.setattr(render, name, value)
    with pytest.raises(NotifyLayoutRefused, match="GOV.UK Notify's printable format") as caught:
        make(database, team["worker1"], long_case, "unable_to_contact")
    message = str(caught.value)
    assert says in message and "not printed or saved" in message
    assert "Testperson" not in message and "Testtown" not in message  # no personal data
    assert letters_stored(database) == 0

    # The same in a batch: the letter is skipped with the sentence, and there is nothing to
    # print.
    batch = render_batch(database, team["worker1"], [LetterRequest(long_case, "unable_to_contact")])
    assert batch.pdf is None and not batch.letters
    assert [s.reason for s in batch.skipped] == [message]
    assert letters_stored(database) == 0


def test_an_address_too_long_for_the_block_is_refused_before_anything_is_made(
    database, team, letterhead_set
):
    with database.session() as s:
        case_id = add_case(
            s, team["worker1"].id, address="\n".join(f"{i} Test Lane" for i in range(1, 8))
        )
    with pytest.raises(RuleViolation, match="too long to fit in the envelope window"):
        make(database, team["worker1"], case_id, "unable_to_contact")
    assert letters_stored(database) == 0


def old_layout_pdf() -> bytes:
    """A letter as Followup drew it before the Notify layout: no marker, address at 24 mm."""
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(24 * mm, 297 * mm - 50 * mm, "Testperson Alpha")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_a_stored_letter_in_the_older_layout_is_skipped_from_a_batch(database, team, long_case):
    with database.session() as s:
        s.add(
            m.Letter(
                case_id=long_case,
                template="unable_to_contact",
                author_id=team["worker1"].id,
                created_at=utcnow(),
                sha256="0" * 64,
                pdf=old_layout_pdf(),
                state=vocab.LetterState.DUE,
            )
        )
    with pytest.raises(NotifyLayoutRefused, match="older layout"):
        check_pdf(old_layout_pdf())
    with database.session() as s:
        due = [d for d in letters_due(s, team["worker1"]) if d.made]
    assert len(due) == 1
    batch = render_batch(database, team["worker1"], due)
    assert batch.pdf is None
    assert len(batch.skipped) == 1 and "older layout" in batch.skipped[0].reason
