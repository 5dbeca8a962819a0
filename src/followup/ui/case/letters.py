"""The letters of one case: the list with each letter's state, Open (audited as a view),
Reprint and New letter….

Built to sit inside the case view: ``CaseLettersPanel(db, actor, case_id)``, with ``refresh()``
to read the list again and ``changed`` emitted when a letter was made or printed, so the case
view can refresh its timeline. The list comes from ``letters.letters_for_case`` and each PDF
from ``letters.letter_pdf``, both in the background.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.letters.making import LetterRecord, LetterSummary, letter_pdf, letters_for_case
from followup.ui.letters.dialog import NewLetterDialog
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.pdf_preview import PdfPreviewDialog
from followup.uktime import short_date_time
from followup.vocab import LetterState

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "COLUMNS",
    "CaseLettersPanel",
    "printed_text",
    "state_text",
    "when_text",
]

COLUMNS = ("Letter", "Made", "By", "State", "Printed")
STATES = {
    LetterState.DUE: "Due: not printed",
    LetterState.PRINTED: "Printed",
    LetterState.POSTED: "Posted",
    LetterState.RETURNED: "Returned by the post",
}


def when_text(value: datetime | None) -> str:
    """A stored time as the UK clock shows it (stored times are UTC, even when read naive)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return short_date_time(value)


def state_text(summary: LetterSummary) -> str:
    """Where the letter is, and since when (posted and returned are the user's word)."""
    text = STATES.get(LetterState(summary.state), summary.state)
    if summary.state in (LetterState.POSTED, LetterState.RETURNED) and summary.state_at:
        text += f" {when_text(summary.state_at)}"
    return text


def printed_text(summary: LetterSummary) -> str:
    if not summary.prints:
        return "Not printed"
    times = "once" if summary.prints == 1 else f"{summary.prints} times"
    return f"{times}, last {when_text(summary.last_printed_at)}"


class CaseLettersPanel(QWidget):
    """The case's letters, newest first, and what can be done with them."""

    changed = Signal()  # a letter was made or printed

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
        self.letters: list[LetterSummary] = []
        self.loading = False
        self.preview_dialog: PdfPreviewDialog | None = None
        self.new_letter_dialog: NewLetterDialog | None = None
        self._wanted: int | None = None  # the letter to select once the list is read

        self.table = QTreeWidget()
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAccessibleName("Letters of this case")
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((200, 120, 130, 150)):
            self.table.setColumnWidth(column, width)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda *_: self.open_letter())
        self.empty = QLabel("No letters yet.")
        set_role(self.empty, StyleRole.NOTE)
        self.message = InlineMessage()

        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Show the letter as it was made")
        self.open_button.clicked.connect(self.open_letter)
        self.reprint_button = QPushButton("Reprint…")
        self.reprint_button.setToolTip("Print the letter again, exactly as it was made")
        self.reprint_button.clicked.connect(self.reprint_letter)
        self.new_button = QPushButton("New letter…")
        self.new_button.clicked.connect(self.new_letter)
        self.new_button.setEnabled(actor.can("print_letters"))

        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reprint_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self._update_buttons()
        self.refresh()

    # ------------------------------------------------------------------ the list

    def refresh(self) -> None:
        """Read the case's letters again (in the background)."""
        db, actor, case_id = self._db, self._actor, self.case_id

        def fetch() -> list[LetterSummary]:
            with db.session(write=True) as s:
                return letters_for_case(s, actor, case_id)

        self.loading = True
        self._runner.run(fetch, self._show, message_to(self._failed), name="case letters")

    def _show(self, letters: list[LetterSummary]) -> None:
        self.loading = False
        self.message.hide()
        selected = self._wanted or self.selected_id()
        self._wanted = None
        self.letters = letters
        self.table.clear()
        for summary in letters:
            item = QTreeWidgetItem(
                [
                    summary.label,
                    when_text(summary.created_at),
                    summary.author,
                    state_text(summary),
                    printed_text(summary),
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, summary.id)
            self.table.addTopLevelItem(item)
            if summary.id == selected:
                self.table.setCurrentItem(item)
        self.empty.setVisible(not letters)
        self.table.setVisible(bool(letters))
        first = self.table.topLevelItem(0)
        if first is not None and self.selected_id() is None:
            self.table.setCurrentItem(first)
        self._update_buttons()

    def _failed(self, message: str) -> None:
        self.loading = False
        self.message.warn(message)

    def selected_id(self) -> int | None:
        item = self.table.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, letter_id: int) -> None:
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == letter_id:
                self.table.setCurrentItem(item)

    def _update_buttons(self) -> None:
        chosen = self.selected_id() is not None
        self.open_button.setEnabled(chosen)
        self.reprint_button.setEnabled(chosen)

    # ------------------------------------------------------------------ open and reprint

    def open_letter(self, *, then_print: bool = False) -> bool:
        letter_id = self.selected_id()
        if letter_id is None:
            return False
        db, actor = self._db, self._actor

        def fetch() -> LetterRecord:
            with db.session(write=True) as s:
                return letter_pdf(s, actor, letter_id)

        self._runner.run(
            fetch,
            lambda record: self._opened(record, then_print),
            message_to(self._failed),
            name="open letter",
        )
        return True

    def reprint_letter(self) -> bool:
        """Open the stored letter and go straight to the print dialog."""
        return self.open_letter(then_print=True)

    def _opened(self, record: LetterRecord, then_print: bool) -> None:
        if self.preview_dialog is not None:
            self.preview_dialog.close()
            self.preview_dialog.deleteLater()
        # The dialog runs its own tasks: closing it mid-print must not call back into it.
        dialog = PdfPreviewDialog(
            self._db, self._actor, f"{record.label} — made {when_text(record.created_at)}", self
        )
        dialog.set_heading(
            f"{record.label}, made by {record.author or 'an unknown user'} on "
            f"{when_text(record.created_at)}."
        )
        dialog.preview.show_pdf(
            record.pdf, [record.id], suggested_name=f"letter-{record.id}-{record.template}.pdf"
        )
        dialog.preview.recorded.connect(self._letters_changed)
        self.preview_dialog = dialog
        dialog.show()
        if then_print:
            dialog.preview.print_letters()

    # ------------------------------------------------------------------ new letters

    def new_letter(self) -> NewLetterDialog:
        if self.new_letter_dialog is not None:
            self.new_letter_dialog.close()
            self.new_letter_dialog.deleteLater()
        dialog = NewLetterDialog(self._db, self._actor, self.case_id, self)
        dialog.letter_saved.connect(self._letter_made)
        dialog.printed.connect(self._letters_changed)
        self.new_letter_dialog = dialog
        dialog.show()
        return dialog

    def _letter_made(self, letter_id: int) -> None:
        self._wanted = letter_id
        self._letters_changed()

    def _letters_changed(self, *_args: object) -> None:
        self.refresh()
        self.changed.emit()
