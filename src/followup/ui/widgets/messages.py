"""The one message widget: the sentence a screen shows beside what it is about.

A refusal or failure shows in the error role, a confirmation in the done role, anything else
plainly; the style sheet gives each its look. The text is plain (a message may quote a file
name or a person's name, never rendered as markup) and can be selected and copied.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from followup.ui.widgets.look import StyleRole, set_role

__all__ = ["InlineMessage"]


class InlineMessage(QLabel):
    """A sentence beside a form or a list: hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def warn(self, text: str) -> None:
        """What went wrong or what a rule refuses, and what to do next."""
        self._show(text, StyleRole.ERROR)

    def confirm(self, text: str) -> None:
        """That something was done: saved, written, sent."""
        self._show(text, StyleRole.DONE)

    def show_outcome(self, text: str, *, error: bool = False) -> None:
        """A failure (``error``) or a confirmation, for callers that learn which as they go."""
        self._show(text, StyleRole.ERROR if error else StyleRole.DONE)

    def say(self, text: str) -> None:
        """Anything else: progress, a count, a dry run's findings."""
        self._show(text, StyleRole.PLAIN)

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def _show(self, text: str, role: StyleRole) -> None:
        set_role(self, role)
        self.setText(text)
        self.setVisible(bool(text))
