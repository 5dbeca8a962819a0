"""The case timeline: everything that happened, newest first, with who did it.

Referrals, contact attempts, consent changes, status changes, treatment steps, kits, notes,
changes of the person's details and letters, as ``casework.detail`` lists them. Item text is
plain (item views never render markup), and long entries wrap rather than hide their end. One
case has tens of entries, not thousands, so fitting row heights to their text is cheap.

A date-only event (a kit supplied, a treatment step) shows its date alone and heads its day. A
corrected entry stays, struck through, with a line under it saying who corrected it, when and
why. Right-click (or the context-menu key, or Correct…) on an entry offers "Amend…" and "Mark
entered in error…"; double-click amends. Who may not correct an entry is told why in one
sentence under the list.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.casework.detail import TimelineEntry
from followup.ui.case.corrections import AMEND, ENTERED_IN_ERROR, CorrectionDialog
from followup.ui.case.forms import CaseAction, plain_tip, read_only_table, table_text
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import short_date, short_date_time

__all__ = [
    "KIND_TEXT",
    "NOT_CORRECTABLE",
    "CaseTimeline",
]

KIND_TEXT = {
    "referral": "Referral",
    "attempt": "Contact",
    "consent": "Consent",
    "status": "Status",
    "treatment": "Treatment",
    "naloxone": "Naloxone",
    "letter": "Letter",
    "note": "Note",
    "person": "Details",
}
NOT_CORRECTABLE = (
    "Police referrals, status changes and letters are not corrected here; contact attempts, "
    "consent, treatment, kits, notes and changes of details are."
)


class CaseTimeline(QWidget):
    """A titled table of timeline entries: when, what kind, what, and by whom."""

    action_requested = Signal(object)  # CaseAction: a correction to save

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = read_only_table(("When", "Type", "What happened", "By"), "Timeline")
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 118)
        self.table.setColumnWidth(1, 78)
        self.table.setColumnWidth(3, 120)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.correct(row, AMEND))
        # Wrapped rows take their height from the column width: fit them again when it changes.
        self._refit = QTimer(self, singleShot=True, interval=0)
        self._refit.timeout.connect(self.table.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._refit.start())
        self._entries: list[TimelineEntry] = []  # per table row (a correction line: its entry)
        self.menu: QMenu | None = None
        self.dialog: CorrectionDialog | None = None
        self.correct_button = QPushButton("&Correct…")
        self.correct_button.setToolTip("Amend the chosen entry, or mark it entered in error")
        self.correct_button.clicked.connect(self._menu_for_current)
        self.message = InlineMessage()
        title = QLabel("Timeline")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.correct_button)
        # Room for "What happened" beside the fixed columns, whatever the splitter would give.
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)

    def show_entries(self, entries: tuple[TimelineEntry, ...]) -> None:
        self._entries = []
        rows: list[tuple[tuple[str, str, str, str], bool]] = []
        for e in entries:
            when = short_date(e.day) if e.day is not None else short_date_time(e.at)
            rows.append(((when, KIND_TEXT.get(e.kind, e.kind.title()), e.text, e.by), e.voided))
            self._entries.append(e)
            if e.correction:
                rows.append((("", "Correction", e.correction, ""), False))
                self._entries.append(e)
        self.table.setRowCount(len(rows))
        for r, (cells, struck) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(plain_tip(text))
                if struck:
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setToolTip(plain_tip(f"{text}\n(corrected: no longer counts)"))
                self.table.setItem(r, c, item)
        self.message.clear_message()
        self._refit.start()

    def rows(self) -> list[tuple[str, ...]]:
        """The entries as shown (for tests and screen readers)."""
        return [tuple(r) for r in table_text(self.table)]

    def struck(self, row: int) -> bool:
        """Whether the row is shown struck through (a corrected entry)."""
        item = self.table.item(row, 2)
        return item is not None and item.font().strikeOut()

    def entry_at(self, row: int) -> TimelineEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    # ------------------------------------------------------------------ corrections

    def _context_menu(self, pos: QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if row < 0:
            row = self.table.currentRow()
        if row >= 0:
            self.table.selectRow(row)
            self.show_menu(row, self.table.viewport().mapToGlobal(pos))

    def _menu_for_current(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            self.message.warn("Choose an entry in the timeline first.")
            return
        rect = self.table.visualRect(self.table.model().index(row, 2))
        self.show_menu(row, self.table.viewport().mapToGlobal(rect.center()))

    def show_menu(self, row: int, at: QPoint) -> None:
        """The correction menu of one row, shown at ``at`` (it does not block)."""
        menu = QMenu(self)
        amend = QAction("&Amend…", menu)
        amend.triggered.connect(lambda: self.correct(row, AMEND))
        wrong = QAction("Mark &entered in error…", menu)
        wrong.triggered.connect(lambda: self.correct(row, ENTERED_IN_ERROR))
        menu.addAction(amend)
        menu.addAction(wrong)
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = menu
        menu.popup(at)

    def correct(self, row: int, mode: str) -> None:
        """Open the correction dialog for the row's entry, or say why it cannot be corrected."""
        entry = self.entry_at(row)
        if entry is None:
            return
        if not entry.correctable:
            self.message.warn(NOT_CORRECTABLE)
            return
        if entry.correct_problem:
            self.message.warn(entry.correct_problem)
            return
        self.message.clear_message()
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = CorrectionDialog(entry, mode, self._request, self)
        self.dialog.open()

    def _request(self, action: CaseAction) -> None:
        self.action_requested.emit(action)
