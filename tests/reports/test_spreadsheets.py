"""The exports people open in spreadsheets, read back: the case list and the dashboard's tables
as Excel workbooks of typed cells (openpyxl), and both the workbook and the CSV opened by a
real spreadsheet program (LibreOffice, headless) when one is installed."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup import spreadsheets, vocab
from followup.cli import main
from followup.db import models as m
from followup.errors import FollowupError
from followup.reports.engagement import engagement_report
from followup.reports.exports import (
    CASE_SHEET,
    export_cases_csv,
    export_cases_xlsx,
    export_tables_xlsx,
)
from followup.reports.resupplies import resupplies_by_reason
from followup.reports.traceability import traceability_report
from followup.spreadsheets import XLSX_DATE_FORMAT, XLSX_TIME_FORMAT
from followup.validation import display_phone
from tests.reports.test_engagement import MARCH, NOW, build_dataset

SUMMER = datetime(2025, 7, 14, 13, 30, tzinfo=UTC)  # 14:30 BST
SUMMER_PERIOD_CASES = 2


def add_awkward_people(db) -> dict[str, int]:
    """Two cases in July 2025 whose details a spreadsheet could mangle: letters beyond ASCII, a
    name that looks like a formula, references and phones with leading zeros."""
    ids = {}
    with db.session() as s:
        for key, first, last, reference, phone, nhs in (
            ("bronte", "Łukasz", "Brontë", "0042/TST", "+447700900123", "9990000018"),
            ("formula", "=1+1", "Testcase", '=HYPERLINK("x")', "+447700900124", "0999000001"),
        ):
            person = m.Person(
                first_name=first,
                last_name=last,
                date_of_birth=date(1980, 1, 2),
                phone=phone,
                nhs_number=nhs,
            )
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                police_reference=reference,
                area="B5",
                status="new",
                referred_at=SUMMER,
                next_action_due_at=datetime(2025, 7, 15, 23, 30, tzinfo=UTC),
            )
            s.add(case)
            s.flush()
            ids[key] = case.id
    return ids


def sheet_rows(sheet) -> list[dict]:
    header = [c.value for c in sheet[1]]
    return [
        dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[0]
    ]


def test_the_case_workbook_holds_typed_cells(database, team, tmp_path):
    ids = add_awkward_people(database)
    out = tmp_path / "cases.xlsx"
    with database.session() as s:
        result = export_cases_xlsx(s, team["lead"], out, now=NOW)
    assert result.rows == SUMMER_PERIOD_CASES and result.describe().endswith("(2 rows).")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Cases", "About"]
    sheet = book["Cases"]
    assert [c.value for c in sheet[1]] == [c.heading for c in CASE_SHEET]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref is not None
    widths = {
        index: d.width
        for d in sheet.column_dimensions.values()
        for index in range(d.min, d.max + 1)  # equal neighbours share one <col> element
    }
    assert [widths.get(i) for i in range(1, len(CASE_SHEET) + 1)] == pytest.approx(
        [c.width for c in CASE_SHEET], abs=1
    )

    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    bronte = {h.heading: c for h, c in zip(CASE_SHEET, cells[ids["bronte"]], strict=True)}
    assert bronte["Case"].data_type == "n"
    assert bronte["Person"].value == "Łukasz Brontë" and bronte["Person"].data_type == "s"
    assert bronte["Police reference"].value == "0042/TST"
    assert bronte["NHS number"].value == "9990000018" and bronte["Phone"].value == "07700 900123"
    assert bronte["Date of birth"].value == datetime(1980, 1, 2)
    assert bronte["Date of birth"].number_format == XLSX_DATE_FORMAT
    assert bronte["Referral received (UK time)"].value == datetime(2025, 7, 14, 14, 30)
    assert bronte["Referral received (UK time)"].number_format == XLSX_TIME_FORMAT
    assert bronte["Next action due (UK time)"].value == datetime(2025, 7, 16, 0, 30)
    assert bronte["Overdue"].value is False  # due in July, after NOW (April)
    assert bronte["First attempt (UK time)"].value is None  # an empty cell, not ""

    odd = {h.heading: c for h, c in zip(CASE_SHEET, cells[ids["formula"]], strict=True)}
    # Text as text: no quote in front, nothing that runs.
    assert odd["Person"].value == "=1+1 Testcase" and odd["Person"].data_type == "s"
    assert odd["Police reference"].value == '=HYPERLINK("x")'
    assert odd["NHS number"].value == "0999000001"  # the leading zero stays
    for row in sheet.iter_rows():
        assert all(c.data_type != "f" for c in row)

    about = {r[0].value: r[1].value for r in book["About"].iter_rows()}
    assert about["What"] == "Followup case list (Excel)" and about["Period"] == "All cases"
    assert about["Made"] == "20/04/2025 13:00 UK time"  # 12:00 UTC, in summer time


def test_the_tables_workbook_holds_every_dashboard_table(database, team, tmp_path):
    build_dataset(database, team)
    out = tmp_path / "tables.xlsx"
    with database.session() as s:
        result = export_tables_xlsx(s, team["lead"], out, MARCH, now=NOW)
        report = engagement_report(s, team["lead"], MARCH, by=("worker", "area", "month"), now=NOW)
    assert result.rows == report.totals.received == 7
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "By worker",
        "By area",
        "By month",
        "Time to first attempt",
        "Time to first contact",
        "Traceability",
        "Why no contact",
        "Resupplies by reason",
        "About",
    ]
    # The tabs' own services give the same numbers as the workbook's sheets.
    with database.session() as s:
        traced = traceability_report(s, team["lead"], MARCH, now=NOW, record=False)
        resupplied = resupplies_by_reason(s, team["lead"], MARCH)
    classes = sheet_rows(book["Traceability"])
    assert [(r["Traceability at intake"], r["Count"]) for r in classes] == [
        *((vocab.label(k), n) for k, n in traced.by_class),
        ("Total", traced.referrals),
    ]
    assert classes[-1]["Count"] == traced.referrals and traced.referrals >= 7
    reasons = sheet_rows(book["Why no contact"])
    assert reasons[-1] == {
        "Why contact was never made": "Total",
        "Count": traced.closed_without_contact,
    }
    kits = sheet_rows(book["Resupplies by reason"])
    assert [(r["Resupply reason"], r["Resupplies"], r["Kits"]) for r in kits[:-1]] == [
        (r.label, r.supplies, r.kits) for r in resupplied.reasons
    ]
    for by, name in (("worker", "By worker"), ("area", "By area"), ("month", "By month")):
        rows = sheet_rows(book[name])
        expected = [*report.groups[by], None]
        assert [r[next(iter(r))] for r in rows] == [
            *(g.label for g in report.groups[by]),
            "Whole team",
        ]
        for row, group in zip(rows, expected, strict=True):
            figures = report.totals if group is None else group.figures
            assert row["Referrals received"] == figures.received
            assert row["Contact made"] == pytest.approx(figures.contact_rate)
    worker = book["By worker"]
    assert worker["B2"].data_type == "n"
    rate_column = next(c.column_letter for c in worker[1] if c.value == "Contact made")
    assert worker[f"{rate_column}2"].number_format == "0.0%"
    assert book["About"]["B2"].value == "01/03/2025 to 31/03/2025"


def test_the_csv_is_for_machines(database, team, tmp_path):
    ids = add_awkward_people(database)
    out = tmp_path / "cases.csv"
    with database.session() as s:
        export_cases_csv(s, team["lead"], out, now=NOW)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcase_id,police_reference,person,")  # the header first
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = {int(r["case_id"]): r for r in csv.DictReader(fh)}
    bronte, odd = rows[ids["bronte"]], rows[ids["formula"]]
    assert bronte["person"] == "Łukasz Brontë" and bronte["phone"] == "07700 900123"
    assert bronte["referral_received"] == "2025-07-14T14:30+01:00"
    # The quote only where a cell would otherwise run as a formula.
    assert odd["person"] == "'=1+1 Testcase" and odd["police_reference"] == '\'=HYPERLINK("x")'
    assert odd["phone"] == "07700 900124" and odd["nhs_number"] == "0999000001"


# ------------------------------------------------------------- a real spreadsheet program

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui): the exports "
    "are not opened in a real spreadsheet program",
)
# What a UK user gets: UTF-8, comma-separated, double quotes, English (UK) number and date
# reading (LibreOffice's CSV filter options: separator, quote, charset 76 = UTF-8, first
# line, column types, language 2057 = English (UK)).
CSV_IMPORT = "CSV:44,34,76,1,,2057"
CSV_EXPORT = "csv:Text - txt - csv (StarCalc):44,34,76,1"


def open_in_libreoffice(source: Path, work: Path, infilter: str | None = None) -> list[list[str]]:
    """Open ``source`` in LibreOffice Calc and save its first sheet as CSV, as shown; the
    cells read back."""
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    command = [
        str(SOFFICE),
        f"-env:UserInstallation={(work / 'profile').as_uri()}",  # never the user's own profile
        "--headless",
        "--norestore",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        CSV_EXPORT,
        "--outdir",
        str(out),
        str(source),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    written = out / (source.stem + ".csv")
    assert written.exists(), f"LibreOffice wrote nothing: {done.stdout} {done.stderr}"
    with open(written, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@needs_soffice
def test_libreoffice_reads_both_exports_as_they_were_written(sqlite_database, team, tmp_path):
    ids = add_awkward_people(sqlite_database)
    with sqlite_database.session() as s:
        export_cases_xlsx(s, team["lead"], tmp_path / "cases.xlsx", now=NOW)
        export_cases_csv(s, team["lead"], tmp_path / "cases.csv", now=NOW)

    sheet = open_in_libreoffice(tmp_path / "cases.xlsx", tmp_path / "xlsx")
    assert sheet[0][:3] == ["Case", "Police reference", "Person"]
    rows = {r[0]: dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]}
    bronte, odd = rows[str(ids["bronte"])], rows[str(ids["formula"])]
    assert bronte["Person"] == "Łukasz Brontë"
    assert bronte["Police reference"] == "0042/TST" and bronte["Phone"] == "07700 900123"
    assert bronte["NHS number"] == "9990000018"
    assert bronte["Date of birth"] == "02/01/1980"
    assert bronte["Referral received (UK time)"] == "14/07/2025 14:30"
    # No formula ran (=1+1 would read 2) and no quote shows.
    assert odd["Person"] == "=1+1 Testcase" and odd["Police reference"] == '=HYPERLINK("x")'
    assert odd["NHS number"] == "0999000001"

    sheet = open_in_libreoffice(tmp_path / "cases.csv", tmp_path / "csv", CSV_IMPORT)
    assert sheet[0][:3] == ["case_id", "police_reference", "person"]  # the header is row 1
    rows = {r[0]: dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]}
    bronte, odd = rows[str(ids["bronte"])], rows[str(ids["formula"])]
    assert bronte["person"] == "Łukasz Brontë"
    assert bronte["police_reference"] == "0042/TST"
    assert bronte["phone"] == "07700 900123"  # national form: no quote, the zero kept
    assert bronte["referral_received"] == "2025-07-14T14:30+01:00"
    # The quote is there only where the cell would otherwise have run.
    assert odd["person"] == "'=1+1 Testcase"
    assert odd["phone"] == "07700 900124"


# ---------------------------------------------------------------------------- command line


def test_the_command_line_writes_both_workbooks(
    monkeypatch, capsys, sqlite_database, sqlite_url, team, tmp_path
):
    build_dataset(sqlite_database, team)
    db_file = sqlite_url.removeprefix("sqlite:///")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setenv("FOLLOWUP_USER", "lead")
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-lead")
    march = ["--from", "2025-03-01", "--to", "2025-03-31", "--db", db_file, "--json"]

    assert main(["export", "cases", str(tmp_path), "--excel", *march]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["kind"] == "cases_xlsx" and made["rows"] == 7
    assert made["file"].endswith(".xlsx")
    assert openpyxl.load_workbook(made["file"]).sheetnames == ["Cases", "About"]

    assert main(["export", "cases", str(tmp_path / "by-name.xlsx"), *march]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "cases_xlsx"

    assert main(["export", "tables", str(tmp_path / "tables.xlsx"), *march]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["kind"] == "tables_xlsx" and made["rows"] == 7
    assert "By area" in openpyxl.load_workbook(tmp_path / "tables.xlsx").sheetnames


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\+447[0-9]{9}", fullmatch=True))
def test_phones_are_written_as_phonenumbers_writes_them(e164):
    """The quick way for mobiles gives exactly what phonenumbers' national form gives."""
    expected = phonenumbers.format_number(
        phonenumbers.parse(e164, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    assert display_phone(e164) == expected


def test_too_many_rows_for_a_spreadsheet_are_refused_and_nothing_is_left(monkeypatch, tmp_path):
    monkeypatch.setattr(spreadsheets, "XLSX_ROW_LIMIT", 3)
    columns = [spreadsheets.Column("n", "N", spreadsheets.CellKind.WHOLE)]
    rows = ([n] for n in range(10))
    sheet = spreadsheets.Sheet("Rows", columns, rows)
    with pytest.raises(FollowupError, match="will not fit in a spreadsheet; choose a shorter"):
        spreadsheets.write_xlsx(tmp_path / "big.xlsx", [sheet], [("What", "test")])
    assert list(tmp_path.iterdir()) == []
