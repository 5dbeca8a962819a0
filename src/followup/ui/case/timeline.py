"""The case timeline: everything that happened, newest first, with who did it.

Referrals, contact attempts, consent changes, status changes, treatment steps, kits and
letters, as ``casefile`` lists them. Item text is plain (item views never render markup), and
long entries wrap rather than hide their end. One case has tens of entries, not thousands, so
fitting row heights to their text is cheap.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from followup.casework.detail import TimelineEntry
from followup.ui.case.forms import fill_table, read_only_table, table_text
from followup.uktime import short_date_time

__all__ = [
    "KIND_TEXT",
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
}


class CaseTimeline(QWidget):
    """A titled table of timeline entries: when, what kind, what, and by whom."""

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
        # Wrapped rows take their height from the column width: fit them again when it changes.
        self._refit = QTimer(self, singleShot=True, interval=0)
        self._refit.timeout.connect(self.table.resizeRowsToContents)
        header.sectionResized.connect(lambda *_: self._refit.start())
        title = QLabel("Timeline")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)

    def show_entries(self, entries: tuple[TimelineEntry, ...]) -> None:
        fill_table(
            self.table,
            (
                (short_date_time(e.at), KIND_TEXT.get(e.kind, e.kind.title()), e.text, e.by)
                for e in entries
            ),
        )
        self._refit.start()

    def rows(self) -> list[tuple[str, ...]]:
        """The entries as shown (for tests and screen readers)."""
        return [tuple(r) for r in table_text(self.table)]
