"""The "New letter" dialog for one case: choose a template, preview it, save it to the case.

Templates whose consent is not in force are listed with the reason, not silently greyed out.
Preview draws the letter without storing it; Save to case stores it (``letters.create_letter``,
audited) and shows the stored PDF, which can then be printed or saved as a file. All the
database and PDF work runs in the background; refusals are shown as the service's sentence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from followup import vocab
from followup.access import Actor
from followup.letters.making import LetterRecord, LetterRequest, create_letter, preview_letter
from followup.ui.letters.choices import LetterCase, load_letter_case
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.dates import on_uk_clock, qdatetime_of, wall_clock_of
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.pdf_preview import PdfPreview
from followup.ui.widgets.screens import fit_to_screen
from followup.uktime import QT_LONG_DATE_TIME_FORMAT, now_utc, to_uk

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["MAX_NOTE_CHARS", "NewLetterDialog", "next_working_morning"]

MAX_NOTE_CHARS = 1000


def next_working_morning(now: datetime | None = None) -> datetime:
    """10:00 UK time on the next weekday: a sensible first guess for an appointment (naive)."""
    day = (now or to_uk(now_utc()).replace(tzinfo=None)) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


class NewLetterDialog(QDialog):
    """Template, appointment details and note on the left; the letter on the right."""

    letter_saved = Signal(int)  # the stored letter's id
    printed = Signal(str)  # a stored letter was printed or saved as a file

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
        self._db = db
        self._actor = actor
        self.case_id = case_id
        self._runner = runner or TaskRunner(self)
        self._busy = False
        self._loaded = False
        self._saved_request: LetterRequest | None = None
        self.setWindowTitle("New letter")

        self.template_group = QButtonGroup(self)
        self.template_buttons: dict[str, QRadioButton] = {}
        self.reasons: dict[str, QLabel] = {}
        self.templates_box = QGroupBox("Letter")
        self.templates_layout = QVBoxLayout(self.templates_box)
        self.loading = QLabel("Reading the case…")
        self.templates_layout.addWidget(self.loading)

        self.appointment_box = QGroupBox("Appointment")
        self.appointment_time = on_uk_clock(QDateTimeEdit())
        self.appointment_time.setDateTime(qdatetime_of(next_working_morning()))
        self.appointment_time.setCalendarPopup(True)
        self.appointment_time.setDisplayFormat(QT_LONG_DATE_TIME_FORMAT)
        self.appointment_time.setAccessibleName("Appointment time")
        self.appointment_place = QLineEdit()
        self.appointment_place.setPlaceholderText("e.g. The Community Centre, 3 High Street")
        self.appointment_place.setMaxLength(300)
        self.appointment_place.setAccessibleName("Appointment place")
        form = QFormLayout(self.appointment_box)
        form.addRow("Time", self.appointment_time)
        form.addRow("Place", self.appointment_place)
        self.appointment_box.hide()

        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Optional: a sentence of your own for this letter")
        self.note.setAccessibleName("Note")
        self.note.setMaximumHeight(90)
        note_label = QLabel("Note (optional)")

        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("See the letter before it is kept; nothing is stored")
        self.preview_button.clicked.connect(self.make_preview)
        self.save_button = QPushButton("Save to case")
        self.save_button.setToolTip("Keep the letter with the case, ready to print")
        self.save_button.clicked.connect(self.save_letter)
        self.message = InlineMessage()
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.templates_box)
        left_layout.addWidget(self.appointment_box)
        left_layout.addWidget(note_label)
        left_layout.addWidget(self.note)
        left_layout.addWidget(self.message)
        left_layout.addStretch(1)
        left_layout.addLayout(buttons)
        left.setMinimumWidth(360)

        self.preview = PdfPreview(db, actor, self, runner=self._runner)
        self.preview.recorded.connect(self.printed)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 560])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        fit_to_screen(self, 1000, 760)

        self.template_group.idToggled.connect(self._form_changed)
        self.appointment_time.dateTimeChanged.connect(self._form_changed)
        self.appointment_place.textChanged.connect(self._form_changed)
        self.note.textChanged.connect(self._form_changed)
        self._update_buttons()
        self._load()

    # ------------------------------------------------------------------ loading

    def _load(self) -> None:
        db, actor, case_id = self._db, self._actor, self.case_id

        def fetch() -> LetterCase:
            with db.session() as s:
                return load_letter_case(s, actor, case_id)

        self._runner.run(
            fetch, self._show_choices, message_to(self._load_failed), name="letter choices"
        )

    def _show_choices(self, case: LetterCase) -> None:
        self.loading.hide()
        self.setWindowTitle(f"New letter — {case.person} ({case.reference})")
        first_allowed = None
        for i, choice in enumerate(case.choices):
            button = QRadioButton(choice.label)
            button.setEnabled(choice.problem is None)
            self.template_group.addButton(button, i)
            self.template_buttons[choice.name] = button
            self.templates_layout.addWidget(button)
            if choice.problem:
                reason = QLabel(choice.problem)
                reason.setWordWrap(True)
                reason.setTextFormat(Qt.TextFormat.PlainText)
                set_role(reason, StyleRole.REASON)
                self.reasons[choice.name] = reason
                self.templates_layout.addWidget(reason)
                button.setToolTip(choice.problem)
            elif first_allowed is None:
                first_allowed = button
        if first_allowed is not None:
            first_allowed.setChecked(True)
        else:
            self.show_message(
                "No letter can be made for this case now; the reasons are listed above.", error=True
            )
        self._loaded = True
        self._form_changed()

    def _load_failed(self, message: str) -> None:
        self.loading.setText(message)
        set_role(self.loading, StyleRole.ERROR)
        self.loading.setWordWrap(True)

    # ------------------------------------------------------------------ the form

    @property
    def template(self) -> str | None:
        for name, button in self.template_buttons.items():
            if button.isChecked():
                return name
        return None

    def choose(self, template: str) -> None:
        self.template_buttons[template].setChecked(True)

    def request(self) -> LetterRequest | None:
        template = self.template
        if template is None:
            return None
        note = self.note.toPlainText().strip()[:MAX_NOTE_CHARS] or None
        if template != vocab.LetterTemplate.APPOINTMENT:
            return LetterRequest(self.case_id, template, note=note)
        # A naive time is UK local time to the letter services.
        when = wall_clock_of(self.appointment_time.dateTime()).replace(second=0, microsecond=0)
        return LetterRequest(
            self.case_id,
            template,
            appointment_time=when,
            appointment_place=self.appointment_place.text().strip() or None,
            note=note,
        )

    def _form_changed(self, *_args: object) -> None:
        self.appointment_box.setVisible(self.template == vocab.LetterTemplate.APPOINTMENT)
        self._update_buttons()

    def _update_buttons(self) -> None:
        request = self.request() if self._loaded else None
        ready = request is not None and not self._busy
        self.preview_button.setEnabled(ready)
        self.save_button.setEnabled(ready and request != self._saved_request)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.show_outcome(text, error=error)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        if text:
            self.message.say(text)
        self._update_buttons()

    # ------------------------------------------------------------------ preview and save

    def make_preview(self) -> bool:
        request = self.request()
        if request is None or self._busy:
            return False
        db, actor = self._db, self._actor

        def run() -> bytes:
            with db.session(write=True) as s:
                return preview_letter(s, actor, request)

        self._set_busy(True, "Drawing the letter…")
        self._runner.run(run, self._previewed, message_to(self._failed), name="preview letter")
        return True

    def _previewed(self, pdf: bytes) -> None:
        self._set_busy(False)
        self.message.hide()
        self.preview.show_pdf(pdf, note="preview only; Save to case to print it")

    def save_letter(self) -> bool:
        request = self.request()
        if request is None or self._busy:
            return False
        db, actor = self._db, self._actor

        def run() -> LetterRecord:
            with db.session(write=True) as s:
                return create_letter(
                    s,
                    actor,
                    request.case_id,
                    request.template,
                    appointment_time=request.appointment_time,
                    appointment_place=request.appointment_place,
                    note=request.note,
                )

        self._set_busy(True, "Saving the letter to the case…")
        self._runner.run(
            run,
            lambda record: self._saved(record, request),
            message_to(self._failed),
            name="save letter",
        )
        return True

    def _saved(self, record: LetterRecord, request: LetterRequest) -> None:
        self._saved_request = request
        self._set_busy(False)
        self.preview.show_pdf(
            record.pdf,
            [record.id],
            suggested_name=f"letter-{record.id}-{record.template}.pdf",
            note="saved to the case",
        )
        self.show_message("Saved to the case. Print it or save it as a PDF from the preview.")
        self.letter_saved.emit(record.id)

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        self.show_message(message, error=True)
