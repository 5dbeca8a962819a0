"""Searching and exporting the audit trail: filters, paging, permissions, safe and audited CSV."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from followup import audit
from followup.accounts import sign_in
from followup.audit.search import (
    WITHHELD,
    AuditFilters,
    audit_users,
    export_audit,
    search_audit,
)
from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied, SignInFailed

JAN = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def trail(database, team):
    """Two synthetic cases and a known set of audit events."""
    with database.session() as s:
        ids = {}
        for n, (first, last) in enumerate((("Testy", "McTestface"), ("Sample", "Examplewood"))):
            person = m.Person(first_name=first, last_name=last, no_fixed_abode=False)
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                police_reference=f"TST-9{n}",
                referred_at=JAN - timedelta(days=3),
            )
            s.add(case)
            s.flush()
            ids[f"case{n}"], ids[f"person{n}"] = case.id, person.id
    c0, p0 = ids["case0"], ids["person0"]
    w1, lead = team["worker1"], team["lead"]
    with database.session() as s:
        s.add(m.AuditEvent(at=JAN, user_id=w1.id, action="view", entity="case", entity_id=c0))
        s.add(
            m.AuditEvent(
                at=JAN + timedelta(days=1),
                user_id=w1.id,
                action="create",
                entity="contact_attempt",
                entity_id=501,
                details=json.dumps({"case_id": c0, "method": "phone"}, sort_keys=True),
            )
        )
        # Another case whose id starts with the same digits must not match.
        s.add(
            m.AuditEvent(
                at=JAN + timedelta(days=1),
                user_id=w1.id,
                action="create",
                entity="contact_attempt",
                entity_id=502,
                details=json.dumps({"case_id": int(f"{c0}0")}, sort_keys=True),
            )
        )
        s.add(
            m.AuditEvent(
                at=JAN + timedelta(days=2),
                user_id=lead.id,
                action="update",
                entity="person",
                entity_id=p0,
                details=json.dumps({"first_name": ["Testy", "Tessa"]}),
            )
        )
        s.add(
            m.AuditEvent(
                at=JAN + timedelta(days=3),
                user_id=lead.id,
                action="create",
                entity="consent",
                entity_id=9,
                details=json.dumps({"person_id": p0, "scope": "contact_phone"}, sort_keys=True),
            )
        )
        s.add(
            m.AuditEvent(
                at=JAN + timedelta(days=20),
                user_id=lead.id,
                action="view",
                entity="case",
                entity_id=ids["case1"],
            )
        )
    return ids


def _ids(rows):
    return [r.entity_id for r in rows]


def test_only_leads_and_admins_may_search(database, team, trail):
    with database.session() as s:
        with pytest.raises(PermissionDenied, match="search the audit trail"):
            search_audit(s, team["worker1"])
        with pytest.raises(PermissionDenied):
            audit_users(s, team["worker1"])
        assert search_audit(s, team["lead"])
        assert search_audit(s, team["admin"])


def test_every_sign_in_attempt_is_there_newest_first(database, team):
    with database.session() as s, pytest.raises(SignInFailed):
        sign_in(s, "worker1", "wrong")
    with database.session() as s:
        sign_in(s, "worker1", "pass-worker1")
    with database.session() as s:
        rows = search_audit(s, team["lead"], user_id=team["worker1"].id)
    assert [r.action for r in rows[:2]] == ["login", "login_failed"]
    assert rows[0].username == "worker1" and rows[0].user_display_name == "Wendy Worker"


def test_filters_by_user_action_and_period(database, team, trail):
    lead = team["lead"]
    with database.session() as s:
        by_worker = search_audit(s, lead, user_id=team["worker1"].id, start=JAN - timedelta(1))
        views = search_audit(s, lead, action="view")
        period = search_audit(s, lead, start=JAN + timedelta(days=1), end=JAN + timedelta(days=3))
    # Newest first; the two attempts share a time, so the later id comes first.
    assert _ids(by_worker) == [502, 501, trail["case0"]]
    assert {r.action for r in views} == {"view"} and len(views) == 2
    assert sorted(r.at for r in period) == [JAN + timedelta(days=1)] * 2 + [JAN + timedelta(days=2)]


def test_a_case_matches_its_parts_and_its_person_but_not_a_lookalike(database, team, trail):
    with database.session() as s:
        rows = search_audit(s, team["lead"], case_id=trail["case0"])
    assert [(r.entity, r.entity_id) for r in rows] == [
        ("consent", 9),
        ("person", trail["person0"]),
        ("contact_attempt", 501),
        ("case", trail["case0"]),
    ]


def test_paging(database, team, trail):
    with database.session() as s:
        everything = search_audit(s, team["lead"], limit=1000)
        pages = [
            search_audit(s, team["lead"], limit=2, offset=o) for o in range(0, len(everything), 2)
        ]
    assert [r.id for page in pages for r in page] == [r.id for r in everything]
    assert all(len(p) <= 2 for p in pages)


def test_an_administrator_sees_who_and_what_but_not_case_details(database, team, trail):
    with database.session() as s:
        rows = search_audit(s, team["admin"], limit=1000)
        lead_rows = search_audit(s, team["lead"], limit=1000)
    person = next(r for r in rows if r.entity == "person")
    assert person.details == WITHHELD and person.details_withheld
    assert "Testy" not in json.dumps([r.details for r in rows])
    user_created = next(r for r in rows if r.entity == "user")
    assert "worker" in user_created.details
    assert "Testy" in next(r for r in lead_rows if r.entity == "person").details


def test_bad_filters_are_explained(database, team):
    with database.session() as s:
        with pytest.raises(FollowupError, match="no audit action called 'peek'"):
            search_audit(s, team["lead"], action="peek")
        with pytest.raises(FollowupError, match="before its start"):
            search_audit(s, team["lead"], start=JAN, end=JAN - timedelta(days=1))


def test_export_is_safe_complete_and_itself_audited(database, team, trail, tmp_path):
    with database.session() as s, pytest.raises(SignInFailed):
        sign_in(s, '=HYPERLINK("http://example.invalid","x")', "nope")
    with database.session() as s:
        audit.record(
            s,
            team["lead"].id,
            "update",
            "case",
            trail["case0"],
            {"closure_note": ["", "+44 7700 900123 @home"]},
        )
    target = tmp_path / "audit.csv"
    filters = AuditFilters(start=JAN - timedelta(days=1))
    with database.session() as s:
        expected = len(search_audit(s, team["lead"], start=JAN - timedelta(days=1), limit=5000))
        count = export_audit(s, team["lead"], filters, target)
    assert count == expected
    with target.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0][0].startswith("# Followup audit trail; filters:")
    assert lines[1][:3] == ["event_id", "time", "user"]
    body = lines[2:]
    assert len(body) == count
    cells = [c for row in body for c in row]
    assert '\'=HYPERLINK("http://example.invalid","x")' in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    with database.session() as s:
        event = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export")).one()
    details = json.loads(event.details)
    assert event.user_id == team["lead"].id
    assert details == {
        "kind": "audit_csv",
        "filters": {"start": "2026-01-09T12:00:00+00:00"},
        "rows": count,
    }


def test_export_into_a_missing_folder_is_refused_and_not_audited(database, team, tmp_path):
    with database.session() as s, pytest.raises(FollowupError, match="no folder"):
        export_audit(s, team["admin"], AuditFilters(), tmp_path / "nope" / "a.csv")
    with database.session() as s:
        assert s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export")).all() == []


def test_export_of_a_large_trail_goes_in_batches(database, team, monkeypatch, tmp_path):
    import followup.audit.search as module

    monkeypatch.setattr(module, "EXPORT_BATCH", 3)
    with database.session() as s:
        for n in range(10):
            s.add(
                m.AuditEvent(
                    at=JAN, user_id=team["lead"].id, action="view", entity="case", entity_id=n
                )
            )
    with database.session() as s:
        count = export_audit(s, team["lead"], AuditFilters(action="view"), tmp_path / "a.csv")
    assert count == 10
