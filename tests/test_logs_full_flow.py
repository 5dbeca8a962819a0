"""A full day's flow through the real services and the command line, then every log file is
searched for the synthetic people's identifiers: the log says what the app did, never who it
was about.

The people are distinctive on purpose (Zebedee Quuxworth, Ottoline Vexbridge), so that the
scan cannot pass by accident; NHS numbers are from the 999 test range, phone numbers from
Ofcom's drama range. The flow covers imports (good and bad files), opening cases, attempts,
consent, letters, a naloxone kit, a report, exports, a subject access pack, a refused sign-in,
permission refusals and an unexpected exception carrying an NHS number in its message.
"""

from __future__ import annotations

import csv
import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from followup.accounts import sign_in
from followup.casework import lifecycle, treatment
from followup.casework.detail import case_detail, open_case
from followup.cli import main as cli_main
from followup.db import models as m
from followup.errors import FollowupError, SignInFailed
from followup.intake import inbox
from followup.letters.making import create_letter, letter_pdf, record_print
from followup.logs import configure_logging
from followup.settings import AppPaths
from tests.intake.helpers import HEADER
from tests.letters.helpers import letterhead_set_fixture  # noqa: F401 - fixture

PEOPLE = (
    {
        "first_name": "Zebedee",
        "last_name": "Quuxworth",
        "nhs_number": "9994873121",
        "date_of_birth": date(1983, 7, 14),
        "address": "17 Wibblethorpe Crescent",
        "postcode": "B99 9ZQ",
        "phone": "07700 900871",
    },
    {
        "first_name": "Ottoline",
        "last_name": "Vexbridge",
        "nhs_number": "9996231585",
        "date_of_birth": date(1969, 11, 3),
        "address": "4 Grimbleshaw Lane",
        "postcode": "B98 8YX",
        "phone": "07700 900562",
    },
)


def identifiers(person: dict) -> set[str]:
    """Every spelling of the person's identifiers the scan looks for."""
    nhs = person["nhs_number"]
    dob: date = person["date_of_birth"]
    phone = person["phone"].replace(" ", "")
    return {
        person["first_name"],
        person["last_name"],
        person["address"],
        person["postcode"],
        person["postcode"].replace(" ", ""),
        "Wibblethorpe" if "Wibble" in person["address"] else "Grimbleshaw",
        nhs,
        f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        f"{nhs[:3]}-{nhs[3:6]}-{nhs[6:]}",
        dob.isoformat(),
        f"{dob:%d/%m/%Y}",
        f"{dob:%d-%m-%Y}",
        f"{dob:%d.%m.%Y}",
        f"{dob:%Y%m%d}",
        f"{dob:%d %b %Y}",
        f"{dob:%d %B %Y}",
        f"{dob.day} {dob:%B %Y}",
        phone,
        "+44" + phone[1:],
        "44" + phone[1:],
        person["phone"],
    }


