"""The administrator's Letter templates view: wording refused or saved, reset, letterhead."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.db import models as m
from followup.letters.settings import letterhead, template_wording
from followup.letters.templates import TEMPLATES
from followup.ui.letters import settings_view
from followup.ui.letters.settings_view import UNSAVED, LetterSettingsView
from tests.letters.helpers import logo_png
from tests.ui.letters.helpers import WAIT, audit_actions, count


def make_view(qtbot, db, actor) -> LetterSettingsView:
    view = LetterSettingsView(db, actor)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: not view.loading and view.editor.isEnabled(), timeout=WAIT)
    return view


def wording(db, template: str) -> str:
    with db.session() as s:
        return template_wording(s, template).body


def type_wording(qtbot, view: LetterSettingsView, text: str) -> None:
    view.editor.selectAll()
    for i, line in enumerate(text.split("\n")):
        if i:
            qtbot.keyClick(view.editor, Qt.Key.Key_Return)
        qtbot.keyClicks(view.editor, line)


def save(qtbot, view: LetterSettingsView) -> None:
    before = view.message.text()
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: view.message.isVisible() and view.message.text() != before, timeout=WAIT
    )


def test_an_unknown_placeholder_is_refused_and_a_good_wording_saved(ui_db, team, qtbot):
    view = make_view(qtbot, ui_db, team["admin"])
    view.choose("appointment")
    assert view.title.text() == "Appointment letter" and view.person_help.isVisible()
    assert view.editor.toPlainText() == TEMPLATES["appointment"].default_body
    names = [
        view.placeholders.topLevelItem(i).text(0)
        for i in range(view.placeholders.topLevelItemCount())
    ]
    assert "{appointment_place}" in names and "{recipient_name}" not in names
    assert not view.save_button.isEnabled()

    type_wording(qtbot, view, "Dear {nickname}, see you at {appointment_place}.")
    assert view.templates.currentItem().text() == "Appointment letter" + UNSAVED
    save(qtbot, view)
    assert view.message.text().startswith(
        "The wording uses the placeholder {nickname}, which the appointment letter does not "
        "know; use one of "
    )
    assert view.message.styleSheet() == settings_view.ERROR_STYLE
    assert wording(ui_db, "appointment") == TEMPLATES["appointment"].default_body

    type_wording(
        qtbot,
        view,
        "Dear {first_name},\n\nPlease meet me at {appointment_place} on "
        "{appointment_date} at {appointment_time}.",
    )
    save(qtbot, view)
    assert view.message.text() == "Saved. New letters use this wording."
    assert wording(ui_db, "appointment").startswith("Dear {first_name},\n\nPlease meet me at")
    assert view.templates.currentItem().text() == "Appointment letter"
    assert audit_actions(ui_db, "letter_template") == ["update"]


def test_a_banned_word_is_refused_and_reset_brings_back_the_default(ui_db, team, qtbot):
    view = make_view(qtbot, ui_db, team["admin"])
    view.choose("unable_to_contact")
    type_wording(qtbot, view, "Dear {first_name}, about your overdose.")
    save(qtbot, view)
    assert 'contains the word "overdose"' in view.message.text()
    # Edits to another template are kept while this one is shown.
    view.choose("gp_notification")
    assert not view.person_help.isVisible()
    type_wording(qtbot, view, "Dear Doctor, about {full_name}.")
    save(qtbot, view)
    assert view.message.text() == "Saved. New letters use this wording."
    view.choose("unable_to_contact")
    assert view.editor.toPlainText() == "Dear {first_name}, about your overdose."

    view.choose("gp_notification")
    qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.message.text().startswith("Back to the default"), timeout=WAIT)
    assert wording(ui_db, "gp_notification") == TEMPLATES["gp_notification"].default_body
    assert view.editor.toPlainText() == TEMPLATES["gp_notification"].default_body
    assert not view.reset_button.isEnabled()


def test_the_letterhead_is_edited_with_a_logo(ui_db, team, qtbot, tmp_path, monkeypatch):
    logo = tmp_path / "logo.png"
    logo.write_bytes(logo_png())
    monkeypatch.setattr(settings_view, "ask_logo_file", lambda _parent: logo)
    view = make_view(qtbot, ui_db, team["admin"])
    assert view.letterhead_box.isVisible()
    assert view.head_name.text() == "Community Support Team"  # the discreet default
    qtbot.mouseClick(view.choose_logo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.head_message.text().startswith("Logo chosen"), timeout=WAIT)
    assert not view.logo_preview.pixmap().isNull()
    view.head_name.clear()
    qtbot.keyClicks(view.head_name, "Testtown Wellbeing Team")
    view.head_address.setPlainText("1 Example Street\nTesttown")
    qtbot.keyClicks(view.head_phone, "0121 496 0001")
    qtbot.mouseClick(view.save_head_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.head_message.text().startswith("Letterhead saved"), timeout=WAIT)
    with ui_db.session() as s:
        head = letterhead(s)
    assert (head.name, head.address, head.phone) == (
        "Testtown Wellbeing Team",
        "1 Example Street\nTesttown",
        "0121 496 0001",
    )
    assert head.logo == logo.read_bytes()

    view.head_name.clear()
    qtbot.keyClicks(view.head_name, "Drug Service")
    qtbot.mouseClick(view.save_head_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: 'contains the word "drug"' in view.head_message.text(), timeout=WAIT)
    assert count(ui_db, m.AuditEvent, m.AuditEvent.entity == "letterhead") == 1


def test_a_file_that_is_not_an_image_is_refused_as_the_logo(
    ui_db, team, qtbot, tmp_path, monkeypatch
):
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not an image")
    monkeypatch.setattr(settings_view, "ask_logo_file", lambda _parent: bad)
    view = make_view(qtbot, ui_db, team["admin"])
    qtbot.mouseClick(view.choose_logo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not a readable image" in view.head_message.text(), timeout=WAIT)
    assert view.logo_preview.text() == "No logo"
