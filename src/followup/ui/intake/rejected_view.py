"""Rejected referrals, for team leads: correct and import each, or dismiss it with a reason.

Each rejected row is shown as it stood in its file, with every reason it was rejected.

The list and every action run in the background (``intake.quarantine``, which audits them);
the list refreshes after each action and each time the view is shown (imports add to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.intake import quarantine
from followup.intake.quarantine import CorrectionResult, QuarantineItem
from followup.ui.intake.inbox_view import InboxTable, RowsModel
from followup.ui.tasks import LatestOnly, RefreshWhenShown, TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import short_date_time

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = ["HEADERS", "RejectedRow", "RejectedView", "load_rejected"]

HEADERS = ("Received", "File", "Row", "Line", "Why it was rejected")


@dataclass(frozen=True)
class RejectedRow:
    """One rejected referral, display-ready."""

    item: QuarantineItem
    cells: tuple[str, ...]


def load_rejected(db: Database, actor: Actor) -> list[RejectedRow]:
    """The rejected referrals waiting for a decision (on a pool thread)."""
    items = quarantine.load_pending(db, actor)
    return [
        RejectedRow(
            item,
            (
                short_date_time(item.received_at),
                item.source_file,
                str(item.row_number),
                str(item.line_number) if item.file_format == "csv" else "-",
                item.reasons_text,
            ),
        )
        for item in items
    ]


class RejectedView(QWidget):
    """The list above; below, the chosen row's reasons, its text to correct, and the actions."""

    loaded = Signal()
    changed = Signal()  # a corrected referral was imported (the inbox may want to refresh)
    finished = Signal(str)  # the outcome of an action, as shown

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner or TaskRunner(self)
        self._answers = LatestOnly()
        self.rows: list[RejectedRow] = []

        self.title = QLabel("Rejected referrals waiting for a decision")
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.message = InlineMessage()
        self.model = RowsModel(HEADERS, self)
        self.table = InboxTable(self.model, "Rejected referrals", (130, 200, 50, 50, 400))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)

        self.reasons = QLabel("")
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)
        self.reasons.setWordWrap(True)
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons.setAccessibleName("Why it was rejected")
        self.columns = QLabel("")
        self.columns.setTextFormat(Qt.TextFormat.PlainText)
        self.columns.setWordWrap(True)
        self.columns.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("The referral as in the file, to correct")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.import_button = QPushButton("Import corrected referral")
        self.import_button.setToolTip(
            "Read the text above as its file was read and import it; nothing is written if "
            "it is still rejected"
        )
        self.dismiss_reason = QLineEdit()
        self.dismiss_reason.setPlaceholderText("Why it is dismissed (required)")
        self.dismiss_reason.setAccessibleName("Reason for dismissing")
        self.dismiss_button = QPushButton("Dismiss")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("F5")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        top_layout.addWidget(self.table, 1)
        refresh_row = QHBoxLayout()
        refresh_row.addWidget(
            QLabel("Rows an import rejected, kept as they stood in the file. Oldest first.")
        )
        refresh_row.addStretch(1)
        refresh_row.addWidget(self.refresh_button)
        top_layout.addLayout(refresh_row)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.reasons)
        bottom_layout.addWidget(self.columns)
        bottom_layout.addWidget(self.editor, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.import_button)
        actions.addSpacing(24)
        actions.addWidget(self.dismiss_reason, 1)
        actions.addWidget(self.dismiss_button)
        bottom_layout.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([360, 320])
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self.import_button.clicked.connect(self.import_selected)
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.dismiss_reason.textChanged.connect(self._update_buttons)
        self.editor.textChanged.connect(self._update_buttons)
        self.refresh_button.clicked.connect(self.refresh)
        self._show_selected()
        RefreshWhenShown(self, self.refresh, every_show=True)

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        ticket = self._answers.ticket()
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: load_rejected(db, actor),
            ticket.only(self._loaded),
            ticket.only(message_to(self.message.warn)),
            name="rejected referrals",
        )

    def _loaded(self, rows: list[RejectedRow]) -> None:
        chosen = self.selected()
        self.rows = rows
        self.model.set_rows(rows)
        self.title.setText(f"Rejected referrals waiting for a decision: {len(rows)}")
        if chosen is not None:
            for index, row in enumerate(rows):
                if row.item.id == chosen.id:
                    self.table.selectRow(index)
        self._show_selected()
        self.loaded.emit()

    # ------------------------------------------------------------------ state

    def selected(self) -> QuarantineItem | None:
        rows = self.table.selected_rows()
        return self.model.rows[rows[0]].item if rows else None

    def select(self, index: int) -> None:
        self.table.selectRow(index)

    def _show_selected(self) -> None:
        item = self.selected()
        if item is None:
            self.reasons.setText("Choose a rejected referral to see why, and to correct it.")
            self.columns.setText("")
            self.editor.setPlainText("")
            self.editor.setEnabled(False)
        else:
            where = f"row {item.row_number}" + (
                f", line {item.line_number}" if item.file_format == "csv" else ""
            )
            self.reasons.setText(
                f"{item.source_file}, {where}. Why it was rejected:\n"
                + "\n".join(f"• {name}: {reason}" for name, reason in item.reasons)
            )
            self.columns.setText(
                f"Columns of the file: {item.header.strip()}"
                if item.file_format == "csv"
                else "A JSON object, as in the file."
            )
            if self.editor.property("item_id") != item.id:
                self.editor.setPlainText(item.original.rstrip("\r\n"))
                self.editor.setProperty("item_id", item.id)
            self.editor.setEnabled(True)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.import_button.setEnabled(chosen and bool(self.editor.toPlainText().strip()))
        self.dismiss_button.setEnabled(chosen and bool(self.dismiss_reason.text().strip()))

    # ------------------------------------------------------------------ actions

    def _act(self, fn: Callable[[], Any], done: Callable[[Any], None], name: str) -> None:
        self.message.clear_message()
        self.import_button.setEnabled(False)
        self.dismiss_button.setEnabled(False)

        def failed(text: str) -> None:
            self.message.warn(text)
            self.finished.emit(text)
            self._update_buttons()

        self._runner.run(fn, done, message_to(failed), name=name)

    def import_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        text = self.editor.toPlainText()
        db, actor, item_id = self._db, self._actor, item.id

        def run() -> CorrectionResult:
            with db.session(write=True) as s:
                return quarantine.import_corrected(s, actor, item_id, text)

        def done(result: CorrectionResult) -> None:
            sentence = result.describe()
            if result.imported:
                self.message.confirm(sentence)
                self.editor.setProperty("item_id", None)
                self.changed.emit()
                self.refresh()
            else:
                self.message.warn(sentence)
                self._update_buttons()
            self.finished.emit(sentence)

        self._act(run, done, "import corrected referral")

    def dismiss_selected(self) -> None:
        item = self.selected()
        reason = self.dismiss_reason.text()
        if item is None or not reason.strip():
            return
        db, actor, item_id = self._db, self._actor, item.id

        def run() -> None:
            with db.session(write=True) as s:
                quarantine.dismiss(s, actor, item_id, reason)

        def done(_result: None) -> None:
            sentence = f"Dismissed row {item.row_number} of {item.source_file}."
            self.message.confirm(sentence)
            self.dismiss_reason.clear()
            self.editor.setProperty("item_id", None)
            self.finished.emit(sentence)
            self.refresh()

        self._act(run, done, "dismiss rejected referral")
