"""Contact attempts: a quick-log form made for the keyboard, the next due time and the history.

Method, outcome, time (now unless changed) and a note; Ctrl+Enter saves. The contact gate
(``casework.contact_gate``) decides: a method the person has not allowed (consent refused or
withdrawn, a letter without consent to letters, a home visit with no address or before any
remote attempt, a home visit for someone of no fixed abode) stays in the list with a note, and
choosing it shows the reason and holds the save back. Each method offers only its own
outcomes. A phone call or text while consent is not yet asked says it is seeking consent; with
no number on file the form asks for the number used and offers to save it to the person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework import consent, contact_gate, lifecycle
from followup.casework.detail import CaseDetail
from followup.ui.case.forms import (
    CaseSection,
    NowEdit,
    edit_block_reason,
    form_grid,
    plain_label,
    plain_tip,
    rows_model,
    rows_table,
    select_data,
    vocab_combo,
)
from followup.ui.shortcuts import SAVE_FORM, add_action
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import short_date_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = [
    "UNAVAILABLE",
    "AttemptPanel",
    "attempt_block_reason",
    "next_due_text",
]

UNAVAILABLE = " (not available)"


def attempt_block_reason(detail: CaseDetail) -> str | None:
    """Why no attempt at all can be logged on this case now, or None."""
    blocked = edit_block_reason(detail)
    if blocked:
        return blocked
    if detail.status == vocab.CaseStatus.CLOSED:
        return "This case is closed; reopen it before logging contact."
    if detail.status == vocab.CaseStatus.NEW and detail.worker_id is None:
        return "Assign the case to a worker before logging contact."
    return None


def next_due_text(detail: CaseDetail) -> str:
    if detail.status == vocab.CaseStatus.CLOSED:
        return "No attempts are due: the case is closed."
    if detail.next_action_due_at is None:
        return "No attempt is due while the case is " + vocab.label(detail.status).lower() + "."
    when = short_date_time(detail.next_action_due_at)
    return (
        f"Overdue: the next attempt was due {when}"
        if detail.overdue
        else f"Next attempt due {when}"
    )


class AttemptPanel(CaseSection):
    """Log an attempt; see the schedule and every attempt made."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._detail: CaseDetail | None = None
        self.method = vocab_combo(vocab.CONTACT_METHODS, "Method")
        self.outcome = vocab_combo(vocab.CONTACT_OUTCOMES, "Outcome")
        self.when = NowEdit("When")
        self.number = QLineEdit(placeholderText="The number you used, e.g. 07700 900123")
        self.number.setAccessibleName("Number used")
        self.save_number = QCheckBox("Save this number to the person's details")
        self.number_label = QLabel("N&umber")
        self.number_label.setBuddy(self.number)
        self.seeking = InlineMessage()
        self.seeking.setAccessibleName("Seeking consent")
        self.note = QLineEdit(placeholderText="What happened (optional)")
        self.note.setAccessibleName("Note")
        self.save = QPushButton("Log attempt")
        self.save.setToolTip("Ctrl+Enter")
        self.save.setDefault(False)
        self.method_problem = InlineMessage()
        self.method_problem.setAccessibleName("Why this method is not available")
        self.message = InlineMessage()
        self.blocked = InlineMessage()

        box = QGroupBox("Log a contact attempt")
        grid = form_grid()
        fields: tuple[tuple[str, QWidget, int, int], ...] = (
            ("&Method", self.method, 0, 0),
            ("&Outcome", self.outcome, 0, 2),
            ("&When", self.when, 1, 0),
            ("No&te", self.note, 1, 2),
        )
        for text, field, grid_row, col in fields:
            label = QLabel(text)
            label.setBuddy(field)  # the label's shortcut key moves the focus to its field
            grid.addWidget(label, grid_row, col)
            grid.addWidget(field, grid_row, col + 1)
        grid.addWidget(self.number_label, 2, 0)
        grid.addWidget(self.number, 2, 1)
        grid.addWidget(self.save_number, 2, 2, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addWidget(plain_label("Ctrl+Enter saves", selectable=False, wrap=False))
        buttons.addStretch(1)
        form = QVBoxLayout(box)
        form.addWidget(self.blocked)
        form.addLayout(grid)
        form.addWidget(self.method_problem)
        form.addWidget(self.seeking)
        form.addLayout(buttons)
        form.addWidget(self.message)

        self.next_due = plain_label()
        self.next_due.setAccessibleName("Next attempt due")
        self.count = plain_label(selectable=False)
        self.table = rows_table(("When", "Method", "Outcome", "By", "Note"), "Attempts")
        for col, width in enumerate((120, 130, 130, 110)):
            self.table.setColumnWidth(col, width)

        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(self.next_due)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)

        self.setTabOrder(self.method, self.outcome)
        self.setTabOrder(self.outcome, self.when)
        self.setTabOrder(self.when, self.note)
        self.setTabOrder(self.note, self.number)
        self.setTabOrder(self.number, self.save_number)
        self.setTabOrder(self.save_number, self.save)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.number.textChanged.connect(self._update_availability)
        self.save.clicked.connect(self.submit)
        self.note.returnPressed.connect(self.submit)
        self.save_action = add_action(self, SAVE_FORM, self.submit)

    # ------------------------------------------------------------------ showing

    def show_detail(self, detail: CaseDetail) -> None:
        self._detail = detail
        for i in range(self.method.count()):
            method = self.method.itemData(i)
            problem = detail.method_problems.get(method)
            text = vocab.label(method) + (UNAVAILABLE if problem else "")
            self.method.setItemText(i, text)
            self.method.setItemData(i, plain_tip(problem or ""), Qt.ItemDataRole.ToolTipRole)
        blocked = attempt_block_reason(detail)
        self.blocked.warn(blocked or "")
        for widget in (
            self.method,
            self.outcome,
            self.when,
            self.note,
            self.number,
            self.save_number,
        ):
            widget.setEnabled(blocked is None)
        if not self.when.touched:
            self.when.reset()
        self.next_due.setText(next_due_text(detail))
        set_role(self.next_due, StyleRole.OVERDUE if detail.overdue else StyleRole.PLAIN)
        n = len(detail.attempts)
        self.count.setText(
            "No attempts yet." if n == 0 else f"{n} attempt{'s' if n != 1 else ''} so far:"
        )
        attempts = detail.attempts

        def attempt_row(i: int) -> tuple[str, ...]:
            a = attempts[i]
            return (
                short_date_time(a.at),
                vocab.label(a.method) + (" (seeking consent)" if a.seeking_consent else ""),
                vocab.label(a.outcome),
                a.worker,
                a.notes,
            )

        rows_model(self.table).set_lazy_rows(len(attempts), attempt_row)
        self._method_changed()

    def current_gate(self) -> contact_gate.MethodGate | None:
        if self._detail is None:
            return None
        return self._detail.method_gates.get(self.method.currentData())

    def _method_changed(self) -> None:
        """Offer the outcomes of the method chosen, keeping the outcome if it still fits."""
        gate = self.current_gate()
        outcomes = gate.outcomes if gate is not None else tuple(vocab.CONTACT_OUTCOMES)
        chosen = self.outcome.currentData()
        self.outcome.blockSignals(True)
        self.outcome.clear()
        for outcome in outcomes:
            self.outcome.addItem(vocab.label(outcome), outcome)
        self.outcome.blockSignals(False)
        select_data(self.outcome, chosen)
        needs_number = gate is not None and gate.allowed and gate.needs_number
        for widget in (self.number_label, self.number, self.save_number):
            widget.setVisible(needs_number)
        self._update_availability()

    def problem_for_current_method(self) -> str | None:
        if self._detail is None:
            return "The case is still loading."
        blocked = attempt_block_reason(self._detail)
        if blocked:
            return blocked
        gate = self.current_gate()
        if gate is None:
            return self._detail.method_problems.get(self.method.currentData())
        if gate.problem:
            return gate.problem
        if gate.needs_number and not self.number.text().strip():
            return (
                "There is no phone number on file; type the number you used in Number "
                "(tick the box to save it to the person's details)."
            )
        return None

    def _update_availability(self) -> None:
        problem = None
        gate = self.current_gate()
        if self._detail is not None and attempt_block_reason(self._detail) is None:
            problem = self._detail.method_problems.get(self.method.currentData())
        self.method_problem.warn(problem or "")
        if gate is not None and gate.allowed and gate.seeking_consent:
            scope = consent.METHOD_SCOPE[gate.method]
            self.seeking.say(
                f"Consent to {consent.SCOPE_TEXT[scope]} has not been given yet: this attempt "
                "is to ask for it, and is logged as seeking consent."
            )
        else:
            self.seeking.clear_message()
        blocked = attempt_block_reason(self._detail) if self._detail else "loading"
        self.save.setEnabled(problem is None and blocked is None)

    # ------------------------------------------------------------------ saving

    def submit(self) -> None:
        problem = self.problem_for_current_method()
        if problem:
            self.message.warn(problem)
            return
        method = self.method.currentData()
        outcome = self.outcome.currentData()
        when = self.when.value()
        notes = self.note.text()
        gate = self.current_gate()
        asks_number = gate is not None and gate.needs_number
        number = self.number.text() if asks_number else None
        save_number = asks_number and self.save_number.isChecked()

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            lifecycle.record_contact_attempt(
                s,
                actor,
                case_id,
                method,
                outcome,
                version,
                when=when,
                notes=notes,
                number=number,
                save_number=save_number,
            )

        self.request("log contact attempt", apply, self.message, self._saved)

    def _saved(self) -> None:
        self.note.clear()
        self.number.clear()
        self.save_number.setChecked(False)
        self.when.reset()
        self.message.confirm("Attempt logged.")
        self.method.setFocus(Qt.FocusReason.OtherFocusReason)
