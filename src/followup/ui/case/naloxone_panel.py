"""Take-home naloxone: record kits supplied, and see every kit and the latest expiry.

These are the service's own kits, recorded for the person; police doses given at the incident
stay on the referral.
"""

from __future__ import annotations

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
    vocab_combo,
)
from followup.ui.widgets.dates import date_of, uk_today_for_editor
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import QT_DATE_FORMAT, short_date, uk_today

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = [
    "NaloxonePanel",
    "kits_text",
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


class NaloxonePanel(CaseSection):
    """A supply form and the kits supplied to the person."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._blocked: str | None = None
        self.summary = plain_label()
        self.summary.setAccessibleName("Kits supplied")
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)

        self.supplied_on = QDateEdit(uk_today_for_editor())
        self.supplied_on.setDisplayFormat(QT_DATE_FORMAT)
        self.supplied_on.setCalendarPopup(True)
        self.supplied_on.setAccessibleName("Supplied on")
        self.kit_type = vocab_combo(vocab.KIT_TYPES, "Kit type")
        self.quantity = QSpinBox(minimum=1, maximum=10, value=1)
        self.quantity.setAccessibleName("Quantity")
        self.recipient = vocab_combo(vocab.KIT_RECIPIENTS, "Recipient")
        self.supply_type = vocab_combo(vocab.SUPPLY_TYPES, "New supply or resupply")
        self.resupply_reason = vocab_combo(
            vocab.RESUPPLY_REASONS, "Resupply reason", blank="(only for a resupply)"
        )
        self.training = QCheckBox("Training given")
        self.batch = QLineEdit(placeholderText="Batch number")
        self.batch.setAccessibleName("Batch number")
        self.expires = OptionalDate("Expires on", "Expiry date")
        self.save = QPushButton("Record supply")
        self.message = InlineMessage()
        self.blocked = InlineMessage()

        box = QGroupBox("Record a naloxone supply")
        grid = form_grid()
        fields = (
            ("Supplied &on", self.supplied_on),
            ("&Kit type", self.kit_type),
            ("&Quantity", self.quantity),
            ("&Recipient", self.recipient),
            ("Supp&ly", self.supply_type),
            ("Resupply reaso&n", self.resupply_reason),
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
        form.addWidget(self.message)

        self.table = read_only_table(
            ("Supplied", "Kit", "Qty", "Recipient", "Supply", "Training", "Batch", "Expires"),
            "Naloxone kits",
        )
        for col, width in enumerate((85, 80, 40, 80, 150, 70, 90)):
            self.table.setColumnWidth(col, width)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(box)
        layout.addWidget(self.table, 1)

        self.supply_type.currentIndexChanged.connect(self._supply_type_changed)
        self.save.clicked.connect(self.submit)
        self._supply_type_changed()

    def show_detail(self, detail: CaseDetail) -> None:
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
        self._supply_type_changed()
        self.summary.setText(kits_text(detail))
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

    def _supply_type_changed(self) -> None:
        resupply = self.supply_type.currentData() == vocab.SupplyType.RESUPPLY
        self.resupply_reason.setEnabled(resupply and self._blocked is None)
        if not resupply:
            self.resupply_reason.setCurrentIndex(0)
        elif self.resupply_reason.currentIndex() == 0:
            self.resupply_reason.setCurrentIndex(1)

    def submit(self) -> None:
        if self._blocked:
            self.message.warn(self._blocked)
            return
        values = {
            "supplied_on": date_of(self.supplied_on.date()),
            "kit_type": self.kit_type.currentData(),
            "quantity": self.quantity.value(),
            "recipient": self.recipient.currentData(),
            "supply_type": self.supply_type.currentData(),
            "resupply_reason": self.resupply_reason.currentData(),
            "training_given": self.training.isChecked(),
            "batch_number": self.batch.text(),
            "expires_on": self.expires.value(),
        }

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            treatment.record_naloxone_supply(s, actor, case_id, version, **values)

        self.request("record naloxone supply", apply, self.message, self._saved)

    def _saved(self) -> None:
        self.batch.clear()
        self.quantity.setValue(1)
        self.training.setChecked(False)
        self.expires.set_value(None)
        self.message.confirm("Supply recorded.")
