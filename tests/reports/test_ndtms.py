"""The NDTMS extract, on hand-worked data: each field of one synthetic person under its NDTMS
name, a refused-consent row with only agency, client id and consent, each check failing
(a 17-year-old, a date of birth after the referral, no NDTMS consent), choosing the dataset
version, the command line's JSON, and docs/ndtms_extract.md made from the registry."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from followup.casework.team_rules import set_setting
from followup.cli import main
from followup.db import models as m
from followup.errors import FollowupError, PermissionDenied
from followup.reports import ndtms
from followup.reports.definitions import Period

MARCH = Period(date(2025, 3, 1), date(2025, 4, 1))
NOW = datetime(2025, 4, 20, 12, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "ndtms_extract.md"


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def build(db, team) -> dict[str, int]:
    """Five March cases, one person each, all 'referred' by the police.

    | case    | person               | born       | referred   | NDTMS consent | other            |
    |---------|----------------------|------------|------------|---------------|------------------|
    | adult   | Testperson Alpha, M  | 02/01/1980 | 05/03/2025 | given         | kit 06/03, triage 10/03 attended, treatment 12/03-28/03 |
    | refused | Testperson Bravo, F  | 15/06/1990 | 06/03/2025 | refused       | kit 07/03        |
    | young   | Testperson Charlie   | 08/03/2007 | 07/03/2025 | given         | 17 on the day (18 the next day) |
    | unborn  | Testperson Delta     | 01/04/2025 | 08/03/2025 | given         | born after the referral |
    | unasked | Testperson Echo      | 01/01/1970 | 09/03/2025 | none          |                  |
    """
    lead = team["lead"].id
    ids: dict[str, int] = {}
    with db.session() as s:
        service = m.Service(name="Test Treatment Service", service_type="treatment")
        s.add(service)
        s.flush()
        rows = (
            ("adult", "Testperson", "Alpha", "male", date(1980, 1, 2), "b5 7rt", 5, "given"),
            (
                "refused",
                "Testperson",
                "Bravo",
                "female",
                date(1990, 6, 15),
                "B12 9ZZ",
                6,
                "refused",
            ),
            ("young", "Testperson", "Charlie", "male", date(2007, 3, 8), "B5 1AA", 7, "given"),
            ("unborn", "Testperson", "Delta", None, date(2025, 4, 1), "B5 1AB", 8, "given"),
            ("unasked", "Testperson", "Echo", "not_known", date(1970, 1, 1), "B5 1AC", 9, None),
        )
        for key, first, last, gender, born, postcode, day, state in rows:
            p = m.Person(
                first_name=first,
                last_name=last,
                gender=gender,
                date_of_birth=born,
                postcode=postcode,
                phone=f"+44770090{day:04d}",
                nhs_number=f"999000{day:04d}",
            )
            s.add(p)
            s.flush()
            c = m.Case(
                person_id=p.id,
                police_reference=f"TST-{key}",
                area="B5",
                referred_at=datetime(2025, 3, day, 10, 0, tzinfo=UTC),
                assigned_worker_id=team["worker1"].id,
                status="engaged",
            )
            s.add(c)
            s.flush()
            ids[key] = c.id
            ids[f"{key}_person"] = p.id
            if state:
                s.add(
                    m.ConsentEntry(
                        person_id=p.id,
                        case_id=c.id,
                        scope="ndtms_reporting",
                        state=state,
                        method="verbal_by_phone",
                        recorded_at=datetime(2025, 3, day, 12, 0, tzinfo=UTC),
                        recorded_by_id=lead,
                    )
                )
            if key in ("adult", "refused"):
                s.add(
                    m.NaloxoneSupply(
                        case_id=c.id,
                        person_id=p.id,
                        supplied_on=date(2025, 3, day + 1),
                        kit_type="nasal",
                        quantity=1,
                    )
                )
            if key == "adult":
                s.add(
                    m.TreatmentReferral(
                        case_id=c.id,
                        service_id=service.id,
                        referred_on=date(2025, 3, 6),
                        assessment_booked_for=datetime(2025, 3, 10, 11, 0, tzinfo=UTC),
                        assessment_attended=True,
                        treatment_started_on=date(2025, 3, 12),
                        exit_on=date(2025, 3, 28),
                        exit_reason="treatment_completed_drug_free",
                    )
                )
        set_setting(s, ndtms.AGENCY_SETTING, "N9999")
    return ids


def client_key(db) -> bytes:
    with db.session() as s:
        value = s.scalar(select(m.Setting.value).where(m.Setting.key == ndtms.CLIENT_KEY_SETTING))
    return bytes.fromhex(value)


def test_one_person_mapped_field_by_field_and_the_checks(database, team, tmp_path):
    ids = build(database, team)
    out = tmp_path / "ndtms.csv"
    with database.session() as s:
        result = ndtms.export_ndtms_csv(s, team["lead"], out, MARCH, now=NOW)
    header, rows = read_csv(out)
    assert header == [
        "AGNCY",
        "CLIENTID",
        "EPISODID",
        "CONSENT",
        "FINITIAL",
        "SINITIAL",
        "DOB",
        "SEX",
        "PC",
        "REFLD",
        "RFLS",
        "TRIAGED",
        "MODST",
        "DISD",
        "DISRSN",
        "NALOXISS",
    ]
    assert result.dataset_version == "cds-p" and result.rows == len(rows) == 2
    key = client_key(database)
    person = ids["adult_person"]
    expected_client = (
        "FU" + hmac.new(key, f"person:{person}".encode(), hashlib.sha256).hexdigest()[:16].upper()
    )
    assert rows[0] == {
        "AGNCY": "N9999",
        "CLIENTID": expected_client,
        "EPISODID": ndtms.client_id(key, "case", ids["adult"]),
        "CONSENT": "Y",
        "FINITIAL": "T",
        "SINITIAL": "A",
        "DOB": "02/01/1980",
        "SEX": "1",
        "PC": "B5 7RT",
        "REFLD": "05/03/2025",
        "RFLS": "5",
        "TRIAGED": "10/03/2025",
        "MODST": "12/03/2025",
        "DISD": "28/03/2025",
        "DISRSN": "treatment_completed_drug_free",
        "NALOXISS": "Y",  # the kit on 06/03, before the triage on 10/03
    }
    # The client id is neither the internal number nor the NHS number, and is the same the
    # next time.
    assert rows[0]["CLIENTID"] != f"FU{person:08d}"
    assert "9990000005" not in out.read_text(encoding="utf-8-sig")
    with database.session() as s:
        ndtms.export_ndtms_csv(s, team["lead"], tmp_path / "again.csv", MARCH, now=NOW)
    assert read_csv(tmp_path / "again.csv")[1][0]["CLIENTID"] == expected_client

    # Refused consent: only agency, client id and consent keep values.
    refused = rows[1]
    assert refused["CONSENT"] == "N" and refused["AGNCY"] == "N9999"
    assert refused["CLIENTID"] == ndtms.client_id(key, "person", ids["refused_person"])
    assert {k for k, v in refused.items() if v} == {"AGNCY", "CLIENTID", "CONSENT"}
    assert result.refused == 1

    # Each check failing: left out, with its reason.
    assert {e.case_id: e.reasons for e in result.excluded} == {
        ids["young"]: ("under 18 on the referral date",),
        ids["unborn"]: ("the date of birth is not before the referral date",),
        ids["unasked"]: ("NDTMS consent not recorded",),
    }
    assert "3 cases left out" in result.describe()
    text = out.read_text(encoding="utf-8-sig")
    for private in ("Testperson", "Alpha", "+44770090", "TST-"):
        assert private not in text


def test_dataset_version_chooses_the_fields_and_the_name(database, team, tmp_path):
    build(database, team)
    with database.session() as s:
        older = ndtms.export_ndtms_csv(s, team["lead"], tmp_path, MARCH, now=NOW, version="CDS-O")
    header, rows = read_csv(older.path)
    assert (
        older.path.name == "followup-ndtms-cds-o_2025-03-01_to_2025-03-31_made-20250420T1200Z.csv"
    )
    assert "NALOXISS" not in header and header[-1] == "DISRSN" and len(rows) == 2
    assert "NDTMS adult core dataset O" in older.describe()
    with database.session() as s:
        newest = ndtms.export_ndtms_csv(s, team["lead"], tmp_path, MARCH, now=NOW)
    assert newest.path.name.startswith("followup-ndtms-cds-p_2025-03-01_to_2025-03-31")
    assert ndtms.DEFAULT_VERSION == "cds-p"
    refused = pytest.raises(FollowupError, match="no NDTMS dataset version 'cds-z'; choose one of")
    with refused, database.session() as s:
        ndtms.export_ndtms_csv(s, team["lead"], tmp_path / "z.csv", MARCH, version="cds-z")
    assert not (tmp_path / "z.csv").exists()


def test_a_failing_write_leaves_nothing_and_workers_are_refused(database, team, tmp_path):
    build(database, team)
    with pytest.raises(PermissionDenied, match="export data"), database.session() as s:
        ndtms.export_ndtms_csv(s, team["worker1"], tmp_path / "w.csv", MARCH, now=NOW)
    assert not (tmp_path / "w.csv").exists()
    with pytest.raises(FollowupError, match="There is no folder"), database.session() as s:
        ndtms.export_ndtms_csv(s, team["lead"], tmp_path / "none" / "x.csv", MARCH, now=NOW)
    with database.session() as s:
        events = [
            json.loads(e.details)
            for e in s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export"))
        ]
    assert events == []


def test_cli_json_lists_what_was_left_out(
    monkeypatch, capsys, sqlite_database, sqlite_url, team, tmp_path
):
    ids = build(sqlite_database, team)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setenv("FOLLOWUP_USER", "lead")
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-lead")
    db = sqlite_url.removeprefix("sqlite:///")
    args = [
        "export",
        "ndtms",
        str(tmp_path / "n.csv"),
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
    ]
    code = main([*args, "--dataset-version", "cds-o", "--agency", "N1234", "--json", "--db", db])
    out, err = capsys.readouterr()
    assert code == 0, err
    got = json.loads(out)
    assert got["dataset_version"] == "cds-o" and got["rows"] == 2
    assert got["refused_consent_rows"] == 1
    assert got["excluded"] == [
        {"case_id": ids["young"], "reasons": ["under 18 on the referral date"]},
        {
            "case_id": ids["unborn"],
            "reasons": ["the date of birth is not before the referral date"],
        },
        {"case_id": ids["unasked"], "reasons": ["NDTMS consent not recorded"]},
    ]
    assert read_csv(tmp_path / "n.csv")[1][0]["AGNCY"] == "N1234"
    code = main([*args, "--db", db])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"Left out: Case {ids['unasked']}: NDTMS consent not recorded" in out
    code = main([*args, "--dataset-version", "cds-z", "--db", db])
    _, err = capsys.readouterr()
    assert code == 2 and "no NDTMS dataset version" in err and "Traceback" not in err


def test_docs_name_every_field_from_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    assert ndtms.ndtms_markdown() in text
    for version in ndtms.VERSIONS.values():
        for f in version.fields:
            assert f"`{f.name}`" in text
    assert "could not be confirmed" in text
