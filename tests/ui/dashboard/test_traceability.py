"""The dashboard's Traceability tab (issue 17): the service's numbers for the period shown."""

from __future__ import annotations

from datetime import date

from followup.reports.definitions import TRACEABILITY
from followup.ui.dashboard.view import LAST_MONTH, DashboardView
from tests.reports.test_traceability import MARCH, build_cases
from tests.ui.accessibility import unnamed_controls

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well
TODAY = date(2025, 4, 20)  # "last month" is March 2025


def rows(table) -> dict[str, tuple[str, str]]:
    return {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }


def test_traceability_tab_shows_the_period_counts(ui_any_db, team, qtbot):
    build_cases(ui_any_db)
    view = DashboardView(ui_any_db, team["lead"], lambda _id: None, today=lambda: TODAY)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    panel = view.traceability
    qtbot.waitUntil(lambda: view.report is not None and not view.loading, timeout=WAIT)
    view.period_choice.setCurrentIndex(view.period_choice.findText(LAST_MONTH))
    qtbot.waitUntil(lambda: view.report is not None and view.report.period == MARCH, timeout=WAIT)
    assert panel.report is None  # not asked while its tab is hidden
    view.tables.setCurrentWidget(panel)  # the user opens the tab
    qtbot.waitUntil(
        lambda: not panel.loading and panel.report is not None and panel.report.period == MARCH,
        timeout=WAIT,
    )
    assert view.tables.tabText(view.tables.indexOf(panel)) == "Traceability"
    assert rows(panel.by_class) == {
        "Name, address and phone": ("2", "22%"),
        "Name and address": ("1", "11%"),
        "Name and phone": ("1", "11%"),
        "Name only": ("3", "33%"),
        "Description only": ("2", "22%"),
    }
    reasons = rows(panel.by_reason)
    assert reasons["No usable address or phone"] == ("2", "40%")
    assert reasons["Wrong number"] == ("1", "20%")
    assert reasons["Not recorded"] == ("1", "20%")
    assert reasons["Deceased"] == ("0", "0%")
    assert panel.summary.text() == (
        "Not traceable at intake: 5 of 9 referrals (56%) came with no usable address or phone. "
        "Closed without contact: 5 cases; never traced: 3."
    )
    assert panel.by_class.toolTip() == TRACEABILITY["referrals_by_traceability"].text
    assert unnamed_controls(panel) == []
