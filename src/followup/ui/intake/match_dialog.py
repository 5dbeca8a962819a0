"""The side-by-side comparison of an uncertain match: same person, or different people.

Both records are shown field by field; a field that differs is marked in words ("Differs"),
in bold and with a tint, never by colour alone. A team lead decides: "Same person" merges the
incoming record into the known one (audited, and undoable from here or from the inbox's
recent merges), "Different people" closes the question. Workers see the comparison and are
told that a team lead decides. Every service call runs in the background.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.intake import merging
from followup.intake.merging import MatchComparison, PersonFacts
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.look import CHANGED_BACKGROUND
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import short_date, short_date_time
from followup.vocab import MatchReviewState

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "DIFFERS",
    "FIELDS",
    "LEAD_DECIDES",
    "ONE_SIDE",
    "SAME",
    "MatchDialog",
    "compare_text",
    "overdoses_text",
]

DIFFERS, SAME, ONE_SIDE = "Differs", "Same", "Only one has it"
LEAD_DECIDES = (
    "A team lead decides whether these are the same person. Tell your lead if you know; "
    "until then both records stay as they are."
)

FIELDS: tuple[tuple[str, str], ...] = (
    ("Name", "name"),
    ("Date of birth", "date_of_birth"),
    ("Gender", "gender"),
    ("NHS number", "nhs_number"),
    ("Address", "address"),
    ("Postcode", "postcode"),
    ("Phone", "phone"),
    ("Email", "email"),
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return short_date(value)
    return str(value).replace("_", " ") if isinstance(value, str) else str(value)


def _norm(text: str) -> str:
    return " ".join(text.replace(" ", "").casefold().split()) if text else ""


def compare_text(left: str, right: str) -> str:
    """Whether two shown values agree, in words: Same, Differs, Only one has it, or blank."""
    if not left and not right:
        return ""
    if not left or not right:
        return ONE_SIDE
    return SAME if _norm(left) == _norm(right) else DIFFERS


def overdoses_text(facts: PersonFacts) -> str:
    """The person's police referrals, one line each: reference, when, where."""
    if not facts.referrals:
        return "None"
    lines = [
        f"{ref}, {short_date_time(when)}" + (f", {where}" if where else "")
        for ref, when, where in facts.referrals
    ]
    count = len(lines)
    head = "1 overdose" if count == 1 else f"{count} overdoses (repeat)"
    return head + ":\n" + "\n".join(lines)


