"""The main window: views by role, the title, the status bar, and opening a case."""

from __future__ import annotations

from sqlalchemy import select

from followup.db import models as m
from followup.ui.case.view import CaseView
from followup.ui.caseload.my_work import MyWorkView
from followup.ui.caseload.view import CaseloadView
from followup.ui.shell.main_window import MainWindow

WAIT = 15_000  # a ceiling for a state to come on a busy machine, never waited out when all is well


def make_window(qtbot, db, actor, demo=False) -> MainWindow:
    window = MainWindow(db, actor, demo=demo)
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_lead_gets_the_caseload_and_the_title_names_them(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    assert window.windowTitle() == "Followup — Lee Lead (lead)"
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles[:2] == ["My work", "Caseload"]  # (other views follow)
    assert isinstance(window.current_view(), MyWorkView)  # home: their own work first
    assert isinstance(window.views["Caseload"], CaseloadView)
    assert window.database_label.text() == f"Database: {ui_db.description}"
    assert window.user_label.text() == "Signed in as Lee Lead (lead)"
    assert not window.cases.isVisible()  # nothing opened yet, no empty pane


def test_demonstration_data_is_flagged_in_the_title(ui_db, team, qtbot):
    from followup.ui.shell.sign_in import sign_in_and_check_demo

    with ui_db.session() as s:
        s.add(m.Setting(key="demo", value="1"))
    signed_in = sign_in_and_check_demo(ui_db, "worker1", "pass-worker1")
    assert signed_in.demo
    window = make_window(qtbot, ui_db, signed_in.actor, demo=signed_in.demo)
    assert window.windowTitle() == "Followup — Wendy Worker (worker) — DEMONSTRATION DATA"


def test_an_administrator_gets_no_case_data(ui_db, team, qtbot):
    window = make_window(qtbot, ui_db, team["admin"])
    # An administrator manages the system and sees no case data.
    assert list(window.views)[0] == "Users"
    assert not {"My work", "Caseload", "Inbox", "Letters", "Dashboard"} & set(window.views)
    assert window.findChild(CaseloadView) is None


def test_opening_a_case_shows_it_and_audits_the_view(ui_db, team, caseload, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    caseload_view = window.views["Caseload"]
    qtbot.waitUntil(lambda: caseload_view.model.rowCount() == 4, timeout=WAIT)
    row = next(r for r in range(4) if caseload_view.model.line(r).cells[0] == "TST-0001")
    caseload_view.table.setCurrentIndex(caseload_view.model.index(row, 0))
    caseload_view.open_current()

    page = window.cases.currentWidget()
    assert isinstance(page, CaseView)
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT)
    assert window.cases.isVisible()
    assert window.cases.tabText(window.cases.currentIndex()) == "Testy McTestface"
    text = page.text()
    assert "Testy McTestface" in text
    assert "TST-0001" in text
    assert "999 000 0018" in text
    assert "07700 900001" in text
    assert "Overdue: " in text
    assert "<b>not markup</b>" in text  # notes are shown as typed, never as markup
    assert "2 doses, nasal" in text

    with ui_db.session() as s:
        views = s.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "view", m.AuditEvent.entity == "case")
        ).all()
    assert [(v.user_id, v.entity_id) for v in views] == [(team["lead"].id, caseload["TST-0001"])]

    # Opening it again focuses the same tab; Ctrl+W closes it and the pane goes.
    caseload_view.open_current()
    assert window.cases.count() == 1
    window.cases.close_tab(0)
    assert not window.cases.isVisible()


def test_an_unnamed_person_of_no_fixed_abode(ui_db, team, caseload, qtbot):
    window = make_window(qtbot, ui_db, team["lead"])
    page = window.open_case(caseload["TST-0004"])
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT)
    text = page.text()
    assert "Unnamed: tall, grey coat" in text
    assert "No fixed abode" in text


def test_a_worker_cannot_open_another_workers_case(ui_db, team, caseload, qtbot):
    window = make_window(qtbot, ui_db, team["worker1"])
    page = window.open_case(caseload["TST-0003"])
    qtbot.waitUntil(lambda: page.status.text() != "Opening the case…", timeout=WAIT)
    assert page.detail is None
    assert (
        page.status.text()
        == f"Case {caseload['TST-0003']} does not exist or is not in your caseload."
    )
