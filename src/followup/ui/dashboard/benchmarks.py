"""Published programmes beside our own rates: one line each, with source and definition.

Each line shows a published figure (Massachusetts POST's engagement, Hamilton County's
"connected or referred", Huntington's month from calls to treatment) and ours nearest to it
for the period on the dashboard. Hovering over a line shows where the figure was published
and how its definition differs from ours (``followup.reports.benchmarks``, the same text as
docs/metrics.md).
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from followup.reports.benchmarks import BENCHMARKS, comparisons
from followup.reports.engagement import Figures
from followup.ui.widgets.look import StyleRole, set_role

__all__ = ["BenchmarkLine", "BenchmarksPanel"]


class BenchmarkLine:
    """The labels of one published figure: programme, its figure, and ours beside it."""

    def __init__(self, grid: QGridLayout, row: int, key: str) -> None:
        benchmark = next(b for b in BENCHMARKS if b.key == key)
        self.key = key
        self.programme = QLabel(f"{benchmark.programme}, {benchmark.place}")
        self.theirs = QLabel(f"{benchmark.counts}: {benchmark.figure_text}")
        self.theirs.setWordWrap(True)
        self.ours = QLabel("")
        for col, label in enumerate((self.programme, self.theirs, self.ours)):
            label.setToolTip(benchmark.tooltip)
            grid.addWidget(label, row, col)
        self.programme.setAccessibleName(f"{benchmark.programme}, {benchmark.place}")
        self.theirs.setAccessibleName(f"Published: {benchmark.figure_text}")
        self.ours.setAccessibleDescription(benchmark.tooltip)


class BenchmarksPanel(QGroupBox):
    """Every published figure of ``reports.benchmarks``, beside ours for the period."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Published programmes, beside ours", parent)
        self.setAccessibleName("Published programmes")
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for col, text in enumerate(("Programme", "Their published figure", "Ours, this period")):
            heading = QLabel(text)
            set_role(heading, StyleRole.NOTE)
            grid.addWidget(heading, 0, col)
        self.lines: dict[str, BenchmarkLine] = {
            b.key: BenchmarkLine(grid, i + 1, b.key) for i, b in enumerate(BENCHMARKS)
        }
        note = QLabel(
            "Their definitions are not ours: hover over a line for its source and how it "
            "differs. Ours is the count named over referrals received."
        )
        set_role(note, StyleRole.NOTE)
        note.setWordWrap(True)
        grid.addWidget(note, len(BENCHMARKS) + 1, 0, 1, 3)
        grid.setColumnStretch(1, 1)

    def show_figures(self, figures: Figures) -> None:
        for c in comparisons(figures):
            line = self.lines[c.benchmark.key]
            line.ours.setText(f"{c.our_label}: {c.our_text}")
            line.ours.setAccessibleName(f"Ours, {c.our_label}: {c.our_text}")
