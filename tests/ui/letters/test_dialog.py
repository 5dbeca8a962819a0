"""The New letter dialog, the preview, printing and saving, and the case's letters panel,
through what a user touches."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from sqlalchemy import select

from followup.db import models as m
from followup.letters.making import create_letter
from followup.ui.case.letters import CaseLettersPanel
from followup.ui.letters.dialog import NewLetterDialog
from followup.ui.shell.main_window import MainWindow
from followup.ui.widgets import pdf_preview
from tests.letters.helpers import page_count, pdf_text
from tests.ui.letters.helpers import (  # noqa: F401 - fixtures
    WAIT,
    audit_actions,
    count,
    letter_cases_fixture,
    letter_db_fixture,
    pdf_printer_fixture,
)

SOON = (datetime.now() + timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)


def open_dialog(qtbot, db, actor, case_id) -> NewLetterDialog:
    dialog = NewLetterDialog(db, actor, case_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: choices_shown(dialog), timeout=WAIT)
    return dialog


def choices_shown(dialog: NewLetterDialog) -> bool:
    """The templates and their reasons are on screen: a widget added to a shown layout is
    shown by a queued event, so it becomes visible one event after the answer arrived."""
    shown = [*dialog.template_buttons.values(), *dialog.reasons.values()]
    return bool(shown) and all(widget.isVisible() for widget in shown)


def fill_appointment(qtbot, dialog: NewLetterDialog) -> None:
    dialog.choose("appointment")
    dialog.appointment_time.setDateTime(QDateTime(SOON))
    qtbot.keyClicks(dialog.appointment_place, "The Community Centre, 3 High Street")


def preview(qtbot, dialog: NewLetterDialog) -> None:
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.preview.page_count > 0, timeout=WAIT)


def save(qtbot, dialog: NewLetterDialog) -> int:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.preview.letter_ids), timeout=WAIT)
    return dialog.preview.letter_ids[0]


def test_the_preview_opens_the_letter_made_in_the_dialog(ui_db, team, letter_cases, qtbot):
    dialog = open_dialog(qtbot, ui_db, team["worker1"], letter_cases["ready"])
    fill_appointment(qtbot, dialog)
    assert dialog.appointment_box.isVisible()
    preview(qtbot, dialog)

    pdf = dialog.preview.pdf
    assert pdf is not None
    assert dialog.preview.document.pageCount() == page_count(pdf) == 1
    assert dialog.preview.pages.currentWidget() is dialog.preview.view
    text = pdf_text(pdf)
    assert "Dear Testy," in text and "The Community Centre, 3 High Street" in text
    assert dialog.preview.info.text() == "1 page — preview only; Save to case to print it"
    # A preview is not stored, so it cannot be printed or saved as a file yet.
    assert not dialog.preview.print_button.isEnabled()
    assert not dialog.preview.save_button.isEnabled()
    assert count(ui_db, m.Letter) == 0


def test_saving_to_the_case_stores_it_and_printing_is_recorded(
    ui_db, team, letter_cases, qtbot, pdf_printer
):
    dialog = open_dialog(qtbot, ui_db, team["worker1"], letter_cases["ready"])
    saved: list[int] = []
    dialog.letter_saved.connect(saved.append)
    fill_appointment(qtbot, dialog)
    letter_id = save(qtbot, dialog)

    assert saved == [letter_id]
    with ui_db.session() as s:
        letter = s.get(m.Letter, letter_id)
        assert (letter.case_id, letter.template) == (letter_cases["ready"], "appointment")
        assert letter.pdf == dialog.preview.pdf
    assert "Saved to the case" in dialog.message.text()
    assert not dialog.save_button.isEnabled()  # the same letter is not stored twice

    assert dialog.preview.print_button.isEnabled()
    qtbot.mouseClick(dialog.preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.preview.busy, timeout=WAIT)
    assert dialog.preview.message.text() == (
        "Sent to the printer (1 page); the letter is recorded as printed with the case."
    )
    assert pdf_printer[0].stat().st_size > 1000
    assert page_count(pdf_printer[0].read_bytes()) == 1
    with ui_db.session() as s:
        printed = s.scalars(select(m.LetterPrint)).all()
        assert [(p.letter_id, p.printed_by_id, p.destination) for p in printed] == [
            (letter_id, team["worker1"].id, "PDF file printed-1.pdf")
        ]
    assert audit_actions(ui_db) == ["create", "print"]


def test_save_as_pdf_writes_the_stored_letter_and_records_it(
    ui_db, team, letter_cases, qtbot, tmp_path, monkeypatch
):
    target = tmp_path / "chosen.pdf"
    monkeypatch.setattr(pdf_preview, "ask_pdf_path", lambda _parent, _suggested: target)
    dialog = open_dialog(qtbot, ui_db, team["worker1"], letter_cases["ready"])
    dialog.choose("gp_notification")
    assert not dialog.appointment_box.isVisible()
    save(qtbot, dialog)
    qtbot.mouseClick(dialog.preview.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.exists() and not dialog.preview.busy, timeout=WAIT)
    assert target.read_bytes() == dialog.preview.pdf
    with ui_db.session() as s:
        assert s.scalar(select(m.LetterPrint.destination)) == "Saved as PDF file chosen.pdf"
    assert audit_actions(ui_db) == ["create", "print"]


def test_a_template_without_consent_shows_the_reason(ui_db, team, letter_cases, qtbot):
    dialog = open_dialog(qtbot, ui_db, team["worker1"], letter_cases["no_letters"])
    for name in ("appointment", "unable_to_contact", "gp_notification"):
        assert not dialog.template_buttons[name].isEnabled()
        assert dialog.reasons[name].isVisible()
    assert dialog.reasons["appointment"].text() == (
        "A letter to the person needs the person's consent to letters, which has not been recorded."
    )
    assert "sharing with their GP" in dialog.reasons["gp_notification"].text()
    assert dialog.template_buttons["treatment_referral"].isEnabled()
    assert dialog.template == "treatment_referral"  # the first that can be made is chosen
    assert "treatment_referral" not in dialog.reasons


def test_refusals_are_shown_as_the_plain_sentence(ui_db, team, letter_cases, qtbot):
    dialog = open_dialog(qtbot, ui_db, team["worker1"], letter_cases["ready"])
    dialog.choose("appointment")  # no place given
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "needs the time and the place" in dialog.message.text(), timeout=WAIT)
    assert dialog.preview.pdf is None
    qtbot.keyClicks(dialog.appointment_place, "Test Police Station")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: 'contains the word "police"' in dialog.message.text(), timeout=WAIT)
    assert count(ui_db, m.Letter) == 0


def test_a_colleagues_case_is_refused(ui_db, team, letter_cases, qtbot):
    dialog = NewLetterDialog(ui_db, team["worker1"], letter_cases["colleague"])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "not in your caseload" in dialog.loading.text(), timeout=WAIT)
    assert not dialog.template_buttons


def test_the_case_letters_panel_lists_opens_and_reprints(
    ui_db, team, letter_cases, qtbot, pdf_printer
):
    worker = team["worker1"]
    with ui_db.session() as s:
        first = create_letter(s, worker, letter_cases["ready"], "gp_notification")
        second = create_letter(s, worker, letter_cases["ready"], "unable_to_contact")
    panel = CaseLettersPanel(ui_db, worker, letter_cases["ready"])
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: len(panel.letters) == 2, timeout=WAIT)
    rows = [[panel.table.topLevelItem(r).text(c) for c in range(5)] for r in range(2)]
    assert [r[0] for r in rows] == ["We tried to reach you", "Letter to the GP"]
    assert {r[2] for r in rows} == {"Wendy Worker"}
    assert {r[3] for r in rows} == {"Due: not printed"} and {r[4] for r in rows} == {"Not printed"}
    changes: list[bool] = []
    panel.changed.connect(lambda: changes.append(True))

    panel.select(first.id)
    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.preview_dialog is not None, timeout=WAIT)
    shown = panel.preview_dialog.preview
    assert shown.pdf == first.pdf and shown.document.pageCount() == page_count(first.pdf)
    assert audit_actions(ui_db) == ["create", "create", "view"]

    panel.select(second.id)
    qtbot.mouseClick(panel.reprint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(changes) and not panel.loading, timeout=WAIT)
    assert panel.preview_dialog.preview.pdf == second.pdf
    assert pdf_printer[0].exists()
    assert audit_actions(ui_db) == ["create", "create", "view", "view", "print"]
    assert panel.selected_id() == second.id
    assert panel.table.currentItem().text(3) == "Printed"
    assert panel.table.currentItem().text(4).startswith("once, last ")


def test_new_letter_from_the_panel_refreshes_the_list(ui_db, team, letter_cases, qtbot):
    panel = CaseLettersPanel(ui_db, team["worker1"], letter_cases["ready"])
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: not panel.loading, timeout=WAIT)
    assert panel.empty.isVisible() and not panel.open_button.isEnabled()
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    dialog = panel.new_letter_dialog
    qtbot.waitUntil(lambda: choices_shown(dialog), timeout=WAIT)
    dialog.choose("unable_to_contact")
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        letter_id = save(qtbot, dialog)
    qtbot.waitUntil(lambda: len(panel.letters) == 1, timeout=WAIT)
    assert panel.selected_id() == letter_id


def test_the_letters_views_are_in_the_main_window_by_role(ui_db, team, qtbot):
    for user, title, absent in (
        ("lead", "Letters", "Letter templates"),
        ("worker1", "Letters", "Letter templates"),
        ("admin", "Letter templates", "Letters"),
    ):
        window = MainWindow(ui_db, team[user])
        qtbot.addWidget(window)
        assert title in window.views and absent not in window.views


def test_letters_are_made_and_printed_on_every_backend(
    ui_any_db, team, letter_cases, qtbot, pdf_printer
):
    dialog = open_dialog(qtbot, ui_any_db, team["lead"], letter_cases["ready"])
    dialog.choose("treatment_referral")
    preview(qtbot, dialog)
    pages = dialog.preview.document.pageCount()
    assert pages == page_count(dialog.preview.pdf) >= 2  # the letter and its referral summary
    letter_id = save(qtbot, dialog)
    qtbot.mouseClick(dialog.preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.preview.busy, timeout=WAIT)
    assert page_count(pdf_printer[0].read_bytes()) == dialog.preview.document.pageCount()
    assert count(ui_any_db, m.LetterPrint, m.LetterPrint.letter_id == letter_id) == 1
    assert audit_actions(ui_any_db) == ["create", "print"]
