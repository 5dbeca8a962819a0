"""The caseload: search, filters and the lazy table of cases; opening a case is handed upwards.

A worker sees their own caseload and a lead every case (``followup.casework.caseload`` enforces it; this
view only hides the worker filter from workers). Typing in the search box waits for a short
pause before asking the database, and every query runs in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from followup import accounts, vocab
from followup.access import Actor
from followup.casework.caseload import CaseQuery
from followup.ui.caseload.model import COLUMNS, DUE_COLUMN, CaseloadModel
from followup.ui.caseload.reassign import ReassignBar
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.ui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "ALL_WORKERS",
    "SEARCH_PAUSE_MS",
    "UNASSIGNED",
    "CaseTable",
    "CaseloadView",
    "count_text",
]

SEARCH_PAUSE_MS = 150
ALL_WORKERS, UNASSIGNED = None, 0


class CaseTable(RowTable):
    """The table of cases, one selected at a time, with the caseload's columns and widths."""

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        for i, column in enumerate(COLUMNS):
            self.setColumnWidth(i, column.width)


def count_text(total: int, more_than: int | None = None) -> str:
    if more_than is not None:
        return f"More than {more_than:,} cases"
    return "1 case" if total == 1 else f"{total:,} cases"


class CaseloadView(QWidget):
    """Search box, filters, count and the case table; ``open_case`` is called with a case id."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        open_case: Callable[[int], None],
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._open_case = open_case
        self._runner = runner or TaskRunner(self)
        self.model = CaseloadModel(db, actor, self._runner, self)

        self.search = QLineEdit(
            placeholderText="Search by name, police reference, NHS number or phone"
        )
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Ctrl+F")
        self.search.setAccessibleName("Search cases")
        self.search.setAccessibleDescription(
            "Type part of a name, a police reference, an NHS number or a phone number"
        )
        self.search.setMinimumWidth(320)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All open", vocab.OPEN_STATUSES)
        for status in vocab.CASE_STATUSES:
            self.status_filter.addItem(vocab.label(status), (status,))
        self.status_filter.addItem("All statuses", ())
        self.status_label = label_for(
            "Status", self.status_filter, "Shows only the cases with this status"
        )
        self.worker_filter = QComboBox()
        self.worker_label = label_for(
            "Worker", self.worker_filter, "Shows only the cases of this worker"
        )
        self.worker_filter.addItem("All workers", ALL_WORKERS)
        self.worker_filter.addItem("Unassigned", UNASSIGNED)
        self.worker_filter.setVisible(actor.can("view_all_cases"))
        self.worker_label.setVisible(actor.can("view_all_cases"))
        self.overdue_only = QCheckBox("Overdue only")
        self.count_label = QLabel("")
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count_label.setMinimumWidth(110)
        self.message = InlineMessage()
        self.message.setObjectName("errorMessage")

        self.table = CaseTable(self.model)
        header = self.table.horizontalHeader()
        header.setSortIndicator(DUE_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # header clicks call model.sort, which asks SQL
        header.sortIndicatorChanged.connect(self._keep_sortable_indicator)
        self.table.setAccessibleName("Cases")
        # A lead selects many cases to reassign them at once.
        self.reassign = ReassignBar(db, actor, self.selected_case_ids, self._runner, self)
        if actor.can("assign"):
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status_label)
        filters.addWidget(self.status_filter)
        filters.addWidget(self.worker_label)
        filters.addWidget(self.worker_filter)
        filters.addWidget(self.overdue_only)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reassign)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._search_now)
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        self.worker_filter.currentIndexChanged.connect(self.apply_filters)
        self.overdue_only.toggled.connect(self.apply_filters)
        self.table.open_requested.connect(self._open_row)
        self.model.total_changed.connect(self._show_total)
        self.model.failed.connect(self._show_failure)
        self.model.page_loaded.connect(self._page_loaded)
        self.table.selectionModel().selectionChanged.connect(self.reassign.update_selection)
        self.model.modelReset.connect(self.reassign.update_selection)
        self.reassign.moved.connect(self.refresh)

        if actor.can("view_all_cases"):
            self._load_workers()
        self.apply_filters()

    # ------------------------------------------------------------------ filters

    def current_query(self) -> CaseQuery:
        header = self.table.horizontalHeader()
        column = header.sortIndicatorSection()
        sort = (COLUMNS[column].sort_key if 0 <= column < len(COLUMNS) else "") or "due"
        worker = self.worker_filter.currentData() if self._actor.can("view_all_cases") else None
        return replace(
            self.model.query,
            search=self.search.text().strip(),
            statuses=tuple(self.status_filter.currentData() or ()),
            worker_id=worker,
            overdue_only=self.overdue_only.isChecked(),
            sort=sort,
            descending=header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder,
        )

    def _keep_sortable_indicator(self, column: int, _order: Qt.SortOrder) -> None:
        """A column the database cannot sort by leaves the indicator where it was."""
        if 0 <= column < len(COLUMNS) and COLUMNS[column].sort_key:
            return
        q = self.model.query
        back = next(i for i, c in enumerate(COLUMNS) if c.sort_key == q.sort)
        order = Qt.SortOrder.DescendingOrder if q.descending else Qt.SortOrder.AscendingOrder
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(back, order)
        header.blockSignals(False)
        header.viewport().update()

    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.message.hide()
        self.model.set_query(self.current_query())

    def refresh(self) -> None:
        self.message.hide()
        self.model.refresh()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _search_now(self) -> None:
        self.apply_filters()
        if self.model.rowCount():
            self.table.setFocus()

    def _load_workers(self) -> None:
        db = self._db

        def fetch() -> list[Actor]:
            with db.session() as s:
                return accounts.list_workers(s)

        self._runner.run(
            fetch, self._fill_workers, message_to(self._show_failure), name="worker list"
        )

    def _fill_workers(self, workers: list[Actor]) -> None:
        for worker in workers:
            self.worker_filter.addItem(worker.display_name, worker.id)

    # ------------------------------------------------------------------ results

    def _show_total(self, total: int) -> None:
        more = self.model.more_than
        self.count_label.setText("Counting…" if total < 0 else count_text(total, more))

    def _show_failure(self, message: str) -> None:
        self.message.warn(message)

    def _page_loaded(self, rows: int) -> None:
        if rows and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _open_row(self, row: int) -> None:
        case_id = self.model.case_id(row)
        if case_id is not None:
            self._open_case(case_id)

    def selected_case_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [i for i in (self.model.case_id(r) for r in rows) if i is not None]

    def open_current(self) -> None:
        index: QModelIndex = self.table.currentIndex()
        if index.isValid():
            self._open_row(index.row())
