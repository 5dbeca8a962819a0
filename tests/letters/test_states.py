"""A letter's life after it is made: due, printed, posted, returned; and batches that never put
two people on one sheet of paper. Real SQLite files and PostgreSQL, PDFs read back with pypdf."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from followup.db import models as m
from followup.errors import RuleViolation
from followup.letters.batch import letters_due, render_batch
from followup.letters.content import LetterRequest
from followup.letters.making import create_letter, letters_for_case, record_prints
from followup.letters.states import mark_posted, mark_returned
from tests.letters.helpers import (  # noqa: F401 - fixtures
    NOW,
    add_case,
    letterhead_set_fixture,
    pdf_text,
)

NOTE = "Testperson's long note about the next steps and how to reach us."
TWO_PAGES, THREE_PAGES = " ".join([NOTE] * 40), " ".join([NOTE] * 90)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _people_cases(database, team, names):
    """A case each, with three phone calls unanswered: an unable-to-contact letter is due."""
    w = team["worker1"].id
    with database.session() as s:
        cases = [
            add_case(s, w, first=name, reference=f"T-{i}", with_treatment=False, gp=None)
            for i, name in enumerate(names)
        ]
        for case_id in cases:
            for days in (15, 12, 9):
                s.add(
                    m.ContactAttempt(
                        case_id=case_id,
                        method="phone",
                        outcome="no_answer",
                        attempted_at=NOW - timedelta(days=days),
                    )
                )
        return cases


def _assert_every_letter_starts_a_sheet(pdf: bytes, people: list[str]) -> None:
    """Each person's letter begins on an odd page, and no sheet (pages 2k-1, 2k) has two."""
    pages = _pages(pdf)
    assert len(pages) % 2 == 0
    starts = [i + 1 for i, text in enumerate(pages) if "Our reference" in text]
    assert len(starts) == len(people)
    assert all(start % 2 == 1 for start in starts), starts
    for sheet in range(0, len(pages), 2):
        both = pages[sheet] + pages[sheet + 1]
        assert sum(f"Dear {name}" in both for name in people) <= 1


def test_a_batch_starts_every_letter_on_a_new_sheet(database, team, letterhead_set):
    people = ["Testone", "Testtwo", "Testthree", "Testfour"]
    cases = _people_cases(database, team, people)
    w = team["worker1"]
    requests = [LetterRequest(c, "unable_to_contact") for c in cases]
    requests[1] = LetterRequest(cases[1], "unable_to_contact", note=TWO_PAGES)
    requests[2] = LetterRequest(cases[2], "unable_to_contact", note=THREE_PAGES)
    result = render_batch(database, w, requests)
    assert result.pdf is not None and not result.skipped
    # Letters of 1, 2, 3 and 1 pages: a blank page after each odd one, none after the even.
    assert [len(_pages(x.pdf)) for x in result.letters] == [1, 2, 3, 1]
    assert result.starts == (1, 3, 5, 9) and result.pages == 10
    _assert_every_letter_starts_a_sheet(result.pdf, people)
    pages = _pages(result.pdf)
    assert [i + 1 for i, text in enumerate(pages) if not text.strip()] == [2, 8, 10]


def test_stored_letters_printed_again_as_a_batch_keep_their_pdfs_and_sheets(
    database, team, letterhead_set
):
    people = ["Testfive", "Testsix"]
    cases = _people_cases(database, team, people)
    w = team["worker1"]
    with database.session() as s:
        stored = [
            create_letter(s, w, c, "unable_to_contact", note=note)
            for c, note in zip(cases, (THREE_PAGES, None), strict=True)
        ]
    due = [d for d in _due(database, w) if d.made]
    assert {d.letter_id for d in due} == {x.id for x in stored}
    result = render_batch(database, w, due)
    assert [x.id for x in result.letters] == sorted(x.id for x in stored)
    assert [x.sha256 for x in result.letters] == [
        x.sha256 for x in sorted(stored, key=lambda x: x.id)
    ]
    _assert_every_letter_starts_a_sheet(result.pdf, people)
    with database.session() as s:  # nothing new was made
        assert len(s.scalars(select(m.Letter.id)).all()) == 2


