"""Every kind of PDF Followup makes (a letter, a batch of letters, the commissioners' summary and
the subject-access pack) embeds its fonts, passes `qpdf --check`, keeps every table on the page
and has no personal data in its metadata."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from followup.db import models as m
from followup.letters.batch import letters_due, render_batch
from followup.letters.making import create_letter
from followup.protection.subject_access.pack import export_subject_access
from followup.reports.pdf import export_commissioner_pdf
from tests.letters.helpers import add_case, letterhead_set_fixture  # noqa: F401 - fixtures
from tests.letters.test_batch import due_cases  # noqa: F401 - fixture
from tests.pdf.checks import off_page_text, pdf_problems, unembedded_fonts
from tests.protection.test_subject_access import person_case  # noqa: F401 - fixture
from tests.reports.test_engagement import MARCH, NOW, build_dataset


def personal_values(db) -> list[str]:
    """Everything in the database that points to a person, as it could appear in text."""
    values: list[str] = []
    with db.session() as s:
        for p in s.scalars(select(m.Person)):
            values += [p.first_name, p.last_name, p.phone or "", p.nhs_number or ""]
            if p.date_of_birth:
                values += [p.date_of_birth.isoformat(), p.date_of_birth.strftime("%d/%m/%Y")]
        values += [r or "" for r in s.scalars(select(m.Case.police_reference))]
    return [v for v in values if v]


def test_a_letter_passes_every_check(database, team, letterhead_set):
    with database.session() as s:
        case_id = add_case(s, team["worker1"].id, first="Brontë", last="Łukaszewicz")
    with database.session() as s:
        letter = create_letter(
            s,
            team["worker1"],
            case_id,
            "appointment",
            appointment_time=datetime.now() + timedelta(days=3),
            appointment_place="The Community Centre",
        )
    assert pdf_problems(letter.pdf, personal_values(database)) == []


def test_a_batch_passes_every_check(database, team, due_cases):  # noqa: F811 - fixture
    worker = team["worker1"]
    with database.session() as s:
        due = letters_due(s, worker)
    result = render_batch(database, worker, due)
    assert len(result.letters) >= 2
    assert pdf_problems(result.pdf, personal_values(database)) == []


def test_the_commissioners_summary_passes_every_check(database, team, tmp_path):
    build_dataset(database, team)
    out = tmp_path / "summary.pdf"
    with database.session() as s:
        export_commissioner_pdf(s, team["lead"], out, MARCH, now=NOW, organisation="Test Service")
    pdf = out.read_bytes()
    assert pdf_problems(pdf, personal_values(database)) == []


def test_the_subject_access_pack_passes_every_check(database, team, person_case, tmp_path):  # noqa: F811
    person_id, _ = person_case
    with database.session() as s:
        pdf_path, _ = export_subject_access(s, team["lead"], person_id, tmp_path, date(2026, 1, 31))
    assert pdf_problems(pdf_path.read_bytes(), personal_values(database)) == []


def test_the_checks_catch_a_base_font_and_a_table_off_the_page():
    """The checks themselves: a ReportLab page in Helvetica with a line running off the edge."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(A4[0] - 20, 400, "Median hours to first attempt")
    canvas.save()
    pdf = buf.getvalue()
    assert unembedded_fonts(pdf) == ["/Helvetica"]
    assert off_page_text(pdf) and off_page_text(pdf)[0].startswith("page 1:")
