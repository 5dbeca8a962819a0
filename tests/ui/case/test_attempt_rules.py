"""The attempt form follows the contact gate: each method's own outcomes, a letter only with
consent to letters, "seeking consent" said and stored, a number asked for (and offered to be
saved) when none is on file, and outreach for a person of no fixed abode."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from followup.db import models as m
from followup.ui.case.forms import table_text
from tests.ui.case.helpers import choose, make_case, open_view, settle


def _outcomes(panel) -> list[str]:
    return [panel.outcome.itemData(i) for i in range(panel.outcome.count())]


def test_each_method_offers_its_own_outcomes(ui_db, team, qtbot):
    view = open_view(qtbot, ui_db, team["worker1"], make_case(ui_db, team, status="contacting"))
    panel = view.attempts
    choose(panel.method, "home_visit")
    assert "wrong_number" not in _outcomes(panel) and "not_at_address" in _outcomes(panel)
    choose(panel.method, "letter")
    assert _outcomes(panel) == ["letter_sent", "returned_mail", "other"]
    choose(panel.method, "phone")
    assert "voicemail_left" in _outcomes(panel)


def test_with_consent_not_asked_a_letter_is_held_back_and_a_call_seeks_consent(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting", scene_consent=False)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.attempts
    choose(panel.method, "letter")
    assert panel.method.currentText() == "Letter (not available)"
    assert panel.method_problem.text() == (
        "A letter to the person needs the person's consent to letters, which has not been recorded."
    )
    assert not panel.save.isEnabled()

    choose(panel.method, "phone")
    assert panel.method_problem.isHidden()
    assert "is to ask for it, and is logged as seeking consent" in panel.seeking.text()
    choose(panel.outcome, "voicemail_left")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == "Attempt logged."
    assert table_text(panel.table)[0][1] == "Phone (seeking consent)"
    assert "Phone: voicemail left (seeking consent)" in [r[2] for r in view.timeline.rows()]
    with ui_db.session() as s:
        assert s.scalar(select(m.ContactAttempt.seeking_consent)) is True


def test_no_number_on_file_asks_for_the_number_and_offers_to_save_it(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    with ui_db.session() as s:
        s.get(m.Case, case_id).person.phone = None
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.attempts
    assert panel.method.currentData() == "phone"
    assert panel.number.isVisible() and panel.save_number.isVisible()
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.message.text().startswith("There is no phone number on file; type the number")
    with ui_db.session() as s:
        assert s.scalar(select(m.ContactAttempt.id)) is None

    qtbot.keyClicks(panel.number, "07700 900321")
    panel.save_number.setChecked(True)
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert panel.message.text() == "Attempt logged."
    assert "Phone 07700 900321" in view.header.identity.text()
    assert not panel.number.isVisible()  # on file now
    with ui_db.session() as s:
        assert s.get(m.Case, case_id).person.phone == "+447700900321"


def test_no_fixed_abode_means_outreach_not_a_home_visit(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    with ui_db.session() as s:
        person = s.get(m.Case, case_id).person
        person.no_fixed_abode, person.address = True, None
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    panel = view.attempts
    choose(panel.method, "home_visit")
    assert panel.method_problem.text() == (
        "This person has no fixed abode, so there is no home to visit; log it as outreach instead."
    )
    assert not panel.save.isEnabled()
    choose(panel.method, "outreach")
    assert panel.save.isEnabled()
