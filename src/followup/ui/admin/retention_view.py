"""The administrator's Retention view: people past the retention period, a dry run, destruction.

The list shows identifiers and dates only (see ``followup.protection.retention``). Destruction is asked
through ``confirm_destruction``, which tests replace, and always shows the dry run's counts
first. Work runs in the background on a short session of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.protection import retention
from followup.protection.retention import DestructionReport, RetentionItem
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import short_date

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["COLUMNS", "RetentionView", "confirm_destruction"]

COLUMNS = ("Person", "Initials", "Born", "Last closed", "Cases", "Police references", "Letters")


def confirm_destruction(parent: QWidget | None, report: DestructionReport) -> bool:
    """Ask before destroying; shows what the dry run found."""
    answer = QMessageBox.warning(
        parent,
        "Destroy these records?",
        f"{report.describe()}\n\nThis cannot be undone. Destroy them now?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class RetentionView(QWidget):
    """Review and destroy records past the retention period; change the period."""

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
        self._runner = runner or TaskRunner(self)
        self.items: list[RetentionItem] = []
        self.loading = False
        self.busy = False

        self.years = QSpinBox()
        self.years.setRange(retention.MIN_YEARS, retention.MAX_YEARS)
        self.years.setSuffix(" years after closure")
        self.years.setAccessibleName("Retention period")
        self.save_years = QPushButton("Save period")
        self.save_years.clicked.connect(self._save_years)
        period = QHBoxLayout()
        period.addWidget(QLabel("Keep closed cases for"))
        period.addWidget(self.years)
        period.addWidget(self.save_years)
        period.addStretch(1)

        self.summary = QLabel("Loading…")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("People past the retention period")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.select_all = QPushButton("Select all")
        self.select_all.clicked.connect(self.table.selectAll)
        self.dry_run_button = QPushButton("Dry run")
        self.dry_run_button.clicked.connect(self.dry_run)
        self.destroy_button = QPushButton("Destroy…")
        self.destroy_button.clicked.connect(self.destroy_selected)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        for button in (self.select_all, self.dry_run_button, self.destroy_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.message = InlineMessage()

        layout = QVBoxLayout(self)
        layout.addLayout(period)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.refresh()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        db, actor = self._db, self._actor

        def fetch() -> tuple[int, list[RetentionItem]]:
            with db.session() as s:
                return retention.retention_years(s), retention.due_for_destruction(s, actor)

        self.loading = True
        self._set_enabled(False)
        self._runner.run(fetch, self._loaded, message_to(self._failed), name="retention list")

    def _loaded(self, result: tuple[int, list[RetentionItem]]) -> None:
        years, items = result
        self.loading = False
        self.items = items
        self.years.setValue(years)
        self.summary.setText(
            f"{len(items)} person record(s) with every case closed more than {years} years ago."
            if items
            else f"Nobody is due: no person has all cases closed more than {years} years ago."
        )
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            values = (
                str(item.person_id),
                item.initials,
                str(item.birth_year or ""),
                short_date(item.closed_on),
                ", ".join(map(str, item.case_ids)),
                ", ".join(item.police_references),
                str(item.letters),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self._set_enabled(True)

    def _failed(self, message: str) -> None:
        self.loading = self.busy = False
        self._set_enabled(True)
        self.message.warn(message)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.dry_run_button,
            self.destroy_button,
            self.save_years,
            self.refresh_button,
            self.select_all,
        ):
            widget.setEnabled(enabled)

    # ------------------------------------------------------------------ actions

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.items[row].person_id for row in rows if row < len(self.items)]

    def _run(self, person_ids: list[int], dry_run: bool, done) -> None:
        db, actor = self._db, self._actor

        def work() -> DestructionReport:
            with db.session(write=True) as s:
                return retention.destroy(s, actor, person_ids, dry_run=dry_run)

        self.busy = True
        self._set_enabled(False)
        self._runner.run(work, done, message_to(self._failed), name="retention")

    def dry_run(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.message.say("Select the people to check first.")
            return
        self._run(ids, True, self._dry_run_done)

    def _dry_run_done(self, report: DestructionReport) -> None:
        self.busy = False
        self._set_enabled(True)
        self.message.say("Dry run, nothing changed. " + report.describe())

    def destroy_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.message.say("Select the people to destroy first.")
            return
        self._run(ids, True, self._confirm)

    def _confirm(self, report: DestructionReport) -> None:
        self.busy = False
        self._set_enabled(True)
        if not report.destroyed:
            self.message.say("Nothing to destroy. " + report.describe())
            return
        if not confirm_destruction(self, report):
            self.message.say("Nothing was destroyed.")
            return
        self._run(list(report.destroyed), False, self._destroyed)

    def _destroyed(self, report: DestructionReport) -> None:
        self.busy = False
        self.message.say(report.describe())
        self.refresh()

    def _save_years(self) -> None:
        db, actor, years = self._db, self._actor, self.years.value()

        def work() -> int:
            with db.session(write=True) as s:
                retention.set_retention_years(s, actor, years)
            return years

        self.busy = True
        self._set_enabled(False)
        self._runner.run(work, self._years_saved, message_to(self._failed), name="retention period")

    def _years_saved(self, years: int) -> None:
        self.busy = False
        self.message.say(f"Closed cases are now kept for {years} years after closure.")
        self.refresh()
