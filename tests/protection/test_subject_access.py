"""Subject access packs: everything about one person in JSON and a readable PDF, leads only,
audited, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from followup.casework import lifecycle, treatment
from followup.casework.detail import case_detail
from followup.cli import main as cli_main
from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.letters.making import create_letter, letter_pdf
from followup.protection.subject_access.model import SECTIONS
from followup.protection.subject_access.pack import (
    export_subject_access,
    respond_by,
    subject_access,
    write_subject_access,
)
from tests.letters.helpers import (  # noqa: F401 - fixtures
    add_case,
    flat,
    letterhead_set_fixture,
)

NASTY_NOTE = "Left a card <b>bold</b> & <font color=red>x</font>"


@pytest.fixture
def person_case(database, team, letterhead_set) -> tuple[int, int]:
    """A person with two referrals (a repeat), consents, attempts, a kit, a treatment referral
    and a letter; viewed by worker1 and by the lead. Returns (person id, case id)."""
    worker = team["worker1"]
    with database.session() as s:
        case_id = add_case(s, worker.id, first="Zebedee", last="Quuxworth")
        case = s.get(m.Case, case_id)
        person_id = case.person_id
        s.add(
            m.Referral(
                case_id=case_id,
                person_id=person_id,
                police_reference="TST-101",
                force="Test Force",
                incident_at=case.referred_at + timedelta(days=1),
                naloxone_doses=1,
            )
        )
    for method, outcome, notes in (
        ("phone", "no_answer", None),
        ("phone", "spoke_engaged", NASTY_NOTE),
    ):
        with database.session() as s:
            v = s.get(m.Case, case_id).version
            lifecycle.record_contact_attempt(s, worker, case_id, method, outcome, v, notes=notes)
    with database.session() as s:
        v = s.get(m.Case, case_id).version
        lifecycle.record_consent(s, worker, case_id, "home_visit", "refused", "verbal_by_phone", v)
    with database.session() as s:
        v = s.get(m.Case, case_id).version
        treatment.record_naloxone_supply(
            s,
            worker,
            case_id,
            v,
            supplied_on=date.today(),
            kit_type="nasal",
            batch_number="BATCH-42",
            expires_on=date.today() + timedelta(days=700),
        )
    with database.session() as s:
        letter = create_letter(
            s,
            worker,
            case_id,
            "appointment",
            appointment_time=datetime.now() + timedelta(days=3),
            appointment_place="The Community Centre",
        )
    with database.session() as s:
        case_detail(s, worker, case_id)
    with database.session() as s:
        case_detail(s, team["lead"], case_id)
        letter_pdf(s, team["lead"], letter.id)
    return person_id, case_id


def test_json_holds_everything_about_the_person(database, team, person_case, tmp_path):
    person_id, case_id = person_case
    with database.session() as s:
        pdf_path, json_path = export_subject_access(
            s, team["lead"], person_id, tmp_path, date(2026, 1, 31)
        )
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["person"]["first_name"] == "Zebedee"
    assert data["person"]["nhs_number"] and data["person"]["date_of_birth"] == "1980-01-02"
    assert data["requested_on"] == "2026-01-31" and data["respond_by"] == "2026-02-28"
    assert {r["police_reference"] for r in data["referrals"]} == {"TST-100", "TST-101"}
    assert [c["id"] for c in data["cases"]] == [case_id]
    assert data["cases"][0]["assigned_worker"] == "Wendy Worker"
    assert {(c["scope"], c["state"]) for c in data["consents"]} >= {
        ("contact_letter", "given"),
        ("home_visit", "refused"),
    }
    assert [a["outcome"] for a in data["contact_attempts"]] == ["no_answer", "spoke_engaged"]
    assert data["contact_attempts"][1]["notes"] == NASTY_NOTE
    assert data["treatment_referrals"][0]["service"] == "Test Treatment Service"
    assert data["naloxone_kits"][0]["batch_number"] == "BATCH-42"
    assert {s["to_status"] for s in data["status_changes"]} >= {"engaged"}
    [letter] = data["letters"]
    copy = json_path.parent / data["letters_folder"] / letter["file"]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == letter["sha256"]
    viewers = {(v["user"], v["entity"]) for v in data["record_views"]}
    assert viewers == {("Wendy Worker", "case"), ("Lee Lead", "case"), ("Lee Lead", "letter")}
    assert all(v["at"] for v in data["record_views"])
    actions = {(e["action"], e["entity"]) for e in data["other_audit_events"]}
    assert {
        ("create", "contact_attempt"),
        ("create", "consent"),
        ("create", "letter"),
        ("create", "naloxone_supply"),
        ("update", "case"),
    } <= actions
    assert pdf_path.exists()
    if os.name != "nt":  # the pack is the user's alone: files 0600, the letters folder 0700
        for made in (pdf_path, json_path, copy):
            assert stat.S_IMODE(made.stat().st_mode) == 0o600
        assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700


def test_pdf_reads_back_with_name_sections_and_viewers(database, team, person_case, tmp_path):
    person_id, _ = person_case
    with database.session() as s:
        pack = subject_access(s, team["lead"], person_id, date(2026, 3, 3))
    pdf_path, _ = write_subject_access(pack, tmp_path)
    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    text = flat("\n".join(page.extract_text() or "" for page in reader.pages))
    assert "Zebedee Quuxworth" in text
    assert "03/03/2026" in text and "03/04/2026" in text  # request and deadline
    for _, title in SECTIONS:
        assert title in text
    assert "Wendy Worker" in text and "Lee Lead" in text
    assert NASTY_NOTE in text  # printed literally, never as markup
    pages = len(reader.pages)
    assert f"Page {pages} of {pages}" in text
    assert "Zebedee" not in str(reader.metadata)


def test_a_worker_or_admin_may_not_make_a_pack(database, team, person_case, tmp_path):
    person_id, _ = person_case
    out = tmp_path / "pack"
    out.mkdir()
    for who in ("worker1", "admin"):
        with pytest.raises(PermissionDenied), database.session() as s:
            export_subject_access(s, team[who], person_id, out)
    assert not list(out.iterdir())


def test_making_a_pack_is_audited_without_personal_data(database, team, person_case, tmp_path):
    person_id, _ = person_case
    with database.session() as s:
        export_subject_access(s, team["lead"], person_id, tmp_path)
    with database.session() as s:
        [event] = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export")).all()
    assert (event.user_id, event.entity, event.entity_id) == (team["lead"].id, "person", person_id)
    details = json.loads(event.details)
    assert details["kind"] == "subject_access" and details["person_id"] == person_id
    assert "Zebedee" not in event.details and "Quuxworth" not in event.details


def test_request_dates(database, team, person_case):
    assert respond_by(date(2026, 9, 3)) == date(2026, 10, 3)
    assert respond_by(date(2024, 1, 31)) == date(2024, 2, 29)
    assert respond_by(date(2026, 12, 15)) == date(2027, 1, 15)
    with pytest.raises(FollowupError), database.session() as s:
        subject_access(s, team["lead"], person_case[0], date.today() + timedelta(days=2))


def test_command_line_writes_both_files(database, team, person_case, tmp_path, monkeypatch, capsys):
    person_id, _ = person_case
    out = tmp_path / "pack"
    out.mkdir()
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-lead")
    code = cli_main(
        [
            "subject-access",
            "--db",
            database.url,
            "--user",
            "lead",
            "--person",
            str(person_id),
            "-o",
            str(out),
            "--requested",
            "01/02/2026",
            "--json",
        ]
    )
    assert code == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["respond_by"] == "2026-03-01"
    assert {p.suffix for p in out.iterdir() if p.is_file()} == {".pdf", ".json"}
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-worker1")
    code = cli_main(
        [
            "subject-access",
            "--db",
            database.url,
            "--user",
            "worker1",
            "--person",
            str(person_id),
            "-o",
            str(out),
        ]
    )
    assert code == 2
    assert "does not allow" in capsys.readouterr().err
