"""The dashboard's two charts, drawn with Qt's own QtCharts: the funnel and the monthly trend.

Each chart is rebuilt from plain report data when a report arrives; the old chart is handed
back by the view and deleted, so series, axes and bar sets always have a live owner. Clicking a
bar asks for the cases behind it (a signal; the dashboard does the drill-down).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from followup.reports.definitions import FIGURES, tooltip
from followup.reports.engagement import GroupFigures
from followup.ui.widgets.look import (
    AXIS_TEXT,
    BAR_LABEL,
    ENGAGED_COLOUR,
    FUNNEL_COLOUR,
    GRID,
    RATE_COLOUR,
    RECEIVED_COLOUR,
)

__all__ = ["TREND_FIGURES", "FunnelChart", "TrendChart", "nice_scale"]

TREND_FIGURES = ("received", "engaged")  # the bars of each month, in order


def nice_scale(largest: float, ticks: int = 5) -> tuple[float, int]:
    """An axis top a little above the largest bar (room for its label) on round steps of
    1, 2 or 5 times a power of ten; returns (top, tick count)."""
    if largest <= 0:
        return 5.0, 6
    wanted = largest * 1.12
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            size = step * factor
            if size * ticks >= wanted:
                steps = int(-(-wanted // size))  # ceiling
                return size * steps, steps + 1
        step *= 10


def _title_font(chart: QChart) -> QFont:
    font = QFont(chart.titleFont())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    return font


def _new_chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setTitleFont(_title_font(chart))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setBackgroundRoundness(4)
    chart.setMargins(QMargins(6, 4, 12, 4))
    return chart


def _style_axis(axis: QValueAxis | QBarCategoryAxis, title: str = "") -> None:
    axis.setLabelsColor(AXIS_TEXT)
    if title:
        axis.setTitleText(title)
        axis.setTitleBrush(AXIS_TEXT)
    axis.setGridLineColor(GRID)


class _BarChartView(QChartView):
    """A chart view that keeps exactly one chart, deleting the one it replaces."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)

    def _replace_chart(self, chart: QChart) -> None:
        old = self.chart()
        self.setChart(chart)  # the view owns the new chart; the old one is ours to delete
        if old is not None:
            old.deleteLater()

    def _hover(self, on: bool, text: str) -> None:
        self.setCursor(Qt.CursorShape.PointingHandCursor if on else Qt.CursorShape.ArrowCursor)
        self.setToolTip(text if on else "")


class FunnelChart(_BarChartView):
    """Referrals received down to in treatment, as horizontal bars; a bar click drills down."""

    stage_clicked = Signal(str)  # figure key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Funnel")
        self._keys: list[str] = []  # bottom to top, as the bars are drawn
        self._counts: dict[str, int] = {}
        self.show_funnel([])

    def show_funnel(self, stages: Sequence[tuple[str, str, int]]) -> None:
        """``stages`` as ``EngagementReport.funnel()`` gives them: (key, label, count)."""
        chart = _new_chart("From referral to treatment")
        chart.legend().hide()
        received = stages[0][2] if stages else 0
        # A horizontal bar chart draws its first category at the bottom: reverse, so the
        # funnel reads from the top.
        ordered = list(reversed(stages))
        self._keys = [key for key, _, _ in ordered]
        self._counts = {key: count for key, _, count in stages}
        categories = []
        for key, label, count in ordered:
            if key == "received" or not received:
                categories.append(label)
            else:
                categories.append(f"{label} ({count / received:.0%})")
        bars = QBarSet("Cases")
        bars.setColor(FUNNEL_COLOUR)
        bars.setBorderColor(FUNNEL_COLOUR)
        bars.setLabelColor(BAR_LABEL)
        bars.append([float(count) for _, _, count in ordered])
        series = QHorizontalBarSeries()
        series.setBarWidth(0.7)
        series.append(bars)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setLabelsFormat("@value")
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append(categories)
        _style_axis(axis_y)
        axis_y.setGridLineVisible(False)
        axis_x = QValueAxis()
        top, ticks = nice_scale(max((c for _, _, c in stages), default=0))
        axis_x.setRange(0, top)
        axis_x.setLabelFormat("%d")
        axis_x.setTickCount(ticks)
        _style_axis(axis_x, "Cases received in the period")
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_y)
        series.attachAxis(axis_x)
        bars.clicked.connect(self._clicked)
        bars.hovered.connect(self._hovered)
        self._replace_chart(chart)

    def _clicked(self, index: int) -> None:
        if 0 <= index < len(self._keys):
            self.stage_clicked.emit(self._keys[index])

    def _hovered(self, on: bool, index: int) -> None:
        key = self._keys[index] if 0 <= index < len(self._keys) else ""
        text = (
            f"{tooltip(key)}\n\nClick to list these {self._counts.get(key, 0):,} cases."
            if key
            else ""
        )
        self._hover(on, text)

    def bar_point(self, key: str) -> QPoint:
        """Where the middle of a stage's bar is on screen (viewport coordinates); for tests."""
        chart = self.chart()
        index = self._keys.index(key)
        series = chart.series()[0]
        middle = chart.mapToPosition(QPointF(max(self._counts[key], 1) / 2, index), series)
        return self.mapFromScene(middle)


