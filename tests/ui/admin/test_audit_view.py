"""The audit trail view: who sees it, filtering, paging, and the audited export."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDate
from sqlalchemy import select

from followup.db import models as m
from followup.ui.admin import audit_view
from followup.ui.admin.audit_view import AuditView
from followup.ui.shell.main_window import MainWindow
from followup.ui.tasks import SyncTaskRunner

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well


@pytest.fixture
def events(ui_db, team, caseload):
    """Audit rows for the synthetic caseload: views by two users over two days, one old."""
    case_id = caseload["TST-0001"]
    now = datetime.now(UTC)
    with ui_db.session() as s:
        s.add(
            m.AuditEvent(
                at=now - timedelta(minutes=5),
                user_id=team["worker1"].id,
                action="view",
                entity="case",
                entity_id=case_id,
            )
        )
        s.add(
            m.AuditEvent(
                at=now - timedelta(minutes=4),
                user_id=team["worker1"].id,
                action="create",
                entity="contact_attempt",
                entity_id=7,
                details=json.dumps({"case_id": case_id, "method": "phone"}, sort_keys=True),
            )
        )
        s.add(
            m.AuditEvent(
                at=now - timedelta(minutes=3),
                user_id=team["lead"].id,
                action="view",
                entity="case",
                entity_id=caseload["TST-0002"],
            )
        )
        s.add(
            m.AuditEvent(
                at=now - timedelta(days=30),
                user_id=team["lead"].id,
                action="print",
                entity="letter",
                entity_id=3,
                details=json.dumps({"case_id": case_id}),
            )
        )
    return case_id


def make_view(qtbot, db, actor) -> AuditView:
    view = AuditView(db, actor, runner=SyncTaskRunner())
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    return view


def shown(view: AuditView) -> list[tuple[str, ...]]:
    model = view.model
    return [
        tuple(model.index(r, c).data() for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not a choice"
    combo.setCurrentIndex(index)


def test_leads_and_admins_get_the_view_workers_do_not(ui_db, team, qtbot):
    for who, expected in (("lead", True), ("admin", True), ("worker1", False)):
        window = MainWindow(ui_db, team[who])
        qtbot.addWidget(window)
        titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
        assert ("Audit trail" in titles) is expected, who
        assert isinstance(window.views.get("Audit trail"), AuditView) is expected


def test_filters_by_user_case_action_and_dates(ui_db, team, events, qtbot):
    view = make_view(qtbot, ui_db, team["lead"])
    rows = shown(view)
    times = [datetime.strptime(r[0], "%d/%m/%Y %H:%M:%S") for r in rows]
    assert times == sorted(times, reverse=True)  # newest first
    assert ("View", "Lee Lead (lead)") in [(r[2], r[1]) for r in rows]
    assert any(r[3] == "contact attempt 7" and "method: phone" in r[4] for r in rows)

    choose(view.user_filter, "Wendy Worker (worker1)")
    qtbot.mouseClick(view.search_button, audit_view.Qt.MouseButton.LeftButton)
    assert [r[3] for r in shown(view)] == ["contact attempt 7", f"case {events}"]

    choose(view.user_filter, "Anyone")
    qtbot.keyClicks(view.case_filter, str(events))
    choose(view.action_filter, "Print")
    view.search()
    assert [r[3] for r in shown(view)] == ["letter 3"]

    choose(view.action_filter, "Any action")
    today = QDate.currentDate()
    view.from_date.setDate(today.addDays(-1))
    view.to_date.setDate(today)
    view.search()
    assert [r[3] for r in shown(view)] == ["contact attempt 7", f"case {events}"]
    assert view.count_label.text() == "2 events"

    view.from_date.setDate(today)
    view.to_date.setDate(today.addDays(-3))
    view.search()
    assert view.message.isVisible() and "before the 'from' date" in view.message.text()


def test_the_table_loads_further_pages_on_demand(ui_db, team, qtbot, monkeypatch):
    monkeypatch.setattr(audit_view, "PAGE_SIZE", 5)
    with ui_db.session() as s:
        for n in range(12):
            s.add(
                m.AuditEvent(
                    user_id=team["lead"].id, action="view", entity="case", entity_id=1000 + n
                )
            )
    view = make_view(qtbot, ui_db, team["lead"])
    choose(view.action_filter, "View")
    view.search()
    assert view.model.rowCount() == 5 and view.count_label.text() == "5+ events"
    while view.model.canFetchMore():
        view.model.fetchMore()
    assert view.model.rowCount() == 12
    assert view.count_label.text() == "12 events"


def test_export_writes_what_was_found_and_is_audited(
    ui_db, team, events, qtbot, tmp_path, monkeypatch
):
    target = tmp_path / "trail.csv"
    asked: list[str] = []

    def choose_file(_parent, suggested):
        asked.append(suggested)
        return target

    monkeypatch.setattr(audit_view, "choose_export_file", choose_file)
    view = make_view(qtbot, ui_db, team["lead"])
    qtbot.keyClicks(view.case_filter, str(events))
    view.search()
    found = view.model.rowCount()
    qtbot.mouseClick(view.export_button, audit_view.Qt.MouseButton.LeftButton)

    assert asked and asked[0].endswith(".csv")
    assert f"Exported {found} events to {target}." == view.message.text()
    with target.open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == found + 2  # the about line and the header
    with ui_db.session() as s:
        exported = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export")).one()
    assert json.loads(exported.details)["filters"] == {"case_id": events}
    assert json.loads(exported.details)["rows"] == found


def test_cancelling_the_export_writes_and_audits_nothing(ui_db, team, qtbot, monkeypatch):
    monkeypatch.setattr(audit_view, "choose_export_file", lambda _p, _s: None)
    view = make_view(qtbot, ui_db, team["admin"])
    view.export()
    with ui_db.session() as s:
        assert s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export")).all() == []


def test_an_administrator_sees_no_case_details(ui_db, team, events, qtbot):
    view = make_view(qtbot, ui_db, team["admin"])
    rows = shown(view)
    attempt = next(r for r in rows if r[3] == "contact attempt 7")
    assert attempt[4] == "(withheld: case data)"


def test_the_real_background_path_fills_the_table(ui_db, team, events, qtbot):
    view = AuditView(ui_db, team["lead"])
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() >= 4 and not view.model.loading, timeout=WAIT)
    qtbot.waitUntil(lambda: view.user_filter.count() == 5, timeout=WAIT)
