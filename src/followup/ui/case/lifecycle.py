"""The lifecycle actions under the case header: the next step, close, reopen and reassign.

The next-step button is labelled with the step it takes; when a rule stops it, the rule is
written beside it (the button stays visible, so the user learns what to do next).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from followup import vocab
from followup.access import Actor
from followup.casework import lifecycle
from followup.casework.allocation import WorkerLoad
from followup.casework.detail import CaseDetail
from followup.intake import inbox
from followup.ui.case import dialogs
from followup.ui.case.forms import CaseSection, edit_block_reason
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "LifecycleBar",
]


class LifecycleBar(CaseSection):
    """Buttons for the next status, Close…, Reopen… and (for leads) Assign…."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actor = actor
        self._detail: CaseDetail | None = None
        self._workers: list[WorkerLoad] = []
        self.advance = QPushButton("Next step")
        self.next_problem = InlineMessage()
        self.next_problem.setAccessibleName("Why the next step is not available")
        self.close_case = QPushButton("Close case…")
        self.reopen = QPushButton("Reopen…")
        self.reassign = QPushButton("Assign…")
        self.reassign.setVisible(actor.can("assign"))
        # Everything held about the person, for a subject access request (leads only).
        self.subject_access = QPushButton("Subject access…")
        self.subject_access.setVisible(actor.can("view_all_cases"))
        self.message = InlineMessage()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.advance)
        row.addWidget(self.next_problem, 10)
        row.addStretch(1)  # keeps the buttons at their size when there is nothing to explain
        row.addWidget(self.close_case)
        row.addWidget(self.reopen)
        row.addWidget(self.reassign)
        row.addWidget(self.subject_access)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)

        self.advance.clicked.connect(self.advance_case)
        self.close_case.clicked.connect(self.ask_close)
        self.reopen.clicked.connect(self.ask_reopen)
        self.reassign.clicked.connect(self.ask_reassign)

    def set_workers(self, workers: list[WorkerLoad]) -> None:
        self._workers = list(workers)

    def show_detail(self, detail: CaseDetail) -> None:
        self._detail = detail
        blocked = edit_block_reason(detail)
        closed = detail.status == vocab.CaseStatus.CLOSED
        self.advance.setVisible(detail.next_status is not None)
        if detail.next_status:
            self.advance.setText(f"Move to {vocab.label(detail.next_status)}")
        problem = blocked or (detail.next_status_problem if detail.next_status else None)
        if closed:
            problem = blocked
        self.next_problem.warn(problem or "")
        self.advance.setEnabled(problem is None)
        self.close_case.setVisible(not closed)
        self.close_case.setEnabled(blocked is None)
        self.reopen.setVisible(closed)
        self.reopen.setEnabled(blocked is None)
        self.reassign.setText("Reassign…" if detail.worker_id else "Assign…")
        self.reassign.setEnabled(not closed)
        self.reassign.setToolTip("Reopen the case before assigning it." if closed else "")

    def advance_case(self) -> None:
        detail = self._detail
        if detail is None or detail.next_status is None:
            return
        to_status = detail.next_status

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            lifecycle.advance(s, actor, case_id, to_status, version)

        self.request("advance case", apply, self.message, self.message.clear_message)

    def ask_close(self) -> None:
        if self._detail is None:
            return
        choice = dialogs.ask_closure(self, self._detail)
        if choice is None:
            return
        reason, note, no_contact_reason = choice

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            lifecycle.close_case(
                s, actor, case_id, reason, version, note=note, no_contact_reason=no_contact_reason
            )

        self.request(
            "close case",
            apply,
            self.message,
            lambda: self.message.confirm(f"Case closed ({vocab.label(reason).lower()})."),
        )

    def ask_reopen(self) -> None:
        reason = dialogs.ask_reopen_reason(self)
        if reason is None:
            return

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            lifecycle.reopen_case(s, actor, case_id, version, reason)

        self.request(
            "reopen case",
            apply,
            self.message,
            lambda: self.message.confirm("Case reopened; the next attempt is due."),
        )

    def ask_reassign(self) -> None:
        if self._detail is None:
            return
        if not self._workers:
            self.message.warn("The list of workers is still loading; try again in a moment.")
            return
        choice = dialogs.ask_worker(self, self._workers, self._detail.worker_id)
        if choice is None:
            return
        worker_id, reason = choice
        name = next((w.display_name for w in self._workers if w.id == worker_id), "")

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            inbox.assign_cases(s, actor, [case_id], worker_id, {case_id: version}, reason)

        self.request(
            "assign case",
            apply,
            self.message,
            lambda: self.message.confirm(f"Case assigned to {name}."),
        )
