"""Treatment: refer to a service from the directory, then record assessment, start and exit.

Referring needs an engaged case and consent to share with a treatment service in force; when
either is missing the form says which, instead of a greyed-out button with no explanation.
No service is chosen for the worker (the list starts empty and a choice is required), and the
assessment time starts empty: when booked, it must be in the future.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.casework import treatment
from followup.casework.detail import CaseDetail, TreatmentRow
from followup.casework.treatment import ServiceChoice
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
from followup.uktime import QT_DATE_FORMAT, now_utc, short_date, short_date_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.access import Actor

__all__ = [
    "ATTENDED",
    "NO_SERVICE",
    "TreatmentPanel",
    "attended_text",
    "referral_problem",
]

ATTENDED = (("Not recorded", None), ("Yes", True), ("No", False))
NO_SERVICE = "(choose a service)"


def referral_problem(detail: CaseDetail) -> str | None:
    """Why a treatment referral cannot be made now, as the service says it, or None."""
    blocked = edit_block_reason(detail)
    if blocked or detail.referral_problem is None:
        return blocked
    if not detail.consents[vocab.ConsentScope.SHARE_WITH_TREATMENT].in_force:
        return detail.referral_problem.rstrip(".") + "; record it under Consent first."
    return detail.referral_problem


def attended_text(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


class TreatmentPanel(CaseSection):
    """A referral form, the case's treatment referrals, and their progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._detail: CaseDetail | None = None
        self._services: list[ServiceChoice] = []

        self.service = QComboBox()
        self.service.setAccessibleName("Service")
        self.service_notes = plain_label()
        self.service_notes.setEnabled(False)
        self.referred_on = QDateEdit(uk_today_for_editor())
        self.referred_on.setDisplayFormat(QT_DATE_FORMAT)
        self.referred_on.setCalendarPopup(True)
        self.referred_on.setAccessibleName("Date referred")
        self.booked = OptionalDate("Assessment booked for", "Assessment booked for", with_time=True)
        self.refer = QPushButton("Refer to this service")
        self.refer_problem = InlineMessage()
        self.refer_message = InlineMessage()

        refer_box = QGroupBox("Refer to treatment")
        grid = form_grid()
        for row, (text, widget) in enumerate(
            (("&Service", self.service), ("Date &referred", self.referred_on))
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, row, 0)
            grid.addWidget(widget, row, 1)
        grid.addWidget(self.service_notes, 0, 2)
        grid.addWidget(self.booked, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        refer_layout = QVBoxLayout(refer_box)
        refer_layout.addLayout(grid)
        refer_layout.addWidget(self.refer_problem)
        refer_buttons = QHBoxLayout()
        refer_buttons.addWidget(self.refer)
        refer_buttons.addStretch(1)
        refer_layout.addLayout(refer_buttons)
        refer_layout.addWidget(self.refer_message)

        self.table = read_only_table(
            ("Service", "Referred", "Assessment", "Attended", "Started", "Left", "Exit reason"),
            "Treatment referrals",
        )
        for col, width in enumerate((210, 85, 120, 70, 85, 85)):
            self.table.setColumnWidth(col, width)
        self.table.setMaximumHeight(140)

        self.progress_box = QGroupBox("Progress of the selected referral")
        self.assessment = OptionalDate("Assessment booked for", "Assessment booked", with_time=True)
        self.attended = QComboBox()
        self.attended.setAccessibleName("Assessment attended")
        for text, value in ATTENDED:
            self.attended.addItem(text, value)
        self.started = OptionalDate("Treatment started on", "Treatment start date")
        self.exit_on = OptionalDate("Left treatment on", "Exit date")
        self.exit_reason = vocab_combo(vocab.TREATMENT_EXIT_REASONS, "Exit reason", blank="No exit")
        self.save_progress = QPushButton("Save progress")
        self.progress_message = InlineMessage()
        pgrid = form_grid()
        pgrid.addWidget(self.assessment, 0, 0, 1, 2)
        attended_label = QLabel("Assessment a&ttended")
        attended_label.setBuddy(self.attended)
        pgrid.addWidget(attended_label, 0, 2)
        pgrid.addWidget(self.attended, 0, 3)
        pgrid.addWidget(self.started, 1, 0, 1, 2)
        pgrid.addWidget(self.exit_on, 2, 0, 1, 2)
        exit_label = QLabel("E&xit reason")
        exit_label.setBuddy(self.exit_reason)
        pgrid.addWidget(exit_label, 2, 2)
        pgrid.addWidget(self.exit_reason, 2, 3)
        pgrid.setColumnStretch(3, 1)
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.addLayout(pgrid)
        progress_buttons = QHBoxLayout()
        progress_buttons.addWidget(self.save_progress)
        progress_buttons.addStretch(1)
        progress_layout.addLayout(progress_buttons)
        progress_layout.addWidget(self.progress_message)

        layout = QVBoxLayout(self)
        layout.addWidget(refer_box)
        self.count = plain_label(selectable=False)
        layout.addWidget(self.count)
        layout.addWidget(self.table)
        layout.addWidget(self.progress_box)
        layout.addStretch(1)

        self.service.currentIndexChanged.connect(self._service_changed)
        self.refer.clicked.connect(self.submit_referral)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.save_progress.clicked.connect(self.submit_progress)

    # ------------------------------------------------------------------ showing

    def set_services(self, services: list[ServiceChoice]) -> None:
        self._services = list(services)
        chosen = self.service.currentData()
        self.service.clear()
        self.service.addItem(NO_SERVICE, None)
        for s in self._services:
            self.service.addItem(f"{s.name} ({vocab.label(s.service_type).lower()})", s.id)
        if chosen is not None:
            select_data(self.service, chosen)
        self._update_availability()

    def show_detail(self, detail: CaseDetail) -> None:
        self._detail = detail
        selected = self.selected_treatment()
        n = len(detail.treatments)
        self.count.setText("No treatment referrals yet." if n == 0 else "Treatment referrals:")
        fill_table(
            self.table,
            (
                (
                    t.service,
                    short_date(t.referred_on),
                    short_date_time(t.assessment_booked_for),
                    attended_text(t.assessment_attended),
                    short_date(t.treatment_started_on),
                    short_date(t.exit_on),
                    vocab.label(t.exit_reason),
                )
                for t in detail.treatments
            ),
        )
        self.progress_box.setVisible(n > 0)
        if n:
            ids = [t.id for t in detail.treatments]
            row = ids.index(selected.id) if selected and selected.id in ids else n - 1
            self.table.selectRow(row)
            self._selection_changed()
        self._update_availability()

    def selected_treatment(self) -> TreatmentRow | None:
        if self._detail is None or not self._detail.treatments:
            return None
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        row = rows[0].row() if rows else len(self._detail.treatments) - 1
        return self._detail.treatments[row] if 0 <= row < len(self._detail.treatments) else None

    def _selection_changed(self) -> None:
        t = self.selected_treatment()
        if t is None:
            return
        self.assessment.set_value(t.assessment_booked_for)
        select_data(self.attended, t.assessment_attended)
        self.started.set_value(t.treatment_started_on)
        self.exit_on.set_value(t.exit_on)
        select_data(self.exit_reason, t.exit_reason)
        self.progress_message.clear_message()

    def _service_changed(self) -> None:
        sid = self.service.currentData()
        notes = next((s.referral_notes for s in self._services if s.id == sid), "")
        self.service_notes.setText(notes)

    def _update_availability(self) -> None:
        problem = self.refer_problem_text()
        self.refer_problem.warn(problem or "")
        self.refer.setEnabled(problem is None)
        blocked = edit_block_reason(self._detail) if self._detail else "The case is still loading."
        self.save_progress.setEnabled(blocked is None)

    def refer_problem_text(self) -> str | None:
        if self._detail is None:
            return "The case is still loading."
        problem = referral_problem(self._detail)
        if problem is None and not self._services:
            return "The services directory is empty; ask an administrator to add services."
        return problem

    # ------------------------------------------------------------------ saving

    def submit_referral(self) -> None:
        problem = self.refer_problem_text()
        if problem:
            self.refer_message.warn(problem)
            return
        service_id = self.service.currentData()
        if service_id is None:
            self.refer_message.warn("Choose the service you are referring the person to.")
            return
        referred_on = date_of(self.referred_on.date())
        chosen = self.booked.value()
        booked = chosen if isinstance(chosen, datetime) else None  # a date and time, or none
        if booked is not None and booked <= now_utc():
            self.refer_message.warn(
                "The assessment time has already passed; enter the time it is booked for, "
                "or untick Assessment booked for."
            )
            return

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            treatment.refer_to_treatment(
                s, actor, case_id, service_id, referred_on, version, assessment_booked_for=booked
            )

        self.request("refer to treatment", apply, self.refer_message, self._referred)

    def _referred(self) -> None:
        self.booked.set_value(None)
        self.refer_message.confirm("Referral recorded.")

    def submit_progress(self) -> None:
        t = self.selected_treatment()
        if t is None:
            return
        changes = {
            "assessment_booked_for": self.assessment.value(),
            "assessment_attended": self.attended.currentData(),
            "treatment_started_on": self.started.value(),
            "exit_on": self.exit_on.value(),
            "exit_reason": self.exit_reason.currentData(),
        }

        def apply(s: Session, actor: Actor, case_id: int, version: int) -> None:
            treatment.update_treatment(
                s, actor, t.id, version, treatment_version=t.version, **changes
            )

        self.request(
            "update treatment",
            apply,
            self.progress_message,
            lambda: self.progress_message.confirm("Progress saved."),
        )
