"""The cases behind one figure of the dashboard: a fixed list of case ids, shown as a caseload.

The ids come from ``followup.reports.engagement.cases_behind`` (the dashboard fetches them in the
background); the list itself is the caseload's lazy model with a ``case_ids`` query, so it
pages, sorts in SQL and opens a case the same way. "Export these cases…" writes exactly these
cases with the audited case-list export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework.caseload import CaseQuery
from followup.reports.definitions import FIGURES, Period, tooltip
from followup.reports.exports import ExportResult
from followup.ui.caseload.model import COLUMNS, CaseloadModel
from followup.ui.caseload.view import CaseTable, count_text
from followup.ui.dashboard import exports
from followup.ui.dashboard.figures import figure_text
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["NOT_COHORT", "WHOLE_TEAM", "DrillDown", "DrillDownView"]

# Figures whose cases are all of the period's cohort (referral received in the period); the
# others (overdue now, repeat overdoses, kits) can list cases received before it.
NOT_COHORT = ("overdue", "repeat_overdoses", "naloxone_kits")
WHOLE_TEAM = "Whole team"


@dataclass(frozen=True)
class DrillDown:
    """What was clicked and the cases behind it, as plain data."""

    figure: str
    group_label: str  # a worker's name, an area, a month, or "Whole team"
    period: Period
    value: int | float | None  # the figure as the dashboard showed it
    case_ids: tuple[int, ...]
    made_at: datetime

    @property
    def title(self) -> str:
        return (
            f"Cases behind: {FIGURES[self.figure].label} — {self.group_label} — {self.period.label}"
        )

    @property
    def explanation(self) -> str:
        definition = FIGURES[self.figure]
        shown = figure_text(self.figure, self.value)
        whom = "the whole team" if self.group_label == WHOLE_TEAM else self.group_label
        listed = definition.drill_down[0].lower() + definition.drill_down[1:]
        return f"{definition.label} for {whom} was {shown}. This list shows {listed}"


class DrillDownView(QWidget):
    """A heading naming the figure, group and period; the cases; back, and export."""

    back_requested = Signal()

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
        self.drill: DrillDown | None = None
        self.model = CaseloadModel(db, actor, self._runner, self)

        self.back_button = QPushButton("← Back to the dashboard")
        self.title = QLabel("")
        self.title.setObjectName("drillTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.explanation = QLabel("")
        self.explanation.setWordWrap(True)
        self.count_label = QLabel("")
        self.export_button = QPushButton("Export these cases…")
        self.export_button.setToolTip(
            "Save exactly these cases as an Excel workbook, or as a CSV file for other "
            "programs (needs the lead role; audited)."
        )
        self.export_button.setEnabled(actor.can("export"))
        self.message = InlineMessage()

        self.table = CaseTable(self.model)
        self.table.setAccessibleName("Cases behind the figure")
        header = self.table.horizontalHeader()
        header.setSortIndicator(
            COLUMNS.index(next(c for c in COLUMNS if c.sort_key == "days")),
            Qt.SortOrder.AscendingOrder,
        )  # newest referral first
        self.table.setSortingEnabled(True)

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.explanation)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

        self.back_button.clicked.connect(self.back_requested)
        self.export_button.clicked.connect(self.export)
        self.table.open_requested.connect(self._open_row)
        self.model.total_changed.connect(self._show_total)
        self.model.failed.connect(self.message.warn)

    # ------------------------------------------------------------------ showing

    def show_cases(self, drill: DrillDown) -> None:
        """List exactly ``drill.case_ids``, in every status."""
        self.drill = drill
        self.message.hide()
        self.title.setText(drill.title)
        self.title.setToolTip(tooltip(drill.figure))
        self.explanation.setText(drill.explanation)
        self.count_label.setText("Counting…")
        header = self.table.horizontalHeader()
        column = header.sortIndicatorSection()
        sort = COLUMNS[column].sort_key if 0 <= column < len(COLUMNS) else "days"
        self.model.set_query(
            CaseQuery(
                statuses=(),
                case_ids=drill.case_ids,
                sort=sort,
                descending=header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder,
            )
        )

    def refresh(self) -> None:
        if self.drill is not None:
            self.model.refresh()

    def _show_total(self, total: int) -> None:
        self.count_label.setText("Counting…" if total < 0 else count_text(total))

    def _open_row(self, row: int) -> None:
        case_id = self.model.case_id(row)
        if case_id is not None:
            self._open_case(case_id)

    def open_current(self) -> None:
        index: QModelIndex = self.table.currentIndex()
        if index.isValid():
            self._open_row(index.row())

    # ------------------------------------------------------------------ export

    def export(self) -> None:
        drill = self.drill
        if drill is None:
            return
        # A cohort figure's cases all fall in the period, so the file can name it; the others
        # (overdue now, repeats, kits) can hold cases received earlier.
        period = None if drill.figure in NOT_COHORT else drill.period
        kind = exports.CASES
        suggested = exports.suggested_name(kind.kind, drill.period)
        path = exports.choose_save_path(self, "Export these cases", suggested, kind.file_filter)
        if path is None:
            return
        db, actor, ids = self._db, self._actor, drill.case_ids
        self.export_button.setEnabled(False)
        self.message.say("Exporting…")
        self._runner.run(
            lambda: exports.run_export(db, actor, kind.kind, path, period, ids),
            self._exported,
            message_to(self._export_failed),
            name="drill-down export",
        )

    def _exported(self, result: ExportResult) -> None:
        self.export_button.setEnabled(True)
        self.message.say(result.describe())

    def _export_failed(self, message: str) -> None:
        self.export_button.setEnabled(self._actor.can("export"))
        self.message.warn(message)
