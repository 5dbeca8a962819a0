"""My work: overdue first, then due today, then later; a lead chooses whose work; Enter opens;
the list follows changes made in a case tab."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup.ui.caseload.my_work import MyWorkView
from followup.ui.shell.main_window import MainWindow
from tests.ui.case.helpers import WAIT, make_case, settle
from tests.ui.conftest import PEOPLE, add_case


def make_view(qtbot, db, actor) -> tuple[MyWorkView, list[int]]:
    opened: list[int] = []
    view = MyWorkView(db, actor, opened.append)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitUntil(lambda: view.summary.text() != "Loading…", timeout=WAIT)
    return view, opened


def test_overdue_first_then_today_then_later(ui_db, team, qtbot):
    later = make_case(ui_db, team, status="contacting", first="Later", due_hours=24 * 5)
    overdue = make_case(ui_db, team, status="contacting", first="Overdue", due_hours=-30)
    soon = make_case(ui_db, team, status="contacting", first="Soon", due_hours=0)
    with ui_db.session() as s:  # due in a minute: today (unless the test runs at midnight)
        from datetime import UTC, datetime, timedelta

        from followup.db import models as m

        s.get(m.Case, soon).next_action_due_at = datetime.now(UTC) + timedelta(minutes=1)
    make_case(ui_db, team, status="contacting", worker="worker2", first="Someone-elses")
    view, opened = make_view(qtbot, ui_db, team["worker1"])
    rows = view.rows()
    assert [r[0] for r in rows if len(r) == 1] == ["Overdue (1)", "Due today (1)", "Later (1)"]
    people = [r[2] for r in rows if len(r) > 1]
    assert people == ["Overdue McTestface", "Soon McTestface", "Later McTestface"]
    assert rows[1][0].startswith("Overdue: ")  # the word, with an icon, not colour alone
    group = view.tree.topLevelItem(0)
    assert not group.child(0).icon(0).isNull()
    assert view.summary.text() == "Your open cases: 3 — 1 overdue, 1 due today"
    assert not view.worker.isVisible()  # a worker sees only their own

    assert view.current_case_id() == overdue  # the most urgent case is ready to open
    qtbot.keyClick(view.tree, Qt.Key.Key_Return)
    assert opened == [overdue]
    item = view.tree.topLevelItem(2).child(0)
    view.tree.itemDoubleClicked.emit(item, 0)
    assert opened == [overdue, later]


def test_a_lead_chooses_whose_work(ui_db, team, caseload, qtbot):
    view, _ = make_view(qtbot, ui_db, team["lead"])
    assert view.worker.isVisible()
    assert view.summary.text() == "Your open cases: 0 — 0 overdue, 0 due today"
    qtbot.waitUntil(lambda: view.worker.findText("Wendy Worker") >= 0, timeout=WAIT)
    view.worker.setCurrentIndex(view.worker.findText("Wendy Worker"))
    qtbot.waitUntil(lambda: len(view.items) == 2, timeout=WAIT)
    refs = [r[1] for r in view.rows() if len(r) > 1]
    assert refs == ["TST-0001", "TST-0002"]  # TST-0001 is overdue
    assert view.summary.text().startswith("Their open cases: 2 — 1 overdue")


def test_my_work_follows_changes_made_in_a_case(ui_db, team, qtbot):
    case_id = add_case(ui_db, team, PEOPLE[0])  # Testy McTestface, overdue, worker1
    window = MainWindow(ui_db, team["worker1"])
    qtbot.addWidget(window)
    window.show()
    work = window.views["My work"]
    assert window.current_view() is work  # the worker's home view
    qtbot.waitUntil(lambda: len(work.items) == 1, timeout=WAIT)
    assert work.items[0].bucket == "overdue"

    work.open_current()
    page = window.cases.currentWidget()
    qtbot.waitUntil(lambda: page.detail is not None and not page.busy, timeout=WAIT)
    assert window.stack.isHidden()  # the case takes the room ...
    qtbot.mouseClick(page.attempts.save, Qt.MouseButton.LeftButton)
    settle(qtbot, page)

    window.sidebar.setCurrentRow(1)  # ... and choosing a view brings the list back beside it
    assert not window.stack.isHidden()
    # A hidden view is read again when it is next shown, not while nobody looks at it.
    window.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: work.items and work.items[0].bucket != "overdue", timeout=WAIT)
    assert work.items[0].case_id == case_id
    window.cases.close_tab(0)
    assert window.cases.isHidden() and not window.stack.isHidden()


def test_a_long_group_lists_its_most_urgent_cases_and_counts_the_rest(
    ui_db, team, qtbot, monkeypatch
):
    from followup.ui.caseload import my_work

    monkeypatch.setattr(my_work, "PER_GROUP", 2)
    for first, hours in (("Third", -10), ("First", -50), ("Second", -30), ("Fourth", -2)):
        make_case(ui_db, team, status="contacting", first=first, due_hours=hours)
    make_case(ui_db, team, status="contacting", first="Later", due_hours=24 * 5)
    view, opened = make_view(qtbot, ui_db, team["worker1"])
    rows = view.rows()
    assert rows[0] == ("Overdue (4)",)
    assert [r[2] for r in rows[1:3]] == ["First McTestface", "Second McTestface"]
    assert rows[3][0] == "… and 2 more; the Caseload lists them all"
    assert rows[4:6] == [("Due today (0)",), ("Later (1)",)]
    assert [r[2] for r in rows[6:]] == ["Later McTestface"]
    assert view.summary.text() == "Your open cases: 5 — 4 overdue, 0 due today"
    view.tree.setCurrentItem(view.tree.topLevelItem(0).child(2))
    qtbot.keyClick(view.tree, Qt.Key.Key_Return)  # the count is not a case: nothing opens
    assert opened == []
