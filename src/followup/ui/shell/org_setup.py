"""The organisation set-up an administrator is offered on first start: three short steps.

1. The letterhead (name, address, phone, email, logo): letters cannot be made without a phone.
2. The police force a referral takes when its file names none.
3. The services directory: the services workers refer people to.

Each step can be skipped; Save and continue stores that step (and says why when a value is
refused, keeping what was typed). Once the last step is passed, or the set-up is closed, it is
not offered again: every part stays editable in Letter templates, Services and the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import directory, team_rules
from followup.errors import FollowupError
from followup.letters.settings import check_logo, letterhead_version, set_letterhead
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.screens import fit_to_screen
from followup.vocab import SERVICE_TYPES, label

if TYPE_CHECKING:
    from collections.abc import Callable

    from followup.db.engine import Database

__all__ = ["STEPS", "OrgSetupDialog", "ask_logo_file", "setup_wanted"]

STEPS = ("Letterhead", "Police force", "Services")


def setup_wanted(db: Database, actor: Actor) -> bool:
    """Whether to offer the set-up now: to an administrator, on a database never set up."""
    if not actor.can("settings") or not actor.can("manage_services"):
        return False
    with db.session() as s:
        return team_rules.needs_organisation_setup(s) and letterhead_version(s) == 0


def ask_logo_file(parent: QWidget | None) -> Path | None:
    from followup.ui.letters.settings_view import ask_logo_file as ask

    return ask(parent)


class OrgSetupDialog(QDialog):
    """Letterhead, police force and services, one page each, each one skippable."""

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
        self._logo: bytes | None = None
        self.setWindowTitle("Followup — set up your organisation")

        self.step_label = QLabel("")
        set_role(self.step_label, StyleRole.HEADING)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._letterhead_page())
        self.pages.addWidget(self._force_page())
        self.pages.addWidget(self._services_page())
        self.message = InlineMessage()
        self.skip_button = QPushButton("S&kip this step")
        self.skip_button.clicked.connect(self.next_step)
        self.save_button = QPushButton("&Save and continue")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_step)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step_label)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.finished.connect(lambda _result: self._mark_done())
        self._show_step(0)
        fit_to_screen(self, 620, 560)
        self._load()

    # ------------------------------------------------------------------ pages

    def _letterhead_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Letters are printed on your letterhead. A letter to the person is discreet, so "
            "choose a name that says nothing about drugs or overdose (e.g. Community Support "
            "Team). Letters give the phone number, so one is needed before any can be made."
        )
        intro.setWordWrap(True)
        self.head_name = QLineEdit()
        self.head_name.setAccessibleName("Organisation name")
        self.head_address = QPlainTextEdit()
        self.head_address.setAccessibleName("Address")
        self.head_address.setTabChangesFocus(True)
        self.head_address.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self.head_phone = QLineEdit()
        self.head_phone.setAccessibleName("Phone")
        self.head_email = QLineEdit()
        self.head_email.setAccessibleName("Email")
        self.logo_button = QPushButton("Choose logo…")
        self.logo_button.clicked.connect(self.choose_logo)
        self.logo_label = QLabel("No logo (optional)")
        logo = QHBoxLayout()
        logo.addWidget(self.logo_button)
        logo.addWidget(self.logo_label, 1)
        form = QFormLayout()
        form.addRow("Organisation &name", self.head_name)
        form.addRow("&Address", self.head_address)
        form.addRow("&Phone", self.head_phone)
        form.addRow("&Email", self.head_email)
        form.addRow("Logo", logo)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _force_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Referral files from the police name their force on each row. When a file leaves "
            "it out, its referrals are taken to come from this force."
        )
        intro.setWordWrap(True)
        self.force = QLineEdit()
        self.force.setAccessibleName("Police force")
        self.force.setPlaceholderText("e.g. West Midlands Police")
        form = QFormLayout()
        form.addRow("Police &force", self.force)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _services_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "The services workers refer people to. Add the ones you work with now, or later "
            "under Services, where each one's address, secure email and how to refer are kept."
        )
        intro.setWordWrap(True)
        self.services = QListWidget()
        self.services.setAccessibleName("Services in the directory")
        self.service_name = QLineEdit()
        self.service_name.setAccessibleName("Service name")
        self.service_kind = QComboBox()
        self.service_kind.setAccessibleName("Kind of service")
        for value in SERVICE_TYPES:
            self.service_kind.addItem(label(value), value.value)
        self.service_phone = QLineEdit()
        self.service_phone.setAccessibleName("Service phone")
        self.add_service_button = QPushButton("&Add service")
        self.add_service_button.clicked.connect(self.add_service)
        form = QFormLayout()
        form.addRow("Service &name", self.service_name)
        form.addRow("&Kind", self.service_kind)
        form.addRow("P&hone", self.service_phone)
        form.addRow("", self.add_service_button)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.services, 1)
        layout.addLayout(form)
        return page

    # ------------------------------------------------------------------ flow

    @property
    def step(self) -> int:
        return self.pages.currentIndex()

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def _show_step(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.step_label.setText(f"Step {index + 1} of {len(STEPS)}: {STEPS[index]}")
        last = index == len(STEPS) - 1
        self.save_button.setText("&Finish" if last else "&Save and continue")
        self.skip_button.setVisible(not last)
        self.message.hide()

    def next_step(self) -> None:
        if self.step < len(STEPS) - 1:
            self._show_step(self.step + 1)
        else:
            self.accept()

    def _load(self) -> None:
        db = self._db

        def fetch() -> tuple[str, list[str]]:
            with db.session() as s:
                return team_rules.default_force(s), [
                    e.name for e in directory.directory(s, self._actor)
                ]

        def shown(found: tuple[str, list[str]]) -> None:
            force, names = found
            if not self.force.text():
                self.force.setText(force)
            self.services.clear()
            self.services.addItems(names)

        self._runner.run(fetch, shown, message_to(self.message.warn), name="set-up")

    def choose_logo(self) -> None:
        path = ask_logo_file(self)
        if path is None:
            return
        try:
            data = path.read_bytes()
            check_logo(data)
        except OSError:
            self.message.warn("The logo file could not be read; choose another file.")
            return
        except FollowupError as exc:
            self.message.warn(str(exc))
            return
        self._logo = data
        self.logo_label.setText(path.name)

    def save_step(self) -> None:
        db, actor = self._db, self._actor
        work: Callable[[], object]
        if self.step == 0:
            parts = {
                "name": self.head_name.text(),
                "address": self.head_address.toPlainText(),
                "phone": self.head_phone.text(),
                "email": self.head_email.text(),
            }
            logo = self._logo

            def work() -> object:
                with db.session(write=True) as s:
                    if not parts["phone"].strip():
                        raise FollowupError(
                            "Letters give your phone number: type one, or skip this step."
                        )
                    head = set_letterhead(
                        s,
                        actor,
                        name=parts["name"],
                        address=parts["address"],
                        phone=parts["phone"],
                        email=parts["email"],
                    )
                    if logo is not None:
                        head = set_letterhead(s, actor, logo=logo)
                    return head

        elif self.step == 1:
            force = self.force.text()

            def work() -> object:
                with db.session(write=True) as s:
                    team_rules.set_default_force(s, actor, force)
                return None

        else:
            self.accept()
            return
        self.save_button.setEnabled(False)
        self._runner.run(work, self._saved, message_to(self._refused), name="set-up step")

    def _saved(self, _: object) -> None:
        self.save_button.setEnabled(True)
        self.next_step()

    def _refused(self, message: str) -> None:
        self.save_button.setEnabled(True)
        self.message.warn(message)

    def add_service(self) -> None:
        db, actor = self._db, self._actor
        values = {
            "name": self.service_name.text(),
            "service_type": str(self.service_kind.currentData()),
            "phone": self.service_phone.text(),
        }

        def work() -> str:
            with db.session(write=True) as s:
                return directory.add_service(s, actor, **values).name

        def added(name: str) -> None:
            self.services.addItem(name)
            self.service_name.clear()
            self.service_phone.clear()
            self.message.confirm(f"{name} is in the directory.")
            self.service_name.setFocus(Qt.FocusReason.OtherFocusReason)

        self._runner.run(work, added, message_to(self.message.warn), name="add service")

    def _mark_done(self) -> None:
        db, actor = self._db, self._actor

        def work() -> None:
            with db.session(write=True) as s:
                team_rules.mark_setup_done(s, actor)

        self._runner.run(work, lambda _: None, message_to(self.message.warn), name="set-up done")
