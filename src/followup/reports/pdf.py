"""The PDF summary for commissioners: the period's funnel, rates, trend and areas, no people.

Only aggregates reach this document: no names, references, dates of birth or worker names
(workers are compared inside the team, not in front of commissioners). Areas with fewer than
``SMALL_NUMBER`` referrals are shown together, so that a small count cannot point to a person.
Rendered with ReportLab; charts with reportlab.graphics. Every page carries a header line
naming the period and the time the summary was made.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from followup.access import Actor, require
from followup.files import write_atomically
from followup.pdf.fonts import FONT, FONT_BOLD, RENDER_LOCK, register_fonts
from followup.reports.definitions import FIGURES, FUNNEL, MEDIANS, RATES, Period
from followup.reports.engagement import (
    EngagementReport,
    Figures,
    GroupFigures,
    engagement_report,
)
from followup.reports.exports import (
    ExportResult,
    about_line,
    record_export,
    resolve_target,
)
from followup.uktime import DATE_TIME_FORMAT, to_uk

__all__ = [
    "SMALL_NUMBER",
    "export_commissioner_pdf",
    "funnel_chart",
    "render_commissioner_pdf",
    "summary_table",
    "trend_chart",
]

SMALL_NUMBER = 5
_BLUE, _GREEN = colors.HexColor("#2b6cb0"), colors.HexColor("#2f855a")
# The frame inside A4's 15 mm side margins: every table is laid out to this width, wrapping its
# cells, so that no column runs off the page.
FRAME_WIDTH = A4[0] - 30 * mm


def _styles() -> dict[str, Any]:
    """ReportLab's sample styles in DejaVu Sans, which is embedded (Helvetica is not)."""
    sample = getSampleStyleSheet()
    return {
        "Title": sample["Title"].clone("FollowupTitle", fontName=FONT_BOLD),
        "Normal": sample["Normal"].clone("FollowupNormal", fontName=FONT),
        "cell": sample["BodyText"].clone("FollowupCell", fontName=FONT, fontSize=7, leading=8.5),
        "head": sample["BodyText"].clone(
            "FollowupHead", fontName=FONT_BOLD, fontSize=7, leading=8.5
        ),
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def funnel_chart(report: EngagementReport) -> Drawing:
    """Bar chart of the funnel, received to in treatment."""
    stages = report.funnel()
    d = Drawing(170 * mm, 70 * mm, initialFontName=FONT)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 12 * mm, 150 * mm, 50 * mm
    chart.data = [[n for _, _, n in stages]]
    chart.categoryAxis.categoryNames = [label for _, label, _ in stages]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(1, max(n for _, _, n in stages))
    chart.bars[0].fillColor = _BLUE
    chart.barLabelFormat = "%d"
    chart.barLabels.nudge = 6
    chart.barLabels.fontSize = 7
    chart.barLabels.fontName = FONT
    _chart_fonts(chart)
    d.add(chart)
    d.add(
        String(15 * mm, 66 * mm, "Funnel: cases received in the period", fontSize=9, fontName=FONT)
    )
    return d


def _chart_fonts(chart: VerticalBarChart) -> None:
    chart.categoryAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7


def trend_chart(report: EngagementReport) -> Drawing:
    """Month-by-month referrals received and engaged."""
    months = report.groups.get("month", ())
    d = Drawing(170 * mm, 75 * mm, initialFontName=FONT)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 18 * mm, 150 * mm, 48 * mm
    chart.data = [
        [g.figures.received for g in months] or [0],
        [g.figures.engaged for g in months] or [0],
    ]
    chart.categoryAxis.categoryNames = [g.label for g in months] or ["-"]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(months) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(months) > 6 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([1] + [g.figures.received for g in months])
    chart.bars[0].fillColor = _BLUE
    chart.bars[1].fillColor = _GREEN
    _chart_fonts(chart)
    d.add(chart)
    legend = Legend()
    # One row, right of the title and above the bars, so it never covers a bar.
    legend.x, legend.y = 112 * mm, 73 * mm
    legend.alignment = "right"  # each swatch before its words
    legend.columnMaximum = 1
    legend.deltax = 32 * mm
    legend.fontSize = 7
    legend.fontName = FONT
    legend.colorNamePairs = [(_BLUE, "Referrals received"), (_GREEN, "Engaged")]
    d.add(legend)
    d.add(
        String(
            15 * mm,
            71 * mm,
            "Month by month (by month the referral was received)",
            fontSize=9,
            fontName=FONT,
        )
    )
    return d


@dataclass(frozen=True)
class _Row:
    label: str
    f: Figures
    medians: bool = True


def _area_rows(report: EngagementReport) -> list[_Row]:
    """Areas, with those under the small-number threshold combined into one row."""
    rows: list[GroupFigures] = []
    small: list[GroupFigures] = []
    for g in report.groups.get("area", ()):
        if g.figures.received == 0:
            continue
        (small if g.figures.received < SMALL_NUMBER else rows).append(g)
    out = [_Row(g.label, g.figures) for g in rows]
    if small:
        n = sum(g.figures.received for g in small)

        def total(key: str) -> int:
            return sum(int(getattr(g.figures, key) or 0) for g in small)

        combined = Figures(
            received=n,
            attempted=total("attempted"),
            contacted=total("contacted"),
            engaged=total("engaged"),
            referred=total("referred"),
            in_treatment=total("in_treatment"),
            first_attempt_in_time=total("first_attempt_in_time"),
            first_attempt_in_time_rate=total("first_attempt_in_time") / n,
            contact_rate=total("contacted") / n,
            engagement_rate=total("engaged") / n,
            treatment_entry_rate=total("in_treatment") / n,
        )
        out.append(_Row(f"Other areas (under {SMALL_NUMBER} referrals each)", combined, False))
    return out


def _slice_table(title: str, rows: list[_Row]) -> Table:
    """One row per month or area; the headings and the first column wrap within the frame."""
    styles = _styles()
    header = [
        title,
        "Received",
        "Engaged",
        "In treatment",
        "1st attempt in time",
        "Contact",
        "Engagement",
        "Treatment entry",
        "Median hours to 1st attempt",
    ]
    # 6.5 pt headings: the widest word ("Engagement") then fits its column unbroken.
    head = styles["head"].clone("FollowupSliceHead", fontSize=6.5, leading=8)
    data: list[list[Any]] = [[Paragraph(_esc(h), head) for h in header]] + [
        [
            Paragraph(_esc(r.label), styles["cell"]),
            r.f.received,
            r.f.engaged,
            r.f.in_treatment,
            _pct(r.f.first_attempt_in_time_rate),
            _pct(r.f.contact_rate),
            _pct(r.f.engagement_rate),
            _pct(r.f.treatment_entry_rate),
            _hours(r.f.median_hours_to_first_attempt) if r.medians else "-",
        ]
        for r in rows
    ]
    first = 30 * mm
    rest = (FRAME_WIDTH - first) / (len(header) - 1)
    t = Table(data, colWidths=[first] + [rest] * (len(header) - 1), repeatRows=1, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def summary_table(report: EngagementReport) -> Table:
    t = report.totals
    styles = _styles()
    small = styles["cell"]
    rows: list[list[Any]] = [
        [Paragraph(h, styles["head"]) for h in ("Figure", "Value", "Definition")]
    ]
    for key in (
        *FUNNEL,
        "first_attempt_in_time",
        *RATES,
        *MEDIANS,
        "repeat_overdoses",
        "naloxone_kits",
        "overdue",
    ):
        d = FIGURES[key]
        value = t.value(key)
        shown = (
            _pct(value) if d.kind == "rate" else _hours(value) if d.kind == "hours" else str(value)
        )
        label = d.label
        if key == "first_attempt_in_time_rate":
            label = f"First attempt within {report.first_attempt_hours} hours"
        rows.append([Paragraph(_esc(label), small), shown, Paragraph(_esc(d.numerator), small)])
    table = Table(rows, colWidths=[45 * mm, 22 * mm, 103 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 1), (1, -1), "RIGHT"),
            ]
        )
    )
    return table


