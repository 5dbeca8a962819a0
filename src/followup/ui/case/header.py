"""The case header: a banner of who the person is (age and date of birth, NHS number, phone,
address or "No fixed abode", GP practice), the risk markers, the consents in force at a
glance, then status, worker and the next action due.

Overdue work is marked with an icon and the word "Overdue", not by colour alone. A repeat
overdose is the strongest risk marker there is, so it is named first. Every line wraps, so the
banner reads whole on a 1366 pixel wide screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStyle, QVBoxLayout, QWidget

from followup import vocab
from followup.casework.detail import CaseDetail
from followup.ui.case.forms import plain_label
from followup.ui.widgets.look import StyleRole, set_role
from followup.uktime import short_date, short_date_time

__all__ = [
    "CONSENT_SHORT",
    "CaseHeader",
    "consents_text",
    "due_text",
    "identity_text",
    "nhs_text",
    "overdoses_text",
    "risk_markers",
    "where_text",
]

# Each consent scope in a word or two, for the banner.
CONSENT_SHORT = {
    vocab.ConsentScope.CONTACT_PHONE: "Phone",
    vocab.ConsentScope.CONTACT_SMS: "Text",
    vocab.ConsentScope.CONTACT_LETTER: "Letter",
    vocab.ConsentScope.HOME_VISIT: "Home visit",
    vocab.ConsentScope.SHARE_WITH_TREATMENT: "Share with treatment",
    vocab.ConsentScope.SHARE_WITH_GP: "Share with GP",
    vocab.ConsentScope.NDTMS_REPORTING: "NDTMS",
}
SEP = "  ·  "


def nhs_text(number: str) -> str:
    """An NHS number as it is written, 3-3-4 ("943 476 5919")."""
    digits = number.replace(" ", "")
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return number


def identity_text(detail: CaseDetail) -> str:
    """Date of birth and age, NHS number and phone, each saying so when not known."""
    p = detail.person
    born = (
        f"Born {short_date(p.date_of_birth)} (age {p.age})"
        if p.date_of_birth and p.age is not None
        else "Date of birth not known"
    )
    nhs = f"NHS number {nhs_text(p.nhs_number)}" if p.nhs_number else "NHS number not known"
    phone = f"Phone {p.phone_display or p.phone}" if p.phone else "No phone on file"
    return SEP.join((born, nhs, phone))


def where_text(detail: CaseDetail) -> str:
    """The address (or "No fixed abode") and the GP practice."""
    p = detail.person
    if p.no_fixed_abode:
        where = "No fixed abode"
    else:
        lines = [x.strip() for x in p.address.replace("\n", ", ").split(",") if x.strip()]
        if p.postcode and p.postcode.replace(" ", "") not in "".join(lines).replace(" ", ""):
            lines.append(p.postcode)
        where = "Address: " + ", ".join(lines) if lines else "Address not known"
    gp_lines = [x.strip() for x in p.gp_practice.split("\n") if x.strip()]
    gp = f"GP: {gp_lines[0]}" if gp_lines else "GP not known"
    return SEP.join((where, gp))


def consents_text(detail: CaseDetail) -> str:
    """Each consent scope in force at a glance: given, refused, withdrawn, expired, not asked."""
    parts = []
    for scope, short in CONSENT_SHORT.items():
        state = detail.consents.get(scope)
        text = state.text.lower() if state is not None else "not asked"
        parts.append(f"{short}: {text}")
    return "Consent: " + SEP.join(parts)


def overdoses_text(detail: CaseDetail) -> str:
    """Overdoses (referrals for the person) and the last one's date."""
    n = detail.overdose_count
    if n == 0 or detail.last_overdose is None:
        return ""
    latest = short_date(detail.last_overdose)
    if n == 1:
        return f"1 overdose ({latest})"
    return f"Repeat overdose: {n}, latest {latest}"


def due_text(detail: CaseDetail) -> str:
    if detail.status == vocab.CaseStatus.CLOSED:
        reason = vocab.label(detail.closure_reason).lower()
        return f"Closed ({reason})" if reason else "Closed"
    if detail.next_action_due_at is None:
        return "No contact attempt due"
    when = short_date_time(detail.next_action_due_at)
    return f"Overdue: next action was due {when}" if detail.overdue else f"Next action due {when}"


