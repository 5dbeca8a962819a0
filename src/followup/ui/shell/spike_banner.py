"""The spike banner across the top of the main window: several overdoses in one postcode
district within the team's window (``casework.spikes``).

Leads and workers see it while they have an alert they have not acknowledged: the district,
how many overdoses, between when and when (incident times, UK time) and the substances the
police noted, with how many more alerts wait behind it. "Show cases" lists the cases behind it
that the user may open (a worker, their own; the rest are counted), Enter or a double-click
opens one; "Acknowledge" clears it for this user alone (audited). The banner reads again
after an import, when asked (F5 reaches the views, an import this one) and every few minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import spikes
from followup.casework.spikes import SpikeAlertInfo
from followup.ui.tasks import LatestOnly, TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.row_table import OpenList

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["CASE_ID_ROLE", "READ_AGAIN_MS", "CaseList", "SpikeBanner", "load_unacknowledged"]

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
READ_AGAIN_MS = 3 * 60 * 1000  # alerts raised by someone else's import show within minutes


def load_unacknowledged(db: Database, actor: Actor) -> list[SpikeAlertInfo]:
    with db.session() as s:
        return spikes.unacknowledged(s, actor)


class CaseList(OpenList):
    """The cases behind the alert; Enter or a double-click opens one."""


class SpikeBanner(QFrame):
    """The latest unacknowledged spike alert of the signed-in user; hidden while there is none."""

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
        self.alerts: list[SpikeAlertInfo] = []
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Spike alert")

        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        icon.setPixmap(warn.pixmap(size, size))
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.text, StyleRole.CAUTION)
        self.more = QLabel("")
        set_role(self.more, StyleRole.NOTE)
        self.cases_button = QPushButton("Show cases")
        self.cases_button.setCheckable(True)
        self.cases_button.setToolTip("List the cases behind this alert that you may open")
        self.acknowledge_button = QPushButton("Acknowledge")
        self.acknowledge_button.setToolTip(
            "You have seen this alert: it leaves your banner (others still see it)"
        )
        self.message = InlineMessage()
        self.cases = CaseList(self._open_item)
        self.cases.setAccessibleName("Cases behind the spike alert")
        self.cases.setMaximumHeight(120)
        self.cases.hide()

        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.text, 1)
        top.addWidget(self.more)
        top.addWidget(self.cases_button)
        top.addWidget(self.acknowledge_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.cases)

        self.cases_button.toggled.connect(self.cases.setVisible)
        self.acknowledge_button.clicked.connect(self.acknowledge_current)
        self.hide()
        self._timer = QTimer(self, interval=READ_AGAIN_MS)
        self._timer.timeout.connect(self.refresh)
        if actor.can("view_own_cases"):
            self._timer.start()
            self.refresh()

    @property
    def current(self) -> SpikeAlertInfo | None:
        return self.alerts[0] if self.alerts else None

    def refresh(self) -> None:
        """Read the user's unacknowledged alerts again (in the background)."""
        if not self._actor.can("view_own_cases"):
            return
        ticket = self._answers.ticket()
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: load_unacknowledged(db, actor),
            ticket.only(self._show),
            message_to(self._failed),
            name="spike alerts",
        )

    def _failed(self, text: str) -> None:
        if self.alerts:
            self.message.warn(text)

    def _show(self, alerts: list[SpikeAlertInfo]) -> None:
        self.alerts = alerts
        self.message.clear_message()
        alert = self.current
        self.setVisible(alert is not None)
        self.cases.clear()
        if alert is None:
            return
        self.text.setText(alert.text)
        waiting = len(alerts) - 1
        self.more.setText(f"and {waiting} more" if waiting else "")
        for case in alert.cases:
            item = QListWidgetItem(f"Case {case.case_id} — {case.police_reference}")
            item.setData(CASE_ID_ROLE, case.case_id)
            self.cases.addItem(item)
        if alert.hidden_cases:
            others = QListWidgetItem(
                f"{alert.hidden_cases} other case{'' if alert.hidden_cases == 1 else 's'} "
                "(not in your caseload)"
            )
            others.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.cases.addItem(others)
        shown = len(alert.cases)
        self.cases_button.setText(f"Show cases ({shown})" if shown else "Show cases")

    def _open_item(self, item: QListWidgetItem) -> None:
        case_id = item.data(CASE_ID_ROLE)
        if case_id is not None:
            self._open_case(case_id)

    def acknowledge_current(self) -> None:
        """Acknowledge the alert shown (in the background), then read again."""
        alert = self.current
        if alert is None:
            return
        self.acknowledge_button.setEnabled(False)
        db, actor, alert_id = self._db, self._actor, alert.id

        def run() -> None:
            with db.session(write=True) as s:
                spikes.acknowledge(s, actor, alert_id)

        def done(_result: object) -> None:
            self.acknowledge_button.setEnabled(True)
            self.refresh()

        def failed(text: str) -> None:
            self.acknowledge_button.setEnabled(True)
            self.message.warn(text)
            self.refresh()

        self._runner.run(run, done, message_to(failed), name="acknowledge spike alert")

    def case_rows(self) -> list[str]:
        """The case list as shown (for tests and screen readers)."""
        return [
            item.text()
            for item in (self.cases.item(i) for i in range(self.cases.count()))
            if item is not None
        ]
