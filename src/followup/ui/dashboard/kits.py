"""The dashboard's Kits tab: resupplies by reason, kits expiring, and a batch recall search.

Resupplies by reason are the period's (``reports.resupplies.resupplies_by_reason``, the same
service as `followup report kits`); the kits expiring are the open cases whose person's kit
held expires within the team's warning period or has expired (``casework.kits``, as
`followup kits expiring`), a lead's team or a worker's own cases; the recall lists everyone
who received a batch with their contact consent (team leads only: it crosses caseloads; the
search is audited). A double-click or Enter on a row opens its case. Everything is read on
the task runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.access import Actor
from followup.casework import kits
from followup.casework.kits import ExpiringKit, RecallEntry
from followup.reports.definitions import KIT_FIGURES, Period
from followup.reports.resupplies import ResupplyReport, resupplies_by_reason
from followup.ui.tasks import LatestOnly, TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.uktime import short_date

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "EXPIRING_COLUMNS",
    "RECALL_COLUMNS",
    "KitsLoad",
    "KitsTab",
    "days_left_text",
    "load_kits",
    "load_recall",
]

EXPIRING_COLUMNS = ("Case", "Person", "Kit", "Batch", "Expires", "Days left")
RECALL_COLUMNS = (
    "Person",
    "Case",
    "Supplied",
    "Qty",
    "Recipient",
    *kits.CONTACT_SCOPE_NAMES.values(),
)


@dataclass(frozen=True)
class KitsLoad:
    """What the tab shows, read in one session: the period's resupplies (None for a user
    without team reports) and the kits expiring within ``days``."""

    resupplies: ResupplyReport | None
    expiring: tuple[ExpiringKit, ...]
    days: int


def load_kits(db: Database, actor: Actor, period: Period) -> KitsLoad:
    with db.session() as s:
        report = resupplies_by_reason(s, actor, period) if actor.can("reports") else None
        days = kits.warning_days(s)
        return KitsLoad(report, tuple(kits.expiring_kits(s, actor, days)), days)


def load_recall(db: Database, actor: Actor, batch: str) -> tuple[RecallEntry, ...]:
    with db.session(write=True) as s:  # the search is audited
        return tuple(kits.recall(s, actor, batch))


def days_left_text(days_left: int) -> str:
    if days_left < 0:
        return f"Expired {-days_left} day{'s' if days_left != -1 else ''} ago"
    if days_left == 0:
        return "Expires today"
    return str(days_left)


class _CaseRows(QTableWidget):
    """A read-only table whose rows are cases: Enter or a double-click asks to open one."""

    open_requested = Signal(int)  # case id

    def __init__(self, headers: Sequence[str], name: str) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(list(headers))
        self.setAccessibleName(name)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setStretchLastSection(True)
        self._case_ids: list[int] = []
        self.cellDoubleClicked.connect(lambda row, _col: self._open(row))

    def set_rows(self, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        """(case id, cells) for each row; cell text is never read as markup."""
        self._case_ids = [case_id for case_id, _ in rows]
        self.setRowCount(len(rows))
        for r, (_, cells) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.setItem(r, c, item)

    def case_id(self, row: int) -> int | None:
        return self._case_ids[row] if 0 <= row < len(self._case_ids) else None

    def cells(self) -> list[list[str]]:
        def text(r: int, c: int) -> str:
            item = self.item(r, c)
            return item.text() if item is not None else ""

        return [[text(r, c) for c in range(self.columnCount())] for r in range(self.rowCount())]

    def _open(self, row: int) -> None:
        case_id = self.case_id(row)
        if case_id is not None:
            self.open_requested.emit(case_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self._open(self.currentRow())
            return
        super().keyPressEvent(event)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class KitsTab(QWidget):
    """Resupplies by reason for the period, the kits expiring, and the recall search."""

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
        self._runner = runner or TaskRunner(self)
        self._answers = LatestOnly()
        self.loaded: KitsLoad | None = None
        self.recalled: tuple[RecallEntry, ...] | None = None
        self.loading = False
        self.message = InlineMessage()

        # -- resupplies by reason
        self.resupply_heading = _heading("Resupplies by reason")
        self.resupply_heading.setToolTip(KIT_FIGURES["resupplies_by_reason"].text)
        self.resupplies = _CaseRows(("Reason", "Resupplies", "Kits"), "Resupplies by reason")
        self.resupplies.setToolTip(KIT_FIGURES["resupplies_by_reason"].text)
        resupply_box = QWidget()
        resupply_layout = QVBoxLayout(resupply_box)
        resupply_layout.setContentsMargins(0, 0, 0, 0)
        resupply_layout.addWidget(self.resupply_heading)
        resupply_layout.addWidget(self.resupplies, 1)
        resupply_box.setVisible(actor.can("reports"))

        # -- kits expiring
        self.expiring_heading = _heading("Kits expiring")
        self.expiring = _CaseRows(EXPIRING_COLUMNS, "Kits expiring")
        for col, width in enumerate((90, 160, 80, 110, 90)):
            self.expiring.setColumnWidth(col, width)
        expiring_box = QWidget()
        expiring_layout = QVBoxLayout(expiring_box)
        expiring_layout.setContentsMargins(0, 0, 0, 0)
        expiring_layout.addWidget(self.expiring_heading)
        expiring_layout.addWidget(self.expiring, 1)

        # -- recall (team leads: it lists people of every caseload)
        self.batch = QLineEdit(placeholderText="Batch number, as printed on the kit")
        batch_label = label_for(
            "Recall &batch",
            self.batch,
            "Everyone who received this batch, with their contact consent (any upper or lower "
            "case; the search is recorded in the audit trail)",
        )
        self.recall_button = QPushButton("Find who received it")
        self.recall_message = InlineMessage()
        self.recall = _CaseRows(RECALL_COLUMNS, "Who received the batch")
        recall_row = QHBoxLayout()
        recall_row.addWidget(batch_label)
        recall_row.addWidget(self.batch, 1)
        recall_row.addWidget(self.recall_button)
        recall_box = QWidget()
        recall_layout = QVBoxLayout(recall_box)
        recall_layout.setContentsMargins(0, 0, 0, 0)
        recall_layout.addWidget(_heading("Batch recall"))
        recall_layout.addLayout(recall_row)
        recall_layout.addWidget(self.recall_message)
        recall_layout.addWidget(self.recall, 1)
        recall_box.setVisible(actor.can("view_all_cases"))

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(resupply_box)
        top.addWidget(expiring_box)
        top.setChildrenCollapsible(False)
        top.setSizes([300, 700])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(top)
        body.addWidget(recall_box)
        body.setChildrenCollapsible(False)
        note = QLabel("Double-click a case, or select it and press Enter, to open it.")
        set_role(note, StyleRole.NOTE)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(body, 1)
        layout.addWidget(note)

        self.expiring.open_requested.connect(open_case)
        self.recall.open_requested.connect(open_case)
        self.recall_button.clicked.connect(self.find_batch)
        self.batch.returnPressed.connect(self.find_batch)

    # ------------------------------------------------------------------ the period's lists

    def refresh(self, period: Period) -> None:
        """Read the period's resupplies and the kits expiring now, in the background."""
        ticket = self._answers.ticket()
        self.loading = True
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: load_kits(db, actor, period),
            ticket.only(self._loaded),
            ticket.only(message_to(self._failed)),
            name="kits tab",
        )

    def _loaded(self, load: KitsLoad) -> None:
        self.loading = False
        self.loaded = load
        self.message.clear_message()
        report = load.resupplies
        if report is not None:
            self.resupply_heading.setText(f"Resupplies by reason, {report.period.label}")
            self.resupplies.set_rows(
                [
                    *((0, (r.label, str(r.supplies), str(r.kits))) for r in report.reasons),
                    (0, ("Total", str(report.supplies), str(report.kits))),
                ]
            )
        n = len(load.expiring)
        self.expiring_heading.setText(
            f"Kits expiring within {load.days} days or expired: {n} open "
            f"case{'s' if n != 1 else ''}"
        )
        self.expiring.set_rows(
            [
                (
                    k.case_id,
                    (
                        k.police_reference,
                        k.person,
                        f"{vocab.label(k.kit_type)} x{k.quantity}",
                        k.batch_number,
                        short_date(k.expires_on),
                        days_left_text(k.days_left),
                    ),
                )
                for k in load.expiring
            ]
        )

    def _failed(self, message: str) -> None:
        self.loading = False
        self.message.warn(message)

    # ------------------------------------------------------------------ recall

    def find_batch(self) -> None:
        """List everyone who received the batch typed (a sentence when none is typed)."""
        batch = self.batch.text().strip()
        if not batch:
            self.recall_message.warn("Enter the batch number to search for, as printed on the kit.")
            return
        self.recall_button.setEnabled(False)
        self.recall_message.say(f"Finding who received batch {batch}…")
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: load_recall(db, actor, batch),
            lambda entries: self._recalled(batch, entries),
            message_to(self._recall_failed),
            name="kit recall",
        )

    def _recalled(self, batch: str, entries: tuple[RecallEntry, ...]) -> None:
        self.recall_button.setEnabled(True)
        self.recalled = entries
        people = len({e.person_id for e in entries})
        if entries:
            self.recall_message.say(
                f"Batch {batch}: {len(entries)} suppl{'ies' if len(entries) != 1 else 'y'} to "
                f"{people} {'people' if people != 1 else 'person'}."
            )
        else:
            self.recall_message.say(f"No kit of batch {batch} has been supplied.")
        self.recall.set_rows(
            [
                (
                    e.case_id,
                    (
                        e.person,
                        e.police_reference,
                        short_date(e.supplied_on),
                        str(e.quantity),
                        vocab.label(e.recipient),
                        *(e.consent_text(scope) for scope in kits.CONTACT_SCOPE_NAMES),
                    ),
                )
                for e in entries
            ]
        )

    def _recall_failed(self, message: str) -> None:
        self.recall_button.setEnabled(True)
        self.recall_message.warn(message)
