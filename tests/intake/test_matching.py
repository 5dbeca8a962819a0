"""Intake matching, cases and scene consent: repeat overdoses are linked, not duplicated.

Runs on SQLite and, when configured, PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from followup.casework.schedule import DEFAULT_SCHEDULE
from followup.db import models as m
from followup.intake.importer import overdose_history, referral_counts
from tests.intake.helpers import NOW, nhs, row, write_csv
from tests.intake.test_importer import _count, _import, _one, _referral

# ----------------------------------------------------------------------------- matching


def _person_of(database, ref):
    return _referral(database, ref).person_id


def test_same_nhs_number_links_even_with_another_spelling(database, team, tmp_path):
    _import(
        database,
        team["worker1"],
        write_csv(tmp_path / "1.csv", [row(police_reference="M-1", nhs_number=nhs(2))]),
    )
    summary = _import(database, team["worker1"], write_csv(tmp_path / "2.csv", [row(
        police_reference="M-2", first_name="Tess", last_name="Tester", date_of_birth="",
        nhs_number=nhs(2))]))  # fmt: skip
    assert (summary.linked_repeat, summary.needs_review) == (1, 0)
    assert _person_of(database, "M-1") == _person_of(database, "M-2")
    assert _count(database, m.Person) == 1


@pytest.mark.parametrize(
    ("known", "incoming"),
    [
        (("John", "Smith"), ("", "Smith, John")),
        (("John", "Smith"), ("Smith", "John")),
        (("Sean", "O'Brien"), ("Sean", "OBrien")),
        (("John", "McTestface"), ("Jon", "McTestface")),
        (("Zoë", "Testperson"), ("zoe", "TESTPERSON")),
    ],
)
def test_same_birth_date_and_close_name_links(database, team, tmp_path, known, incoming):
    first = write_csv(tmp_path / "1.csv", [row(police_reference="K-1", first_name=known[0],
                                              last_name=known[1])])  # fmt: skip
    second = write_csv(tmp_path / "2.csv", [row(police_reference="K-2", first_name=incoming[0],
                                               last_name=incoming[1])])  # fmt: skip
    _import(database, team["worker1"], first)
    summary = _import(database, team["worker1"], second)
    assert (summary.linked_repeat, summary.needs_review) == (1, 0)
    assert _person_of(database, "K-1") == _person_of(database, "K-2")


def test_uncertain_match_waits_for_review_with_a_new_person(database, team, tmp_path):
    _import(database, team["worker1"], write_csv(tmp_path / "1.csv", [
        row(police_reference="R-1", first_name="John", last_name="Testington")]))  # fmt: skip
    summary = _import(database, team["worker1"], write_csv(tmp_path / "2.csv", [
        row(police_reference="R-2", first_name="Jane", last_name="Testington"),
        row(police_reference="R-3", first_name="John", last_name="Testington",
            date_of_birth="02/02/1980"),
    ]))  # fmt: skip
    assert (summary.imported, summary.linked_repeat, summary.needs_review) == (2, 0, 1)
    review = _one(database, m.MatchReview)
    assert review.state == "pending"
    assert review.candidate_person_id == _person_of(database, "R-1")
    assert review.incoming_person_id == _person_of(database, "R-2") != review.candidate_person_id
    assert 80 <= review.score < 92
    assert _count(database, m.Person) == 3


def test_different_nhs_numbers_never_link(database, team, tmp_path):
    path = write_csv(tmp_path / "n.csv", [
        row(police_reference="X-1", nhs_number=nhs(3)),
        row(police_reference="X-2", nhs_number=nhs(4)),
    ])  # fmt: skip
    summary = _import(database, team["worker1"], path)
    assert (summary.linked_repeat, summary.needs_review) == (0, 0)
    assert _count(database, m.Person) == 2


def test_two_rows_for_one_new_person_in_a_file_share_person_and_case(database, team, tmp_path):
    path = write_csv(tmp_path / "s.csv", [
        row(police_reference="S-1", phone="07700 900001"),
        row(police_reference="S-2", phone="07700 900002", email="testy@example.org"),
    ])  # fmt: skip
    summary = _import(database, team["worker1"], path)
    assert (summary.imported, summary.linked_repeat, len(summary.cases_created)) == (2, 1, 1)
    one, two = _referral(database, "S-1"), _referral(database, "S-2")
    assert one.person_id == two.person_id and one.case_id == two.case_id
    with database.session() as s:
        person = s.get(m.Person, one.person_id)
        # Blanks are filled; a different phone stays on the referral's notes, not overwritten.
        assert (person.phone, person.email) == ("+447700900001", "testy@example.org")
    assert "+447700900002" in two.notes


def test_open_case_gets_the_repeat_and_a_closed_one_does_not(database, team, tmp_path):
    _import(database, team["worker1"], write_csv(tmp_path / "1.csv", [
        row(police_reference="C-1", nhs_number=nhs(5), postcode="B5 6DD")]))  # fmt: skip
    first = _referral(database, "C-1")
    case = _one(database, m.Case, m.Case.id == first.case_id)
    assert (case.status, case.assigned_worker_id, case.area, case.police_reference) == (
        "new",
        None,
        "B5",
        "C-1",
    )
    assert case.referred_at == NOW
    assert case.next_action_due_at == DEFAULT_SCHEDULE.first_attempt_due(NOW)
    change = _one(database, m.CaseStatusChange, m.CaseStatusChange.case_id == case.id)
    assert (change.from_status, change.to_status) == (None, "new")

    later = NOW + timedelta(days=1)
    _import(database, team["worker1"], write_csv(tmp_path / "2.csv", [
        row(police_reference="C-2", nhs_number=nhs(5))]), now=later)  # fmt: skip
    assert _referral(database, "C-2").case_id == case.id
    assert _count(database, m.Case) == 1

    with database.session() as s:
        s.execute(
            update(m.Case)
            .where(m.Case.id == case.id)
            # Closed long ago: within reoverdose.reopen_within_days (90) it would reopen
            # (tests/casework/test_reoverdose.py).
            .values(
                status="closed", closure_reason="declined", closed_at=later - timedelta(days=91)
            )
        )
    summary = _import(database, team["worker1"], write_csv(tmp_path / "3.csv", [
        row(police_reference="C-3", nhs_number=nhs(5), incident_postcode="B4 6AT",
            postcode="")]), now=later)  # fmt: skip
    third = _referral(database, "C-3")
    assert third.case_id != case.id and summary.cases_created == [third.case_id]
    assert summary.linked_repeat == 1
    with database.session() as s:
        assert len(overdose_history(s, first.person_id)) == 3
        assert referral_counts(s, [first.person_id]) == {first.person_id: 3}
        # The person's stored postcode (B5) gives the area of the new case.
        assert s.get(m.Case, third.case_id).area == "B5"


# ------------------------------------------------------------------------------ consent


def test_scene_consent(database, team, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        row(police_reference="Y-1", first_name="Ann", consent_to_share="Y"),
        row(police_reference="N-1", first_name="Bea", consent_to_share="no"),
        row(police_reference="U-1", first_name="Cat", consent_to_share="unknown"),
    ])  # fmt: skip
    assert _import(database, team["worker1"], path).clean
    with database.session() as s:
        entries = s.scalars(select(m.ConsentEntry).order_by(m.ConsentEntry.scope)).all()
    yes, no = _person_of(database, "Y-1"), _person_of(database, "N-1")
    # Only Y records consent; N stays on the referral for the worker to see and ask about.
    assert {(e.person_id, e.scope, e.state) for e in entries} == {
        (yes, "contact_letter", "given"),
        (yes, "contact_phone", "given"),
        (yes, "contact_sms", "given"),
    }
    assert no not in {e.person_id for e in entries}
    entry = entries[0]
    assert entry.method == "verbal_at_scene_via_police"
    assert "PC Example" in entry.source and "1234" in entry.source
    assert (
        entry.recorded_by_id is None
    )  # taken by the officer (tests/intake/test_police_consent.py)
    assert entry.recorded_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert _referral(database, "Y-1").consent_at_scene == "Y"
    assert _referral(database, "N-1").consent_at_scene == "N"
