"""The idle lock, driven by a fake clock: locking hides personal data, unlocking needs a password,
and another user unlocking signs the first out with their unsaved work kept as a draft."""

from __future__ import annotations

import json
import stat

import pytest
import shiboken6
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QTabBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from followup.casework.drafts import DraftSource, DraftStore
from followup.db import models as m
from followup.settings import AppPaths
from followup.ui.shell import idle_lock
from followup.ui.shell.app import AppFlow
from followup.ui.shell.idle_lock import LOCKED_TITLE, IdleLock, idle_minutes, restore_drafts
from followup.ui.shell.main_window import MainWindow
from followup.ui.shell.sign_in import SignedIn
from followup.ui.tasks import SyncTaskRunner, wait_for_tasks

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well
SYNTHETIC = ("McTestface", "Examplewood", "Dummyson", "TST-000", "Testy", "07700 9000")


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, minutes: float) -> None:
        self.t += minutes * 60


class NoteForm(QLineEdit):
    """A stand-in for a case form that follows the draft protocol."""

    def __init__(self, case_id: int) -> None:
        super().__init__()
        self.case_id = case_id
        self.restored: dict | None = None

    def draft_key(self) -> str:
        return f"case:{self.case_id}"

    def draft(self) -> dict | None:
        return {"note": self.text()} if self.text() else None

    def restore_draft(self, data: dict) -> None:
        self.restored = data
        self.setText(data["note"])


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(idle_lock, "clock", fake)
    return fake


@pytest.fixture
def flow(ui_db, app_paths, qtbot):
    flows: list[AppFlow] = []

    def start(actor) -> tuple[AppFlow, MainWindow]:
        f = AppFlow(ui_db, on_quit=lambda: None, on_exit=lambda _code: None)
        flows.append(f)
        window = f.show_main_window(SignedIn(actor, False))
        return f, window

    yield start
    wait_for_tasks()
    for f in flows:
        f.close()


def _model_text(model, parent) -> list[str]:
    texts = []
    try:
        columns = model.columnCount(parent)
    except TypeError:  # a list model keeps columnCount private: one column
        columns = 1
    for r in range(model.rowCount(parent)):
        for c in range(columns):
            index = model.index(r, c, parent)
            texts.append(str(index.data() or ""))
            if c == 0:
                texts += _model_text(model, index)
    return texts


def visible_text() -> str:
    """Every piece of text a person could read on screen now."""
    parts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        parts.append(top.windowTitle())
        for w in [top, *top.findChildren(QWidget)]:
            if not w.isVisible():
                continue
            if isinstance(w, QLabel | QLineEdit):
                parts.append(w.text())
            elif isinstance(w, QTabBar):
                parts += [w.tabText(i) for i in range(w.count())]
            elif isinstance(w, QAbstractItemView) and w.model() is not None:
                parts += _model_text(w.model(), QModelIndex())
    return "\n".join(parts)


def open_a_case(window: MainWindow, qtbot, case_id: int):
    page = window.open_case(case_id)
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT)
    return page


def test_locks_after_ten_minutes_without_input_and_hides_personal_data(
    flow, team, caseload, clock, qtbot
):
    _flow, window = flow(team["lead"])
    qtbot.addWidget(window)
    caseload_view = window.views["Caseload"]
    qtbot.waitUntil(lambda: caseload_view.model.rowCount() == 4, timeout=WAIT)
    open_a_case(window, qtbot, caseload["TST-0001"])
    dialog = QDialog(window)
    QVBoxLayout(dialog).addWidget(QLabel("About Testy McTestface"))
    dialog.show()
    assert "McTestface" in visible_text()
    lock: IdleLock = window.idle_lock

    clock.advance(9)
    lock.check()
    assert not lock.locked
    qtbot.keyClick(caseload_view.search, Qt.Key.Key_Shift)  # input starts the wait again
    clock.advance(9)
    lock.check()
    assert not lock.locked
    clock.advance(1.01)
    lock.check()

    assert lock.locked
    assert lock.lock_screen.isVisible()
    assert not window.cases.isVisible() and not caseload_view.isVisible()
    assert not dialog.isVisible()
    assert window.windowTitle() == LOCKED_TITLE
    text = visible_text()
    for name in SYNTHETIC:
        assert name not in text, name
    assert "Followup is locked" in text


