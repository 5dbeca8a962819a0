"""The administrator's home page: what an administrator can do, and where, for now.

Administrators see no case data (DESIGN.md); user management is on the command line until
the users view arrives.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from followup.access import Actor

__all__ = ["TEXT", "AdminHome"]

TEXT = (
    "<h2>Administration</h2>"
    "<p>You are signed in as {name}, an administrator. Administrators look after users, "
    "letter templates and settings, and do not see case data.</p>"
    "<p>For now, add users on the command line, for example:</p>"
    "<pre>    followup users add NAME --role worker</pre>"
    "<p>The role is <b>worker</b>, <b>lead</b> or <b>admin</b>. The command asks for your own "
    "name and password (<code>--user</code>) and then for the new user's password.</p>"
)


class AdminHome(QWidget):
    """A short page of plain instructions; nothing on it touches the database."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from html import escape

        label = QLabel(TEXT.format(name=escape(actor.display_name)))
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setMaximumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(label)
        layout.addStretch(1)
