"""Watching over the open SQLite database while the app runs: the integrity check after
opening, the daily automatic backup, the network-share warning, and what to do about damage.

All the work runs in the background (a quick check reads the whole file: seconds on a large
one), on a thread of its own rather than the pool that sign-in and the views use, and paced
(``protection.integrity.Pacer``: short bursts with pauses between), so that it never holds up
sign-in or typing. Closing the app stops it part-way (``stop``); nothing half-done is kept.
A damaged file is closed, set aside and never written to; the user is offered the newest
good backup. ``offer_restore`` is the replaceable dialog, for tests.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from followup.errors import FollowupError, MaintenanceStopped
from followup.protection.backup.common import BackupInfo
from followup.protection.backup.rotation import automatic_backup, schedule_setting
from followup.protection.integrity import Pacer, StartupCheck, startup_check
from followup.settings import APP_NAME, AppPaths
from followup.startup import database_file, sqlite_path
from followup.ui.tasks import TaskRunner
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
STOP_WAIT_S = 15.0  # closing waits this long at most for the maintenance to stop
# Said when the check or the backup fails unexpectedly (Followup's own errors say themselves).
CHECK_FAILED = (
    "The start-up check of the database could not finish ({reason}). Followup carries on; "
    "run `followup check` to check the database, or restart Followup to try again."
)
BACKUP_FAILED = (
    "Today's automatic backup could not be made ({reason}). Your work is safe in the database; "
    "Followup tries again within the hour, or make one with `followup backup`."
)


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
    finished = Signal()  # a round of maintenance is over (done, failed or found damage)
    _outcome = Signal(object, bool, object)  # from the worker: (callback, ok, value)

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
        self.runner = runner  # tests: a SyncTaskRunner; otherwise a thread of its own
        self.pacer = Pacer()
        self._thread: threading.Thread | None = None
        self.warnings: list[str] = []
        self.last_backup: BackupInfo | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(BACKUP_CHECK_MS)
        self.timer.timeout.connect(self.backup_now)
        self._labels: list[QLabel] = []
        self._outcome.connect(self._deliver)

    @property
    def watching(self) -> bool:
        return database_file(self.db) is not None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.watching:
            db = self.db
            self._run(lambda pace: startup_check(db, pace), self._checked, CHECK_FAILED, "check")

    def stop(self) -> None:
        """No more backups; a check or backup under way stops at its next pause."""
        self.timer.stop()
        self.pacer.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_WAIT_S)
            if thread.is_alive():
                log.warning("The start-up maintenance did not stop in %.0f s", STOP_WAIT_S)

    def _run(
        self,
        work: Callable[[Pacer], Any],
        done: Callable[[Any], None],
        failure: str,
        name: str,
    ) -> None:
        if self.pacer.stopped or self.busy:
            return  # closing, or the last round is still going (it backs up when it ends)

        def failed(exc: BaseException) -> None:
            self._failed(failure, exc)

        pacer = self.pacer
        if self.runner is not None:
            self.runner.run(lambda: work(pacer), done, failed, name=name)
            return

        def body() -> None:
            try:
                result = work(pacer)
            except MaintenanceStopped:
                log.info("The %s was stopped: the app is closing", name)
                return
            except BaseException as exc:  # every failure reaches the user
                if not isinstance(exc, FollowupError):
                    log.exception("The background %s failed", name)
                outcome: tuple[Callable[[Any], None], bool, Any] = (failed, False, exc)
            else:
                outcome = (done, True, result)
            with contextlib.suppress(RuntimeError):  # the guard is gone: nobody to tell
                self._outcome.emit(*outcome)

        self._thread = threading.Thread(target=body, name=f"followup {name}", daemon=True)
        self._thread.start()

    @Slot(object, bool, object)
    def _deliver(self, callback: Callable[[Any], None], _ok: bool, value: object) -> None:
        self._thread = None
        callback(value)

    def _failed(self, sentence: str, exc: BaseException) -> None:
        if isinstance(exc, MaintenanceStopped):
            return
        if isinstance(exc, FollowupError):  # our own sentences say what to do already
            self._note(str(exc))
        else:
            reason = f"something unexpected went wrong: {type(exc).__name__}"
            self._note(sentence.format(reason=reason))
        self.finished.emit()

    def _checked(self, result: StartupCheck) -> None:
        if result.network_warning:
            self._note(result.network_warning)
        if result.audit_altered:
            self._note(result.audit_altered)
        if result.damaged:
            self.stop()
            self.damaged.emit(result.damaged)
            self.finished.emit()
            return
        self.timer.start()
        self.backup_now()

    def backup_now(self) -> None:
        db, folder, paths = self.db, self.folder, self.paths
        self._run(
            lambda pace: automatic_backup(db, folder, schedule=schedule_setting(paths), pace=pace),
            self._backed_up,
            BACKUP_FAILED,
            "automatic backup",
        )

    def _backed_up(self, info: BackupInfo | None) -> None:
        if info is not None:
            self.last_backup = info
        self.finished.emit()

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
