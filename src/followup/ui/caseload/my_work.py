"""My work: a worker's home view. New overdoses on their cases come first, until the worker
acknowledges them; then overdue cases, those due today, and the rest.

Each row says what the next step is and when it is due, when the overdose was and how many
days ago, the last contact and the risk markers. Overdue cases and new overdoses carry an icon
and words, not colour alone. A lead can look at any worker's list. The list is read in the
background and again whenever the view is shown or a case changes; Enter or a double-click
opens the case. Each group lists its ``PER_GROUP`` most urgent cases and says how many more it
has (the Caseload lists them all), so that thousands of open cases cost no more to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup import accounts, vocab
from followup.access import Actor
from followup.casework import reoverdose
from followup.casework.my_work import WorkItem, WorkList, work_list
from followup.casework.spikes import SpikePrompt
from followup.ui.caseload.spike_prompts import load_prompts, show_prompts
from followup.ui.tasks import LatestOnly, RefreshWhenShown, TaskRunner, message_to
from followup.ui.widgets.look import ERROR_COLOUR
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.ui.widgets.row_table import OpenTree
from followup.uktime import short_date_time

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "BUCKETS",
    "CASE_ID_ROLE",
    "HEADERS",
    "MyWorkView",
    "PER_GROUP",
    "WorkTree",
    "due_cell",
    "load_work",
]

BUCKETS = (
    ("alert", "New overdose — acknowledge when you have seen it"),
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("later", "Later"),
)
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = (
    "Next action due",
    "Police ref.",
    "Person",
    "Status",
    "Next step",
    "Incident",
    "Days since",
    "Last contact",
    "Risk",
)
WIDTHS = (230, 150, 190, 90, 300, 120, 70, 190)


PER_GROUP = 300  # cases listed in each group; the rest are counted


def load_work(db: Database, actor: Actor, worker_id: int | None) -> WorkList:
    with db.session() as s:
        return work_list(s, actor, worker_id, per_group=PER_GROUP)


def due_cell(item: WorkItem) -> str:
    if item.alert:
        return item.alert
    if item.next_action_due_at is None:
        return "Nothing due"
    when = short_date_time(item.next_action_due_at)
    return f"Overdue: {when}" if item.bucket == "overdue" else when


def cells(item: WorkItem) -> list[str]:
    """One row of My work as shown."""
    step = item.next_step
    if item.alert and item.next_action_due_at is not None:  # the first column has the alert
        step = f"{step}, due {short_date_time(item.next_action_due_at)}"
    last = item.last_contact
    if item.last_contact_at is not None:
        last = f"{short_date_time(item.last_contact_at)} {last}"
    days = item.days_since_incident
    return [
        due_cell(item),
        item.police_reference,
        item.person,
        vocab.label(item.status),
        step,
        short_date_time(item.incident_at),
        "" if days is None else str(days),
        last or "None yet",
        item.risk,
    ]


class WorkTree(OpenTree):
    """The grouped list; Enter or a double-click on a case row opens it."""


class MyWorkView(QWidget):
    """Overdue, due today and later cases of one worker (the user, or anyone for a lead)."""

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
        self.items: list[WorkItem] = []

        title = QLabel("My work")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        self.worker = QComboBox()
        self.worker_label = label_for("Whose work", self.worker, "Shows this worker's list")
        self.worker.addItem(f"{actor.display_name} (me)", actor.id)
        self.worker.setVisible(actor.can("view_all_cases"))
        self.worker_label.setVisible(actor.can("view_all_cases"))
        self.worker.setMinimumWidth(220)
        self.summary = QLabel("Loading…")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("F5")
        self.message = InlineMessage()
        self.acknowledge_button = QPushButton("Acknowledge new overdose")
        self.acknowledge_button.setToolTip(
            "You have seen the new overdose on the selected case: clear its alert"
        )
        self.acknowledge_button.setEnabled(False)

        self.tree = WorkTree(self._open_item)
        self.tree.setAccessibleName("My work")
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setExpandsOnDoubleClick(False)
        for col, width in enumerate(WIDTHS):
            self.tree.setColumnWidth(col, width)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(16)
        top.addWidget(self.worker_label)
        top.addWidget(self.worker)
        top.addWidget(self.summary, 1)
        top.addWidget(self.acknowledge_button)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tree, 1)

        self.worker.currentIndexChanged.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.acknowledge_button.clicked.connect(self.acknowledge_current)
        self.tree.currentItemChanged.connect(lambda *_: self._update_acknowledge())
        if actor.can("view_all_cases"):
            self._runner.run(
                lambda: self._workers(db),
                self._fill_workers,
                message_to(self.message.warn),
                name="worker list",
            )
        self.refresh()
        # Shown again: read again (someone may have assigned or closed a case meanwhile).
        RefreshWhenShown(self, self.refresh, every_show=True)

    @staticmethod
    def _workers(db: Database) -> list[Actor]:
        with db.session() as s:
            return accounts.list_workers(s)

    def _fill_workers(self, workers: list[Actor]) -> None:
        self.worker.blockSignals(True)
        for w in workers:
            if w.id != self._actor.id:
                self.worker.addItem(w.display_name, w.id)
        self.worker.blockSignals(False)

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Read the list again (in the background); answers to older requests are dropped."""
        ticket = self._answers.ticket()
        worker_id = self.worker.currentData()
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: (load_work(db, actor, worker_id), load_prompts(db, actor, worker_id)),
            ticket.only(self._show_with_prompts),
            message_to(self.message.warn),
            name="my work",
        )

    def _show_with_prompts(self, answer: tuple[WorkList, list[SpikePrompt]]) -> None:
        work, prompts = answer
        self._show(work)
        show_prompts(self.tree, prompts, CASE_ID_ROLE)  # spike alerts in their districts

    def _show(self, work: WorkList) -> None:
        self.message.clear_message()
        current = self.current_case_id()
        items = self.items = work.items
        self.tree.clear()
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        counts = work.counts
        bold = QFont(self.tree.font())
        bold.setBold(True)
        select = None
        for key, heading in BUCKETS:
            group = QTreeWidgetItem([f"{heading} ({counts[key]})"])
            group.setFont(0, bold)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if key == "alert" and not counts[key]:
                continue  # the alert group shows only while there is something to see
            if key in ("alert", "overdue") and counts[key]:
                group.setIcon(0, warn)
                group.setForeground(0, QBrush(ERROR_COLOUR))
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)  # only takes effect once the item is in the tree
            shown = 0
            for item in (i for i in items if i.bucket == key):
                shown += 1
                row = QTreeWidgetItem(cells(item))
                row.setData(0, CASE_ID_ROLE, item.case_id)
                if key in ("alert", "overdue"):
                    row.setIcon(0, warn)
                    row.setForeground(0, QBrush(ERROR_COLOUR))
                if key == "alert":
                    row.setFont(0, bold)
                group.addChild(row)
                if select is None or item.case_id == current:
                    select = row
            if counts[key] > shown:
                more = QTreeWidgetItem(
                    [f"… and {counts[key] - shown} more; the Caseload lists them all"]
                )
                more.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.addChild(more)
                more.setFirstColumnSpanned(True)
            group.setExpanded(True)
        self.tree.setIndentation(12)
        if select is not None:
            self.tree.setCurrentItem(select)
        whose = "Your" if self.worker.currentData() == self._actor.id else "Their"
        alerts = f", {counts['alert']} new overdose" if counts["alert"] else ""
        alerts += "s" if counts["alert"] > 1 else ""
        self.summary.setText(
            f"{whose} open cases: {work.total} — {counts['overdue']} overdue, "
            f"{counts['today']} due today{alerts}"
        )
        self._update_acknowledge()

    # ------------------------------------------------------------------ alerts

    def current_item(self) -> WorkItem | None:
        case_id = self.current_case_id()
        return next((i for i in self.items if i.case_id == case_id), None)

    def _update_acknowledge(self) -> None:
        item = self.current_item()
        self.acknowledge_button.setEnabled(item is not None and bool(item.alert))

    def acknowledge_current(self) -> None:
        """Clear the selected case's new-overdose alert (in the background), then read again."""
        item = self.current_item()
        if item is None or not item.alert:
            return
        self.acknowledge_button.setEnabled(False)
        db, actor, case_id, version = self._db, self._actor, item.case_id, item.version

        def run() -> None:
            with db.session(write=True) as s:
                reoverdose.acknowledge(s, actor, case_id, version)

        def done(_result: object) -> None:
            self.refresh()

        def failed(text: str) -> None:
            self.message.warn(text)
            self.refresh()

        self._runner.run(run, done, message_to(failed), name="acknowledge new overdose")

    # ------------------------------------------------------------------ opening

    def current_case_id(self) -> int | None:
        item = self.tree.currentItem()
        return item.data(0, CASE_ID_ROLE) if item is not None else None

    def _open_item(self, item: QTreeWidgetItem) -> None:
        case_id = item.data(0, CASE_ID_ROLE)
        if case_id is not None:
            self._open_case(case_id)

    def open_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._open_item(item)

    def rows(self) -> list[tuple[str, ...]]:
        """Group headings and case rows as shown (for tests and screen readers)."""
        out: list[tuple[str, ...]] = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            if group is None:
                continue
            out.append((group.text(0),))
            for c in range(group.childCount()):
                child = group.child(c)
                if child is not None:
                    out.append(tuple(child.text(col) for col in range(len(HEADERS))))
        return out
