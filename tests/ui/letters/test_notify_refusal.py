"""A stored letter that is not in GOV.UK Notify's printable format (made with the older
layout) is shown, but Print… and Save as PDF… refuse it with a sentence saying why: nothing is
printed, written or recorded. A letter made now prints. SQLite."""

from __future__ import annotations

from PySide6.QtCore import Qt

from followup import vocab
from followup.db import models as m
from followup.db.types import utcnow
from followup.letters.making import create_letter
from followup.ui.widgets import pdf_preview
from followup.ui.widgets.pdf_preview import PdfPreviewDialog
from tests.letters.helpers import add_case
from tests.letters.test_notify_layout import old_layout_pdf
from tests.ui.letters.helpers import WAIT, count, pdf_printer_fixture  # noqa: F401 - fixture


def stored_old_letter(db, team) -> int:
    with db.session() as s:
        case_id = add_case(s, team["worker1"].id)
        letter = m.Letter(
            case_id=case_id,
            template="unable_to_contact",
            author_id=team["worker1"].id,
            created_at=utcnow(),
            sha256="0" * 64,
            pdf=old_layout_pdf(),
            state=vocab.LetterState.DUE,
        )
        s.add(letter)
        s.flush()
        return letter.id


def preview_of(qtbot, db, team, pdf: bytes, letter_id: int):
    dialog = PdfPreviewDialog(db, team["worker1"], "Letter")
    qtbot.addWidget(dialog)
    dialog.preview.show_pdf(pdf, [letter_id])
    dialog.show()
    return dialog


def test_an_old_layout_letter_is_neither_printed_nor_saved(
    ui_db, team, qtbot, monkeypatch, tmp_path, pdf_printer
):
    letter_id = stored_old_letter(ui_db, team)
    dialog = preview_of(qtbot, ui_db, team, old_layout_pdf(), letter_id)
    preview = dialog.preview

    qtbot.mouseClick(preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    assert "older layout" in preview.message.text()
    assert "not printed or saved" in preview.message.text()
    assert not any(p.exists() for p in pdf_printer)

    # The CUPS route stops before the job is sent.
    sent: list[bytes] = []
    monkeypatch.setattr(pdf_preview, "uses_cups", lambda: True)
    monkeypatch.setattr(pdf_preview, "ask_queue", lambda _p, _n: pdf_preview.PrintChoice("office"))
    monkeypatch.setattr(pdf_preview, "send_to_cups", lambda pdf, *a, **k: sent.append(pdf))
    qtbot.mouseClick(preview.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    assert "older layout" in preview.message.text() and sent == []

    out = tmp_path / "letter.pdf"
    monkeypatch.setattr(pdf_preview, "ask_pdf_path", lambda _parent, _name: out)
    qtbot.mouseClick(preview.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    assert "older layout" in preview.message.text()
    assert not out.exists()
    assert count(ui_db, m.LetterPrint) == 0
    with ui_db.session() as s:
        assert s.get(m.Letter, letter_id).state == vocab.LetterState.DUE


def test_a_letter_made_now_is_saved(ui_db, team, qtbot, monkeypatch, tmp_path):
    from followup.letters.settings import set_letterhead
    from tests.letters.helpers import LETTERHEAD, logo_png

    with ui_db.session() as s:
        set_letterhead(s, team["admin"], logo=logo_png(), **LETTERHEAD)
        case_id = add_case(s, team["worker1"].id)
    with ui_db.session() as s:
        record = create_letter(s, team["worker1"], case_id, "unable_to_contact")
    dialog = preview_of(qtbot, ui_db, team, record.pdf, record.id)
    preview = dialog.preview
    out = tmp_path / "letter.pdf"
    monkeypatch.setattr(pdf_preview, "ask_pdf_path", lambda _parent, _name: out)
    qtbot.mouseClick(preview.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.busy, timeout=WAIT)
    assert out.read_bytes() == record.pdf
    assert count(ui_db, m.LetterPrint) == 1