def test_a_wrong_password_stays_locked_and_the_right_one_unlocks(
    flow, team, caseload, clock, qtbot, ui_db
):
    _flow, window = flow(team["lead"])
    qtbot.addWidget(window)
    page = open_a_case(window, qtbot, caseload["TST-0002"])
    dialog = QDialog(window)
    dialog.show()
    title = window.windowTitle()
    lock: IdleLock = window.idle_lock
    clock.advance(10)
    lock.check()
    screen = lock.lock_screen
    assert screen.username.text() == "lead"

    qtbot.keyClicks(screen.password, "not-it")
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.isVisible(), timeout=WAIT)
    assert lock.locked and "password is wrong" in screen.message.text()
    assert screen.password.text() == ""
    assert "Examplewood" not in visible_text()

    qtbot.keyClicks(screen.password, "pass-lead")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not lock.locked, timeout=WAIT)
    assert window.windowTitle() == title
    assert window.cases.currentWidget() is page and page.isVisible()
    assert dialog.isVisible()
    assert "Examplewood" in visible_text()
    with ui_db.session() as s:
        actions = s.scalars(
            select(m.AuditEvent.action).where(
                m.AuditEvent.user_id == team["lead"].id,
                m.AuditEvent.action.in_(("login", "login_failed")),
            )
        ).all()
    assert actions == ["login_failed", "login"]

    # The wait starts again from the unlock.
    clock.advance(9.9)
    lock.check()
    assert not lock.locked


def test_a_locked_account_is_said_at_the_lock_screen(flow, team, caseload, clock, qtbot, ui_db):
    with ui_db.session() as s:
        s.scalar(select(m.User).where(m.User.username == "lead")).failed_sign_ins = 4
    _flow, window = flow(team["lead"])
    qtbot.addWidget(window)
    lock: IdleLock = window.idle_lock
    clock.advance(10)
    lock.check()
    screen = lock.lock_screen
    qtbot.keyClicks(screen.password, "not-it")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.message.isVisible(), timeout=WAIT)
    locked = screen.message.text()
    assert "locked after too many failed sign-ins until" in locked
    assert "ask an administrator" in locked

    screen.message.hide()
    qtbot.waitUntil(screen.unlock_button.isEnabled, timeout=WAIT)
    qtbot.keyClicks(screen.password, "pass-lead")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.message.isVisible(), timeout=WAIT)
    assert screen.message.text() == locked
    assert lock.locked and "Examplewood" not in visible_text()


def test_another_user_unlocking_signs_the_first_out_and_keeps_their_draft(
    flow, team, caseload, clock, qtbot, ui_db, app_paths
):
    flow_, window = flow(team["lead"])  # the flow closes whichever window is left
    case_id = caseload["TST-0001"]
    form = NoteForm(case_id)
    window.cases.addTab(form, "Notes")
    window.cases.show()
    qtbot.keyClicks(form, "Rang twice, try again Friday")
    lock: IdleLock = window.idle_lock
    clock.advance(10)
    lock.check()

    screen = lock.lock_screen
    screen.username.setText("worker1")
    qtbot.keyClicks(screen.password, "pass-worker1")
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: flow_.window is not window, timeout=WAIT)

    new = flow_.window
    assert new.actor == team["worker1"]
    assert new.isVisible()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=WAIT)  # closed and gone
    assert new.windowTitle() == "Followup — Wendy Worker (worker)"
    store = DraftStore(ui_db.description)
    assert store.path(team["lead"].id).is_relative_to(AppPaths.default().data_dir / "drafts")
    assert store.load(team["lead"].id) == {
        f"case:{case_id}": {"note": "Rang twice, try again Friday"}
    }
    assert store.load(team["worker1"].id) == {}
    assert stat.S_IMODE(store.path(team["lead"].id).stat().st_mode) == 0o600
    with ui_db.session() as s:
        logout = s.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "logout"))
    assert (logout.user_id, logout.entity_id) == (team["lead"].id, team["lead"].id)
    assert "Rang twice" not in (logout.details or "")

    # The new user's own lock works too.
    clock.advance(10)
    new.idle_lock.check()
    assert new.idle_lock.locked


def test_drafts_go_back_to_their_owner_at_their_next_sign_in(ui_db, team, app_paths, qtbot):
    store = DraftStore(ui_db.description)
    store.save(team["lead"].id, {"case:7": {"note": "kept"}, "form:other": {"x": 1}})
    form = NoteForm(7)

    class Window(QWidget):
        def open_case(self, case_id: int) -> QWidget:
            assert case_id == 7
            return form

    window = Window()
    qtbot.addWidget(window)
    assert isinstance(form, DraftSource)
    assert restore_drafts(window, store, team["lead"]) == 1
    assert form.text() == "kept" and form.restored == {"note": "kept"}
    # A draft with nowhere to go stays kept for later.
    assert store.load(team["lead"].id) == {"form:other": {"x": 1}}


