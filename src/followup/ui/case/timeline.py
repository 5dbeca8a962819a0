"""The case timeline: everything that happened, newest first, with who did it.

Referrals, contact attempts, consent changes, status changes, treatment steps, kits, notes,
changes of the person's details and letters, as ``casework.detail`` lists them. Item text is
plain (item views never render markup), and long entries wrap rather than hide their end: the
rows in view are fitted to their text as they come into view (a long case has hundreds).

A date-only event (a kit supplied, a treatment step) shows its date alone and heads its day. A
corrected entry stays, struck through, with a line under it saying who corrected it, when and
why. Right-click (or the context-menu key, or Correct…) on an entry offers "Amend…" and "Mark
entered in error…"; double-click amends. Who may not correct an entry is told why in one
sentence under the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFontMetrics
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from followup.casework.detail import Timeline, TimelineEntry
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
        self._row_height = self.table.verticalHeader().defaultSectionSize()  # one line
        self._refit = QTimer(self, singleShot=True, interval=0)
        self._refit.timeout.connect(self._fit_visible_rows)
        self._ahead = QTimer(self, singleShot=True, interval=0)
        self._ahead.timeout.connect(self._fit_ahead)
        self._advances: dict[str, int] = {}  # the width of each cell's text on one line
        header.sectionResized.connect(lambda *_: self._refit_all())
        self.table.verticalScrollBar().valueChanged.connect(lambda *_: self._refit.start())
        self._shown: Sequence[TimelineEntry] = ()
        self._rows: list[int] = []  # per table row, its entry's index (a correction line: too)
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

    def show_entries(self, entries: Sequence[TimelineEntry]) -> None:
        # Each row: its entry, and whether it is the line under a corrected entry. The text
        # of a row (and, in a ``Timeline``, its entry) is made when it is first shown: a long
        # case has hundreds.
        if isinstance(entries, Timeline):  # a corrected entry, and only that, has its line
            voided = [entries.voided(i) for i in range(len(entries))]
            corrected = voided
        else:
            voided = [e.voided for e in entries]
            corrected = [bool(e.correction) for e in entries]
        rows: list[int] = []  # per table row: the index of its entry
        lines: list[bool] = []
        struck: list[bool] = []
        for i, has_line in enumerate(corrected):
            rows.append(i)
            lines.append(False)
            struck.append(voided[i])
            if has_line:
                rows.append(i)
                lines.append(True)
                struck.append(False)
        self._shown = entries
        self._rows = rows

        def row_of(i: int) -> tuple[str, str, str, str]:
            e = entries[rows[i]]
            if lines[i]:
                return ("", "Correction", e.correction, "")
            when = short_date(e.day) if e.day is not None else short_date_time(e.at)
            return (when, KIND_TEXT.get(e.kind, e.kind.title()), e.text, e.by)

        self.model.set_lazy_rows(len(rows), row_of, struck)
        self.message.clear_message()
        self._refit_all()

    def _refit_all(self) -> None:
        self._fitted.clear()
        self._refit.start()

    def _fit_visible_rows(self) -> None:
        """Fit the height of the rows in view to their wrapped text; the screenful below them
        is fitted straight after (``_fit_ahead``), once these are on the screen."""
        self._fit_rows(ahead=False)
        self._ahead.start()

    def _fit_ahead(self) -> None:
        self._fit_rows(ahead=True)

    def _fit_rows(self, *, ahead: bool) -> None:
        count = self.model.rowCount()
        if not count:
            return
        viewport = self.table.viewport().height()
        first = max(self.table.rowAt(0), 0)
        last = self.table.rowAt(viewport - 1)
        last = count - 1 if last < 0 else last
        metrics = self.table.fontMetrics()
        margin = 1 + 2 * (  # the grid line, and the delegate's margin each side of the text
            self.table.style().pixelMetric(
                QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.table
            )
            + 1
        )
        widths = [self.table.columnWidth(c) - margin for c in range(self.model.columnCount())]
        for _ in range(2):  # heights grow as rows are fitted: fit what then comes into view
            end = last + 1 + (last - first + 1 if ahead else 0)
            for row in range(first, min(count, end)):
                if row not in self._fitted:
                    self._fitted.add(row)
                    height = self._height_of(row, metrics, widths)
                    if height != self.table.rowHeight(row):
                        self.table.setRowHeight(row, height)
            last = self.table.rowAt(viewport - 1)
            last = count - 1 if last < 0 else last

    def _height_of(self, row: int, metrics: QFontMetrics, widths: list[int]) -> int:
        """The height row ``row`` needs for its text wrapped in each column's width.

        Measured with the table's font (a struck-through font is as tall), the way the item
        delegate lays the text out, without asking the style (which would ask the model for
        every role of every cell): a row whose text fits on one line keeps the table's height.
        """
        lines = one = metrics.height()
        for text, width in zip(self.model.row(row), widths, strict=False):
            if not text:
                continue
            if "\n" not in text:
                advance = self._advances.get(text)
                if advance is None:
                    advance = self._advances[text] = metrics.horizontalAdvance(text)
                if advance <= width:
                    continue
            box = QRect(0, 0, max(width, 1), 1 << 20)
            flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
            lines = max(lines, metrics.boundingRect(box, flags, text).height())
        return max(self._row_height, lines + self._row_height - one)

    def rows(self) -> list[tuple[str, ...]]:
        """The entries as shown (for tests and screen readers)."""
        return list(self.model.rows)

    def struck(self, row: int) -> bool:
        """Whether the row is shown struck through (a corrected entry)."""
        return 0 <= row < len(self.model.struck) and self.model.struck[row]

    def entry_at(self, row: int) -> TimelineEntry | None:
        return self._shown[self._rows[row]] if 0 <= row < len(self._rows) else None

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
