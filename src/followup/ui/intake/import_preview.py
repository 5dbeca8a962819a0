"""The preview of an import, row by row, before anything is written; and what landed, after.

``ImportPreviewDialog`` lists every row of a dry run (``import_file(dry_run=True,
itemise=True)``): who is new, who is a known person (and whether they have an open case), who
is the same person as an earlier row, possible matches, duplicates, and rejected rows with every
reason. "Import N referrals" asks the flow to import the previewed bytes; Cancel imports
nothing. ``LandedTable`` lists what landed after the import; activating a row (double-click,
Enter, or "Open case") asks for its case. Names show on screen only, never in logs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from followup.intake.importer import EMPTY_FILE, ImportSummary, RowKind, RowOutcome
from followup.ui.widgets.look import ERROR_COLOUR
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.screens import fit_to_screen

__all__ = [
    "CASE_ID_ROLE",
    "ImportPreviewDialog",
    "LandedTable",
    "OutcomeModel",
    "import_button_text",
    "outcome_table",
    "outcome_text",
    "preview_headline",
]

CASE_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def outcome_text(r: RowOutcome, *, done: bool = False) -> str:
    """What happens (or, ``done``, happened) to the row, in a support worker's words."""
    if r.kind == RowKind.NEW:
        return "New person: opened a new case" if done else "New person: a new case opens"
    if r.kind == RowKind.KNOWN and r.open_case:
        return (
            "Known person: added to their open case"
            if done
            else ("Known person with an open case: joins that case")
        )
    if r.kind == RowKind.KNOWN:
        return (
            "Known person, no open case: opened a new case"
            if done
            else ("Known person, no open case: a new case opens")
        )
    if r.kind == RowKind.SAME_AS_EARLIER:
        return f"Same person as row {r.earlier_row}: on the same case"
    if r.kind == RowKind.POSSIBLE_MATCH:
        return "Possibly a known person: waiting in the Inbox for a decision"
    if r.kind == RowKind.DUPLICATE:
        return "Skipped: already imported"
    return "Rejected: kept for a team lead to correct"


def import_button_text(count: int) -> str:
    return "Nothing to import" if count == 0 else f"Import {_n(count, 'referral')}"


def preview_headline(summary: ImportSummary) -> str:
    if summary.empty:
        return f"{summary.file_name}: {EMPTY_FILE} (a header and no records); nothing to import."
    rows = summary.rows
    kinds = [r.kind for r in rows]
    known = [r for r in rows if r.kind == RowKind.KNOWN]
    landing = [
        _n(kinds.count(RowKind.NEW), "new person", "new people") if RowKind.NEW in kinds else "",
        (
            f"{len(known)} known (" + _n(sum(r.open_case for r in known), "open case") + ")"
            if known
            else ""
        ),
        f"{kinds.count(RowKind.SAME_AS_EARLIER)} again in this file"
        if RowKind.SAME_AS_EARLIER in kinds
        else "",
        _n(kinds.count(RowKind.POSSIBLE_MATCH), "possible match", "possible matches")
        if RowKind.POSSIBLE_MATCH in kinds
        else "",
    ]
    parts = [
        f"{_n(summary.imported, 'referral')} will be imported"
        + (f" ({', '.join(p for p in landing if p)})" if summary.imported else ""),
        f"{summary.duplicates} already imported (skipped)",
        f"{_n(summary.rejected_rows, 'row')} rejected",
    ]
    return f"{summary.file_name}: {_n(summary.rows_read, 'row')} read. " + "; ".join(parts) + "."