def test_the_timer_checks_on_its_own(ui_db, team, qtbot, clock, app_paths):
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    window.setCentralWidget(QLabel("Testy McTestface"))
    qtbot.addWidget(window)
    window.show()
    lock = IdleLock(
        window, ui_db, team["lead"], minutes=10, runner=SyncTaskRunner(), check_interval_ms=10
    )
    clock.advance(10)
    qtbot.waitUntil(lambda: lock.locked, timeout=WAIT)
    assert "McTestface" not in visible_text()


def test_the_setting(tmp_path):
    assert idle_minutes({}) == 10
    assert idle_minutes({"idle_lock_minutes": 3}) == 3
    assert idle_minutes({"idle_lock_minutes": 0}) == 1  # never off
    assert idle_minutes({"idle_lock_minutes": 100000}) == 240
    assert idle_minutes({"idle_lock_minutes": "soon"}) == 10


def test_the_setting_comes_from_the_local_settings_file(app_paths):
    from followup.settings import save_local_settings

    save_local_settings({"idle_lock_minutes": 5})
    assert idle_minutes() == 5


def test_a_damaged_draft_file_is_left_alone(ui_db, team, app_paths):
    store = DraftStore(ui_db.description)
    store.folder.mkdir(parents=True)
    store.path(1).write_text("{not json", encoding="utf-8")
    assert store.load(1) == {}
    store.path(2).write_text(json.dumps({"drafts": {"case:1": "not a dict"}}), encoding="utf-8")
    assert store.load(2) == {}


def test_sign_out_from_the_menu_keeps_work_and_the_same_user_carries_on(
    flow, team, caseload, qtbot, ui_db, app_paths
):
    flow_, window = flow(team["lead"])
    form = NoteForm(caseload["TST-0001"])
    window.cases.addTab(form, "Notes")
    window.cases.show()
    qtbot.keyClicks(form, "Rang twice, try again Friday")
    assert window.sign_out_action.shortcut().toString() == "Ctrl+Shift+L"
    window.sign_out_action.trigger()
    lock: IdleLock = window.idle_lock
    assert lock.locked and lock.signed_out
    assert lock.lock_screen.title.text() == "Signed out"
    assert not any(s in visible_text() for s in SYNTHETIC)  # nothing personal on screen
    store = DraftStore(ui_db.description)
    assert store.load(team["lead"].id) == {  # kept at once, even if the app is closed now
        f"case:{caseload['TST-0001']}": {"note": "Rang twice, try again Friday"}
    }
    qtbot.waitUntil(lambda: lock.lock_screen.unlock_button.isEnabled(), timeout=WAIT)
    with ui_db.session() as s:
        logout = s.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "logout"))
    assert logout.user_id == team["lead"].id and "signed out" in logout.details

    screen = lock.lock_screen
    assert screen.username.text() == ""  # anyone may sign in
    qtbot.keyClicks(screen.username, "lead")
    qtbot.keyClicks(screen.password, "pass-lead")
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not lock.locked, timeout=WAIT)
    assert flow_.window is window and form.text() == "Rang twice, try again Friday"
    assert store.load(team["lead"].id) == {}  # the work is on screen: no stale copy kept


def test_switch_user_from_the_menu_hands_over_with_the_work_kept(
    flow, team, caseload, qtbot, ui_db, app_paths
):
    flow_, window = flow(team["lead"])
    form = NoteForm(caseload["TST-0001"])
    window.cases.addTab(form, "Notes")
    window.cases.show()
    qtbot.keyClicks(form, "Left a voicemail")
    assert window.switch_user_action.shortcut().toString() == "Ctrl+Shift+U"
    window.switch_user_action.trigger()
    screen = window.idle_lock.lock_screen
    qtbot.waitUntil(lambda: screen.unlock_button.isEnabled(), timeout=WAIT)  # sign-out written
    qtbot.keyClicks(screen.username, "worker1")
    qtbot.keyClicks(screen.password, "pass-worker1")
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: flow_.window is not window, timeout=WAIT)
    assert flow_.window.actor == team["worker1"]
    assert DraftStore(ui_db.description).load(team["lead"].id) == {
        f"case:{caseload['TST-0001']}": {"note": "Left a voicemail"}
    }
