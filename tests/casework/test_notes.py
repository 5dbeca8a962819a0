"""Case notes: written on a case, in its timeline, found by the caseload search only for those
who may see the case, in the subject-access pack (with corrections), removed by retention;
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from followup.casework import caseload, corrections, lifecycle, notes, people
from followup.casework.detail import case_detail
from followup.db import models as m
from followup.errors import PermissionDenied, RuleViolation
from followup.letters.making import create_letter
from followup.letters.settings import set_letterhead
from followup.protection import purge
from followup.protection.subject_access.pack import subject_access
from followup.protection.subject_access.pdf import render_subject_access_pdf
from followup.vocab import LetterTemplate

NOW = datetime.now(UTC)


@pytest.fixture
def case(database, team):
    """A case of worker1's, received yesterday."""
    with database.session() as s:
        person = m.Person(first_name="Testperson", last_name="Notely")
        s.add(person)
        s.flush()
        c = m.Case(
            person_id=person.id,
            police_reference="TST-NOTE",
            referred_at=NOW - timedelta(days=1),
            assigned_worker_id=team["worker1"].id,
            status="contacting",
        )
        s.add(c)
        s.flush()
        return c.id


def add(db, actor, case_id, text):
    with db.session() as s:
        return notes.add_note(s, actor, case_id, None, text).id


def test_a_note_shows_in_the_timeline_with_its_author(database, team, case):
    note = add(database, team["worker1"], case, "  Sister says he is staying with her.  ")
    with database.session() as s:
        d = case_detail(s, team["worker1"], case, audit_view=False)
        (shown,) = [e for e in d.timeline if e.ref == "note"]
        assert (shown.kind, shown.text, shown.by) == (
            "note",
            "Sister says he is staying with her.",
            "Wendy Worker",
        )
        assert shown.ref_id == note and shown.correct_problem is None
        # The audit says a note was written, never what it says.
        details = s.scalars(
            select(m.AuditEvent.details).where(m.AuditEvent.entity == "case_note")
        ).all()
        assert details and all("Sister" not in (d or "") for d in details)


def test_an_empty_note_or_someone_elses_case_is_refused(database, team, case):
    with database.session() as s, pytest.raises(RuleViolation, match="Write the note first"):
        notes.add_note(s, team["worker1"], case, None, "   ")
    with database.session() as s, pytest.raises(PermissionDenied):
        notes.add_note(s, team["worker2"], case, None, "Not my case")
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.CaseNote)) == 0


def test_the_caseload_search_finds_a_note_for_those_who_may_see_the_case(database, team, case):
    add(database, team["worker1"], case, "Prefers calls after Zanzibar hours")
    query = caseload.CaseQuery(search="zanzibar")
    with database.session() as s:
        assert [r.id for r in caseload.list_cases(s, team["worker1"], query)] == [case]
        assert [r.id for r in caseload.list_cases(s, team["lead"], query)] == [case]
        assert caseload.list_cases(s, team["worker2"], query) == []
        assert caseload.count_cases(s, team["worker1"], query) == 1


def test_a_note_entered_in_error_is_no_longer_found(database, team, case):
    note = add(database, team["worker1"], case, "Zanzibar mentioned by mistake")
    with database.session() as s:
        corrections.mark_entered_in_error(
            s, team["worker1"], case, None, "note", note, "Wrong person"
        )
    with database.session() as s:
        query = caseload.CaseQuery(search="zanzibar")
        assert caseload.list_cases(s, team["lead"], query) == []


def test_a_note_never_goes_into_a_letter(database, team, case):
    worker = team["worker1"]
    with database.session() as s:
        c = s.get(m.Case, case)
        person = s.get(m.Person, c.person_id)
        person.address, person.postcode = "1 Synthetic Street, Testville", "ZZ99 1AA"
        s.add(
            m.ConsentEntry(
                person_id=person.id,
                case_id=case,
                scope="contact_letter",
                state="given",
                method="in_person",
                recorded_at=NOW - timedelta(hours=3),
            )
        )
    add(database, worker, case, "Private: Zanzibar plans")
    with database.session() as s:
        set_letterhead(
            s,
            team["admin"],
            name="Synthetic Support Team",
            address="1 Test Road\nTestville",
            phone="0121 496 0000",
        )
    with database.session() as s:
        letter = create_letter(
            s,
            worker,
            case,
            LetterTemplate.APPOINTMENT,
            appointment_time=NOW + timedelta(days=2),
            appointment_place="The Synthetic Centre",
        )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.pdf)).pages)
    assert "Synthetic Centre" in text and "Testperson" in text
    assert "Zanzibar" not in text


def test_the_subject_access_pack_holds_notes_and_corrections(database, team, case):
    worker = team["worker1"]
    note = add(database, worker, case, "Testperson asked for a callback")
    with database.session() as s:
        attempt = lifecycle.record_contact_attempt(
            s,
            worker,
            case,
            "phone",
            "no_answer",
            None,
            when=NOW - timedelta(hours=2),
            number="07700 900123",
        ).id
        corrections.mark_entered_in_error(
            s, worker, case, None, "attempt", attempt, "Wrong person called"
        )
        corrections.amend(s, worker, case, None, "note", note, "Typo", {"text": "Asked for a call"})
        people.update_person(
            s, worker, case, None, {"gp_practice": "Test Surgery"}, person_version=None
        )
        person_id = s.get(m.Case, case).person_id
    with database.session() as s:
        pack = subject_access(s, team["lead"], person_id)
    texts = {n["text"]: n for n in pack.sections["case_notes"]}
    assert set(texts) == {"Testperson asked for a callback", "Asked for a call"}
    assert texts["Testperson asked for a callback"]["void_reason"] == "Typo"
    assert texts["Asked for a call"]["amends_id"] == note
    (kept,) = pack.sections["contact_attempts"]
    assert kept["voided_by"] == "Wendy Worker" and kept["void_reason"] == "Wrong person called"
    assert [c["field"] for c in pack.sections["person_changes"]] == ["gp_practice"]
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_subject_access_pdf(pack))).pages
    )
    text = " ".join(text.split())
    assert "Case notes (2)" in text
    assert "[CORRECTED]" in text
    assert f"Record {attempt} was marked entered in error by Wendy Worker" in text
    assert "Wrong person called" in text
    assert f"Record {note} was amended by Wendy Worker" in text
    assert "Changes to your details (1)" in text and "Test Surgery" in text


def test_retention_removes_notes_and_detail_changes_with_the_person(database, team, case):
    worker = team["worker1"]
    note = add(database, worker, case, "To be destroyed")
    with database.session() as s:
        people.update_person(
            s, worker, case, None, {"gp_practice": "Test Surgery"}, person_version=None
        )
        corrections.amend(s, worker, case, None, "note", note, "Typo", {"text": "Destroyed too"})
        person_id = s.get(m.Case, case).person_id
        counts = purge.purge_counts(s, person_id)
        assert counts["case_note"] == 2 and counts["person_change"] == 1
    with database.session() as s:
        purge.purge_person(s, team["admin"], person_id)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.CaseNote)) == 0
        assert s.scalar(select(func.count()).select_from(m.PersonChange)) == 0
        assert s.get(m.Person, person_id) is None
