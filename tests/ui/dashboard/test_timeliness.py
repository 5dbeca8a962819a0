"""The dashboard's Timeliness tab on the hand-worked dataset of tests/reports/timeliness_data.py:
the tables are the service's numbers for the dashboard's period, the "By" choice changes the
rows (weekday in UK time), a double-click lists exactly the cases behind a number, and every
control has a name."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from followup.reports.definitions import Period
from followup.reports.timeliness import BUCKETS, TIMELINESS_BY, timeliness_report
from followup.ui.dashboard.view import LAST_MONTH, DashboardView
from tests.reports.timeliness_data import MARCH_2026, build_timeliness
from tests.ui.accessibility import unnamed_controls, unreached_controls

WAIT = 20000  # a busy machine; waits for a state, never this long when all is well
TODAY = date(2026, 4, 20)  # "last month" is March 2026
APRIL_SO_FAR = Period(date(2026, 4, 1), date(2026, 4, 21))


@pytest.fixture
def march_view(qtbot, team):
    def make(db):
        ids = build_timeliness(db, team)
        view = DashboardView(db, team["lead"], lambda _: None, today=lambda: TODAY)
        qtbot.addWidget(view)
        view.resize(1400, 900)
        view.show()
        qtbot.waitUntil(lambda: shown(view, APRIL_SO_FAR), timeout=WAIT)
        view.period_choice.setCurrentIndex(view.period_choice.findText(LAST_MONTH))
        qtbot.waitUntil(lambda: shown(view, MARCH_2026), timeout=WAIT)
        view.tables.setCurrentWidget(view.timeliness)
        return view, ids

    return make


def shown(view: DashboardView, period) -> bool:
    panel = view.timeliness
    return not panel.loading and panel.report is not None and panel.report.period == period


def table_text(model) -> list[list[str]]:
    return [
        [str(model.data(model.index(r, c))) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def headings(model) -> list[str]:
    return [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]


def drilled(view: DashboardView) -> bool:
    drill = view.drill_view
    return (
        view.pages.currentWidget() is drill
        and drill.model.total is not None
        and not drill.model.loading
    )


def listed_ids(view: DashboardView) -> list[int]:
    model = view.drill_view.model
    return sorted(model.case_id(r) for r in range(model.rowCount()))


def test_the_tab_shows_the_services_buckets_by_the_chosen_slice(ui_db, team, march_view, qtbot):
    view, ids = march_view(ui_db)
    panel = view.timeliness
    with ui_db.session() as s:
        expected = timeliness_report(
            s, team["lead"], MARCH_2026, by=TIMELINESS_BY, now=panel.report.made_at
        )
    assert panel.report.as_json() == expected.as_json()
    assert panel.by_choice.currentText() == "Whole team"
    assert headings(panel.attempt_model) == [
        "Cases",
        "Received",
        "Under 24 h",
        "24–48 h",
        "48–72 h",
        "3–7 days",
        "7 days or more",
        "Not yet",
    ]
    assert table_text(panel.attempt_model) == [["Whole team", "10", "2", "2", "1", "2", "1", "2"]]
    assert table_text(panel.contact_model) == [["Whole team", "10", "1", "1", "1", "2", "1", "4"]]

    panel.by_choice.setCurrentIndex(panel.by_choice.findText("Weekday received"))
    rows = table_text(panel.attempt_model)
    assert headings(panel.attempt_model)[0] == "Weekday received"
    assert [r[0] for r in rows] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Whole team",
    ]
    # Monday: A1 (under 24 h) and A9, received Sunday 23:30 UTC = Monday 00:30 BST (not yet).
    assert rows[0] == ["Monday", "2", "1", "0", "0", "0", "0", "1"]
    assert rows[6] == ["Sunday", "1", "0", "0", "0", "0", "0", "1"]  # A8

    panel.by_choice.setCurrentIndex(panel.by_choice.findText("Worker"))
    assert [r[0] for r in table_text(panel.contact_model)] == [
        "Walt Worker",
        "Wendy Worker",
        "Unassigned",
        "Whole team",
    ]
    header_tip = panel.attempt_model.headerData(
        2 + BUCKETS.index("24_48h"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert header_tip.startswith("Time to first attempt: 24–48 h")
    assert "24 hours or more, but less than 48 hours" in header_tip

    panel.by_choice.setFocus()
    assert unnamed_controls(view) == []
    assert unreached_controls(view) == []


def test_a_double_click_lists_the_cases_behind_a_number(ui_db, team, march_view, qtbot):
    view, ids = march_view(ui_db)
    panel = view.timeliness
    panel.by_choice.setCurrentIndex(panel.by_choice.findText("Weekday received"))
    table, model = panel.attempt_table, panel.attempt_model
    monday_not_yet = model.index(0, 2 + BUCKETS.index("not_yet"))
    qtbot.mouseDClick(
        table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(monday_not_yet).center()
    )
    qtbot.waitUntil(lambda: drilled(view), timeout=WAIT)
    assert listed_ids(view) == [ids["A9"]]
    title = view.drill_view.title.text()
    assert (
        title == "Cases behind: Time to first attempt: Not yet — Monday — 01/03/2026 to 31/03/2026"
    )
    view.show_board()

    # Enter on the team's first contact in 3-7 days: A4 (exactly 72 h) and A5.
    table, model = panel.contact_table, panel.contact_model
    table.setCurrentIndex(model.index(model.rowCount() - 1, 2 + BUCKETS.index("3_7d")))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: drilled(view) and "first contact: 3–7 days" in view.drill_view.title.text(),
        timeout=WAIT,
    )
    assert listed_ids(view) == sorted([ids["A4"], ids["A5"]])
    assert "Whole team" in view.drill_view.title.text()
    assert view.drill_view.model.total == 2


def test_the_tab_on_each_backend(ui_any_db, team, march_view, qtbot):
    view, _ = march_view(ui_any_db)
    panel = view.timeliness
    with ui_any_db.session() as s:
        expected = timeliness_report(
            s, team["lead"], MARCH_2026, by=TIMELINESS_BY, now=panel.report.made_at
        )
    assert panel.report.as_json() == expected.as_json()
    panel.by_choice.setCurrentIndex(panel.by_choice.findText("Area"))
    assert [r[0] for r in table_text(panel.attempt_model)] == [
        "B5",
        "ZZ99",
        "Unknown area",
        "Whole team",
    ]
