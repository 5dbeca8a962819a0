"""The Letters view: the letters due, batch printing of the chosen ones, posted and returned.

A worker sees the letters on their own cases and a lead every case's (``letters_due`` scopes
it): those still to be made, those made but not printed (a batch closed unprinted, a jammed
printer), those printed and not yet posted, and those posted lately. "Make and print…" runs
``render_batch`` on a pool thread with a progress dialog and Cancel (cancelling stores
nothing); stored letters go in as they were made. The batch opens in the preview, as one print
job or one PDF file, each letter on a new sheet; the letters stay due until a print the system
accepted, or a saved copy. "Mark posted" and "Mark returned" record what happened to the post
(``letters.states``); letters that were refused are listed with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressDialog,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.letters.batch import (
    BatchResult,
    DueLetter,
    letterhead_gaps,
    letters_due,
    render_batch,
)
from followup.letters.states import StateChange, mark_posted, mark_returned
from followup.letters.templates import TEMPLATES
from followup.ui.letters.due_model import WIDTHS, WORKER, DueLettersModel
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.pdf_preview import PdfPreviewDialog
from followup.uktime import uk_today
from followup.vocab import LetterState

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["STOPPED", "LettersView", "letters_text"]

STOPPED = "Stopped; no letters were stored."


def letters_text(n: int) -> str:
    return "1 letter" if n == 1 else f"{n} letters"


class _ProgressRelay(QObject):
    """Carries progress from the pool thread to the UI thread (a queued signal)."""

    progress = Signal(int, int)


class LettersView(QWidget):
    """Due letters with tick boxes, Make letters…, and what the last batch left out."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        open_case: Callable[[int], None],
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._open_case = open_case
        self._runner = runner or TaskRunner(self)
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._progress)
        self._cancel = threading.Event()
        self.loading = False
        self.progress_dialog: QProgressDialog | None = None
        self.preview_dialog: PdfPreviewDialog | None = None
        self.last_result: BatchResult | None = None
        self.marking = False

        self.heading = QLabel("Letters due")
        set_role(self.heading, StyleRole.HEADING)
        self.count_label = QLabel("")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.model = DueLettersModel(self)
        self.model.chosen_changed.connect(self._chosen_changed)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate(WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.setColumnHidden(WORKER, not actor.can("view_all_cases"))
        self.table.setAccessibleName("Letters due")
        self.table.doubleClicked.connect(self._open_row)
        self.empty = QLabel("No letters are due.")
        set_role(self.empty, StyleRole.NOTE)
        self.empty.hide()

        self.select_all_button = QPushButton("Select all due")
        self.select_all_button.clicked.connect(self.choose_all_due)
        self.select_none_button = QPushButton("Select none")
        self.select_none_button.clicked.connect(lambda: self.model.choose_all(False))
        self.chosen_label = QLabel("")
        self.make_button = QPushButton("Make and print…")
        self.make_button.setToolTip(
            "Make the chosen letters in one PDF (letters already made go in as they were made), "
            "keep them with their cases, and open them to print"
        )
        self.make_button.clicked.connect(self.make_letters)
        self.posted_button = QPushButton("Mark posted")
        self.posted_button.setToolTip(
            "The chosen printed letters are in the post (logged as a letter sent)"
        )
        self.posted_button.clicked.connect(self.mark_posted)
        self.returned_button = QPushButton("Mark returned")
        self.returned_button.setToolTip(
            "The post brought the chosen letters back (logged as returned mail)"
        )
        self.returned_button.clicked.connect(self.mark_returned)
        self.message = InlineMessage()
        # Said once, above the list, when the letterhead cannot yet carry some letters.
        self.letterhead_note = InlineMessage()
        self.letterhead_note.setAccessibleName("Letterhead incomplete")
        self.skipped_label = QLabel("Left out of the last batch:")
        self.skipped = QListWidget()
        self.skipped.setAccessibleName("Letters left out")
        self.skipped.setMaximumHeight(120)
        self.skipped_label.hide()
        self.skipped.hide()

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.count_label, 1)
        top.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        actions.addWidget(self.select_all_button)
        actions.addWidget(self.select_none_button)
        actions.addWidget(self.chosen_label, 1)
        actions.addWidget(self.posted_button)
        actions.addWidget(self.returned_button)
        actions.addWidget(self.make_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.letterhead_note)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        layout.addWidget(self.skipped_label)
        layout.addWidget(self.skipped)
        self._chosen_changed(0)
        self.refresh()

    # ------------------------------------------------------------------ the list

    def refresh(self) -> None:
        """Read the letters due again (in the background)."""
        if self.loading or self.progress_dialog is not None:
            return
        db, actor = self._db, self._actor

        def fetch() -> tuple[list[DueLetter], dict[str, str]]:
            with db.session() as s:
                gaps = letterhead_gaps(s)
                return letters_due(s, actor, under_way=True, gaps=gaps), gaps

        self.loading = True
        self.count_label.setText("Reading…")
        self._runner.run(fetch, self._show_due, message_to(self._load_failed), name="letters due")

    def _show_due(self, found: tuple[list[DueLetter], dict[str, str]]) -> None:
        due, gaps = found
        self.loading = False
        if gaps:
            self.letterhead_note.warn(next(iter(set(gaps.values()))))
        else:
            self.letterhead_note.clear_message()
        self.model.set_due(due)
        problems = sum(1 for d in due if d.problem)
        waiting = sum(1 for d in due if d.state == LetterState.DUE)
        printed = sum(1 for d in due if d.state == LetterState.PRINTED)
        parts = [f"{letters_text(waiting)} due"] if waiting else []
        if printed:
            parts.append(f"{printed} printed, not yet posted")
        if problems:
            parts.append(f"{problems} would be refused (see Problem)")
        text = "; ".join(parts)
        self.count_label.setText(text)
        self.table.setVisible(bool(due))
        self.empty.setVisible(not due)

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self.count_label.setText("")
        self.show_message(message, error=True)

    def _chosen_changed(self, n: int) -> None:
        self.chosen_label.setText(f"{letters_text(n)} chosen" if n else "None chosen")
        chosen = self.model.chosen()
        idle = self.progress_dialog is None and not self.marking
        printable = (LetterState.DUE, LetterState.PRINTED)
        self.make_button.setEnabled(n > 0 and idle and all(d.state in printable for d in chosen))
        self.posted_button.setEnabled(
            n > 0 and idle and all(d.made and d.state == LetterState.PRINTED for d in chosen)
        )
        self.returned_button.setEnabled(
            n > 0
            and idle
            and all(d.made and d.state in (LetterState.PRINTED, LetterState.POSTED) for d in chosen)
        )

    def choose_all_due(self) -> None:
        """Tick every letter that is due (to make, or made and not printed), and nothing else."""
        self.model.choose_all(False)
        self.model.set_chosen(
            [row for row, d in enumerate(self.model.due) if d.state == LetterState.DUE], True
        )

    def _open_row(self, index: QModelIndex) -> None:
        case_id = self.model.case_id(index.row())
        if case_id is not None:
            self._open_case(case_id)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.show_outcome(text, error=error)

    # ------------------------------------------------------------------ the batch

    def make_letters(self) -> bool:
        """Make the chosen letters in the background; False when nothing started."""
        items = self.model.chosen()
        if not items or self.progress_dialog is not None:
            return False
        self._cancel = cancel = threading.Event()
        db, actor, relay = self._db, self._actor, self._relay
        dialog = QProgressDialog(
            f"Making {letters_text(len(items))}…", "Cancel", 0, len(items), self
        )
        dialog.setWindowTitle("Making letters")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(380)
        dialog.canceled.connect(self.cancel_batch)
        self.progress_dialog = dialog
        self.message.hide()
        self.make_button.setEnabled(False)
        dialog.setValue(0)
        dialog.show()

        def run() -> BatchResult:
            return render_batch(
                db, actor, items, progress=relay.progress.emit, cancelled=cancel.is_set
            )

        self._runner.run(
            run,
            lambda result: self._batch_done(result, items),
            message_to(self._batch_failed),
            name="batch letters",
        )
        return True

    def cancel_batch(self) -> None:
        """What Cancel does: the batch stops at the next letter and stores nothing."""
        self._cancel.set()
        if self.progress_dialog is not None:
            self.progress_dialog.setLabelText("Stopping; no letters will be stored…")

    def _progress(self, done: int, total: int) -> None:
        dialog = self.progress_dialog
        if dialog is not None and not self._cancel.is_set():
            dialog.setMaximum(total)
            dialog.setValue(done)
            dialog.setLabelText(f"Made {done} of {letters_text(total)}…")

    def _close_progress(self) -> None:
        dialog, self.progress_dialog = self.progress_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel_batch)
            dialog.hide()
            dialog.deleteLater()
        self._chosen_changed(len(self.model.chosen()))

    def _batch_failed(self, message: str) -> None:
        self._close_progress()
        self.show_message(
            STOPPED if self._cancel.is_set() else message, error=not self._cancel.is_set()
        )

    def _batch_done(self, result: BatchResult, items: list[DueLetter]) -> None:
        self._close_progress()
        self.last_result = result
        if result.cancelled:
            self.show_message(STOPPED)
            return
        self._show_skipped(result, items)
        if result.pdf is None:
            self.show_message(
                "No letters were made: every chosen letter was refused; the "
                "reasons are listed below.",
                error=True,
            )
        else:
            made = letters_text(len(result.letters))
            pages = "1 page" if result.pages == 1 else f"{result.pages} pages"
            left_out = f" {len(result.skipped)} left out; see below." if result.skipped else ""
            self.show_message(
                f"Made {made} ({pages}), kept with their cases and due until printed "
                f"or saved.{left_out}"
            )
            self._open_result(result)
        self.refresh()

    def _show_skipped(self, result: BatchResult, items: list[DueLetter]) -> None:
        people = {item.case_id: item.person for item in items}
        self.skipped.clear()
        for skipped in result.skipped:
            label = TEMPLATES[skipped.template].label
            person = people.get(skipped.case_id, "")
            self.skipped.addItem(f"{person} (case {skipped.case_id}) — {label}: {skipped.reason}")
        self.skipped_label.setVisible(bool(result.skipped))
        self.skipped.setVisible(bool(result.skipped))

    def _open_result(self, result: BatchResult) -> None:
        assert result.pdf is not None
        if self.preview_dialog is not None:
            self.preview_dialog.close()
            self.preview_dialog.deleteLater()
        dialog = PdfPreviewDialog(self._db, self._actor, "Letters made", self)
        heading = (
            f"{letters_text(len(result.letters))} in one document: Print… sends them as "
            "one print job, Save as PDF… keeps them as one file."
        )
        if result.skipped:
            heading += (
                f" {letters_text(len(result.skipped))} left out; the reasons are in "
                "the Letters view."
            )
        dialog.set_heading(heading)
        dialog.preview.show_pdf(
            result.pdf,
            [letter.id for letter in result.letters],
            suggested_name=f"letters-{uk_today():%Y-%m-%d}.pdf",
        )
        dialog.preview.recorded.connect(lambda _text: self.refresh())
        self.preview_dialog = dialog
        dialog.show()

    # ------------------------------------------------------------------ the post

    def mark_posted(self) -> bool:
        """Mark the chosen printed letters posted (in the background); False if none."""
        return self._mark(mark_posted, "posted")

    def mark_returned(self) -> bool:
        """Mark the chosen letters returned by the post (in the background); False if none."""
        return self._mark(mark_returned, "returned")

    def _mark(self, change: Callable[..., StateChange], word: str) -> bool:
        ids = [d.letter_id for d in self.model.chosen() if d.letter_id is not None]
        if not ids or self.marking:
            return False
        db, actor = self._db, self._actor

        def run() -> StateChange:
            with db.session(write=True) as s:
                return change(s, actor, ids)

        self.marking = True
        self._chosen_changed(len(self.model.chosen()))
        self._runner.run(
            run,
            lambda done: self._marked(done, word),
            message_to(self._mark_failed),
            name=f"letters {word}",
        )
        return True

    def _marked(self, done: StateChange, word: str) -> None:
        self.marking = False
        outcome = "returned mail" if word == "returned" else "a letter sent"
        attempts = f"; {done.attempts} logged as {outcome}" if done.attempts else ""
        text = f"Marked {letters_text(done.changed)} {word}{attempts}."
        if done.not_logged:
            text += " Not logged as a contact attempt: " + "; ".join(done.not_logged)
        self.show_message(text)
        self.refresh()

    def _mark_failed(self, message: str) -> None:
        self.marking = False
        self._chosen_changed(len(self.model.chosen()))
        self.show_message(message, error=True)
