"""The schema on SQLite and PostgreSQL: migrations, round-trips and constraints."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from followup.db import models as m
from followup.db.migrate import head_revision, schema_state


def test_migrations_create_every_table_at_head(database):
    tables = set(inspect(database.engine).get_table_names())
    assert set(m.Base.metadata.tables) <= tables
    assert schema_state(database).current == head_revision()


def _person_case_referral(s, ref="TEST-0001", force="Test Force"):
    now = datetime.now(UTC)
    person = m.Person(
        first_name="Testy",
        last_name="McTestface",
        date_of_birth=date(1980, 1, 2),
        nhs_number="9990000018",
        phone="+447700900001",
        postcode="B5 6DD",
    )
    s.add(person)
    s.flush()
    case = m.Case(person_id=person.id, police_reference=ref, referred_at=now, area="B5")
    s.add(case)
    s.flush()
    referral = m.Referral(
        case_id=case.id,
        person_id=person.id,
        police_reference=ref,
        force=force,
        incident_at=now - timedelta(hours=3),
        naloxone_doses=2,
    )
    s.add(referral)
    s.flush()
    return person, case, referral


def test_every_model_round_trips(database):
    with database.session() as s:
        user = m.User(username="u1", display_name="User One", role="worker", password_hash="x")
        s.add(user)
        person, case, referral = _person_case_referral(s)
        service = m.Service(name="Test Recovery Service", service_type="treatment")
        s.add(service)
        s.flush()
        s.add_all(
            [
                m.Setting(key="k", value="v"),
                m.CaseStatusChange(case_id=case.id, to_status="new"),
                m.ReferralWarning(
                    referral_id=referral.id,
                    row_number=2,
                    field="nhs_number",
                    reason="fails its check digit",
                ),
                m.ConsentEntry(
                    person_id=person.id,
                    scope="contact_phone",
                    state="given",
                    method="verbal_at_scene_via_police",
                ),
                m.ContactAttempt(
                    case_id=case.id, method="phone", outcome="no_answer", worker_id=user.id
                ),
                m.TreatmentReferral(
                    case_id=case.id, service_id=service.id, referred_on=date(2026, 1, 5)
                ),
                m.NaloxoneSupply(
                    case_id=case.id,
                    person_id=person.id,
                    supplied_on=date(2026, 1, 5),
                    kit_type="nasal",
                    expires_on=date(2028, 1, 1),
                ),
                m.AuditEvent(action="view", entity="case", entity_id=case.id, user_id=user.id),
            ]
        )
        letter = m.Letter(
            case_id=case.id, template="appointment", sha256="0" * 64, pdf=b"%PDF-1.4 test\x00\xff"
        )
        s.add(letter)
        s.flush()
        s.add(m.LetterPrint(letter_id=letter.id, printed_by_id=user.id))
        ids = {"case": case.id, "letter": letter.id}
    with database.session() as s:
        case = s.get(m.Case, ids["case"])
        assert case.person.last_name == "McTestface"
        assert case.referrals[0].naloxone_doses == 2
        assert case.referred_at.tzinfo is not None
        assert s.get(m.Letter, ids["letter"]).pdf == b"%PDF-1.4 test\x00\xff"
        assert s.scalar(select(m.NaloxoneSupply.expires_on)) == date(2028, 1, 1)
        assert s.scalar(select(m.ConsentEntry.scope)) == "contact_phone"
        assert s.scalar(select(m.ReferralWarning.field)) == "nhs_number"
        assert s.scalar(select(m.LetterPrint.letter_id)) == ids["letter"]


def test_police_reference_is_unique_per_force(database):
    with database.session() as s:
        _, case, _ = _person_case_referral(s)
        case_id, person_id = case.id, case.person_id
    with pytest.raises(IntegrityError), database.session() as s:
        s.add(
            m.Referral(
                case_id=case_id,
                person_id=person_id,
                police_reference="TEST-0001",
                force="Test Force",
                incident_at=datetime.now(UTC),
            )
        )
    # The same reference from another force is a different incident.
    with database.session() as s:
        s.add(
            m.Referral(
                case_id=case_id,
                person_id=person_id,
                police_reference="TEST-0001",
                force="Other Force",
                incident_at=datetime.now(UTC),
            )
        )


def test_foreign_keys_hold(database):
    with pytest.raises(IntegrityError), database.session() as s:
        s.add(m.ContactAttempt(case_id=987654, method="phone", outcome="no_answer"))
        s.flush()


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("case_file", "status", "lost"),
        ("contact_attempt", "method", "pigeon"),
        ("user_account", "role", "superuser"),
        ("referral", "naloxone_doses", 11),
    ],
)
def test_check_constraints_refuse_values_outside_the_vocabulary(database, table, column, value):
    with database.session() as s:
        _, case, referral = _person_case_referral(s)
        s.add(m.User(username="u", display_name="U", role="worker", password_hash="x"))
        s.add(m.ContactAttempt(case_id=case.id, method="phone", outcome="no_answer"))
        ids = {"case_file": case.id, "referral": referral.id}
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        where = f"id = {ids[table]}" if table in ids else "1 = 1"
        conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE {where}"), {"v": value})


def test_closed_case_needs_a_closure_reason(database):
    with database.session() as s:
        _, case, _ = _person_case_referral(s)
        case_id = case.id
    with pytest.raises(IntegrityError), database.session() as s:
        s.get(m.Case, case_id).status = "closed"
