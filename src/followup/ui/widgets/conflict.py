"""The "someone else changed this" bar every editor shows when a save meets a newer version.

A save is made with the version of the record the user saw. When someone else has saved the
record since (``StaleEdit``), or the database is too busy to tell (``DatabaseBusy``), nothing is
written and this bar offers the same choice everywhere: *Reload* shows the record as it is now
while what the user typed stays in the form, and *Keep my entry* hides the bar so that they can
copy their text first. Saving again after Reload makes their change on top of the other one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from followup.errors import DatabaseBusy, StaleEdit
from followup.ui.widgets.look import StyleRole, set_role

__all__ = ["CONFLICTS", "ConflictBar"]

# A change by someone else since the user read the record, or a database too busy to tell.
CONFLICTS = (StaleEdit, DatabaseBusy)


class ConflictBar(QFrame):
    """ "Someone else changed this" with Reload and Keep my entry."""

    def __init__(self, parent: QWidget | None = None, *, what: str = "the case") -> None:
        super().__init__(parent)
        self.setObjectName("conflictBar")
        self.setAccessibleName("Someone else changed this")
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        set_role(self.message, StyleRole.ERROR)
        self.reload = QPushButton("Reload")
        self.reload.setToolTip(f"Show {what} as it is now; what you typed stays in the form")
        self.keep = QPushButton("Keep my entry")
        self.keep.setToolTip("Hide this message; reload before saving again")
        layout = QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.reload)
        layout.addWidget(self.keep)
        self.keep.clicked.connect(self.hide)
        self.hide()

    def offer(self, exc: BaseException) -> None:
        """Show the conflict's sentence with the choice, Reload focused."""
        self.message.setText(str(exc))
        self.show()
        self.reload.setFocus(Qt.FocusReason.OtherFocusReason)
