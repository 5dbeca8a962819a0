"""The table model of the letters due: one row per letter, with a tick box to choose it.

It holds plain ``DueLetter`` data read in the background by the Letters view: letters still
to be made and stored letters that are due, printed or posted, with the state in its own
column. A row whose letter would be refused shows the reason in the Problem column, in red.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush

from followup.letters.batch import DueLetter
from followup.letters.templates import TEMPLATES
from followup.ui.widgets.look import ERROR_COLOUR
from followup.vocab import LetterState

__all__ = ["HEADERS", "STATE", "WIDTHS", "DueLettersModel", "state_text"]

_Index = QModelIndex | QPersistentModelIndex

PERSON, CASE, WORKER, LETTER, STATE, REASON, PROBLEM = range(7)
HEADERS = ("Person", "Case", "Worker", "Letter", "State", "Why it is listed", "Problem")
WIDTHS = (190, 70, 130, 190, 150, 300, 300)


def state_text(item: DueLetter) -> str:
    """The state as the list shows it."""
    if not item.made:
        return "Due: not made yet"
    return {
        LetterState.DUE: "Due: not printed",
        LetterState.PRINTED: "Printed",
        LetterState.POSTED: "Posted",
        LetterState.RETURNED: "Returned",
    }.get(LetterState(item.state), item.state)


class DueLettersModel(QAbstractTableModel):
    """Due letters and which of them are chosen; ``chosen_changed`` gives how many are."""

    chosen_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.due: list[DueLetter] = []
        self._chosen: set[int] = set()

    # ------------------------------------------------------------------ data

    def set_due(self, due: list[DueLetter]) -> None:
        self.beginResetModel()
        self.due = list(due)
        self._chosen = set()
        self.endResetModel()
        self.chosen_changed.emit(0)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.due)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item = self.due[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == PERSON:
            return Qt.CheckState.Checked if index.row() in self._chosen else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(item, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == PROBLEM and item.problem:
            return QBrush(ERROR_COLOUR)
        return None

    @staticmethod
    def _text(item: DueLetter, column: int) -> str:
        if column == PERSON:
            return item.person
        if column == CASE:
            return str(item.case_id)
        if column == WORKER:
            return item.worker or "Unassigned"
        if column == LETTER:
            return TEMPLATES[item.template].label
        if column == STATE:
            return state_text(item)
        if column == REASON:
            return item.reason
        return item.problem or ""

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == PERSON:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(
        self,
        index: _Index,
        value: object,
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
        self.set_chosen([index.row()], checked)
        return True

    # ------------------------------------------------------------------ choosing

    def set_chosen(self, rows: list[int], chosen: bool) -> None:
        for row in rows:
            if chosen:
                self._chosen.add(row)
            else:
                self._chosen.discard(row)
        if self.due:
            self.dataChanged.emit(
                self.index(0, PERSON),
                self.index(len(self.due) - 1, PERSON),
                [Qt.ItemDataRole.CheckStateRole],
            )
        self.chosen_changed.emit(len(self._chosen))

    def choose_all(self, chosen: bool = True) -> None:
        self.set_chosen(list(range(len(self.due))), chosen)

    def chosen(self) -> list[DueLetter]:
        return [self.due[row] for row in sorted(self._chosen)]

    def case_id(self, row: int) -> int | None:
        return self.due[row].case_id if 0 <= row < len(self.due) else None
