"""Take-home naloxone: record kits supplied, and see every kit and the latest expiry.

These are the service's own kits, recorded for the person; police doses given at the incident
stay on the referral. Nothing is recorded by accident: the quantity typed is checked (0 is
refused with a sentence, never changed to 1), the batch number and expiry are required, new or
resupply starts from the person's history (resupply once any kit was supplied), and a
confirmation names what will be recorded before anything is saved.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework import treatment
from followup.casework.detail import CaseDetail
from followup.ui.case.forms import (
    CaseSection,
    OptionalDate,
    edit_block_reason,
    fill_table,
    form_grid,
    plain_label,
    read_only_table,
    select_data,
    vocab_combo,
)
from followup.ui.widgets.dates import date_of, uk_today_for_editor
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import QT_DATE_FORMAT, short_date, uk_today

MAX_KITS = 10

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = [
    "MAX_KITS",
    "NaloxonePanel",
    "confirmation_text",
    "kits_text",
    "supply_problem",
]


def kits_text(detail: CaseDetail) -> str:
    """Kits supplied and the latest expiry, as the header and this section say it."""
    n = detail.kits_supplied
    if n == 0:
        return "No naloxone kits supplied yet."
    text = f"{n} naloxone kit{'s' if n != 1 else ''} supplied"
    expiry = detail.latest_kit_expiry
    if expiry:
        expired = " (expired: offer a resupply)" if expiry < uk_today() else ""
        text += f"; latest expires {short_date(expiry)}{expired}"
    return text + "."


def supply_problem(values: dict[str, object]) -> str | None:
    """Why the supply typed cannot be recorded, in one sentence, or None (the service checks
    the same again)."""
    quantity = values["quantity"]
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_KITS:
        return f"Quantity: a supply is 1 to {MAX_KITS} kits; {quantity} cannot be recorded."
    if values["supply_type"] == vocab.SupplyType.RESUPPLY and not values["resupply_reason"]:
        return "A resupply needs a reason: choose why the person needs another kit."
    if not str(values["batch_number"] or "").strip():
        return "Enter the batch number printed on the kit."
    expires = values["expires_on"]
    if expires is None:
        return "Enter the kit's expiry date (tick Expires on and set the date on the kit)."
    assert isinstance(expires, date)
    if expires < uk_today():
        return f"That kit expired on {short_date(expires)}; supply one that is in date."
    return None


def confirmation_text(values: dict[str, object], person: str) -> str:
    """What will be recorded, as the question asked before recording it."""
    n = values["quantity"]
    kit = vocab.label(str(values["kit_type"])).lower()
    expires = values["expires_on"]
    assert isinstance(expires, date)
    if values["supply_type"] == vocab.SupplyType.RESUPPLY:
        supply = f"resupply ({vocab.label(str(values['resupply_reason'])).lower()})"
    else:
        supply = "new supply"
    recipient = values["recipient"]
    given = (
        ""
        if recipient == vocab.KitRecipient.PERSON
        else f", given to {vocab.label(str(recipient)).lower()}"
    )
    return (
        f"Record {n} {kit} kit{'s' if n != 1 else ''}, batch {str(values['batch_number']).strip()}, "
        f"expiring {short_date(expires)}, {supply} for {person}{given}?"
    )


class NaloxonePanel(CaseSection):
    """A supply form and the kits supplied to the person."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._blocked: str | None = None
        self._detail: CaseDetail | None = None
        self._pending: dict[str, object] | None = None  # what the confirmation asks about
        self._supply_chosen = False  # the user chose new or resupply themselves
        self.summary = plain_label()
        self.summary.setAccessibleName("Kits supplied")
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        # "Offer a replacement kit (expires …)": the kit held is near or past expiry.
        self.replacement = InlineMessage()
        self.replacement.setAccessibleName("Replacement kit due")

        self.supplied_on = QDateEdit(uk_today_for_editor())
        self.supplied_on.setDisplayFormat(QT_DATE_FORMAT)
        self.supplied_on.setCalendarPopup(True)
        self.supplied_on.setAccessibleName("Supplied on")
        self.kit_type = vocab_combo(vocab.KIT_TYPES, "Kit type")
        # 0 may be typed (and is refused with a sentence): a minimum of 1 would turn it into 1.
        self.quantity = QSpinBox(minimum=0, maximum=99, value=1)
        self.quantity.setAccessibleName("Quantity")
        self.quantity.setToolTip(f"1 to {MAX_KITS} kits")
        self.recipient = vocab_combo(vocab.KIT_RECIPIENTS, "Recipient")
        self.supply_type = vocab_combo(vocab.SUPPLY_TYPES, "New supply or resupply")
        self.resupply_reason = vocab_combo(
            vocab.RESUPPLY_REASONS, "Resupply reason", blank="(choose for a resupply)"
        )
        self.training = QCheckBox("Training given")
        self.batch = QLineEdit(placeholderText="Batch number")
        self.batch.setAccessibleName("Batch number")
        self.expires = OptionalDate("Expires on", "Expiry date")
        self.save = QPushButton("Record supply")
        self.message = InlineMessage()
        self.confirm_box = QWidget()
        self.confirm_text = plain_label()
        self.confirm_text.setAccessibleName("What will be recorded")
        self.confirm_yes = QPushButton("Yes, record it")
        self.confirm_back = QPushButton("No, change it")
        confirm_buttons = QHBoxLayout()
        confirm_buttons.addWidget(self.confirm_yes)
        confirm_buttons.addWidget(self.confirm_back)
        confirm_buttons.addStretch(1)
        confirm_layout = QVBoxLayout(self.confirm_box)
        confirm_layout.setContentsMargins(0, 0, 0, 0)
        confirm_layout.addWidget(self.confirm_text)
        confirm_layout.addLayout(confirm_buttons)
        self.confirm_box.hide()
        self.blocked = InlineMessage()

        box = QGroupBox("Record a naloxone supply")
        grid = form_grid()
        fields = (
            ("Supplied &on", self.supplied_on),
            ("&Kit type", self.kit_type),
            ("&Quantity", self.quantity),
            ("&Recipient", self.recipient),
            ("Supp&ly", self.supply_type),
            ("Resupply rea&son", self.resupply_reason),
            ("&Batch", self.batch),
        )
        for i, (text, widget) in enumerate(fields):
            label = QLabel(text)
            label.setBuddy(widget)
            row, col = divmod(i, 2)
            grid.addWidget(label, row, col * 2)
            grid.addWidget(widget, row, col * 2 + 1)
        grid.addWidget(self.expires, 3, 2, 1, 2)
        grid.addWidget(self.training, 4, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addStretch(1)
        form = QVBoxLayout(box)
        form.addWidget(self.blocked)
        form.addLayout(grid)
        form.addLayout(buttons)
        form.addWidget(self.confirm_box)
        form.addWidget(self.message)

        self.table = read_only_table(
            ("Supplied", "Kit", "Qty", "Recipient", "Supply", "Training", "Batch", "Expires"),
            "Naloxone kits",
        )
        for col, width in enumerate((85, 80, 40, 80, 150, 70, 90)):
            self.table.setColumnWidth(col, width)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.replacement)
        layout.addWidget(box)
        layout.addWidget(self.table, 1)

        self.supply_type.currentIndexChanged.connect(self._supply_type_changed)
        self.supply_type.activated.connect(self._supply_chosen_by_user)
        self.save.clicked.connect(self.submit)
        self.confirm_yes.clicked.connect(self.record_confirmed)
        self.confirm_back.clicked.connect(self._withdraw_confirmation)
        # Any change after the question is asked withdraws it: it must name what is recorded.
        for signal in (
            self.supplied_on.dateChanged,
            self.kit_type.currentIndexChanged,
            self.quantity.valueChanged,
            self.recipient.currentIndexChanged,
            self.supply_type.currentIndexChanged,
            self.resupply_reason.currentIndexChanged,
            self.batch.textChanged,
            self.expires.changed,
        ):
            signal.connect(self._withdraw_confirmation)
        self._supply_type_changed()

    def show_detail(self, detail: CaseDetail) -> None:
        self._detail = detail
        self._blocked = edit_block_reason(detail)
        self.blocked.warn(self._blocked or "")
        for widget in (
            self.supplied_on,
            self.kit_type,
            self.quantity,
            self.recipient,
            self.supply_type,
            self.training,
            self.batch,
            self.expires,
            self.save,
        ):
            widget.setEnabled(self._blocked is None)
        if not self._supply_chosen:  # from the history: a resupply once any kit was given
            select_data(
                self.supply_type,
                vocab.SupplyType.RESUPPLY if detail.kits else vocab.SupplyType.NEW,
            )
        self._supply_type_changed()
        self.summary.setText(kits_text(detail))
        self.replacement.warn(detail.kit_prompt)
        fill_table(
            self.table,
            (
                (
                    short_date(k.supplied_on),
                    vocab.label(k.kit_type),
                    str(k.quantity),
                    vocab.label(k.recipient),
                    vocab.label(k.supply_type)
                    + (f": {vocab.label(k.resupply_reason).lower()}" if k.resupply_reason else ""),
                    "Yes" if k.training_given else "No",
                    k.batch_number,
                    short_date(k.expires_on),
                )
                for k in detail.kits
            ),
        )

    def _supply_chosen_by_user(self) -> None:
        self._supply_chosen = True

    def _supply_type_changed(self) -> None:
        resupply = self.supply_type.currentData() == vocab.SupplyType.RESUPPLY
        self.resupply_reason.setEnabled(resupply and self._blocked is None)
        if not resupply:
            self.resupply_reason.setCurrentIndex(0)

    def values(self) -> dict[str, object]:
        """The supply as typed."""
        return {
            "supplied_on": date_of(self.supplied_on.date()),
            "kit_type": self.kit_type.currentData(),
            "quantity": self.quantity.value(),
            "recipient": self.recipient.currentData(),
            "supply_type": self.supply_type.currentData(),
            "resupply_reason": self.resupply_reason.currentData(),
            "training_given": self.training.isChecked(),
            "batch_number": self.batch.text().strip(),
            "expires_on": self.expires.value(),
        }

    def submit(self) -> None:
        """Check what is typed, then ask, naming what will be recorded."""
        if self._blocked:
            self.message.warn(self._blocked)
            return
        values = self.values()
        problem = supply_problem(values)
        if problem:
            self._withdraw_confirmation()
            self.message.warn(problem)
            return
        self.message.clear_message()
        person = self._detail.person_name if self._detail else "this person"
        self.confirm_text.setText(confirmation_text(values, person))
        self._pending = values
        self.confirm_box.show()
        self.confirm_yes.setFocus()

    def _withdraw_confirmation(self) -> None:
        self._pending = None
        self.confirm_box.hide()

    def record_confirmed(self) -> None:
        values = self._pending
        if values is None:
            return
        self._withdraw_confirmation()

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            treatment.record_naloxone_supply(s, actor, case_id, version, **values)  # type: ignore[arg-type]

        self.request("record naloxone supply", apply, self.message, self._saved)

    def _saved(self) -> None:
        self.batch.clear()
        self.quantity.setValue(1)
        self.training.setChecked(False)
        self.expires.set_value(None)
        self._supply_chosen = False
        self._withdraw_confirmation()
        self.message.confirm("Supply recorded.")
