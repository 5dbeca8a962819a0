"""The batch print job: each letter drawn once, its stored PDF joined as it is."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from followup.letters.batch import render_batch
from followup.letters.render import combine_pdfs
from followup.pdf.join import Unsupported, join_pdfs
from tests.letters.helpers import add_case, letterhead_set_fixture, page_count  # noqa: F401
from tests.letters.test_batch import _attempts, _due


def _pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_batch_prints_each_stored_letter_as_it_was_made(database, team, letterhead_set):
    names = ("Alex", "Sam", "Łukasz", "Zoë", "Jo")
    with database.session() as s:
        for i, first in enumerate(names):
            case_id = add_case(
                s,
                team["worker1"].id,
                first=first,
                reference=f"J-{i}",
                with_treatment=False,
                gp=None,
            )
            _attempts(s, case_id, 3)
    w = team["worker1"]
    result = render_batch(database, w, _due(database, w))
    assert len(result.letters) == len(names)
    pages = _pages_text(result.pdf)
    assert len(pages) == result.pages
    # Page by page, the print job is the stored letters, each from the front of a sheet.
    for letter, start in zip(result.letters, result.starts, strict=True):
        own = _pages_text(letter.pdf)
        assert pages[start - 1 : start - 1 + len(own)] == own
        if len(own) % 2:  # then the back of its last sheet is blank
            assert not pages[start - 1 + len(own)].strip()
    assert [p.split("Dear ", 1)[1].split(",", 1)[0] for p in pages if "Dear " in p] == list(names)
    # The letterhead's fonts and logo go into the print job once, not once a letter.
    assert len(result.pdf) < sum(len(x.pdf) for x in result.letters) / 2


def test_a_pdf_made_elsewhere_is_still_joined(database, team, letterhead_set):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("")  # a structure the fast joiner does not read
    other = io.BytesIO()
    writer.write(other)
    try:
        join_pdfs([other.getvalue()])
    except Unsupported:
        pass
    else:
        raise AssertionError("an encrypted PDF was joined by the fast path")
    joined = combine_pdfs([other.getvalue(), other.getvalue()])
    assert joined.pages == page_count(joined.pdf) == 4
    assert joined.starts == (1, 3)
