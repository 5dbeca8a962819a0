"""The correction dialog: amend a timeline entry, or mark it entered in error, with a reason.

The reason is required. An amendment starts from the entry's values as stored, in the same
kinds of field the case's forms use (vocabulary lists, date and time editors, a 1–10 quantity);
the service checks the corrected entry by the rules of a new one, and a refusal shows here, in
one sentence, with what was typed kept. Saving runs in the case view's background task, like
every other save; the dialog closes when it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework import corrections
from followup.casework.detail import TimelineEntry
from followup.ui.case.forms import CaseAction, OptionalDate, plain_label, select_data, vocab_combo
from followup.ui.widgets.dates import date_of, on_uk_clock, qdate_of, qdatetime_of, uk_time_of
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import QT_DATE_FORMAT, QT_DATE_TIME_FORMAT, to_uk

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = ["AMEND", "ENTERED_IN_ERROR", "CorrectionDialog"]

AMEND = "amend"
ENTERED_IN_ERROR = "entered_in_error"

Field = tuple[str, QWidget, Callable[[], Any]]


def _datetime_edit(name: str, value: datetime | None) -> QDateTimeEdit:
    edit = on_uk_clock(QDateTimeEdit())
    edit.setDisplayFormat(QT_DATE_TIME_FORMAT)
    edit.setCalendarPopup(True)
    edit.setAccessibleName(name)
    if value is not None:
        edit.setDateTime(qdatetime_of(to_uk(value).replace(tzinfo=None)))
    return edit


def _date_edit(name: str, value: date | None) -> QDateEdit:
    edit = QDateEdit()
    edit.setDisplayFormat(QT_DATE_FORMAT)
    edit.setCalendarPopup(True)
    edit.setAccessibleName(name)
    if value is not None:
        edit.setDate(qdate_of(value))
    return edit


def _combo(values: tuple[str, ...], name: str, value: Any, blank: str | None = None) -> QComboBox:
    combo = vocab_combo(values, name, blank=blank)
    select_data(combo, value)
    return combo


def _line(name: str, value: Any) -> QLineEdit:
    edit = QLineEdit("" if value is None else str(value))
    edit.setAccessibleName(name)
    return edit


def _optional(text: str, name: str, value: Any, *, with_time: bool = False) -> OptionalDate:
    edit = OptionalDate(text, name, with_time=with_time)
    edit.set_value(value)
    return edit


def _attended(value: bool | None) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName("Assessment attended")
    for text, data in (("Not recorded", None), ("Yes", True), ("No", False)):
        combo.addItem(text, data)
    select_data(combo, value)
    return combo


def amend_fields(entry: TimelineEntry) -> list[Field]:
    """The fields of an amendment of this entry: (label, widget, how to read its value)."""
    v = entry.values
    if entry.ref == "attempt":
        when = _datetime_edit("When", v.get("attempted_at"))
        method = _combo(vocab.CONTACT_METHODS, "Method", v.get("method"))
        outcome = _combo(vocab.CONTACT_OUTCOMES, "Outcome", v.get("outcome"))
        notes = _line("Note", v.get("notes"))
        return [
            ("attempted_at", when, lambda: uk_time_of(when.dateTime())),
            ("method", method, method.currentData),
            ("outcome", outcome, outcome.currentData),
            ("notes", notes, notes.text),
        ]
    if entry.ref == "consent":
        state = _combo(vocab.CONSENT_STATES, "Consent", v.get("state"))
        method = _combo(vocab.CONSENT_METHODS, "How it was recorded", v.get("method"))
        expires = _optional("Expires", "Expires on", v.get("expires_on"))
        evidence = _line("Evidence", v.get("evidence"))
        return [
            ("state", state, state.currentData),
            ("method", method, method.currentData),
            ("expires_on", expires, expires.value),
            ("evidence", evidence, evidence.text),
        ]
    if entry.ref == "treatment":
        referred = _date_edit("Referred on", v.get("referred_on"))
        booked = _optional(
            "Booked", "Assessment booked for", v.get("assessment_booked_for"), with_time=True
        )
        attended = _attended(v.get("assessment_attended"))
        started = _optional("Started", "Treatment started on", v.get("treatment_started_on"))
        left = _optional("Left", "Left treatment on", v.get("exit_on"))
        reason = _combo(
            vocab.TREATMENT_EXIT_REASONS, "Reason for leaving", v.get("exit_reason"), blank="—"
        )
        return [
            ("referred_on", referred, lambda: date_of(referred.date())),
            ("assessment_booked_for", booked, booked.value),
            ("assessment_attended", attended, attended.currentData),
            ("treatment_started_on", started, started.value),
            ("exit_on", left, left.value),
            ("exit_reason", reason, reason.currentData),
        ]
    if entry.ref == "naloxone":
        supplied = _date_edit("Supplied on", v.get("supplied_on"))
        kit = _combo(vocab.KIT_TYPES, "Kit type", v.get("kit_type"))
        quantity = QSpinBox()
        quantity.setRange(1, 10)
        quantity.setAccessibleName("Quantity")
        quantity.setValue(int(v.get("quantity") or 1))
        recipient = _combo(vocab.KIT_RECIPIENTS, "Given to", v.get("recipient"))
        supply = _combo(vocab.SUPPLY_TYPES, "New or resupply", v.get("supply_type"))
        resupply = _combo(
            vocab.RESUPPLY_REASONS, "Resupply reason", v.get("resupply_reason"), blank="—"
        )
        training = QCheckBox("Training given")
        training.setChecked(bool(v.get("training_given")))
        batch = _line("Batch number", v.get("batch_number"))
        expires = _optional("Expires", "Kit expires on", v.get("expires_on"))
        return [
            ("supplied_on", supplied, lambda: date_of(supplied.date())),
            ("kit_type", kit, kit.currentData),
            ("quantity", quantity, quantity.value),
            ("recipient", recipient, recipient.currentData),
            ("supply_type", supply, supply.currentData),
            ("resupply_reason", resupply, resupply.currentData),
            ("training_given", training, training.isChecked),
            ("batch_number", batch, batch.text),
            ("expires_on", expires, expires.value),
        ]
    if entry.ref == "note":
        text = QPlainTextEdit(str(v.get("text") or ""))
        text.setAccessibleName("Note")
        text.setTabChangesFocus(True)
        return [("text", text, text.toPlainText)]
    if entry.ref == "person":
        field, value = str(v.get("field")), v.get("value")
        name = field.replace("_", " ").capitalize()
        if field == "date_of_birth":
            born = _optional("Known", "Date of birth", value)
            return [("value", born, born.value)]
        if field == "no_fixed_abode":
            box = QCheckBox("No fixed abode")
            box.setChecked(bool(value))
            return [("value", box, box.isChecked)]
        if field == "gender":
            gender = _combo(vocab.GENDERS, "Gender", value, blank="Not recorded")
            return [("value", gender, gender.currentData)]
        line = _line(name, value)
        return [("value", line, line.text)]
    return []


LABELS = {
    "attempted_at": "&When",
    "method": "&Method",
    "outcome": "&Outcome",
    "notes": "&Note",
    "state": "&Consent",
    "expires_on": "E&xpires",
    "evidence": "&Evidence",
    "referred_on": "Re&ferred on",
    "assessment_booked_for": "&Assessment",
    "assessment_attended": "A&ttended",
    "treatment_started_on": "&Started",
    "exit_on": "&Left",
    "exit_reason": "Reason for lea&ving",
    "supplied_on": "&Supplied on",
    "kit_type": "&Kit",
    "quantity": "&Quantity",
    "recipient": "&Given to",
    "supply_type": "New or resu&pply",
    "resupply_reason": "Resupply reaso&n",
    "training_given": "",
    "batch_number": "&Batch",
    "text": "&Note",
    "value": "&Corrected value",
}


class CorrectionDialog(QDialog):
    """Amend an entry, or mark it entered in error; the reason is required."""

    def __init__(
        self,
        entry: TimelineEntry,
        mode: str,
        request: Callable[[CaseAction], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.entry, self.mode, self._request = entry, mode, request
        what = corrections.WHAT.get(entry.ref, "entry")
        amending = mode == AMEND
        self.setWindowTitle(f"Amend {what}" if amending else "Mark entered in error")
        self.fields = amend_fields(entry) if amending else []
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for the correction")
        self.reason.setPlaceholderText("Why is it being corrected? (required)")
        self.reason.setMaxLength(corrections.MAX_REASON)
        self.message = InlineMessage()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Save amendment" if amending else "Mark entered in error")
        layout = QVBoxLayout(self)
        intro = (
            "The entry stays in the record, struck through, with your reason; the corrected "
            "entry replaces it."
            if amending
            else "The entry stays in the record, struck through, with your reason, and no "
            "longer counts."
        )
        layout.addWidget(plain_label(f"{entry.text}"))
        layout.addWidget(plain_label(intro))
        form = QFormLayout()
        for key, widget, _ in self.fields:
            form.addRow(LABELS.get(key, key), widget)
        form.addRow("&Reason", self.reason)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._check)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)
        self._check()
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def _check(self) -> None:
        self.ok.setEnabled(bool(self.reason.text().strip()))

    def values(self) -> dict[str, Any]:
        """The amendment's fields as typed (only those that differ from the stored entry)."""
        out: dict[str, Any] = {}
        for key, _, read in self.fields:
            value = read()
            if isinstance(value, str):
                value = value.strip() or None
            stored = self.entry.values.get(key)
            # The editor holds no fraction of a second: an unchanged time keeps the stored one.
            if (
                isinstance(value, datetime)
                and isinstance(stored, datetime)
                and abs(value - stored) < timedelta(minutes=1)
                and value.minute == stored.minute
            ):
                continue
            if key == "text" or key == "value" or value != self.entry.values.get(key):
                out[key] = value
        return out

    def save(self) -> None:
        """Ask the case view to save; the dialog closes when it is done, or says why not."""
        reason = self.reason.text()
        if not reason.strip():
            self.message.warn("Say why the entry is being corrected.")
            return
        kind, entry_id = self.entry.ref, self.entry.ref_id
        assert entry_id is not None  # only correctable entries open this dialog
        self.message.clear_message()
        self.ok.setEnabled(False)
        if self.mode == AMEND:
            values = self.values()

            def apply(s: Session, actor: Actor, case_id: int, version: int) -> object:
                return corrections.amend(s, actor, case_id, version, kind, entry_id, reason, values)
        else:

            def apply(s: Session, actor: Actor, case_id: int, version: int) -> object:
                corrections.mark_entered_in_error(
                    s, actor, case_id, version, kind, entry_id, reason
                )
                return None

        self._request(CaseAction(f"correct {kind}", apply, self.accept, self._failed))

    def _failed(self, text: str) -> None:
        self.message.warn(text)
        self._check()
