"""Traceability at intake (issue 17): each referral's class from what the police gave with it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from followup.db import models as m
from followup.intake.importer import import_file
from followup.intake.traceability import classify, latest_classes, usable_address, usable_phone
from followup.vocab import Traceability
from tests.intake.helpers import NOW, row, write_csv


def test_usable_phone_and_address_rules():
    assert usable_phone("07700 900123") and usable_phone("+44 121 496 0123")
    assert not usable_phone("12345") and not usable_phone("") and not usable_phone(None)
    assert not usable_phone("+1 202 555 0100")  # not a UK number
    assert usable_address(None, "B5 6DD")
    assert usable_address("12 Testing Street, Testville", None)
    assert not usable_address("Flat", None)  # too short to find anyone
    assert not usable_address("  Unknown ", None) and not usable_address("No fixed abode", None)
    assert not usable_address("12 Testing Street", "B5 6DD", no_fixed_abode=True)


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (dict(address="1 Test Road", phone="07700 900001"), Traceability.FULL),
        (dict(postcode="B5 6DD"), Traceability.NAME_ADDRESS),
        (dict(phone="07700900002"), Traceability.NAME_PHONE),
        (dict(address="unknown", phone="999"), Traceability.NAME_ONLY),
        (
            dict(first_name=None, last_name=None, phone="07700 900003"),
            Traceability.DESCRIPTION_ONLY,
        ),
    ],
)
def test_classify_each_kind(details, expected):
    given = dict(first_name="Testy", last_name="Alpha", address=None, postcode=None, phone=None)
    given.update(details)
    assert classify(**given) == expected


def test_import_classes_each_referral_from_its_own_fields(database, team, tmp_path):
    rows = [
        row(police_reference="TR-FULL", first_name="Testperson", last_name="Alpha",
            address="1 Test Road, Testville", postcode="B5 6DD", phone="07700 900101"),
        row(police_reference="TR-ADDR", first_name="Testperson", last_name="Bravo",
            address="2 Example Street", phone=""),
        row(police_reference="TR-BADPHONE", first_name="Testperson", last_name="Charlie",
            postcode="B5 7AA", phone="0770 09"),  # cannot be a UK number: left out
        row(police_reference="TR-PHONE", first_name="Testperson", last_name="Delta",
            phone="0121 496 0101", no_fixed_abode="Y", address="No fixed abode"),
        row(police_reference="TR-NAME", first_name="Testperson", last_name="Echo",
            address="Unknown", phone="12345"),
        row(police_reference="TR-DESC", first_name="", last_name="",
            description="Tall synthetic test figure in a blue coat", phone="07700 900102",
            postcode="B5 6DD"),
    ]  # fmt: skip
    for n, r in enumerate(rows):
        r["date_of_birth"] = f"0{n + 1}/03/198{n}"
    path = write_csv(tmp_path / "referrals.csv", rows)
    summary = import_file(database, team["worker1"], path, now=NOW)
    assert len(summary.cases_created) == 6
    with database.session() as s:
        got = dict(s.execute(select(m.Referral.police_reference, m.Referral.traceability)).all())
        warned = set(s.scalars(select(m.ReferralWarning.field)))
        classes = latest_classes(s, summary.cases_created)
    assert got == {
        "TR-FULL": "full",
        "TR-ADDR": "name_address",
        "TR-BADPHONE": "name_address",
        "TR-PHONE": "name_phone",
        "TR-NAME": "name_only",
        "TR-DESC": "description_only",
    }
    assert "phone" in warned  # the unusable numbers were left out, with a warning
    assert sorted(classes.values()) == sorted(Traceability(v) for v in got.values())


def test_a_referral_written_without_a_class_takes_it_from_its_person(database):
    """The ORM default (``db.traceability``) uses the same rules over the person's record."""
    people = {
        "full": dict(first_name="Testy", phone="+447700900201", postcode="B5 6DD"),
        "name_address": dict(last_name="Alpha", address="3 Sample Lane"),
        "name_phone": dict(first_name="Testy", phone="+447700900202", no_fixed_abode=True,
                           address="4 Sample Lane"),
        "name_only": dict(first_name="Testy", address="not known"),
        "description_only": dict(description="Synthetic person", phone="+447700900203"),
    }  # fmt: skip
    now = datetime.now(UTC)
    with database.session() as s:
        for n, (expected, details) in enumerate(people.items()):
            person = m.Person(date_of_birth=date(1980, 1, 2), **details)
            s.add(person)
            s.flush()
            case = m.Case(person_id=person.id, police_reference=f"ORM-{n}", referred_at=now)
            s.add(case)
            s.flush()
            s.add(
                m.Referral(
                    case_id=case.id,
                    person_id=person.id,
                    police_reference=expected,
                    force="Test Force",
                    incident_at=now,
                )
            )
    with database.session() as s:
        got = dict(s.execute(select(m.Referral.police_reference, m.Referral.traceability)).all())
    assert got == {k: k for k in people}
