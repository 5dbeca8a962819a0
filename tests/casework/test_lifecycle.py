"""Casework rules: consent gates, contact attempts, the lifecycle, treatment, kits, person
details, "my work", audit and lost updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from followup.casework import consent, lifecycle, people, treatment
from followup.casework.detail import case_detail
from followup.casework.my_work import my_work
from followup.db import models as m
from followup.errors import DatabaseBusy, PermissionDenied, RuleViolation, StaleEdit

NOW = datetime.now(UTC)


@pytest.fixture
def case(database, team):
    """A case received 20 days ago, assigned to worker1, with phone/text/letter consent given at
    the scene; returns its id."""
    with database.session() as s:
        person = m.Person(
            first_name="Testy",
            last_name="McTestface",
            date_of_birth=date(1980, 1, 2),
            phone="+447700900001",
            address="1 Test Street\nTestville",
            postcode="B5 6DD",
        )
        s.add(person)
        s.flush()
        c = m.Case(
            person_id=person.id,
            police_reference="TST-100",
            area="B5",
            referred_at=NOW - timedelta(days=20),
            assigned_worker_id=team["worker1"].id,
            next_action_due_at=NOW - timedelta(days=17),
        )
        s.add(c)
        s.flush()
        s.add(
            m.Referral(
                case_id=c.id,
                person_id=person.id,
                police_reference="TST-100",
                force="Test Force",
                incident_at=c.referred_at,
                consent_at_scene="Y",
            )
        )
        for scope in ("contact_phone", "contact_sms", "contact_letter"):
            s.add(
                m.ConsentEntry(
                    person_id=person.id,
                    case_id=c.id,
                    scope=scope,
                    state="given",
                    method="verbal_at_scene_via_police",
                    source="PC Test (1234)",
                    recorded_at=c.referred_at,
                )
            )
        s.add(treatment.Service(name="Test Treatment Service", service_type="treatment"))
        return c.id


def version(db, case_id):
    with db.session() as s:
        return s.get(m.Case, case_id).version


def attempt(db, actor, case_id, method="phone", outcome="no_answer", days_ago=0.0, **kw):
    with db.session() as s:
        lifecycle.record_contact_attempt(
            s,
            actor,
            case_id,
            method,
            outcome,
            version(db, case_id),
            when=NOW - timedelta(days=days_ago),
            **kw,
        )


def status(db, case_id):
    with db.session() as s:
        return s.get(m.Case, case_id).status


def give(db, actor, case_id, scope, state="given", method="verbal_by_phone"):
    with db.session() as s:
        lifecycle.record_consent(s, actor, case_id, scope, state, method, version(db, case_id))


def test_first_attempt_moves_new_to_contacting_and_schedules_the_next(database, team, case):
    w = team["worker1"]
    attempt(database, w, case, days_ago=19)
    with database.session() as s:
        c = s.get(m.Case, case)
        assert c.status == "contacting"
        first = s.scalar(select(m.ContactAttempt.attempted_at))
        assert c.next_action_due_at == first + timedelta(days=1)
    attempt(database, w, case, "sms", "message_sent", days_ago=18)
    with database.session() as s:
        assert s.get(m.Case, case).next_action_due_at == first + timedelta(days=3)


def test_a_new_case_without_a_worker_cannot_be_worked(database, team, case):
    with database.session() as s:
        s.get(m.Case, case).assigned_worker_id = None
    with pytest.raises(RuleViolation, match="Assign the case"):
        attempt(database, team["lead"], case)
    with (
        pytest.raises(RuleViolation, match="leaves New only once a worker is assigned"),
        database.session() as s,
    ):
        lifecycle.advance(s, team["lead"], case, "contacting", None)


def test_only_the_assigned_worker_or_a_lead_may_change_a_case(database, team, case):
    with pytest.raises(PermissionDenied, match="Only the assigned worker or a team lead"):
        attempt(database, team["worker2"], case)
    with pytest.raises(PermissionDenied):
        attempt(database, team["admin"], case)
    attempt(database, team["lead"], case)


def test_withdrawn_consent_stops_that_method_at_once(database, team, case):
    w = team["worker1"]
    attempt(database, w, case, "phone", "no_answer", days_ago=5)
    give(database, w, case, "contact_phone", "withdrawn")
    with pytest.raises(RuleViolation, match="Consent to phone calls was withdrawn"):
        attempt(database, w, case, "phone")
    attempt(database, w, case, "sms", "message_sent")  # other methods still work
    with database.session() as s:
        detail = case_detail(s, w, case)
    assert "withdrawn" in detail.method_problems["phone"]
    assert detail.method_problems["sms"] is None
    assert detail.consents["contact_phone"].state == "withdrawn"
    # History is kept: the scene consent is still there beneath the withdrawal.
    assert [(c.scope, c.state) for c in detail.consent_history if c.scope == "contact_phone"] == [
        ("contact_phone", "withdrawn"),
        ("contact_phone", "given"),
    ]


def test_withdrawal_needs_consent_that_was_given(database, team, case):
    with pytest.raises(RuleViolation, match="can be withdrawn only when it was given"):
        give(database, team["worker1"], case, "home_visit", "withdrawn")


def test_home_visit_only_after_a_remote_attempt_or_with_consent(database, team, case):
    w = team["worker1"]
    with pytest.raises(RuleViolation, match="A home visit comes after a phone call"):
        attempt(database, w, case, "home_visit", "not_at_address")
    give(database, w, case, "home_visit")
    attempt(database, w, case, "home_visit", "not_at_address")
    give(database, w, case, "home_visit", "withdrawn")
    with pytest.raises(RuleViolation, match="home visits was withdrawn"):
        attempt(database, w, case, "home_visit", "not_at_address")


def test_home_visit_allowed_after_a_letter(database, team, case):
    w = team["worker1"]
    attempt(database, w, case, "letter", "letter_sent", days_ago=3)
    attempt(database, w, case, "home_visit", "spoke_declined")


def test_unable_to_contact_needs_three_attempts_seven_days_two_methods(database, team, case):
    w = team["worker1"]
    close = lambda: lifecycle.close_case(  # noqa: E731
        s,
        w,
        case,
        "unable_to_contact",
        version(database, case),
        no_contact_reason="no_response_to_attempts",
    )
    attempt(database, w, case, "phone", "no_answer", days_ago=10)
    attempt(database, w, case, "phone", "no_answer", days_ago=9)
    with pytest.raises(RuleViolation) as info, database.session() as s:
        close()
    assert str(info.value) == (
        "Closing as unable to contact needs 3 attempts (so far 2), attempts spread over 7 days "
        "(so far 1), 2 different methods (so far 1)."
    )
    attempt(database, w, case, "phone", "no_answer", days_ago=1)
    with pytest.raises(RuleViolation, match="2 different methods"), database.session() as s:
        close()
    attempt(database, w, case, "letter", "letter_sent", days_ago=0.5)
    with database.session() as s:
        close()
    assert status(database, case) == "closed"


def test_the_whole_lifecycle_to_treatment_and_closure_then_reopen(database, team, case):
    w = team["worker1"]
    with pytest.raises(RuleViolation, match="log that contact attempt"), database.session() as s:
        lifecycle.advance(s, w, case, "contacting", None)
        lifecycle.advance(s, w, case, "engaged", None)
    attempt(database, w, case, "phone", "spoke_engaged", days_ago=2)
    assert status(database, case) == "engaged"
    with database.session() as s:
        service_id = s.scalar(select(m.Service.id))
    refer = lambda: treatment.refer_to_treatment(  # noqa: E731
        s, w, case, service_id, NOW.date() - timedelta(days=1), version(database, case)
    )
    with (
        pytest.raises(
            RuleViolation,
            match="needs the person's consent to sharing with a treatment "
            "service, which has not been recorded",
        ),
        database.session() as s,
    ):
        refer()
    give(database, w, case, "share_with_treatment")
    with database.session() as s:
        refer()
    assert status(database, case) == "referred"
    with database.session() as s:
        tr_id = s.scalar(select(m.TreatmentReferral.id))
        with pytest.raises(RuleViolation, match="needs the case to be In treatment"):
            lifecycle.close_case(s, w, case, "engaged_in_treatment", None)
        treatment.update_treatment(
            s,
            w,
            tr_id,
            None,
            assessment_attended=True,
            treatment_started_on=NOW.date(),
            treatment_version=None,
        )
    assert status(database, case) == "in_treatment"
    with database.session() as s:
        lifecycle.close_case(s, w, case, "engaged_in_treatment", version(database, case))
    with pytest.raises(RuleViolation, match="This case is closed; reopen it"):
        attempt(database, w, case)
    with database.session() as s:
        lifecycle.reopen_case(s, w, case, version(database, case), "relapsed; asked for help again")
        c = s.get(m.Case, case)
    assert (c.status, c.closure_reason, c.closed_at) == ("contacting", None, None)
    with database.session() as s:
        changes = s.scalars(
            select(m.CaseStatusChange.to_status)
            .where(m.CaseStatusChange.case_id == case)
            .order_by(m.CaseStatusChange.id)
        ).all()
    assert changes == ["contacting", "engaged", "referred", "in_treatment", "closed", "contacting"]


def test_skipping_a_step_names_the_next_one(database, team, case):
    with (
        pytest.raises(RuleViolation, match="cannot move to referred; the next step is: Contacting"),
        database.session() as s,
    ):
        lifecycle.advance(s, team["worker1"], case, "referred", None)


def test_closure_needs_a_reason_and_other_needs_a_note(database, team, case):
    with pytest.raises(RuleViolation, match="Choose a closure reason"), database.session() as s:
        lifecycle.close_case(s, team["worker1"], case, "bored", None)
    with pytest.raises(RuleViolation, match="Say why in a note"), database.session() as s:
        lifecycle.close_case(s, team["worker1"], case, "other", None, no_contact_reason="other")
    with database.session() as s:
        lifecycle.close_case(
            s,
            team["worker1"],
            case,
            "moved_away",
            None,
            note="Moved to Leeds",
            no_contact_reason="moved_away",
        )


def test_treatment_exit_rules(database, team, case):
    w = team["worker1"]
    attempt(database, w, case, "phone", "spoke_engaged")
    give(database, w, case, "share_with_treatment")
    with database.session() as s:
        sid = s.scalar(select(m.Service.id))
        treatment.refer_to_treatment(s, w, case, sid, NOW.date(), None)
        tr = s.scalar(select(m.TreatmentReferral.id))
    with pytest.raises(RuleViolation, match="before recording an exit"), database.session() as s:
        treatment.update_treatment(
            s, w, tr, None, exit_on=NOW.date(), exit_reason="died", treatment_version=None
        )
    with (
        pytest.raises(RuleViolation, match="needs both a date and a reason"),
        database.session() as s,
    ):
        treatment.update_treatment(
            s,
            w,
            tr,
            None,
            treatment_started_on=NOW.date(),
            exit_on=NOW.date(),
            treatment_version=None,
        )
    with pytest.raises(RuleViolation, match="cannot be in the future"), database.session() as s:
        treatment.update_treatment(
            s,
            w,
            tr,
            None,
            treatment_started_on=NOW.date() + timedelta(days=3),
            treatment_version=None,
        )


def test_naloxone_supply_and_its_rules(database, team, case):
    w = team["worker1"]
    today = NOW.date()
    with pytest.raises(RuleViolation, match="A resupply needs a reason"), database.session() as s:
        treatment.record_naloxone_supply(
            s, w, case, None, supplied_on=today, kit_type="nasal", supply_type="resupply"
        )
    with pytest.raises(RuleViolation, match="expiry date must be after"), database.session() as s:
        treatment.record_naloxone_supply(
            s,
            w,
            case,
            None,
            supplied_on=today,
            kit_type="nasal",
            expires_on=today,
            batch_number="TESTBATCH0",
        )
    with database.session() as s:
        treatment.record_naloxone_supply(
            s,
            w,
            case,
            None,
            supplied_on=today - timedelta(days=30),
            kit_type="nasal",
            quantity=2,
            expires_on=date(2028, 5, 1),
            training_given=True,
            batch_number="TESTBATCH1",
        )
        treatment.record_naloxone_supply(
            s,
            w,
            case,
            None,
            supplied_on=today,
            kit_type="injectable",
            supply_type="resupply",
            resupply_reason="used_on_someone_else",
            expires_on=date(2028, 9, 1),
            batch_number="TESTBATCH2",
        )
        detail = case_detail(s, w, case)
    assert detail.kits_supplied == 3
    assert detail.latest_kit_expiry == date(2028, 9, 1)


def test_person_details_are_validated_and_audited(database, team, case):
    w = team["worker1"]
    for values, message in [
        ({"nhs_number": "0000000000"}, "dummy NHS number"),
        ({"nhs_number": "9990000019"}, "check digit"),
        ({"phone": "12345"}, "not a UK phone number"),
        ({"postcode": "NOT A CODE"}, "not a UK postcode"),
        ({"date_of_birth": NOW.date() + timedelta(days=1)}, "in the future"),
        ({"email": "nobody-at-all"}, "email address"),
        ({"first_name": "", "last_name": ""}, "Keep a name"),
    ]:
        with pytest.raises(RuleViolation, match=message), database.session() as s:
            people.update_person(s, w, case, None, values, person_version=None)
    with database.session() as s:
        diff = people.update_person(
            s,
            w,
            case,
            version(database, case),
            {
                "phone": "07700 900 123",
                "postcode": "b5 6dd",
                "nhs_number": "999 000 0018",
                "gp_practice": "Test Medical Centre",
            },
            person_version=None,
        )
    assert diff["phone"] == ["+447700900001", "+447700900123"]
    with database.session() as s:
        person = s.scalar(select(m.Person))
        assert (person.postcode, person.nhs_number) == ("B5 6DD", "9990000018")
        event = s.scalar(select(m.AuditEvent).where(m.AuditEvent.entity == "person"))
        private = s.scalar(select(m.AuditPrivateValue.details))
    # The audit row names the fields; the values sit apart, where the retention purge reaches.
    assert "Test Medical Centre" not in event.details and '"gp_practice"' in event.details
    assert '"gp_practice": [null, "Test Medical Centre"]' in private


def test_every_change_is_audited_and_opening_is_a_view(database, team, case):
    w = team["worker1"]
    attempt(database, w, case)
    give(database, w, case, "home_visit")
    with database.session() as s:
        case_detail(s, w, case)
        events = [
            tuple(e)
            for e in s.execute(
                select(m.AuditEvent.action, m.AuditEvent.entity).where(m.AuditEvent.user_id == w.id)
            )
        ]
    assert ("create", "contact_attempt") in events
    assert ("update", "case") in events  # new -> contacting, with before and after
    assert ("create", "consent") in events
    assert ("view", "case") in events


def test_second_save_of_a_stale_case_is_refused(database, team, case):
    seen = version(database, case)
    attempt(database, team["worker1"], case)  # someone else saves first
    with pytest.raises(StaleEdit, match="Someone else changed this case"), database.session() as s:
        lifecycle.record_contact_attempt(s, team["lead"], case, "sms", "message_sent", seen)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.ContactAttempt)) == 1


def test_concurrent_sessions_cannot_both_save(database, team, case):
    """Two users load the same version at once; the second save is refused, not merged.

    PostgreSQL refuses it through the version column (StaleEdit); SQLite refuses the second
    writer's stale snapshot outright, which reaches the user as "busy, reload and try again".
    """
    started = threading.Event()
    first_saved = threading.Event()
    outcome: dict[str, object] = {}

    def second_user():
        try:
            with database.session() as s:
                v = s.get(m.Case, case).version
                started.set()
                first_saved.wait(10)
                lifecycle.record_contact_attempt(s, team["lead"], case, "sms", "message_sent", v)
        except Exception as exc:  # the test inspects what the user would see
            outcome["error"] = exc

    t = threading.Thread(target=second_user)
    t.start()
    started.wait(10)
    attempt(database, team["worker1"], case)
    first_saved.set()
    t.join(20)
    expected = (StaleEdit, DatabaseBusy) if database.is_sqlite else (StaleEdit,)
    assert isinstance(outcome.get("error"), expected)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.ContactAttempt)) == 1


def test_my_work_puts_overdue_first_then_today(database, team, case):
    w = team["worker1"]
    with database.session() as s:
        person = s.scalar(select(m.Person))
        for ref, due in (
            ("TST-101", NOW + timedelta(days=3)),
            ("TST-102", NOW + timedelta(minutes=1)),
        ):
            s.add(
                m.Case(
                    person_id=person.id,
                    police_reference=ref,
                    referred_at=NOW,
                    assigned_worker_id=w.id,
                    next_action_due_at=due,
                    status="contacting",
                )
            )
    with database.session() as s:
        items = my_work(s, w, now=NOW)
        assert my_work(s, team["lead"], w.id, now=NOW) == items
        with pytest.raises(PermissionDenied):
            my_work(s, team["worker2"], w.id)
    assert [(i.police_reference, i.bucket) for i in items][0] == ("TST-100", "overdue")
    assert [i.police_reference for i in items] == ["TST-100", "TST-102", "TST-101"]


def test_consent_expiry_ends_it(database, team, case):
    with database.session() as s:
        person_id = s.scalar(select(m.Person.id))
        s.add(
            m.ConsentEntry(
                person_id=person_id,
                scope="share_with_gp",
                state="given",
                method="written",
                recorded_at=NOW - timedelta(days=400),
                expires_on=NOW.date() - timedelta(days=1),
            )
        )
    with database.session() as s:
        states = consent.consent_states(s, person_id)
        assert states["share_with_gp"].expired and not states["share_with_gp"].in_force
        with pytest.raises(RuleViolation, match="which expired on"):
            consent.require_in_force(s, person_id, "share_with_gp", "a letter to the GP")
