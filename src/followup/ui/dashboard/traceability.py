"""The dashboard's Traceability tab (issue 17): could the period's referrals be traced at all?

Referrals received in the period by the traceability class given at intake, how many were not
traceable at intake, and the cases closed without ever reaching the person, by no-contact
reason, with how many were never traced. One call of
``followup.reports.traceability.traceability_report`` on a pool thread, the same service as
`followup report traceability`; the definitions (tooltips) come from
``reports.definitions.TRACEABILITY``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.access import Actor
from followup.reports.definitions import TRACEABILITY, Period
from followup.reports.traceability import TraceabilityReport, traceability_report
from followup.ui.tasks import LatestOnly, RefreshWhenShown, TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["TraceabilityPanel", "load_traceability", "share"]


def load_traceability(db: Database, actor: Actor, period: Period) -> TraceabilityReport:
    """The tab's figures, on a pool thread with its own session (audited: the write lock
    first, as ``view.load_report``)."""
    with db.session(write=True) as s:
        return traceability_report(s, actor, period)


def share(count: int, total: int) -> str:
    """A count's share of a total, as people read it ("-" for an empty total)."""
    return f"{100 * count / total:.0f}%" if total else "-"


def _table(name: str, heading: str, tip: str) -> QTableWidget:
    table = QTableWidget(0, 3)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels([heading, "Count", "Share"])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.setToolTip(tip)
    return table


def _fill(table: QTableWidget, rows: tuple[tuple[str, int], ...]) -> None:
    total = sum(n for _, n in rows)
    table.setRowCount(len(rows))
    for r, (key, count) in enumerate(rows):
        cells = (vocab.label(key), str(count), share(count, total))
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


class TraceabilityPanel(QWidget):
    """Two small tables and the two headline counts, for the dashboard's period."""

    def __init__(
        self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner
        self._answers = LatestOnly()
        # Asked only while the tab is on screen (or when it is next shown): its audited
        # report is not written while the dashboard's own is (one SQLite writer at a time).
        self._when_shown = RefreshWhenShown(self, self._load)
        self._period: Period | None = None
        self.report: TraceabilityReport | None = None
        self.loading = False
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setToolTip(
            "\n\n".join(TRACEABILITY[k].text for k in ("not_traceable_at_intake", "never_traced"))
        )
        self.message = InlineMessage()
        self.by_class = _table(
            "Referrals by traceability",
            "Traceability at intake",
            TRACEABILITY["referrals_by_traceability"].text,
        )
        self.by_reason = _table(
            "Closed without contact, by reason",
            "Why contact was never made",
            TRACEABILITY["closed_without_contact"].text,
        )
        note = QLabel(
            "Referrals count by their own received time; closed cases by when their referral "
            "was received (as the figures above). Hover over a table for its definition."
        )
        set_role(note, StyleRole.NOTE)
        note.setWordWrap(True)
        tables = QHBoxLayout()
        tables.addWidget(self.by_class)
        tables.addWidget(self.by_reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addLayout(tables, 1)
        layout.addWidget(note)

    def load(self, period: Period) -> None:
        """Work the tab's figures out for ``period`` in the background, now if the tab is on
        screen, else when it is next shown."""
        self._period = period
        self._when_shown.request()

    def _load(self) -> None:
        period = self._period
        if period is None:
            return
        ticket = self._answers.ticket()
        self.loading = True
        self.message.hide()
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: load_traceability(db, actor, period),
            ticket.only(self._loaded),
            ticket.only(message_to(self._failed)),
            name="traceability report",
        )

    def _loaded(self, report: TraceabilityReport) -> None:
        self.loading = False
        self.report = report
        self.summary.setText(
            f"{TRACEABILITY['not_traceable_at_intake'].label}: "
            f"{report.not_traceable_at_intake} of {report.referrals} referrals "
            f"({share(report.not_traceable_at_intake, report.referrals)}) came with no usable "
            f"address or phone. {TRACEABILITY['closed_without_contact'].label}: "
            f"{report.closed_without_contact} cases; "
            f"{TRACEABILITY['never_traced'].label.lower()}: {report.never_traced}."
        )
        _fill(self.by_class, report.by_class)
        _fill(self.by_reason, report.closed_by_reason)

    def _failed(self, message: str) -> None:
        self.loading = False
        self.message.warn(message)
