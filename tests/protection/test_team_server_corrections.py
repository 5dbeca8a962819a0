"""Case notes and corrections on a real team server: a worker's note and corrections pass the
server's rules, another worker cannot read the note (nor find the case by it), a lead can."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from followup.casework import caseload, corrections, notes, people
from followup.casework.detail import case_detail
from followup.casework.lifecycle import record_contact_attempt
from followup.db import models as m
from followup.intake.importer import import_file
from followup.intake.inbox import take_case
from followup.vocab import ContactMethod, ContactOutcome
from tests.intake.helpers import NOW, nhs, row, write_csv
from tests.protection.team_helpers import Team, server_team  # noqa: F401  (a fixture)

pytestmark = pytest.mark.postgres


def test_notes_and_corrections_follow_the_case_on_the_team_server(
    server_team: Team,  # noqa: F811
    tmp_path,
):
    referrals = tmp_path / "notes.csv"
    write_csv(referrals, [row(first_name="Testy", last_name="Noteworthy", nhs_number=nhs(7))])
    db, worker_a = server_team.sign_in(server_team.worker_a)
    try:
        import_file(db, worker_a, referrals, now=NOW)
        with db.session() as s:
            case_id = s.scalar(select(m.Case.id))
            take_case(s, worker_a, case_id)
        with db.session() as s:
            notes.add_note(s, worker_a, case_id, None, "Prefers Zanzibar hours")
            attempt = record_contact_attempt(
                s,
                worker_a,
                case_id,
                ContactMethod.PHONE,
                ContactOutcome.NO_ANSWER,
                None,
                number="07700 900123",
            ).id
            people.update_person(
                s, worker_a, case_id, None, {"gp_practice": "Test Surgery"}, person_version=None
            )
        with db.session() as s:
            corrections.mark_entered_in_error(
                s, worker_a, case_id, None, "attempt", attempt, "Wrong person"
            )
            change = s.scalar(select(m.PersonChange.id))
            corrections.amend(
                s, worker_a, case_id, None, "person", change, "Misheard", {"value": "Other Surgery"}
            )
        with db.session() as s:
            detail = case_detail(s, worker_a, case_id, audit_view=False)
            assert detail.attempts == () and detail.person.gp_practice == "Other Surgery"
            assert caseload.list_cases(s, worker_a, caseload.CaseQuery(search="zanzibar"))
    finally:
        db.dispose()
    with server_team.raw(server_team.worker_b) as conn:
        assert conn.execute("SELECT count(*) FROM case_note").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM person_change").fetchone()[0] == 0
    db, worker_b = server_team.sign_in(server_team.worker_b)
    try:
        with db.session() as s:
            query = caseload.CaseQuery(search="zanzibar", statuses=())
            assert caseload.list_cases(s, worker_b, query) == []
    finally:
        db.dispose()
    db, lead = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            assert [
                r.id for r in caseload.list_cases(s, lead, caseload.CaseQuery(search="zanzibar"))
            ] == [case_id]
            timeline = case_detail(s, lead, case_id, audit_view=False).timeline
            assert [e.voided for e in timeline if e.ref == "attempt"] == [True]
            assert sorted(e.voided for e in timeline if e.ref == "person") == [False, True]
    finally:
        db.dispose()
