"""The dashboard's Alerts tab: the history of spike alerts (several overdoses in one postcode
district within the team's window, ``casework.spikes``), the latest incidents first, as
`followup alerts` lists them.

Each alert is a row (district, overdoses, window in UK time, substances, when raised and
extended, whether you acknowledged it); its cases are rows under it, Enter or a double-click
opens one. Read in the background when the tab is first shown and again on Refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import spikes
from followup.casework.spikes import SpikeAlertInfo
from followup.ui.tasks import LatestOnly, RefreshWhenShown, TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.row_table import OpenTree
from followup.uktime import short_date_time

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["CASE_ID_ROLE", "HEADERS", "AlertHistory", "alert_cells", "load_history"]

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = (
    "District",
    "Overdoses",
    "First incident",
    "Last incident",
    "Substances noted",
    "Raised",
    "Extended",
    "You acknowledged",
)
WIDTHS = (90, 80, 130, 130, 260, 130, 130)


def load_history(db: Database, actor: Actor) -> list[SpikeAlertInfo]:
    with db.session() as s:
        return spikes.alert_history(s, actor)


def alert_cells(a: SpikeAlertInfo) -> list[str]:
    return [
        a.district,
        str(a.referral_count),
        short_date_time(a.window_start),
        short_date_time(a.window_end),
        a.substances or "None noted",
        short_date_time(a.raised_at),
        short_date_time(a.extended_at, missing="-"),
        short_date_time(a.acknowledged_at, missing="Not yet"),
    ]


class _AlertTree(OpenTree):
    """The alerts, each with its cases; Enter or a double-click on a case opens it."""


class AlertHistory(QWidget):
    """Every spike alert with the cases behind it that the user may open."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        open_case: Callable[[int], None],
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._open_case = open_case
        self._runner = runner or TaskRunner(self)
        self._answers = LatestOnly()
        self.alerts: list[SpikeAlertInfo] | None = None

        self.summary = QLabel("Loading…")
        set_role(self.summary, StyleRole.NOTE)
        self.refresh_button = QPushButton("Refresh alerts")
        self.message = InlineMessage()
        self.tree = _AlertTree(self._open_item)
        self.tree.setAccessibleName("Spike alert history")
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setExpandsOnDoubleClick(False)
        for col, width in enumerate(WIDTHS):
            self.tree.setColumnWidth(col, width)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tree, 1)
        self.refresh_button.clicked.connect(self.refresh)
        RefreshWhenShown(self, self.refresh, dirty=True)

    def refresh(self) -> None:
        ticket = self._answers.ticket()
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: load_history(db, actor),
            ticket.only(self._show),
            message_to(self.message.warn),
            name="spike alert history",
        )

    def _show(self, alerts: list[SpikeAlertInfo]) -> None:
        self.alerts = alerts
        self.message.clear_message()
        self.tree.clear()
        for a in alerts:
            row = QTreeWidgetItem(alert_cells(a))
            row.setToolTip(0, a.text)
            self.tree.addTopLevelItem(row)
            for case in a.cases:
                child = QTreeWidgetItem([f"Case {case.case_id}", case.police_reference])
                child.setData(0, CASE_ID_ROLE, case.case_id)
                row.addChild(child)
            if a.hidden_cases:
                others = QTreeWidgetItem([f"{a.hidden_cases} other cases (not yours)"])
                others.setFlags(Qt.ItemFlag.ItemIsEnabled)
                row.addChild(others)
        n = len(alerts)
        self.summary.setText(f"{n} spike alert{'' if n == 1 else 's'}, the latest incidents first")

    def _open_item(self, item: QTreeWidgetItem) -> None:
        case_id = item.data(0, CASE_ID_ROLE)
        if case_id is not None:
            self._open_case(case_id)

    def rows(self) -> list[tuple[str, ...]]:
        """Alert rows as shown (for tests and screen readers)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None:
                out.append(tuple(item.text(c) for c in range(len(HEADERS))))
        return out
