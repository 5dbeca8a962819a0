"""Watching over the open SQLite database while the app runs: the integrity check after
opening, the daily automatic backup, the network-share warning, and what to do about damage.

All the work runs in the background (a quick check reads the whole file: seconds on a large
one). A damaged file is closed, set aside and never written to; the user is offered the
newest good backup. ``offer_restore`` is the replaceable dialog, for tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from followup.protection.backup.common import BackupInfo
from followup.protection.backup.rotation import automatic_backup, schedule_setting
from followup.protection.integrity import StartupCheck, startup_check
from followup.settings import APP_NAME, AppPaths
from followup.startup import database_file, sqlite_path
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "BACKUP_CHECK_MS",
    "DatabaseGuard",
    "offer_restore",
    "recover_damaged",
]

log = logging.getLogger(__name__)

BACKUP_CHECK_MS = 60 * 60 * 1000  # hourly look: is today's backup made yet?


def offer_restore(message: str, backup: Path) -> bool:
    """Ask whether to restore ``backup``; True when the user says yes."""
    answer = QMessageBox.question(
        None,
        APP_NAME,
        f"{message}\n\nThe newest good backup is {backup.name}. Restore it now? Anything "
        "entered since that backup was made will need entering again.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class DatabaseGuard(QObject):
    """The integrity check after opening, then a daily backup for as long as the app runs."""

    damaged = Signal(str)  # the sentence saying the database is damaged
    warning = Signal(str)  # something the user should know, not blocking

    def __init__(
        self,
        db: Database,
        folder: Path,
        paths: AppPaths | None = None,
        parent: QObject | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.folder = folder
        self.paths = paths
        self.runner = runner or TaskRunner(self)
        self.warnings: list[str] = []
        self.last_backup: BackupInfo | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(BACKUP_CHECK_MS)
        self.timer.timeout.connect(self.backup_now)
        self._labels: list[QLabel] = []

    @property
    def watching(self) -> bool:
        return database_file(self.db) is not None

    def start(self) -> None:
        if self.watching:
            self.runner.run(
                lambda: startup_check(self.db),
                self._checked,
                message_to(self._note),
                name="integrity check",
            )

    def stop(self) -> None:
        self.timer.stop()

    def _checked(self, result: StartupCheck) -> None:
        if result.network_warning:
            self._note(result.network_warning)
        if result.audit_altered:
            self._note(result.audit_altered)
        if result.damaged:
            self.stop()
            self.damaged.emit(result.damaged)
            return
        self.backup_now()
        self.timer.start()

    def backup_now(self) -> None:
        db, folder, paths = self.db, self.folder, self.paths
        self.runner.run(
            lambda: automatic_backup(db, folder, schedule=schedule_setting(paths)),
            self._backed_up,
            message_to(self._note),
            name="automatic backup",
        )

    def _backed_up(self, info: BackupInfo | None) -> None:
        if info is not None:
            self.last_backup = info

    def _note(self, message: str) -> None:
        if message in self.warnings:
            return
        log.warning("Shown to the user: a database warning")
        self.warnings.append(message)
        for label in list(self._labels):
            try:
                label.setText(" ".join(self.warnings))
                label.show()
            except RuntimeError:  # its window is gone
                self._labels.remove(label)
        self.warning.emit(message)

    def attach(self, window: QMainWindow) -> QLabel:
        """Show the warnings in ``window``'s status bar, now and when they arrive."""
        label = QLabel(" ".join(self.warnings))
        label.setObjectName("databaseWarning")
        label.setWordWrap(True)
        set_role(label, StyleRole.ALARM)
        label.setVisible(bool(self.warnings))
        window.statusBar().addWidget(label, 1)
        self._labels.append(label)
        return label


def recover_damaged(
    url: str,
    folder: Path,
    message: str,
    *,
    show_error: Callable[[str], None],
    run: Callable[[Callable[[], object], Callable[[object], None], Callable[[str], None]], None],
    reopen: Callable[[], None],
    give_up: Callable[[], None],
) -> None:
    """Set the damaged (already closed) file aside and offer the newest good backup.

    ``run`` runs a function in the background with success and failure callbacks;
    ``reopen`` opens the restored database again, ``give_up`` ends the app.
    """
    from followup.errors import FollowupError
    from followup.protection.backup.database import restore_database
    from followup.protection.backup.rotation import newest_good_backup
    from followup.protection.integrity import set_aside_damaged

    path = sqlite_path(url)
    assert path is not None
    try:
        aside = set_aside_damaged(path)
    except FollowupError as exc:
        show_error(f"{message} {exc}")
        give_up()
        return
    told = (
        f"{message} The damaged file was set aside as {aside.name} and nothing was written to it."
    )
    backup = newest_good_backup(folder, path.stem)
    if backup is None:
        show_error(f"{told} There is no good backup in {folder} to restore; ask support for help.")
        give_up()
        return
    if not offer_restore(told, backup):
        give_up()
        return

    def failed(reason: str) -> None:
        show_error(f"The backup could not be restored: {reason}")
        give_up()

    run(lambda: restore_database(url, backup, backup_dir=folder), lambda _info: reopen(), failed)
