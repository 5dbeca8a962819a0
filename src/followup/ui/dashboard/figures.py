"""How the dashboard writes a figure (7, 57%, 10.5 h), and the clickable tile that shows one.

The words come from ``followup.reports.definitions``: a tile's tooltip is the figure's one written
definition, the same text as docs/metrics.md and the command line's help.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from followup.reports.definitions import FIGURES, HOURS, RATE, tooltip
from followup.reports.engagement import Figures

__all__ = [
    "MEDIAN_COUNTS",
    "NO_VALUE",
    "RATE_COUNTS",
    "SNAPSHOTS",
    "FigureTile",
    "drill_count_key",
    "figure_note",
    "figure_text",
    "plural",
]

NO_VALUE = "–"  # a rate of no cases, or a median of none

# The count a rate is a fraction of the referrals received for (its numerator), and the cases
# a median is taken over: what the drill-down of that tile lists.
RATE_COUNTS = {
    "first_attempt_in_time_rate": "first_attempt_in_time",
    "contact_rate": "contacted",
    "engagement_rate": "engaged",
    "treatment_entry_rate": "in_treatment",
}
MEDIAN_COUNTS = {
    "median_hours_to_first_attempt": "attempted",
    "median_hours_to_first_contact": "contacted",
}
SNAPSHOTS = ("overdue", "repeat_overdoses", "naloxone_kits")


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def figure_text(key: str, value: int | float | None) -> str:
    """A figure as the dashboard shows it: a count, a whole percentage, or hours to 0.1."""
    if value is None:
        return NO_VALUE
    kind = FIGURES[key].kind
    if kind == RATE:
        return f"{value * 100:.0f}%"
    if kind == HOURS:
        return f"{value:,.1f} h"
    return f"{int(value):,}"


def figure_note(key: str, figures: Figures) -> str:
    """The line under a tile's value that says what the number is made of."""
    if key in RATE_COUNTS:
        return f"{figures.value(RATE_COUNTS[key]) or 0:,} of {plural(figures.received, 'case')}"
    if key in MEDIAN_COUNTS:
        base = int(figures.value(MEDIAN_COUNTS[key]) or 0)
        return f"over {plural(base, 'case')}"
    return {
        "overdue": "open cases, as of now",
        "repeat_overdoses": "referrals in the period",
        "naloxone_kits": "kits in the period",
    }.get(key, "")


def drill_count_key(key: str) -> str:
    """The count whose cases a click on ``key`` lists (a rate's numerator, a median's base)."""
    return RATE_COUNTS.get(key) or MEDIAN_COUNTS.get(key) or key


class FigureTile(QFrame):
    """One figure: its name, its value, what it is made of; a click asks for the cases behind it."""

    clicked = Signal(str)  # figure key

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        definition = FIGURES[key]
        self.setObjectName("figureTile")
        self.setToolTip(tooltip(key))
        self.setAccessibleName(definition.label)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(118)

        self.title = QLabel(definition.label)
        self.title.setObjectName("tileTitle")
        self.title.setWordWrap(True)
        self.value = QLabel(NO_VALUE)
        self.value.setObjectName("tileValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.value.setFont(font)
        self.note = QLabel("")
        self.note.setObjectName("tileNote")
        small = self.note.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.note.setFont(small)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        lines = self.fontMetrics().height()
        self.title.setMinimumHeight(2 * lines)  # two lines, so the values line up
        self.title.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)

    def show_figures(self, figures: Figures) -> None:
        self.value.setText(figure_text(self.key, figures.value(self.key)))
        self.note.setText(figure_note(self.key, figures))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit(self.key)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.key)
            return
        super().keyPressEvent(event)
