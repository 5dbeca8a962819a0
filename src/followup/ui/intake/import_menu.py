"""The Import menu of the main window: import a file by hand, and the import folder.

Kept out of ``main_window`` so that the window only composes: this object adds the menu and
a status-bar label, owns the ``ImportFlow`` and the ``FolderWatcher``, and says when new
referrals have arrived (``imported``) so that the inbox and caseload can refresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow

from followup.access import Actor
from followup.intake.folder import FolderResult
from followup.intake.importer import ImportSummary
from followup.settings import AppPaths
from followup.ui.intake.folder_watcher import FolderWatcher, ImportFolderDialog, results_text
from followup.ui.intake.import_dialog import ImportFlow
from followup.ui.shortcuts import IMPORT_REFERRALS

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "STATUS_MS",
    "ImportMenu",
]

STATUS_MS = 60_000


class ImportMenu(QObject):
    """Adds "Import referrals…" (Ctrl+I) and "Import folder…" to a main window."""

    imported = Signal()  # new referrals may be in the database

    def __init__(
        self,
        window: QMainWindow,
        db: Database,
        actor: Actor,
        *,
        paths: AppPaths | None = None,
        watch: bool = True,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._paths = paths
        self.flow = ImportFlow(db, actor, window)
        self.watcher = FolderWatcher(db, actor, self, paths=paths)
        self.folder_dialog: ImportFolderDialog | None = None

        menu = window.menuBar().addMenu("&Import")
        self.import_action = QAction("Import referrals…", window)
        self.import_action.setShortcuts([QKeySequence(k) for k in IMPORT_REFERRALS.keys])
        self.import_action.setStatusTip("Import a police referral file (CSV or JSON)")
        self.import_action.triggered.connect(lambda: self.flow.start())
        self.folder_action = QAction("Import folder…", window)
        self.folder_action.setStatusTip(
            "Choose a folder whose referral files are imported automatically"
        )
        self.folder_action.triggered.connect(self.choose_folder)
        self.scan_action = QAction("Check the import folder now", window)
        self.scan_action.triggered.connect(self.watcher.scan_now)
        menu.addAction(self.import_action)
        menu.addSeparator()
        menu.addAction(self.folder_action)
        menu.addAction(self.scan_action)
        window.addAction(self.import_action)

        self.folder_label = QLabel("")
        self.folder_label.setAccessibleName("Import folder status")
        window.statusBar().addPermanentWidget(self.folder_label)
        self.folder_label.hide()

        self.flow.imported.connect(self._file_imported)
        opener = getattr(window, "open_case", None)
        if callable(opener):  # a landed referral opens its case in the main window
            self.flow.open_case.connect(opener)
        self.flow.finished.connect(self._status)
        self.watcher.scanned.connect(self._scanned)
        self.watcher.failed.connect(self._folder_failed)
        if watch:
            self.watcher.start()

    def _status(self, text: str) -> None:
        self._window.statusBar().showMessage(text, STATUS_MS)

    def _file_imported(self, summary: ImportSummary) -> None:
        if summary.imported:
            self.imported.emit()

    def _scanned(self, results: list[FolderResult]) -> None:
        folder = self.watcher.folder
        self.folder_label.setText(f"Import folder: {folder.name if folder else ''}")
        self.folder_label.setToolTip(f"Watching {folder} for referral files" if folder else "")
        self.folder_label.setVisible(folder is not None)
        text = results_text(results)
        if text:
            self._status(text)
        if any(r.imported and r.summary and r.summary.imported for r in results):
            self.imported.emit()

    def _folder_failed(self, message: str) -> None:
        self.folder_label.setText("Import folder: not available")
        self.folder_label.setToolTip(message)
        self.folder_label.show()
        self._status(message)

    def choose_folder(self) -> ImportFolderDialog:
        dialog = ImportFolderDialog(self._window, paths=self._paths, on_saved=self._folder_saved)
        self.folder_dialog = dialog
        dialog.open()
        return dialog

    def _folder_saved(self, folder: Path | None) -> None:
        if folder is None:
            self.watcher.folder = None
            self.folder_label.hide()
            self._status("No import folder: referral files are imported only by hand.")
            return
        self._status(f"Import folder set to {folder}; checking it now.")
        self.watcher.scan_now()
