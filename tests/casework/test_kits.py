"""Kits and treatment referrals cannot be recorded wrong by accident: the service refuses, in
one sentence and without writing, what the forms refuse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from followup.casework import treatment
from followup.db import models as m
from followup.errors import RuleViolation

NOW = datetime.now(UTC)
TODAY = NOW.date()
GOOD = {
    "supplied_on": TODAY,
    "kit_type": "nasal",
    "quantity": 2,
    "batch_number": "AB123",
    "expires_on": date(TODAY.year + 2, 3, 31),
}


@pytest.fixture
def case_id(database, team):
    """An engaged case of worker1 with consent to share with treatment, and one service."""
    with database.session() as s:
        person = m.Person(first_name="Testperson", last_name="Kit")
        s.add(person)
        s.flush()
        case = m.Case(
            person_id=person.id,
            police_reference="TST-K1",
            area="B5",
            status="engaged",
            referred_at=NOW - timedelta(days=5),
            assigned_worker_id=team["worker1"].id,
        )
        s.add(case)
        s.flush()
        s.add(
            m.ConsentEntry(
                person_id=person.id,
                scope="share_with_treatment",
                state="given",
                method="in_person",
                recorded_at=NOW - timedelta(days=1),
            )
        )
        s.add(m.Service(name="Test Treatment Service", service_type="treatment"))
        return case.id


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _kit(db, team, case_id, **changes):
    with db.session() as s:
        treatment.record_naloxone_supply(s, team["worker1"], case_id, None, **(GOOD | changes))


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"quantity": 0}, "The quantity is a whole number of kits from 1 to 10."),
        ({"quantity": 11}, "The quantity is a whole number of kits from 1 to 10."),
        ({"batch_number": "  "}, "Enter the batch number printed on the kit."),
        ({"expires_on": None}, "Enter the kit's expiry date, printed on the kit."),
        (
            {"supplied_on": TODAY - timedelta(days=60), "expires_on": TODAY - timedelta(days=1)},
            "That kit expired on",
        ),
    ],
)
def test_a_kit_that_is_not_fully_described_is_refused_unwritten(
    database, team, case_id, changes, sentence
):
    with pytest.raises(RuleViolation) as refused:
        _kit(database, team, case_id, **changes)
    assert str(refused.value).startswith(sentence)
    assert _count(database, m.NaloxoneSupply) == 0


def test_a_complete_kit_is_recorded_as_given(database, team, case_id):
    _kit(database, team, case_id)
    with database.session() as s:
        kit = s.scalar(select(m.NaloxoneSupply))
        assert (kit.quantity, kit.batch_number, kit.supply_type) == (2, "AB123", "new")


def test_an_assessment_booked_must_be_in_the_future(database, team, case_id):
    w = team["worker1"]
    with database.session() as s:
        service_id = s.scalar(select(m.Service.id))
    with pytest.raises(RuleViolation, match="Choose a service"), database.session() as s:
        treatment.refer_to_treatment(s, w, case_id, None, TODAY, None)  # type: ignore[arg-type]
    past = NOW - timedelta(hours=1)
    with pytest.raises(RuleViolation, match="already passed"), database.session() as s:
        treatment.refer_to_treatment(
            s, w, case_id, service_id, TODAY, None, assessment_booked_for=past
        )
    assert _count(database, m.TreatmentReferral) == 0
    with database.session() as s:
        tr = treatment.refer_to_treatment(s, w, case_id, service_id, TODAY, None)
        tr_id, tr_version = tr.id, tr.version
    with pytest.raises(RuleViolation, match="already passed"), database.session() as s:
        treatment.update_treatment(
            s, w, tr_id, None, treatment_version=tr_version, assessment_booked_for=past
        )
    soon = NOW + timedelta(days=2)
    with database.session() as s:
        treatment.update_treatment(
            s, w, tr_id, None, treatment_version=tr_version, assessment_booked_for=soon
        )
        assert s.get(m.TreatmentReferral, tr_id).assessment_booked_for == soon
