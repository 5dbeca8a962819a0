"""The Letters view: the letters due, a batch in one PDF with progress, cancelling, and the
letters left out with their reasons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from sqlalchemy import select

from followup.db import models as m
from followup.letters.batch import letters_due
from followup.ui.letters.due_model import PERSON, PROBLEM, STATE
from followup.ui.letters.due_view import STOPPED, LettersView
from followup.ui.tasks import SyncTaskRunner
from tests.letters.helpers import page_count, pdf_text
from tests.ui.letters.helpers import (  # noqa: F401 - fixtures
    WAIT,
    add_attempts,
    count,
    letter_cases_fixture,
    letter_db_fixture,
    pdf_printer_fixture,
)


@pytest.fixture
def due(ui_db, letter_cases) -> dict[str, int]:
    """Tried-to-reach-you letters due on all three cases (one without consent to letters),
    and treatment and GP letters due on worker1's ready case."""
    with ui_db.session() as s:
        for case_id in letter_cases.values():
            add_attempts(s, case_id, 3)
    return letter_cases


def make_view(qtbot, db, actor, **kw) -> LettersView:
    opened: list[int] = []
    view = LettersView(db, actor, opened.append, **kw)
    view.opened = opened
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    return view


def cell(view: LettersView, row: int, column: int) -> str:
    return view.model.index(row, column).data()


def test_a_worker_sees_the_letters_due_on_their_cases_with_problems(ui_db, team, due, qtbot):
    view = make_view(qtbot, ui_db, team["worker1"])
    with ui_db.session() as s:
        expected = letters_due(s, team["worker1"])
    assert view.model.rowCount() == len(expected) == 4
    rows = [(int(cell(view, r, 1)), cell(view, r, 3)) for r in range(4)]
    assert (due["no_letters"], "We tried to reach you") in rows
    assert due["colleague"] not in {case for case, _ in rows}
    problem_row = rows.index((due["no_letters"], "We tried to reach you"))
    assert "consent to letters" in cell(view, problem_row, PROBLEM)
    assert view.table.isColumnHidden(2)  # no worker column for a worker
    assert view.count_label.text() == "4 letters due; 1 would be refused (see Problem)"
    assert not view.make_button.isEnabled()
    view.table.doubleClicked.emit(view.model.index(problem_row, 3))
    assert view.opened == [due["no_letters"]]


def test_a_lead_sees_every_case(ui_db, team, due, qtbot):
    view = make_view(qtbot, ui_db, team["lead"])
    assert view.model.rowCount() == 7  # worker2's case has all three letters due too
    assert not view.table.isColumnHidden(2)
    assert {cell(view, r, 2) for r in range(7)} == {"Wendy Worker", "Walt Worker"}


def test_a_batch_makes_one_pdf_with_progress_and_lists_what_was_left_out(
    ui_db, team, due, qtbot, pdf_printer
):
    view = make_view(qtbot, ui_db, team["worker1"])
    progress: list[tuple[int, int]] = []
    view._relay.progress.connect(lambda done, total: progress.append((done, total)))
    qtbot.mouseClick(view.select_all_button, Qt.MouseButton.LeftButton)
    assert view.chosen_label.text() == "4 letters chosen"
    assert view.model.index(0, PERSON).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    assert view.progress_dialog is not None and view.progress_dialog.maximum() == 4
    qtbot.waitUntil(lambda: view.preview_dialog is not None, timeout=WAIT)

    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert view.progress_dialog is None
    result = view.last_result
    assert len(result.letters) == 3 and len(result.skipped) == 1
    preview = view.preview_dialog.preview
    assert preview.document.pageCount() == page_count(result.pdf) == result.pages
    assert sorted(preview.letter_ids) == sorted(letter.id for letter in result.letters)
    assert "Dear Testy," in pdf_text(result.pdf)
    assert view.skipped.isVisible() and view.skipped.count() == 1
    assert (
        view.skipped.item(0)
        .text()
        .startswith(
            f"Testy McTestface (case {due['no_letters']})"
            " — We tried to reach you: A letter to the "
            "person needs the person's consent"
        )
    )
    assert "Made 3 letters" in view.message.text() and "1 left out" in view.message.text()
    assert count(ui_db, m.Letter) == 3
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    # Made is not printed: the three stay due, now as the stored letters, beside the refused one.
    assert view.model.rowCount() == 4
    assert sorted(cell(view, r, STATE) for r in range(4)) == [
        "Due: not made yet",
        *["Due: not printed"] * 3,
    ]

    # One print job for the whole batch, each letter's print recorded.
    qtbot.mouseClick(preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    assert page_count(pdf_printer[0].read_bytes()) == result.pages
    with ui_db.session() as s:
        printed = s.scalars(select(m.LetterPrint.letter_id)).all()
    assert sorted(printed) == sorted(preview.letter_ids)
    # The list follows: three printed, waiting to be posted.
    qtbot.waitUntil(
        lambda: (
            not view.loading
            and sorted(cell(view, r, STATE) for r in range(view.model.rowCount()))
            == ["Due: not made yet", *["Printed"] * 3]
        ),
        timeout=WAIT,
    )
    assert view.count_label.text() == (
        "1 letter due; 3 printed, not yet posted; 1 would be refused (see Problem)"
    )


def test_cancel_stops_the_batch_and_stores_nothing(ui_db, team, due, qtbot):
    view = make_view(qtbot, ui_db, team["worker1"], runner=SyncTaskRunner())
    # Press Cancel as soon as the first letter is done (the runner is synchronous here).
    view._relay.progress.connect(
        lambda done, _total: done == 1 and view.progress_dialog.findChild(QPushButton).click()
    )
    view.model.choose_all()
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    assert view.message.text() == STOPPED == "Stopped; no letters were stored."
    assert view.last_result.cancelled and view.preview_dialog is None
    assert count(ui_db, m.Letter) == 0
    assert view.model.rowCount() == 4 and view.make_button.isEnabled()


def test_choosing_only_refused_letters_makes_none(ui_db, team, due, qtbot):
    view = make_view(qtbot, ui_db, team["worker1"], runner=SyncTaskRunner())
    row = next(r for r in range(view.model.rowCount()) if cell(view, r, PROBLEM))
    view.model.setData(
        view.model.index(row, PERSON), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole
    )
    assert view.chosen_label.text() == "1 letter chosen"
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    assert "No letters were made" in view.message.text()
    assert view.skipped.count() == 1 and view.preview_dialog is None


def test_a_letterhead_without_a_phone_is_said_once_and_in_each_letters_problem(
    ui_db, team, due, qtbot
):
    """Before an administrator gives the letterhead a phone number, the letters that give it
    show why in the Problem column and the screen says so once, with the fix."""
    from followup.letters.settings import set_letterhead

    with ui_db.session() as s:
        set_letterhead(s, team["admin"], phone="")
    view = make_view(qtbot, ui_db, team["worker1"])
    assert view.letterhead_note.isVisible()
    assert "letterhead has none" in view.letterhead_note.text()
    assert "Letter templates, Letterhead" in view.letterhead_note.text()
    problems = [cell(view, r, PROBLEM) for r in range(view.model.rowCount())]
    assert any("letterhead has none" in p for p in problems)
    with ui_db.session() as s:
        set_letterhead(s, team["admin"], phone="0121 496 0000")
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    assert not view.letterhead_note.isVisible()
    assert not any("letterhead" in cell(view, r, PROBLEM) for r in range(view.model.rowCount()))
