"""Exports: spreadsheet-safe CSV, the commissioners' PDF without personal data, the consented
NDTMS-style extract, auditing and permissions, and the command line's report and exports."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from followup.cli import main
from followup.db import models as m
from followup.errors import PermissionDenied
from followup.files import safe_cell
from followup.reports.definitions import Period
from followup.reports.engagement import engagement_report
from followup.reports.exports import export_cases_csv
from followup.reports.ndtms import export_ndtms_csv, suggested_filename
from followup.reports.pdf import export_commissioner_pdf
from tests.reports.test_engagement import MARCH, NOW, build_dataset


def read_csv(path):
    """The header (the first line: no comment above it) and the rows."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def audit_events(db):
    with db.session() as s:
        return [
            json.loads(e.details)
            for e in s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export"))
        ]


@pytest.mark.parametrize(
    "value, shown",
    [
        ("=1+1", "'=1+1"),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("+447700900123", "'+447700900123"),
        # A plain number runs nothing and is read as that number: no quote.
        ("-5", "-5"),
        ("-0.25", "-0.25"),
        # Anything more is quoted: a leading zero would be lost, an expression would run.
        ("-05", "'-05"),
        ("-1+2", "'-1+2"),
        ("-A1", "'-A1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Testy", "Testy"),
        ("07700 900123", "07700 900123"),
        ("", ""),
        (None, ""),
        (True, "yes"),
        (12, "12"),
    ],
)
def test_safe_cell(value, shown):
    assert safe_cell(value) == shown


def test_case_csv_is_safe_to_open_and_reads_back(database, team, tmp_path):
    ids = build_dataset(database, team)
    with database.session() as s:
        p = m.Person(
            first_name="=1+1", last_name=None, phone="+447700900123", nhs_number="9990000123"
        )
        s.add(p)
        s.flush()
        c = m.Case(
            person_id=p.id,
            police_reference="-5",
            area="@SUM",
            referred_at=MARCH.start_at,
            status="new",
            closure_note="\tnote",
        )
        s.add(c)
        s.flush()
        odd = c.id
    out = tmp_path / "cases.csv"
    with database.session() as s:
        result = export_cases_csv(s, team["lead"], out, MARCH, now=NOW)
    header, rows = read_csv(out)
    assert header[:3] == ["case_id", "police_reference", "person"]
    assert header[9:12] == ["referral_received", "first_attempt", "next_action_due"]
    assert result.rows == len(rows) == 8  # the seven March cases and the odd one
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    row = by_id[odd]
    assert (row["person"], row["police_reference"], row["area"]) == ("'=1+1", "-5", "'@SUM")
    assert row["phone"] == "07700 900123" and row["nhs_number"] == "9990000123"
    # Phones in national form, times in UK time with their offset (GMT in March).
    c1 = by_id[ids["C1"]]
    assert c1["phone"].startswith("07700 900") and c1["date_of_birth"] == "02/01/1980"
    assert c1["referral_received"] == "2025-03-01T00:00+00:00"
    assert c1["first_attempt"] == "2025-03-01T10:00+00:00"
    assert by_id[ids["C4"]]["overdue"] == "yes" and by_id[ids["C1"]]["overdue"] == "no"
    assert by_id[ids["C6"]]["worker"] == "Unassigned"
    # No cell anywhere starts with a formula character, but for a plain negative number.
    for r in rows:
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r")) and cell != "-5" for cell in r
        )
    # Drill-down export: exactly the ids given. C7 came in at midnight on the UK clock on
    # 1 April, in summer time (23:00 UTC on 31 March), and the CSV says so with its offset.
    with database.session() as s:
        export_cases_csv(s, team["lead"], out, case_ids=[ids["C7"], ids["C8"]], now=NOW)
    header, rows = read_csv(out)
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    assert sorted(by_id) == sorted([ids["C7"], ids["C8"]])
    assert by_id[ids["C7"]]["referral_received"] == "2025-04-01T00:00+01:00"


def test_exports_are_audited_without_personal_data_and_refused_to_workers(database, team, tmp_path):
    build_dataset(database, team)
    with database.session() as s:
        export_cases_csv(s, team["lead"], tmp_path / "a.csv", MARCH, now=NOW)
        export_ndtms_csv(s, team["lead"], tmp_path / "b.csv", MARCH, now=NOW)
        export_commissioner_pdf(s, team["lead"], tmp_path / "c.pdf", MARCH, now=NOW)
    events = audit_events(database)
    assert events == [
        {"kind": "cases_csv", "period": "2025-03-01_to_2025-03-31", "rows": 7},
        # Nobody in this data set has NDTMS consent recorded: every March case is left out.
        {"kind": "ndtms_csv", "period": "2025-03-01_to_2025-03-31", "rows": 0},
        {"kind": "commissioner_pdf", "period": "2025-03-01_to_2025-03-31", "rows": 7},
    ]
    for export, name in (
        (export_cases_csv, "w.csv"),
        (export_ndtms_csv, "w2.csv"),
        (export_commissioner_pdf, "w.pdf"),
    ):
        with pytest.raises(PermissionDenied, match="export data"), database.session() as s:
            export(s, team["worker1"], tmp_path / name, MARCH, now=NOW)
        assert not (tmp_path / name).exists()
    assert len(audit_events(database)) == 3


