"""Sign-in and first-administrator dialogs.

Both check what they can at once and say what is wrong inline, in the dialog, so the user can
correct it and try again. The database work (scrypt hashing, audit rows) runs in the
background; the dialogs stay responsive and cannot be submitted twice meanwhile.

A user whose password an administrator reset signs in with the one-time password and then, in
the same dialog, chooses their own before any window opens (``choosing_password``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from followup import accounts
from followup.access import Actor
from followup.casework.team_rules import is_demo
from followup.errors import FollowupError
from followup.settings import keyring_status, remember_sign_in, remembered_sign_in
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.vocab import Role

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "RESET_TEXT",
    "FirstAdminDialog",
    "SignInDialog",
    "SignedIn",
    "create_first_admin",
    "sign_in_and_check_demo",
]


RESET_TEXT = (
    "An administrator has given you a one-time password. Choose your own now: at least "
    f"{accounts.MIN_PASSWORD_LENGTH} characters, and not a commonly used password (three random "
    "words put together make a good one)."
)


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    demo: bool


def choose_own_password(
    db: Database, signed: SignedIn, one_time: str, new: str, key_url: str, remember: bool
) -> SignedIn:
    """Replace a one-time password with the user's own (kept in the keyring if asked)."""
    from followup import user_admin  # on the pool thread, as sign-in is

    actor = user_admin.change_own_password(db, signed.actor, one_time, new)
    if remember:
        remember_sign_in(key_url, actor.username, new)
    return SignedIn(actor, signed.demo)


def sign_in_and_check_demo(
    db: Database, username: str, password: str, remember: bool | None = None
) -> SignedIn:
    """Check the password (audited either way) and read the demonstration-data flag.

    ``remember`` True keeps the name and password in the keyring for this database, False
    forgets whoever was kept, None (the idle lock) leaves the keyring alone.
    """
    from followup import startup  # on the pool thread: the first window need not wait for it

    key_url = db.url  # before a team server's sign-in makes it the user's own connection
    actor = startup.sign_in(db, username, password)
    if remember is not None:
        remember_sign_in(key_url, username, password if remember else None)
    with db.session() as s:
        demo = is_demo(s)
    return SignedIn(actor, demo)


def create_first_admin(db: Database, username: str, display_name: str, password: str) -> str:
    with db.session() as s:
        user = accounts.create_user(s, None, username, Role.ADMIN, password, display_name)
        return user.username


