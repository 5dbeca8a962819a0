"""The dashboard's Timeliness tab: time from receipt to first attempt and to first contact, in
buckets (under 24 h, 24–48 h, 48–72 h, 3–7 days, 7 days or more, not yet).

One call of ``followup.reports.timeliness.timeliness_report`` (by worker, area and weekday at
once) on the dashboard's ``TaskRunner`` for the dashboard's period gives every number; the
"By" choice only picks which rows are shown. Double-clicking a bucket cell (or Enter on it)
lists exactly the cases behind it (``timeliness_cases``, also in the background) in the
dashboard's drill-down page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.reports.definitions import TIMELINESS_FIGURES, Period, tooltip
from followup.reports.queries import GroupKey
from followup.reports.timeliness import (
    BUCKET_LABELS,
    BUCKETS,
    TIMELINESS_BY,
    TimelinessReport,
    TimelinessRow,
    figure_key,
    record_timeliness,
    timeliness_cases,
    timeliness_report,
)
from followup.ui.dashboard.drill_down import WHOLE_TEAM, DrillDown
from followup.ui.dashboard.tables import TOTAL_ROW_BRUSH
from followup.ui.tasks import LatestOnly, TaskRunner, message_to
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.uktime import short_date_time

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "BY_CHOICES",
    "TimelinessAnswer",
    "TimelinessDrill",
    "TimelinessModel",
    "TimelinessPanel",
    "TimelinessTable",
    "load_timeliness",
    "load_timeliness_cases",
]

# The "By" choice: (text shown, breakdown; None for the whole team alone).
BY_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Whole team", None),
    ("Worker", "worker"),
    ("Area", "area"),
    ("Weekday received", "weekday"),
)
_NAME_TIPS = {
    None: "",
    "worker": "The worker each case is assigned to now; Unassigned when nobody is.",
    "area": "The postcode district of each case (such as B5); Unknown area when none is recorded.",
    "weekday": "The day of the week the referral was received, on the UK clock (BST in summer).",
}
_Index = QModelIndex | QPersistentModelIndex
# What the background work answers: the report, or why it could not be made.
TimelinessAnswer = TimelinessReport | str


def load_timeliness(db: Database, actor: Actor, period: Period) -> TimelinessReport:
    """The tab's numbers, on a pool thread; read, then audited in a second short transaction
    that starts with its write (so it waits its turn behind another writer)."""
    with db.session() as s:
        report = timeliness_report(s, actor, period, by=TIMELINESS_BY, record=False)
    with db.session(write=True) as s:
        record_timeliness(s, actor, report)
    return report


def load_timeliness_cases(
    db: Database, actor: Actor, period: Period, measure: str, bucket: str, group: GroupKey | None
) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(timeliness_cases(s, actor, period, measure, bucket, group))


@dataclass(frozen=True)
class TimelinessDrill(DrillDown):
    """The cases behind one bucket cell, for the dashboard's drill-down page."""

    @property
    def title(self) -> str:
        label = TIMELINESS_FIGURES[self.figure].label
        return f"Cases behind: {label} — {self.group_label} — {self.period.label}"

    @property
    def explanation(self) -> str:
        label = TIMELINESS_FIGURES[self.figure].label
        whom = "the whole team" if self.group_label == WHOLE_TEAM else self.group_label
        count = int(self.value or 0)
        return f"{label} for {whom}: {count} case{'' if count == 1 else 's'}. This list shows them."


