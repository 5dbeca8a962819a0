"""Importing a police referral file from the app: choose it, preview it, import it, read what
landed.

Choosing a file runs a dry run first (``import_file(dry_run=True, itemise=True)``) and shows
its preview row by row (``import_preview.ImportPreviewDialog``); nothing is written until
"Import N referrals", and Cancel imports nothing. The import is of the bytes previewed: it is
given the preview's digest, and when the file changed on disk since, nothing is imported and
the file is previewed again, saying so. Both runs are on a pool thread (one transaction each);
progress reaches the dialog through a queued signal, and Cancel sets a flag the run checks
between batches, so a cancelled import writes nothing. The summary shows the counts of
DESIGN.md, what landed (each row opens its case: ``ImportFlow.open_case``), the rows skipped as
already imported, and every rejected row and left-out field (row number as a spreadsheet shows
it, field, reason); the rejected rows can be saved as a spreadsheet-safe CSV. File dialogs sit
behind module-level functions that tests replace. The folder watcher imports without a
preview: it is the unattended path.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.files import safe_cell, write_atomically
from followup.intake.importer import EMPTY_FILE, FileChanged, ImportSummary, RowKind, import_file
from followup.intake.rules import Problem
from followup.ui.intake.import_preview import (
    ImportPreviewDialog,
    LandedTable,
    OutcomeModel,
    outcome_table,
)
from followup.ui.tasks import TaskRunner, message_to, plain_message
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.screens import fit_to_screen

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CANCELLED_TEXT",
    "FILE_FILTER",
    "ImportFlow",
    "ImportProgressDialog",
    "ImportSummaryDialog",
    "ProblemModel",
    "ask_referral_file",
    "ask_save_path",
    "count_lines",
    "write_problems_csv",
]

FILE_FILTER = "Police referral files (*.csv *.json);;All files (*)"
CANCELLED_TEXT = "Stopped; nothing was imported."


def ask_referral_file(parent: QWidget | None) -> str | None:
    """Ask for the file to import; None when the user cancels. Tests replace this."""
    path, _ = QFileDialog.getOpenFileName(parent, "Import police referrals", "", FILE_FILTER)
    return path or None


def ask_save_path(parent: QWidget | None, suggested: str) -> str | None:
    """Ask where to save an export; None when the user cancels. Tests replace this."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save rejected rows", suggested, "CSV files (*.csv)"
    )
    return path or None


def write_problems_csv(target: str | Path, problems: list[Problem]) -> int:
    """Save problems as CSV (row, field, reason), safe to open in a spreadsheet."""

    def write(fh: Any) -> None:
        out = csv.writer(fh)
        out.writerow(["row", "field", "reason"])
        for p in problems:
            out.writerow([p.row, safe_cell(p.field), safe_cell(p.reason)])

    write_atomically(Path(target), write)
    return len(problems)