def _message_label() -> InlineMessage:
    label = InlineMessage()
    label.setObjectName("message")
    return label


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class _BusyDialog(QDialog):
    """A dialog whose OK button starts background work and shows its problems inline."""

    def __init__(
        self,
        db: Database | None,
        title: str,
        ok_text: str,
        runner: TaskRunner | None,
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.runner = runner or TaskRunner(self)
        self.message = _message_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def show_problem(self, message: str) -> None:
        self.message.warn(message)
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        # Nothing can be submitted before the database is open.
        self.ok_button.setEnabled(not busy and self._db is not None)

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class FirstAdminDialog(_BusyDialog):
    """Creates the first user of an empty database, who is always an administrator."""

    created = Signal(str)  # login name

    def __init__(
        self, db: Database | None, runner: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            db, "Followup — first administrator", "Create administrator", runner, parent
        )
        intro = QLabel(
            "This database has no users yet. Create the first administrator: they add the "
            "other users. Administrators do not see case data."
        )
        intro.setWordWrap(True)
        self.username = QLineEdit()
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("The name others see, e.g. Sam Taylor")
        self.password = _password_field()
        self.password_again = _password_field()
        self.password_rule = QLabel(
            f"At least {accounts.MIN_PASSWORD_LENGTH} characters, and not a commonly used "
            "password: three random words put together make a good one (the NCSC's advice)."
        )
        self.password_rule.setWordWrap(True)
        self.password_rule.setEnabled(False)
        form = QFormLayout()
        form.addRow("Login name", self.username)
        form.addRow("Display name", self.display_name)
        form.addRow("Password", self.password)
        form.addRow("", self.password_rule)
        form.addRow("Password again", self.password_again)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        username = self.username.text().strip()
        display_name = self.display_name.text().strip() or username
        password = self.password.text()
        try:
            accounts.validate_new_user(username, display_name, Role.ADMIN, password)
        except FollowupError as exc:
            self.show_problem(str(exc))
            return
        if password != self.password_again.text():
            self.show_problem("The two passwords differ; type the same password twice.")
            self.password_again.setFocus()
            return
        db = self._db
        if db is None:
            return  # the button is enabled only once the database is open
        self.set_busy(True)
        self.message.hide()
        self.runner.run(
            lambda: create_first_admin(db, username, display_name, password),
            self._done,
            message_to(self.show_problem),
            name="create first administrator",
        )

    def _done(self, username: str) -> None:
        self.created.emit(username)  # the next window opens before this one closes
        self.accept()


class SignInDialog(_BusyDialog):
    """Asks for a user name and password; a wrong one is said plainly and can be retried.

    The sentence comes from ``accounts.sign_in``: a wrong name and a wrong password get the
    same one, and a locked account is told until when and to ask an administrator."""

    signed_in = Signal(object)  # SignedIn

    def __init__(
        self,
        db: Database | None,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
        *,
        username: str = "",
        database: str = "",
    ) -> None:
        super().__init__(db, "Followup — sign in", "Sign in", runner, parent)
        where = QLabel(f"Database: {db.description if db else database}")
        where.setWordWrap(True)
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setEnabled(False)
        self.opening = QLabel("Opening the database…")
        self.opening.setEnabled(False)
        self.opening.setVisible(db is None)
        self.set_busy(False)
        self.username = QLineEdit(username)
        self.username.setAccessibleName("User name")
        self.password = _password_field()
        self.password.setAccessibleName("Password")
        self.remember = QCheckBox("Remember me on this computer")
        self.remember.setObjectName("remember")
        # The keyring is asked only once the database is open: finding its backend takes a
        # noticeable moment, which the first sight of this window should not wait for.
        self.remember.setEnabled(False)
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow("", self.remember)
        self.sign_in_part = QWidget()
        self.sign_in_part.setLayout(form)
        # Shown instead, after a sign-in with a one-time password.
        self.choosing_password = False
        self._signed: SignedIn | None = None
        self._one_time = ""
        self._key_url = ""
        self.reset_text = QLabel(RESET_TEXT)
        self.reset_text.setWordWrap(True)
        self.new_password = _password_field()
        self.new_password.setAccessibleName("New password")
        self.new_password_again = _password_field()
        self.new_password_again.setAccessibleName("New password again")
        choose = QFormLayout()
        choose.addRow(self.reset_text)
        choose.addRow("New password", self.new_password)
        choose.addRow("New password again", self.new_password_again)
        self.choose_part = QWidget()
        self.choose_part.setLayout(choose)
        self.choose_part.hide()
        layout = QVBoxLayout(self)
        title = QLabel("Sign in to Followup")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addWidget(self.sign_in_part)
        layout.addWidget(self.choose_part)
        layout.addWidget(self.message)
        layout.addWidget(self.opening)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()
        if db is not None:
            self._fill_remembered(db)

    def set_database(self, db: Database) -> None:
        """The database is open: signing in can go ahead (as whoever asked to be remembered)."""
        self._db = db
        self.opening.hide()
        self.set_busy(False)
        self._fill_remembered(db)

    def _fill_remembered(self, db: Database) -> None:
        keyring = keyring_status()
        self.remember.setEnabled(keyring.usable)
        self.remember.setToolTip(
            "Keeps your name and password in this computer's keyring, so that you need not "
            "type them; untick it to be forgotten. Use it only on a computer that is yours."
            if keyring.usable
            else keyring.advice
        )
        if not keyring.usable:
            return
        remembered = remembered_sign_in(db.url)
        if remembered is None:
            return
        name, password = remembered
        if self.username.text().strip() not in ("", name):
            return  # someone else is signing in
        self.username.setText(name)
        self.password.setText(password)
        self.remember.setChecked(True)
        self.ok_button.setFocus()

    def submit(self) -> None:
        if self.choosing_password:
            self._submit_new_password()
            return
        username = self.username.text().strip()
        password = self.password.text()
        if not username:
            self.show_problem("Type your user name.")
            self.username.setFocus()
            return
        if self._db is None:
            return
        self.set_busy(True)
        db = self._db
        remember = self.remember.isChecked()
        self._one_time, self._key_url = password, db.url
        self.runner.run(
            lambda: sign_in_and_check_demo(db, username, password, remember),
            self._done,
            message_to(self._failed),
            name="sign in",
        )

    def _failed(self, message: str) -> None:
        self.show_problem(message)
        self.password.clear()
        self.password.setFocus()

    def _done(self, result: SignedIn) -> None:
        self.message.hide()
        if result.actor.must_change_password:
            self._ask_for_own_password(result)
            return
        self.signed_in.emit(result)
        self.accept()

    def _ask_for_own_password(self, signed: SignedIn) -> None:
        self.choosing_password = True
        self._signed = signed
        self.setWindowTitle("Followup — choose your password")
        self.sign_in_part.hide()
        self.choose_part.show()
        self.ok_button.setText("Save password and sign in")
        self.set_busy(False)
        self.new_password.setFocus()

    def _submit_new_password(self) -> None:
        new = self.new_password.text()
        if new != self.new_password_again.text():
            self.show_problem("The two passwords differ; type the same password twice.")
            self.new_password_again.clear()
            self.new_password_again.setFocus()
            return
        db, signed = self._db, self._signed
        if db is None or signed is None:
            return
        self.set_busy(True)
        one_time, key_url, remember = self._one_time, self._key_url, self.remember.isChecked()
        self.runner.run(
            lambda: choose_own_password(db, signed, one_time, new, key_url, remember),
            self._chosen,
            message_to(self._choice_refused),
            name="choose own password",
        )

    def _choice_refused(self, message: str) -> None:
        self.show_problem(message)
        self.new_password.setFocus()

    def _chosen(self, result: SignedIn) -> None:
        self._one_time = ""
        self.message.hide()
        self.signed_in.emit(result)
        self.accept()
