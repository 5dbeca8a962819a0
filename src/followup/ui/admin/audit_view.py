"""The audit trail view for leads and administrators: filters, a paged table, and export.

Searches run in the background (``followup.audit.search``); the table holds only the pages
loaded so far and asks for the next page when scrolled to the end (Qt's Fetch More pattern).
Export asks for a file through ``choose_export_file``, which tests replace.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.access import Actor
from followup.audit import search
from followup.audit.search import AuditFilters, AuditRow, AuditUser
from followup.ui.tasks import LatestOnly, TaskRunner, Ticket, message_to
from followup.ui.widgets.dates import date_of
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.uktime import DATE_TIME_SECONDS_FORMAT, QT_DATE_FORMAT, to_uk, uk_local_to_utc

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "COLUMNS",
    "NO_DATE",
    "PAGE_SIZE",
    "WIDTHS",
    "AuditModel",
    "AuditView",
    "cells",
    "choose_export_file",
    "details_text",
    "uk_day_start",
]

PAGE_SIZE = 200
NO_DATE = QDate(2000, 1, 1)  # the date edits' "any" value, shown as "Any date"

_Index = QModelIndex | QPersistentModelIndex


def choose_export_file(parent: QWidget | None, suggested: str) -> Path | None:
    """Ask where to save the export; None when the user cancels."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export the audit trail", suggested, "CSV files (*.csv)"
    )
    return Path(name) if name else None


def uk_day_start(day: date) -> datetime:
    """Midnight at the start of a UK calendar day, as an aware time."""
    return uk_local_to_utc(datetime.combine(day, time.min))


def details_text(row: AuditRow) -> str:
    """The details as short readable text: ``key: value; …``."""
    if not row.details or row.details_withheld:
        return row.details or ""
    try:
        data = json.loads(row.details)
    except ValueError:
        return row.details
    if not isinstance(data, dict):
        return row.details
    return "; ".join(
        f"{k}: {json.dumps(v) if not isinstance(v, str) else v}" for k, v in data.items()
    )


COLUMNS = ("When", "User", "Action", "Record", "Details")
WIDTHS = (150, 160, 110, 170, 400)


def cells(row: AuditRow) -> tuple[str, ...]:
    who = row.user_display_name or row.username or "—"
    if row.user_display_name and row.username:
        who = f"{row.user_display_name} ({row.username})"
    record = row.entity or ""
    if row.entity_id is not None:
        record = f"{record} {row.entity_id}"
    return (
        to_uk(row.at).strftime(DATE_TIME_SECONDS_FORMAT),
        who,
        vocab.label(row.action),
        record.replace("_", " "),
        details_text(row),
    )


class AuditModel(QAbstractTableModel):
    """The events found so far; further pages are fetched in the background on demand."""

    failed = Signal(str)
    page_loaded = Signal(int)  # rows in the model after the page arrived

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner
        self.filters = AuditFilters()
        self._rows: list[tuple[AuditRow, tuple[str, ...]]] = []
        self._answers = LatestOnly()
        self._more = False
        self.loading = False

    # ------------------------------------------------------------------ Qt's model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, text = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == len(COLUMNS) - 1:
            return text[-1]
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self.loading

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load(self._answers.current, len(self._rows))

    # ------------------------------------------------------------------ loading

    def row(self, index: int) -> AuditRow:
        return self._rows[index][0]

    def search(self, filters: AuditFilters) -> None:
        """Start again with new filters."""
        ticket = self._answers.ticket()
        self.filters = filters
        self.beginResetModel()
        self._rows = []
        self._more = False
        self.endResetModel()
        self._load(ticket, 0)

    def _load(self, ticket: Ticket, offset: int) -> None:
        db, actor, f = self._db, self._actor, self.filters
        self.loading = True

        def fetch() -> list[AuditRow]:
            with db.session() as s:
                return search.search_audit(
                    s,
                    actor,
                    user_id=f.user_id,
                    case_id=f.case_id,
                    action=f.action,
                    start=f.start,
                    end=f.end,
                    limit=PAGE_SIZE,
                    offset=offset,
                )

        self._runner.run(
            fetch,
            ticket.only(self._arrived),
            ticket.only(message_to(self._failed)),
            name="audit search",
        )

    def _arrived(self, rows: list[AuditRow]) -> None:
        self.loading = False
        self._more = len(rows) == PAGE_SIZE
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend((r, cells(r)) for r in rows)
            self.endInsertRows()
        self.page_loaded.emit(len(self._rows))

    def _failed(self, message: str) -> None:
        self.loading = False
        self.failed.emit(message)