def render_commissioner_pdf(report: EngagementReport, organisation: str = "") -> tuple[bytes, int]:
    """The PDF bytes and page count for a report (which must not hold worker rows)."""
    header = about_line("commissioner_pdf", report.period, report.made_at)[2:]
    register_fonts()
    styles = _styles()
    buf = io.BytesIO()
    pages = 0

    def on_page(canvas: Any, doc: Any) -> None:  # ReportLab's callback, with its own objects
        nonlocal pages
        pages += 1
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(15 * mm, A4[1] - 10 * mm, header)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="Post-overdose follow-up: summary for commissioners",
        subject=header,
        author=organisation or "Followup",
        creator="Followup",
        initialFontName=FONT,
    )
    t = report.totals
    story = [
        Paragraph("Post-overdose follow-up: summary for commissioners", styles["Title"]),
        Paragraph(
            _esc(
                f"{organisation + ', ' if organisation else ''}period "
                f"{report.period.label}. "
                f"Made {to_uk(report.made_at).strftime(DATE_TIME_FORMAT)} UK time."
            ),
            styles["Normal"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            _esc(
                f"{t.received} people's referrals were received in the period; {t.attempted} were "
                f"attempted, {t.contacted} contacted, {t.engaged} engaged and {t.in_treatment} entered "
                f"treatment. Figures count cases by the date their referral was received, with "
                f"everything that happened to them up to the time this summary was made. Aggregates "
                f"only: no person can be identified from this document."
            ),
            styles["Normal"],
        ),
        Spacer(1, 3 * mm),
        funnel_chart(report),
        summary_table(report),
        Spacer(1, 4 * mm),
        trend_chart(report),
        _slice_table("Month", [_Row(g.label, g.figures) for g in report.groups.get("month", ())]),
        Spacer(1, 4 * mm),
        _slice_table("Area (postcode district)", _area_rows(report)),
    ]
    with RENDER_LOCK:  # the fonts' subset caches are shared by every PDF being made
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue(), pages


def export_commissioner_pdf(
    session: Session,
    actor: Actor,
    path: str | Path,
    period: Period,
    now: datetime | None = None,
    organisation: str = "",
) -> ExportResult:
    """Write the commissioners' summary of ``period``; audited like every export."""
    require(actor, "export")
    now = now or datetime.now(UTC)
    target = resolve_target(path, "commissioner_pdf", period, now)
    report = engagement_report(session, actor, period, by=("month", "area"), now=now)
    pdf, pages = render_commissioner_pdf(report, organisation)
    write_atomically(target, lambda fh: fh.write(pdf), binary=True)
    record_export(session, actor, "commissioner_pdf", period, report.totals.received)
    return ExportResult("commissioner_pdf", target, report.totals.received, period, now, pages)
