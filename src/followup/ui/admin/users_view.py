"""The administrator's Users view: every account, and each change an administrator makes.

The list shows login name, name, role, whether the account is on, the last sign-in and what
needs attention (locked until when, a one-time password not yet replaced). Add user…, Change
role…, Switch off / Switch on, Reset password… and Unlock act on the chosen user through
``followup.user_admin``, the same service as ``followup users`` on the command line, on SQLite
or on a team server. Each change is made with the version of the account the list showed: when
another administrator changed it meanwhile, the conflict bar says so and Reload shows it as it
is now. A dialog stays open with what was typed when the change is refused (a short password, a
name already taken), and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup import user_admin
from followup.access import Actor
from followup.accounts import MIN_PASSWORD_LENGTH, UserSummary
from followup.errors import FollowupError
from followup.passwords import check_new_password
from followup.ui.tasks import TaskRunner, message_to, plain_message
from followup.ui.widgets.conflict import CONFLICTS, ConflictBar
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import DATE_TIME_FORMAT, to_uk
from followup.vocab import ROLES, label

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "COLUMNS",
    "ONE_TIME_RULE",
    "PASSWORD_RULE",
    "PasswordDialog",
    "RoleDialog",
    "UserDialog",
    "UsersView",
    "confirm_switch_off",
]

COLUMNS = ("Login name", "Name", "Role", "Account", "Last sign-in", "Needs attention")
PASSWORD_RULE = (
    f"At least {MIN_PASSWORD_LENGTH} characters, and not a commonly used password: three random "
    "words put together make a good one. Pass it on privately."
)
ONE_TIME_RULE = PASSWORD_RULE + " The user chooses their own when they next sign in."


def confirm_switch_off(parent: QWidget | None, user: UserSummary) -> bool:
    """Ask before switching an account off (tests replace this)."""
    answer = QMessageBox.question(
        parent,
        "Switch this account off?",
        f"{user.display_name} ({user.username}) will no longer be able to sign in. Their cases "
        "stay as they are; a lead can reassign them. Switch the account off?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


def _role_combo(current: str | None = None) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName("Role")
    for role in ROLES:
        combo.addItem(label(role), role.value)
    if current is not None:
        combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


class _ChangeDialog(QDialog):
    """A dialog whose OK runs the change in the background; refused, it stays open and says why.

    ``submit`` is given the change to run (on a pool thread); the view supplies ``run``.
    """

    def __init__(self, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.message = InlineMessage()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.run: Callable[[Callable[[], None], _ChangeDialog], None] | None = None
        self.done_text = ""  # what the view says once the change is made

    def change(self) -> Callable[[], None] | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def submit(self) -> None:
        try:
            work = self.change()
        except FollowupError as exc:
            self.refuse(str(exc))
            return
        if work is not None and self.run is not None:
            self.ok_button.setEnabled(False)
            self.message.hide()
            self.run(work, self)

    def refuse(self, message: str) -> None:
        self.ok_button.setEnabled(True)
        self.message.warn(message)

    def _check_passwords(self, first: QLineEdit, again: QLineEdit) -> str:
        password = first.text()
        check_new_password(password)
        if password != again.text():
            again.clear()
            again.setFocus()
            raise FollowupError("The two passwords differ; type the same password twice.")
        return password


class UserDialog(_ChangeDialog):
    """Add a user: login name, name, role and a first password."""

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__("Add a user", "Add user", parent)
        self._db, self._actor = db, actor
        self.username = QLineEdit()
        self.username.setAccessibleName("Login name")
        self.username.setMaxLength(64)
        self.username.setPlaceholderText("No spaces, e.g. sam.taylor")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName("Name")
        self.display_name.setMaxLength(120)
        self.display_name.setPlaceholderText("The name others see, e.g. Sam Taylor")
        self.role = _role_combo("worker")
        self.password = _password_field("Password")
        self.password_again = _password_field("Password again")
        rule = QLabel(PASSWORD_RULE)
        rule.setWordWrap(True)
        set_role(rule, StyleRole.CAUTION)
        form = QFormLayout()
        form.addRow("&Login name", self.username)
        form.addRow("&Name", self.display_name)
        form.addRow("&Role", self.role)
        form.addRow("&Password", self.password)
        form.addRow("Password &again", self.password_again)
        form.addRow(rule)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def change(self) -> Callable[[], None]:
        from followup.accounts import validate_new_user

        name = self.username.text().strip()
        display = self.display_name.text().strip() or name
        role = str(self.role.currentData())
        validate_new_user(name, display, role, self.password.text(), policy=False)
        password = self._check_passwords(self.password, self.password_again)
        db, actor = self._db, self._actor
        self.done_text = (
            f"Added {name} as a {label(role).lower()}. Pass their password on to them privately."
        )
        return lambda: user_admin.add_user(db, actor, name, role, password, display)


class RoleDialog(_ChangeDialog):
    """Give the chosen user another role."""

    def __init__(self, db: Database, actor: Actor, user: UserSummary, parent=None) -> None:
        super().__init__(f"Change {user.username}'s role", "Change role", parent)
        self._db, self._actor, self._user = db, actor, user
        self.role = _role_combo(user.role)
        form = QFormLayout()
        form.addRow(
            QLabel(f"{user.display_name} ({user.username}): {label(user.role).lower()} now.")
        )
        form.addRow("New &role", self.role)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def change(self) -> Callable[[], None] | None:
        role = str(self.role.currentData())
        if role == self._user.role:
            raise FollowupError(
                f"{self._user.username}'s role is {label(role).lower()} already; choose another."
            )
        db, actor, user = self._db, self._actor, self._user
        self.done_text = f"{user.username}'s role is now {label(role).lower()}."
        return lambda: user_admin.set_role(db, actor, user.username, role, user.version)


class PasswordDialog(_ChangeDialog):
    """A one-time password for the chosen user, which they replace at their next sign-in."""

    def __init__(self, db: Database, actor: Actor, user: UserSummary, parent=None) -> None:
        super().__init__(f"Reset {user.username}'s password", "Reset password", parent)
        self._db, self._actor, self._user = db, actor, user
        self.password = _password_field("One-time password")
        self.password_again = _password_field("One-time password again")
        rule = QLabel(ONE_TIME_RULE)
        rule.setWordWrap(True)
        set_role(rule, StyleRole.CAUTION)
        form = QFormLayout()
        form.addRow(QLabel(f"A one-time password for {user.display_name} ({user.username})."))
        form.addRow("One-time &password", self.password)
        form.addRow("Password &again", self.password_again)
        form.addRow(rule)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def change(self) -> Callable[[], None]:
        password = self._check_passwords(self.password, self.password_again)
        db, actor, user = self._db, self._actor, self._user
        self.done_text = (
            f"{user.username} has a one-time password; pass it on to them privately. They "
            "choose their own when they next sign in."
        )
        return lambda: user_admin.reset_password(db, actor, user.username, password, user.version)


def _attention(user: UserSummary) -> str:
    notes = []
    if user.locked_until is not None:
        notes.append(f"Locked until {to_uk(user.locked_until).strftime(DATE_TIME_FORMAT)}")
    if user.password_must_change:
        notes.append("Has a one-time password")
    return "; ".join(notes)


class UsersView(QWidget):
    """Every account, with the changes an administrator makes to them."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner or TaskRunner(self)
        self.users: list[UserSummary] = []
        self.loading = False
        self.dialog: _ChangeDialog | None = None

        title = QLabel("Users")
        set_role(title, StyleRole.HEADING)
        intro = QLabel(
            "Everyone who signs in to Followup. Workers see their own cases and the inbox; team "
            "leads see every case and the reports; administrators manage users, letters and "
            "settings and see no case data."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Users")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton("&Add user…")
        self.add_button.clicked.connect(self.add_user)
        self.role_button = QPushButton("Change &role…")
        self.role_button.clicked.connect(self.change_role)
        self.active_button = QPushButton("Switch &off")
        self.active_button.clicked.connect(self.toggle_active)
        self.password_button = QPushButton("Reset &password…")
        self.password_button.clicked.connect(self.reset_password)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.clicked.connect(self.unlock)
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        for button in (
            self.add_button,
            self.role_button,
            self.active_button,
            self.password_button,
            self.unlock_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.message = InlineMessage()
        self.conflict = ConflictBar(what="the users")
        self.conflict.reload.clicked.connect(self.refresh)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.conflict)
        layout.addWidget(self.message)
        self._update_buttons()
        self.refresh()

    @property
    def busy(self) -> bool:
        """Whether a load or a change is still running in the background."""
        return self._runner.busy

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        db, actor = self._db, self._actor
        self.loading = True
        self._runner.run(
            lambda: user_admin.list_users(db, actor),
            self._loaded,
            message_to(self._load_failed),
            name="users",
        )

    def _loaded(self, users: list[UserSummary]) -> None:
        chosen = self.selected()
        self.loading = False
        self.conflict.hide()
        self.users = users
        self.table.setRowCount(len(users))
        for row, user in enumerate(users):
            last = user.last_sign_in_at
            values = (
                user.username,
                user.display_name,
                label(user.role),
                "On" if user.active else "Switched off",
                to_uk(last).strftime(DATE_TIME_FORMAT) if last else "Never",
                _attention(user),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 3 and not user.active:
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(row, column, item)
        names = [u.username for u in users]
        if chosen is not None and chosen.username in names:
            self.table.selectRow(names.index(chosen.username))
        self._update_buttons()

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self.message.warn(message)

    def selected(self) -> UserSummary | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.users):
            return None
        return self.users[rows[0].row()]

    def choose(self, username: str) -> None:
        """Select ``username``'s row (as a click would)."""
        names = [u.username for u in self.users]
        self.table.selectRow(names.index(username))

    def _update_buttons(self) -> None:
        user = self.selected()
        for button in (self.role_button, self.active_button, self.password_button):
            button.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and user.locked_until is not None)
        self.active_button.setText("Switch &on" if user and not user.active else "Switch &off")

    # ------------------------------------------------------------------ changes

    def _open(self, dialog: _ChangeDialog) -> None:
        dialog.run = self._run_in_dialog
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: _ChangeDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _run_in_dialog(self, work: Callable[[], None], dialog: _ChangeDialog) -> None:
        def done(_: object) -> None:
            dialog.accept()
            self.message.confirm(dialog.done_text)
            self.refresh()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, CONFLICTS):
                dialog.reject()
                self.conflict.offer(exc)
            else:
                dialog.refuse(plain_message(exc))

        self._runner.run(work, done, failed, name="change user")

    def add_user(self) -> None:
        self._open(UserDialog(self._db, self._actor, self))

    def change_role(self) -> None:
        user = self.selected()
        if user is not None:
            self._open(RoleDialog(self._db, self._actor, user, self))

    def reset_password(self) -> None:
        user = self.selected()
        if user is not None:
            self._open(PasswordDialog(self._db, self._actor, user, self))

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None:
            return
        if user.active and not confirm_switch_off(self, user):
            return
        db, actor, active = self._db, self._actor, not user.active
        done = (
            f"{user.username} is switched on and can sign in."
            if active
            else f"{user.username} is switched off and can no longer sign in."
        )
        self._change(
            lambda: user_admin.set_active(db, actor, user.username, active, user.version), done
        )

    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        db, actor = self._db, self._actor
        self._change(
            lambda: user_admin.unlock(db, actor, user.username, user.version),
            f"{user.username} is unlocked and can sign in.",
        )

    def _change(self, work: Callable[[], None], done_text: str) -> None:
        def done(_: object) -> None:
            self.message.confirm(done_text)
            self.refresh()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, CONFLICTS):
                self.conflict.offer(exc)
            else:
                self.message.warn(plain_message(exc))

        self.message.hide()
        self._runner.run(work, done, failed, name="change user")