class MatchDialog(QDialog):
    """Compare two people and decide; ``decided`` fires after any change to the database."""

    decided = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        review_id: int,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self.review_id = review_id
        self._runner = runner or TaskRunner(self)
        self.comparison: MatchComparison | None = None
        self.merge_id: int | None = None
        self.setWindowTitle("Possible match: same person or different people?")
        self.resize(840, 470)

        self.heading = QLabel("Loading both records…")
        self.heading.setWordWrap(True)
        self.table = QTableWidget(len(FIELDS) + 1, 4)
        self.table.setHorizontalHeaderLabels(["", "New referral", "Already known", "Compared"])
        self.table.setAccessibleName("Comparison")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(0, 120)
        self.table.setColumnWidth(3, 120)

        self.message = InlineMessage()
        self.lead_note = QLabel(LEAD_DECIDES)
        self.lead_note.setWordWrap(True)

        self.same_button = QPushButton("Same person: merge")
        self.same_button.setToolTip(
            "Move the new referral and everything on it to the record already known. "
            "This can be undone."
        )
        self.different_button = QPushButton("Different people")
        self.different_button.setToolTip("Keep both records; the question is closed.")
        self.undo_button = QPushButton("Undo merge")
        self.close_button = QPushButton("Close")
        self.same_button.clicked.connect(self.same_person)
        self.different_button.clicked.connect(self.different_people)
        self.undo_button.clicked.connect(self.undo)
        self.close_button.clicked.connect(self.close)
        # Enter must never merge two people by accident: Close is the default button.
        for button in (self.same_button, self.different_button, self.undo_button):
            button.setAutoDefault(False)
        self.close_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.same_button)
        buttons.addWidget(self.different_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.lead_note)
        layout.addLayout(buttons)

        self.lead_note.setVisible(not actor.can("merge_people"))
        self.undo_button.hide()
        self._set_busy(True)
        self.load()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        db, actor, review_id = self._db, self._actor, self.review_id

        def fetch() -> MatchComparison:
            with db.session() as s:
                return merging.compare(s, actor, review_id)

        self._runner.run(fetch, self._show, message_to(self._failed), name="match comparison")

    def _show(self, comparison: MatchComparison) -> None:
        self.comparison = comparison
        self.heading.setText(
            f"Is the person on the new referral someone already known? Match score "
            f"{comparison.score:.0f} out of 100. Rows marked “{DIFFERS}” disagree."
        )
        for row, (label, attr) in enumerate(FIELDS):
            left = _text(getattr(comparison.incoming, attr))
            right = _text(getattr(comparison.candidate, attr))
            self._fill(row, label, left, right, compare_text(left, right))
        last = len(FIELDS)
        self._fill(
            last,
            "Overdoses",
            overdoses_text(comparison.incoming),
            overdoses_text(comparison.candidate),
            "",
        )
        self.table.resizeRowsToContents()
        for row in range(self.table.rowCount()):  # a little air between the lines
            self.table.setRowHeight(row, self.table.rowHeight(row) + 8)
        self._set_busy(False)
        if comparison.state != MatchReviewState.PENDING:
            self.message.warn("This match has already been decided; refresh the inbox.")

    def _fill(self, row: int, label: str, left: str, right: str, verdict: str) -> None:
        differs = verdict == DIFFERS
        items = [QTableWidgetItem(t) for t in (label, left or "—", right or "—", verdict)]
        bold = QFont(self.font())
        bold.setBold(True)
        items[0].setFont(bold)
        for item in items:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            if differs:
                item.setBackground(QBrush(CHANGED_BACKGROUND))
        if differs:
            items[3].setText("⚠ " + DIFFERS)
            items[3].setFont(bold)
        for column, item in enumerate(items):
            self.table.setItem(row, column, item)

    # ------------------------------------------------------------------ decisions

    def _set_busy(self, busy: bool) -> None:
        pending = self.comparison is not None and self.comparison.state == MatchReviewState.PENDING
        can = self._actor.can("merge_people") and not busy and pending and self.merge_id is None
        self.same_button.setEnabled(can)
        self.different_button.setEnabled(can)
        self.same_button.setVisible(self._actor.can("merge_people"))
        self.different_button.setVisible(self._actor.can("merge_people"))
        self.undo_button.setEnabled(not busy)

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        self.message.warn(message)

    def same_person(self) -> None:
        db, actor, review_id = self._db, self._actor, self.review_id
        self._set_busy(True)

        def run() -> int:
            with db.session(write=True) as s:
                return merging.merge(s, actor, review_id)

        self._runner.run(run, self._merged, message_to(self._failed), name="merge people")

    def _merged(self, merge_id: int) -> None:
        self.merge_id = merge_id
        self._set_busy(False)
        self.undo_button.show()
        name = self.comparison.candidate.name if self.comparison else "the known person"
        self.message.confirm(
            f"Merged: the new referral now belongs to {name}'s record, as a repeat overdose. "
            "If that was a mistake, choose Undo merge (or find it later under Recent merges "
            "in the inbox)."
        )
        self.decided.emit()

    def different_people(self) -> None:
        db, actor, review_id = self._db, self._actor, self.review_id
        self._set_busy(True)

        def run() -> None:
            with db.session(write=True) as s:
                merging.keep_separate(s, actor, review_id)

        self._runner.run(run, self._kept_apart, message_to(self._failed), name="keep people apart")

    def _kept_apart(self, _result: object) -> None:
        if self.comparison is not None:
            self.comparison = replace(self.comparison, state=MatchReviewState.DIFFERENT_PEOPLE)
        self._set_busy(False)
        self.message.confirm("Kept as different people; the new referral stays a case of its own.")
        self.decided.emit()

    def undo(self) -> None:
        merge_id = self.merge_id
        if merge_id is None:
            return
        db, actor = self._db, self._actor
        self._set_busy(True)

        def run() -> None:
            with db.session(write=True) as s:
                merging.undo_merge(s, actor, merge_id)

        self._runner.run(run, self._undone, message_to(self._failed), name="undo merge")

    def _undone(self, _result: object) -> None:
        self.merge_id = None
        self.undo_button.hide()
        self.message.confirm(
            "Merge undone: both records are as they were, and the match waits for a decision again."
        )
        self.decided.emit()
        self.load()
