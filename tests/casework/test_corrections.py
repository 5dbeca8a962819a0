"""Corrections, never deletions: amend or mark entered in error, with a reason, within the
author's window or by a lead; a voided entry no longer counts anywhere, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from followup.casework import consent, corrections, lifecycle, people, team_rules, treatment
from followup.casework.detail import case_detail
from followup.db import models as m
from followup.errors import RuleViolation
from followup.reports.definitions import Period
from followup.reports.engagement import engagement_report
from followup.uktime import short_date, uk_today

NOW = datetime.now(UTC)


@pytest.fixture
def case(database, team):
    """A case received 2 days ago, assigned to worker1, with phone consent given at the scene."""
    with database.session() as s:
        person = m.Person(first_name="Testperson", last_name="Example", phone="+447700900123")
        s.add(person)
        s.flush()
        c = m.Case(
            person_id=person.id,
            police_reference="TST-COR",
            referred_at=NOW - timedelta(days=2),
            assigned_worker_id=team["worker1"].id,
            status="contacting",
        )
        s.add(c)
        s.flush()
        s.add(
            m.ConsentEntry(
                person_id=person.id,
                case_id=c.id,
                scope="contact_phone",
                state="given",
                method="verbal_at_scene_via_police",
                source="PC Test (1234)",
                recorded_at=c.referred_at,
            )
        )
        return c.id


def version(db, case_id):
    with db.session() as s:
        return s.get(m.Case, case_id).version


def log_attempt(db, actor, case_id, outcome="no_answer", when=None):
    with db.session() as s:
        return lifecycle.record_contact_attempt(
            s, actor, case_id, "phone", outcome, None, when=when or NOW - timedelta(hours=1)
        ).id


def detail(db, actor, case_id):
    with db.session() as s:
        return case_detail(s, actor, case_id, audit_view=False)


def entry(d, ref, ref_id):
    return [e for e in d.timeline if e.ref == ref and e.ref_id == ref_id]


def test_amending_an_attempt_keeps_the_original_struck_and_adds_the_corrected_one(
    database, team, case
):
    worker = team["worker1"]
    first = log_attempt(database, worker, case)
    with database.session() as s:
        new_id = corrections.amend(
            s,
            worker,
            case,
            version(database, case),
            "attempt",
            first,
            "Wrong outcome chosen",
            {"outcome": "voicemail_left"},
        )
    d = detail(database, worker, case)
    (original,) = entry(d, "attempt", first)
    (corrected,) = entry(d, "attempt", new_id)
    assert original.voided and not corrected.voided
    assert original.correction == (
        f"Amended by Wendy Worker on {short_date(uk_today())}: Wrong outcome chosen "
        "(see the corrected entry below)"
    )
    assert "voicemail" in corrected.text.lower()
    # Newest first, the original sits just above the entry that corrects it.
    order = [(e.ref, e.ref_id) for e in d.timeline]
    assert order.index(("attempt", first)) + 1 == order.index(("attempt", new_id))
    # Only the corrected attempt counts.
    assert [a.outcome for a in d.attempts] == ["voicemail_left"]
    with database.session() as s:
        row = s.get(m.ContactAttempt, new_id)
        assert row.amends_id == first
        events = s.scalars(
            select(m.AuditEvent).where(
                m.AuditEvent.entity == "contact_attempt", m.AuditEvent.entity_id == first
            )
        ).all()
        details = [json.loads(e.details) for e in events if e.details]
        assert {"case_id": case, "correction": "amended", "replaced_by": new_id}.items() <= (
            details[-1].items()
        )
        # The reason may be personal: it is a private value, not in the event itself.
        assert "Wrong outcome" not in events[-1].details


def test_an_attempt_entered_in_error_no_longer_counts(database, team, case):
    worker, lead = team["worker1"], team["lead"]
    period = Period(uk_today() - timedelta(days=10), uk_today() + timedelta(days=1))
    first = log_attempt(database, worker, case)
    with database.session() as s:
        assert engagement_report(s, lead, period).totals.attempted == 1
        due_after_attempt = s.get(m.Case, case).next_action_due_at
    with database.session() as s:
        corrections.mark_entered_in_error(
            s, worker, case, version(database, case), "attempt", first, "Logged on the wrong case"
        )
    with database.session() as s:
        assert engagement_report(s, lead, period).totals.attempted == 0
        c = s.get(m.Case, case)
        # The next action is the first attempt again, due 72 hours after the referral.
        assert c.next_action_due_at == c.referred_at + timedelta(hours=72)
        assert c.next_action_due_at != due_after_attempt
        assert lifecycle.attempt_summary(s, case).count == 0
    d = detail(database, worker, case)
    (shown,) = entry(d, "attempt", first)
    assert shown.voided
    assert shown.correction.startswith("Entered in error by Wendy Worker on ")
    assert shown.correction.endswith(": Logged on the wrong case")
    assert d.attempts == ()


def test_consent_entered_in_error_is_no_longer_in_force(database, team, case):
    worker = team["worker1"]
    with database.session() as s:
        person_id = s.get(m.Case, case).person_id
        assert consent.consent_in_force(s, person_id, "contact_phone")
        entry_id = s.scalar(select(m.ConsentEntry.id).where(m.ConsentEntry.person_id == person_id))
    with database.session() as s:
        corrections.mark_entered_in_error(
            s, team["lead"], case, None, "consent", entry_id, "Officer recorded another person"
        )
    with database.session() as s:
        assert not consent.consent_in_force(s, person_id, "contact_phone")
        assert consent.consent_states(s, person_id)["contact_phone"].state is None
        assert consent.history(s, person_id) == []
        (kept,) = consent.history(s, person_id, include_voided=True)
        assert kept.voided_at is not None and kept.void_reason == "Officer recorded another person"
    d = detail(database, worker, case)
    assert entry(d, "consent", entry_id)[0].voided


def test_consent_entered_in_error_leaves_the_next_steps_of_lists_too(database, team, case):
    """My work and the caseload read consent for many people at once (next_step.consents_of):
    an entry marked in error must stop counting there as it does on the case."""
    from followup.casework import next_step

    with database.session() as s:
        person_id = s.get(m.Case, case).person_id
        assert next_step.consents_of(s, [person_id])[person_id]["contact_phone"].state == "given"
        entry_id = s.scalar(select(m.ConsentEntry.id).where(m.ConsentEntry.person_id == person_id))
    with database.session() as s:
        corrections.mark_entered_in_error(
            s, team["lead"], case, None, "consent", entry_id, "Officer recorded another person"
        )
    with database.session() as s:
        listed = next_step.consents_of(s, [person_id])[person_id]
        assert "contact_phone" not in listed or listed["contact_phone"].state is None
        assert consent.consent_states(s, person_id)["contact_phone"].state is None


def test_amended_consent_takes_the_corrected_state(database, team, case):
    with database.session() as s:
        person_id = s.get(m.Case, case).person_id
        entry_id = s.scalar(select(m.ConsentEntry.id).where(m.ConsentEntry.person_id == person_id))
        corrections.amend(
            s,
            team["lead"],
            case,
            None,
            "consent",
            entry_id,
            "Refused, not given",
            {"state": "refused"},
        )
    with database.session() as s:
        assert consent.consent_states(s, person_id)["contact_phone"].state == "refused"


def test_a_kit_entered_in_error_leaves_the_counts(database, team, case):
    worker, lead = team["worker1"], team["lead"]
    period = Period(uk_today() - timedelta(days=10), uk_today() + timedelta(days=1))
    with database.session() as s:
        kit = treatment.record_naloxone_supply(
            s,
            worker,
            case,
            None,
            supplied_on=uk_today(),
            kit_type="nasal",
            batch_number="TEST-BATCH",
            expires_on=uk_today() + timedelta(days=400),
            quantity=2,
        ).id
    assert detail(database, worker, case).kits_supplied == 2
    with database.session() as s:
        assert engagement_report(s, lead, period).totals.naloxone_kits == 2
        corrections.mark_entered_in_error(s, worker, case, None, "naloxone", kit, "Not given")
    d = detail(database, worker, case)
    assert d.kits_supplied == 0
    with database.session() as s:
        assert engagement_report(s, lead, period).totals.naloxone_kits == 0
    (shown,) = entry(d, "naloxone", kit)
    assert shown.voided and shown.day == uk_today()


def test_an_amendment_refused_by_the_rules_changes_nothing(database, team, case):
    worker = team["worker1"]
    with database.session() as s:
        kit = treatment.record_naloxone_supply(
            s,
            worker,
            case,
            None,
            supplied_on=uk_today(),
            kit_type="nasal",
            batch_number="TEST-BATCH",
            expires_on=uk_today() + timedelta(days=400),
            quantity=2,
        ).id
    with (
        database.session() as s,
        pytest.raises(RuleViolation, match="quantity is a whole number of kits from 1 to 10"),
    ):
        corrections.amend(s, worker, case, None, "naloxone", kit, "Typo", {"quantity": 0})
        # The caller's transaction goes on: the original is not marked.
        assert s.get(m.NaloxoneSupply, kit).voided_at is None
    with (
        database.session() as s,
        pytest.raises(RuleViolation, match="Say why the entry is being corrected"),
    ):
        corrections.mark_entered_in_error(s, worker, case, None, "naloxone", kit, "  ")
    with database.session() as s:
        assert s.get(m.NaloxoneSupply, kit).voided_at is None
        assert (
            s.scalar(select(m.NaloxoneSupply.id).where(m.NaloxoneSupply.amends_id == kit)) is None
        )


def test_the_author_within_the_window_a_lead_at_any_time_nobody_else(database, team, case):
    worker, other, lead = team["worker1"], team["worker2"], team["lead"]
    old = log_attempt(database, worker, case, when=NOW - timedelta(days=1))
    with database.session() as s:
        # Eight days on, past the default window of 7 days.
        s.get(m.ContactAttempt, old).attempted_at = NOW - timedelta(days=8)
        s.get(m.Case, case).referred_at = NOW - timedelta(days=9)
    with database.session() as s, pytest.raises(RuleViolation) as refused:
        corrections.mark_entered_in_error(s, worker, case, None, "attempt", old, "Oops")
    assert str(refused.value) == (
        "You can correct your own entries for 7 days after making them; this one is older, so "
        "ask a team lead to correct it."
    )
    with database.session() as s:
        # Another worker handed the case still did not make the entry.
        s.get(m.Case, case).assigned_worker_id = other.id
    with (
        database.session() as s,
        pytest.raises(RuleViolation, match="Only the person who made this entry"),
    ):
        corrections.mark_entered_in_error(s, other, case, None, "attempt", old, "Oops")
    with database.session() as s:
        corrections.mark_entered_in_error(s, lead, case, None, "attempt", old, "Duplicate entry")
    with database.session() as s:
        assert s.get(m.ContactAttempt, old).voided_by_id == lead.id
        with pytest.raises(RuleViolation, match="already corrected"):
            corrections.mark_entered_in_error(s, lead, case, None, "attempt", old, "Again")


def test_the_window_is_a_team_setting(database, team, case):
    worker = team["worker1"]
    attempt = log_attempt(database, worker, case, when=NOW - timedelta(days=1))
    with database.session() as s:
        assert team_rules.set_rule(s, team["admin"], team_rules.CORRECTION_WINDOW, "0") == "0"
    d = detail(database, worker, case)
    assert entry(d, "attempt", attempt)[0].correct_problem.startswith(
        "You can correct your own entries for 0 days"
    )
    assert (
        entry(detail(database, team["lead"], case), "attempt", attempt)[0].correct_problem is None
    )
    with database.session() as s, pytest.raises(RuleViolation, match="whole number from 0 to 365"):
        team_rules.set_rule(s, team["admin"], team_rules.CORRECTION_WINDOW, "-1")


def test_a_person_detail_entered_in_error_goes_back_to_its_earlier_value(database, team, case):
    worker = team["worker1"]
    with database.session() as s:
        people.update_person(s, worker, case, None, {"phone": "07700 900456"}, person_version=None)
    d = detail(database, worker, case)
    (changed,) = [e for e in d.timeline if e.ref == "person"]
    assert changed.text == "Phone changed from 07700 900123 to 07700 900456"
    assert changed.by == "Wendy Worker"
    with database.session() as s:
        corrections.mark_entered_in_error(
            s, worker, case, None, "person", changed.ref_id, "Typed into the wrong record"
        )
    d = detail(database, worker, case)
    assert d.person.phone == "+447700900123"
    assert [e.voided for e in d.timeline if e.ref == "person"] == [True]
    with database.session() as s:
        person_id = s.get(m.Case, case).person_id
        reverted = s.scalars(
            select(m.AuditPrivateValue).where(m.AuditPrivateValue.person_id == person_id)
        ).all()
        assert any("+447700900456" in v.details and "Typed" not in v.details for v in reverted)


def test_amending_a_person_detail_sets_the_corrected_value(database, team, case):
    worker = team["worker1"]
    with database.session() as s:
        people.update_person(
            s, worker, case, None, {"gp_practice": "Wrong Surgery"}, person_version=None
        )
    change = [e for e in detail(database, worker, case).timeline if e.ref == "person"][0]
    with database.session() as s:
        corrections.amend(
            s, worker, case, None, "person", change.ref_id, "Misheard", {"value": "Right Surgery"}
        )
    d = detail(database, worker, case)
    assert d.person.gp_practice == "Right Surgery"
    shown = [(e.text, e.voided) for e in d.timeline if e.ref == "person"]
    assert ("GP practice changed from (blank) to Right Surgery", False) in shown
    assert ("GP practice changed from (blank) to Wrong Surgery", True) in shown


def test_a_treatment_referral_entered_in_error_no_longer_lets_the_case_move_on(
    database, team, case
):
    lead = team["lead"]
    with database.session() as s:
        c = s.get(m.Case, case)
        c.status = "engaged"
        s.add(
            m.ConsentEntry(
                person_id=c.person_id,
                case_id=c.id,
                scope="share_with_treatment",
                state="given",
                method="in_person",
                recorded_at=NOW - timedelta(days=1),
            )
        )
        service = m.Service(name="Test Treatment Service", service_type="treatment")
        s.add(service)
        s.flush()
        tr = treatment.refer_to_treatment(s, lead, case, service.id, uk_today(), None).id
    with database.session() as s:
        corrections.mark_entered_in_error(s, lead, case, None, "treatment", tr, "Wrong service")
    with database.session() as s:
        problem = lifecycle.transition_problem(s, s.get(m.Case, case), "in_treatment")
        assert problem == "Record the date treatment started on the treatment referral first."
    d = detail(database, lead, case)
    assert d.treatments == ()
    (shown,) = entry(d, "treatment", tr)
    assert shown.voided and shown.day == uk_today()


def test_date_only_events_are_whole_days_at_the_head_of_their_day(database, team, case):
    worker = team["worker1"]
    morning = datetime.combine(uk_today(), datetime.min.time(), UTC) + timedelta(hours=1)
    attempt = log_attempt(database, worker, case, when=min(morning, NOW - timedelta(minutes=10)))
    with database.session() as s:
        kit = treatment.record_naloxone_supply(
            s,
            worker,
            case,
            None,
            supplied_on=uk_today(),
            kit_type="nasal",
            batch_number="TEST-BATCH",
            expires_on=uk_today() + timedelta(days=400),
        ).id
        yesterday = treatment.record_naloxone_supply(
            s,
            worker,
            case,
            None,
            supplied_on=uk_today() - timedelta(days=1),
            kit_type="nasal",
            batch_number="TEST-BATCH",
            expires_on=uk_today() + timedelta(days=400),
        ).id
    order = [(e.ref, e.ref_id) for e in detail(database, worker, case).timeline if e.ref]
    # Today: the kit (the whole day) heads the day, then today's timed attempt; then yesterday.
    assert order.index(("naloxone", kit)) < order.index(("attempt", attempt))
    assert order.index(("attempt", attempt)) < order.index(("naloxone", yesterday))
    assert date.today() - timedelta(days=3) < uk_today()  # the clock is sane
