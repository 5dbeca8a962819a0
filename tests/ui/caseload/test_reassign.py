"""A lead reassigns cases from the Caseload: a selection, or a worker's whole caseload.

The caseload (tests/ui/conftest.py PEOPLE) holds TST-0001 (Wendy, overdue) and TST-0002
(Wendy), TST-0003 (Walt), TST-0004 (unassigned) and the closed TST-0005 (Walt).
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import select

from followup.casework.allocation import REASON_NEEDED
from followup.db import models as m
from followup.ui.caseload.model import COLUMNS
from followup.ui.caseload.reassign import MoveCaseloadDialog, ReassignDialog
from followup.ui.caseload.view import CaseloadView

WAIT = 10_000
REF = [c.title for c in COLUMNS].index("Police ref.")
WORKER = [c.title for c in COLUMNS].index("Worker")


def settled(view: CaseloadView) -> bool:
    return not view.model.busy and view.model.total is not None and not view._runner.busy


def workers_by_ref(view: CaseloadView) -> dict[str, str]:
    model = view.model
    return {model.line(r).cells[REF]: model.line(r).cells[WORKER] for r in range(model.rowCount())}


@pytest.fixture
def make_view(qtbot):
    def make(db, actor) -> CaseloadView:
        view = CaseloadView(db, actor, lambda _case: None)
        qtbot.addWidget(view)
        view.resize(1366, 700)
        view.show()
        qtbot.waitUntil(lambda: settled(view) and view.model.rowCount() > 0, timeout=WAIT)
        return view

    return make


def click_rows(qtbot, view: CaseloadView, refs: list[str]) -> None:
    """Click the first row, Ctrl+click the others, as a lead would."""
    rows = [
        next(r for r in range(view.model.rowCount()) if view.model.line(r).cells[REF] == ref)
        for ref in refs
    ]
    for n, row in enumerate(rows):
        rect = view.table.visualRect(view.model.index(row, 1))
        modifier = Qt.KeyboardModifier.ControlModifier if n else Qt.KeyboardModifier.NoModifier
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def ok(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def choose(combo, start: str) -> None:
    index = next((i for i in range(combo.count()) if combo.itemText(i).startswith(start)), -1)
    assert index >= 0, f"no choice starts with {start!r}: {combo.itemText(1)!r}…"
    combo.setCurrentIndex(index)


def test_a_lead_reassigns_three_selected_cases_with_a_reason(
    ui_any_db, team, caseload, make_view, qtbot
):
    view = make_view(ui_any_db, team["lead"])
    bar = view.reassign
    assert bar.isVisible()
    click_rows(qtbot, view, ["TST-0001", "TST-0002", "TST-0004"])
    assert bar.reassign_button.text() == "Reassign 3 cases…"
    qtbot.mouseClick(bar.reassign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(bar.dialog, ReassignDialog), timeout=WAIT)
    dialog = bar.dialog
    assert [dialog.case_list.item(i).text() for i in range(dialog.case_list.count())] == [
        "TST-0001 — Testy McTestface — Wendy Worker",
        "TST-0002 — Sample Examplewood — Wendy Worker",
        "TST-0004 — Unnamed: tall, grey coat — unassigned",
    ]
    labels = [dialog.worker.itemText(i) for i in range(dialog.worker.count())]
    assert labels == [
        "Choose a worker…",
        "Lee Lead (lead) — 0 open, 0 overdue",
        "Walt Worker — 1 open, 0 overdue",
        "Wendy Worker — 2 open, 1 overdue",
    ]
    choose(dialog.worker, "Walt Worker")
    qtbot.mouseClick(ok(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.problem.text() == REASON_NEEDED  # nothing moved yet
    qtbot.keyClicks(dialog.reason, "Testworker Wendy is off sick this week")
    qtbot.mouseClick(ok(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.message.isVisible() and settled(view), timeout=WAIT)
    assert bar.message.text() == "Moved 3 cases to Walt Worker from Wendy Worker and the inbox."
    qtbot.waitUntil(
        lambda: settled(view) and workers_by_ref(view)["TST-0004"] == "Walt Worker", timeout=WAIT
    )
    assert workers_by_ref(view) == dict.fromkeys(
        ["TST-0001", "TST-0002", "TST-0003", "TST-0004"], "Walt Worker"
    )
    with ui_any_db.session() as s:
        reasons = s.scalars(
            select(m.AuditPrivateValue.details)
            .join(m.AuditEvent)
            .where(m.AuditEvent.action == "assign")
        ).all()
    assert [json.loads(r) for r in reasons] == [
        {"reason": "Testworker Wendy is off sick this week"}
    ] * 3


def test_a_case_changed_meanwhile_is_named_in_the_summary(ui_db, team, caseload, make_view, qtbot):
    view = make_view(ui_db, team["lead"])
    bar = view.reassign
    click_rows(qtbot, view, ["TST-0001", "TST-0002"])
    qtbot.mouseClick(bar.reassign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(bar.dialog, ReassignDialog), timeout=WAIT)
    dialog = bar.dialog
    choose(dialog.worker, "Lee Lead")
    qtbot.keyClicks(dialog.reason, "Needs a lead's eye")
    with ui_db.session() as s:  # meanwhile Wendy changes TST-0002
        s.scalars(select(m.Case).where(m.Case.police_reference == "TST-0002")).one().area = "ZZ9"
    qtbot.mouseClick(ok(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.message.isVisible() and settled(view), timeout=WAIT)
    assert bar.message.text() == (
        "Moved 1 case from Wendy Worker to Lee Lead; 1 could not be moved: TST-0002 (changed "
        "by someone else since you chose it; refresh and try again)."
    )
    qtbot.waitUntil(lambda: workers_by_ref(view)["TST-0001"] == "Lee Lead", timeout=WAIT)
    assert workers_by_ref(view)["TST-0002"] == "Wendy Worker"


def test_a_lead_moves_a_whole_caseload(ui_db, team, caseload, make_view, qtbot):
    view = make_view(ui_db, team["lead"])
    bar = view.reassign
    qtbot.mouseClick(bar.caseload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(bar.dialog, MoveCaseloadDialog), timeout=WAIT)
    dialog = bar.dialog
    choose(dialog.from_worker, "Wendy Worker — 2 open, 1 overdue")
    choose(dialog.to_worker, "Wendy Worker")
    qtbot.keyClicks(dialog.reason, "Off sick")
    qtbot.mouseClick(ok(dialog), Qt.MouseButton.LeftButton)
    assert dialog.problem.text().startswith("Choose two different workers")
    choose(dialog.to_worker, "Walt Worker — 1 open, 0 overdue")
    qtbot.mouseClick(ok(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.message.isVisible() and settled(view), timeout=WAIT)
    assert bar.message.text() == "Moved 2 cases from Wendy Worker to Walt Worker."
    qtbot.waitUntil(lambda: workers_by_ref(view)["TST-0001"] == "Walt Worker", timeout=WAIT)
    assert set(workers_by_ref(view).values()) == {"Walt Worker", "Unassigned"}


def test_a_worker_sees_no_reassignment(ui_db, team, caseload, make_view):
    view = make_view(ui_db, team["worker1"])
    assert view.reassign.isHidden()
    assert view.table.selectionMode() == view.table.SelectionMode.SingleSelection


def test_the_cases_own_reassign_shows_loads_and_asks_why(ui_db, team, caseload, qtbot):
    from followup.casework import allocation
    from followup.ui.case.dialogs import WorkerDialog

    with ui_db.session() as s:
        loads = allocation.worker_loads(s, team["lead"])
    dialog = WorkerDialog(loads, team["worker1"].id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Reassign case"
    assert dialog.worker.currentText() == "Wendy Worker — 2 open, 1 overdue"
    dialog.worker.setCurrentIndex(dialog.worker.findText("Walt Worker — 1 open, 0 overdue"))
    with qtbot.assertNotEmitted(dialog.accepted):
        dialog.check_and_accept()
    assert dialog.problem.text() == REASON_NEEDED
    qtbot.keyClicks(dialog.reason, "Closer to where they live")
    with qtbot.waitSignal(dialog.accepted):
        dialog.check_and_accept()