def risk_markers(detail: CaseDetail) -> list[tuple[str, bool]]:
    """(text, serious) for each marker shown under the name."""
    markers: list[tuple[str, bool]] = []
    overdoses = overdoses_text(detail)
    if overdoses:
        markers.append((overdoses, len(detail.overdoses) > 1))
    if detail.person.no_fixed_abode:
        markers.append(("No fixed abode", True))
    kits = detail.kits_supplied
    if kits:
        expiry = detail.latest_kit_expiry
        text = f"Naloxone: {kits} kit{'s' if kits != 1 else ''}"
        markers.append((text + (f", latest expires {short_date(expiry)}" if expiry else ""), False))
    else:
        markers.append(("No naloxone kits yet", False))
    return markers


def _chip(text: str, serious: bool) -> QLabel:
    label = plain_label(text, selectable=False, wrap=False)
    set_role(label, StyleRole.CHIP_SERIOUS if serious else StyleRole.CHIP)
    return label


class CaseHeader(QWidget):
    """Name and status on top, then reference, worker and dates, then due time and risks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = plain_label("Opening the case…")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.name.setFont(font)
        self.status = plain_label(selectable=False, wrap=False)
        self.status.setAccessibleName("Status")
        self.identity = plain_label()
        self.identity.setAccessibleName("Date of birth, NHS number and phone")
        self.where = plain_label()
        self.where.setAccessibleName("Address and GP practice")
        self.consents = plain_label()
        self.consents.setAccessibleName("Consents in force")
        self.facts = plain_label()
        self.due_icon = QLabel()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.due_icon.setPixmap(icon.pixmap(QSize(18, 18)))
        self.due_icon.hide()
        self.due = plain_label(wrap=False)
        self.due.setAccessibleName("Next action due")
        self.markers = QHBoxLayout()
        self.markers.setSpacing(6)
        self._chips: list[QLabel] = []  # the risk markers shown

        top = QHBoxLayout()
        top.addWidget(self.name, 1)
        top.addWidget(self.status, 0, Qt.AlignmentFlag.AlignTop)
        due_row = QHBoxLayout()
        due_row.setSpacing(6)
        due_row.addWidget(self.due_icon)
        due_row.addWidget(self.due)
        due_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.identity)
        layout.addWidget(self.where)
        layout.addLayout(self.markers)
        layout.addWidget(self.consents)
        layout.addWidget(self.facts)
        layout.addLayout(due_row)

    def show_detail(self, detail: CaseDetail) -> None:
        self.name.setText(detail.person_name)
        self.status.setText(vocab.label(detail.status))
        closed = detail.status == vocab.CaseStatus.CLOSED
        set_role(self.status, StyleRole.STATUS_CLOSED if closed else StyleRole.STATUS)
        worker = detail.worker or "Unassigned"
        self.facts.setText(
            f"Police ref. {detail.police_reference}  ·  Case {detail.id}  ·  Worker: {worker}  ·  "
            f"Received {short_date_time(detail.referred_at)}"
        )
        self.identity.setText(identity_text(detail))
        self.where.setText(where_text(detail))
        self.consents.setText(consents_text(detail))
        self.due.setText(due_text(detail))
        self.due_icon.setVisible(detail.overdue)
        set_role(self.due, StyleRole.OVERDUE if detail.overdue else StyleRole.PLAIN)
        while self.markers.count():
            item = self.markers.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._chips = [_chip(text, serious) for text, serious in risk_markers(detail)]
        for chip in self._chips:
            self.markers.addWidget(chip)
        self.markers.addStretch(1)

    def text(self) -> str:
        """Everything in the header as plain text (for tests and screen readers)."""
        parts = [self.name.text(), self.status.text(), self.identity.text(), self.where.text()]
        parts += [chip.text() for chip in self._chips]
        parts += [self.consents.text(), self.facts.text(), self.due.text()]
        return "\n".join(parts)
