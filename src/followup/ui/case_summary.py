"""A read-only summary of one case: the person, the case, and each police referral.

The summary is loaded in the background through ``cases.open_case``, which checks that the
user may see the case and audits the view. All text is shown as plain text, never as markup,
since notes and descriptions come from outside.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from followup import cases, vocab
from followup.access import Actor
from followup.cases import CaseSummary, ReferralSummary
from followup.db.engine import Database
from followup.ui.caseload_model import OVERDUE_COLOUR, local_time
from followup.ui.tasks import TaskRunner

NOT_RECORDED = "Not recorded"


def load_summary(db: Database, actor: Actor, case_id: int) -> CaseSummary:
    with db.session() as s:
        return cases.open_case(s, actor, case_id)


def yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("Yes" if value else "No")


def uk_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def nhs_display(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def date_of_birth_text(summary: CaseSummary) -> str:
    if summary.date_of_birth is None:
        return ""
    age = f" (age {summary.age})" if summary.age is not None else ""
    return uk_date(summary.date_of_birth) + age


def address_text(summary: CaseSummary) -> str:
    if summary.no_fixed_abode:
        return "No fixed abode"
    return "\n".join(part for part in (summary.address, summary.postcode) if part)


def naloxone_text(r: ReferralSummary) -> str:
    if r.naloxone_doses is None:
        return r.naloxone_product or ""
    doses = "1 dose" if r.naloxone_doses == 1 else f"{r.naloxone_doses} doses"
    return f"{doses}, {r.naloxone_product}" if r.naloxone_product else doses


def incident_text(r: ReferralSummary) -> str:
    place = ", ".join(p for p in (r.incident_location, r.incident_postcode) if p)
    when = local_time(r.incident_at)
    return f"{when} at {place}" if place else when


def _value(text: str) -> QLabel:
    label = QLabel(text or NOT_RECORDED)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if not text:
        label.setEnabled(False)  # greyed: nothing recorded
    return label


def _form(title: str, rows: list[tuple[str, str]]) -> QGroupBox:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
    for label, value in rows:
        form.addRow(label, _value(value))
    return box


class CaseSummaryView(QWidget):
    """Shows one case, read only; says so plainly when it cannot be opened."""

    loaded = Signal(object)  # CaseSummary
    failed = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        case_id: int,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.case_id = case_id
        self.summary: CaseSummary | None = None
        self._runner = runner or TaskRunner(self)
        self.status = QLabel("Opening the case…")
        self.status.setWordWrap(True)
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self._scroll, 1)
        self._runner.run(
            lambda: load_summary(db, actor, case_id),
            self._show,
            self._fail,
            name="open case",
        )

    @property
    def title(self) -> str:
        return self.summary.person_name if self.summary else f"Case {self.case_id}"

    def text(self) -> str:
        """Everything on the page as plain text (for tests and screen readers)."""
        widget = self._scroll.widget()
        if widget is None:
            return self.status.text()
        return "\n".join(label.text() for label in widget.findChildren(QLabel))

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.status.setStyleSheet("color: #b00020;")
        self.failed.emit(message)

    def _show(self, summary: CaseSummary) -> None:
        self.summary = summary
        self.status.hide()
        page = QWidget()
        layout = QVBoxLayout(page)

        name = QLabel(summary.person_name)
        name.setTextFormat(Qt.TextFormat.PlainText)
        name.setWordWrap(True)
        font = name.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        name.setFont(font)
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(name)

        due = local_time(summary.next_action_due_at)
        due_label = _value(f"Overdue: {due}" if summary.overdue else due)
        if summary.overdue:
            due_label.setStyleSheet(f"color: {OVERDUE_COLOUR.name()}; font-weight: bold;")
        case_box = _form(
            f"Case {summary.id}",
            [
                ("Status", vocab.label(summary.status)),
                ("Worker", summary.worker or "Unassigned"),
                ("Referred", local_time(summary.referred_at)),
            ],
        )
        form = case_box.layout()
        assert isinstance(form, QFormLayout)
        form.addRow("Next action due", due_label)
        if summary.status == "closed":
            form.addRow("Closed", _value(local_time(summary.closed_at)))
            form.addRow("Closure reason", _value(vocab.label(summary.closure_reason)))
        layout.addWidget(case_box)

        person_rows = [
            ("Name", summary.person_name if not summary.person_name.startswith("Unnamed") else ""),
        ]
        if summary.description:
            person_rows.append(("Description", summary.description))
        person_rows += [
            ("Date of birth", date_of_birth_text(summary)),
            ("Gender", vocab.label(summary.gender)),
            ("NHS number", nhs_display(summary.nhs_number)),
            ("Address", address_text(summary)),
            ("Phone", summary.phone),
            ("Email", summary.email),
            ("GP practice", summary.gp_practice),
        ]
        layout.addWidget(_form("Person", person_rows))

        for n, r in enumerate(summary.referrals, 1):
            title = "Police referral" if len(summary.referrals) == 1 else f"Police referral {n}"
            layout.addWidget(
                _form(
                    title,
                    [
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
                        ("Received", local_time(r.received_at)),
                    ],
                )
            )
        layout.addStretch(1)
        self._scroll.setWidget(page)
        self.loaded.emit(summary)
