"""Spike alerts in the app: the banner across the main window until each user acknowledges
it, My work's prompt for workers with open cases in the district, and the dashboard's Alerts
history; on both backends, through the real background path."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from followup.db import models as m
from followup.intake import inbox
from followup.intake.importer import import_file
from followup.ui.caseload.my_work import MyWorkView
from followup.ui.dashboard.alerts import HEADERS as ALERT_HEADERS
from followup.ui.dashboard.view import DashboardView
from followup.ui.shell.main_window import MainWindow
from tests.intake.helpers import NOW, nhs, row, write_csv
from tests.ui.accessibility import unnamed_controls

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well
SPIKE_TEXT = (
    "Spike in B5: 3 overdoses from 20/11/2026 01:15 to 20/11/2026 03:15 (incident times); "
    "substances: heroin (3), nitazene (1)"
)


def _spike(db, team, tmp_path) -> list[int]:
    """Three overdoses in B5 within two hours; worker1 takes the first, worker2 the second."""
    rows = [
        row(
            first_name="Testperson",
            last_name=("Alpha", "Bravo", "Charlie")[n - 1],
            nhs_number=nhs(600 + n),
            incident_postcode=f"B5 {n}ZZ",
            incident_datetime=f"20/11/2026 0{n}:15",
            substances="heroin; nitazene" if n == 1 else "heroin",
        )
        for n in (1, 2, 3)
    ]
    summary = import_file(db, team["lead"], write_csv(tmp_path / "spike.csv", rows), now=NOW)
    first, second, _ = summary.cases_created
    with db.session(write=True) as s:
        inbox.take_case(s, team["worker1"], first)
        inbox.take_case(s, team["worker2"], second)
    return summary.cases_created


def _window(qtbot, db, actor) -> MainWindow:
    window = MainWindow(db, actor)
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_banner_shows_until_the_user_acknowledges_it(ui_any_db, team, qtbot, tmp_path):
    cases = _spike(ui_any_db, team, tmp_path)
    worker = _window(qtbot, ui_any_db, team["worker1"])
    banner = worker.spike_banner
    qtbot.waitUntil(banner.isVisible, timeout=WAIT)
    assert banner.text.text() == SPIKE_TEXT
    assert unnamed_controls(banner) == []
    # A worker sees their own case behind it, and the others only counted.
    qtbot.mouseClick(banner.cases_button, Qt.MouseButton.LeftButton)
    assert banner.cases.isVisible()
    assert banner.case_rows() == [
        f"Case {cases[0]} — {banner.current.cases[0].police_reference}",
        "2 other cases (not in your caseload)",
    ]
    banner.cases.setCurrentRow(0)
    qtbot.keyClick(banner.cases, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: worker.case_in_front() is not None, timeout=WAIT)
    assert worker.case_in_front().case_id == cases[0]

    lead = _window(qtbot, ui_any_db, team["lead"])
    qtbot.waitUntil(lead.spike_banner.isVisible, timeout=WAIT)
    assert len(lead.spike_banner.current.cases) == 3  # a lead sees every case

    qtbot.mouseClick(banner.acknowledge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT)
    with ui_any_db.session() as s:
        event = s.scalars(select(m.AuditEvent).where(m.AuditEvent.entity == "spike_alert")).one()
        assert event.user_id == team["worker1"].id
    # Only for worker1: the lead's banner, read again, still shows it.
    again = _window(qtbot, ui_any_db, team["lead"])
    qtbot.waitUntil(again.spike_banner.isVisible, timeout=WAIT)
    assert again.spike_banner.text.text() == SPIKE_TEXT
    admin = _window(qtbot, ui_any_db, team["admin"])
    assert not admin.spike_banner.isVisible()


def test_my_work_prompts_a_worker_with_an_open_case_in_the_district(
    ui_any_db, team, qtbot, tmp_path
):
    cases = _spike(ui_any_db, team, tmp_path)
    with ui_any_db.session(write=True) as s:
        elsewhere = s.get(m.Case, cases[2])
        elsewhere.area = "ZZ99"  # lives elsewhere: not "there"
        elsewhere.assigned_worker_id = team["lead"].id
        elsewhere.status = "contacting"

    def shown(actor):
        view = MyWorkView(ui_any_db, actor, lambda _id: None)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.summary.text() != "Loading…", timeout=WAIT)
        return view

    view = shown(team["worker1"])
    rows = view.rows()
    assert rows[0] == (
        "Spike in B5: check on your 1 person there and pass on harm-reduction advice",
    )
    assert rows[1][:3] == ("Spike in B5", view.items[0].police_reference, "Testperson Alpha")
    assert view.tree.topLevelItem(0).child(0).data(0, Qt.ItemDataRole.UserRole + 1) == cases[0]
    # The lead's only case is outside B5: no prompt for them.
    lead_rows = shown(team["lead"]).rows()
    assert not any(r[0].startswith("Spike in") for r in lead_rows)


def test_the_dashboard_keeps_the_alert_history(ui_any_db, team, qtbot, tmp_path):
    _spike(ui_any_db, team, tmp_path)
    view = DashboardView(ui_any_db, team["lead"], lambda _id: None)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    tab = view.tables.indexOf(view.alerts)
    assert view.tables.tabText(tab) == "Alerts"
    view.tables.setCurrentIndex(tab)
    qtbot.waitUntil(lambda: view.alerts.alerts is not None, timeout=WAIT)
    [shown] = view.alerts.rows()
    assert dict(zip(ALERT_HEADERS, shown, strict=True)) == {
        "District": "B5",
        "Overdoses": "3",
        "First incident": "20/11/2026 01:15",
        "Last incident": "20/11/2026 03:15",
        "Substances noted": "heroin (3), nitazene (1)",
        "Raised": "25/11/2026 12:00",
        "Extended": "-",
        "You acknowledged": "Not yet",
    }
    assert view.alerts.summary.text() == "1 spike alert, the latest incidents first"
    assert view.alerts.tree.topLevelItem(0).childCount() == 3
    assert unnamed_controls(view.alerts) == []
