"""A letter to the GP needs the practice's address and a patient the practice can identify;
otherwise it is refused with the reason, alike when made, in the dialog's list and in the
letters due."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from followup.db import models as m
from followup.errors import RuleViolation
from followup.letters.batch import letter_problem, letters_due
from followup.letters.making import create_letter
from tests.letters.helpers import (  # noqa: F401 - fixtures
    add_case,
    flat,
    letterhead_set_fixture,
    pdf_text,
)

GP = "gp_notification"


def _case(database, team, **person):
    """A case with GP consent; ``person`` changes the person's details after it is made."""
    with database.session() as s:
        case_id = add_case(
            s,
            team["worker1"].id,
            gp=person.pop("gp", "Test Surgery"),
            reference=person.pop("reference", "TST-100"),
            with_treatment=False,
        )
        p = s.get(m.Case, case_id).person
        for key, value in person.items():
            setattr(p, key, value)
        return case_id


def _letters(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(m.Letter)) or 0


def _refusal(database, team, case_id) -> tuple[str, str, str]:
    """What making the letter, the dialog's check and the letters due each say."""
    w = team["worker1"]
    with pytest.raises(RuleViolation) as made, database.session() as s:
        create_letter(s, w, case_id, GP)
    with database.session() as s:
        listed = letter_problem(s, s.get(m.Case, case_id).person, GP)
        due = {d.request.template: d.problem for d in letters_due(s, w) if d.case_id == case_id}
    return str(made.value), listed or "", due.get(GP) or ""


def test_a_practice_name_alone_is_refused_everywhere_with_the_reason(
    database, team, letterhead_set
):
    case_id = _case(database, team)  # "Test Surgery", no address anywhere
    made, listed, due = _refusal(database, team, case_id)
    assert made == listed == due
    assert made.startswith("A letter to the GP needs the practice's address")
    assert "services directory (type GP)" in made
    assert _letters(database) == 0


def test_the_practice_address_comes_from_the_services_directory(database, team, letterhead_set):
    case_id = _case(database, team)
    with database.session() as s:
        s.add(
            m.Service(
                name="Test Surgery", service_type="gp", address="9 Health Street\nTesttown\nB5 8FF"
            )
        )
    with database.session() as s:
        record = create_letter(s, team["worker1"], case_id, GP)
    text = flat(pdf_text(record.pdf))
    assert "The GP Test Surgery 9 Health Street Testtown B5 8FF" in text


def test_a_gp_record_with_its_address_is_enough(database, team, letterhead_set):
    case_id = _case(database, team, gp="Test Surgery, 2 Practice Road, Testtown, B5 7EE")
    with database.session() as s:
        record = create_letter(s, team["worker1"], case_id, GP)
    assert "Test Surgery 2 Practice Road Testtown B5 7EE" in flat(pdf_text(record.pdf))


def test_a_patient_with_neither_date_of_birth_nor_nhs_number_is_refused(
    database, team, letterhead_set
):
    case_id = _case(
        database,
        team,
        gp="Test Surgery, 2 Practice Road, Testtown",
        date_of_birth=None,
        nhs_number=None,
    )
    made, listed, due = _refusal(database, team, case_id)
    assert (
        made
        == listed
        == due
        == (
            "A letter to the GP must identify the patient by date of birth and NHS number, or by "
            "full name, date of birth and address; this person's date of birth and NHS number are "
            "not recorded."
        )
    )
    assert _letters(database) == 0


def test_name_date_of_birth_and_address_identify_a_patient_without_nhs_number(
    database, team, letterhead_set
):
    gp = "Test Surgery, 2 Practice Road, Testtown"
    with_address = _case(database, team, gp=gp, nhs_number=None)
    with database.session() as s:
        create_letter(s, team["worker1"], with_address, GP)
    no_abode = _case(
        database,
        team,
        gp=gp,
        reference="TST-101",
        nhs_number=None,
        no_fixed_abode=True,
        address=None,
    )
    made, listed, due = _refusal(database, team, no_abode)
    assert made == listed == due
    assert made.endswith("this person's NHS number is not recorded.")
