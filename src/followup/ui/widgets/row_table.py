"""A read-only table of rows that asks for the current row to be opened on Enter or a double-click.

The caseload, the drill-down list and the inbox all list records this way; they differ only in
their columns and selection. ``OpenTree`` and ``OpenList`` do the same for a tree (My work, the
alert history) and a list (the cases behind a spike alert).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

__all__ = ["OpenList", "OpenTree", "RowTable"]

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class RowTable(QTableView):
    """Whole-row selection, no editing, fixed row heights; ``open_requested(row)`` on Enter or a
    double-click. Row heights are fixed because sizing to contents would read every row."""

    open_requested = Signal(int)  # row

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.horizontalHeader().setStretchLastSection(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            self.open_requested.emit(index.row())
            return
        super().mouseDoubleClickEvent(event)


class OpenTree(QTreeWidget):
    """A tree whose item is opened (``open_item(item)``) on Enter or a double-click."""

    def __init__(self, open_item: Callable[[QTreeWidgetItem], None]) -> None:
        super().__init__()
        self._open_item = open_item
        self.itemDoubleClicked.connect(lambda item, _col: open_item(item))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if event.key() in _ENTER and item is not None:
            self._open_item(item)
            return
        super().keyPressEvent(event)


class OpenList(QListWidget):
    """A list whose item is opened (``open_item(item)``) on Enter or a double-click."""

    def __init__(self, open_item: Callable[[QListWidgetItem], None]) -> None:
        super().__init__()
        self._open_item = open_item
        self.itemDoubleClicked.connect(open_item)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if event.key() in _ENTER and item is not None:
            self._open_item(item)
            return
        super().keyPressEvent(event)
