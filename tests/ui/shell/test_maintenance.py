"""Start-up maintenance never competes with the user: while the integrity check and the daily
backup run, sign-in completes and the user can type; then the maintenance finishes, and a
failure is told in words that say what failed and what to do.

The check is made slow by a stand-in that waits for the test (calling the real check when let
go), and the app's thread pool has one thread, as on a one-core computer: a check that took a
pool thread would leave none for the sign-in.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool

from followup.protection.backup.rotation import backup_files
from followup.ui.shell import backup_guard
from followup.ui.shell.app import AppFlow
from followup.ui.shell.main_window import MainWindow
from followup.ui.shell.sign_in import SignInDialog


@pytest.fixture
def one_pool_thread():
    pool = QThreadPool.globalInstance()
    before = pool.maxThreadCount()
    pool.setMaxThreadCount(1)
    yield
    pool.setMaxThreadCount(before)


@pytest.fixture
def held_check(monkeypatch):
    """The start-up check waits until the test sets the returned event."""
    release = threading.Event()
    real = backup_guard.startup_check

    def check(db, pace=None):
        while not release.wait(0.01):
            if pace is not None:
                pace()  # where the real check pauses, and stops when the app closes
        return real(db, pace) if pace is not None else real(db)

    monkeypatch.setattr(backup_guard, "startup_check", check)
    return release


def _open(qtbot, sqlite_url, app_paths):
    flow = AppFlow(on_quit=lambda: None, on_exit=lambda code: None)
    dialog = flow.open(sqlite_url, app_paths)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: flow.guard is not None, timeout=10_000)
    return flow, dialog


def test_sign_in_and_typing_while_the_check_runs_then_it_finishes(
    ui_db, team, sqlite_url, app_paths, qtbot, one_pool_thread, held_check
):
    flow, dialog = _open(qtbot, sqlite_url, app_paths)
    guard = flow.guard
    try:
        assert isinstance(dialog, SignInDialog)
        qtbot.keyClicks(dialog.username, "worker1")
        qtbot.keyClicks(dialog.password, "pass-worker1")
        assert dialog.username.text() == "worker1"
        assert guard.last_backup is None  # the check is still going
        dialog.submit()
        qtbot.waitUntil(lambda: isinstance(flow.window, MainWindow), timeout=10_000)
        window = flow.window
        qtbot.addWidget(window)
        assert window.isVisible() and guard.last_backup is None
        work = window.views["My work"]
        qtbot.waitUntil(lambda: work.summary.text() != "Loading…", timeout=10_000)

        held_check.set()
        qtbot.waitUntil(lambda: guard.last_backup is not None, timeout=30_000)
        assert guard.last_backup.path.exists()
        assert not guard.busy and guard.warnings == []
    finally:
        held_check.set()
        flow.close()
        flow.db.dispose()


def test_closing_stops_the_maintenance_part_way_and_keeps_nothing(
    ui_db, team, sqlite_url, app_paths, qtbot, held_check
):
    flow, _dialog = _open(qtbot, sqlite_url, app_paths)
    guard = flow.guard
    flow.close()  # as when the user quits
    assert not guard.busy
    assert guard.last_backup is None and not backup_files(guard.folder)
    flow.db.dispose()


def test_a_failed_backup_is_told_in_the_status_bar(
    ui_db, team, sqlite_url, app_paths, qtbot, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(backup_guard, "automatic_backup", broken)
    flow, dialog = _open(qtbot, sqlite_url, app_paths)
    guard = flow.guard
    try:
        qtbot.waitUntil(lambda: bool(guard.warnings), timeout=30_000)
        qtbot.keyClicks(dialog.username, "worker1")
        qtbot.keyClicks(dialog.password, "pass-worker1")
        dialog.submit()
        qtbot.waitUntil(lambda: isinstance(flow.window, MainWindow), timeout=10_000)
        qtbot.addWidget(flow.window)
        label = flow.window.findChild(backup_guard.QLabel, "databaseWarning")
        assert label is not None and label.isVisible()
        text = label.text()
        assert "Today's automatic backup could not be made" in text
        assert "Your work is safe in the database" in text and "followup backup" in text
        assert "synthetic failure" not in text  # no details of the failure for the user
    finally:
        flow.close()
        flow.db.dispose()