def test_commissioner_pdf_has_the_figures_and_no_personal_data(database, team, tmp_path):
    build_dataset(database, team)
    out = tmp_path / "summary.pdf"
    with database.session() as s:
        result = export_commissioner_pdf(s, team["lead"], out, MARCH, now=NOW)
        people = s.execute(select(m.Person.first_name, m.Person.last_name, m.Person.phone)).all()
        refs = list(s.scalars(select(m.Case.police_reference)))
    reader = PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert result.pages == len(reader.pages) >= 1
    assert (
        "Followup summary for commissioners; period 01/03/2025 to 31/03/2025; made 20/04/2025 13:00 UK time"
        in text
    )
    assert "01/03/2025 to 31/03/2025" in reader.metadata.subject
    assert "Referrals received" in text and "First attempt within 72 hours" in text
    assert "57.1%" in text  # 4 of 7 attempted in time, and 4 of 7 contacted
    assert "42.9%" in text and "28.6%" in text  # engagement 3/7, treatment entry 2/7
    assert "10.0 h" in text and "18.5 h" in text  # the medians
    assert "Mar 2025" in text
    assert "Other areas" in text  # every area has fewer than 5 referrals
    for first, last, phone in people:
        for value in (first, last, phone):
            assert not value or value not in text
    for ref in refs:
        assert ref not in text
    for worker in ("Wendy Worker", "Walt Worker", "Unassigned"):
        assert worker not in text


def test_ndtms_extract_leaves_out_people_without_ndtms_consent(database, team, tmp_path):
    # Sharing with treatment is not NDTMS consent: every March case is left out and listed.
    build_dataset(database, team)
    out = tmp_path / "ndtms.csv"
    with database.session() as s:
        result = export_ndtms_csv(s, team["lead"], out, MARCH, now=NOW)
    header, rows = read_csv(out)
    assert header[:4] == ["AGNCY", "CLIENTID", "EPISODID", "CONSENT"] and rows == []
    assert len(result.excluded) == 7
    assert {e.reasons for e in result.excluded} == {("NDTMS consent not recorded",)}


def test_a_folder_gets_a_dated_file_name(database, team, tmp_path):
    build_dataset(database, team)
    with database.session() as s:
        result = export_ndtms_csv(s, team["lead"], tmp_path, MARCH, now=NOW)
    assert result.path.name == suggested_filename("cds-p", MARCH, NOW)
    assert (
        result.path.name == "followup-ndtms-cds-p_2025-03-01_to_2025-03-31_made-20250420T1200Z.csv"
    )


# ---------------------------------------------------------------------------- command line


@pytest.fixture
def cli(monkeypatch, capsys, sqlite_database, sqlite_url, team):
    build_dataset(sqlite_database, team)
    db_file = sqlite_url.removeprefix("sqlite:///")

    def run(*args: str, user: str = "lead"):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        monkeypatch.setenv("FOLLOWUP_USER", user)
        monkeypatch.setenv("FOLLOWUP_PASSWORD", f"pass-{user}")
        code = main([*args, "--db", db_file])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_report_json_equals_the_service(cli, sqlite_database, team):
    code, out, err = cli(
        "report",
        "engagement",
        "--from",
        "01/03/2025",
        "--to",
        "2025-04-30",
        "--by",
        "worker",
        "--json",
    )
    assert code == 0, err
    with sqlite_database.session() as s:
        expected = engagement_report(
            s, team["lead"], Period(date(2025, 3, 1), date(2025, 5, 1)), by="worker"
        )
    got = json.loads(out)
    want = json.loads(json.dumps(expected.as_json()))
    got.pop("made_at"), want.pop("made_at")
    assert got == want
    assert got["figures"]["received"] == 10


def test_cli_report_text_and_errors(cli):
    code, out, err = cli(
        "report", "engagement", "--from", "2025-03-01", "--to", "2025-03-31", "--by", "area"
    )
    assert code == 0, err
    assert "Referrals received: 7" in out and "B12" in out
    code, _, err = cli("report", "engagement", "--from", "31/02/2025")
    assert code == 2 and "is not a date" in err and "Traceback" not in err
    code, _, err = cli("report", "engagement", "--json", user="worker1")
    assert code == 2 and "does not allow you to see team reports" in err


def test_cli_exports(cli, tmp_path):
    code, out, err = cli(
        "export",
        "cases",
        str(tmp_path / "c.csv"),
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["rows"] == 7
    code, out, err = cli(
        "export",
        "commissioners",
        str(tmp_path / "s.pdf"),
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
    )
    assert code == 0, err
    assert "summary for commissioners" in out and (tmp_path / "s.pdf").exists()
    code, out, err = cli(
        "export", "ndtms", str(tmp_path), "--from", "2025-03-01", "--to", "2025-03-31"
    )
    assert code == 0, err
    assert "(0 rows)" in out and "7 cases left out" in out
    code, _, err = cli("export", "cases", str(tmp_path / "w.csv"), user="worker1")
    assert code == 2 and "does not allow you to export data" in err
    assert not (tmp_path / "w.csv").exists()
    code, _, err = cli("export", "cases", str(tmp_path / "nowhere" / "x.csv"))
    assert code == 2 and "There is no folder" in err
