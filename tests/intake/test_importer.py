"""Importing police referral files: rules, encodings, exactly-once, matching, cases, consent.

Runs on SQLite and, when configured, PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.intake.importer import (
    NO_FORCE,
    ImportCancelled,
    import_file,
    overdose_history,
)
from tests.intake.helpers import NOW, nhs, row, write_csv, write_json

# Copies of the sample police referral files (shared/samples/), kept with the tests so that the
# suite runs from a clone wherever it is.
SAMPLES = Path(__file__).resolve().parent / "samples"


def _import(database, actor, path, **kw):
    return import_file(database, actor, path, now=kw.pop("now", NOW), **kw)


def _count(database, model) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _one(database, model, *where):
    with database.session() as s:
        return s.scalars(select(model).where(*where)).one()


def _referral(database, ref):
    return _one(database, m.Referral, m.Referral.police_reference == ref)


# ------------------------------------------------------------------------------ samples


def test_sample_csv_imports_all_forty_rows_with_one_repeat(database, team):
    # Read by hand: 40 records, all valid on 25/11/2026. Row 14 (WMP-20260304-0013) is
    # Aisha Khan again, same NHS number as row 5: a repeat within her still-open case.
    # Row 22 has an ISO incident time; row 27 an ISO date of birth; row 9 is unnamed.
    summary = _import(database, team["worker1"], f"{SAMPLES}/police_referrals.csv")
    assert summary.as_json() == {
        "rows_read": 40,
        "imported": 40,
        "duplicates": 0,
        "linked_repeat": 1,
        "needs_review": 0,
        "rejected": [],
        "warnings": [],
    }
    assert len(summary.cases_created) == 39
    assert _count(database, m.Person) == 39
    first = _referral(database, "WMP-20260301-0004")
    repeat = _referral(database, "WMP-20260304-0013")
    assert repeat.person_id == first.person_id and repeat.case_id == first.case_id
    assert summary.cases_attached == [first.case_id]
    unnamed = _referral(database, "WMP-20260302-0008")
    assert unnamed.description == "white male, about 40, green jacket"
    iso = _referral(database, "WMP-20260307-0021")
    assert iso.incident_at == datetime(2026, 10, 3, 8, 15, tzinfo=UTC)  # 09:15 BST
    with database.session() as s:
        assert s.get(
            m.Person, _referral(database, "WMP-20260308-0026").person_id
        ).date_of_birth == (date(1990, 7, 14))
        assert len(overdose_history(s, first.person_id)) == 2

    again = _import(database, team["worker1"], f"{SAMPLES}/police_referrals.json")
    assert (again.imported, again.duplicates) == (0, 10)


def test_sample_csv_before_october_rejects_the_future_incident(database, team):
    summary = _import(
        database,
        team["worker1"],
        f"{SAMPLES}/police_referrals.csv",
        now=datetime(2026, 4, 10, 12, tzinfo=UTC),
    )
    assert summary.imported == 39
    assert [p.as_dict() for p in summary.rejected] == [
        {
            "row": 22,
            "field": "incident_datetime",
            "reason": "the incident date and time is in the future",
        }
    ]


def test_sample_json_imports_ten(database, team):
    summary = _import(database, team["lead"], f"{SAMPLES}/police_referrals.json")
    assert (summary.imported, summary.linked_repeat, summary.rejected) == (10, 0, [])


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_encodings_keep_pound_dash_and_diaeresis(database, team, tmp_path, encoding):
    path = write_csv(
        tmp_path / "in.csv",
        [row(police_reference="ENC-1", first_name="Zoë", notes="Owes £5 – sleeping out")],
        encoding=encoding,
    )
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1 and summary.clean
    ref = _referral(database, "ENC-1")
    assert ref.notes == "Owes £5 – sleeping out"
    with database.session() as s:
        assert s.get(m.Person, ref.person_id).first_name == "Zoë"


def test_headers_match_in_any_order_case_and_separator(database, team, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "First Name,INCIDENT-DATETIME,last_name,Police Reference,date of birth,Favourite colour\n"
        "Testy,20/11/2026 09:00,McTestface,hdr-1,01/02/1980,blue\n",
        encoding="utf-8",
    )
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1
    ref = _referral(database, "HDR-1")
    assert ref.notes == "Favourite colour: blue"
    assert ref.incident_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # GMT in November


# -------------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/04/2026 14:30", datetime(2026, 4, 5, 13, 30, tzinfo=UTC)),  # day first, BST
        ("5/4/2026 14:30:15", datetime(2026, 4, 5, 13, 30, 15, tzinfo=UTC)),
        ("2026-04-05T14:30:00", datetime(2026, 4, 5, 13, 30, tzinfo=UTC)),
        ("2026-04-05 14:30", datetime(2026, 4, 5, 13, 30, tzinfo=UTC)),
        ("2026-04-05T14:30:00Z", datetime(2026, 4, 5, 14, 30, tzinfo=UTC)),
        ("2026-04-05T14:30:00+02:00", datetime(2026, 4, 5, 12, 30, tzinfo=UTC)),
    ],
)
def test_incident_datetimes_uk_and_iso(database, team, tmp_path, text, expected):
    path = write_csv(tmp_path / "d.csv", [row(police_reference="D-1", incident_datetime=text)])
    assert _import(database, team["worker1"], path).imported == 1
    assert _referral(database, "D-1").incident_at == expected


@pytest.mark.parametrize(
    ("changes", "field", "reason_part"),
    [
        ({"police_reference": ""}, "police_reference", "missing"),
        ({"incident_datetime": ""}, "incident_datetime", "missing"),
        ({"incident_datetime": "05/04/26 14:30"}, "incident_datetime", "two-digit"),
        ({"incident_datetime": "31/02/2026 14:30"}, "incident_datetime", "not a real"),
        ({"incident_datetime": "05/04/2026"}, "incident_datetime", "time"),
        ({"incident_datetime": "yesterday"}, "incident_datetime", "dd/mm/yyyy"),
        ({"incident_datetime": "26/11/2026 12:30"}, "incident_datetime", "future"),
        ({"first_name": "", "last_name": "", "description": ""}, "description", "neither"),
    ],
)
def test_rejected_rows_are_quarantined(database, team, tmp_path, changes, field, reason_part):
    path = write_csv(tmp_path / "r.csv", [row(police_reference="OK-1"), row(**changes)])
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1
    [problem] = summary.rejected
    assert problem.row == 3 and field in problem.field and reason_part in problem.reason
    assert _count(database, m.Referral) == 1


def test_description_alone_is_enough(database, team, tmp_path):
    path = write_csv(
        tmp_path / "u.csv",
        [row(police_reference="U-1", first_name="", last_name="", description="tall, red coat")],
    )
    assert _import(database, team["worker1"], path).imported == 1
    with database.session() as s:
        person = s.get(m.Person, _referral(database, "U-1").person_id)
        assert person.description == "tall, red coat" and person.first_name is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nhs_number", "0000000000"),
        ("nhs_number", "9990000019"),  # fails mod-11
        ("nhs_number", "12345"),
        ("date_of_birth", "01/02/80"),
        ("date_of_birth", "30/02/1980"),
        ("date_of_birth", "01/01/2030"),
        ("phone", "+1 202 555 0123"),
        ("phone", "12345"),
        ("naloxone_doses", "11"),
        ("naloxone_doses", "-1"),
        ("naloxone_doses", "two"),
        ("naloxone_doses", "1.5"),
        ("ambulance_called", "maybe"),
        ("no_fixed_abode", "sometimes"),
        ("postcode", "NOT A CODE"),
        ("incident_postcode", "12345"),
        ("email", "testy-at-example"),
        ("gender", "blue"),
        ("consent_to_share", "perhaps"),
        ("officer_id", "x" * 40),
    ],
)
def test_bad_optional_fields_are_left_out_with_a_warning(database, team, tmp_path, field, value):
    path = write_csv(tmp_path / "w.csv", [row(police_reference="W-1", **{field: value})])
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1 and not summary.rejected
    [warning] = summary.warnings
    assert (warning.row, warning.field) == (2, field)
    assert value not in warning.reason
    ref = _referral(database, "W-1")
    with database.session() as s:
        person = s.get(m.Person, ref.person_id)
        stored = [(w.row_number, w.field) for w in s.get(m.Referral, ref.id).warnings]
    assert stored == [(2, field)]
    if hasattr(person, field):
        assert getattr(person, field) in (None, False)
    if hasattr(ref, field):
        assert getattr(ref, field) is None
    assert ref.consent_at_scene == "unknown"


def test_good_optional_fields_are_normalised(database, team, tmp_path):
    path = write_csv(
        tmp_path / "n.csv",
        [
            row(
                police_reference=" n-1 ",
                phone="07700 900123",
                postcode="b56dd",
                incident_postcode="b4 6at",
                nhs_number=nhs(1)[:3] + " " + nhs(1)[3:6] + " " + nhs(1)[6:],
                naloxone_doses="10",
                ambulance_called="yes",
                conveyed_to_hospital="0",
                no_fixed_abode="TRUE",
                gender="F",
                email="testy@example.org",
                substances="heroin;crack cocaine; ;",
                date_of_birth="1980-02-01",
            ),
            row(
                police_reference="N-2",
                first_name="Other",
                phone="0121 496 0000",
                naloxone_doses="0",
            ),
        ],
    )
    summary = _import(database, team["worker1"], path)
    assert summary.clean and summary.imported == 2
    ref = _referral(database, "N-1")
    with database.session() as s:
        p = s.get(m.Person, ref.person_id)
        assert (p.phone, p.postcode, p.nhs_number, p.gender) == (
            "+447700900123",
            "B5 6DD",
            nhs(1),
            "female",
        )
        assert p.no_fixed_abode is True and p.date_of_birth == date(1980, 2, 1)
        assert s.get(m.Person, _referral(database, "N-2").person_id).phone == "+441214960000"
    assert (ref.naloxone_doses, ref.ambulance_called, ref.conveyed_to_hospital) == (10, True, False)
    assert ref.incident_postcode == "B4 6AT" and ref.substances == "heroin; crack cocaine"
    assert _referral(database, "N-2").naloxone_doses == 0


def test_row_numbers_follow_the_spreadsheet_across_multiline_cells(database, team, tmp_path):
    path = write_csv(
        tmp_path / "ml.csv",
        [row(notes="line one\nline two\nline three"), row(), row(phone="nope")],
    )
    summary = _import(database, team["worker1"], path)
    assert [w.row for w in summary.warnings] == [4]


def test_json_values_of_any_type(database, team, tmp_path):
    path = write_json(
        tmp_path / "j.json",
        [
            {
                "Police Reference": "J-1",
                "incident_datetime": "2026-11-20T10:00:00Z",
                "first_name": "Testy",
                "naloxone_doses": 2,
                "ambulance_called": True,
                "conveyed_to_hospital": None,
                "extra": {"a": 1},
            },
            {"police_reference": "J-2", "incident_datetime": "20/11/2026 10:00"},
        ],
    )
    summary = _import(database, team["worker1"], path)
    assert summary.imported == 1
    assert [(p.row, p.field) for p in summary.rejected] == [(3, "first_name/last_name/description")]
    ref = _referral(database, "J-1")
    assert (ref.naloxone_doses, ref.ambulance_called, ref.conveyed_to_hospital) == (2, True, None)
    assert ref.notes == 'extra: {"a": 1}'


# ------------------------------------------------------------------------ exactly once


def test_reimport_imports_nothing_new(database, team, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row(date_of_birth=f"0{i + 1}/02/1980") for i in range(5)])
    assert _import(database, team["worker1"], path).imported == 5
    again = _import(database, team["worker2"], path)
    assert (again.imported, again.duplicates, again.clean) == (0, 5, True)
    assert _count(database, m.Referral) == 5 and _count(database, m.Case) == 5


def test_same_reference_twice_in_one_file_is_a_duplicate(database, team, tmp_path):
    path = write_csv(
        tmp_path / "d.csv",
        [
            row(police_reference="DUP-1"),
            row(police_reference="dup-1", force="test constabulary"),
            row(police_reference="DUP-1", force="Other Police"),
        ],
    )
    summary = _import(database, team["worker1"], path)
    assert (summary.imported, summary.duplicates, summary.duplicate_rows) == (2, 1, [3])


def test_force_default_from_settings_or_a_warning(database, team, tmp_path):
    path = write_csv(tmp_path / "f.csv", [row(police_reference="F-1", force="")])
    summary = _import(database, team["worker1"], path)
    assert [(w.field, w.row) for w in summary.warnings] == [("force", 2)]
    assert _referral(database, "F-1").force == NO_FORCE
    with database.session() as s:
        s.add(m.Setting(key="intake.default_force", value="Testshire Police"))
    path = write_csv(tmp_path / "g.csv", [row(police_reference="F-2", force="")])
    assert _import(database, team["worker1"], path).clean
    assert _referral(database, "F-2").force == "Testshire Police"


def test_a_failure_part_way_writes_nothing(database, team, tmp_path, monkeypatch):
    import followup.intake.importer as intake
    from followup.intake.store import IntakeWriter

    monkeypatch.setattr(intake, "CHUNK_ROWS", 2)
    real_write = IntakeWriter.write
    calls = []

    def failing_write(self, items):
        calls.append(len(items))
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real_write(self, items)

    monkeypatch.setattr(IntakeWriter, "write", failing_write)
    path = write_csv(tmp_path / "x.csv", [row(first_name=f"T{i}") for i in range(7)])
    with pytest.raises(RuntimeError):
        _import(database, team["worker1"], path)
    for model in (m.Referral, m.Person, m.Case, m.CaseStatusChange, m.AuditEvent):
        if model is m.AuditEvent:
            with database.session() as s:
                assert not s.scalars(
                    select(m.AuditEvent).where(m.AuditEvent.action == "import")
                ).all()
        else:
            assert _count(database, model) == 0


def test_cancel_and_dry_run_write_nothing(database, team, tmp_path, monkeypatch):
    import followup.intake.importer as intake

    monkeypatch.setattr(intake, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "c.csv", [row(first_name=f"T{i}") for i in range(5)])
    seen = []
    with pytest.raises(ImportCancelled):
        _import(
            database,
            team["worker1"],
            path,
            progress=lambda rows, fraction: seen.append((rows, fraction)),
            cancelled=lambda: len(seen) >= 2,
        )
    assert seen[0][0] == 2 and 0 < seen[0][1] <= 1
    dry = _import(database, team["worker1"], path, dry_run=True)
    assert dry.imported == 5 and dry.cases_created == []
    assert _count(database, m.Referral) == 0 and _count(database, m.Person) == 0
    assert _import(database, team["worker1"], path).imported == 5


# ------------------------------------------------------------------- audit and refusals


def test_one_audit_event_per_file_without_personal_data(database, team, tmp_path):
    path = write_csv(tmp_path / "audit.csv", [row(nhs_number=nhs(6), phone="07700900009")])
    _import(database, team["worker1"], path)
    event = _one(database, m.AuditEvent, m.AuditEvent.action == "import")
    details = json.loads(event.details)
    assert details["file"] == "audit.csv" and details["imported"] == 1
    assert event.user_id == team["worker1"].id
    for personal in ("Testy", "McTestface", nhs(6), "7700900009", "1980"):
        assert personal not in event.details


def test_admin_cannot_import(database, team, tmp_path):
    with pytest.raises(PermissionDenied):
        _import(database, team["admin"], write_csv(tmp_path / "a.csv", [row()]))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"  \r\n\n", "empty"),
        ("nohead.csv", b"TST-1,20/11/2026 10:00,Testy\n", "no column for police_reference"),
        ("noname.csv", b"police_reference,incident_datetime\nA,20/11/2026 10:00\n", "first_name"),
        ("two.csv", b"police_reference,Police-Reference,incident_datetime,first_name\n", "two"),
        ("obj.json", b'{"police_reference": "A"}', "array"),
        ("nums.json", b"[1, 2]", "array"),
        ("bad.json", b'[{"police_reference": "A"', "JSON"),
        ("trail.json", b"[] x", "after"),
        ("book.xlsx", b"PK\x03\x04\x00\x00binary", "binary"),
        ("utf16.csv", "police_reference\n".encode("utf-16"), "UTF-16"),
        ("latin.csv", b"police_reference\x81\x8d", "neither"),
    ],
)
def test_unusable_files_raise_one_sentence_and_write_nothing(
    database, team, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FollowupError) as caught:
        _import(database, team["worker1"], path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert _count(database, m.Referral) == 0


def test_missing_file_and_folder(database, team, tmp_path):
    with pytest.raises(FollowupError, match="no file"):
        _import(database, team["worker1"], tmp_path / "nope.csv")
    with pytest.raises(FollowupError, match="folder"):
        _import(database, team["worker1"], tmp_path)


def test_header_only_imports_nothing_and_says_the_file_holds_no_referrals(database, team, tmp_path):
    summary = _import(database, team["worker1"], write_csv(tmp_path / "h.csv", []))
    assert summary.as_json()["imported"] == 0 and summary.empty and not summary.clean
    assert "h.csv: the file holds no referrals" in summary.describe()


def test_an_import_on_sqlite_writes_with_a_larger_page_cache_then_gives_it_back(
    sqlite_database, team, tmp_path
):
    # With SQLite's default 2 MB the indexes of a large file outgrow the cache and every row
    # spills to the write-ahead log: a 100,000-row file took 205 s instead of 117 s.
    from sqlalchemy import event

    from followup.intake.importer import IMPORT_CACHE_KIB

    seen: list[int] = []

    def cache_at_write(conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO person"):
            raw = conn.connection.driver_connection
            seen.append(raw.execute("PRAGMA cache_size").fetchone()[0])

    engine = sqlite_database.engine
    event.listen(engine, "before_cursor_execute", cache_at_write)
    try:
        _import(sqlite_database, team["worker1"], write_csv(tmp_path / "a.csv", [row()]))
    finally:
        event.remove(engine, "before_cursor_execute", cache_at_write)
    assert seen == [-IMPORT_CACHE_KIB]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
