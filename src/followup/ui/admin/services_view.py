"""The administrator's Services view: the directory of services people are referred to.

A list of every service (switched-off ones last, greyed) and, beside it, the chosen service's
details to change: name, kind, address, phone, secure email and how to refer. New service
starts an empty form; Save adds or changes it; Switch off keeps the service for the referrals
that name it but stops offering it. A refused save keeps what was typed and says why; a change
saved meanwhile by another administrator meets the conflict bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import directory
from followup.casework.directory import ServiceEntry
from followup.ui.tasks import TaskRunner, message_to, plain_message
from followup.ui.widgets.conflict import CONFLICTS, ConflictBar
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.vocab import SERVICE_TYPES, label

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["ServicesView"]


class ServicesView(QWidget):
    """The services directory, with a form for the chosen service."""

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
        self.services: list[ServiceEntry] = []
        self.current: ServiceEntry | None = None  # None: a new service
        self.loading = False

        title = QLabel("Services directory")
        set_role(title, StyleRole.HEADING)
        intro = QLabel(
            "The services workers refer people to. A service that closes is switched off: the "
            "referrals that name it keep it, and it is no longer offered."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Services")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.currentRowChanged.connect(self._chosen)

        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        self.name.setMaxLength(200)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of service")
        for value in SERVICE_TYPES:
            self.kind.addItem(label(value), value.value)
        self.address = QPlainTextEdit()
        self.address.setAccessibleName("Address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.phone = QLineEdit()
        self.phone.setAccessibleName("Phone")
        self.phone.setPlaceholderText("UK number")
        self.email = QLineEdit()
        self.email.setAccessibleName("Secure email")
        self.email.setPlaceholderText("For referrals, e.g. referrals@service.nhs.net")
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("How to refer")
        self.notes.setTabChangesFocus(True)
        self.state = QLabel("")
        self.form_title = QLabel("")
        set_role(self.form_title, StyleRole.HEADING)

        self.new_button = QPushButton("&New service")
        self.new_button.clicked.connect(self.new_service)
        self.save_button = QPushButton("&Save")
        self.save_button.clicked.connect(self.save)
        self.active_button = QPushButton("Switch &off")
        self.active_button.clicked.connect(self.toggle_active)
        self.message = InlineMessage()
        self.conflict = ConflictBar(what="the service")
        self.conflict.reload.clicked.connect(self.refresh)

        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Kind", self.kind)
        form.addRow("&Address", self.address)
        form.addRow("&Phone", self.phone)
        form.addRow("Secure &email", self.email)
        form.addRow("How to &refer", self.notes)
        form.addRow("", self.state)
        buttons = QHBoxLayout()
        buttons.addWidget(self.active_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        details = QGroupBox()
        inner = QVBoxLayout(details)
        inner.addWidget(self.form_title)
        inner.addLayout(form)
        inner.addLayout(buttons)
        inner.addWidget(self.conflict)
        inner.addWidget(self.message)
        inner.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.new_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(details)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        self.new_service()
        self.refresh()

    @property
    def busy(self) -> bool:
        return self._runner.busy

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        db, actor = self._db, self._actor

        def fetch() -> list[ServiceEntry]:
            with db.session() as s:
                return directory.directory(s, actor)

        self.loading = True
        self._runner.run(fetch, self._loaded, message_to(self._load_failed), name="services")

    def _loaded(self, services: list[ServiceEntry]) -> None:
        self.loading = False
        self.conflict.hide()
        keep = self.current.id if self.current is not None else None
        self.services = services
        self.list.blockSignals(True)
        self.list.clear()
        for entry in services:
            item = QListWidgetItem(entry.name if entry.active else f"{entry.name} (switched off)")
            if not entry.active:
                item.setForeground(self.palette().placeholderText())
            self.list.addItem(item)
        ids = [e.id for e in services]
        if keep in ids:
            # What the user typed stays; the fields they did not touch show the service now.
            self.list.setCurrentRow(ids.index(keep))
            before, now = self.current, services[ids.index(keep)]
            assert before is not None
            was, typed = _as_values(before), self._values()
            self._fill(now, only={k for k, v in typed.items() if v == was[k]})
            self.current = now
            self._update_state()
        self.list.blockSignals(False)

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self.message.warn(message)

    def choose(self, name: str) -> None:
        """Show the service called ``name`` (as a click in the list would)."""
        self.list.setCurrentRow([e.name for e in self.services].index(name))

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self.services):
            self._show(self.services[row])

    def _show(self, entry: ServiceEntry | None) -> None:
        self.current = entry
        self.message.hide()
        self.conflict.hide()
        self._fill(entry)
        self._update_state()

    def _fill(self, entry: ServiceEntry | None, only: set[str] | None = None) -> None:
        values = _as_values(entry)
        keys = set(values) if only is None else only
        setters: dict[str, Callable[[str], None]] = {
            "name": self.name.setText,
            "service_type": lambda v: self.kind.setCurrentIndex(max(0, self.kind.findData(v))),
            "address": self.address.setPlainText,
            "phone": self.phone.setText,
            "secure_email": self.email.setText,
            "referral_notes": self.notes.setPlainText,
        }
        for key in keys:
            setters[key](values[key])

    def _update_state(self) -> None:
        entry = self.current
        self.form_title.setText(entry.name if entry else "A new service")
        self.save_button.setText("&Save" if entry else "&Add service")
        self.active_button.setVisible(entry is not None)
        self.active_button.setText("Switch &on" if entry and not entry.active else "Switch &off")
        self.state.setText(
            ""
            if entry is None
            else "Offered to workers."
            if entry.active
            else "Switched off: no longer offered."
        )

    def new_service(self) -> None:
        self.list.clearSelection()
        self._show(None)
        self.name.setFocus()

    # ------------------------------------------------------------------ changes

    def _values(self) -> dict[str, str]:
        return {
            "name": self.name.text(),
            "service_type": str(self.kind.currentData()),
            "address": self.address.toPlainText(),
            "phone": self.phone.text(),
            "secure_email": self.email.text(),
            "referral_notes": self.notes.toPlainText(),
        }

    def save(self) -> None:
        db, actor, values, entry = self._db, self._actor, self._values(), self.current
        if entry is not None:  # only what the user changed: another's change stays
            was = _as_values(entry)
            values = {k: v for k, v in values.items() if v != was[k]}
        if entry is None:

            def work() -> ServiceEntry:
                with db.session(write=True) as s:
                    return directory.add_service(s, actor, **values)

            self._run(work, "Added to the directory; workers can refer to it now.")
        else:

            def work() -> ServiceEntry:
                with db.session(write=True) as s:
                    return directory.update_service(s, actor, entry.id, entry.version, **values)

            self._run(work, "Saved.")

    def toggle_active(self) -> None:
        entry = self.current
        if entry is None:
            return
        db, actor, active = self._db, self._actor, not entry.active

        def work() -> ServiceEntry:
            with db.session(write=True) as s:
                return directory.set_service_active(s, actor, entry.id, active, entry.version)

        self._run(
            work,
            "Switched on: workers can refer to it again."
            if active
            else "Switched off: no longer offered; referrals that name it keep it.",
        )

    def _run(self, work: Callable[[], ServiceEntry], done_text: str) -> None:
        def done(entry: ServiceEntry) -> None:
            self._show(entry)  # as stored: the phone as people write it, text trimmed
            self.message.confirm(done_text)
            self.refresh()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, CONFLICTS):
                self.message.hide()
                self.conflict.offer(exc)
            else:
                self.message.warn(plain_message(exc))

        self.message.hide()
        self._runner.run(work, done, failed, name="save service")


def _as_values(entry: ServiceEntry | None) -> dict[str, str]:
    """A service as the form shows it, in the shape ``ServicesView._values`` gives."""
    if entry is None:
        return {
            "name": "",
            "service_type": SERVICE_TYPES[0].value,
            "address": "",
            "phone": "",
            "secure_email": "",
            "referral_notes": "",
        }
    return {
        "name": entry.name,
        "service_type": entry.service_type,
        "address": entry.address,
        "phone": entry.phone,
        "secure_email": entry.secure_email,
        "referral_notes": entry.referral_notes,
    }
