"""The team lead's dashboard: a period, its funnel, rates, trend and breakdowns, and exports.

One call of ``followup.reports.engagement.engagement_report`` (by worker, area and month at once) on a
pool thread gives every number shown, the same service as `followup report engagement`.
Clicking a funnel bar, a month's bar, a tile or a table cell lists exactly the cases behind
that number (``reports.cases_behind``, also in the background) in a drill-down page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.reports.definitions import MEDIANS, RATES, Period
from followup.reports.engagement import EngagementReport, cases_behind, engagement_report
from followup.reports.exports import ExportResult
from followup.reports.queries import GroupKey
from followup.ui.dashboard import exports
from followup.ui.dashboard.alerts import AlertHistory
from followup.ui.dashboard.benchmarks import BenchmarksPanel
from followup.ui.dashboard.charts import FunnelChart, TrendChart
from followup.ui.dashboard.drill_down import WHOLE_TEAM, DrillDown, DrillDownView
from followup.ui.dashboard.exports import PERIOD_EXPORTS, ExportKind
from followup.ui.dashboard.figures import SNAPSHOTS, FigureTile
from followup.ui.dashboard.kits import KitsTab
from followup.ui.dashboard.ndtms_dialog import ExclusionsDialog, show_exclusions
from followup.ui.dashboard.tables import BreakdownModel, BreakdownTable
from followup.ui.dashboard.timeliness import TimelinessAnswer, TimelinessPanel
from followup.ui.dashboard.traceability import TraceabilityPanel
from followup.ui.tasks import LatestOnly, RefreshWhenShown, TaskRunner, message_to
from followup.ui.widgets.dates import date_of, qdate_of
from followup.ui.widgets.look import StyleRole, set_role
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.named import label_for
from followup.uktime import QT_DATE_FORMAT, long_date, short_date_time, uk_today

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "BREAKDOWNS",
    "DATE_PAUSE_MS",
    "PERIOD_CHOICES",
    "TILES",
    "DashboardView",
    "load_cases_behind",
    "load_report",
    "utc_today",
]

BREAKDOWNS = ("worker", "area", "month")
THIS_MONTH, LAST_MONTH, THIS_QUARTER, CUSTOM = "This month", "Last month", "This quarter", "Custom…"
PERIOD_CHOICES = (THIS_MONTH, LAST_MONTH, THIS_QUARTER, CUSTOM)
TILES = (*RATES, *MEDIANS, *SNAPSHOTS)
CHARTS_MIN_HEIGHT, TABLES_MIN_HEIGHT = 240, 280  # pixels
DATE_PAUSE_MS = 400  # wait for the user to stop changing a date before asking again


def utc_today() -> date:
    return uk_today()


def load_report(db: Database, actor: Actor, period: Period) -> EngagementReport:
    """The whole dashboard's figures, on a pool thread with its own session. The report is
    audited, so on SQLite the session takes the write lock first: a read that turned into a
    write would fail at once if another change had landed since the read began."""
    with db.session(write=True) as s:
        return engagement_report(s, actor, period, by=BREAKDOWNS)


def load_cases_behind(
    db: Database,
    actor: Actor,
    period: Period,
    figure: str,
    group: GroupKey | None,
    now: datetime,
) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(cases_behind(s, actor, period, figure, group, now=now))


class _FitsItsPage(QVBoxLayout):
    """The dashboard's own layout, which asks the page it is shown in for no more height than
    it needs at least.

    Its wrapped labels give it a height for each width, and a scroll area makes the page that
    tall; Qt's answer is every part's preferred height (1,480 pixels on a 1080-line screen), so
    the tables under the charts were off the bottom of the screen. The least height plus what
    the labels' wrapping adds at this width makes the page the screen's height when that fits,
    and scrolls it when not.
    """

    def heightForWidth(self, width: int) -> int:
        wrapping = super().heightForWidth(width) - super().heightForWidth(4 * width)
        return self.minimumSize().height() + max(wrapping, 0)


class DashboardView(QWidget):
    """The period picker, figure tiles, funnel, trend, tables and exports; then drill-downs."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        open_case: Callable[[int], None],
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
        today: Callable[[], date] = utc_today,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._today = today
        self._runner = runner or TaskRunner(self)
        self._answers = LatestOnly()
        # Nothing loaded yet: the first showing asks; a refresh while hidden waits for the next.
        self._when_shown = RefreshWhenShown(self, self._load, dirty=True)
        self.report: EngagementReport | None = None
        self.loading = False

        # -- period and exports
        self.period_choice = QComboBox()
        period_label = label_for(
            "Period", self.period_choice, "The figures below are for this period"
        )
        self.period_choice.addItems(PERIOD_CHOICES)
        self.first_day = self._date_edit("First day")
        self.last_day = self._date_edit("Last day")
        self.to_label = QLabel("to")
        self.export_buttons: dict[str, QPushButton] = {}
        self.exclusions_dialog: ExclusionsDialog | None = None
        top = QHBoxLayout()
        top.addWidget(period_label)
        top.addWidget(self.period_choice)
        top.addWidget(self.first_day)
        top.addWidget(self.to_label)
        top.addWidget(self.last_day)
        top.addStretch(1)
        for spec in PERIOD_EXPORTS:
            button = QPushButton(spec.button)
            button.setToolTip(spec.tip)
            button.setEnabled(actor.can("export"))
            button.clicked.connect(lambda _=False, k=spec: self.export(k))
            self.export_buttons[spec.kind] = button
            top.addWidget(button)
        self._show_custom(False)

        self.heading = QLabel("")
        heading_font = self.heading.font()
        heading_font.setBold(True)
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.3)
        self.heading.setFont(heading_font)
        self.note = QLabel("")
        set_role(self.note, StyleRole.NOTE)
        self.note.setWordWrap(True)
        self.message = InlineMessage()

        # -- figures
        self.tiles: dict[str, FigureTile] = {}
        tiles = QGridLayout()
        tiles.setHorizontalSpacing(8)
        for i, key in enumerate(TILES):
            tile = FigureTile(key)
            tile.clicked.connect(lambda k: self.drill_down(k))
            self.tiles[key] = tile
            tiles.addWidget(tile, 0, i)

        self.funnel = FunnelChart()
        self.trend = TrendChart()
        self.funnel.stage_clicked.connect(lambda k: self.drill_down(k))
        self.trend.month_clicked.connect(lambda month, k: self.drill_down(k, ("month", month)))
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.funnel)
        charts.addWidget(self.trend)
        charts.setChildrenCollapsible(False)
        charts.setSizes([500, 600])

        self.worker_model = BreakdownModel(
            "Worker", "The worker each case is assigned to now; Unassigned when nobody is.", self
        )
        self.area_model = BreakdownModel(
            "Area",
            "The postcode district of each case (such as B5); Unknown area when none is recorded.",
            self,
        )
        self.worker_table = BreakdownTable(self.worker_model, "Figures by worker")
        self.area_table = BreakdownTable(self.area_model, "Figures by area")
        for table in (self.worker_table, self.area_table):
            table.drill_requested.connect(lambda group, k: self.drill_down(k, group))
        self.tables = QTabWidget()
        self.tables.setDocumentMode(True)
        self.tables.addTab(self.worker_table, "By worker")
        self.tables.addTab(self.area_table, "By area")
        self.timeliness = TimelinessPanel(db, actor, runner=self._runner)
        self.timeliness.drill_ready.connect(self._show_drill)
        self.tables.addTab(self.timeliness, "Timeliness")
        self.traceability = TraceabilityPanel(db, actor, self._runner)
        self.tables.addTab(self.traceability, "Traceability")
        self.kits_tab = KitsTab(db, actor, open_case, runner=self._runner)
        self.tables.addTab(self.kits_tab, "Kits")
        self.alerts = AlertHistory(db, actor, open_case, runner=self._runner)  # spike alerts
        self.tables.addTab(self.alerts, "Alerts")
        hint = QLabel(
            "Click a bar, a figure or double-click a table cell to list the cases behind it. "
            "Hover over a figure for its definition."
        )
        set_role(hint, StyleRole.NOTE)
        self.tables.setCornerWidget(hint, Qt.Corner.TopRightCorner)

        # The tabs below the charts hold tables of a dozen rows: never squeezed to their tab
        # bar when the tiles and the published figures take the height (the page scrolls).
        charts.setMinimumHeight(CHARTS_MIN_HEIGHT)
        self.tables.setMinimumHeight(TABLES_MIN_HEIGHT)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(charts)
        body.addWidget(self.tables)
        body.setChildrenCollapsible(False)
        body.setStretchFactor(0, 5)
        body.setStretchFactor(1, 4)
        body.setSizes([500, 400])

        self.board = QWidget()
        board = QVBoxLayout(self.board)
        board.setContentsMargins(0, 0, 0, 0)
        board.addLayout(top)
        board.addWidget(self.heading)
        board.addWidget(self.note)
        board.addWidget(self.message)
        board.addLayout(tiles)
        self.benchmarks = BenchmarksPanel()  # published programmes beside our rates
        board.addWidget(self.benchmarks)
        board.addWidget(body, 1)

        # -- drill-down
        self.drill_view = DrillDownView(db, actor, open_case, runner=self._runner)
        self.drill_view.back_requested.connect(self.show_board)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.board)
        self.pages.addWidget(self.drill_view)
        layout = _FitsItsPage(self)
        layout.addWidget(self.pages)

        self._date_timer = QTimer(self, singleShot=True, interval=DATE_PAUSE_MS)
        self._date_timer.timeout.connect(self.refresh)
        self.period_choice.currentIndexChanged.connect(self._period_chosen)
        self.first_day.dateChanged.connect(self._date_timer.start)
        self.last_day.dateChanged.connect(self._date_timer.start)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setAccessibleName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(QT_DATE_FORMAT)
        edit.setDate(qdate_of(self._today()))
        return edit

    # ------------------------------------------------------------------ the period

    def current_period(self) -> Period:
        """The period the picker shows; a custom one may raise when its dates are the wrong way."""
        choice, today = self.period_choice.currentText(), self._today()
        if choice == THIS_MONTH:
            return Period.this_month(today)
        if choice == LAST_MONTH:
            return Period.last_month(today)
        if choice == THIS_QUARTER:
            return Period.this_quarter(today)
        return Period.custom(date_of(self.first_day.date()), date_of(self.last_day.date()))

    def choose_custom(self, first: date, last: date) -> None:
        """Pick a custom period (as a user would with the combo and the two dates)."""
        for widget, set_value in (
            (self.period_choice, lambda: self.period_choice.setCurrentText(CUSTOM)),
            (self.first_day, lambda: self.first_day.setDate(qdate_of(first))),
            (self.last_day, lambda: self.last_day.setDate(qdate_of(last))),
        ):
            widget.blockSignals(True)
            set_value()
            widget.blockSignals(False)
        self._show_custom(True)
        self.refresh()

    def _show_custom(self, shown: bool) -> None:
        for widget in (self.first_day, self.to_label, self.last_day):
            widget.setVisible(shown)

    def _period_chosen(self) -> None:
        custom = self.period_choice.currentText() == CUSTOM
        if custom and self.report is not None:
            # Start from the period on screen, so a small change is a small edit.
            for edit, day in (
                (self.first_day, self.report.period.start),
                (self.last_day, self.report.period.last_day),
            ):
                edit.blockSignals(True)
                edit.setDate(qdate_of(day))
                edit.blockSignals(False)
        self._show_custom(custom)
        self.refresh()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Work the figures out again for the chosen period (now, if the view is on screen)."""
        self._date_timer.stop()
        self._when_shown.request()  # hidden: asks when next shown

    def _load(self) -> None:
        try:
            period = self.current_period()
        except FollowupError as exc:
            self.message.warn(str(exc))
            return
        ticket = self._answers.ticket()
        self.loading = True
        self.message.hide()
        self.note.setText(f"Working out the figures for {period.label}…")
        db, actor = self._db, self._actor
        # The Timeliness tab in the same task, after the figures: on SQLite two reports at
        # once would each write their audit entry while the other reads.
        timeliness = self.timeliness.background(period)
        self._runner.run(
            lambda: (load_report(db, actor, period), timeliness()),
            ticket.only(self._loaded_with_timeliness),
            ticket.only(message_to(self._load_failed)),
            name="dashboard report",
        )
        self.drill_view.refresh()
        self.kits_tab.refresh(period)

    def _loaded(self, report: EngagementReport) -> None:
        self.loading = False
        self.report = report
        period = report.period
        self.heading.setText(
            f"Referrals received {long_date(period.start)} to {long_date(period.last_day)}"
        )
        self.note.setText(
            f"Each case counts in the period its referral was received in; its attempts and "
            f"progress count up to now. Figures made {short_date_time(report.made_at)}; “Overdue now” is a "
            f"snapshot at that time. First-attempt target: {report.first_attempt_hours} hours."
        )
        for tile in self.tiles.values():
            tile.show_figures(report.totals)
        self.funnel.show_funnel(report.funnel())
        self.benchmarks.show_figures(report.totals)
        self.trend.show_months(report.groups.get("month", ()))
        self.worker_model.set_rows(report.groups.get("worker", ()), report.totals)
        self.area_model.set_rows(report.groups.get("area", ()), report.totals)
        self.traceability.load(period)  # after the dashboard's own report: one writer

    def _loaded_with_timeliness(self, both: tuple[EngagementReport, TimelinessAnswer]) -> None:
        self._loaded(both[0])
        self.timeliness.show_answer(both[1])

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self.timeliness.show_answer(message)
        self.note.setText("")
        self.message.warn(message)

    # ------------------------------------------------------------------ drill-down

    def group_label(self, group: GroupKey | None) -> str:
        if group is None or self.report is None:
            return WHOLE_TEAM
        by, key = group
        row = next((g for g in self.report.groups.get(by, ()) if g.key == key), None)
        return row.label if row is not None else str(key)

    def figure_value(self, figure: str, group: GroupKey | None) -> int | float | None:
        if self.report is None:
            return None
        if group is None:
            return self.report.totals.value(figure)
        by, key = group
        row = next((g for g in self.report.groups.get(by, ()) if g.key == key), None)
        return row.figures.value(figure) if row is not None else None

    def drill_down(self, figure: str, group: GroupKey | None = None) -> None:
        """List the cases behind ``figure`` of the report on screen (for a group, or the team).

        A rate lists its numerator's cases and a median the cases it is taken over, so the
        count listed is the count the figure is made of.
        """
        report = self.report
        if report is None:
            return
        if group is not None and group[0] == "month" and figure == "overdue":
            return  # a snapshot has no month
        period, made_at = report.period, report.made_at
        label, value = self.group_label(group), self.figure_value(figure, group)
        db, actor = self._db, self._actor
        self.message.say("Finding the cases behind the figure…")
        self._runner.run(
            lambda: load_cases_behind(db, actor, period, figure, group, made_at),
            lambda ids: self._show_drill(DrillDown(figure, label, period, value, ids, made_at)),
            message_to(self.message.warn),
            name="cases behind a figure",
        )

    def _show_drill(self, drill: DrillDown) -> None:
        self.message.hide()
        self.drill_view.show_cases(drill)
        self.pages.setCurrentWidget(self.drill_view)

    def show_board(self) -> None:
        self.pages.setCurrentWidget(self.board)

    # ------------------------------------------------------------------ exports

    def export(self, spec: ExportKind) -> None:
        """Ask where, then write one of the period's exports in the background."""
        try:
            period = self.current_period()
        except FollowupError as exc:
            self.message.warn(str(exc))
            return
        suggested = exports.suggested_name(spec.kind, period)
        path = exports.choose_save_path(self, spec.dialog_title, suggested, spec.file_filter)
        if path is None:
            return
        db, actor = self._db, self._actor
        button = self.export_buttons[spec.kind]
        button.setEnabled(False)
        self.message.say(f"Writing {spec.button.rstrip('…')} for {period.label}…")
        self._runner.run(
            lambda: exports.run_export(db, actor, spec.kind, path, period),
            lambda result: self._exported(button, result),
            message_to(lambda message: self._export_failed(button, message)),
            name=f"{spec.kind} export",
        )

    def _exported(self, button: QPushButton, result: ExportResult) -> None:
        button.setEnabled(True)
        self.message.say(result.describe())
        self.exclusions_dialog = show_exclusions(self, result)  # an NDTMS extract's left-outs

    def _export_failed(self, button: QPushButton, message: str) -> None:
        button.setEnabled(self._actor.can("export"))
        self.message.warn(message)
