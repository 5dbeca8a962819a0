"""Searches and reports leave an audit event; what was typed is a private value that goes.

A team lead who looks someone up by name leaves a trace an investigation can follow: which
fields were searched and how many cases matched, in the event; the text typed, which can be a
name, apart from it, removed by the retention run once it is a year old.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from followup.casework.caseload import count_and_record, count_cases
from followup.db import models as m
from followup.db.queries import CaseQuery
from followup.protection.retention import SEARCH_TEXT_KEPT_DAYS, destroy, forget_old_search_texts
from followup.reports.definitions import Period
from followup.reports.engagement import engagement_report


def _events(database, entity: str) -> list[m.AuditEvent]:
    with database.session() as s:
        return list(
            s.scalars(
                select(m.AuditEvent).where(m.AuditEvent.entity == entity).order_by(m.AuditEvent.id)
            )
        )


def test_a_search_is_audited_with_its_fields_and_count_and_its_text_kept_apart(database, team):
    found = count_and_record(
        database, team["lead"], CaseQuery(search="Synthia Example", overdue_only=True)
    )
    (event,) = _events(database, "search")
    assert event.user_id == team["lead"].id and event.action == "view"
    details = json.loads(event.details)
    assert details == {
        "screen": "caseload",
        "fields": ["text", "overdue"],
        "results": found,
        "private_values": True,
    }
    assert "Synthia" not in event.details
    with database.session() as s:
        (value,) = s.scalars(select(m.AuditPrivateValue)).all()
        assert value.person_id is None and json.loads(value.details) == {"text": "Synthia Example"}


def test_listing_without_a_search_is_not_a_search(database, team):
    count_and_record(database, team["worker1"], CaseQuery())
    with database.session() as s:
        count_cases(s, team["worker1"], CaseQuery(search="Testy"))  # counting alone writes nothing
    assert _events(database, "search") == []


def test_a_report_is_audited_with_its_period_and_size(database, team):
    period = Period.custom(datetime(2026, 1, 1).date(), datetime(2026, 3, 31).date())
    with database.session() as s:
        engagement_report(s, team["lead"], period, by="worker")
    (event,) = _events(database, "report")
    assert json.loads(event.details) == {
        "report": "engagement",
        "from": "2026-01-01",
        "to": "2026-03-31",
        "by": ["worker"],
        "cases": 0,
    }


def test_the_retention_run_removes_search_texts_once_they_are_a_year_old(database, team):
    count_and_record(database, team["lead"], CaseQuery(search="Testy"))
    soon = datetime.now(UTC) + timedelta(days=SEARCH_TEXT_KEPT_DAYS - 1)
    later = datetime.now(UTC) + timedelta(days=SEARCH_TEXT_KEPT_DAYS + 1)
    with database.session() as s:
        assert forget_old_search_texts(s, team["admin"], soon) == 0
    with database.session() as s:
        report = destroy(s, team["admin"], [], dry_run=False, now=later)
    assert report.search_texts == 1
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.AuditPrivateValue)) == 0
        assert (
            s.scalar(
                select(func.count())
                .select_from(m.AuditEvent)
                .where(m.AuditEvent.entity == "search")
            )
            == 1
        )
