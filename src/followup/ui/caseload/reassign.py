"""A lead's allocation actions: reassign the selected cases, or move a worker's whole caseload.

Both dialogs list the workers with their loads ("Testworker One — 12 open, 3 overdue") and ask
for a reason whenever a case that has a worker would move (``casework.allocation`` refuses
without one, and keeps it in the audit trail). The move runs in the background, in one
transaction; afterwards the bar says what moved and which cases could not, and why. Workers
never see the bar: the service refuses them anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import allocation
from followup.casework.allocation import REASON_NEEDED, CaseToMove, MoveSummary, WorkerLoad
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CHOOSE_WORKER",
    "MoveCaseloadDialog",
    "ReassignBar",
    "ReassignDialog",
    "SelectionToMove",
    "fill_workers",
    "reason_box",
]

CHOOSE_WORKER = "Choose a worker…"
REASON_HINT = "For example: Testworker One is off sick this week"


def fill_workers(
    combo: QComboBox, workers: Sequence[WorkerLoad], blank: str | None = CHOOSE_WORKER
) -> None:
    """Workers with their loads, the chosen one kept when the list is read again."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if blank is not None:
        combo.addItem(blank, None)
    for worker in workers:
        combo.addItem(worker.label, worker.id)
    index = combo.findData(chosen) if chosen is not None else -1
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def reason_box(name: str) -> QLineEdit:
    box = QLineEdit()
    box.setAccessibleName(name)
    box.setPlaceholderText(REASON_HINT)
    box.setMaxLength(allocation.REASON_LIMIT)
    return box