def _due(database, actor, **kw):
    with database.session() as s:
        return letters_due(s, actor, **kw)


def test_a_batch_closed_without_printing_leaves_its_letters_due(database, team, letterhead_set):
    cases = _people_cases(database, team, ["Testsix"])
    w = team["worker1"]
    before = _due(database, w)
    assert [(d.case_id, d.made) for d in before] == [(cases[0], False)]
    result = render_batch(database, w, before)
    assert len(result.letters) == 1
    # The preview was closed: nothing was printed or saved, so the letter is still due.
    after = _due(database, w)
    assert [(d.case_id, d.letter_id, d.state) for d in after] == [
        (cases[0], result.letters[0].id, "due")
    ]


def test_due_printed_posted_returned(database, team, letterhead_set):
    cases = _people_cases(database, team, ["Testseven"])
    w = team["worker1"]
    with database.session() as s:
        letter = create_letter(s, w, cases[0], "unable_to_contact")
    with database.session() as s, pytest.raises(RuleViolation, match="Only a printed letter"):
        mark_posted(s, w, [letter.id])
    with database.session() as s:
        record_prints(s, w, [letter.id], "Printer office", job="office-7")
    under_way = {d.letter_id: d for d in _due(database, w, under_way=True) if d.made}
    assert under_way[letter.id].state == "printed"
    assert "mark it posted" in under_way[letter.id].reason
    assert not [d for d in _due(database, w) if d.made]  # printed is no longer due
    with database.session() as s:
        posted = mark_posted(s, w, [letter.id])
    assert (posted.changed, posted.attempts, posted.not_logged) == (1, 1, ())
    with database.session() as s:
        returned = mark_returned(s, w, [letter.id])
    assert returned.attempts == 1
    with database.session() as s:
        outcomes = s.scalars(
            select(m.ContactAttempt.outcome)
            .where(m.ContactAttempt.case_id == cases[0], m.ContactAttempt.method == "letter")
            .order_by(m.ContactAttempt.id)
        ).all()
        assert outcomes == ["letter_sent", "returned_mail"]
        assert s.scalar(select(m.LetterPrint.job)) == "office-7"
        changes = s.scalars(
            select(m.AuditEvent.details).where(
                m.AuditEvent.entity == "letter",
                m.AuditEvent.entity_id == letter.id,
                m.AuditEvent.action == "update",
            )
        ).all()
        assert len(changes) == 2 and '"returned"' in changes[-1]
        summary = letters_for_case(s, w, cases[0])[0]
        assert summary.state == "returned" and summary.prints == 1
    # A returned letter is done with: it leaves the list.
    assert not [d for d in _due(database, w, under_way=True) if d.made]


def test_a_letter_to_the_gp_is_posted_without_a_contact_attempt(database, team, letterhead_set):
    w = team["worker1"]
    with database.session() as s:
        case_id = add_case(s, w.id, reference="T-GP", with_treatment=False)
        letter = create_letter(s, w, case_id, "gp_notification")
        record_prints(s, w, [letter.id], "Saved as PDF file gp.pdf")
    with database.session() as s:
        posted = mark_posted(s, w, [letter.id])
    assert (posted.changed, posted.attempts) == (1, 0)


def test_a_colleagues_letter_cannot_be_marked(database, team, letterhead_set):
    cases = _people_cases(database, team, ["Testeight"])
    with database.session() as s:
        letter = create_letter(s, team["worker1"], cases[0], "unable_to_contact")
        record_prints(s, team["worker1"], [letter.id], "Printer office")
    with database.session() as s, pytest.raises(Exception, match="not in your caseload"):
        mark_posted(s, team["worker2"], [letter.id])
    with database.session() as s:
        assert s.get(m.Letter, letter.id).state == "printed"


def test_batch_text_is_the_letters_text(database, team, letterhead_set):
    cases = _people_cases(database, team, ["Testnine"])
    result = render_batch(database, team["worker1"], [LetterRequest(cases[0], "unable_to_contact")])
    assert "Dear Testnine" in pdf_text(result.pdf)
