"""The dashboard's Kits tab through the real background path, on both backends: the kits
expiring as the service lists them, a double-click opens the case, the recall search shows
consent, resupplies by reason are the service's; a worker sees only their own cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from followup.reports.definitions import Period
from followup.reports.resupplies import resupplies_by_reason
from followup.ui.dashboard.kits import EXPIRING_COLUMNS, RECALL_COLUMNS, KitsTab
from followup.ui.dashboard.view import DashboardView
from followup.uktime import short_date
from tests.casework.kit_helpers import TODAY, consent, kit, person_case
from tests.ui.accessibility import unnamed_controls

WAIT = 10_000


@pytest.fixture
def kit_cases(ui_any_db, team):
    with ui_any_db.session() as s:
        soon = person_case(s, team, "Soon")
        kit(s, soon, expires_in=12, batch="TST-B7", quantity=2)
        consent(s, soon, "contact_phone", "given")
        consent(s, soon, "contact_sms", "given", hours_ago=72)
        consent(s, soon, "contact_sms", "withdrawn", hours_ago=24)
        gone = person_case(s, team, "Gone", worker="worker2")
        kit(s, gone, expires_in=-3, batch="tst-b7", supplied_days_ago=500)
        consent(s, gone, "contact_letter", "given", voided=True)
        later = person_case(s, team, "Later")
        kit(s, later, expires_in=61, batch="TST-B8")
        kit(s, later, expires_in=300, supplied_days_ago=0, supply_type="resupply",
            reason="lost", quantity=3, batch="TST-B9")  # fmt: skip
        return {"Soon": soon.id, "Gone": gone.id}


def _double_click(qtbot, table, row: int) -> None:
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_leads_see_kits_expiring_recall_a_batch_and_resupplies(ui_any_db, team, kit_cases, qtbot):
    opened: list[int] = []
    view = DashboardView(ui_any_db, team["lead"], opened.append, today=lambda: TODAY)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    tab = view.kits_tab
    # The tab and the dashboard's own figures load on their own tasks: wait for both.
    qtbot.waitUntil(
        lambda: tab.loaded is not None and not tab.loading and view.report is not None,
        timeout=WAIT,
    )
    view.tables.setCurrentWidget(tab)
    assert view.tables.tabText(view.tables.currentIndex()) == "Kits"

    assert tab.expiring_heading.text() == "Kits expiring within 60 days or expired: 2 open cases"
    assert [tab.expiring.horizontalHeaderItem(c).text() for c in range(6)] == list(EXPIRING_COLUMNS)
    assert tab.expiring.cells() == [
        ["TST-Gone", "Gone Kitson", "Nasal x1", "tst-b7", short_date(TODAY - timedelta(days=3)),
         "Expired 3 days ago"],
        ["TST-Soon", "Soon Kitson", "Nasal x2", "TST-B7", short_date(TODAY + timedelta(days=12)),
         "12"],
    ]  # fmt: skip
    _double_click(qtbot, tab.expiring, 1)
    qtbot.waitUntil(lambda: opened == [kit_cases["Soon"]], timeout=WAIT)

    # Resupplies by reason: the service's numbers for the dashboard's period.
    with ui_any_db.session() as s:
        expected = resupplies_by_reason(s, team["lead"], view.report.period)
    rows = tab.resupplies.cells()
    assert rows[2] == ["Lost", "1", "3"] and rows[-1] == ["Total", "1", "3"]
    assert rows[:-1] == [[r.label, str(r.supplies), str(r.kits)] for r in expected.reasons]

    # The recall: a sentence for an empty search, then everyone who received the batch.
    tab.recall_button.click()
    assert tab.recall_message.text().startswith("Enter the batch number")
    qtbot.keyClicks(tab.batch, "Tst-B7")
    qtbot.mouseClick(tab.recall_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.recalled is not None, timeout=WAIT)
    assert tab.recall_message.text() == "Batch Tst-B7: 2 supplies to 2 people."
    assert [tab.recall.horizontalHeaderItem(c).text() for c in range(9)] == list(RECALL_COLUMNS)
    assert tab.recall.cells() == [
        ["Gone Kitson", "TST-Gone", short_date(TODAY - timedelta(days=500)), "1", "Person",
         "Not asked", "Not asked", "Not asked", "Not asked"],
        ["Soon Kitson", "TST-Soon", short_date(TODAY - timedelta(days=300)), "2", "Person",
         "Given", "Withdrawn", "Not asked", "Not asked"],
    ]  # fmt: skip
    _double_click(qtbot, tab.recall, 0)
    qtbot.waitUntil(lambda: opened[-1] == kit_cases["Gone"], timeout=WAIT)
    assert unnamed_controls(view) == []


def test_a_worker_sees_only_their_cases_and_no_recall(ui_any_db, team, kit_cases, qtbot):
    tab = KitsTab(ui_any_db, team["worker1"], lambda _id: None)
    qtbot.addWidget(tab)
    tab.show()
    tab.refresh(Period.this_month(TODAY))
    qtbot.waitUntil(lambda: tab.loaded is not None, timeout=WAIT)
    assert [row[1] for row in tab.expiring.cells()] == ["Soon Kitson"]
    assert not tab.batch.isVisible() and not tab.recall.isVisible()
    assert not tab.resupplies.isVisible() and tab.loaded.resupplies is None
    assert unnamed_controls(tab) == []
