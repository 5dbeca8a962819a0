"""Printing from the Letters view to a real CUPS queue (cups-pdf): a refused job is told in one
sentence and leaves the letters due; an accepted one makes them printed; the user marks them
posted and returned; page ranges are refused on Qt's route. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import select

from followup.db import models as m
from followup.ui.letters.due_model import STATE
from followup.ui.letters.due_view import LettersView
from followup.ui.widgets import pdf_preview
from followup.ui.widgets.look import ROLE_PROPERTY, StyleRole
from followup.ui.widgets.print_dialog import CupsPrintDialog, PrintChoice
from tests.letters.cups import cups_fixture  # noqa: F401 - fixture
from tests.letters.helpers import page_count
from tests.ui.letters.helpers import (  # noqa: F401 - fixtures
    WAIT,
    add_attempts,
    count,
    letter_cases_fixture,
    letter_db_fixture,
)


@pytest.fixture
def due(letter_db, letter_cases) -> dict[str, int]:
    with letter_db.session() as s:
        add_attempts(s, letter_cases["ready"], 3)
    return letter_cases


def make_view(qtbot, db, actor) -> LettersView:
    view = LettersView(db, actor, lambda _case: None)
    qtbot.addWidget(view)
    view.resize(1300, 600)
    view.show()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    return view


def states(view: LettersView) -> list[str]:
    return sorted(view.model.index(r, STATE).data() for r in range(view.model.rowCount()))


def make_batch(qtbot, view: LettersView):
    view.choose_all_due()
    qtbot.mouseClick(view.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.preview_dialog is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    return view.preview_dialog.preview


def print_to(qtbot, monkeypatch, preview, queue: str) -> str:
    monkeypatch.setattr(pdf_preview, "uses_cups", lambda: True)
    monkeypatch.setattr(pdf_preview, "ask_queue", lambda _parent, _pages: PrintChoice(queue))
    qtbot.mouseClick(preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    return preview.message.text()


def test_a_refused_print_keeps_the_letters_due_and_an_accepted_one_prints_them(
    ui_any_db, team, due, qtbot, monkeypatch, cups
):
    view = make_view(qtbot, ui_any_db, team["worker1"])
    assert states(view) == ["Due: not made yet"] * 3
    preview = make_batch(qtbot, view)
    ids = preview.letter_ids
    assert len(ids) == 3 and preview.page_count % 2 == 0

    for queue, said in (
        (cups.rejecting, "is refusing jobs"),
        (cups.stopped, "is stopped"),
        (cups.failing, "cancelled the job"),
    ):
        text = print_to(qtbot, monkeypatch, preview, queue)
        assert said in text and text.endswith("the letters are still due.")
        assert preview.message.property(ROLE_PROPERTY) == StyleRole.ERROR.value
        assert count(ui_any_db, m.LetterPrint) == 0
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    assert states(view) == ["Due: not printed"] * 3

    text = print_to(qtbot, monkeypatch, preview, cups.accepting)
    assert text == (
        f'The printer "{cups.accepting}" took the job ({preview.page_count} pages); '
        "the letters are recorded as printed with the case."
    )
    with ui_any_db.session() as s:
        jobs = s.scalars(select(m.LetterPrint.job)).all()
        assert s.scalars(select(m.Letter.state)).all() == ["printed"] * 3
    assert len(jobs) == 3 and len(set(jobs)) == 1 and jobs[0].startswith(f"{cups.accepting}-")
    job_id = int(jobs[0].rsplit("-", 1)[1])
    assert page_count(cups.printed(job_id).read_bytes()) == preview.page_count
    qtbot.waitUntil(lambda: states(view) == ["Printed"] * 3, timeout=WAIT)

    # The user posts them, and one comes back.
    view.model.choose_all()
    assert view.posted_button.isEnabled() and view.returned_button.isEnabled()
    qtbot.mouseClick(view.posted_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.message.text().startswith("Marked 3 letters posted"), timeout=WAIT)
    qtbot.waitUntil(lambda: states(view) == ["Posted"] * 3, timeout=WAIT)
    row = next(r for r in range(3) if view.model.due[r].template == "unable_to_contact")
    view.model.set_chosen([row], True)
    assert view.returned_button.isEnabled() and not view.posted_button.isEnabled()
    qtbot.mouseClick(view.returned_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: view.message.text() == "Marked 1 letter returned; 1 logged as returned mail.",
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: states(view) == ["Posted"] * 2, timeout=WAIT)
    with ui_any_db.session() as s:
        assert s.scalars(
            select(m.ContactAttempt.outcome)
            .where(m.ContactAttempt.method == "letter")
            .order_by(m.ContactAttempt.id)
        ).all() == ["letter_sent", "returned_mail"]


def test_closing_the_preview_without_printing_keeps_the_letters_due(ui_db, team, due, qtbot):
    view = make_view(qtbot, ui_db, team["worker1"])
    make_batch(qtbot, view)
    view.preview_dialog.close()
    view.refresh()
    qtbot.waitUntil(lambda: not view.loading, timeout=WAIT)
    assert states(view) == ["Due: not printed"] * 3
    assert view.count_label.text() == "3 letters due"


def test_a_page_range_on_qts_route_is_refused_and_nothing_recorded(
    ui_db, team, due, qtbot, monkeypatch, tmp_path
):
    view = make_view(qtbot, ui_db, team["worker1"])
    preview = make_batch(qtbot, view)
    out = tmp_path / "part.pdf"

    def make() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printer.setPrintRange(QPrinter.PrintRange.PageRange)
        printer.setFromTo(2, 3)
        return printer

    monkeypatch.setattr(pdf_preview, "uses_cups", lambda: False)
    monkeypatch.setattr(pdf_preview, "make_printer", make)
    monkeypatch.setattr(pdf_preview, "ask_printer", lambda _parent, _printer: True)
    qtbot.mouseClick(preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    assert preview.message.text() == pdf_preview.PART_PRINTED
    assert count(ui_db, m.LetterPrint) == 0 and not out.exists()


def test_the_print_dialog_lists_the_queues_without_a_page_range(qtbot, cups):
    dialog = CupsPrintDialog(None, pages=22)
    qtbot.addWidget(dialog)
    names = [dialog.printer.itemText(i) for i in range(dialog.printer.count())]
    assert cups.accepting in names
    dialog.printer.setCurrentText(cups.accepting)
    dialog.copies.setValue(2)
    assert "All 22 pages will be printed" in dialog.note.text()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert dialog.choice() == PrintChoice(cups.accepting, 2)
