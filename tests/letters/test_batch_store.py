"""A batch stores every letter with its hash and its audit event, in one go, and each letter it
prints reads exactly as the same letter made on its own."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from followup.audit.chain import verify_chain
from followup.db import models as m
from followup.letters.batch import render_batch
from followup.letters.content import LetterRequest
from followup.letters.making import preview_letter
from tests.letters.helpers import NOW, add_case, letterhead_set_fixture  # noqa: F401
from tests.letters.test_batch import _attempts, _due


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_batch_stores_audits_and_prints_each_letter_as_made_alone(database, team, letterhead_set):
    w = team["worker1"]
    with database.session() as s:
        # Letters to the person, treatment referral and GP letters, on three cases.
        cases = [
            add_case(s, w.id, first=first, reference=f"B-{i}")
            for i, first in enumerate(("Alex", "Zoë", "Łukasz"))
        ]
        for case_id in cases:
            _attempts(s, case_id, 3)
        # On the last case, letter consent given and then withdrawn: that letter is refused.
        person_id = s.get(m.Case, cases[2]).person_id
        s.add(
            m.ConsentEntry(
                person_id=person_id,
                case_id=cases[2],
                scope="contact_letter",
                state="withdrawn",
                method="verbal_by_phone",
                recorded_by_id=w.id,
                recorded_at=NOW - timedelta(days=1),
            )
        )
    with database.session() as s:
        events_before = len(s.scalars(select(m.AuditEvent.id)).all())
    due = _due(database, w)
    result = render_batch(database, w, due)

    assert [(x.case_id, x.template) for x in result.skipped] == [(cases[2], "unable_to_contact")]
    assert "consent to letters" in result.skipped[0].reason
    made = {(r.case_id, r.template) for r in result.letters}
    assert made == {
        (c, t)
        for c in cases
        for t in ("unable_to_contact", "treatment_referral", "gp_notification")
    } - {(cases[2], "unable_to_contact")}

    # Page for page, the print job is each letter as it reads when made on its own.
    pages = _pages(result.pdf)
    for record, start in zip(result.letters, result.starts, strict=True):
        with database.session() as s:
            alone = _pages(preview_letter(s, w, LetterRequest(record.case_id, record.template)))
        assert pages[start - 1 : start - 1 + len(alone)] == alone
        assert _pages(record.pdf) == alone

    with database.session() as s:
        # Each letter stored with its PDF and the hash of it, due until printed.
        stored = {
            letter.id: letter
            for letter in s.scalars(
                select(m.Letter).where(m.Letter.id.in_([r.id for r in result.letters]))
            )
        }
        assert len(stored) == len(result.letters)
        for record in result.letters:
            letter = stored[record.id]
            assert letter.pdf == record.pdf
            assert letter.sha256 == record.sha256 == hashlib.sha256(record.pdf).hexdigest()
            assert (letter.case_id, letter.template, letter.author_id) == (
                record.case_id,
                record.template,
                w.id,
            )
            assert letter.state == "due"
        # One create event per letter, in the order the letters were stored, by this worker.
        events = s.scalars(
            select(m.AuditEvent).where(m.AuditEvent.entity == "letter").order_by(m.AuditEvent.id)
        ).all()
        assert [(e.entity_id, e.action, e.user_id) for e in events] == [
            (r.id, "create", w.id) for r in sorted(result.letters, key=lambda r: r.id)
        ]
        for e in events:
            details = json.loads(e.details)
            record = next(r for r in result.letters if r.id == e.entity_id)
            assert details == {
                "case_id": record.case_id,
                "template": record.template,
                "sha256": record.sha256,
            }
        # The audit chain runs unbroken through them (SQLite; PostgreSQL is not chained).
        report = verify_chain(s)
        assert report.ok
        if database.is_sqlite:
            assert report.checked >= events_before + len(result.letters)


def test_a_batch_of_stored_letters_prints_them_as_they_were(database, team, letterhead_set):
    w = team["worker1"]
    with database.session() as s:
        case_id = add_case(s, w.id, reference="B-9", with_treatment=False, gp=None)
        _attempts(s, case_id, 3)
    first = render_batch(database, w, _due(database, w))
    assert len(first.letters) == 1
    # Not printed yet: the letter is still due, as the stored one; printing again makes no new one.
    again = _due(database, w)
    assert [d.letter_id for d in again] == [first.letters[0].id]
    second = render_batch(database, w, again)
    assert [r.id for r in second.letters] == [first.letters[0].id]
    assert second.letters[0].pdf == first.letters[0].pdf
    assert second.letters[0].author == w.display_name
    assert _pages(second.pdf)[: len(_pages(first.letters[0].pdf))] == _pages(first.letters[0].pdf)
    with database.session() as s:
        assert len(s.scalars(select(m.Letter.id)).all()) == 1
