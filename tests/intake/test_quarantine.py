"""Intake never merges, drops or invents a referral: runaway quotes, bad cells and JSON objects
reject their own rows only; every rejected row is kept, with every reason, for a lead to
correct and import, or dismiss; retention removes them in time.

Runs on SQLite and PostgreSQL (``database``), and on a team server where roles matter.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from followup.db import models as m
from followup.db.migrate import open_database
from followup.errors import NotFound, PermissionDenied, RuleViolation
from followup.intake import quarantine
from followup.intake.importer import import_file
from followup.intake.read import MAX_CELL
from followup.protection import retention
from followup.vocab import AuditAction, QuarantineState
from tests.intake.helpers import NOW, nhs, row, write_csv, write_json

HEAD = "police_reference,force,incident_datetime,first_name,last_name,notes,address\n"
WHEN = "20/11/2026 14:30"


def _line(ref: str, first: str = "Testy", last: str = "Testperson", notes: str = "") -> str:
    return f"{ref},Test Constabulary,{WHEN},{first},{last},{notes},\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _import(database, actor, path, **kw):
    return import_file(database, actor, path, now=kw.pop("now", NOW), **kw)


def _references(database) -> list[str]:
    with database.session() as s:
        return sorted(s.scalars(select(m.Referral.police_reference)))


def _names(database) -> set[str]:
    with database.session() as s:
        return {f"{p.first_name}|{p.last_name}" for p in s.scalars(select(m.Person))}


def _reasons(summary, row_number: int) -> dict[str, str]:
    return {p.field: p.reason for p in summary.rejected if p.row == row_number}


def _records_in(text: str) -> int:
    """How many records a file holds as its writer meant them: its data lines."""
    return sum(1 for line in text.splitlines()[1:] if line.strip())


# ------------------------------------------------------------------ quotes out of place


def test_an_unclosed_quote_rejects_its_row_and_the_rest_imports(database, team, tmp_path):
    text = (
        HEAD
        + 'TST-Q1,Test Constabulary,20/11/2026 14:30,"Testy,Testperson,,\n'  # never closed
        + _line("TST-Q2", "Bobby")
        + _line("TST-Q3", "Carla")
        + _line("TST-Q4", "Dora")
    )
    summary = _import(database, team["worker1"], _write(tmp_path, "quote.csv", text))
    assert summary.rows_read == _records_in(text) == 4
    assert (summary.imported, summary.rejected_rows, summary.quarantined) == (3, 1, 1)
    [problem] = summary.rejected
    assert (problem.row, problem.field) == (2, "first_name")
    assert "quote opened on line 2" in problem.reason
    assert _references(database) == ["TST-Q2", "TST-Q3", "TST-Q4"]
    # Nobody's first name swallowed the next referral.
    assert _names(database) == {"Bobby|Testperson", "Carla|Testperson", "Dora|Testperson"}
    assert "1 row rejected" in summary.describe() and "4 rows read" in summary.describe()


def test_a_quote_closed_lines_later_rejects_the_lines_involved_and_invents_nothing(
    database, team, tmp_path
):
    # Closed where a cell ends: one record over two lines, rejected whole (kept whole).
    text = (
        HEAD
        + 'TST-R1,Test Constabulary,20/11/2026 14:30,"Testy\n'
        + 'Testperson",Test Constabulary,20/11/2026 14:30,Ann,Testperson,,\n'
        + _line("TST-R3", "Cleo")
    )
    whole = text.splitlines(keepends=True)
    summary = _import(database, team["worker1"], _write(tmp_path, "whole.csv", text))
    assert (summary.rows_read, summary.imported, summary.rejected_rows) == (2, 1, 1)
    assert "quote opened on line 2" in _reasons(summary, 2)["first_name"]
    # Closed in the middle of a cell: each line involved is rejected on its own.
    text = (
        HEAD
        + 'TST-R4,Test Constabulary,20/11/2026 14:30,"Testy\n'
        + 'Testperson" x,Test Constabulary,20/11/2026 14:30,Ann,Testperson,,\n'
        + _line("TST-R6", "Dina")
    )
    summary = _import(database, team["worker1"], _write(tmp_path, "split.csv", text))
    assert summary.rows_read == _records_in(text) == 3
    assert summary.imported == 1 and summary.rejected_rows == 2
    assert "quote opened on line 2" in next(iter(_reasons(summary, 2).values()))
    assert "quote opened on line 2" in next(iter(_reasons(summary, 3).values()))
    assert _references(database) == ["TST-R3", "TST-R6"]
    with database.session() as s:
        kept = list(s.scalars(select(m.QuarantinedRow.original).order_by(m.QuarantinedRow.id)))
    assert kept == [whole[1] + whole[2], *text.splitlines(keepends=True)[1:3]]


def test_a_line_break_only_where_a_field_may_hold_one(database, team, tmp_path):
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(["police_reference", "incident_datetime", "first_name", "notes", "address"])
    out.writerow(["TST-L1", WHEN, "Testy\nTestperson", "", ""])  # a name cannot
    out.writerow(
        ["TST-L2", WHEN, "Ann", "seen twice\nby the same officer", "1 Test Road\nTestville"]
    )
    out.writerow(["TST-L3", WHEN, "Bea", "", ""])
    text = buffer.getvalue()
    summary = _import(database, team["worker1"], _write(tmp_path, "breaks.csv", text))
    assert summary.rows_read == 3 and summary.imported == 2
    assert list(_reasons(summary, 2)) == ["first_name"]
    assert "line 2" in _reasons(summary, 2)["first_name"]
    with database.session() as s:
        kept = s.scalars(select(m.Referral).where(m.Referral.police_reference == "TST-L2")).one()
        assert kept.notes == "seen twice\nby the same officer"
        assert s.get(m.Person, kept.person_id).address == "1 Test Road\nTestville"


def test_a_quote_never_closed_in_the_notes_swallows_nothing(database, team, tmp_path):
    text = (
        HEAD
        + _line("TST-M1", "Ann", notes='"seen at the station')  # never closed, in the notes
        + _line("TST-M2", "Bea")
        + _line("TST-M3", "Cleo")
    )
    summary = _import(database, team["worker1"], _write(tmp_path, "notes.csv", text))
    assert summary.rows_read == _records_in(text) == 3
    assert (summary.imported, summary.rejected_rows) == (2, 1)
    [(field, reason)] = _reasons(summary, 2).items()
    assert field == "quotes" and "line 2" in reason
    assert _references(database) == ["TST-M2", "TST-M3"]


# ------------------------------------------------------------------------- bad cells


def test_a_nul_byte_or_an_over_long_cell_rejects_that_row_only(database, team, tmp_path):
    text = (
        HEAD
        + _line("TST-N1", "Te\x00sty")
        + _line("TST-N2", "Ann")
        + _line("TST-N3", "x" * (MAX_CELL + 1))
        + _line("TST-N4", "Bea")
    )
    summary = _import(database, team["worker1"], _write(tmp_path, "cells.csv", text))
    assert summary.rows_read == 4 and summary.imported == 2
    assert "NUL character" in _reasons(summary, 2)["first_name"]
    [(field, reason)] = _reasons(summary, 4).items()
    assert f"longer than {MAX_CELL:,} characters" in reason and "quote" not in reason
    assert _references(database) == ["TST-N2", "TST-N4"]


def test_a_rejected_row_lists_every_bad_field(database, team, tmp_path):
    path = write_csv(
        tmp_path / "many.csv",
        [row(police_reference="", incident_datetime="31/02/2026 10:00", first_name="",
             last_name=""), row()],
    )  # fmt: skip
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1 and summary.rejected_rows == 1
    assert set(_reasons(summary, 2)) == {
        "police_reference",
        "incident_datetime",
        "first_name/last_name/description",
    }
    assert json.dumps(summary.as_json())  # each reason is its own entry


# ------------------------------------------------------------------------------- JSON


def test_json_duplicate_keys_nan_and_non_text_names_reject_their_row(database, team, tmp_path):
    good = row(first_name="Good")
    objects = [
        '{"police_reference": "TST-J1", "incident_datetime": "20/11/2026 14:30", '
        '"first_name": "Testy", "first_name": "Other", "last_name": "Testperson"}',
        '{"police_reference": "TST-J2", "incident_datetime": "20/11/2026 14:30", '
        '"First Name": "Testy", "first_name": "Testy", "nhs_number": "' + nhs(1) + '"}',
        '{"police_reference": "TST-J3", "incident_datetime": "20/11/2026 14:30", '
        '"first_name": NaN, "last_name": Infinity}',
        '{"police_reference": "TST-J4", "incident_datetime": "20/11/2026 14:30", '
        '"first_name": 123, "last_name": "Testperson"}',
        json.dumps(good),
    ]
    path = tmp_path / "dupes.json"
    path.write_text("[" + ",\n".join(objects) + "]", encoding="utf-8")
    summary = _import(database, team["worker1"], path)
    assert summary.rows_read == 5 and summary.imported == 1
    assert "given 2 times" in _reasons(summary, 2)["first_name"]
    assert "given 2 times" in _reasons(summary, 3)["first_name"]
    assert {"first_name", "last_name"} <= set(_reasons(summary, 4))
    assert "NaN" in _reasons(summary, 4)["first_name"]
    assert "text" in _reasons(summary, 5)["first_name"]
    assert _references(database) == [good["police_reference"]]
    assert not {"nan", "inf", "123"} & {n.split("|")[0] for n in _names(database)}


# --------------------------------------------------------------------- invisible chars


def test_invisible_characters_are_removed_from_names_with_a_warning(database, team, tmp_path):
    path = write_json(
        tmp_path / "bidi.json",
        [row(police_reference="TST-B1", first_name="Te\u200bsty", last_name="\u202eTestperson")],
    )
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1
    assert {w.field for w in summary.warnings} == {"first_name", "last_name"}
    assert all("invisible" in w.reason for w in summary.warnings)
    assert _names(database) == {"Testy|Testperson"}


# ------------------------------------------------------------------------- quarantine


@pytest.fixture
def rejected_file(tmp_path):
    text = (
        HEAD
        + 'TST-K1,Test Constabulary,20/11/2026 14:30,"Testy,Testperson,,\n'
        + _line("TST-K2", "Ann")
        + "TST-K3,Test Constabulary,31/02/2026 10:00,Bea,Testperson,,\n"
    )
    return _write(tmp_path, "kept.csv", text)


def test_rejected_rows_survive_a_restart_and_only_leads_see_them(
    db_url, database, team, rejected_file, tmp_path
):
    summary = _import(database, team["worker1"], rejected_file)
    assert summary.quarantined == 2
    database.dispose()
    again = open_database(db_url, backup_dir=tmp_path / "backups")
    try:
        items = quarantine.load_pending(again, team["lead"])
        with pytest.raises(PermissionDenied):
            quarantine.load_pending(again, team["worker1"])
        with again.session() as s:
            views = s.scalars(
                select(m.AuditEvent).where(m.AuditEvent.entity == quarantine.ENTITY)
            ).all()
    finally:
        again.dispose()
    assert [(i.source_file, i.row_number, i.line_number) for i in items] == [
        ("kept.csv", 2, 2),
        ("kept.csv", 4, 4),
    ]
    assert items[0].original.startswith('TST-K1,Test Constabulary,20/11/2026 14:30,"Testy')
    assert items[0].header == HEAD
    assert items[1].reasons == (("incident_datetime", "not a real date and time"),)
    assert [v.action for v in views] == [AuditAction.VIEW]


def test_a_lead_corrects_and_imports_a_rejected_row(database, team, rejected_file):
    _import(database, team["worker1"], rejected_file)
    lead = team["lead"]
    with database.session() as s:
        first, second = quarantine.pending(s, lead)
    with database.session() as s:  # still wrong: nothing is written, the reasons are given
        result = quarantine.import_corrected(
            s, lead, second.id, second.original.replace("31/02", "30/02"), now=NOW
        )
    assert not result.imported and "not a real date and time" in result.describe()
    with database.session() as s:
        result = quarantine.import_corrected(
            s, lead, second.id, second.original.replace("31/02", "28/02"), now=NOW
        )
    assert result.imported and result.referral_id is not None
    with database.session() as s:
        fixed = s.get(m.Referral, result.referral_id)
        assert (fixed.police_reference, fixed.source_file) == ("TST-K3", "kept.csv")
        stored = s.get(m.QuarantinedRow, second.id)
        assert (stored.state, stored.decided_by_id) == (QuarantineState.IMPORTED, lead.id)
        event = s.scalars(
            select(m.AuditEvent).where(
                m.AuditEvent.entity == quarantine.ENTITY, m.AuditEvent.entity_id == second.id
            )
        ).one()
        assert event.action == AuditAction.IMPORT and event.user_id == lead.id
        assert json.loads(event.details)["referral_id"] == result.referral_id
    with database.session() as s, pytest.raises(RuleViolation, match="imported already"):
        quarantine.import_corrected(s, lead, second.id, second.original, now=NOW)
    with database.session() as s:
        assert [i.id for i in quarantine.pending(s, lead)] == [first.id]
    # The quoted name, corrected: one more referral, nobody else's.
    corrected = 'TST-K1,Test Constabulary,20/11/2026 14:30,"Testy",Testperson,,'
    with database.session() as s:
        assert quarantine.import_corrected(s, lead, first.id, corrected, now=NOW).imported
    assert _references(database) == ["TST-K1", "TST-K2", "TST-K3"]


def test_a_lead_dismisses_a_rejected_row_with_a_reason(database, team, rejected_file):
    _import(database, team["worker1"], rejected_file)
    lead = team["lead"]
    with database.session() as s:
        first, _ = quarantine.pending(s, lead)
    with database.session() as s, pytest.raises(RuleViolation, match="Say why"):
        quarantine.dismiss(s, lead, first.id, "   ")
    with database.session() as s, pytest.raises(PermissionDenied):
        quarantine.dismiss(s, team["worker1"], first.id, "test")
    with database.session() as s:
        quarantine.dismiss(s, lead, first.id, "Sent again by the police in a later file")
    with database.session() as s:
        stored = s.get(m.QuarantinedRow, first.id)
        assert stored.state == QuarantineState.DISMISSED
        assert stored.dismiss_reason == "Sent again by the police in a later file"
        events = s.scalars(
            select(m.AuditEvent.action).where(m.AuditEvent.entity_id == first.id,
                                              m.AuditEvent.entity == quarantine.ENTITY)
        ).all()  # fmt: skip
        assert events == [AuditAction.UPDATE]
        assert len(quarantine.pending(s, lead)) == 1
    with database.session() as s, pytest.raises(NotFound):
        quarantine.dismiss(s, lead, 999_999, "gone")


def test_a_dry_run_keeps_nothing_in_quarantine(database, team, rejected_file):
    summary = _import(database, team["worker1"], rejected_file, dry_run=True)
    assert summary.rejected_rows == 2 and summary.quarantined == 0
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(m.QuarantinedRow)) == 0


def test_retention_removes_quarantined_rows_after_the_period(database, team, rejected_file):
    _import(database, team["worker1"], rejected_file)
    with database.session() as s:
        first, _ = quarantine.pending(s, team["lead"])
        quarantine.dismiss(s, team["lead"], first.id, "duplicate", now=NOW + timedelta(days=400))
    years = retention.DEFAULT_YEARS
    admin = team["admin"]
    just_before = NOW.replace(year=NOW.year + years) - timedelta(days=1)
    with database.session() as s:
        report = retention.destroy(s, admin, [], dry_run=True, now=just_before + timedelta(days=9))
        assert report.quarantined == 0  # a dry run removes nothing
        assert retention.destroy(s, admin, [], dry_run=False, now=just_before).quarantined == 0
    with database.session() as s:  # the undecided row goes first; the dismissed one later
        report = retention.destroy(s, admin, [], dry_run=False, now=just_before + timedelta(days=2))
        assert report.quarantined == 1 and "quarantine" in report.describe()
    with database.session() as s:
        assert [r.id for r in s.scalars(select(m.QuarantinedRow))] == [first.id]
        assert retention.forget_old_quarantine(s, admin, just_before + timedelta(days=402)) == 1
        assert s.scalar(select(func.count()).select_from(m.QuarantinedRow)) == 0
    with database.session() as s, pytest.raises(PermissionDenied):
        retention.forget_old_quarantine(s, team["lead"])


# ------------------------------------------------------------------------ team server


def test_on_a_team_server_workers_add_rejected_rows_leads_decide_admins_only_expire(
    server_team, tmp_path
):
    path = _write(
        tmp_path,
        "server.csv",
        HEAD + 'TST-S1,Test Constabulary,20/11/2026 14:30,"Testy,Testperson,,\n',
    )
    db, worker = server_team.sign_in(server_team.worker_a)
    try:
        summary = import_file(db, worker, path, now=NOW)
        assert summary.quarantined == 1
    finally:
        db.dispose()
    with (
        server_team.raw(server_team.worker_a) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT original FROM quarantined_row")
    with (
        server_team.raw(server_team.admin) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT original FROM quarantined_row")
    db, lead = server_team.sign_in(server_team.lead)
    try:
        with db.session() as s:
            items = [i for i in quarantine.pending(s, lead) if i.source_file == "server.csv"]
        assert len(items) == 1
        with db.session() as s:
            quarantine.dismiss(s, lead, items[0].id, "test row")
    finally:
        db.dispose()
    db, admin = server_team.sign_in(server_team.admin)
    try:
        with db.session() as s:
            later = NOW.replace(year=NOW.year + retention.DEFAULT_YEARS + 1)
            assert retention.forget_old_quarantine(s, admin, later) == 0  # the server's clock
    finally:
        db.dispose()


def test_destroying_a_person_takes_the_rejected_row_their_referral_came_from(
    database, team, rejected_file
):
    from followup.protection.purge import purge_person

    _import(database, team["worker1"], rejected_file)
    with database.session() as s:
        _, second = quarantine.pending(s, team["lead"])
        fixed = second.original.replace("31/02", "28/02")
        result = quarantine.import_corrected(s, team["lead"], second.id, fixed, now=NOW)
    with database.session() as s:
        person_id = s.get(m.Referral, result.referral_id).person_id
    with database.session() as s:
        purge_person(s, team["admin"], person_id)
    with database.session() as s:
        assert s.get(m.QuarantinedRow, second.id) is None
        assert s.scalar(select(func.count()).select_from(m.QuarantinedRow)) == 1  # the other
