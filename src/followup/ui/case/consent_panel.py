"""Consent: what is in force for each scope at a glance, a form to record a change, the history.

Given, refused or withdrawn, with how it was recorded, when, an evidence note and, for consent
given, an optional expiry. History is never edited or deleted, only added to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework import consent, lifecycle
from followup.casework.detail import CaseDetail
from followup.ui.case.forms import (
    CaseSection,
    NowEdit,
    OptionalDate,
    edit_block_reason,
    fill_table,
    form_grid,
    plain_label,
    read_only_table,
    select_data,
    vocab_combo,
)
from followup.ui.widgets.look import ERROR_COLOUR, GOOD_COLOUR
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import short_date, short_date_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = [
    "ConsentPanel",
    "scope_heading",
    "state_text",
]


def scope_heading(scope: str) -> str:
    text = consent.SCOPE_TEXT[scope]
    return text[0].upper() + text[1:]


def state_text(state: consent.ConsentState) -> str:
    """What is in force, in words that do not rely on colour."""
    if state.state is None:
        return "Not asked"
    if state.expired:
        return f"Expired on {short_date(state.expires_on)}"
    if state.in_force:
        return "In force (given)"
    return f"Not in force ({state.state})"


class ConsentPanel(CaseSection):
    """In force per scope, a form to record consent, and the full history."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._blocked: str | None = None
        self.in_force = read_only_table(
            ("Consent to", "Now", "How", "Since", "Expires"), "Consent in force"
        )
        for col, width in enumerate((230, 150, 190, 120)):
            self.in_force.setColumnWidth(col, width)
        self.in_force.setSelectionMode(self.in_force.SelectionMode.NoSelection)
        self.in_force.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        rows = len(vocab.CONSENT_SCOPES)
        self.in_force.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.in_force.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.in_force.setFixedHeight(
            self.fontMetrics().height()
            + 14
            + rows * self.in_force.verticalHeader().defaultSectionSize()
            + 4
        )

        self.scope = vocab_combo((), "Consent to")
        for s in vocab.CONSENT_SCOPES:
            self.scope.addItem(scope_heading(s), s)
        self.state = vocab_combo(vocab.CONSENT_STATES, "Consent state")
        self.method = vocab_combo(vocab.CONSENT_METHODS, "How consent was recorded")
        # A worker records what the person told them; consent relayed by police comes at intake.
        select_data(self.method, vocab.ConsentMethod.VERBAL_BY_PHONE)
        self.when = NowEdit("When")
        self.expires = OptionalDate("Expires on", "Expiry date")
        self.evidence = QLineEdit(
            placeholderText="Evidence: who said what, or where the signed form is"
        )
        self.evidence.setAccessibleName("Evidence note")
        self.save = QPushButton("Record consent")
        self.message = InlineMessage()
        self.blocked = InlineMessage()

        box = QGroupBox("Record consent")
        grid = form_grid()
        labels = (
            ("Consent &to", self.scope),
            ("&State", self.state),
            ("&How", self.method),
            ("&When", self.when),
            ("E&vidence", self.evidence),
        )
        positions = ((0, 0), (0, 2), (1, 0), (1, 2), (2, 0))
        for (text, widget), (row, col) in zip(labels, positions, strict=True):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, row, col)
            grid.addWidget(widget, row, col + 1, 1, 3 if widget is self.evidence else 1)
        grid.addWidget(self.expires, 3, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addStretch(1)
        form = QVBoxLayout(box)
        form.addWidget(self.blocked)
        form.addLayout(grid)
        form.addLayout(buttons)
        form.addWidget(self.message)

        self.history = read_only_table(
            ("When", "Consent to", "State", "How", "By", "Expires", "Evidence"), "Consent history"
        )
        for col, width in enumerate((120, 190, 80, 170, 120, 80)):
            self.history.setColumnWidth(col, width)

        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("In force now", selectable=False))
        layout.addWidget(self.in_force)
        layout.addWidget(box)
        layout.addWidget(plain_label("History (newest first)", selectable=False))
        layout.addWidget(self.history, 1)

        self.state.currentIndexChanged.connect(self._state_changed)
        self.save.clicked.connect(self.submit)
        self.evidence.returnPressed.connect(self.submit)
        self._state_changed()

    def show_detail(self, detail: CaseDetail) -> None:
        self._blocked = edit_block_reason(detail)
        self.blocked.warn(self._blocked or "")
        for widget in (
            self.scope,
            self.state,
            self.method,
            self.when,
            self.expires,
            self.evidence,
            self.save,
        ):
            widget.setEnabled(self._blocked is None)
        self._state_changed()
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        ok = self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        self.in_force.setRowCount(len(vocab.CONSENT_SCOPES))
        for row, scope in enumerate(vocab.CONSENT_SCOPES):
            st = detail.consents[scope]
            cells = (
                scope_heading(scope),
                state_text(st),
                vocab.label(st.method),
                short_date_time(st.recorded_at),
                short_date(st.expires_on),
            )
            items = [QTableWidgetItem(text) for text in cells]
            for col, item in enumerate(items):
                self.in_force.setItem(row, col, item)
            now = items[1]
            if st.in_force:
                now.setIcon(ok)
                now.setForeground(QBrush(GOOD_COLOUR))
            elif st.state is not None:
                now.setIcon(warn)
                now.setForeground(QBrush(ERROR_COLOUR))
        fill_table(
            self.history,
            (
                (
                    short_date_time(c.recorded_at),
                    scope_heading(c.scope),
                    vocab.label(c.state),
                    vocab.label(c.method),
                    c.recorded_by or c.source,
                    short_date(c.expires_on),
                    c.evidence,
                )
                for c in detail.consent_history
            ),
        )

    def _state_changed(self) -> None:
        given = self.state.currentData() == vocab.ConsentState.GIVEN
        self.expires.setEnabled(given and self._blocked is None)
        if not given:
            self.expires.set_value(None)

    def submit(self) -> None:
        if self._blocked:
            self.message.warn(self._blocked)
            return
        scope, state, method = (
            self.scope.currentData(),
            self.state.currentData(),
            self.method.currentData(),
        )
        when = self.when.value()
        expires_on = self.expires.value()
        evidence = self.evidence.text()

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            lifecycle.record_consent(
                s,
                actor,
                case_id,
                scope,
                state,
                method,
                version,
                when=when,
                evidence=evidence,
                expires_on=expires_on,
            )

        self.request("record consent", apply, self.message, self._saved)

    def _saved(self) -> None:
        self.evidence.clear()
        self.expires.set_value(None)
        self.when.reset()
        self.message.confirm("Consent recorded.")
