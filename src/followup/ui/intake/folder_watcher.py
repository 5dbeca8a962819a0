"""Watching the import folder from the app, and choosing it.

A ``QTimer`` asks for a scan every few minutes (and once soon after sign-in); the scan itself,
``import_folder.scan_import_folder``, runs on a pool thread as the signed-in user, never two at
once. While a file is still settling (seen, but not yet unchanged for a scan) the next scan
comes sooner. The folder is the local setting ``import_folder``; ``ImportFolderDialog`` sets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.intake.folder import FolderResult, FolderState, scan_import_folder
from followup.settings import AppPaths, load_local_settings, save_local_settings
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "FIRST_SCAN_MS",
    "SCAN_INTERVAL_MS",
    "SETTING",
    "SETTLE_RECHECK_MS",
    "FolderWatcher",
    "ImportFolderDialog",
    "ask_directory",
    "configured_folder",
    "results_text",
    "save_import_folder",
]

SETTING = "import_folder"
SCAN_INTERVAL_MS = 3 * 60 * 1000
FIRST_SCAN_MS = 2000  # after sign-in, once the window is up
SETTLE_RECHECK_MS = 15_000  # a file was still being written: look again soon


def configured_folder(paths: AppPaths | None = None) -> Path | None:
    """The import folder named in the local settings, or None."""
    value = load_local_settings(paths).get(SETTING)
    return Path(value).expanduser() if isinstance(value, str) and value.strip() else None


def save_import_folder(folder: str | Path | None, paths: AppPaths | None = None) -> None:
    """Name (or, with None, forget) the import folder in the local settings."""
    values = load_local_settings(paths)
    if folder:
        values[SETTING] = str(folder)
    else:
        values.pop(SETTING, None)
    save_local_settings(values, paths)


def results_text(results: list[FolderResult]) -> str:
    """What one scan did, in one line for the status bar."""
    done = [r for r in results if r.imported]
    failed = [r for r in results if not r.imported]
    parts = []
    if done:
        referrals = sum(r.summary.imported for r in done if r.summary)
        rejected = sum(r.summary.rejected_rows for r in done if r.summary)
        files = "1 file" if len(done) == 1 else f"{len(done)} files"
        text = f"imported {files} ({referrals} new referrals"
        text += f", {rejected} rows rejected)" if rejected else ")"
        parts.append(text)
        empty = sum(1 for r in done if r.summary and r.summary.empty)
        if empty:
            files = "1 file" if empty == 1 else f"{empty} files"
            parts.append(f"{files} held no referrals")
    if failed:
        files = "1 file" if len(failed) == 1 else f"{len(failed)} files"
        parts.append(f"{files} could not be imported (see the failed folder)")
    return "Import folder: " + "; ".join(parts) + "." if parts else ""


class FolderWatcher(QObject):
    """Scans the import folder on a timer, in the background, one scan at a time."""

    scanned = Signal(object)  # list[FolderResult], after every scan that found a folder
    failed = Signal(str)  # a sentence: the folder is missing, unwritable, or the settings broken

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QObject | None = None,
        *,
        paths: AppPaths | None = None,
        runner: TaskRunner | None = None,
        interval_ms: int = SCAN_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._paths = paths
        self._runner = runner or TaskRunner(self)
        self._states: dict[str, FolderState] = {}
        self.scanning = False
        self.folder: Path | None = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.scan_now)
        self._soon = QTimer(self, singleShot=True)
        self._soon.timeout.connect(self.scan_now)

    def start(self, first_scan_ms: int = FIRST_SCAN_MS) -> None:
        self.timer.start()
        self._soon.start(first_scan_ms)

    def stop(self) -> None:
        self.timer.stop()
        self._soon.stop()

    def scan_now(self) -> bool:
        """Start a scan unless one is running; False when none was started."""
        if self.scanning:
            return False
        self.scanning = True
        db, actor, paths, states = self._db, self._actor, self._paths, self._states

        def scan() -> tuple[Path | None, list[FolderResult], int]:
            folder = configured_folder(paths)
            if folder is None:
                return None, [], 0
            state = states.setdefault(str(folder), FolderState())
            return folder, scan_import_folder(db, actor, folder, state=state), state.waiting

        self._runner.run(scan, self._done, message_to(self._failed), name="import folder scan")
        return True

    def _done(self, outcome: tuple[Path | None, list[FolderResult], int]) -> None:
        self.scanning = False
        folder, results, waiting = outcome
        self.folder = folder
        if folder is None:
            return
        if waiting:
            self._soon.start(SETTLE_RECHECK_MS)
        self.scanned.emit(results)

    def _failed(self, message: str) -> None:
        self.scanning = False
        self.failed.emit(message)


def ask_directory(parent: QWidget | None, start: str) -> str | None:
    """Ask for a folder; None when the user cancels. Tests replace this."""
    path = QFileDialog.getExistingDirectory(parent, "Choose the import folder", start)
    return path or None


class ImportFolderDialog(QDialog):
    """Name the folder whose files are imported automatically, or stop using one."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        paths: AppPaths | None = None,
        on_saved: Callable[[Path | None], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths = paths
        self._on_saved = on_saved
        self.setWindowTitle("Import folder")
        self.setMinimumWidth(560)
        # Explicit lines: a word-wrapped label in a top-level dialog gets clipped.
        about = QLabel(
            "Referral files (CSV or JSON) put in this folder are imported when Followup\n"
            "starts and every few minutes while it runs, recorded as imported by you.\n"
            "Each file is then moved to processed/ or failed/ inside the folder, with a\n"
            "text report beside it. Files still being copied wait until they are complete."
        )
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.path.setPlaceholderText("No import folder: files are imported only by hand")
        self.path.setAccessibleName("Import folder")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose)
        self.clear_button = QPushButton("Stop using a folder")
        self.clear_button.clicked.connect(lambda: self._set(""))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        row.addWidget(self.clear_button)
        self.message = InlineMessage()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        try:
            current = configured_folder(paths)
        except FollowupError as exc:
            current = None
            self._say(str(exc))
        self._set(str(current) if current else "")

    def _set(self, text: str) -> None:
        self.path.setText(text)
        self.clear_button.setEnabled(bool(text))

    def _say(self, text: str) -> None:
        self.message.warn(text)
        self.adjustSize()  # room for the message, instead of squeezing the text above it

    def choose(self) -> None:
        chosen = ask_directory(self, self.path.text() or str(Path.home()))
        if chosen:
            self.message.hide()
            self._set(chosen)

    def save(self) -> None:
        text = self.path.text().strip()
        if text and not (Path(text).is_dir() and os.access(text, os.W_OK | os.X_OK)):
            self._say(
                f"Followup cannot write in {text}, so it could not file imported files away; "
                "choose a folder you may change."
            )
            return
        try:
            save_import_folder(text or None, self._paths)
        except (FollowupError, OSError) as exc:
            self._say(
                str(exc)
                if isinstance(exc, FollowupError)
                else f"Cannot save the settings ({exc.strerror})."
            )
            return
        if self._on_saved is not None:
            self._on_saved(Path(text) if text else None)
        self.accept()