def _buttons(ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    return buttons


def _plural(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


class ReassignDialog(QDialog):
    """The chosen cases with their workers now; the worker to move them to; why."""

    def __init__(
        self,
        cases: Sequence[CaseToMove],
        workers: Sequence[WorkerLoad],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.cases = tuple(cases)
        self.setWindowTitle("Reassign cases")
        self.needs_reason = any(c.worker_id is not None for c in self.cases)
        self.case_list = QListWidget()
        self.case_list.setAccessibleName("Cases to move")
        for c in self.cases:
            where = c.worker or "unassigned"
            closed = " (closed)" if c.closed else ""
            self.case_list.addItem(f"{c.police_reference} — {c.person} — {where}{closed}")
        self.case_list.setMaximumHeight(160)
        self.worker = QComboBox()
        self.worker.setAccessibleName("Move to worker")
        fill_workers(self.worker, workers)
        self.reason = reason_box("Reason for the move")
        self.problem = InlineMessage()
        self.buttons = _buttons(f"Move {_plural(len(self.cases))}")
        form = QFormLayout()
        form.addRow("Move &to", self.worker)
        form.addRow("&Reason", self.reason)
        layout = QVBoxLayout(self)
        title = QLabel(f"Move {_plural(len(self.cases))}, now with:")
        layout.addWidget(title)
        layout.addWidget(self.case_list)
        layout.addLayout(form)
        note = "A reason is needed: it is kept in the audit trail."
        layout.addWidget(QLabel(note if self.needs_reason else "A reason is optional here."))
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.check_and_accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(560, 400)

    def check_and_accept(self) -> None:
        if self.worker.currentData() is None:
            self.problem.warn("Choose the worker to move the cases to.")
        elif self.needs_reason and not self.reason.text().strip():
            self.problem.warn(REASON_NEEDED)
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.accept()

    def choice(self) -> tuple[int, str]:
        return self.worker.currentData(), self.reason.text().strip()


class MoveCaseloadDialog(QDialog):
    """From which worker, to which, and why: every open case of the first goes to the second."""

    def __init__(self, workers: Sequence[WorkerLoad], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move a caseload")
        self.from_worker = QComboBox()
        self.from_worker.setAccessibleName("Move the caseload of")
        fill_workers(self.from_worker, workers)
        self.to_worker = QComboBox()
        self.to_worker.setAccessibleName("Move it to")
        fill_workers(self.to_worker, workers)
        self.reason = reason_box("Reason for the move")
        self.problem = InlineMessage()
        self.buttons = _buttons("Move caseload")
        form = QFormLayout()
        form.addRow("&From", self.from_worker)
        form.addRow("&To", self.to_worker)
        form.addRow("&Reason", self.reason)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Every open case of one worker moves to another, for example while they are off "
            "sick. Closed cases stay with them. The reason is kept in the audit trail."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.check_and_accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(560, 260)

    def check_and_accept(self) -> None:
        source, target = self.from_worker.currentData(), self.to_worker.currentData()
        if source is None or target is None:
            self.problem.warn("Choose the worker whose cases move, and the worker to take them.")
        elif source == target:
            self.problem.warn("Choose two different workers: the cases would stay where they are.")
        elif not self.reason.text().strip():
            self.problem.warn(REASON_NEEDED)
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.accept()

    def choice(self) -> tuple[int, int, str]:
        return self.from_worker.currentData(), self.to_worker.currentData(), self.reason.text()


@dataclass(frozen=True)
class SelectionToMove:
    cases: list[CaseToMove]
    workers: list[WorkerLoad]


class ReassignBar(QWidget):
    """ "Reassign N cases…" and "Move caseload…", with the summary of the last move."""

    moved = Signal()  # cases changed hands: the lists showing them should be read again

    def __init__(
        self,
        db: Database,
        actor: Actor,
        selected: Callable[[], list[int]],
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._selected = selected
        self._runner = runner or TaskRunner(self)
        self.dialog: QDialog | None = None
        self.reassign_button = QPushButton("Reassign…")
        self.reassign_button.setToolTip("Move the selected cases to another worker")
        self.caseload_button = QPushButton("Move caseload…")
        self.caseload_button.setToolTip("Move every open case of one worker to another")
        self.message = InlineMessage()
        self.message.setAccessibleName("What the last move did")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.reassign_button)
        row.addWidget(self.caseload_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.reassign_button.clicked.connect(self.ask_reassign)
        self.caseload_button.clicked.connect(self.ask_move_caseload)
        self.setVisible(actor.can("assign"))
        self.update_selection()

    def update_selection(self) -> None:
        n = len(self._selected())
        self.reassign_button.setEnabled(n > 0)
        self.reassign_button.setText(f"Reassign {_plural(n)}…" if n else "Reassign…")

    def _busy(self, busy: bool) -> None:
        self.caseload_button.setEnabled(not busy)
        if busy:
            self.reassign_button.setEnabled(False)
        else:
            self.update_selection()

    # ------------------------------------------------------------------ reassign a selection

    def ask_reassign(self) -> None:
        ids = self._selected()
        if not ids:
            return
        db, actor = self._db, self._actor

        def fetch() -> SelectionToMove:
            with db.session() as s:
                return SelectionToMove(
                    allocation.cases_to_move(s, actor, ids), allocation.worker_loads(s, actor)
                )

        self.message.clear_message()
        self._busy(True)
        self._runner.run(fetch, self._show_reassign, message_to(self._failed), name="cases to move")

    def _show_reassign(self, found: SelectionToMove) -> None:
        self._busy(False)
        if not found.cases:
            self.message.warn("The selected cases no longer exist; refresh the list.")
            return
        dialog = ReassignDialog(found.cases, found.workers, self)
        seen: dict[int, int | None] = {c.case_id: c.version for c in found.cases}

        def accepted() -> None:
            worker_id, reason = dialog.choice()
            db, actor = self._db, self._actor

            def run() -> MoveSummary:
                with db.session(write=True) as s:
                    return allocation.reassign_cases(s, actor, seen, worker_id, reason)

            self._run_move(run, "reassign cases")

        self._open(dialog, accepted)

    # ------------------------------------------------------------------ move a caseload

    def ask_move_caseload(self) -> None:
        db, actor = self._db, self._actor

        def fetch() -> list[WorkerLoad]:
            with db.session() as s:
                return allocation.worker_loads(s, actor)

        self.message.clear_message()
        self._busy(True)
        self._runner.run(fetch, self._show_move, message_to(self._failed), name="worker loads")

    def _show_move(self, workers: list[WorkerLoad]) -> None:
        self._busy(False)
        dialog = MoveCaseloadDialog(workers, self)

        def accepted() -> None:
            source, target, reason = dialog.choice()
            db, actor = self._db, self._actor

            def run() -> MoveSummary:
                with db.session(write=True) as s:
                    return allocation.move_caseload(s, actor, source, target, reason)

            self._run_move(run, "move caseload")

        self._open(dialog, accepted)

    # ------------------------------------------------------------------ shared

    def _open(self, dialog: QDialog, accepted: Callable[[], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(accepted)
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()

    def _closed(self) -> None:
        self.dialog = None

    def _run_move(self, run: Callable[[], MoveSummary], name: str) -> None:
        self._busy(True)
        self._runner.run(run, self._moved, message_to(self._failed), name=name)

    def _moved(self, summary: MoveSummary) -> None:
        self._busy(False)
        self.message.show_outcome(summary.text, error=bool(summary.not_moved))
        self.moved.emit()

    def _failed(self, message: str) -> None:
        self._busy(False)
        self.message.warn(message)