def write_referrals(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def referral_rows() -> list[dict[str, str]]:
    when = (datetime.now() - timedelta(days=2)).strftime("%d/%m/%Y %H:%M")
    return [
        {
            "police_reference": f"LOGT-{n:03d}",
            "force": "Test Constabulary",
            "incident_datetime": when,
            "first_name": p["first_name"],
            "last_name": p["last_name"],
            "date_of_birth": f"{p['date_of_birth']:%d/%m/%Y}",
            "nhs_number": p["nhs_number"],
            "address": p["address"],
            "postcode": p["postcode"],
            "phone": p["phone"],
            "consent_to_share": "Y",
            "notes": f"Found near {p['address']}",
        }
        for n, p in enumerate(PEOPLE)
    ]


@pytest.fixture
def log_folders(app_paths):
    """Logging into this test's folders, at DEBUG so that every line is scanned."""
    default = AppPaths.default()
    configure_logging(default, level=logging.DEBUG)
    yield [default.log_dir, app_paths.log_dir]
    for handler in logging.getLogger("followup").handlers:
        handler.flush()


def run_cli(monkeypatch, user: str, *args: str) -> int:
    monkeypatch.setenv("FOLLOWUP_PASSWORD", f"pass-{user}")
    return cli_main([*args, "--user", user])


def test_a_full_flow_logs_no_personal_data(
    database, team, letterhead_set, log_folders, tmp_path, monkeypatch, capsys
):
    db_args = ("--db", database.url)
    lead, worker = team["lead"], team["worker1"]

    # Intake through the command line: a good file, the same again, and two bad files.
    good = write_referrals(tmp_path / "referrals.csv", referral_rows())
    assert run_cli(monkeypatch, "worker1", "import", str(good), *db_args, "--json") == 0
    assert run_cli(monkeypatch, "worker1", "import", str(good), *db_args) == 0
    bad_rows = [
        {**r, "police_reference": "", "incident_datetime": "31/02/83"} for r in referral_rows()
    ]
    bad = write_referrals(tmp_path / "bad.csv", bad_rows)
    assert run_cli(monkeypatch, "worker1", "import", str(bad), *db_args) != 0
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\xff" + PEOPLE[0]["nhs_number"].encode() + b"\x00" * 20)
    assert run_cli(monkeypatch, "worker1", "import", str(garbage), *db_args) != 0

    # Casework through the services, as the app does it.
    with database.session() as s:
        case_ids = list(s.scalars(select(m.Case.id).order_by(m.Case.id)))
    assert len(case_ids) == 2
    with database.session() as s:
        inbox.take_case(s, worker, case_ids[0])
        inbox.assign_cases(s, lead, [case_ids[1]], worker.id)
    for case_id in case_ids:
        with database.session() as s:
            open_case(s, worker, case_id)
            version = case_detail(s, worker, case_id).version
        with database.session() as s:
            lifecycle.record_contact_attempt(
                s,
                worker,
                case_id,
                "phone",
                "spoke_engaged",
                version,
                notes=f"Spoke to {PEOPLE[0]['first_name']}",
            )
        with database.session() as s:
            version = s.get(m.Case, case_id).version
            lifecycle.record_consent(
                s, worker, case_id, "share_with_treatment", "given", "verbal_by_phone", version
            )
    with database.session() as s:
        version = s.get(m.Case, case_ids[0]).version
        treatment.record_naloxone_supply(
            s,
            worker,
            case_ids[0],
            version,
            supplied_on=date.today(),
            kit_type="nasal",
            batch_number="TESTBATCH1",
            expires_on=date.today() + timedelta(days=700),
        )
    with database.session() as s:
        letter = create_letter(
            s,
            worker,
            case_ids[0],
            "appointment",
            appointment_time=datetime.now() + timedelta(days=3),
            appointment_place="The Community Centre",
        )
    with database.session() as s:
        letter_pdf(s, lead, letter.id)
        record_print(s, lead, letter.id, "Office printer")
    # A stale save, a refused one and a failed sign-in.
    with pytest.raises(FollowupError), database.session() as s:
        lifecycle.record_contact_attempt(s, worker, case_ids[0], "phone", "no_answer", 1)
    with pytest.raises(FollowupError), database.session() as s:
        lifecycle.record_contact_attempt(
            s, team["worker2"], case_ids[0], "phone", "no_answer", None
        )
    with pytest.raises(SignInFailed), database.session() as s:
        sign_in(s, PEOPLE[0]["first_name"], "wrong")

    # Reports, exports and a subject access pack through the command line.
    assert run_cli(monkeypatch, "lead", "report", "engagement", *db_args, "--json") == 0
    assert (
        run_cli(monkeypatch, "lead", "export", "cases", str(tmp_path / "caseload.csv"), *db_args)
        == 0
    )
    assert run_cli(
        monkeypatch,
        "lead",
        "letters",
        "--case",
        str(case_ids[1]),
        "--template",
        "appointment",
        "--time",
        "01/12/2030 10:00",
        "--place",
        "The Centre",
        "-o",
        str(tmp_path / "letter.pdf"),
        *db_args,
    ) in (0, 2)
    pack = tmp_path / "pack"
    pack.mkdir()
    with database.session() as s:
        person_id = s.get(m.Case, case_ids[0]).person_id
    assert (
        run_cli(
            monkeypatch,
            "lead",
            "subject-access",
            "--person",
            str(person_id),
            "-o",
            str(pack),
            *db_args,
        )
        == 0
    )
    # Permission refusals.
    assert (
        run_cli(monkeypatch, "worker1", "export", "cases", str(tmp_path / "no.csv"), *db_args) == 2
    )
    assert (
        run_cli(
            monkeypatch,
            "worker1",
            "subject-access",
            "--person",
            str(person_id),
            "-o",
            str(pack),
            *db_args,
        )
        == 2
    )

    # An unexpected exception whose message quotes a person.
    def leaky(*args, **kwargs):
        p = PEOPLE[0]
        raise ValueError(
            f"{p['first_name']} {p['last_name']} NHS {p['nhs_number']} born "
            f"{p['date_of_birth']:%d/%m/%Y} at {p['address']}, {p['phone']}"
        )

    monkeypatch.setattr("followup.reports.engagement.engagement_report", leaky)
    assert run_cli(monkeypatch, "lead", "report", "engagement", *db_args) == 2
    capsys.readouterr()

    for handler in logging.getLogger("followup").handlers:
        handler.flush()
    files = [
        f for folder in log_folders if folder.is_dir() for f in folder.iterdir() if f.is_file()
    ]
    text = "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)
    assert "Imported referral file" in text  # the flow was logged
    assert "ValueError: <message withheld>" in text
    assert "Subject access pack gathered" in text
    leaks = sorted({i for p in PEOPLE for i in identifiers(p) if i.lower() in text.lower()})
    assert not leaks, f"personal data in the log: {leaks}"
