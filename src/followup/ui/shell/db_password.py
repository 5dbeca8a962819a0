"""The dialog asking for the team (PostgreSQL) database password, and where it will be kept.

Vorta's lesson: say which keyring holds the secret, and when there is none, say so plainly and
use the password for this session only, instead of letting it look like a wrong password.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from followup.settings import KeyringStatus
from followup.ui.widgets.look import StyleRole, set_role

__all__ = [
    "DatabasePasswordDialog",
    "PasswordRequest",
]


@dataclass(frozen=True)
class PasswordRequest:
    """What the password dialog tells the user."""

    database: str  # Database description, never with a password
    username: str
    keyring: KeyringStatus
    refused: bool  # a password was given and the server said no
    keyring_problem: str | None = None  # why a kept password could not be read (locked …)

    def explanation(self) -> str:
        ask = f"Type the password of the database user {self.username or '(none)'} on {self.database}."
        if self.refused:
            ask = "The server refused that password. " + ask
        return ask

    def keeping(self) -> str:
        if self.keyring_problem:
            return self.keyring_problem
        if self.keyring.usable:
            return (
                f"Followup will keep it in the system keyring ({self.keyring.backend}), "
                "so you are not asked again on this computer."
            )
        return (
            self.keyring.advice
            + " This time, the password is used for this session only and is not saved."
        )


class DatabasePasswordDialog(QDialog):
    def __init__(self, request: PasswordRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Followup — database password")
        self.setMinimumWidth(480)
        ask = QLabel(request.explanation())
        ask.setWordWrap(True)
        ask.setTextFormat(Qt.TextFormat.PlainText)
        if request.refused:
            set_role(ask, StyleRole.ERROR)
        self.keeping = QLabel(request.keeping())
        self.keeping.setWordWrap(True)
        self.keeping.setTextFormat(Qt.TextFormat.PlainText)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("Database password", self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(ask)
        layout.addLayout(form)
        layout.addWidget(self.keeping)
        layout.addWidget(buttons)
        self.password.setFocus()