class TrendChart(_BarChartView):
    """Per month: referrals received and engaged as bars, the engagement rate as a line."""

    month_clicked = Signal(str, str)  # month key 'YYYY-MM', figure key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Month by month")
        self._months: list[GroupFigures] = []
        self.show_months([])

    def show_months(self, months: Sequence[GroupFigures]) -> None:
        chart = _new_chart("Month by month")
        self._months = list(months)
        many = len(months) > 8  # then "Jan 25", turned on its side so every month shows
        categories = [m.label if not many else m.label.replace(" 20", " ") for m in months]
        series = QBarSeries()
        series.setBarWidth(0.75)
        series.setLabelsVisible(len(months) <= 12)
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setLabelsFormat("@value")
        for key, colour in zip(TREND_FIGURES, (RECEIVED_COLOUR, ENGAGED_COLOUR), strict=True):
            bars = QBarSet(FIGURES[key].label)
            bars.setColor(colour)
            bars.setBorderColor(colour)
            bars.setLabelColor(BAR_LABEL)
            bars.append([float(m.figures.value(key) or 0) for m in months])
            series.append(bars)
            bars.clicked.connect(lambda index, k=key: self._clicked(index, k))
            bars.hovered.connect(lambda on, index, k=key: self._hovered(on, index, k))
        chart.addSeries(series)

        rate = QLineSeries()
        rate.setName("Engagement rate (right axis)")
        pen = QPen(RATE_COLOUR)
        pen.setWidth(2)
        rate.setPen(pen)
        rate.setColor(RATE_COLOUR)
        rate.setPointsVisible(True)
        for i, m in enumerate(months):
            if m.figures.engagement_rate is not None:
                rate.append(float(i), m.figures.engagement_rate * 100)
        chart.addSeries(rate)

        axis_x = QBarCategoryAxis()
        axis_x.append(categories or [""])
        _style_axis(axis_x, "Month the referral was received")
        axis_x.setGridLineVisible(False)
        if many:
            axis_x.setLabelsAngle(-90)
        largest = max(
            (float(m.figures.value(k) or 0) for m in months for k in TREND_FIGURES), default=0
        )
        axis_y = QValueAxis()
        top, ticks = nice_scale(largest)
        axis_y.setRange(0, top)
        axis_y.setLabelFormat("%d")
        axis_y.setTickCount(ticks)
        _style_axis(axis_y, "Cases")
        axis_rate = QValueAxis()
        axis_rate.setRange(0, 100)
        axis_rate.setLabelFormat("%d%%")
        axis_rate.setTickCount(ticks)  # the same grid lines as the cases axis
        _style_axis(axis_rate, "Engagement rate")
        axis_rate.setGridLineVisible(False)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(axis_rate, Qt.AlignmentFlag.AlignRight)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        rate.attachAxis(axis_x)
        rate.attachAxis(axis_rate)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.legend().setLabelColor(AXIS_TEXT)
        self._replace_chart(chart)

    def _clicked(self, index: int, key: str) -> None:
        if 0 <= index < len(self._months):
            self.month_clicked.emit(str(self._months[index].key), key)

    def _hovered(self, on: bool, index: int, key: str) -> None:
        if not 0 <= index < len(self._months):
            self._hover(False, "")
            return
        month = self._months[index]
        count = int(month.figures.value(key) or 0)
        self._hover(
            on,
            f"{month.label}: {FIGURES[key].label} {count:,}\n\n{tooltip(key)}"
            f"\n\nClick to list these {count:,} cases.",
        )

    def bar_point(self, month_key: str, key: str) -> QPoint:
        """Where the middle of one month's bar is on screen (viewport coordinates); for tests."""
        chart = self.chart()
        index = next(i for i, m in enumerate(self._months) if m.key == month_key)
        series = chart.series()[0]
        assert isinstance(series, QBarSeries)  # the trend chart holds one bar series
        bars = series.barSets()
        which = TREND_FIGURES.index(key)
        # Bars of a category sit side by side across the bar width, centred on the category.
        width = series.barWidth() / len(bars)
        x = index - series.barWidth() / 2 + width * (which + 0.5)
        value = max(float(self._months[index].figures.value(key) or 0), 1) / 2
        return self.mapFromScene(chart.mapToPosition(QPointF(x, value), series))
