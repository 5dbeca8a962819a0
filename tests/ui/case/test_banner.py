"""The person banner on every case: who, how old, NHS number, phone, where, GP, the risk
markers and the consents in force, readable at 1366 pixels wide."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from followup.db import models as m
from followup.uktime import short_date
from tests.ui.case.helpers import make_case, open_view


def _change_person(db, case_id, **values):
    with db.session() as s:
        person = s.get(m.Case, case_id).person
        for key, value in values.items():
            setattr(person, key, value)


def test_the_banner_names_the_person_and_what_is_known(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting", first="Testperson", last="Banner")
    _change_person(ui_db, case_id, nhs_number="9990000018", gp_practice="Test Surgery\n2 Road")
    with ui_db.session() as s:
        case = s.get(m.Case, case_id)
        earlier = case.referred_at - timedelta(days=40)
        s.add(
            m.Referral(
                case_id=case.id,
                person_id=case.person_id,
                police_reference="TST-EARLIER",
                force="Test Force",
                incident_at=earlier,
                consent_at_scene="unknown",
            )
        )
        last = case.referred_at - timedelta(hours=1)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    view.resize(1366, 768)
    header = view.header
    age = date.today().year - 1980 - ((date.today().month, date.today().day) < (1, 2))
    assert header.name.text() == "Testperson Banner"
    assert header.identity.text() == (
        f"Born 02/01/1980 (age {age})  ·  NHS number 999 000 0018  ·  Phone 07700 900001"
    )
    assert header.where.text() == "Address: 1 Test Street, Testville, B5 6DD  ·  GP: Test Surgery"
    assert f"Repeat overdose: 2, latest {short_date(last)}" in header.text()
    assert header.consents.text() == (
        "Consent: Phone: given  ·  Text: given  ·  Letter: given  ·  Home visit: not asked  ·  "
        "Share with treatment: not asked  ·  Share with GP: not asked  ·  NDTMS: not asked"
    )
    # Every line fits the window's width: it wraps rather than running off the screen.
    for label in (header.identity, header.where, header.consents, header.facts):
        assert label.wordWrap()
        assert label.geometry().right() <= header.width()
    assert header.width() <= 1366


def test_missing_details_and_no_fixed_abode_are_said(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting", scene_consent=False)
    _change_person(
        ui_db, case_id, date_of_birth=None, phone=None, address=None, no_fixed_abode=True
    )
    with ui_db.session() as s:
        s.add(
            m.ConsentEntry(
                person_id=s.get(m.Case, case_id).person_id,
                scope="contact_sms",
                state="refused",
                method="verbal_by_phone",
                recorded_at=datetime.now(UTC) - timedelta(days=1),
            )
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    header = view.header
    assert header.identity.text() == (
        "Date of birth not known  ·  NHS number not known  ·  No phone on file"
    )
    assert header.where.text() == "No fixed abode  ·  GP not known"
    assert "No fixed abode" in [chip.text() for chip in header._chips]
    assert "Text: refused" in header.consents.text()
    assert "Phone: not asked" in header.consents.text()
