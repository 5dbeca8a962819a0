"""The app watches over its database: the check and daily backup after opening, the network
share warning in the status bar, and a damaged file set aside with the newest backup offered."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QMainWindow

from followup.accounts import create_user
from followup.db.migrate import open_database
from followup.protection.backup.rotation import automatic_backup, backup_files
from followup.ui.shell import app as app_module
from followup.ui.shell import backup_guard
from followup.ui.shell.backup_guard import DatabaseGuard
from followup.ui.tasks import SyncTaskRunner, wait_for_tasks


def test_after_opening_the_database_is_checked_and_backed_up(ui_db, tmp_path, qtbot):
    folder = tmp_path / "backups"
    guard = DatabaseGuard(ui_db, folder, runner=SyncTaskRunner())
    window = QMainWindow()
    qtbot.addWidget(window)
    label = guard.attach(window)
    guard.start()
    assert guard.last_backup is not None and guard.last_backup.path.parent == folder
    assert guard.timer.isActive()  # and again each day while the app runs
    assert guard.warnings == [] and not label.isVisible()
    guard.backup_now()  # the hourly look finds today's backup made already
    assert len(backup_files(folder)) == 1
    guard.stop()


def test_a_network_share_and_an_unwritable_backup_folder_are_shown_in_the_status_bar(
    ui_db, tmp_path, monkeypatch, qtbot
):
    monkeypatch.setattr(
        "followup.protection.integrity.network_share_warning",
        lambda path: "The database file is on a network drive (nfs).",
    )
    blocker = tmp_path / "file"
    blocker.write_text("")
    guard = DatabaseGuard(ui_db, blocker / "backups", runner=SyncTaskRunner())
    window = QMainWindow()
    qtbot.addWidget(window)
    window.statusBar()
    window.show()
    label = guard.attach(window)
    guard.start()
    guard.stop()
    assert label.isVisible()
    assert "network drive (nfs)" in label.text()
    assert "Cannot write to the backup folder" in label.text()


def _database_with_backup(app_paths, n_people: int = 40) -> tuple[str, Path]:
    url = "sqlite:///" + str(app_paths.data_dir / "team.sqlite")
    app_paths.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(url, create=True)
    with db.session() as s:
        create_user(s, None, "admin", "admin", "pass-admin", "Ada Admin", policy=False)
    automatic_backup(db, app_paths.backup_dir, datetime(2026, 3, 1, 8, 0))
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.executemany(
        "INSERT INTO person (first_name, last_name, gender, no_fixed_abode, created_at, updated_at) "
        "VALUES ('Testy', ?, 'not_known', 0, '2026-03-01 00:00:00', '2026-03-01 00:00:00')",
        [(f"McTestface{n}",) for n in range(n_people)],
    )
    conn.commit()
    conn.close()
    db.dispose()
    return url, Path(url.removeprefix("sqlite:///"))


def _garble(path: Path, table: str | None) -> None:
    """Damage sqlite_master (``table`` None: opening fails) or one table's first page."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    root = (
        1
        if table is None
        else conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[
            0
        ]
    )
    conn.close()
    data = bytearray(path.read_bytes())
    start = 4096 * (root - 1) + (100 if root == 1 else 8)
    data[start : start + 3800] = b"\x07" * 3800
    path.write_bytes(bytes(data))


def test_a_file_damaged_when_opening_is_set_aside_and_the_backup_restored(
    app_paths, monkeypatch, qtbot
):
    url, path = _database_with_backup(app_paths)
    _garble(path, None)
    damaged = path.read_bytes()
    offers: list[tuple[str, Path]] = []
    monkeypatch.setattr(backup_guard, "offer_restore", lambda m, b: offers.append((m, b)) or True)
    monkeypatch.setattr(app_module, "show_error", lambda m: offers.append((m, None)))
    exits: list[int] = []
    flow = app_module.AppFlow(on_exit=exits.append, on_quit=lambda: exits.append(0))
    with qtbot.waitSignal(flow.ready, timeout=10_000):
        qtbot.addWidget(flow.open(url, app_paths))
    qtbot.addWidget(flow.dialog)
    try:
        assert exits == []
        assert len(offers) == 1
        message, backup = offers[0]
        assert "damaged" in message and "set aside as team.sqlite.damaged-" in message
        assert backup.name == "team-20260301-080000-auto.sqlite"
        aside = next(path.parent.glob("team.sqlite.damaged-*"))
        assert aside.read_bytes() == damaged  # never written to
        assert flow.db is not None and flow.dialog.ok_button.isEnabled()
    finally:
        wait_for_tasks()
        if flow.db is not None:
            flow.db.dispose()


def test_damage_found_by_the_check_after_opening_closes_the_database(app_paths, monkeypatch, qtbot):
    url, path = _database_with_backup(app_paths, n_people=200)
    _garble(path, "person")
    asked: list[str] = []
    monkeypatch.setattr(backup_guard, "offer_restore", lambda m, b: asked.append(m) or False)
    monkeypatch.setattr(app_module, "show_error", asked.append)
    exits: list[int] = []
    flow = app_module.AppFlow(on_exit=exits.append, on_quit=lambda: exits.append(0))
    qtbot.addWidget(flow.open(url, app_paths))
    qtbot.waitUntil(lambda: exits == [2], timeout=10_000)
    wait_for_tasks()
    assert flow.db is None  # closed
    assert len(asked) == 1 and "is damaged" in asked[0]
    assert not path.exists() and list(path.parent.glob("team.sqlite.damaged-*"))


def test_a_file_recorded_as_damaged_is_refused_at_opening_set_aside_and_the_backup_offered(
    app_paths, monkeypatch, qtbot
):
    """`followup check` found damage; the app reads that when it opens (no check of its own
    first), never writes to the file, sets it aside and offers the newest good backup."""
    from followup.cli import main
    from followup.db import health

    url, path = _database_with_backup(app_paths, n_people=200)
    _garble(path, "person")
    assert main(["check", "--db", str(path)]) == 2
    assert health.last_check(path) is not None and not health.last_check(path).ok
    damaged = path.read_bytes()
    offers: list[tuple[str, Path | None]] = []
    monkeypatch.setattr(backup_guard, "offer_restore", lambda m, b: offers.append((m, b)) or True)
    monkeypatch.setattr(app_module, "show_error", lambda m: offers.append((m, None)))
    exits: list[int] = []
    flow = app_module.AppFlow(on_exit=exits.append, on_quit=lambda: exits.append(0))
    with qtbot.waitSignal(flow.ready, timeout=10_000):
        qtbot.addWidget(flow.open(url, app_paths))
    qtbot.addWidget(flow.dialog)
    try:
        assert exits == [] and len(offers) == 1
        message, backup = offers[0]
        assert message.startswith(f"The database file {path} is damaged")
        assert "set aside as team.sqlite.damaged-" in message
        assert backup is not None and backup.name == "team-20260301-080000-auto.sqlite"
        aside = next(path.parent.glob("team.sqlite.damaged-*"))
        assert aside.read_bytes() == damaged  # never written to
        assert flow.db is not None and flow.dialog.ok_button.isEnabled()
    finally:
        wait_for_tasks()
        if flow.db is not None:
            flow.db.dispose()
