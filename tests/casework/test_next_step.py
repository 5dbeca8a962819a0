"""Next steps that say what: the attempt, the day of the schedule and the methods consent allows;
the caseload and My work show it with the incident, days since it, last contact and risk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from followup.casework import consent
from followup.casework.caseload import CaseQuery, list_cases
from followup.casework.lifecycle import record_contact_attempt
from followup.casework.my_work import my_work
from followup.casework.next_step import describe
from followup.casework.schedule import Schedule
from followup.db import models as m
from followup.vocab import (
    ConsentMethod,
    ConsentScope,
    ConsentState,
    ContactMethod,
    ContactOutcome,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def _states(**given: str) -> dict[str, consent.ConsentState]:
    return {
        scope: consent.ConsentState(
            scope=ConsentScope(scope),
            state=ConsentState(state),
            method=ConsentMethod.VERBAL_BY_PHONE,
            recorded_at=NOW,
            expires_on=None,
            expired=False,
        )
        for scope, state in given.items()
    }


def test_the_step_names_the_attempt_the_day_and_the_methods_consent_allows():
    plan = Schedule(first_attempt_hours=72, follow_up_days=(1, 3, 7, 14))
    # Not yet asked: phone and text may be used to seek consent; a letter may not.
    assert describe("new", 0, plan, {}) == "1st attempt (within 72 hours): phone or text"
    assert describe("contacting", 2, plan, {}) == "3rd attempt (day 3): phone or text"
    letters = _states(contact_letter="given")
    assert describe("contacting", 1, plan, letters) == "2nd attempt (day 1): phone, text or letter"
    refused = _states(contact_phone="refused", contact_sms="withdrawn")
    assert describe("contacting", 3, plan, refused) == (
        "4th attempt (day 7): no phone, text or letter allowed by consent: outreach or a partner"
    )
    assert describe("contacting", 1, plan, _states(contact_sms="refused", home_visit="given")) == (
        "2nd attempt (day 1): phone or home visit"
    )
    assert describe("contacting", 5, plan, {}).startswith("Review: all 5 scheduled attempts made")
    assert describe("engaged", 3, plan, {}) == "Refer to a treatment service"
    assert describe("closed", 3, plan, {}) == ""


def _case(s, team, *, first="Testy", nfa=False, days=3, incident_days=200, repeats=0):
    person = m.Person(
        first_name=first, last_name="Stepson", date_of_birth=date(1980, 1, 2), no_fixed_abode=nfa
    )
    s.add(person)
    s.flush()
    case = m.Case(
        person_id=person.id,
        status="contacting",
        police_reference=f"TST-{first}",
        assigned_worker_id=team["worker1"].id,
        referred_at=NOW - timedelta(days=days),
        incident_at=NOW - timedelta(days=incident_days),
        area="B5",
        next_action_due_at=NOW + timedelta(hours=5),
    )
    s.add(case)
    s.flush()
    for n in range(repeats + 1):
        s.add(
            m.Referral(
                case_id=case.id,
                person_id=person.id,
                police_reference=f"TST-{first}-{n}",
                force="Test Force",
                incident_at=NOW - timedelta(days=incident_days + 30 * n),
                received_at=case.referred_at,
            )
        )
    s.flush()
    return case


def test_caseload_and_my_work_say_what_is_next_and_count_days_from_the_incident(database, team):
    with database.session() as s:
        case = _case(s, team, nfa=True, repeats=2)  # an overdose in the spring, two before it
        case_id, person_id = case.id, case.person_id
        consent.record(
            s,
            team["worker1"].id,
            person_id,
            case_id,
            ConsentScope.CONTACT_LETTER,
            ConsentState.GIVEN,
            ConsentMethod.VERBAL_BY_PHONE,
        )
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        record_contact_attempt(
            s,
            team["worker1"],
            case_id,
            ContactMethod.SMS,
            ContactOutcome.MESSAGE_SENT,
            version,
            when=NOW - timedelta(days=1),
            number="07700 900123",
        )
    with database.session() as s:
        (row,) = list_cases(s, team["worker1"], CaseQuery(now=NOW))
        (item,) = my_work(s, team["worker1"], now=NOW)
    for shown in (row, item):
        assert shown.next_step == "2nd attempt (day 1): phone, text or letter"
        assert shown.incident_at == NOW - timedelta(days=200)
        assert shown.last_contact == "Text message (SMS): message sent"
        assert shown.last_contact_at == NOW - timedelta(days=1)
    # 200 days since the overdose, not the three since the referral arrived.
    assert row.days_since_incident(NOW) == 200 and item.days_since_incident == 200
    assert (row.overdoses, row.no_fixed_abode) == (3, True)
    assert row.last_overdose_at == NOW - timedelta(days=200)
    assert item.risk.startswith("3 overdoses, last ") and item.risk.endswith("; no fixed abode")


def test_days_sorts_by_the_incident(database, team):
    with database.session() as s:
        _case(s, team, first="Recent", days=30, incident_days=2)
        _case(s, team, first="Spring", days=1, incident_days=250)
    with database.session() as s:
        rows = list_cases(s, team["lead"], CaseQuery(now=NOW, sort="days"))
    assert [(r.person, r.days_since_incident(NOW)) for r in rows] == [
        ("Recent Stepson", 2),
        ("Spring Stepson", 250),
    ]