class OutcomeModel(QAbstractTableModel):
    """Rows of a file with what happens to each: the preview, or (``done``) what landed."""

    PREVIEW = ("Row", "Police reference", "Name", "What happens", "Reasons and notes")
    LANDED = ("Row", "Police reference", "Name", "Case", "What happened", "Notes")
    SKIPPED = ("Row", "Police reference", "Name", "What happened", "Reasons")

    def __init__(
        self,
        rows: list[RowOutcome],
        *,
        done: bool = False,
        landed: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.rows = rows
        self.done = done
        self.with_case = done and landed
        self.headers = (self.LANDED if landed else self.SKIPPED) if done else self.PREVIEW

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def _cells(self, r: RowOutcome) -> tuple[str, ...]:
        notes = "; ".join(r.reasons)
        what = outcome_text(r, done=self.done)
        if self.with_case:
            case = f"Case {r.case_id}" if r.case_id is not None else ""
            return (str(r.row), r.police_reference, r.name, case, what, notes)
        return (str(r.row), r.police_reference, r.name, what, notes)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells(r)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cells(r)[index.column()] or None
        if role == CASE_ID_ROLE:
            return r.case_id
        if role == Qt.ItemDataRole.ForegroundRole and r.kind == RowKind.REJECTED:
            return QBrush(ERROR_COLOUR)  # and the row says "Rejected": never colour alone
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


def outcome_table(model: OutcomeModel, name: str, table: QTableView | None = None) -> QTableView:
    table = table or QTableView()
    table.setModel(model)
    model.setParent(table)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    widths = (50, 150, 170, 80, 300) if model.with_case else (50, 150, 170, 310)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


class LandedTable(QTableView):
    """What landed: double-click or Enter on a row asks for its case (``case_requested``)."""

    case_requested = Signal(int)

    def __init__(self, rows: list[RowOutcome], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outcome_table(OutcomeModel(rows, done=True), "Referrals imported", self)
        self.activated.connect(self._open)
        if rows:
            self.selectRow(0)

    def current_case_id(self) -> int | None:
        index = self.currentIndex()
        return index.data(CASE_ID_ROLE) if index.isValid() else None

    def open_current(self) -> None:
        case_id = self.current_case_id()
        if case_id is not None:
            self.case_requested.emit(case_id)

    def _open(self, index: QModelIndex) -> None:
        case_id = index.data(CASE_ID_ROLE)
        if case_id is not None:
            self.case_requested.emit(case_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter opens the case wherever the platform leaves "activated" to double-click.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_current()
            event.accept()
            return
        super().keyPressEvent(event)


class ImportPreviewDialog(QDialog):
    """Every row of the file and what would happen to it; import them, or cancel."""

    import_requested = Signal()

    def __init__(self, summary: ImportSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle(f"Preview of {summary.file_name}")
        heading = QLabel(preview_headline(summary))
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.heading = heading
        note = QLabel(
            "Nothing has been imported yet. Row numbers are the lines a spreadsheet shows (the "
            "header is row 1). Rejected rows are kept for a team lead to correct or dismiss; "
            "rows already imported are skipped."
        )
        note.setWordWrap(True)
        self.table = outcome_table(OutcomeModel(summary.rows), "Rows of the file")
        # The chosen row in full: a rejected row's every reason, however long.
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAccessibleName("The chosen row")
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.message = InlineMessage()
        self.import_button = QPushButton(import_button_text(summary.imported))
        self.import_button.setEnabled(summary.imported > 0)
        self.import_button.clicked.connect(self._import)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.buttons)
        self.setMinimumSize(560, 360)
        fit_to_screen(self, 1120, 680)
        first = next((i for i, r in enumerate(summary.rows) if not r.lands), 0)
        if summary.rows:  # the first row needing attention, else the first row
            self.table.selectRow(first)
        self.table.setFocus()
        # Once the button is in the dialog, so that the dialog keeps it as its default.
        self.import_button.setDefault(summary.imported > 0)

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.clear()
            return
        r = self.summary.rows[current.row()]
        text = f"Row {r.row} ({r.police_reference or 'no police reference'}): {outcome_text(r)}"
        self.detail.setText(text + (" — " + "; ".join(r.reasons) if r.reasons else ""))

    def _import(self) -> None:
        self.import_button.setEnabled(False)
        self.import_requested.emit()
