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
    QVBoxLayout,
    QWidget,
)

from followup.casework.detail import TimelineEntry
from followup.ui.case.corrections import AMEND, ENTERED_IN_ERROR, CorrectionDialog
from followup.ui.case.forms import CaseAction, rows_model, rows_table
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
        self.table = rows_table(("When", "Type", "What happened", "By"), "Timeline")
        self.model = rows_model(self.table)
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
        self.table.doubleClicked.connect(lambda index: self.correct(index.row(), AMEND))
        # Wrapped rows take their height from the column width. Fitting every row of a long
        # timeline costs far more than showing it, so only the rows in view are fitted, as
        # they come into view; a change of column width fits them again.
        self._fitted: set[int] = set()
        self._refit = QTimer(self, singleShot=True, interval=0)
        self._refit.timeout.connect(self._fit_visible_rows)
        header.sectionResized.connect(lambda *_: self._refit_all())
        self.table.verticalScrollBar().valueChanged.connect(lambda *_: self._refit.start())
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
        # Each row: its entry, and whether it is the line under a corrected entry. The text
        # of a row is made when it is first shown (a long case has hundreds).
        self._entries = []
        lines: list[bool] = []
        struck: list[bool] = []
        for e in entries:
            self._entries.append(e)
            lines.append(False)
            struck.append(e.voided)
            if e.correction:
                self._entries.append(e)
                lines.append(True)
                struck.append(False)
        shown = self._entries

        def row_of(i: int) -> tuple[str, str, str, str]:
            e = shown[i]
            if lines[i]:
                return ("", "Correction", e.correction, "")
            when = short_date(e.day) if e.day is not None else short_date_time(e.at)
            return (when, KIND_TEXT.get(e.kind, e.kind.title()), e.text, e.by)

        self.model.set_lazy_rows(len(shown), row_of, struck)
        self.message.clear_message()
        self._refit_all()

    def _refit_all(self) -> None:
        self._fitted.clear()
        self._refit.start()

    def _fit_visible_rows(self) -> None:
        """Fit the height of the rows in view (and a screenful below) to their wrapped text."""
        count = self.model.rowCount()
        if not count:
            return
        viewport = self.table.viewport().height()
        first = max(self.table.rowAt(0), 0)
        last = self.table.rowAt(viewport - 1)
        last = count - 1 if last < 0 else last
        for _ in range(2):  # heights grow as rows are fitted: fit what then comes into view
            for row in range(first, min(count, last + 1 + (last - first + 1))):
                if row not in self._fitted:
                    self._fitted.add(row)
                    self.table.resizeRowToContents(row)
            last = self.table.rowAt(viewport - 1)
            last = count - 1 if last < 0 else last

    def rows(self) -> list[tuple[str, ...]]:
        """The entries as shown (for tests and screen readers)."""
        return list(self.model.rows)

    def struck(self, row: int) -> bool:
        """Whether the row is shown struck through (a corrected entry)."""
        return 0 <= row < len(self.model.struck) and self.model.struck[row]

    def entry_at(self, row: int) -> TimelineEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    # ------------------------------------------------------------------ corrections

    def _context_menu(self, pos: QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if row < 0:
            row = self.table.currentIndex().row()
        if row >= 0:
            self.table.selectRow(row)
            self.show_menu(row, self.table.viewport().mapToGlobal(pos))

    def _menu_for_current(self) -> None:
        row = self.table.currentIndex().row()
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
