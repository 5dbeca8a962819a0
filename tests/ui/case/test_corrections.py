"""Corrections and notes on the case screen, driven as a worker and a lead would: right-click an
entry, amend it or mark it entered in error with a reason, and see the original struck through
with the correction under it; add a note and see it in the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from followup.casework import treatment
from followup.db import models as m
from followup.ui.case.view import CaseView
from followup.uktime import short_date, uk_today
from tests.ui.case.helpers import WAIT, choose, make_case, open_view, service_attempt, settle


def row_of(view: CaseView, kind: str, text_part: str) -> int:
    rows = view.timeline.rows()
    return next(i for i, r in enumerate(rows) if r[1] == kind and text_part in r[2])


def right_click(qtbot, view: CaseView, row: int) -> None:
    table = view.timeline.table
    table.scrollTo(table.model().index(row, 2))
    pos = table.visualRect(table.model().index(row, 2)).center()
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, table.viewport().mapToGlobal(pos)
    )
    QApplication.sendEvent(table.viewport(), event)
    qtbot.waitUntil(lambda: view.timeline.menu is not None and view.timeline.menu.isVisible())


def choose_action(qtbot, view: CaseView, text: str) -> None:
    menu = view.timeline.menu
    action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    action.trigger()
    menu.close()


def test_a_worker_amends_an_attempt_and_sees_the_original_struck_through(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    service_attempt(ui_db, team["worker1"], case_id, outcome="no_answer", notes="Rang twice")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    row = row_of(view, "Contact", "no answer")
    right_click(qtbot, view, row)
    choose_action(qtbot, view, "Amend…")
    qtbot.waitUntil(lambda: view.timeline.dialog is not None and view.timeline.dialog.isVisible())
    dialog = view.timeline.dialog
    outcome = next(w for key, w, _ in dialog.fields if key == "outcome")
    assert outcome.currentData() == "no_answer"  # starts from the entry as stored
    assert not dialog.ok.isEnabled()  # the reason is required
    choose(outcome, "voicemail_left")
    qtbot.keyClicks(dialog.reason, "Chose the wrong outcome")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    settle(qtbot, view)
    rows = view.timeline.rows()
    old = row_of(view, "Contact", "no answer")
    assert view.timeline.struck(old)
    assert rows[old + 1][1:3] == (
        "Correction",
        f"Amended by Wendy Worker on {short_date(uk_today())}: Chose the wrong outcome "
        "(see the corrected entry below)",
    )
    assert not view.timeline.struck(old + 1)
    new = row_of(view, "Contact", "voicemail left")
    assert new == old + 2 and not view.timeline.struck(new)
    # Only the corrected attempt counts: the tab says one attempt.
    assert view.tabs.tabText(0) == "Contact attempts (1)"
    with ui_db.session() as s:
        voided = s.scalars(select(m.ContactAttempt).where(m.ContactAttempt.voided_at.is_not(None)))
        assert [a.void_reason for a in voided] == ["Chose the wrong outcome"]


def test_a_worker_past_the_window_is_refused_and_a_lead_may_correct(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    service_attempt(ui_db, team["worker1"], case_id, days_ago=10)
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    row = row_of(view, "Contact", "no answer")
    right_click(qtbot, view, row)
    choose_action(qtbot, view, "Mark entered in error…")
    assert view.timeline.dialog is None
    assert view.timeline.message.text() == (
        "You can correct your own entries for 7 days after making them; this one is older, so "
        "ask a team lead to correct it."
    )
    assert view.timeline.message.isVisible()

    lead_view = open_view(qtbot, ui_db, team["lead"], case_id)
    row = row_of(lead_view, "Contact", "no answer")
    # From the keyboard: choose the row, then Correct… opens the same menu.
    lead_view.timeline.table.setCurrentIndex(lead_view.timeline.table.model().index(row, 2))
    qtbot.mouseClick(lead_view.timeline.correct_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: lead_view.timeline.menu is not None and lead_view.timeline.menu.isVisible()
    )
    choose_action(qtbot, lead_view, "Mark entered in error…")
    dialog = lead_view.timeline.dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert dialog.fields == []
    qtbot.keyClicks(dialog.reason, "Logged on the wrong case")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    settle(qtbot, lead_view)
    row = row_of(lead_view, "Contact", "no answer")
    assert lead_view.timeline.struck(row)
    assert lead_view.timeline.rows()[row + 1][2] == (
        f"Entered in error by Lee Lead on {short_date(uk_today())}: Logged on the wrong case"
    )
    assert lead_view.tabs.tabText(0) == "Contact attempts"


def test_a_refused_amendment_keeps_the_dialog_open_with_the_reason(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    with ui_db.session() as s:
        treatment.record_naloxone_supply(
            s,
            team["worker1"],
            case_id,
            None,
            supplied_on=uk_today(),
            kit_type="nasal",
            batch_number="TEST-BATCH",
            expires_on=uk_today() + timedelta(days=400),
        )
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    row = row_of(view, "Naloxone", "kit(s) supplied")
    # A kit is a whole day: its date alone, no time.
    assert view.timeline.rows()[row][0] == short_date(uk_today())
    table = view.timeline.table
    table.scrollTo(table.model().index(row, 2))
    pos = table.visualRect(table.model().index(row, 2)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: view.timeline.dialog is not None and view.timeline.dialog.isVisible())
    dialog = view.timeline.dialog
    supplied = next(w for key, w, _ in dialog.fields if key == "supplied_on")
    supplied.setDate(supplied.date().addDays(5))  # in the future
    qtbot.keyClicks(dialog.reason, "Wrong date")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    settle(qtbot, view)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=WAIT)
    assert dialog.message.text() == "The supply date cannot be in the future."
    assert dialog.isVisible() and dialog.reason.text() == "Wrong date"
    settle(qtbot, view)
    with ui_db.session() as s:
        assert s.scalar(select(m.NaloxoneSupply.voided_at)) is None
    dialog.reject()


def test_a_note_added_from_the_case_shows_in_the_timeline(ui_db, team, qtbot):
    case_id = make_case(ui_db, team, status="contacting")
    view = open_view(qtbot, ui_db, team["worker1"], case_id)
    view.tabs.setCurrentWidget(
        view.tabs.widget(view.tabs.count() - 1 if view.letters is None else 6)
    )
    panel = view.notes
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    assert panel.message.text() == "Write the note first."
    qtbot.keyClicks(panel.text, "Mother says he moved to Testtown")
    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text() == "Note added.", timeout=WAIT)
    top = view.timeline.rows()[0]
    assert top[1:] == ("Note", "Mother says he moved to Testtown", "Wendy Worker")
    assert panel.text.toPlainText() == ""
    assert panel.count.text() == "1 note on this case."
    assert datetime.now(UTC) - timedelta(minutes=5) < view.detail.timeline[0].at
