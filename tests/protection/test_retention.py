"""Retention: who is due, dry runs that write nothing, and destruction that leaves only a log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from followup.casework import people
from followup.db import models as m
from followup.errors import PermissionDenied, RuleViolation
from followup.protection import retention
from tests.protection.retention_helpers import NAME, NOW, add_person, years_ago


def _due(database, team) -> list[int]:
    with database.session() as s:
        return [i.person_id for i in retention.due_for_destruction(s, team["admin"], NOW)]


def _dump(database) -> str:
    """Every row of every table as text: what a database dump would show."""
    parts = []
    with database.session() as s:
        for table in m.Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                parts.append(
                    repr([v.decode("latin-1") if isinstance(v, bytes) else v for v in row])
                )
    return "\n".join(parts)


def _counts(database) -> dict[str, int]:
    with database.session() as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t))
            for t in m.Base.metadata.sorted_tables
        }


def test_due_rules(database, team):
    old, _ = add_person(database, team, [years_ago(9)], ref="OLD")
    _, _ = add_person(database, team, [years_ago(7)], ref="RECENT", name=("Ann", "Recent"))
    _, _ = add_person(database, team, [years_ago(10), years_ago(1)], ref="MIX", name=("Bo", "Mix"))
    _, _ = add_person(database, team, [years_ago(10), None], ref="OPEN", name=("Cy", "Open"))
    assert _due(database, team) == [old]
    with database.session() as s:
        item = retention.due_for_destruction(s, team["admin"], NOW)[0]
    assert (item.initials, item.birth_year, item.letters) == ("QZ", 1979, 1)
    assert item.police_references == (f"OLD-{old}-0",)
    assert item.closed_on == years_ago(9).date()
    assert NAME[1] not in repr(item)
    # A shorter period brings in the 7-year-old closure; the setting is audited.
    with database.session() as s:
        retention.set_retention_years(s, team["admin"], 6)
    assert len(_due(database, team)) == 2
    with database.session() as s:
        event = s.scalar(select(m.AuditEvent).where(m.AuditEvent.entity == "setting"))
        assert json.loads(event.details) == {"retention.closed_years": [8, 6]}
    with pytest.raises(RuleViolation), database.session() as s:
        retention.set_retention_years(s, team["admin"], 0)
    for who in ("lead", "worker1"):
        with pytest.raises(PermissionDenied), database.session() as s:
            retention.due_for_destruction(s, team[who], NOW)
        with pytest.raises(PermissionDenied), database.session() as s:
            retention.set_retention_years(s, team[who], 10)


def test_a_merged_record_keeps_or_goes_with_the_person_it_was_merged_into(database, team):
    kept, _ = add_person(database, team, [years_ago(9)], ref="KEPT")
    twin, _ = add_person(database, team, [years_ago(2)], ref="TWIN", name=("Q", "Twin"))
    with database.session() as s:
        s.get(m.Person, twin).merged_into_id = kept
    assert _due(database, team) == []  # the merged record's recent case keeps the person


def test_dry_run_writes_nothing(database, team):
    person_id, _ = add_person(database, team, [years_ago(9), years_ago(12)], letters=2)
    before = _counts(database)
    with database.session() as s:
        report = retention.destroy(s, team["admin"], [person_id], dry_run=True, now=NOW)
    assert report.dry_run and report.destroyed == (person_id,)
    assert report.letters == 4
    assert report.rows["person"] == 1 and report.rows["case_file"] == 2
    assert report.rows["letter"] == 4 and report.rows["letter_print"] == 4
    assert report.rows["referral"] == 2 and report.rows["contact_attempt"] == 2
    assert _counts(database) == before


def test_destroy_removes_the_person_and_keeps_an_identifier_only_log(database, team):
    person_id, case_ids = add_person(database, team, [years_ago(9)], letters=2)
    recent, _ = add_person(
        database, team, [years_ago(1)], ref="KEEP", name=("Ann", "Recent"), phone="+447700900333"
    )
    # A person edit: its values are audited apart, so that they can go with the person.
    with database.session() as s:
        people.update_person(
            s,
            team["lead"],
            case_ids[0],
            None,
            {"phone": "07700 900222", "address": "2 Synthetic Road"},
            person_version=None,
        )
    audit_rows = _counts(database)["audit_event"]
    assert _counts(database)["audit_private_value"] == 1

    with database.session() as s:
        report = retention.destroy(s, team["admin"], [person_id, recent], dry_run=False, now=NOW)
    assert report.destroyed == (person_id,)
    assert [p for p, _ in report.skipped] == [recent]
    assert report.rows["audit_private_value"] == 1 and report.letters == 2

    counts = _counts(database)
    assert counts["person"] == 1 and counts["letter"] == 1 and counts["audit_private_value"] == 0
    assert counts["audit_event"] == audit_rows + 1  # every audit row stays; one purge added
    with database.session() as s:
        entry = s.scalar(select(m.DestructionLog))
        assert (entry.person_id, json.loads(entry.case_ids)) == (person_id, case_ids)
        assert entry.approved_by_id == team["admin"].id
        assert (entry.closed_on, entry.retention_years, entry.letters_removed) == (
            years_ago(9).date(),
            8,
            2,
        )
        purge = s.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "purge"))
        assert (purge.entity, purge.entity_id) == ("person", person_id)
    dump = _dump(database)
    for piece in (*NAME, "+447700900222", "Synthetic Road", "+447700900111"):
        assert piece not in dump, piece
    assert "Recent" in dump  # the person still within the period is untouched
    assert _due(database, team) == []


def test_the_destruction_log_is_append_only(database, team):
    person_id, _ = add_person(database, team, [years_ago(9)])
    with database.session() as s:
        retention.destroy(s, team["admin"], [person_id], dry_run=False, now=NOW)
    for sql in ("UPDATE destruction_log SET person_id = 0", "DELETE FROM destruction_log"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
            conn.execute(text(sql))


def test_a_person_who_is_no_longer_due_is_kept(database, team):
    person_id, case_ids = add_person(database, team, [years_ago(9)])
    with database.session() as s:
        case = s.get(m.Case, case_ids[0])
        case.status, case.closed_at, case.closure_reason = "contacting", None, None
    with database.session() as s:
        report = retention.destroy(s, team["admin"], [person_id], dry_run=False, now=NOW)
    assert report.destroyed == () and report.skipped[0][0] == person_id
    with database.session() as s:
        assert s.get(m.Person, person_id) is not None
        assert s.scalar(select(func.count()).select_from(m.DestructionLog)) == 0
    with pytest.raises(PermissionDenied), database.session() as s:
        retention.destroy(s, team["lead"], [person_id], dry_run=True, now=NOW)


def test_the_command_line(sqlite_database, team, monkeypatch, capsys):
    from followup import cli
    from tests.protection.retention_helpers import years_ago as ago

    person_id, _ = add_person(sqlite_database, team, [ago(9) + (datetime.now(UTC) - NOW)])
    url = sqlite_database.url
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-admin")
    assert cli.main(["retention", "--db", url, "--user", "admin", "--json", "--dry-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [d["person_id"] for d in out["due"]] == [person_id]
    assert out["report"]["dry_run"] and out["report"]["rows"]["person"] == 1
    assert NAME[1] not in json.dumps(out)
    assert cli.main(["retention", "--db", url, "--user", "admin", "--destroy"]) == 0
    assert "Destroyed 1 person record(s)" in capsys.readouterr().out
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-lead")
    assert cli.main(["retention", "--db", url, "--user", "lead"]) == 2
    assert cli.main(["retention", "--db", url, "--dry-run", "--destroy"]) == 2


def test_the_sqlite_file_keeps_no_trace(sqlite_database, team):
    person_id, _ = add_person(sqlite_database, team, [years_ago(9)], letters=3)
    with sqlite_database.session() as s:
        retention.destroy(s, team["admin"], [person_id], dry_run=False, now=NOW)
    with sqlite_database.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    raw = Path(sqlite_database.url.removeprefix("sqlite:///")).read_bytes()
    assert NAME[1].encode() not in raw
