"""Shared set-up for the letter UI tests (no tests here): synthetic cases ready for letters, a
PDF printer in place of Qt's print dialog, and a file name in place of the save dialog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QPrinter
from sqlalchemy import func, select

from followup.db import models as m
from followup.letters.settings import set_letterhead
from followup.ui.widgets import pdf_preview
from tests.letters.helpers import LETTERHEAD, NOW, add_case, logo_png

WAIT = 15_000


def _db(request):
    name = "ui_any_db" if "ui_any_db" in request.fixturenames else "ui_db"
    return request.getfixturevalue(name)


@pytest.fixture(name="letter_db")
def letter_db_fixture(request):
    """Whichever UI database the test asked for (``ui_db`` or ``ui_any_db``)."""
    return _db(request)


@pytest.fixture(name="letter_cases")
def letter_cases_fixture(letter_db, team) -> dict[str, int]:
    """worker1's case with every consent; one without consent to letters; worker2's case."""
    with letter_db.session() as s:
        set_letterhead(s, team["admin"], logo=logo_png(), **LETTERHEAD)
        return {
            "ready": add_case(s, team["worker1"].id, reference="TST-L1"),
            "no_letters": add_case(
                s,
                team["worker1"].id,
                reference="TST-L2",
                scopes=("share_with_treatment",),
                with_treatment=False,
                gp=None,
            ),
            "colleague": add_case(s, team["worker2"].id, reference="TST-L3"),
        }


def add_attempts(s, case_id: int, n: int) -> None:
    for i in range(n):
        s.add(
            m.ContactAttempt(
                case_id=case_id,
                method="phone",
                outcome="no_answer",
                attempted_at=NOW - timedelta(days=15 - 3 * i),
            )
        )


@pytest.fixture(name="pdf_printer")
def pdf_printer_fixture(tmp_path: Path, monkeypatch) -> list[Path]:
    """Print… goes through Qt (the Windows route) to a PDF file; returns the files printed."""
    printed: list[Path] = []

    def make() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        path = tmp_path / f"printed-{len(printed) + 1}.pdf"
        printer.setOutputFileName(str(path))
        printed.append(path)
        return printer

    monkeypatch.setattr(pdf_preview, "uses_cups", lambda: False)
    monkeypatch.setattr(pdf_preview, "make_printer", make)
    monkeypatch.setattr(pdf_preview, "ask_printer", lambda _parent, _printer: True)
    return printed


def count(db, model, *where) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(db, entity: str = "letter") -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(
                select(m.AuditEvent.action)
                .where(m.AuditEvent.entity == entity)
                .order_by(m.AuditEvent.id)
            )
        )
