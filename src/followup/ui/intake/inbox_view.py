"""The intake inbox: new unassigned cases and possible matches waiting for a person to decide.

Leads assign one or many selected cases to a worker; workers take a case for themselves.
Double-click (or Enter) opens a case; a possible match opens the side-by-side comparison.
Leads also see recent merges, which they can undo. Every query and action runs in the
background (``inbox_data`` and the services), and the lists refresh after each action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.casework import allocation
from followup.casework.allocation import MoveSummary, WorkerLoad
from followup.intake import inbox
from followup.ui.caseload.reassign import fill_workers
from followup.ui.intake.inbox_data import (
    ALERT_HEADERS,
    CASE_HEADERS,
    CASE_LIMIT,
    MATCH_COLUMN,
    MATCH_HEADERS,
    MERGE_HEADERS,
    OVERDOSE_COLUMN,
    TRACEABILITY_COLUMN,
    WAITING_COLUMN,
    CaseRow,
    InboxData,
    load_inbox,
)
from followup.ui.intake.match_dialog import MatchDialog
from followup.ui.tasks import LatestOnly, RefreshWhenShown, TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.ui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CASE_WIDTHS",
    "CHOOSE_WORKER",
    "CaseRowsModel",
    "InboxTable",
    "InboxView",
    "RowsModel",
]

_Index = QModelIndex | QPersistentModelIndex
CASE_WIDTHS = (150, 200, 92, 56, 120, 70, 120, 170, 150)
CHOOSE_WORKER = "Choose a worker…"


class RowsModel(QAbstractTableModel):
    """A short list of display-ready rows (each with ``cells``); the inbox holds at most 500."""

    def __init__(self, headers: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = tuple(headers)
        self.rows: tuple[Any, ...] = ()

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = tuple(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()].cells[index.column()]
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


TRACEABILITY_TIP = (
    "What the police gave with the latest referral: a name, a usable address (a UK postcode "
    "or a street line) and a UK phone number."
)
UNTRACEABLE_TIP = " No usable address or phone was given: the person may not be traceable."


class CaseRowsModel(RowsModel):
    """New cases, with repeat overdoses and possible matches marked in words and an icon."""

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row: CaseRow = self.rows[index.row()]
        column = index.column()
        marked = (
            (column == OVERDOSE_COLUMN and row.overdoses > 1)
            or (column == MATCH_COLUMN and row.needs_review)
            or (column == TRACEABILITY_COLUMN and row.untraceable)
        )
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == WAITING_COLUMN:
                return row.received
            if column == OVERDOSE_COLUMN and row.overdoses > 1:
                return f"{row.overdoses} overdoses known for this person: {row.overdose_dates}"
            if column == MATCH_COLUMN and row.needs_review:
                return "This person may already be known; decide under Possible matches."
            if column == TRACEABILITY_COLUMN:
                return TRACEABILITY_TIP + (UNTRACEABLE_TIP if row.untraceable else "")
        if marked and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if marked and role == Qt.ItemDataRole.DecorationRole:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return super().data(index, role)


class InboxTable(RowTable):
    """A list of the inbox; Enter or a double-click asks for the row to be opened."""

    def __init__(self, model: RowsModel, name: str, widths: Sequence[int] = ()) -> None:
        super().__init__(model)
        self.setAccessibleName(name)
        for column, width in enumerate(widths):
            self.setColumnWidth(column, width)

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedRows())


def _plural(n: int, word: str) -> str:
    return f"1 {word}" if n == 1 else f"{n} {word}s"


class InboxView(QWidget):
    """New cases above; possible matches (and, for leads, recent merges) below."""

    loaded = Signal()  # after each refresh has arrived
    changed = Signal()  # after an action changed cases (other views may want to refresh)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        open_case: Callable[[int], None],
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._open_case = open_case
        self._runner = runner or TaskRunner(self)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._answers = LatestOnly()
        self.loading = False
        self.data: InboxData | None = None

        self.cases_model = CaseRowsModel(CASE_HEADERS, self)
        self.matches_model = RowsModel(MATCH_HEADERS, self)
        self.merges_model = RowsModel(MERGE_HEADERS, self)
        self.cases_table = InboxTable(self.cases_model, "New cases", CASE_WIDTHS)
        self.cases_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.matches_table = InboxTable(
            self.matches_model, "Possible matches", (150, 200, 200, 56, 120)
        )
        self.matches_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.merges_table = InboxTable(self.merges_model, "Recent merges", (120, 220, 220))
        self.merges_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

        self.cases_title = QLabel("New cases, not yet assigned")
        bold = self.cases_title.font()
        bold.setBold(True)
        self.cases_title.setFont(bold)
        self.message = InlineMessage()

        self.open_button = QPushButton("Open case")
        self.take_button = QPushButton("Take case")
        self.take_button.setToolTip("Put the selected case in your own caseload")
        self.worker_choice = QComboBox()
        self.worker_choice.setMinimumWidth(180)
        # Wide enough for "Testworker One — 12 open, 3 overdue" once the loads have arrived.
        self.worker_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.assign_button = QPushButton("Assign")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("F5")
        can_assign = actor.can("assign")
        self.take_button.setVisible(actor.can("take_case") and not can_assign)
        assign_label = label_for(
            "Assign selected to:", self.worker_choice, "The worker the selected cases go to"
        )
        for widget in (assign_label, self.worker_choice, self.assign_button):
            widget.setVisible(can_assign)
        case_buttons = QHBoxLayout()
        case_buttons.addWidget(self.open_button)
        case_buttons.addWidget(self.take_button)
        case_buttons.addSpacing(16)
        case_buttons.addWidget(assign_label)
        case_buttons.addWidget(self.worker_choice)
        case_buttons.addWidget(self.assign_button)
        case_buttons.addStretch(1)
        case_buttons.addWidget(self.refresh_button)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.cases_title)
        top_layout.addWidget(self.cases_table, 1)
        top_layout.addLayout(case_buttons)

        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("See both records side by side and decide")
        match_page = QWidget()
        match_layout = QVBoxLayout(match_page)
        match_layout.addWidget(self.matches_table, 1)
        match_buttons = QHBoxLayout()
        match_buttons.addWidget(self.compare_button)
        match_buttons.addStretch(1)
        match_layout.addLayout(match_buttons)

        self.undo_button = QPushButton("Undo merge")
        merge_page = QWidget()
        merge_layout = QVBoxLayout(merge_page)
        merge_layout.addWidget(self.merges_table, 1)
        merge_buttons = QHBoxLayout()
        merge_buttons.addWidget(self.undo_button)
        merge_buttons.addWidget(QLabel("Merges that can still be undone, newest first."))
        merge_buttons.addStretch(1)
        merge_layout.addLayout(merge_buttons)

        self.lower_tabs = QTabWidget()
        self.lower_tabs.addTab(match_page, "Possible matches")
        if actor.can("merge_people"):
            self.lower_tabs.addTab(merge_page, "Recent merges")
        else:  # kept (hidden) so that the code paths stay the same for every role
            merge_page.setParent(self)
            merge_page.hide()
        self._add_alerts_tab(actor)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.lower_tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([520, 220])
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

        self.cases_table.open_requested.connect(self._open_case_row)
        self.matches_table.open_requested.connect(self._compare_row)
        self.open_button.clicked.connect(self.open_selected)
        self.take_button.clicked.connect(self.take_selected)
        self.assign_button.clicked.connect(self.assign_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.compare_button.clicked.connect(self.compare_selected)
        self.undo_button.clicked.connect(self.undo_selected_merge)
        self.cases_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.worker_choice.currentIndexChanged.connect(self._update_buttons)
        self.matches_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.merges_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()
        if can_assign:
            self._load_workers()
        # Read when shown, and each time it is shown again: new referrals arrive all day.
        RefreshWhenShown(self, self.refresh, every_show=True)

    def _add_alerts_tab(self, actor: Actor) -> None:
        """For leads: new overdoses on open cases their workers have not yet acknowledged."""
        self.alerts_model = RowsModel(ALERT_HEADERS, self)
        self.alerts_table = InboxTable(
            self.alerts_model, "New overdoses on open cases", (150, 200, 160, 240)
        )
        self.alerts_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.alerts_table.open_requested.connect(
            lambda row: self._open_case(self.alerts_model.rows[row].case_id)
        )
        self.alerts_page = QWidget()
        layout = QVBoxLayout(self.alerts_page)
        layout.addWidget(self.alerts_table, 1)
        layout.addWidget(
            QLabel("The case's worker sees each at the top of My work until they acknowledge it.")
        )
        if actor.can("view_all_cases"):
            self.lower_tabs.addTab(self.alerts_page, "New overdoses on open cases")
        else:
            self.alerts_page.setParent(self)
            self.alerts_page.hide()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Ask for the lists again; an answer to an earlier request is dropped."""
        ticket = self._answers.ticket()
        self.loading = True
        db, actor, now = self._db, self._actor, self._clock()
        self._runner.run(
            lambda: load_inbox(db, actor, now),
            ticket.only(self._loaded),
            ticket.only(message_to(self._load_failed)),
            name="inbox",
        )

    def _loaded(self, data: InboxData) -> None:
        self.loading = False
        self.data = data
        self.cases_model.set_rows(data.cases)
        self.matches_model.set_rows(data.matches)
        self.merges_model.set_rows(data.merges)
        count = len(data.cases)
        more = f" (the newest {CASE_LIMIT} are shown)" if data.more_cases else ""
        self.cases_title.setText(f"New cases, not yet assigned: {count}{more}")
        self.lower_tabs.setTabText(0, f"Possible matches to decide ({len(data.matches)})")
        if self.lower_tabs.count() > 1 and self.lower_tabs.widget(1) is not self.alerts_page:
            self.lower_tabs.setTabText(1, f"Recent merges ({len(data.merges)})")
        self.alerts_model.set_rows(data.alerts)
        at = self.lower_tabs.indexOf(self.alerts_page)
        if at >= 0:
            self.lower_tabs.setTabText(at, f"New overdoses on open cases ({len(data.alerts)})")
        self._update_buttons()
        self.loaded.emit()

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self.say(message)

    def _reload_loads(self) -> None:
        """Read the workers' loads again: they change with every assignment."""
        if self._actor.can("assign"):
            self._load_workers()

    def _load_workers(self) -> None:
        db = self._db

        actor = self._actor

        def fetch() -> list[WorkerLoad]:
            with db.session() as s:
                return allocation.worker_loads(s, actor)

        self._runner.run(fetch, self._fill_workers, message_to(self.say), name="worker list")

    def _fill_workers(self, workers: list[WorkerLoad]) -> None:
        # Each with their open and overdue cases, so that a lead sees who has room.
        fill_workers(self.worker_choice, workers, CHOOSE_WORKER)
        self._update_buttons()

    # ------------------------------------------------------------------ state

    def say(self, text: str) -> None:
        self.message.say(text)

    def selected_cases(self) -> list[CaseRow]:
        return [self.cases_model.rows[r] for r in self.cases_table.selected_rows()]

    def _update_buttons(self) -> None:
        cases = len(self.cases_table.selected_rows())
        self.open_button.setEnabled(cases == 1)
        self.take_button.setEnabled(cases >= 1)
        chosen = self.worker_choice.currentData() is not None
        self.assign_button.setEnabled(cases >= 1 and chosen)
        self.assign_button.setText(f"Assign {_plural(cases, 'case')}" if cases else "Assign")
        self.compare_button.setEnabled(bool(self.matches_table.selected_rows()))
        self.undo_button.setEnabled(bool(self.merges_table.selected_rows()))

    # ------------------------------------------------------------------ actions

    def _open_case_row(self, row: int) -> None:
        self._open_case(self.cases_model.rows[row].case_id)

    def open_selected(self) -> None:
        rows = self.cases_table.selected_rows()
        if rows:
            self._open_case_row(rows[0])

    def _act(self, fn: Callable[[], Any], done_text: Callable[[Any], str], name: str) -> None:
        self.say("")
        for button in (self.take_button, self.assign_button, self.undo_button):
            button.setEnabled(False)

        def done(result: Any) -> None:
            self.say(done_text(result))
            self.changed.emit()
            self.refresh()
            self._reload_loads()

        def failed(message: str) -> None:
            self.say(message)
            self.refresh()
            self._reload_loads()

        self._runner.run(fn, done, message_to(failed), name=name)

    def assign_selected(self) -> None:
        rows = self.selected_cases()
        worker_id = self.worker_choice.currentData()
        if not rows or worker_id is None:
            return
        seen: dict[int, int | None] = {r.case_id: r.version for r in rows}
        db, actor = self._db, self._actor

        def run() -> MoveSummary:
            # The inbox's cases have no worker yet: no reason is asked for. A case taken or
            # changed meanwhile is named in the summary; the others are assigned.
            with db.session(write=True) as s:
                return allocation.reassign_cases(s, actor, seen, worker_id, "")

        self._act(run, lambda summary: summary.text, "assign cases")

    def take_selected(self) -> None:
        ids = [r.case_id for r in self.selected_cases()]
        if not ids:
            return
        db, actor = self._db, self._actor

        def run() -> None:
            with db.session(write=True) as s:
                for case_id in ids:
                    inbox.take_case(s, actor, case_id)

        self._act(
            run,
            lambda _r: (
                f"You took {_plural(len(ids), 'case')}; "
                f"{'it is' if len(ids) == 1 else 'they are'} now in your caseload."
            ),
            "take cases",
        )

    def undo_selected_merge(self) -> None:
        rows = self.merges_table.selected_rows()
        if not rows:
            return
        merge_id = self.merges_model.rows[rows[0]].merge_id
        db, actor = self._db, self._actor

        def run() -> None:
            from followup.intake import merging

            with db.session(write=True) as s:
                merging.undo_merge(s, actor, merge_id)

        self._act(
            run,
            lambda _r: (
                "Merge undone: both records are as they were, and the match "
                "waits for a decision again under Possible matches."
            ),
            "undo merge",
        )

    def _compare_row(self, row: int) -> MatchDialog:
        review_id = self.matches_model.rows[row].review_id
        dialog = MatchDialog(self._db, self._actor, review_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.decided.connect(self._after_decision)
        dialog.show()
        return dialog

    def compare_selected(self) -> MatchDialog | None:
        rows = self.matches_table.selected_rows()
        return self._compare_row(rows[0]) if rows else None

    def _after_decision(self) -> None:
        self.changed.emit()
        self.refresh()
