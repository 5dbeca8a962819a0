"""Person details: edit name, date of birth, NHS number, address, phone, email and GP practice.

The services validate (NHS number check digit, UK phone and postcode, date of birth) and say
what is wrong in a sentence shown under the form; what the user typed stays put. Details the
user is still editing are kept when the case reloads, and the fields they have not touched show
the new values. A save sends only the fields the user changed, with the person's version, so
that a change made through the person's other case is neither undone nor silently kept out.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework import people
from followup.casework.detail import CaseDetail, PersonDetails
from followup.ui.case.forms import (
    CaseSection,
    OptionalDate,
    edit_block_reason,
    select_data,
    vocab_combo,
)
from followup.ui.widgets.messages import InlineMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = [
    "TEXT_FIELDS",
    "PersonPanel",
    "nhs_display",
]

TEXT_FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("nhs_number", "NHS number"),
    ("postcode", "Postcode"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("gp_practice", "GP practice"),
)


def nhs_display(number: str | None) -> str:
    number = number or ""
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


class PersonPanel(CaseSection):
    """The person's details as an editable form with a Save and a Discard button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._detail: CaseDetail | None = None
        self._blocked: str | None = None
        self._filling = False
        self.dirty = False

        self.fields: dict[str, QLineEdit] = {}
        for key, name in TEXT_FIELDS:
            edit = QLineEdit()
            edit.setAccessibleName(name)
            edit.textEdited.connect(self._edited)
            self.fields[key] = edit
        self.fields["nhs_number"].setPlaceholderText("10 digits, e.g. 999 000 0018")
        self.fields["phone"].setPlaceholderText("UK number")
        self.description = QLineEdit(placeholderText="When the name is not known: appearance")
        self.description.setAccessibleName("Description")
        self.description.textEdited.connect(self._edited)
        self.date_of_birth = OptionalDate("Known", "Date of birth")
        self.date_of_birth.changed.connect(self._edited)
        self.gender = vocab_combo(vocab.GENDERS, "Gender", blank="Not recorded")
        self.gender.currentIndexChanged.connect(self._edited)
        self.address = QPlainTextEdit()
        self.address.setAccessibleName("Address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.address.textChanged.connect(self._edited)
        self.no_fixed_abode = QCheckBox("No fixed abode")
        self.no_fixed_abode.toggled.connect(self._edited)

        self.save = QPushButton("Save details")
        self.discard = QPushButton("Discard changes")
        self.message = InlineMessage()
        self.blocked = InlineMessage()

        box = QGroupBox("Person")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&First name", self.fields["first_name"])
        form.addRow("&Last name", self.fields["last_name"])
        form.addRow("&Description", self.description)
        form.addRow("Date of &birth", self.date_of_birth)
        form.addRow("&Gender", self.gender)
        form.addRow("NHS n&umber", self.fields["nhs_number"])
        form.addRow("&Address", self.address)
        form.addRow("&Postcode", self.fields["postcode"])
        form.addRow("", self.no_fixed_abode)
        form.addRow("P&hone", self.fields["phone"])
        form.addRow("&Email", self.fields["email"])
        form.addRow("GP &practice", self.fields["gp_practice"])
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addWidget(self.discard)
        buttons.addStretch(1)
        inner = QVBoxLayout(box)
        inner.addWidget(self.blocked)
        inner.addLayout(form)
        inner.addLayout(buttons)
        inner.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)

        self.save.clicked.connect(self.submit)
        self.discard.clicked.connect(self.discard_changes)
        self._set_dirty(False)

    def show_detail(self, detail: CaseDetail) -> None:
        before = self._detail
        self._detail = detail
        self._blocked = edit_block_reason(detail)
        self.blocked.warn(self._blocked or "")
        for widget in (
            *self.fields.values(),
            self.description,
            self.date_of_birth,
            self.gender,
            self.address,
            self.no_fixed_abode,
        ):
            widget.setEnabled(self._blocked is None)
        if not self.dirty or before is None:
            self._fill(detail.person)
        else:  # keep what the user typed; show the rest as it is now
            was = self._shown(before.person)
            typed = self.values()
            self._fill(detail.person, only={k for k, v in typed.items() if v == was[k]})
        self._set_dirty(self.dirty)

    @staticmethod
    def _shown(person: PersonDetails) -> dict[str, Any]:
        """The person as the form shows them, in the shape ``values`` gives."""
        return {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "nhs_number": nhs_display(person.nhs_number),
            "postcode": person.postcode,
            "phone": person.phone_display or person.phone,
            "email": person.email,
            "gp_practice": person.gp_practice,
            "description": person.description,
            "date_of_birth": person.date_of_birth,
            "gender": person.gender,
            "address": person.address,
            "no_fixed_abode": person.no_fixed_abode,
        }

    def _fill(self, person: PersonDetails, only: set[str] | None = None) -> None:
        shown = self._shown(person)
        keys = set(shown) if only is None else only
        self._filling = True
        try:
            for key, edit in self.fields.items():
                if key in keys:
                    edit.setText(shown[key])
            if "description" in keys:
                self.description.setText(shown["description"])
            if "date_of_birth" in keys:
                self.date_of_birth.set_value(shown["date_of_birth"])
            if "gender" in keys:
                select_data(self.gender, shown["gender"])
            if "address" in keys:
                self.address.setPlainText(shown["address"])
            if "no_fixed_abode" in keys:
                self.no_fixed_abode.setChecked(shown["no_fixed_abode"])
        finally:
            self._filling = False

    def _edited(self) -> None:
        if not self._filling:
            self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.save.setEnabled(dirty and self._blocked is None)
        self.discard.setEnabled(dirty)

    def values(self) -> dict[str, Any]:
        """What the form says, in the fields ``people.update_person`` takes."""
        dob = self.date_of_birth.value()
        out: dict[str, Any] = {key: edit.text() for key, edit in self.fields.items()}
        out.update(
            description=self.description.text(),
            date_of_birth=dob if isinstance(dob, date) else None,
            gender=self.gender.currentData(),
            address=self.address.toPlainText(),
            no_fixed_abode=self.no_fixed_abode.isChecked(),
        )
        return out

    def text(self) -> str:
        """The details as shown in the form (for tests and screen readers)."""
        lines = [f"{edit.accessibleName()}: {edit.text()}" for edit in self.fields.values()]
        lines += [
            f"Description: {self.description.text()}",
            f"Address: {self.address.toPlainText()}",
        ]
        if self.no_fixed_abode.isChecked():
            lines.append("No fixed abode")
        return "\n".join(lines)

    def discard_changes(self) -> None:
        self._set_dirty(False)
        self.message.clear_message()
        if self._detail is not None:
            self._fill(self._detail.person)

    def submit(self) -> None:
        if self._blocked:
            self.message.warn(self._blocked)
            return
        values = self.values()
        seen: int | None = None
        if self._detail is not None:
            # Only what the user changed, with the person's own version: their details are
            # shared with their other cases.
            was = self._shown(self._detail.person)
            values = {k: v for k, v in values.items() if v != was[k]}
            seen = self._detail.person.version

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            people.update_person(s, actor, case_id, version, values, person_version=seen)

        self.request("update person", apply, self.message, self._saved)

    def _saved(self) -> None:
        self._set_dirty(False)
        self.message.confirm("Details saved.")