class AuditView(QWidget):
    """Who did what, when: filters, the events found, and an audited export."""

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
        self.model = AuditModel(db, actor, self._runner, self)

        self.user_filter = QComboBox()
        self.user_label = label_for("User", self.user_filter, "Shows only this user's events")
        self.user_filter.addItem("Anyone", None)
        self.case_filter = QLineEdit(placeholderText="Case number")
        self.case_filter.setValidator(QIntValidator(1, 2_000_000_000, self))
        self.case_filter.setClearButtonEnabled(True)
        self.case_filter.setMaximumWidth(130)
        self.case_filter.setAccessibleName("Case number")
        self.action_filter = QComboBox()
        self.action_label = label_for(
            "Action", self.action_filter, "Shows only events of this kind"
        )
        self.action_filter.addItem("Any action", None)
        for action in vocab.AUDIT_ACTIONS:
            self.action_filter.addItem(vocab.label(action), action)
        self.from_date = self._date_edit("From")
        self.to_date = self._date_edit("To")
        self.search_button = QPushButton("Search")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the events found as a CSV file (this is audited)")
        self.count_label = QLabel("")
        self.message = InlineMessage()
        self.message.setObjectName("message")

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit events")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for i, width in enumerate(WIDTHS):
            self.table.setColumnWidth(i, width)

        filters = QHBoxLayout()
        filters.addWidget(self.user_label)
        filters.addWidget(self.user_filter)
        filters.addWidget(self.case_filter)
        filters.addWidget(self.action_label)
        filters.addWidget(self.action_filter)
        filters.addWidget(QLabel("From"))
        filters.addWidget(self.from_date)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.to_date)
        filters.addWidget(self.search_button)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        filters.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

        self.search_button.clicked.connect(self.search)
        self.case_filter.returnPressed.connect(self.search)
        self.export_button.clicked.connect(self.export)
        self.model.page_loaded.connect(self._show_count)
        self.model.failed.connect(self.message.warn)

        self._load_users()
        self.search()

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setAccessibleName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(QT_DATE_FORMAT)
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("Any date")
        edit.setDate(NO_DATE)
        return edit

    # ------------------------------------------------------------------ filters

    def _load_users(self) -> None:
        db, actor = self._db, self._actor

        def fetch() -> list[AuditUser]:
            with db.session() as s:
                return search.audit_users(s, actor)

        self._runner.run(fetch, self._fill_users, message_to(self.message.warn), name="audit users")

    def _fill_users(self, users: list[AuditUser]) -> None:
        for user in users:
            text = f"{user.display_name} ({user.username})"
            self.user_filter.addItem(text if user.active else f"{text}, switched off", user.id)

    def current_filters(self) -> AuditFilters:
        start = end = None
        if self.from_date.date() != NO_DATE:
            start = uk_day_start(date_of(self.from_date.date()))
        if self.to_date.date() != NO_DATE:
            end = uk_day_start(date_of(self.to_date.date()) + timedelta(days=1))
        case_text = self.case_filter.text().strip()
        return AuditFilters(
            user_id=self.user_filter.currentData(),
            case_id=int(case_text) if case_text else None,
            action=self.action_filter.currentData(),
            start=start.astimezone(UTC) if start else None,
            end=end.astimezone(UTC) if end else None,
        )

    def search(self) -> None:
        self.message.hide()
        filters = self.current_filters()
        if filters.start and filters.end and filters.end <= filters.start:
            self.message.warn("The 'to' date is before the 'from' date; check the dates.")
            return
        self.count_label.setText("Searching…")
        self.model.search(filters)

    def _show_count(self, rows: int) -> None:
        more = "+" if self.model.canFetchMore() else ""
        self.count_label.setText("1 event" if rows == 1 and not more else f"{rows:,}{more} events")

    # ------------------------------------------------------------------ export

    def export(self) -> None:
        filters = self.model.filters
        suggested = f"followup-audit_made-{datetime.now(UTC):%Y%m%dT%H%MZ}.csv"
        path = choose_export_file(self, suggested)
        if path is None:
            return
        db, actor = self._db, self._actor

        def write() -> int:
            with db.session() as s:
                return search.export_audit(s, actor, filters, path)

        self.export_button.setEnabled(False)
        self._runner.run(
            write,
            lambda rows: self._exported(path, rows),
            message_to(self._export_failed),
            name="audit export",
        )

    def _exported(self, path: Path, rows: int) -> None:
        self.export_button.setEnabled(True)
        self.message.say(f"Exported {rows:,} event{'s' if rows != 1 else ''} to {path}.")
        self.model.search(self.model.filters)  # the export is now in the trail itself

    def _export_failed(self, message: str) -> None:
        self.export_button.setEnabled(True)
        self.message.warn(message)

    def refresh(self) -> None:
        self.model.search(self.model.filters)
