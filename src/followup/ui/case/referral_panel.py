"""The police referrals behind a case, read only: incident, officer, doses, substances, notes.

Filled from ``cases.open_case`` (the summary that audits the opening as a view). Notes come
from police systems and are shown as plain text, never as markup.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from followup import vocab
from followup.casework.caseload import CaseSummary, ReferralSummary
from followup.ui.case.forms import plain_label
from followup.uktime import short_date_time

NOT_RECORDED = "Not recorded"


def yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("Yes" if value else "No")


def naloxone_text(r: ReferralSummary) -> str:
    if r.naloxone_doses is None:
        return r.naloxone_product or ""
    doses = "1 dose" if r.naloxone_doses == 1 else f"{r.naloxone_doses} doses"
    return f"{doses}, {r.naloxone_product}" if r.naloxone_product else doses


def incident_text(r: ReferralSummary) -> str:
    place = ", ".join(p for p in (r.incident_location, r.incident_postcode) if p)
    when = short_date_time(r.incident_at)
    return f"{when} at {place}" if place else when


def referral_rows(r: ReferralSummary) -> list[tuple[str, str]]:
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

    def show_summary(
        self, summary: CaseSummary, warnings: tuple[tuple[str, str], ...] = ()
    ) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for n, r in enumerate(summary.referrals, 1):
            title = "Police referral" if len(summary.referrals) == 1 else f"Police referral {n}"
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
            for label, value in referral_rows(r):
                form.addRow(label, _value(value))
            self._layout.insertWidget(self._layout.count() - 1, box)
        if warnings:
            box = QGroupBox("Left out at import")
            form = QFormLayout(box)
            for field, reason in warnings:
                form.addRow(vocab.label(field), _value(reason))
            self._layout.insertWidget(self._layout.count() - 1, box)

    def text(self) -> str:
        return "\n".join(label.text() for label in self.findChildren(QLabel))
