"""The inbox through what a user touches: lists, assigning, taking, deciding matches, undo."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from sqlalchemy import select

from followup.db import models as m
from followup.ui.intake.inbox_data import (
    CASE_HEADERS,
    MATCH_COLUMN,
    OVERDOSE_COLUMN,
    WAITING_COLUMN,
    time_since,
)
from followup.ui.intake.inbox_view import InboxView
from followup.ui.intake.match_dialog import DIFFERS
from followup.uktime import short_date_time

WAIT = 10_000
NOW = datetime.now(UTC).replace(microsecond=0)


def _case(s, person, ref, *, status="new", worker=None, hours_ago=1.0):
    case = m.Case(
        person_id=person.id,
        status=status,
        police_reference=ref,
        referred_at=NOW - timedelta(hours=hours_ago),
        area="B5",
        assigned_worker_id=worker,
    )
    s.add(case)
    s.flush()
    referral = m.Referral(
        case_id=case.id,
        person_id=person.id,
        police_reference=ref,
        force="Test Force",
        incident_at=case.referred_at - timedelta(hours=1),
        received_at=case.referred_at,
    )
    s.add(referral)
    s.add(m.CaseStatusChange(case_id=case.id, to_status="new", changed_at=case.referred_at))
    s.flush()
    return case, referral


def make_intake(db, team) -> dict[str, int]:
    """A known person with an open case; an incoming referral uncertainly matched to them;
    two plain new cases; and a repeat overdose of a person whose first case is closed."""
    with db.session() as s:
        known = m.Person(
            first_name="Testy",
            last_name="McTestface",
            date_of_birth=date(1980, 1, 2),
            nhs_number="9990000018",
            phone="+447700900001",
        )
        incoming = m.Person(
            first_name="Testie",
            last_name="McTestface",
            date_of_birth=date(1980, 1, 2),
            phone="+447700900002",
        )
        other = m.Person(
            first_name="Sample", last_name="Examplewood", date_of_birth=date(1991, 6, 30)
        )
        unnamed = m.Person(description="tall, grey coat", no_fixed_abode=True)
        repeat = m.Person(first_name="Demo", last_name="Dummyson", date_of_birth=date(1975, 3, 3))
        s.add_all([known, incoming, other, unnamed, repeat])
        s.flush()
        open_case, _ = _case(
            s, known, "TST-1", status="contacting", worker=team["worker1"].id, hours_ago=200
        )
        new_case, referral = _case(s, incoming, "TST-2", hours_ago=2.5)
        plain, _ = _case(s, other, "TST-3", hours_ago=5)
        old, _ = _case(s, unnamed, "TST-4", hours_ago=75)
        first, _ = _case(
            s, repeat, "TST-5", status="contacting", worker=team["worker2"].id, hours_ago=900
        )
        again, _ = _case(s, repeat, "TST-6", hours_ago=0.5)
        review = m.MatchReview(
            referral_id=referral.id,
            incoming_person_id=incoming.id,
            candidate_person_id=known.id,
            score=84.0,
        )
        s.add(review)
        s.flush()
        return {
            "known": known.id,
            "incoming": incoming.id,
            "open_case": open_case.id,
            "new_case": new_case.id,
            "plain": plain.id,
            "old": old.id,
            "again": again.id,
            "referral": referral.id,
            "review": review.id,
        }


@pytest.fixture
def make_inbox(qtbot):
    def make(db, actor) -> InboxView:
        opened: list[int] = []
        view = InboxView(db, actor, opened.append, clock=lambda: NOW)
        view.opened = opened
        qtbot.addWidget(view)
        view.resize(1200, 700)
        view.show()
        qtbot.waitUntil(lambda: view.data is not None and not view.loading, timeout=WAIT)
        return view

    return make


def refs(view: InboxView) -> list[str]:
    return [r.cells[0] for r in view.cases_model.rows]


def select_rows(view: InboxView, table, rows: list[int]) -> None:
    selection = table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def settled(view: InboxView) -> bool:
    return not view.loading and not view._runner.busy


def test_new_cases_newest_first_with_waiting_time_and_markers(ui_any_db, team, make_inbox, qtbot):
    ids = make_intake(ui_any_db, team)
    view = make_inbox(ui_any_db, team["worker1"])
    assert refs(view) == ["TST-6", "TST-2", "TST-3", "TST-4"]
    model = view.cases_model
    # Waiting counts from the overdose (an hour before each referral arrived here).
    waiting = [model.index(r, WAITING_COLUMN).data() for r in range(4)]
    assert waiting == ["1 h", "3 h", "6 h", "3 days"]
    incident, received = CASE_HEADERS.index("Incident"), CASE_HEADERS.index("Received")
    first = view.cases_model.rows[0]
    assert first.cells[incident] == short_date_time(NOW - timedelta(minutes=90))
    assert first.cells[received] == short_date_time(NOW - timedelta(minutes=30))
    assert model.index(0, WAITING_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == (
        f"Overdose on {first.cells[incident]}; referral received {first.cells[received]}"
    )
    assert model.index(0, OVERDOSE_COLUMN).data() == "Repeat: 2nd overdose"
    assert "2 overdoses known" in model.index(0, OVERDOSE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, OVERDOSE_COLUMN).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(1, MATCH_COLUMN).data() == "Check possible match"
    assert (
        model.index(2, MATCH_COLUMN).data() == "" and model.index(2, OVERDOSE_COLUMN).data() == ""
    )
    assert model.index(3, 1).data() == "Unnamed: tall, grey coat"
    assert view.cases_title.text() == "New cases, not yet assigned: 4"
    assert [r.cells[1:3] for r in view.matches_model.rows] == [
        ("Testie McTestface", "Testy McTestface")
    ]
    assert view.lower_tabs.tabText(0) == "Possible matches to decide (1)"
    assert view.lower_tabs.count() == 1  # workers cannot undo merges
    rect = view.cases_table.visualRect(model.index(2, 1))
    qtbot.mouseDClick(view.cases_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.opened == [ids["plain"]]


def test_time_since_reads_like_people_speak():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert time_since(now - timedelta(seconds=20), now) == "just now"
    assert time_since(now - timedelta(minutes=59), now) == "59 min"
    assert time_since(now - timedelta(hours=47, minutes=59), now) == "47 h"
    assert time_since(now - timedelta(days=2), now) == "2 days"


def test_a_lead_assigns_two_selected_cases_to_a_worker(ui_any_db, team, make_inbox, qtbot):
    ids = make_intake(ui_any_db, team)
    view = make_inbox(ui_any_db, team["lead"])
    assert view.assign_button.isVisible() and not view.take_button.isVisible()
    walt = "Walt Worker — 1 open, 0 overdue"
    qtbot.waitUntil(lambda: view.worker_choice.findText(walt) >= 0, timeout=WAIT)
    # Each worker with their load, so that the lead sees who has room.
    assert [view.worker_choice.itemText(i) for i in range(view.worker_choice.count())] == [
        "Choose a worker…",
        "Lee Lead (lead) — 0 open, 0 overdue",
        walt,
        "Wendy Worker — 1 open, 0 overdue",
    ]
    select_rows(view, view.cases_table, [2, 3])  # TST-3 and TST-4
    assert view.worker_choice.currentText() == "Choose a worker…"
    assert not view.assign_button.isEnabled()  # nobody is assigned by accident
    view.worker_choice.setCurrentIndex(view.worker_choice.findText(walt))
    assert view.assign_button.text() == "Assign 2 cases"
    qtbot.mouseClick(view.assign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(view) and refs(view) == ["TST-6", "TST-2"], timeout=WAIT)
    assert view.message.text() == "Assigned 2 cases to Walt Worker."
    # The loads are read again, and the chosen worker stays chosen.
    qtbot.waitUntil(
        lambda: view.worker_choice.currentText() == "Walt Worker — 3 open, 0 overdue", timeout=WAIT
    )
    with ui_any_db.session() as s:
        workers = s.scalars(
            select(m.Case.assigned_worker_id).where(m.Case.id.in_([ids["plain"], ids["old"]]))
        ).all()
    assert workers == [team["worker2"].id] * 2


def test_a_stale_list_does_not_reassign_a_case_a_worker_just_took(ui_db, team, make_inbox, qtbot):
    ids = make_intake(ui_db, team)
    view = make_inbox(ui_db, team["lead"])
    walt = "Walt Worker — 1 open, 0 overdue"
    qtbot.waitUntil(lambda: view.worker_choice.findText(walt) >= 0, timeout=WAIT)
    view.worker_choice.setCurrentIndex(view.worker_choice.findText(walt))
    from followup.intake import inbox

    with ui_db.session() as s:
        inbox.take_case(s, team["worker1"], ids["plain"])
    select_rows(view, view.cases_table, [refs(view).index("TST-3")])
    qtbot.mouseClick(view.assign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(view) and "TST-3" not in refs(view), timeout=WAIT)
    assert "changed by someone else" in view.message.text()
    with ui_db.session() as s:
        assert s.get(m.Case, ids["plain"]).assigned_worker_id == team["worker1"].id


def test_a_worker_takes_a_case_and_cannot_assign(ui_db, team, make_inbox, qtbot):
    ids = make_intake(ui_db, team)
    view = make_inbox(ui_db, team["worker2"])
    assert view.take_button.isVisible()
    assert not view.assign_button.isVisible() and not view.worker_choice.isVisible()
    assert not view.take_button.isEnabled()  # nothing selected yet
    select_rows(view, view.cases_table, [refs(view).index("TST-4")])
    qtbot.mouseClick(view.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(view) and "TST-4" not in refs(view), timeout=WAIT)
    assert view.message.text() == "You took 1 case; it is now in your caseload."
    with ui_db.session() as s:
        assert s.get(m.Case, ids["old"]).assigned_worker_id == team["worker2"].id


def _open_comparison(view, qtbot):
    select_rows(view, view.matches_table, [0])
    dialog = view.compare_selected()
    qtbot.waitUntil(lambda: dialog.comparison is not None, timeout=WAIT)
    return dialog


def _row_of(dialog, label: str) -> int:
    table = dialog.table
    return next(r for r in range(table.rowCount()) if table.item(r, 0).text() == label)


def test_same_person_merges_and_undo_restores(ui_any_db, team, make_inbox, qtbot):
    ids = make_intake(ui_any_db, team)
    view = make_inbox(ui_any_db, team["lead"])
    dialog = _open_comparison(view, qtbot)
    table = dialog.table
    name, dob, nhs = (
        _row_of(dialog, "Name"),
        _row_of(dialog, "Date of birth"),
        _row_of(dialog, "NHS number"),
    )
    assert (table.item(name, 1).text(), table.item(name, 2).text()) == (
        "Testie McTestface",
        "Testy McTestface",
    )
    assert DIFFERS in table.item(name, 3).text()  # in words, not colour alone
    assert table.item(dob, 3).text() == "Same"
    assert table.item(nhs, 3).text() == "Only one has it"
    assert "84 out of 100" in dialog.heading.text()
    assert not dialog.lead_note.isVisible()

    qtbot.mouseClick(dialog.same_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.merge_id is not None, timeout=WAIT)
    assert dialog.undo_button.isVisible() and not dialog.same_button.isEnabled()
    qtbot.waitUntil(lambda: settled(view) and view.matches_model.rowCount() == 0, timeout=WAIT)
    assert "TST-2" not in refs(view)  # folded into the known person's open case
    assert view.merges_model.rowCount() == 1
    with ui_any_db.session() as s:
        referral = s.get(m.Referral, ids["referral"])
        assert (referral.person_id, referral.case_id) == (ids["known"], ids["open_case"])
        assert s.get(m.Person, ids["incoming"]).merged_into_id == ids["known"]

    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.merge_id is None and "undone" in dialog.message.text(), timeout=WAIT
    )
    qtbot.waitUntil(lambda: dialog.same_button.isEnabled(), timeout=WAIT)  # decide again
    qtbot.waitUntil(lambda: settled(view) and view.matches_model.rowCount() == 1, timeout=WAIT)
    assert "TST-2" in refs(view)
    with ui_any_db.session() as s:
        referral = s.get(m.Referral, ids["referral"])
        assert (referral.person_id, referral.case_id) == (ids["incoming"], ids["new_case"])
        assert s.get(m.Person, ids["incoming"]).merged_into_id is None
    dialog.close()


def test_different_people_closes_the_question(ui_db, team, make_inbox, qtbot):
    ids = make_intake(ui_db, team)
    view = make_inbox(ui_db, team["lead"])
    dialog = _open_comparison(view, qtbot)
    qtbot.mouseClick(dialog.different_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Kept as different people" in dialog.message.text(), timeout=WAIT)
    assert not dialog.same_button.isEnabled()
    qtbot.waitUntil(lambda: settled(view) and view.matches_model.rowCount() == 0, timeout=WAIT)
    with ui_db.session() as s:
        assert s.get(m.MatchReview, ids["review"]).state == "different_people"
        assert s.get(m.Person, ids["incoming"]).merged_into_id is None
    assert view.cases_model.rows[refs(view).index("TST-2")].cells[MATCH_COLUMN] == ""


def test_a_worker_sees_the_comparison_but_a_lead_decides(ui_db, team, make_inbox, qtbot):
    make_intake(ui_db, team)
    view = make_inbox(ui_db, team["worker1"])
    dialog = _open_comparison(view, qtbot)
    assert dialog.lead_note.isVisible() and "team lead decides" in dialog.lead_note.text()
    assert not dialog.same_button.isVisible() and not dialog.different_button.isVisible()


def test_a_lead_undoes_a_recent_merge_from_the_inbox(ui_db, team, make_inbox, qtbot):
    ids = make_intake(ui_db, team)
    from followup.intake import merging

    with ui_db.session() as s:
        merging.merge(s, team["lead"], ids["review"])
    view = make_inbox(ui_db, team["lead"])
    assert view.lower_tabs.tabText(1) == "Recent merges (1)"
    assert view.merges_model.rows[0].cells[1:] == (
        "Testy McTestface",
        "Testie McTestface",
        "Lee Lead",
    )
    select_rows(view, view.merges_table, [0])
    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(view) and view.merges_model.rowCount() == 0, timeout=WAIT)
    assert view.matches_model.rowCount() == 1 and "Merge undone" in view.message.text()
    with ui_db.session() as s:
        assert s.get(m.Person, ids["incoming"]).merged_into_id is None


def test_the_folder_watcher_imports_a_file_and_the_inbox_refreshes(
    ui_db, team, app_paths, qtbot, tmp_path
):
    from followup.settings import AppPaths
    from followup.ui.intake.folder_watcher import save_import_folder
    from followup.ui.shell.main_window import MainWindow
    from tests.intake.helpers import row, write_csv

    folder = tmp_path / "incoming"
    folder.mkdir()
    save_import_folder(folder, AppPaths.default())
    window = MainWindow(ui_db, team["lead"])
    qtbot.addWidget(window)
    window.show()
    inbox_view = window.views["Inbox"]
    window.show_view(list(window.views).index("Inbox"))
    qtbot.waitUntil(lambda: inbox_view.data is not None and settled(inbox_view), timeout=WAIT)
    assert refs(inbox_view) == []

    path = write_csv(
        folder / "drop.csv",
        [row(police_reference="TST-DROP-1", first_name="Fakey", last_name="McTestface")],
    )
    then = time.time() - 60
    os.utime(path, (then, then))
    watcher = window.imports.watcher
    watcher.stop()  # the test drives the ticks
    for _ in range(2):  # first sight, then unchanged: imported
        qtbot.waitUntil(lambda: not watcher.scanning, timeout=WAIT)
        assert watcher.scan_now()
    qtbot.waitUntil(lambda: not watcher.scanning, timeout=WAIT)
    assert not watcher.scan_now() or True  # never two scans at once
    qtbot.waitUntil(
        lambda: settled(inbox_view) and refs(inbox_view) == ["TST-DROP-1"], timeout=WAIT
    )
    assert (folder / "processed" / "drop.csv").exists()
    assert (folder / "processed" / "drop.csv.report.txt").exists()
    qtbot.waitUntil(
        lambda: "Import folder: imported 1 file" in window.statusBar().currentMessage(),
        timeout=WAIT,
    )
    assert window.imports.folder_label.text() == "Import folder: incoming"
    qtbot.waitUntil(lambda: not watcher.scanning, timeout=WAIT)


def test_ctrl_i_imports_a_file_and_the_inbox_shows_it(
    ui_db, team, app_paths, qtbot, tmp_path, monkeypatch
):
    from followup.ui.intake import import_dialog
    from followup.ui.shell.main_window import MainWindow
    from tests.intake.helpers import row, write_csv

    path = write_csv(tmp_path / "hand.csv", [row(police_reference="TST-HAND-1")])
    monkeypatch.setattr(import_dialog, "ask_referral_file", lambda _parent: str(path))
    window = MainWindow(ui_db, team["worker1"])
    qtbot.addWidget(window)
    window.show()
    window.imports.watcher.stop()
    inbox_view = window.views["Inbox"]
    # On screen, so that it reads again after the import (a hidden view waits to be shown).
    window.show_view(list(window.views).index("Inbox"))
    assert window.imports.import_action.shortcut().toString() == "Ctrl+I"
    window.imports.import_action.trigger()
    flow = window.imports.flow
    qtbot.waitUntil(lambda: flow.preview_dialog is not None, timeout=WAIT)  # the preview first
    flow.preview_dialog.import_button.click()
    qtbot.waitUntil(lambda: window.imports.flow.summary_dialog is not None, timeout=WAIT)
    qtbot.waitUntil(
        lambda: settled(inbox_view) and refs(inbox_view) == ["TST-HAND-1"], timeout=WAIT
    )
    window.imports.flow.summary_dialog.close()


def test_an_administrator_has_no_inbox_and_no_import(ui_db, team, qtbot):
    from followup.ui.shell.main_window import MainWindow

    window = MainWindow(ui_db, team["admin"])
    qtbot.addWidget(window)
    assert "Inbox" not in window.views and not hasattr(window, "imports")
