"""Consent from a police file is recorded as given at the scene through the named officer, not
by the worker who clicked Import; the import's audit event still names that worker.

Runs on SQLite and, when configured, PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from followup.casework.consent import history
from followup.db import models as m
from followup.intake.rules import officer_source
from tests.intake.helpers import row, write_csv
from tests.intake.test_importer import _import, _one, _referral


def test_scene_consent_is_the_officers_at_the_incident_time(database, team, tmp_path):
    path = write_csv(tmp_path / "consent.csv", [
        row(police_reference="PC-Y-1", force="Testshire Police", officer_name="PC Testofficer",
            officer_id="4711", station="Testville North", consent_to_share="Y",
            incident_datetime="20/11/2026 14:30"),
    ])  # fmt: skip
    _import(database, team["worker1"], path)
    person = _referral(database, "PC-Y-1").person_id
    with database.session() as s:
        entries = history(s, person)
    assert sorted(e.scope for e in entries) == ["contact_letter", "contact_phone", "contact_sms"]
    for e in entries:
        # What the consent history shows: taken by the officer, not by Wendy Worker.
        assert e.state == "given" and e.method == "verbal_at_scene_via_police"
        assert e.recorded_by == ""
        assert e.source == "PC Testofficer (collar 4711), Testville North, Testshire Police"
        assert e.recorded_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 14:30 GMT
    with database.session() as s:
        stored = s.scalars(select(m.ConsentEntry)).all()
    assert {e.recorded_by_id for e in stored} == {None}

    event = _one(database, m.AuditEvent, m.AuditEvent.action == "import")
    assert event.user_id == team["worker1"].id
    assert json.loads(event.details)["imported"] == 1


def test_officer_source_without_every_detail():
    assert officer_source({"officer_id": "4711"}, "Testshire Police") == (
        "(collar 4711), Testshire Police"
    )
    assert officer_source({"officer_name": "PC Testofficer"}) == "PC Testofficer"
    assert officer_source({}) == "police officer at the scene"
