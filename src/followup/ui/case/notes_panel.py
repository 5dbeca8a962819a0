"""Case notes: a box to write a note on the case; the notes themselves are in the timeline.

A note is free text that is not a contact attempt (what a relative said, a plan, a risk). It
is saved with the time and the writer, shows in the timeline at once, and is corrected there
like any other entry. Ctrl+Enter saves. Notes never go into a letter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup.casework import notes
from followup.casework.detail import CaseDetail
from followup.ui.case.forms import CaseSection, edit_block_reason, plain_label
from followup.ui.shortcuts import SAVE_FORM, add_action
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = ["NotesPanel"]


class NotesPanel(CaseSection):
    """Write a note on the case."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Note")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(
            "Anything about the case that is not a contact attempt: who said what, a plan, a risk"
        )
        self.save = QPushButton("Add no&te")
        self.save.setToolTip("Ctrl+Enter")
        self.count = plain_label("", selectable=False)
        self.message = InlineMessage()
        self.blocked = InlineMessage()
        box = QGroupBox("Add a note")
        form = QVBoxLayout(box)
        form.addWidget(self.text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addWidget(plain_label("Ctrl+Enter saves", selectable=False, wrap=False))
        buttons.addStretch(1)
        form.addLayout(buttons)
        form.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.addWidget(self.blocked)
        layout.addWidget(box)
        layout.addWidget(self.count)
        layout.addWidget(
            plain_label(
                "Notes show in the timeline, newest first, and never go into a letter.",
                selectable=False,
            )
        )
        layout.addStretch(1)
        self.save.clicked.connect(self.submit)
        self.save_action = add_action(self, SAVE_FORM, self.submit)

    def show_detail(self, detail: CaseDetail) -> None:
        blocked = edit_block_reason(detail)
        if blocked:
            self.blocked.warn(blocked)
        else:
            self.blocked.clear_message()
        self.text.setEnabled(blocked is None)
        self.save.setEnabled(blocked is None)
        n = sum(1 for e in detail.timeline.of_kind("note") if not e.voided)
        self.count.setText(
            "No notes yet." if n == 0 else f"{n} note{'s' if n != 1 else ''} on this case."
        )

    def submit(self) -> None:
        text = self.text.toPlainText()
        if not text.strip():
            self.message.warn("Write the note first.")
            return

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> object:
            return notes.add_note(s, actor, case_id, version, text)

        def done() -> None:
            self.text.clear()
            self.message.confirm("Note added.")

        self.request("add note", apply, self.message, done)
