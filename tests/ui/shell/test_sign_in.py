"""First run and sign-in: the first administrator, a wrong password, then the right one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from followup.accounts import user_count
from followup.db import models as m
from followup.ui.shell.app import AppFlow
from followup.ui.shell.main_window import MainWindow
from followup.ui.shell.sign_in import FirstAdminDialog, SignInDialog


def _flow(db, qtbot):
    quits = []
    flow = AppFlow(db, on_quit=lambda: quits.append(True))
    return flow, quits


def _click_ok(qtbot, dialog):
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_first_administrator_is_created_then_signs_in(ui_db, qtbot):
    flow, quits = _flow(ui_db, qtbot)
    dialog = flow.start(needs_first_admin=True)
    qtbot.addWidget(dialog)
    assert isinstance(dialog, FirstAdminDialog)
    assert dialog.isVisible()

    qtbot.keyClicks(dialog.username, "sam")
    qtbot.keyClicks(dialog.display_name, "Sam Testadmin")
    assert "three random words" in dialog.password_rule.text()
    qtbot.keyClicks(dialog.password, "kettle-orbit-one")
    qtbot.keyClicks(dialog.password_again, "kettle-orbit-two")
    _click_ok(qtbot, dialog)
    assert dialog.message.isVisible()
    assert "differ" in dialog.message.text()

    dialog.password.clear()
    dialog.password_again.clear()
    qtbot.keyClicks(dialog.password, "ab")
    qtbot.keyClicks(dialog.password_again, "ab")
    _click_ok(qtbot, dialog)
    assert "at least 12 characters" in dialog.message.text()
    assert "three random words" in dialog.message.text()

    dialog.password.clear()
    dialog.password_again.clear()
    qtbot.keyClicks(dialog.password, "Qwerty123456")
    qtbot.keyClicks(dialog.password_again, "Qwerty123456")
    _click_ok(qtbot, dialog)
    assert "most common" in dialog.message.text()
    with ui_db.session() as s:
        assert user_count(s) == 0

    dialog.password.clear()
    dialog.password_again.clear()
    qtbot.keyClicks(dialog.password, "kettle-orbit-one")
    qtbot.keyClicks(dialog.password_again, "kettle-orbit-one")
    _click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: isinstance(flow.dialog, SignInDialog), timeout=5000)
    sign_in = flow.dialog
    qtbot.addWidget(sign_in)
    assert sign_in.isVisible()
    assert sign_in.username.text() == "sam"
    assert not quits
    with ui_db.session() as s:
        assert user_count(s) == 1
        user = s.scalar(select(m.User))
        assert (user.username, user.display_name, user.role) == ("sam", "Sam Testadmin", "admin")

    qtbot.keyClicks(sign_in.password, "kettle-orbit-one")
    qtbot.keyClick(sign_in.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=5000)
    qtbot.addWidget(flow.window)
    # An administrator manages the system and sees no case data: the users first.
    assert list(flow.window.views)[0] == "Users"
    assert not {"My work", "Caseload", "Inbox", "Letters", "Dashboard"} & set(flow.window.views)
    users = flow.window.views["Users"]
    qtbot.waitUntil(lambda: not users.loading, timeout=5000)
    assert [u.username for u in users.users] == ["sam"]


def test_wrong_password_is_said_plainly_then_the_right_one_signs_in(ui_db, team, qtbot):
    flow, quits = _flow(ui_db, qtbot)
    dialog = flow.start(needs_first_admin=False)
    qtbot.addWidget(dialog)
    assert isinstance(dialog, SignInDialog)

    qtbot.keyClicks(dialog.username, "worker1")
    qtbot.keyClicks(dialog.password, "not-my-password")
    _click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=5000)
    assert dialog.message.text() == (
        "The user name or password is wrong; check them and try again."
    )
    assert dialog.isVisible()
    assert dialog.password.text() == ""
    assert dialog.ok_button.isEnabled()

    qtbot.keyClicks(dialog.password, "pass-worker1")
    _click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=5000)
    window = flow.window
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow)
    assert window.isVisible()
    assert not dialog.isVisible()
    assert window.windowTitle() == "Followup — Wendy Worker (worker)"
    assert "Wendy Worker" in window.user_label.text()
    assert ui_db.description in window.database_label.text()
    assert not quits

    with ui_db.session() as s:
        actions = s.scalars(
            select(m.AuditEvent.action)
            .where(m.AuditEvent.action.in_(("login", "login_failed")))
            .order_by(m.AuditEvent.id)
        ).all()
    assert actions == ["login_failed", "login"]


def _set_failures(db, username: str, failures: int) -> None:
    with db.session() as s:
        s.scalar(select(m.User).where(m.User.username == username)).failed_sign_ins = failures


def test_a_locked_account_is_said_inline_and_refuses_even_the_right_password(ui_db, team, qtbot):
    _set_failures(ui_db, "worker1", 4)
    flow, quits = _flow(ui_db, qtbot)
    dialog = flow.start(needs_first_admin=False)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "worker1")
    qtbot.keyClicks(dialog.password, "not-my-password")
    _click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=5000)
    locked = dialog.message.text()
    assert locked.startswith("This account is locked after too many failed sign-ins until ")
    assert "(UK time)" in locked and "ask an administrator" in locked
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=5000)

    dialog.message.hide()
    qtbot.keyClicks(dialog.password, "pass-worker1")
    _click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=5000)
    assert dialog.message.text() == locked
    assert dialog.isVisible() and flow.window is None and not quits


def test_a_wrong_name_and_a_wrong_password_read_the_same(ui_db, team, qtbot):
    flow, _ = _flow(ui_db, qtbot)
    dialog = flow.start(needs_first_admin=False)
    qtbot.addWidget(dialog)
    said = []
    for name in ("worker1", "nobody-here"):
        dialog.username.setText(name)
        dialog.message.hide()
        qtbot.keyClicks(dialog.password, "not-my-password")
        _click_ok(qtbot, dialog)
        qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=5000)
        qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=5000)
        said.append(dialog.message.text())
    assert said[0] == said[1] == "The user name or password is wrong; check them and try again."


def test_closing_the_sign_in_dialog_quits(ui_db, team, qtbot):
    flow, quits = _flow(ui_db, qtbot)
    dialog = flow.start(needs_first_admin=False)
    qtbot.addWidget(dialog)
    dialog.reject()
    assert quits == [True]


def test_remember_me_keeps_the_sign_in_only_when_ticked(ui_db, team, qtbot):
    from followup.settings import remembered_sign_in

    flow, _ = _flow(ui_db, qtbot)
    dialog = flow.start(needs_first_admin=False)
    qtbot.addWidget(dialog)
    assert dialog.remember.isEnabled() and not dialog.remember.isChecked()
    qtbot.keyClicks(dialog.username, "worker1")
    qtbot.keyClicks(dialog.password, "pass-worker1")
    qtbot.mouseClick(dialog.remember, Qt.MouseButton.LeftButton)
    _click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=5000)
    qtbot.addWidget(flow.window)
    assert remembered_sign_in(ui_db.url) == ("worker1", "pass-worker1")

    # Next time the dialog is filled in and ticked; unticking it forgets them.
    again, _ = _flow(ui_db, qtbot)
    second = again.start(needs_first_admin=False)
    qtbot.addWidget(second)
    assert (second.username.text(), second.password.text()) == ("worker1", "pass-worker1")
    assert second.remember.isChecked()
    qtbot.mouseClick(second.remember, Qt.MouseButton.LeftButton)
    _click_ok(qtbot, second)
    qtbot.waitUntil(lambda: again.window is not None, timeout=5000)
    qtbot.addWidget(again.window)
    assert remembered_sign_in(ui_db.url) is None


def test_signing_in_on_a_team_server_connects_as_the_user(server_team, qtbot):
    from sqlalchemy import text

    from followup.db.migrate import open_database
    from followup.ui.tasks import wait_for_tasks
    from tests.protection.team_helpers import password_of

    gate = open_database(server_team.gate_url)
    try:
        flow, quits = _flow(gate, qtbot)
        dialog = flow.start(needs_first_admin=False)
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.username, server_team.lead)
        qtbot.keyClicks(dialog.password, "not-the-password")
        _click_ok(qtbot, dialog)
        qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10000)
        assert dialog.message.text() == (
            "The user name or password is wrong; check them and try again."
        )
        qtbot.keyClicks(dialog.password, password_of(server_team.lead))
        _click_ok(qtbot, dialog)
        qtbot.waitUntil(lambda: flow.window is not None, timeout=10000)
        qtbot.addWidget(flow.window)
        assert "(lead)" in flow.window.windowTitle()
        with gate.session() as s:  # the desktop's connection is now the lead's own login
            assert s.scalar(text("SELECT session_user")) == server_team.lead
        assert not quits
        flow.window.close()
        wait_for_tasks()
    finally:
        gate.dispose()
