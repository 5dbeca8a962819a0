"""Closing a case from the case view when nobody was ever reached (issue 17): the dialog asks
why contact was never made, only then, and the case keeps the reason."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.db import models as m
from followup.ui.case import dialogs
from tests.ui.accessibility import unnamed_controls
from tests.ui.case.helpers import case_status, choose, make_case, open_view, service_attempt, settle


def stored_reason(db, case_id):
    with db.session() as s:
        return s.get(m.Case, case_id).no_contact_reason


def drive_dialog(qtbot, reason, no_contact=None, note=""):
    """Stand in for the blocking dialog: fill the real one as a user would, press Close case."""
    seen = {}

    def ask(parent, detail):
        dialog = dialogs.CloseCaseDialog(detail, parent)
        qtbot.addWidget(dialog)
        dialog.show()
        seen["asked"] = not dialog.no_contact.isHidden()
        seen["named"] = unnamed_controls(dialog)
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        choose(dialog.reason, reason)
        seen["problem"] = dialog.problem.text()
        seen["ok_before"] = ok.isEnabled()
        if no_contact is not None:
            choose(dialog.no_contact, no_contact)
        qtbot.keyClicks(dialog.note, note)
        seen["ok_after"] = ok.isEnabled()
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        return dialog.choice() if dialog.result() == dialog.DialogCode.Accepted else None

    return ask, seen


def test_closing_a_case_nobody_reached_asks_why(ui_db, team, qtbot, monkeypatch):
    case_id = make_case(ui_db, team, status="contacting")
    w = team["worker1"]
    service_attempt(ui_db, w, case_id, "phone", "wrong_number", days_ago=2)
    view = open_view(qtbot, ui_db, w, case_id)
    ask, seen = drive_dialog(qtbot, "moved_away", "moved_away", note="Neighbour said so")
    monkeypatch.setattr(dialogs, "ask_closure", ask)
    qtbot.mouseClick(view.lifecycle.close_case, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert seen["asked"] and seen["named"] == []
    assert (
        seen["problem"] == "Nobody has spoken with the person; choose why contact was never made."
    )
    assert (seen["ok_before"], seen["ok_after"]) == (False, True)
    assert view.lifecycle.message.text() == "Case closed (moved away)."
    assert case_status(ui_db, case_id) == "closed"
    assert stored_reason(ui_db, case_id) == "moved_away"


def test_a_case_where_someone_spoke_with_the_person_is_not_asked(ui_db, team, qtbot, monkeypatch):
    case_id = make_case(ui_db, team, status="contacting")
    w = team["worker1"]
    service_attempt(ui_db, w, case_id, "phone", "spoke_declined", days_ago=1)
    view = open_view(qtbot, ui_db, w, case_id)
    ask, seen = drive_dialog(qtbot, "declined")
    monkeypatch.setattr(dialogs, "ask_closure", ask)
    qtbot.mouseClick(view.lifecycle.close_case, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert not seen["asked"] and seen["ok_before"]
    assert view.lifecycle.message.text() == "Case closed (declined)."
    assert (case_status(ui_db, case_id), stored_reason(ui_db, case_id)) == ("closed", None)


def test_the_service_refuses_a_close_without_the_reason(ui_db, team, qtbot, monkeypatch):
    case_id = make_case(ui_db, team, status="contacting")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    monkeypatch.setattr(dialogs, "ask_closure", lambda parent, detail: ("moved_away", "", None))
    qtbot.mouseClick(view.lifecycle.close_case, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    assert "choose why contact was never made" in view.lifecycle.message.text()
    assert case_status(ui_db, case_id) == "contacting"
