"""The services directory kept by administrators, on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from followup.casework import directory, treatment
from followup.db import models as m
from followup.errors import PermissionDenied, RuleViolation, StaleEdit


def test_an_admin_adds_changes_and_switches_off_a_service(database, team):
    admin = team["admin"]
    with database.session() as s:
        entry = directory.add_service(
            s,
            admin,
            name="Synthetic Recovery Service",
            service_type="treatment",
            phone="0121 496 0777",
            secure_email="referrals@synthetic.example",
            referral_notes="Refer by secure email.",
        )
    assert entry.phone == "0121 496 0777" and entry.active
    with database.session() as s:
        assert [c.name for c in treatment.services(s)] == ["Synthetic Recovery Service"]
        directory.update_service(
            s, admin, entry.id, entry.version, referral_notes="Phone first, then email."
        )
    with database.session() as s:
        now = directory.directory(s, admin)[0]
        assert now.referral_notes == "Phone first, then email."
        directory.set_service_active(s, admin, entry.id, False, now.version)
    with database.session() as s:
        assert treatment.services(s) == []  # no longer offered
        assert directory.directory(s, admin)[0].active is False
        events = (
            s.execute(select(m.AuditEvent.action).where(m.AuditEvent.entity == "service"))
            .scalars()
            .all()
        )
    assert events == ["create", "update", "update"]


def test_bad_details_are_refused_in_one_sentence(database, team):
    admin = team["admin"]
    with database.session() as s:
        directory.add_service(s, admin, name="Synthetic Service", service_type="housing")
    for values, message in [
        ({"name": "  "}, "needs a name"),
        ({"name": "synthetic service", "service_type": "housing"}, "already has a service"),
        ({"name": "Other", "service_type": "spa"}, "kind of service"),
        ({"name": "Other", "service_type": "gp", "phone": "12345"}, "not a UK phone number"),
        ({"name": "Other", "service_type": "gp", "secure_email": "nobody"}, "email address"),
    ]:
        with pytest.raises(RuleViolation, match=message), database.session() as s:
            directory.add_service(s, admin, **values)


def test_only_administrators_keep_the_directory_and_saves_cannot_cross(database, team):
    admin = team["admin"]
    with database.session() as s:
        entry = directory.add_service(s, admin, name="Synthetic Service", service_type="other")
    with pytest.raises(PermissionDenied), database.session() as s:
        directory.add_service(s, team["lead"], name="Lead's Service", service_type="other")
    with database.session() as s:
        directory.update_service(s, admin, entry.id, entry.version, address="1 Example Yard")
    with pytest.raises(StaleEdit, match="this service"), database.session() as s:
        directory.update_service(s, admin, entry.id, entry.version, address="2 Other Yard")
    with database.session() as s:
        assert s.get(m.Service, entry.id).address == "1 Example Yard"
