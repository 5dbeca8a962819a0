"""The administrator's Users view: add, change role, switch off and on, reset, unlock.

Driven through the real widgets on each backend; every change is checked by signing in as the
user it was made for, as they would notice it.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from followup import startup, user_admin
from followup.db import models as m
from followup.errors import SignInFailed
from followup.ui.admin import users_view
from followup.ui.admin.users_view import PasswordDialog, RoleDialog, UserDialog, UsersView
from followup.ui.shell.main_window import VIEWS
from followup.ui.shell.sign_in import SignInDialog

WAIT = 10_000
GOOD = "copper-lantern-umbrella-kite"


def make_view(qtbot, db, actor) -> UsersView:
    view = UsersView(db, actor)
    qtbot.addWidget(view)
    view.resize(1100, 600)
    view.show()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    return view


def rows(view: UsersView) -> dict[str, list[str]]:
    table = view.table
    return {
        table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    }


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()} is not enabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def submit(qtbot, view: UsersView, dialog) -> None:
    click(qtbot, dialog.ok_button)


def settled(qtbot, view: UsersView) -> None:
    qtbot.waitUntil(lambda: not view.busy and not view.loading, timeout=WAIT)


def test_only_administrators_get_the_view(team):
    spec = next(v for v in VIEWS if v.title == "Users")
    assert spec.allowed(team["admin"])
    assert not spec.allowed(team["lead"]) and not spec.allowed(team["worker1"])


def test_the_list_shows_role_account_and_last_sign_in(ui_any_db, team, qtbot):
    assert startup.sign_in(ui_any_db, "lead", "pass-lead").role == "lead"
    view = make_view(qtbot, ui_any_db, team["admin"])
    listed = rows(view)
    assert set(listed) == {"admin", "lead", "worker1", "worker2"}
    assert listed["lead"][2:4] == ["Lead", "On"]
    assert listed["lead"][4] != "Never" and listed["worker2"][4] == "Never"
    assert not view.role_button.isEnabled()  # nobody chosen yet


def test_add_a_user_refused_until_right_then_they_sign_in(ui_any_db, team, qtbot):
    view = make_view(qtbot, ui_any_db, team["admin"])
    click(qtbot, view.add_button)
    dialog = view.dialog
    assert isinstance(dialog, UserDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.username, "tess")
    qtbot.keyClicks(dialog.display_name, "Tess Testworker")
    qtbot.keyClicks(dialog.password, "short")
    qtbot.keyClicks(dialog.password_again, "short")
    submit(qtbot, view, dialog)
    assert "at least 12 characters" in dialog.message.text() and dialog.isVisible()
    dialog.password.setText(GOOD)
    dialog.password_again.setText(GOOD + "x")
    submit(qtbot, view, dialog)
    assert "differ" in dialog.message.text()
    assert dialog.username.text() == "tess"  # nothing typed is lost

    dialog.password_again.setText(GOOD)
    dialog.username.setText("lead")  # a name already taken: the server's sentence, dialog kept
    submit(qtbot, view, dialog)
    qtbot.waitUntil(lambda: "already a user called lead" in dialog.message.text(), timeout=WAIT)
    assert dialog.isVisible()
    dialog.username.setText("tess")
    submit(qtbot, view, dialog)
    qtbot.waitUntil(lambda: view.dialog is None, timeout=WAIT)
    settled(qtbot, view)
    assert view.message.text().startswith("Added tess as a worker.")
    assert rows(view)["tess"][1:5] == ["Tess Testworker", "Worker", "On", "Never"]
    assert startup.sign_in(ui_any_db, "tess", GOOD).role == "worker"


def test_change_role_and_the_last_admin_keeps_theirs(ui_any_db, team, qtbot):
    view = make_view(qtbot, ui_any_db, team["admin"])
    view.choose("worker1")
    click(qtbot, view.role_button)
    dialog = view.dialog
    assert isinstance(dialog, RoleDialog)
    dialog.role.setCurrentIndex(dialog.role.findData("lead"))
    submit(qtbot, view, dialog)
    qtbot.waitUntil(lambda: view.dialog is None, timeout=WAIT)
    settled(qtbot, view)
    assert rows(view)["worker1"][2] == "Lead"
    assert startup.sign_in(ui_any_db, "worker1", "pass-worker1").role == "lead"

    view.choose("admin")
    click(qtbot, view.role_button)
    dialog = view.dialog
    dialog.role.setCurrentIndex(dialog.role.findData("worker"))
    submit(qtbot, view, dialog)
    qtbot.waitUntil(lambda: "only active administrator" in dialog.message.text(), timeout=WAIT)
    assert dialog.isVisible()
    dialog.reject()
    with ui_any_db.session() as s:
        assert s.scalar(select(m.User.role).where(m.User.username == "admin")) == "admin"


def test_switch_off_and_on(ui_any_db, team, qtbot, monkeypatch):
    asked = []
    monkeypatch.setattr(users_view, "confirm_switch_off", lambda _p, u: asked.append(u) or True)
    view = make_view(qtbot, ui_any_db, team["admin"])
    view.choose("worker2")
    assert view.active_button.text() == "Switch &off"
    click(qtbot, view.active_button)
    settled(qtbot, view)
    assert [u.username for u in asked] == ["worker2"]
    assert view.message.text() == "worker2 is switched off and can no longer sign in."
    assert rows(view)["worker2"][3] == "Switched off"
    with pytest.raises(SignInFailed, match="switched off"):
        startup.sign_in(ui_any_db, "worker2", "pass-worker2")
    view.choose("worker2")
    assert view.active_button.text() == "Switch &on"
    click(qtbot, view.active_button)
    settled(qtbot, view)
    assert rows(view)["worker2"][3] == "On"
    assert startup.sign_in(ui_any_db, "worker2", "pass-worker2").role == "worker"


def test_a_change_meanwhile_meets_the_conflict_bar(ui_any_db, team, qtbot, monkeypatch):
    monkeypatch.setattr(users_view, "confirm_switch_off", lambda _p, _u: True)
    view = make_view(qtbot, ui_any_db, team["admin"])
    user_admin.set_role(ui_any_db, team["admin"], "worker2", "lead")  # another administrator
    view.choose("worker2")
    click(qtbot, view.active_button)
    qtbot.waitUntil(lambda: view.conflict.isVisible(), timeout=WAIT)
    assert view.conflict.message.text().startswith("Someone else changed this user's account")
    with ui_any_db.session() as s:
        assert s.scalar(select(m.User.active).where(m.User.username == "worker2"))
    click(qtbot, view.conflict.reload)
    settled(qtbot, view)
    assert view.conflict.isHidden() and rows(view)["worker2"][2] == "Lead"


def test_reset_password_then_the_user_chooses_their_own_at_sign_in(ui_db, team, qtbot):
    one_time = "one-time-synthetic-phrase"
    view = make_view(qtbot, ui_db, team["admin"])
    view.choose("worker1")
    click(qtbot, view.password_button)
    dialog = view.dialog
    assert isinstance(dialog, PasswordDialog)
    dialog.password.setText(one_time)
    dialog.password_again.setText(one_time)
    submit(qtbot, view, dialog)
    qtbot.waitUntil(lambda: view.dialog is None, timeout=WAIT)
    settled(qtbot, view)
    assert rows(view)["worker1"][5] == "Has a one-time password"

    sign_in = SignInDialog(ui_db)
    qtbot.addWidget(sign_in)
    sign_in.show()
    signed = []
    sign_in.signed_in.connect(signed.append)
    qtbot.keyClicks(sign_in.username, "worker1")
    qtbot.keyClicks(sign_in.password, one_time)
    click(qtbot, sign_in.ok_button)
    qtbot.waitUntil(lambda: sign_in.choose_part.isVisible(), timeout=WAIT)
    assert not signed and "one-time password" in sign_in.reset_text.text()
    sign_in.new_password.setText(GOOD)
    sign_in.new_password_again.setText(GOOD + "x")
    click(qtbot, sign_in.ok_button)
    assert "differ" in sign_in.message.text()
    sign_in.new_password_again.setText(one_time)
    sign_in.new_password.setText(one_time)
    click(qtbot, sign_in.ok_button)
    qtbot.waitUntil(lambda: "different from the one" in sign_in.message.text(), timeout=WAIT)
    sign_in.new_password.setText(GOOD)
    sign_in.new_password_again.setText(GOOD)
    click(qtbot, sign_in.ok_button)
    qtbot.waitUntil(lambda: bool(signed), timeout=WAIT)
    assert not signed[0].actor.must_change_password
    with pytest.raises(SignInFailed):
        startup.sign_in(ui_db, "worker1", one_time)
    assert startup.sign_in(ui_db, "worker1", GOOD).username == "worker1"


def test_unlock_a_locked_account(ui_db, team, qtbot):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            startup.sign_in(ui_db, "worker2", "not-the-password")
    view = make_view(qtbot, ui_db, team["admin"])
    assert rows(view)["worker2"][5].startswith("Locked until")
    view.choose("worker1")
    assert not view.unlock_button.isEnabled()
    view.choose("worker2")
    click(qtbot, view.unlock_button)
    settled(qtbot, view)
    assert view.message.text() == "worker2 is unlocked and can sign in."
    assert rows(view)["worker2"][5] == ""
    assert startup.sign_in(ui_db, "worker2", "pass-worker2").username == "worker2"
