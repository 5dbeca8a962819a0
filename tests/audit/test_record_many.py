"""Many audit events written with one statement chain exactly as events written one by one."""

from __future__ import annotations

import json

from sqlalchemy import select

from followup import audit
from followup.audit.chain import verify_chain
from followup.db import models as m
from followup.vocab import AuditAction


def test_events_written_together_keep_the_chain_unbroken(database, team):
    lead = team["lead"]
    with database.session() as s:
        audit.record(s, lead.id, AuditAction.VIEW, "case", 1)
        audit.record_many(
            s, lead.id, AuditAction.CREATE, "letter", [(10, {"n": 1}), (11, None), (12, {"n": 3})]
        )
        audit.record(s, lead.id, AuditAction.VIEW, "case", 2)
    with database.session() as s:
        audit.record_many(s, lead.id, AuditAction.PRINT, "letter", [(10, {"job": "x-1"})])
        audit.record_many(s, lead.id, AuditAction.PRINT, "letter", [])
    with database.session() as s:
        events = s.scalars(
            select(m.AuditEvent)
            .where(m.AuditEvent.entity.in_(("case", "letter")))
            .order_by(m.AuditEvent.id)
        ).all()
        assert [(e.action, e.entity, e.entity_id) for e in events][-6:] == [
            ("view", "case", 1),
            ("create", "letter", 10),
            ("create", "letter", 11),
            ("create", "letter", 12),
            ("view", "case", 2),
            ("print", "letter", 10),
        ]
        assert [json.loads(e.details) if e.details else None for e in events[-5:-2]] == [
            {"n": 1},
            None,
            {"n": 3},
        ]
        assert all(e.user_id == lead.id and e.at is not None for e in events[-6:])
        report = verify_chain(s)
        assert report.ok
        if database.is_sqlite:
            assert all(e.chain for e in events[-6:])
