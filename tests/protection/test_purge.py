"""The retention purge: a person, everyone merged into them and all of theirs go; others stay."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from followup.db import models as m
from followup.demo.populate import populate
from followup.errors import PermissionDenied
from followup.protection.purge import PURGE_DELETES, purge_person

# Every column that points at a person or at something of theirs.
LINKS = {
    "case_file": ["person_id"],
    "referral": ["person_id"],
    "consent_entry": ["person_id"],
    "naloxone_supply": ["person_id"],
    "match_review": ["incoming_person_id", "candidate_person_id"],
    "person_merge": ["kept_person_id", "merged_person_id"],
}


def _count(s, table: str) -> int:
    return s.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_every_table_with_case_data_is_in_the_purge():
    purged = {table for table, _ in PURGE_DELETES}
    kept = {"user_account", "setting", "service", "audit_event", "destruction_log"}
    kept |= {"spike_alert", "spike_alert_ack"}  # a district's count, no person's details
    assert purged | kept == set(m.Base.metadata.tables)


def test_purge_removes_the_person_and_everything_of_theirs(database, team):
    populate(database, cases=40, seed=5)
    with database.session() as s:
        # The person with the most case rows, and a person merged into them.
        person_id = s.scalar(
            select(m.Case.person_id)
            .group_by(m.Case.person_id)
            .order_by(func.count().desc(), m.Case.person_id)
            .limit(1)
        )
        twin = m.Person(first_name="Testy", last_name="Duplicate", merged_into_id=person_id)
        s.add(twin)
        s.flush()
        twin_id = twin.id
        people_before = s.scalar(select(func.count()).select_from(m.Person))
        counts = {t: _count(s, t) for t, _ in PURGE_DELETES}
    with database.session() as s, pytest.raises(PermissionDenied):
        purge_person(s, team["lead"], person_id)
    with database.session() as s:
        assert purge_person(s, team["admin"], person_id) == 2
    with database.session() as s:
        assert s.get(m.Person, person_id) is None and s.get(m.Person, twin_id) is None
        assert s.scalar(select(func.count()).select_from(m.Person)) == people_before - 2
        for table, columns in LINKS.items():
            for column in columns:
                left = s.execute(
                    text(f"SELECT count(*) FROM {table} WHERE {column} IN (:a, :b)"),
                    {"a": person_id, "b": twin_id},
                ).scalar()
                assert left == 0, (table, column)
        assert any(_count(s, t) < counts[t] for t in ("case_file", "referral"))
        event = s.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "purge"))
        assert (event.entity, event.entity_id, event.user_id) == (
            "person",
            person_id,
            team["admin"].id,
        )
        assert "Testy" not in (event.details or "")
