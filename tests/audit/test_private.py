"""Personal values of audit events live apart, are shown while the person exists, and go with
the retention purge; the audit row itself names only the fields."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from followup import audit
from followup.audit.search import (
    REMOVED_BY_RETENTION,
    WITHHELD,
    AuditFilters,
    export_audit,
    search_audit,
)
from followup.casework import people
from followup.db import models as m
from followup.db.migrate import alembic_config
from followup.protection.purge import purge_person
from tests.protection.retention_helpers import add_person, years_ago


@pytest.fixture
def edited(database, team):
    person_id, case_ids = add_person(database, team, [None])
    with database.session() as s:
        people.update_person(
            s,
            team["lead"],
            case_ids[0],
            None,
            {"phone": "07700 900222", "address": "2 Synthetic Road"},
            person_version=None,
        )
    return person_id, case_ids[0]


def _person_row(database, actor, case_id=None):
    with database.session() as s:
        rows = search_audit(s, actor, case_id=case_id, limit=1000)
    return next(r for r in rows if r.entity == "person" and r.action == "update")


def test_the_audit_row_names_the_fields_and_the_values_sit_apart(database, team, edited):
    person_id, case_id = edited
    with database.session() as s:
        event = s.scalar(select(m.AuditEvent).where(m.AuditEvent.entity == "person"))
        assert json.loads(event.details) == {"fields": ["address", "phone"], "private_values": True}
        private = s.scalar(select(m.AuditPrivateValue))
        assert (private.audit_event_id, private.person_id) == (event.id, person_id)
        assert json.loads(private.details) == {
            "address": ["1 Zorbwhistle Street", "2 Synthetic Road"],
            "phone": ["+447700900111", "+447700900222"],
        }
    # A lead sees before and after, as ever; an admin who is not a lead sees none of it.
    row = _person_row(database, team["lead"], case_id)
    assert json.loads(row.details) == json.loads(private.details)
    assert not row.private_removed
    admin_row = _person_row(database, team["admin"])
    assert admin_row.details == WITHHELD


def test_private_values_cannot_be_changed(database, team, edited):
    with pytest.raises(DBAPIError, match="never changed"), database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_private_value SET details = '{}'"))


def test_after_the_purge_the_values_are_removed_by_retention(database, team, edited, tmp_path):
    person_id, _ = edited
    with database.session() as s:
        purge_person(s, team["admin"], person_id)
    row = _person_row(database, team["lead"])
    assert row.private_removed
    assert json.loads(row.details) == {
        "fields": ["address", "phone"],
        "values": REMOVED_BY_RETENTION,
    }
    with database.session() as s:
        export_audit(s, team["lead"], AuditFilters(), tmp_path / "audit.csv")
    exported = (tmp_path / "audit.csv").read_text(encoding="utf-8")
    assert REMOVED_BY_RETENTION in exported and "900222" not in exported


def test_record_without_private_values_is_plain(database, team):
    with database.session() as s:
        event = audit.record_with_private(
            s, team["admin"].id, "update", "person", None, {"fields": []}, {}, 0
        )
        s.flush()
        assert json.loads(event.details) == {"fields": []}
        assert s.scalar(select(m.AuditPrivateValue)) is None


def test_upgrading_moves_old_person_values_out_of_the_audit_trail(database, team):
    person_id, _ = add_person(database, team, [years_ago(1)])
    cfg = alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    # As Followup wrote person edits before 0005 (raw SQL: the model has newer columns).
    with database.engine.begin() as conn:
        for entity_id in (person_id, 99999):  # the second person was purged long ago
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, user_id, action, entity, entity_id, details) "
                    "VALUES (CURRENT_TIMESTAMP, :user, 'update', 'person', :entity, :details)"
                ),
                {
                    "user": team["lead"].id,
                    "entity": entity_id,
                    "details": json.dumps({"phone": ["+447700900111", "+447700900444"]}),
                },
            )
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with database.session() as s:
        details = s.scalars(
            select(m.AuditEvent.details).where(m.AuditEvent.entity == "person")
        ).all()
        assert all(json.loads(d) == {"fields": ["phone"], "private_values": True} for d in details)
        private = s.scalars(select(m.AuditPrivateValue)).all()
        assert [p.person_id for p in private] == [person_id]
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET details = NULL"))
    # Downgrading puts the values back where the older version reads them.
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with database.session() as s:
        details = s.scalars(
            select(m.AuditEvent.details).where(
                m.AuditEvent.entity == "person", m.AuditEvent.entity_id == person_id
            )
        ).all()
    assert "+447700900444" in details[0]
