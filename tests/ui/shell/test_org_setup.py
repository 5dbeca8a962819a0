"""The organisation set-up offered to the first administrator: letterhead, force, services."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.casework import directory, team_rules
from followup.letters.batch import letterhead_gaps
from followup.letters.settings import letterhead
from followup.ui.shell.app import AppFlow
from followup.ui.shell.org_setup import OrgSetupDialog, setup_wanted
from followup.ui.shell.sign_in import SignedIn
from followup.ui.tasks import wait_for_tasks

WAIT = 10_000


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_first_administrator_is_offered_the_set_up_once(ui_db, team, qtbot):
    assert setup_wanted(ui_db, team["admin"])
    assert not setup_wanted(ui_db, team["lead"])
    flow = AppFlow(ui_db, on_quit=lambda: None, on_exit=lambda _c: None)
    window = flow.show_main_window(SignedIn(team["admin"], False))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: flow.setup is not None and flow.setup.isVisible(), timeout=WAIT)
    dialog: OrgSetupDialog = flow.setup
    assert dialog.step_label.text() == "Step 1 of 3: Letterhead"

    # Step 1: a letterhead without a phone is refused, what was typed stays.
    qtbot.keyClicks(dialog.head_name, "Synthetic Support Team")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: "phone number" in dialog.message.text(), timeout=WAIT)
    assert dialog.step == 0 and dialog.head_name.text() == "Synthetic Support Team"
    qtbot.keyClicks(dialog.head_phone, "0121 496 0000")
    qtbot.keyClicks(dialog.head_email, "team@synthetic.example")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: dialog.step == 1, timeout=WAIT)

    # Step 2: the default force.
    dialog.force.setText("Test Constabulary")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: dialog.step == 2, timeout=WAIT)

    # Step 3: a service, then finish.
    qtbot.keyClicks(dialog.service_name, "Synthetic Recovery Service")
    click(qtbot, dialog.add_service_button)
    qtbot.waitUntil(lambda: dialog.services.count() == 1, timeout=WAIT)
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible() and not dialog.busy, timeout=WAIT)
    wait_for_tasks()

    with ui_db.session() as s:
        head = letterhead(s)
        assert (head.name, head.phone, head.email) == (
            "Synthetic Support Team",
            "0121 496 0000",
            "team@synthetic.example",
        )
        assert letterhead_gaps(s) == {}  # every letter can be made now
        assert team_rules.default_force(s) == "Test Constabulary"
        assert [e.name for e in directory.directory(s, team["admin"])] == [
            "Synthetic Recovery Service"
        ]
    assert not setup_wanted(ui_db, team["admin"])  # offered once
    flow.close()


def test_skipping_every_step_is_allowed_and_not_offered_again(ui_db, team, qtbot):
    dialog = OrgSetupDialog(ui_db, team["admin"])
    qtbot.addWidget(dialog)
    dialog.show()
    for step in (0, 1):
        assert dialog.step == step
        click(qtbot, dialog.skip_button)
    assert dialog.step == 2 and dialog.skip_button.isHidden()
    click(qtbot, dialog.save_button)  # Finish
    qtbot.waitUntil(lambda: not dialog.isVisible() and not dialog.busy, timeout=WAIT)
    wait_for_tasks()
    assert not setup_wanted(ui_db, team["admin"])
    with ui_db.session() as s:
        assert letterhead(s).phone == ""  # nothing was stored for the skipped steps
