"""The small dialogs of the case lifecycle: close (reason and note), reopen (why), reassign.

Each blocking dialog sits behind a module-level function (``ask_closure``, ``ask_reopen_reason``,
``ask_worker``) so that tests can replace it. The close dialog says which rule
stops a closure reason before the user presses OK.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework.allocation import REASON_NEEDED, WorkerLoad
from followup.casework.detail import CaseDetail
from followup.ui.case.forms import plain_label, vocab_combo
from followup.ui.caseload.reassign import fill_workers, reason_box
from followup.ui.widgets.messages import InlineMessage

__all__ = [
    "CloseCaseDialog",
    "ReopenDialog",
    "WorkerDialog",
    "ask_closure",
    "ask_reopen_reason",
    "ask_worker",
    "closure_problem",
]


def never_contacted(detail: CaseDetail) -> bool:
    """Whether nobody has spoken with the person on this case (``casework.no_contact``)."""
    return not any(a.outcome in vocab.CONTACT_MADE_OUTCOMES for a in detail.attempts)


def closure_problem(
    detail: CaseDetail, reason: str | None, note: str, no_contact_reason: str | None = None
) -> str | None:
    """Why the case cannot be closed with ``reason`` (the service's rules, said up front)."""
    if reason is None:
        return "Choose a closure reason."
    if reason == vocab.ClosureReason.UNABLE_TO_CONTACT:
        if detail.unable_to_contact_problem:
            return detail.unable_to_contact_problem
    elif (
        reason == vocab.ClosureReason.ENGAGED_IN_TREATMENT
        and detail.status != vocab.CaseStatus.IN_TREATMENT
    ):
        return "Closing as engaged in treatment needs the case to be In treatment first."
    elif reason == vocab.ClosureReason.OTHER and not note.strip():
        return "Say why in a note when the closure reason is Other."
    if never_contacted(detail):
        if no_contact_reason is None:
            return "Nobody has spoken with the person; choose why contact was never made."
        if no_contact_reason == vocab.NoContactReason.OTHER and not note.strip():
            return "Say why in a note when the no-contact reason is Other."
    return None


class CloseCaseDialog(QDialog):
    """Closure reason and note; OK stays off, with the reason shown, while a rule stops it."""

    def __init__(self, detail: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._detail = detail
        self.setWindowTitle("Close case")
        self.reason = vocab_combo(vocab.CLOSURE_REASONS, "Closure reason", blank="Choose a reason…")
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Closure note")
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText("Anything the next person to read this case should know")
        # Asked only when nobody ever spoke with the person (issue 17: why never reached).
        self.no_contact = vocab_combo(
            vocab.NO_CONTACT_REASONS, "Why contact was never made", blank="Choose why…"
        )
        self.asks_no_contact = never_contacted(detail)
        self.problem = InlineMessage()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Close case")
        form = QFormLayout()
        form.addRow("&Reason", self.reason)
        if self.asks_no_contact:
            form.addRow("Why no &contact", self.no_contact)
        else:
            self.no_contact.hide()
        form.addRow("&Note", self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"Close the case of {detail.person_name}?"))
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.reason.currentIndexChanged.connect(self.check)
        self.note.textChanged.connect(self.check)
        self.no_contact.currentIndexChanged.connect(self.check)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(460, 280)
        self.check()

    def check(self) -> None:
        problem = closure_problem(
            self._detail,
            self.reason.currentData(),
            self.note.toPlainText(),
            self.no_contact_reason(),
        )
        # "Choose a reason" is no refusal; the others name the rule that stops the closure.
        self.problem.warn(problem if problem and self.reason.currentData() else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)

    def no_contact_reason(self) -> str | None:
        return self.no_contact.currentData() if self.asks_no_contact else None

    def choice(self) -> tuple[str, str, str | None]:
        return self.reason.currentData(), self.note.toPlainText(), self.no_contact_reason()


def ask_closure(parent: QWidget | None, detail: CaseDetail) -> tuple[str, str, str | None] | None:
    """Ask for a closure reason, note and (when nobody was ever reached) no-contact reason;
    None when the user cancels."""
    dialog = CloseCaseDialog(detail, parent)
    try:
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


class ReopenDialog(QDialog):
    """Why the case is being reopened (required)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reopen case")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Why reopen")
        self.reason.setTabChangesFocus(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Reopen")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Why is the case being reopened?"))
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self.check)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(420, 200)
        self.check()

    def check(self) -> None:
        ok = bool(self.reason.toPlainText().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


def ask_reopen_reason(parent: QWidget | None) -> str | None:
    dialog = ReopenDialog(parent)
    try:
        return dialog.reason.toPlainText() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


class WorkerDialog(QDialog):
    """Choose the worker to hold the case, each shown with their load; moving a case that has
    a worker asks why (kept in the audit trail)."""

    def __init__(
        self, workers: list[WorkerLoad], current: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reassign case" if current is not None else "Assign case")
        self.worker = QComboBox()
        self.worker.setAccessibleName("Worker")
        fill_workers(self.worker, workers, blank=None)
        index = self.worker.findData(current)
        if index >= 0:
            self.worker.setCurrentIndex(index)
        self.needs_reason = current is not None
        self.reason = reason_box("Reason for the move")
        self.problem = InlineMessage()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Reassign" if self.needs_reason else "Assign"
        )
        form = QFormLayout()
        form.addRow("&Worker", self.worker)
        if self.needs_reason:
            form.addRow("&Reason", self.reason)
        else:
            self.reason.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.check_and_accept)
        buttons.rejected.connect(self.reject)
        self.resize(480, 160)

    def check_and_accept(self) -> None:
        if self.needs_reason and not self.reason.text().strip():
            self.problem.warn(REASON_NEEDED)
        else:
            self.accept()


def ask_worker(
    parent: QWidget | None, workers: list[WorkerLoad], current: int | None
) -> tuple[int, str] | None:
    """The worker chosen and why (empty for a first assignment); None when cancelled."""
    dialog = WorkerDialog(workers, current, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.worker.currentData(), dialog.reason.text().strip()
    finally:
        dialog.deleteLater()
