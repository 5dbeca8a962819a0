"""The dashboard's tables by worker and by area: every figure per row, the team's total last.

A row is a ``GroupFigures`` from the report (plain data). Double-clicking a cell, or pressing
Enter on it, asks for the cases behind that cell's figure for that row; on the name column it
is the row's referrals received. Header tooltips are the figures' written definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from followup.reports.definitions import FUNNEL, MEDIANS, RATES, tooltip
from followup.reports.engagement import Figures, GroupFigures
from followup.reports.queries import GroupKey
from followup.ui.dashboard.figures import figure_text
from followup.ui.widgets.look import TOTAL_ROW_BACKGROUND

__all__ = [
    "FIGURE_COLUMNS",
    "FIGURE_ROLE",
    "HEADINGS",
    "NAME_WIDTH",
    "TOTAL_ROW_BRUSH",
    "BreakdownModel",
    "BreakdownRow",
    "BreakdownTable",
]

_Index = QModelIndex | QPersistentModelIndex

# Column headings short enough for a table; the tooltip holds the whole definition.
HEADINGS = {
    "received": "Received",
    "attempted": "Attempted",
    "contacted": "Contacted",
    "engaged": "Engaged",
    "referred": "Referred",
    "in_treatment": "In\ntreatment",
    "first_attempt_in_time_rate": "Attempt in\ntarget",
    "contact_rate": "Contact\nmade",
    "engagement_rate": "Engage-\nment",
    "treatment_entry_rate": "Treatment\nentry",
    "median_hours_to_first_attempt": "Median h to\nattempt",
    "median_hours_to_first_contact": "Median h to\ncontact",
    "overdue": "Overdue\nnow",
    "repeat_overdoses": "Repeat\noverdoses",
    "naloxone_kits": "Naloxone\nkits",
    "engaged_network": "Engaged via\nnetwork",
}
FIGURE_COLUMNS: tuple[str, ...] = (
    *FUNNEL,
    *RATES,
    *MEDIANS,
    "overdue",
    "repeat_overdoses",
    "naloxone_kits",
)
NAME_WIDTH = 150  # the least; the name column takes the width the figures leave
TOTAL_ROW_BRUSH = QBrush(TOTAL_ROW_BACKGROUND)
FIGURE_ROLE = Qt.ItemDataRole.UserRole + 1  # the figure key of a cell


@dataclass(frozen=True)
class BreakdownRow:
    """One line of a table: a worker or an area, or the whole team (group None)."""

    group: GroupKey | None
    label: str
    figures: Figures


class BreakdownModel(QAbstractTableModel):
    """The rows of one breakdown, then the team's total; read-only."""

    def __init__(self, name_heading: str, name_tip: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self._name_heading = name_heading
        self._name_tip = name_tip
        self._rows: list[BreakdownRow] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, groups: Sequence[GroupFigures], totals: Figures | None) -> None:
        self.beginResetModel()
        self._rows = [BreakdownRow(g.group, g.label, g.figures) for g in groups]
        if totals is not None:
            self._rows.append(BreakdownRow(None, "Whole team", totals))
        self.endResetModel()

    def row(self, index: int) -> BreakdownRow:
        return self._rows[index]

    def figure(self, column: int) -> str:
        """The figure of a column; the name column stands for the referrals received."""
        return FIGURE_COLUMNS[column - 1] if column > 0 else "received"

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIGURE_COLUMNS) + 1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._name_heading if section == 0 else HEADINGS[FIGURE_COLUMNS[section - 1]]
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(FIGURE_COLUMNS[section - 1]) if section > 0 else self._name_tip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignLeft if section == 0 else Qt.AlignmentFlag.AlignRight
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self._rows[index.row()]
        column = index.column()
        key = self.figure(column)
        if role == Qt.ItemDataRole.DisplayRole:
            return line.label if column == 0 else figure_text(key, line.figures.value(key))
        if role == Qt.ItemDataRole.ToolTipRole:
            what = "the referrals received" if column == 0 else "this figure"
            return f"{line.label}. Double-click to list the cases behind {what}."
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if line.group is None:
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return TOTAL_ROW_BRUSH
        if role == FIGURE_ROLE:
            return key
        return None


class BreakdownTable(QTableView):
    """A table of one breakdown; a double-click or Enter asks for the cases behind a cell."""

    drill_requested = Signal(object, str)  # group (None: the whole team), figure key

    def __init__(self, model: BreakdownModel, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName(name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Each figure column as wide as its heading (never measured over the rows); the name
        # column takes what is left, and below its least width the table scrolls sideways.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        metrics = header.fontMetrics()
        for column, key in enumerate(FIGURE_COLUMNS, start=1):
            widest = max(metrics.horizontalAdvance(line) for line in HEADINGS[key].split("\n"))
            self.setColumnWidth(column, max(widest + 16, 52))
        self.setMinimumWidth(NAME_WIDTH)

    def breakdown(self) -> BreakdownModel:
        model = self.model()
        assert isinstance(model, BreakdownModel)
        return model

    def drill(self, index: QModelIndex) -> None:
        """Ask for the cases behind one cell."""
        if index.isValid():
            model = self.breakdown()
            self.drill_requested.emit(model.row(index.row()).group, model.figure(index.column()))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            self.drill(index)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.drill(self.currentIndex())
            return
        super().keyPressEvent(event)
