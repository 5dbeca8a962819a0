"""Help › Keyboard shortcuts: a table made from the window's own list of shortcuts (the list
its actions are made from), so what it says is what the keys do."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.ui.shortcuts import Shortcut
from followup.ui.widgets.screens import fit_to_screen

__all__ = ["ShortcutsDialog", "native_keys"]

COLUMNS = ("Keys", "Action", "Where it works")


def native_keys(shortcut: Shortcut) -> str:
    """The keys as this computer writes them (Ctrl on Windows and Linux)."""
    return ", ".join(
        QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in shortcut.keys
    )


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: Sequence[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.shortcuts = [s for s in shortcuts if s.keys]
        note = QLabel(
            "These keys work anywhere in the main window, with a case open too, except "
            "those marked as working in a form."
        )
        note.setWordWrap(True)
        self.table = QTableWidget(len(self.shortcuts), len(COLUMNS))
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        for row, shortcut in enumerate(self.shortcuts):
            for col, text in enumerate((native_keys(shortcut), shortcut.name, shortcut.where)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, col, item)
        # A short table: sized to its words once (room for the focus ring), the last stretched.
        self.table.resizeColumnsToContents()
        for col in (0, 1):
            self.table.setColumnWidth(col, self.table.columnWidth(col) + 16)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        fit_to_screen(self, 760, 560)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The last column's width is known only now: long sentences wrap onto a second line.
        self.table.resizeRowsToContents()

    def rows(self) -> list[tuple[str, str, str]]:
        """Each row as shown: keys, action, where it works."""

        def cell(r: int, c: int) -> str:
            item = self.table.item(r, c)
            return item.text() if item is not None else ""

        return [(cell(r, 0), cell(r, 1), cell(r, 2)) for r in range(self.table.rowCount())]