class ProblemModel(QAbstractTableModel):
    """Rejected rows or left-out fields: row, field, reason."""

    HEADERS = ("Row", "Field", "Reason")

    def __init__(self, problems: list[Problem], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problems = problems

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        p = self.problems[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(p.row), p.field, p.reason)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return p.reason
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None


def _problem_table(problems: list[Problem], name: str) -> QTableView:
    table = QTableView()
    table.setModel(ProblemModel(problems, table))
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.setColumnWidth(0, 60)
    table.setColumnWidth(1, 150)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def count_lines(summary: ImportSummary) -> list[tuple[str, str]]:
    """The five figures the user asked about, with a plain label each."""
    return [
        ("Referrals imported", str(summary.imported)),
        ("… linked to a person already known (repeat overdose)", str(summary.linked_repeat)),
        ("… waiting in the inbox for a decision on a possible match", str(summary.needs_review)),
        ("Skipped: already imported before", str(summary.duplicates)),
        ("Rows read from the file", str(summary.rows_read)),
        (
            "Rows rejected (kept under Rejected referrals for a team lead)",
            str(summary.rejected_rows),
        ),
        ("Fields left out (the referral was still imported)", str(len(summary.warnings))),
    ]


class ImportSummaryDialog(QDialog):
    """The outcome of one import: counts, rejected rows, left-out fields, export."""

    open_case = Signal(int)  # a landed referral's case, chosen in the list

    def __init__(self, summary: ImportSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle(f"Import of {summary.file_name}")

        heading = QLabel(self._headline())
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)

        self.counts: dict[str, QLabel] = {}
        form = QFormLayout()
        for label, value in count_lines(summary):
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.counts[label] = shown
            form.addRow(label + ":", shown)

        landed = summary.landed
        skipped = [r for r in summary.not_landed if r.kind == RowKind.DUPLICATE]
        self.landed_table = LandedTable(landed)
        self.landed_table.case_requested.connect(self.open_case)
        self.skipped_table = outcome_table(
            OutcomeModel(skipped, done=True, landed=False), "Rows skipped"
        )
        self.rejected_table = _problem_table(summary.rejected, "Rejected rows")
        self.warnings_table = _problem_table(summary.warnings, "Fields left out")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.landed_table, f"Imported ({len(landed)})")
        self.tabs.addTab(self.skipped_table, f"Skipped: already imported ({len(skipped)})")
        self.tabs.addTab(self.rejected_table, f"Rejected rows ({summary.rejected_rows})")
        self.tabs.addTab(self.warnings_table, f"Fields left out ({len(summary.warnings)})")
        self.tabs.setTabVisible(0, bool(landed))
        self.tabs.setTabVisible(1, bool(skipped))
        first = next(
            (i for i, shown in enumerate((landed, skipped, summary.rejected, summary.warnings))
             if shown),
            0,
        )  # fmt: skip
        self.tabs.setCurrentIndex(first)
        self.tabs.setVisible(bool(landed or skipped or summary.rejected or summary.warnings))
        note = QLabel(
            "Row numbers are the lines a spreadsheet shows: the header is row 1. Each reason of "
            "a rejected row is listed. Rejected rows are kept: a team lead corrects and imports "
            "them, or dismisses them, under Rejected referrals. Or fix them in the file and "
            "import it again; rows already imported are skipped."
        )
        note.setWordWrap(True)
        note.setVisible(bool(summary.rejected))
        self.open_hint = QLabel(
            "To open a referral's case: double-click it, or choose it and press Enter or Open case."
        )
        self.open_hint.setWordWrap(True)
        self.open_hint.setVisible(bool(landed))

        self.message = InlineMessage()

        self.open_button = QPushButton("Open case")
        self.open_button.setToolTip("Open the chosen referral's case (or double-click it)")
        self.open_button.setEnabled(bool(landed))
        self.open_button.clicked.connect(self.landed_table.open_current)
        self.export_button = QPushButton("Export rejected rows…")
        self.export_button.setEnabled(bool(summary.rejected))
        self.export_button.clicked.connect(self.export_rejected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.open_hint)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        if not self.tabs.isVisibleTo(self):
            layout.addStretch(1)
        self.setMinimumSize(560, 400)
        fit_to_screen(self, 1040, 660)

    def _headline(self) -> str:
        s = self.summary
        rows = "1 row" if s.rows_read == 1 else f"{s.rows_read:,} rows"
        if s.empty:
            return f"{s.file_name}: {EMPTY_FILE} (a header and no records); nothing was imported."
        if s.imported == 0 and s.duplicates and not s.rejected:
            return f"{s.file_name}: {rows} read. Nothing new: every referral was imported before."
        if s.clean:
            return f"{s.file_name}: {rows} read, all imported without problems."
        return f"{s.file_name}: {rows} read. Some rows need your attention (listed below)."

    def export_rejected(self) -> None:
        stem = Path(self.summary.file_name).stem
        target = ask_save_path(self, f"{stem}-rejected-rows.csv")
        if not target:
            return
        try:
            count = write_problems_csv(target, self.summary.rejected)
        except FollowupError as exc:
            self.message.warn(str(exc))
            return
        self.message.confirm(f"Saved {count} rejected row{'s' if count != 1 else ''} to {target}.")


class ImportProgressDialog(QDialog):
    """A progress bar and a Cancel button while the import runs."""

    cancel_requested = Signal()

    def __init__(
        self, file_name: str, parent: QWidget | None = None, *, checking: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            "Checking a police referral file" if checking else "Importing police referrals"
        )
        self.setModal(True)
        self.label = QLabel(f"{'Checking' if checking else 'Reading'} {file_name}…")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.bar.setAccessibleName("Import progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        self.setMinimumWidth(420)

    def show_waiting(self) -> None:
        self.label.setText("Waiting for another import to finish…")

    def show_progress(self, rows: int, fraction: float) -> None:
        self.bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))
        self.label.setText(f"{rows:,} rows read…")

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Stopping; nothing will be imported…")
        self.cancel_requested.emit()

    def reject(self) -> None:  # Escape or the window's close button mean Cancel
        if self.cancel_button.isEnabled():
            self._cancel()


class _ProgressRelay(QObject):
    """Carries progress from the pool thread to the UI thread (a queued signal)."""

    progress = Signal(int, float)
    waiting = Signal()  # another import holds the turn: this one waits for it