class TimelinessModel(QAbstractTableModel):
    """One measure's rows (a breakdown, then the team's total): received, then each bucket."""

    def __init__(self, measure: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.measure = measure
        self._rows: list[TimelinessRow] = []
        self._name_heading = "Cases"
        self._name_tip = ""
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[TimelinessRow], heading: str, tip: str) -> None:
        self.beginResetModel()
        self._rows = rows
        self._name_heading, self._name_tip = heading, tip
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)

    def row(self, index: int) -> TimelinessRow:
        return self._rows[index]

    def bucket(self, column: int) -> str | None:
        """The bucket of a column; None for the name and received columns."""
        return BUCKETS[column - 2] if column >= 2 else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(BUCKETS) + 2

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        bucket = self.bucket(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return self._name_heading
            return "Received" if bucket is None else BUCKET_LABELS[bucket]
        if role == Qt.ItemDataRole.ToolTipRole:
            if section == 0:
                return self._name_tip or None
            if bucket is None:
                return tooltip("received")
            return tooltip(figure_key(self.measure, bucket))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignLeft if section == 0 else Qt.AlignmentFlag.AlignRight
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self._rows[index.row()]
        column = index.column()
        bucket = self.bucket(column)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return line.label
            if bucket is None:
                return f"{line.received:,}"
            return f"{line.count(self.measure, bucket):,}"
        if role == Qt.ItemDataRole.ToolTipRole and bucket is not None:
            return f"{line.label}. Double-click to list the cases behind this number."
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if line.by is None:
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return TOTAL_ROW_BRUSH
        return None


class TimelinessTable(QTableView):
    """A table of one measure; a double-click or Enter on a bucket asks for its cases."""

    drill_requested = Signal(object, str)  # the row, the bucket

    def __init__(self, model: TimelinessModel, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName(name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        metrics = header.fontMetrics()
        for column in range(1, model.columnCount()):
            text = str(model.headerData(column, Qt.Orientation.Horizontal))
            self.setColumnWidth(column, max(metrics.horizontalAdvance(text) + 20, 60))

    def timeliness(self) -> TimelinessModel:
        model = self.model()
        assert isinstance(model, TimelinessModel)
        return model

    def drill(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        model = self.timeliness()
        bucket = model.bucket(index.column())
        if bucket is not None:
            self.drill_requested.emit(model.row(index.row()), bucket)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            self.drill(index)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.drill(self.currentIndex())
            return
        super().keyPressEvent(event)


class TimelinessPanel(QWidget):
    """The "By" choice and the two tables, first attempt and first contact."""

    drill_ready = Signal(object)  # a TimelinessDrill, for the dashboard's drill-down page

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
        self.report: TimelinessReport | None = None
        self.loading = False

        self.by_choice = QComboBox()
        by_label = label_for(
            "By",
            self.by_choice,
            "Show the buckets for the whole team or by worker, area or weekday",
        )
        for text, _ in BY_CHOICES:
            self.by_choice.addItem(text)
        self.note = QLabel("")
        set_role(self.note, StyleRole.NOTE)
        self.note.setWordWrap(True)
        self.message = InlineMessage()
        top = QHBoxLayout()
        top.addWidget(by_label)
        top.addWidget(self.by_choice)
        top.addWidget(self.note, 1)

        self.attempt_model = TimelinessModel("attempt", self)
        self.contact_model = TimelinessModel("contact", self)
        self.attempt_table = TimelinessTable(self.attempt_model, "Time to first attempt")
        self.contact_table = TimelinessTable(self.contact_model, "Time to first contact")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        for title, measure, table in (
            ("Time from receipt to first attempt", "attempt", self.attempt_table),
            ("Time from receipt to first contact", "contact", self.contact_table),
        ):
            heading = QLabel(title)
            font = heading.font()
            font.setBold(True)
            heading.setFont(font)
            layout.addWidget(heading)
            layout.addWidget(table, 1)
            table.drill_requested.connect(
                lambda row, bucket, m=measure: self.drill_down(m, bucket, row)
            )
        self.by_choice.currentIndexChanged.connect(self._show_rows)

    # ------------------------------------------------------------------ loading

    def load(self, period: Period) -> None:
        """Work the buckets out for ``period`` on the runner (the panel on its own)."""
        ticket = self._answers.ticket()
        self._runner.run(
            self.background(period),
            ticket.only(self.show_answer),
            ticket.only(message_to(self._failed)),
            name="timeliness report",
        )

    def background(self, period: Period) -> Callable[[], TimelinessAnswer]:
        """Say the buckets are being worked out for ``period``; the work, for a pool thread,
        which answers the report or, when it could not be made, why (for ``show_answer``). The
        dashboard runs it in its own task, after its figures."""
        self._answers.ticket()  # an answer to an earlier request is no longer shown
        self.loading = True
        self.message.hide()
        self.note.setText(f"Working out the timeliness for {period.label}…")
        db, actor = self._db, self._actor

        def work() -> TimelinessAnswer:
            try:
                return load_timeliness(db, actor, period)
            except FollowupError as exc:
                return str(exc)

        return work

    def show_answer(self, answer: TimelinessAnswer) -> None:
        """Show what ``background``'s work answered."""
        if isinstance(answer, str):
            self._failed(answer)
        else:
            self._loaded(answer)

    def _loaded(self, report: TimelinessReport) -> None:
        self.loading = False
        self.report = report
        self.note.setText(
            f"Cases received {report.period.label}, by how long after receipt their first "
            f"attempt and first contact came (“Not yet”: none so far). Made "
            f"{short_date_time(report.made_at)}. Double-click a number to list its cases."
        )
        self._show_rows()

    def _failed(self, message: str) -> None:
        self.loading = False
        self.note.setText("")
        self.message.warn(message)

    def by(self) -> str | None:
        return BY_CHOICES[max(self.by_choice.currentIndex(), 0)][1]

    def _show_rows(self) -> None:
        report = self.report
        if report is None:
            return
        by = self.by()
        rows = [*(report.groups.get(by, ()) if by else ()), report.totals]
        heading = BY_CHOICES[max(self.by_choice.currentIndex(), 0)][0]
        for model in (self.attempt_model, self.contact_model):
            model.set_rows(rows, "Cases" if by is None else heading, _NAME_TIPS[by])

    # ------------------------------------------------------------------ drill-down

    def drill_down(self, measure: str, bucket: str, row: TimelinessRow) -> None:
        report = self.report
        if report is None:
            return
        period, made_at = report.period, report.made_at
        group, value = row.group, row.count(measure, bucket)
        label = WHOLE_TEAM if row.by is None else row.label
        figure = figure_key(measure, bucket)
        db, actor = self._db, self._actor
        self.message.say("Finding the cases behind the number…")
        self._runner.run(
            lambda: load_timeliness_cases(db, actor, period, measure, bucket, group),
            lambda ids: self._drilled(TimelinessDrill(figure, label, period, value, ids, made_at)),
            message_to(self.message.warn),
            name="cases behind a timeliness number",
        )

    def _drilled(self, drill: TimelinessDrill) -> None:
        self.message.hide()
        self.drill_ready.emit(drill)
