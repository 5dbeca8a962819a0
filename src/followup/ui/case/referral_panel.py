"""The police referrals behind a case, read only: incident, officer, doses, substances, notes.

Filled from the case's ``CaseDetail``, like every other part of the case view. Notes come
from police systems and are shown as plain text, never as markup.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from followup import vocab
from followup.casework.detail import CaseDetail, ReferralRow, WarningRow
from followup.ui.case.forms import plain_label
from followup.uktime import short_date_time

__all__ = [
    "NOT_RECORDED",
    "ReferralPanel",
    "incident_text",
    "naloxone_text",
    "referral_rows",
    "yes_no",
]

NOT_RECORDED = "Not recorded"


def yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("Yes" if value else "No")


def naloxone_text(r: ReferralRow) -> str:
    if r.naloxone_doses is None:
        return r.naloxone_product or ""
    doses = "1 dose" if r.naloxone_doses == 1 else f"{r.naloxone_doses} doses"
    return f"{doses}, {r.naloxone_product}" if r.naloxone_product else doses


def incident_text(r: ReferralRow) -> str:
    place = ", ".join(p for p in (r.incident_location, r.incident_postcode) if p)
    when = short_date_time(r.incident_at)
    return f"{when} at {place}" if place else when


def referral_rows(r: ReferralRow) -> list[tuple[str, str]]:
    return [
        ("Police reference", r.police_reference),
        ("Force", r.force),
        ("Incident", incident_text(r)),
        ("Officer", r.officer),
        ("Naloxone given", naloxone_text(r)),
        ("Ambulance called", yes_no(r.ambulance_called)),
        ("Conveyed to hospital", yes_no(r.conveyed_to_hospital)),
        ("Substances", r.substances),
        ("Agreed at scene to contact", vocab.label(r.consent_at_scene)),
        ("Notes", r.notes),
        ("Received", short_date_time(r.received_at)),
    ]


def _value(text: str) -> QLabel:
    label = plain_label(text or NOT_RECORDED)
    if not text:
        label.setEnabled(False)  # greyed: nothing recorded
    return label


class ReferralPanel(QWidget):
    """One group per police referral of the case, oldest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.addStretch(1)
        self._shown: tuple[tuple[ReferralRow, ...], tuple[WarningRow, ...]] | None = None

    def show_detail(self, detail: CaseDetail) -> None:
        shown = (detail.referrals, detail.warnings)
        if shown == self._shown:
            return  # the same as on screen (most saves change no referral): nothing to redo
        self._shown = shown
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)  # gone from text() now, not only once deleted
                widget.deleteLater()
        referrals = detail.referrals
        for n, r in enumerate(referrals, 1):
            title = "Police referral" if len(referrals) == 1 else f"Police referral {n}"
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
            for label, value in referral_rows(r):
                form.addRow(label, _value(value))
            self._layout.insertWidget(self._layout.count() - 1, box)
        if detail.warnings:
            box = QGroupBox("Left out at import")
            form = QFormLayout(box)
            for warning in detail.warnings:
                form.addRow(vocab.label(warning.field), _value(warning.reason))
            self._layout.insertWidget(self._layout.count() - 1, box)

    def text(self) -> str:
        return "\n".join(label.text() for label in self.findChildren(QLabel))
