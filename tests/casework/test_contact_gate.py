"""The contact gate: one rule per method for the attempt log and the letters alike, outcomes
per method, a number for a call or text, an address for a home visit, outreach for no fixed
abode; refusals are one sentence and write nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from followup.casework import consent, contact_gate, lifecycle
from followup.casework.detail import case_detail
from followup.db import models as m
from followup.errors import RuleViolation
from followup.letters.batch import letter_problem
from followup.vocab import ContactMethod

NOW = datetime.now(UTC)


def _case(db, team, *, phone="+447700900001", address="1 Test Street\nTestville", nfa=False):
    """A case assigned to worker1 with no consent asked at all; returns its id."""
    with db.session() as s:
        person = m.Person(
            first_name="Testperson",
            last_name="Gate",
            date_of_birth=date(1980, 1, 2),
            phone=phone,
            address=address,
            no_fixed_abode=nfa,
        )
        s.add(person)
        s.flush()
        case = m.Case(
            person_id=person.id,
            police_reference=f"TST-G{person.id}",
            area="B5",
            referred_at=NOW - timedelta(days=5),
            assigned_worker_id=team["worker1"].id,
        )
        s.add(case)
        s.flush()
        return case.id


def _log(db, team, case_id, method, outcome, **kw):
    with db.session() as s:
        version = s.get(m.Case, case_id).version
        return lifecycle.record_contact_attempt(
            s, team["worker1"], case_id, method, outcome, version, **kw
        ).id


def _attempts(db) -> list[m.ContactAttempt]:
    with db.session() as s:
        rows = list(s.scalars(select(m.ContactAttempt).order_by(m.ContactAttempt.id)))
        s.expunge_all()
        return rows


def _refused(db, team, case_id, method, outcome, match, **kw):
    before = len(_attempts(db))
    with pytest.raises(RuleViolation, match=match):
        _log(db, team, case_id, method, outcome, **kw)
    assert len(_attempts(db)) == before  # nothing written


def _give(db, team, case_id, scope, state="given"):
    with db.session() as s:
        version = s.get(m.Case, case_id).version
        lifecycle.record_consent(
            s, team["worker1"], case_id, scope, state, "verbal_by_phone", version
        )


def test_with_consent_not_asked_a_call_seeks_it_and_a_letter_is_refused_as_letters_are(
    database, team
):
    case_id = _case(database, team)
    _log(database, team, case_id, "phone", "voicemail_left")
    (attempt,) = _attempts(database)
    assert attempt.seeking_consent is True
    with database.session() as s:
        detail = case_detail(s, team["worker1"], case_id, audit_view=False)
        person = s.get(m.Case, case_id).person
        letters_say = letter_problem(s, person, "unable_to_contact", {})
    assert "Phone: voicemail left (seeking consent)" in [e.text for e in detail.timeline]
    assert detail.method_gates["sms"].seeking_consent
    # The log cannot say "letter sent" for a letter the letter tool would refuse: same sentence.
    sentence = (
        "A letter to the person needs the person's consent to letters, which has not been recorded."
    )
    assert detail.method_problems["letter"] == letters_say == sentence
    _refused(database, team, case_id, "letter", "letter_sent", "needs the person's consent")

    _give(database, team, case_id, "contact_letter")
    _give(database, team, case_id, "contact_phone")
    _log(database, team, case_id, "letter", "letter_sent")
    _log(database, team, case_id, "phone", "no_answer")
    assert [a.seeking_consent for a in _attempts(database)] == [True, False, False]


def test_refused_or_withdrawn_consent_blocks_the_method(database, team):
    case_id = _case(database, team)
    _give(database, team, case_id, "contact_sms", "refused")
    _refused(database, team, case_id, "sms", "message_sent", "Consent to text messages was refused")
    _give(database, team, case_id, "contact_phone")
    _give(database, team, case_id, "contact_phone", "withdrawn")
    _refused(database, team, case_id, "phone", "no_answer", "Consent to phone calls was withdrawn")


@pytest.mark.parametrize(
    ("method", "outcome"),
    [("home_visit", "wrong_number"), ("letter", "voicemail_left"), ("sms", "not_at_address")],
)
def test_each_method_has_its_own_outcomes(database, team, method, outcome):
    case_id = _case(database, team)
    for scope in ("contact_letter", "home_visit"):
        _give(database, team, case_id, scope)
    _refused(database, team, case_id, method, outcome, "is not an outcome of")


def test_a_call_or_text_needs_a_number_on_file_or_typed_in(database, team):
    case_id = _case(database, team, phone=None)
    _refused(database, team, case_id, "phone", "voicemail_left", "no phone number on file")
    _refused(database, team, case_id, "sms", "message_sent", "not a UK phone number", number="123")
    _log(database, team, case_id, "sms", "message_sent", number="07700 900123")
    with database.session() as s:
        assert s.get(m.Case, case_id).person.phone is None  # used, not kept
    assert _attempts(database)[-1].notes == "Number used: 07700 900123"
    _log(database, team, case_id, "phone", "no_answer", number="07700 900124", save_number=True)
    with database.session() as s:
        assert s.get(m.Case, case_id).person.phone == "+447700900124"
        events = s.scalar(
            select(func.count()).select_from(m.AuditEvent).where(m.AuditEvent.entity == "person")
        )
    assert events == 1
    _log(database, team, case_id, "phone", "no_answer")  # the number is on file now


def test_a_home_visit_needs_an_address_and_no_fixed_abode_means_outreach(database, team):
    no_address = _case(database, team, address=None)
    _give(database, team, no_address, "home_visit")
    _refused(database, team, no_address, "home_visit", "no_answer", "needs an address")

    nfa = _case(database, team, address=None, nfa=True)
    _give(database, team, nfa, "home_visit")
    _refused(database, team, nfa, "home_visit", "spoke_engaged", "log it as outreach instead")
    _log(database, team, nfa, "outreach", "spoke_declined")


def test_allowed_methods_names_those_allowed_now_and_those_seeking_consent(database, team):
    case_id = _case(database, team)
    _give(database, team, case_id, "contact_sms")
    _give(database, team, case_id, "contact_letter", "refused")
    with database.session() as s:
        person = s.get(m.Case, case_id).person
        states = consent.consent_states(s, person.id)
    allowed = contact_gate.allowed_methods(
        contact_gate.ContactFacts(states, has_phone=True, has_address=True)
    )
    assert allowed.allowed == (
        ContactMethod.PHONE,
        ContactMethod.SMS,
        ContactMethod.OUTREACH,
        ContactMethod.VIA_PARTNER,
        ContactMethod.EMAIL,
        ContactMethod.VIA_FAMILY,
    )  # no letter (refused), no home visit before a call, text or letter
    assert allowed.seeking == {ContactMethod.PHONE}
    after_a_call = contact_gate.allowed_methods(
        contact_gate.ContactFacts(states, has_address=True, remote_attempted=True)
    )
    assert ContactMethod.HOME_VISIT in after_a_call.allowed
