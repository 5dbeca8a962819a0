"""Re-overdose alerts: a new referral for a person with an open case (or one closed within the
team's period) alerts the case's worker at the top of My work until acknowledged, restarts the
first-attempt clock from the new referral, and shows leads the alert in the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from followup.casework import reoverdose, team_rules
from followup.casework.lifecycle import close_case, record_contact_attempt
from followup.casework.my_work import my_work
from followup.db import models as m
from followup.errors import RuleViolation
from followup.intake import inbox
from followup.intake.importer import import_file
from followup.ui.intake.inbox_data import load_inbox
from followup.vocab import ContactMethod, ContactOutcome
from tests.intake.helpers import NOW, nhs, row, write_csv

LATER = NOW + timedelta(days=1)


def _person_row(**kw):
    return row(first_name="Testy", last_name="Reoverdose", nhs_number=nhs(41), **kw)


def _worked_case(database, team, tmp_path) -> int:
    """A first overdose imported, taken by worker1 and tried once by phone."""
    import_file(
        database, team["worker1"], write_csv(tmp_path / "one.csv", [_person_row()]), now=NOW
    )
    with database.session() as s:
        case_id = s.scalar(select(m.Case.id))
        inbox.take_case(s, team["worker1"], case_id)
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        record_contact_attempt(
            s,
            team["worker1"],
            case_id,
            ContactMethod.PHONE,
            ContactOutcome.NO_ANSWER,
            version,
            when=NOW + timedelta(hours=1),
            number="07700 900123",
        )
    return case_id


def _second(database, actor, tmp_path, when, incident="20/07/2026 21:15"):
    path = write_csv(tmp_path / "two.csv", [_person_row(incident_datetime=incident)])
    return import_file(database, actor, path, now=when)


def test_a_new_overdose_on_an_open_case_alerts_its_worker_until_acknowledged(
    database, team, tmp_path
):
    case_id = _worked_case(database, team, tmp_path)
    with database.session() as s:
        before = my_work(s, team["worker1"], now=NOW + timedelta(hours=2))
    assert [(i.bucket, i.alert) for i in before] == [("later", "")]
    assert before[0].next_step == "2nd attempt (day 1): phone or text"

    # Imported by another worker: the case's own worker is the one alerted.
    summary = _second(database, team["worker2"], tmp_path, LATER)
    assert (summary.linked_repeat, summary.cases_created) == (1, [])
    with database.session() as s:
        items = my_work(s, team["worker1"], now=LATER)
        case = s.get(m.Case, case_id)
        referral = s.scalar(select(m.Referral).order_by(m.Referral.id.desc()))
    item = items[0]
    # 20:15 UTC on a July day is 21:15 in the UK (BST), as the rest of the app shows it.
    assert (item.case_id, item.bucket) == (case_id, "alert")
    assert item.alert == "New overdose on 20/07/2026 21:15"
    # The first-attempt clock starts again from the new referral's receipt.
    assert item.next_action_due_at == LATER + timedelta(hours=72)
    assert item.next_step == "1st attempt (within 72 hours): phone or text"
    assert case.reoverdose_referral_id == referral.id and referral.case_id == case_id

    with database.session() as s:
        alerts = reoverdose.open_alerts(s, team["lead"])
    assert [(a.case_id, a.worker, a.text) for a in alerts] == [
        (case_id, "Wendy Worker", "New overdose on 20/07/2026 21:15")
    ]
    lead_inbox = load_inbox(database, team["lead"], LATER)
    assert [a.cells for a in lead_inbox.alerts] == [
        (case.police_reference, "Testy Reoverdose", "Wendy Worker", item.alert)
    ]
    assert load_inbox(database, team["worker2"], LATER).alerts == ()

    with database.session() as s:
        reoverdose.acknowledge(s, team["worker1"], case_id)
    with database.session() as s:
        items = my_work(s, team["worker1"], now=LATER)
        event = s.scalar(
            select(m.AuditEvent).where(
                m.AuditEvent.entity == "case",
                m.AuditEvent.entity_id == case_id,
                m.AuditEvent.details.contains("reoverdose_acknowledged_at"),
            )
        )
        assert reoverdose.open_alerts(s, team["lead"]) == []
    assert [(i.bucket, i.alert) for i in items] == [("later", "")]
    assert event is not None and event.user_id == team["worker1"].id
    with pytest.raises(RuleViolation, match="no new overdose"), database.session() as s:
        reoverdose.acknowledge(s, team["worker1"], case_id)


def test_a_case_closed_within_the_period_reopens_to_its_worker(database, team, tmp_path):
    case_id = _worked_case(database, team, tmp_path)
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        close_case(
            s,
            team["worker1"],
            case_id,
            "declined",
            version,
            no_contact_reason="declined_via_third_party",
        )
    _second(database, team["worker2"], tmp_path, LATER)
    with database.session() as s:
        case = s.get(m.Case, case_id)
        change = s.scalar(
            select(m.CaseStatusChange)
            .where(m.CaseStatusChange.case_id == case_id)
            .order_by(m.CaseStatusChange.id.desc())
        )
        items = my_work(s, team["worker1"], now=LATER)
        cases = s.scalars(select(m.Case.id)).all()
    assert cases == [case_id]  # no new case: the closed one came back
    assert (case.status, case.assigned_worker_id, case.closure_reason) == (
        "contacting",
        team["worker1"].id,
        None,
    )
    assert (change.from_status, change.to_status) == ("closed", "contacting")
    assert change.reason == reoverdose.REOPEN_TO_WORKER.format(days=90)
    assert [(i.case_id, i.bucket) for i in items] == [(case_id, "alert")]
    assert items[0].next_action_due_at == LATER + timedelta(hours=72)


def test_a_worker_no_longer_active_means_the_reopened_case_goes_to_the_inbox(
    database, team, tmp_path
):
    case_id = _worked_case(database, team, tmp_path)
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        close_case(
            s,
            team["worker1"],
            case_id,
            "declined",
            version,
            no_contact_reason="declined_via_third_party",
        )
    with database.session() as s:
        s.get(m.User, team["worker1"].id).active = False
    _second(database, team["lead"], tmp_path, LATER)
    with database.session() as s:
        case = s.get(m.Case, case_id)
        new = inbox.new_cases(s, team["lead"])
        alerts = reoverdose.open_alerts(s, team["lead"])
    assert (case.status, case.assigned_worker_id) == ("new", None)
    assert [c.case_id for c in new] == [case_id]
    assert [(a.case_id, a.worker) for a in alerts] == [(case_id, "")]


def test_a_case_closed_long_ago_stays_closed_and_a_new_case_opens(database, team, tmp_path):
    case_id = _worked_case(database, team, tmp_path)
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        close_case(
            s,
            team["worker1"],
            case_id,
            "declined",
            version,
            no_contact_reason="declined_via_third_party",
        )
    with database.session() as s:
        s.get(m.Case, case_id).closed_at = LATER - timedelta(days=91)
    summary = _second(database, team["worker2"], tmp_path, LATER)
    with database.session() as s:
        old = s.get(m.Case, case_id)
        new = s.get(m.Case, summary.cases_created[0])
        assert old.status == "closed" and old.reoverdose_at is None
        assert (new.status, new.assigned_worker_id) == ("new", None)
        assert my_work(s, team["worker1"], now=LATER) == []


def test_the_reopening_period_is_a_team_setting(database, team, tmp_path):
    with database.session() as s:
        assert team_rules.reopen_within_days(s) == 90
        team_rules.set_rule(s, team["admin"], team_rules.REOPEN_WITHIN_DAYS, "0")
    case_id = _worked_case(database, team, tmp_path)
    with database.session() as s:
        version = s.get(m.Case, case_id).version
        close_case(
            s,
            team["worker1"],
            case_id,
            "declined",
            version,
            no_contact_reason="declined_via_third_party",
        )
    summary = _second(database, team["worker2"], tmp_path, LATER)
    assert len(summary.cases_created) == 1  # 0 days: never reopened
    with pytest.raises(RuleViolation, match="from 0 to 365"), database.session() as s:
        team_rules.set_rule(s, team["admin"], team_rules.REOPEN_WITHIN_DAYS, "400")