class ImportFlow(QObject):
    """Choose a file, preview it, import it in the background, show what landed; one at a time."""

    imported = Signal(object)  # the ImportSummary, after a successful import
    finished = Signal(str)  # a sentence: the outcome, for a status bar
    open_case = Signal(int)  # a landed referral's case, chosen in the summary

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._parent = parent
        self._runner = runner or TaskRunner(self)
        self._relay = _ProgressRelay(self)
        self._cancel = threading.Event()
        self._path: str | None = None
        self.progress_dialog: ImportProgressDialog | None = None
        self.preview_dialog: ImportPreviewDialog | None = None
        self.summary_dialog: ImportSummaryDialog | None = None
        self.message_box: QMessageBox | None = None

    @property
    def running(self) -> bool:
        return self.progress_dialog is not None

    def start(self, path: str | None = None) -> bool:
        """Ask for a file (unless given) and preview it; False when nothing started."""
        if self.running:
            return False
        if self.preview_dialog is not None:  # one file at a time: that preview comes forward
            self.preview_dialog.raise_()
            self.preview_dialog.activateWindow()
            return False
        path = path or ask_referral_file(self._parent)
        if not path:
            return False
        self._path = path
        self._check(path)
        return True

    def _run(
        self,
        path: str,
        work: Callable[[threading.Event], ImportSummary],
        on_done: Callable[[ImportSummary], None],
        on_error: Callable[[BaseException], None],
        *,
        checking: bool,
    ) -> None:
        """Run ``work`` on a pool thread behind a progress dialog whose Cancel stops it."""
        self._cancel = cancel = threading.Event()
        dialog = ImportProgressDialog(Path(path).name, self._parent, checking=checking)
        dialog.cancel_requested.connect(cancel.set)
        self._relay.progress.connect(dialog.show_progress)
        self._relay.waiting.connect(dialog.show_waiting)
        self.progress_dialog = dialog
        dialog.show()
        name = "preview referral file" if checking else "import referral file"
        self._runner.run(lambda: work(cancel), on_done, on_error, name=name)

    def _check(self, path: str, note: str = "") -> None:
        """The dry run, row by row, then its preview (``note`` says why it is shown again)."""
        db, actor, relay = self._db, self._actor, self._relay

        def run(cancel: threading.Event) -> ImportSummary:
            return import_file(
                db,
                actor,
                path,
                dry_run=True,
                itemise=True,
                progress=relay.progress.emit,
                cancelled=cancel.is_set,
                waiting=relay.waiting.emit,
            )

        self._run(
            path,
            run,
            lambda summary: self._previewed(summary, note),
            message_to(self._failed),
            checking=True,
        )

    def _previewed(self, summary: ImportSummary, note: str) -> None:
        self._close_progress()
        dialog = ImportPreviewDialog(summary, self._parent)
        if note:
            dialog.message.warn(note)
        dialog.import_requested.connect(self._import_previewed)
        dialog.rejected.connect(self._preview_cancelled)
        self.preview_dialog = dialog
        dialog.show()

    def _close_preview(self) -> ImportSummary | None:
        dialog, self.preview_dialog = self.preview_dialog, None
        if dialog is None:
            return None
        dialog.rejected.disconnect(self._preview_cancelled)
        dialog.hide()
        dialog.deleteLater()
        return dialog.summary

    def _preview_cancelled(self) -> None:
        preview = self._close_preview()
        if preview is not None:
            self.finished.emit(f"Nothing was imported from {preview.file_name}.")

    def _import_previewed(self) -> None:
        """What "Import N referrals" does: import the bytes that were previewed."""
        preview = self._close_preview()
        path = self._path
        if preview is None or path is None:
            return
        db, actor, relay, digest = self._db, self._actor, self._relay, preview.digest

        def run(cancel: threading.Event) -> ImportSummary:
            return import_file(
                db,
                actor,
                path,
                itemise=True,
                expected_digest=digest,
                progress=relay.progress.emit,
                cancelled=cancel.is_set,
                waiting=relay.waiting.emit,
            )

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FileChanged):  # nothing imported: show the file as it is now
                self._close_progress()
                self._check(path, str(exc))
                return
            self._failed(plain_message(exc))

        self._run(path, run, self._done, failed, checking=False)

    def cancel(self) -> None:
        """What the Cancel button does."""
        if self.progress_dialog is not None:
            self.progress_dialog.cancel_button.click()

    def _close_progress(self) -> None:
        dialog, self.progress_dialog = self.progress_dialog, None
        if dialog is not None:
            self._relay.progress.disconnect(dialog.show_progress)
            self._relay.waiting.disconnect(dialog.show_waiting)
            dialog.hide()
            dialog.deleteLater()

    def _done(self, summary: ImportSummary) -> None:
        self._close_progress()
        if self.summary_dialog is not None:
            self.summary_dialog.close()
        self.summary_dialog = ImportSummaryDialog(summary, self._parent)
        self.summary_dialog.open_case.connect(self.open_case)
        self.summary_dialog.finished.connect(self._summary_gone)
        self.summary_dialog.show()
        self.imported.emit(summary)
        self.finished.emit(
            f"Imported {summary.imported} referrals from {summary.file_name}"
            + (f"; {summary.rejected_rows} rows rejected." if summary.rejected else ".")
        )

    def _summary_gone(self, _result: int = 0) -> None:
        dialog, self.summary_dialog = self.summary_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _failed(self, message: str) -> None:
        self._close_progress()
        # Cancelled or not, a failed import wrote nothing; after Cancel that is all to say.
        stopped = self._cancel.is_set()
        text = CANCELLED_TEXT if stopped else message
        box = QMessageBox(
            QMessageBox.Icon.Information if stopped else QMessageBox.Icon.Warning,
            "Import stopped" if stopped else "Import failed",
            text,
            QMessageBox.StandardButton.Ok,
            self._parent,
        )
        box.finished.connect(self._box_gone)
        self.message_box = box
        box.open()
        self.finished.emit(text)

    def _box_gone(self, _result: int = 0) -> None:
        box, self.message_box = self.message_box, None
        if box is not None:
            box.deleteLater()
