"""Two administrators with the Letter templates view open: the second save meets the conflict
bar, Reload keeps what they typed and shows the rest as saved, and their next save lands."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.letters.settings import letterhead, save_template_wording, set_letterhead
from tests.ui.letters.helpers import WAIT
from tests.ui.letters.test_settings_view import make_view, type_wording, wording

THEIRS = "Hello {first_name},\n\nPlease ring us.\n\n{worker_name}"
MINE = "Dear {first_name},\n\nWe tried to reach you.\n\n{worker_name}"


def test_wording_saved_meanwhile_meets_the_conflict_bar(ui_any_db, team, qtbot):
    db = ui_any_db
    view = make_view(qtbot, db, team["admin"])
    view.choose("unable_to_contact")
    type_wording(qtbot, view, MINE)
    with db.session() as s:  # another administrator saves first
        save_template_wording(s, team["admin"], "unable_to_contact", THEIRS)

    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.conflict.isVisible(), timeout=WAIT)
    assert view.conflict.message.text().startswith("Someone else changed the wording of the")
    assert wording(db, "unable_to_contact") == THEIRS  # theirs was not overwritten
    assert view.editor.toPlainText() == MINE  # and mine is still on screen

    qtbot.mouseClick(view.conflict.reload, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.loading and view.conflict.isHidden(), timeout=WAIT)
    assert view.editor.toPlainText() == MINE
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.message.text().startswith("Saved."), timeout=WAIT)
    assert wording(db, "unable_to_contact") == MINE


def test_letterhead_saved_meanwhile_keeps_both_changes(ui_any_db, team, qtbot):
    db = ui_any_db
    view = make_view(qtbot, db, team["admin"])
    view.head_phone.setText("0121 496 0000")
    with db.session() as s:  # another administrator renames the organisation
        set_letterhead(s, team["admin"], name="Synthetic Support Team")

    qtbot.mouseClick(view.save_head_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.head_conflict.isVisible(), timeout=WAIT)
    assert view.head_conflict.message.text().startswith("Someone else changed the letterhead")
    qtbot.mouseClick(view.head_conflict.reload, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.loading and view.head_conflict.isHidden(), timeout=WAIT)
    assert view.head_name.text() == "Synthetic Support Team"  # theirs shows
    assert view.head_phone.text() == "0121 496 0000"  # mine is kept
    qtbot.mouseClick(view.save_head_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.head_message.text().startswith("Letterhead saved"), timeout=WAIT)
    with db.session() as s:
        head = letterhead(s)
    assert (head.name, head.phone) == ("Synthetic Support Team", "0121 496 0000")
