"""UK time whatever the computer's zone: the same letters and exports on a host set to UTC
(Citrix, remote desktops) and on one set to New York as on a laptop in London (the screens:
tests/ui/test_uk_time.py).

Each test runs with the process's zone changed (``machine_zone``: ``TZ`` and ``time.tzset()``),
then put back.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
from sqlalchemy import select

import followup
from followup.casework.my_work import my_work
from followup.db import models as m
from followup.letters.making import create_letter
from followup.protection.backup.rotation import automatic_backup
from followup.reports.definitions import Period
from followup.reports.engagement import cases_behind, engagement_report
from followup.reports.exports import export_cases_csv, export_cases_xlsx
from followup.uktime import now_utc, short_date_time, to_uk
from tests.letters.helpers import (  # noqa: F401 - fixtures
    flat,
    letter_case_fixture,
    letterhead_set_fixture,
    pdf_text,
)

# 14:30 on the UK clock in summer (BST, UTC+1) is 13:30 UTC and 09:30 in New York.
SUMMER_INCIDENT = datetime(2026, 7, 14, 13, 30, tzinfo=UTC)
# 23:30 UTC on 14 July is already 15 July in the UK; it is still the 14th in New York.
LATE_SUMMER_NIGHT = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
# A summer appointment far enough ahead never to be in the past.
APPOINTMENT = datetime(2031, 7, 16, 13, 30, tzinfo=UTC)  # Wednesday, 14:30 BST


def test_the_zone_really_changed(machine_zone):
    """Guard: the fixture moves the computer's clock, so the tests below mean something."""
    local = SUMMER_INCIDENT.astimezone()  # the computer's zone, as a careless call would use
    assert local.strftime("%H:%M") == {"UTC": "13:30", "America/New_York": "09:30"}[machine_zone]
    assert short_date_time(SUMMER_INCIDENT) == "14/07/2026 14:30"


def test_letters_say_the_uk_time(machine_zone, database, team, letter_case):
    with database.session() as s:
        referral = s.scalars(select(m.Referral).where(m.Referral.case_id == letter_case)).one()
        referral.incident_at = LATE_SUMMER_NIGHT
    with database.session() as s:
        appointment = create_letter(
            s,
            team["worker1"],
            letter_case,
            "appointment",
            appointment_time=APPOINTMENT,
            appointment_place="The Community Centre, 3 High Street, Testtown",
        )
        summary = create_letter(s, team["worker1"], letter_case, "treatment_referral")
    text = flat(pdf_text(appointment.pdf))
    assert "Wednesday 16 July 2031" in text and "2:30pm" in text
    assert "1:30pm" not in text and "9:30am" not in text
    # The incident came in at 00:30 on 15 July, UK time.
    assert "Incident date 15/07/2026" in flat(pdf_text(summary.pdf))


def test_exports_say_the_uk_time(machine_zone, database, team, tmp_path):
    with database.session() as s:
        person = m.Person(first_name="Testy", last_name="Summertime", phone="+447700900123")
        s.add(person)
        s.flush()
        s.add(
            m.Case(
                person_id=person.id,
                police_reference="TST-SUMMER",
                status="new",
                referred_at=SUMMER_INCIDENT,
                next_action_due_at=LATE_SUMMER_NIGHT,
            )
        )
    with database.session() as s:
        export_cases_csv(s, team["lead"], tmp_path / "cases.csv")
        export_cases_xlsx(s, team["lead"], tmp_path / "cases.xlsx")
    with open(tmp_path / "cases.csv", encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["referral_received"] == "2026-07-14T14:30+01:00"
    assert row["next_action_due"] == "2026-07-15T00:30+01:00"
    sheet = openpyxl.load_workbook(tmp_path / "cases.xlsx")["Cases"]
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["Referral received (UK time)"] == datetime(2026, 7, 14, 14, 30)
    assert values["Next action due (UK time)"] == datetime(2026, 7, 15, 0, 30)
    about = openpyxl.load_workbook(tmp_path / "cases.xlsx")["About"]
    made = next(r[1].value for r in about.iter_rows() if r[0].value == "Made")
    assert made.endswith("UK time")


def test_backup_names_carry_the_uk_clock(machine_zone, sqlite_database, tmp_path):
    """A backup made now is named with the UK time, not the computer's (New York is hours
    behind, so its name would say the wrong day in the evening)."""
    before = to_uk(now_utc()).replace(tzinfo=None, second=0, microsecond=0)
    info = automatic_backup(sqlite_database, tmp_path)
    after = to_uk(now_utc()).replace(tzinfo=None)
    assert info is not None
    stamp = re.search(r"-(\d{8}-\d{6})-", info.path.name).group(1)
    assert before <= datetime.strptime(stamp, "%Y%m%d-%H%M%S") <= after


def test_due_today_ends_at_uk_midnight(machine_zone, database, team):
    """At 21:00 BST a case due at 00:30 BST is due tomorrow, though in New York (16:00) it is
    still that day there."""
    now = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
    due = {"tonight": datetime(2026, 7, 14, 22, 30, tzinfo=UTC), "tomorrow": LATE_SUMMER_NIGHT}
    ids = {}
    with database.session() as s:
        for key, when in due.items():
            person = m.Person(first_name="Testy", last_name=f"Due{key.title()}")
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                police_reference=f"TST-{key}",
                status="contacting",
                referred_at=datetime(2026, 7, 13, 9, 0, tzinfo=UTC),
                assigned_worker_id=team["worker1"].id,
                next_action_due_at=when,
            )
            s.add(case)
            s.flush()
            ids[key] = case.id
    with database.session() as s:
        buckets = {w.case_id: w.bucket for w in my_work(s, team["worker1"], now=now)}
    assert buckets[ids["tonight"]] == "today" and buckets[ids["tomorrow"]] == "later"


def test_report_days_and_months_are_uk_ones(machine_zone, database, team):
    """A referral at 23:30 UTC on 31 May came in at 00:30 BST on 1 June: the dashboard's June,
    its month breakdown and the cases behind June's count hold it, and May does not; one at
    22:30 UTC (23:30 BST on 31 May) stays in May."""
    ids = {}
    with database.session() as s:
        for key, when in (
            ("may", datetime(2026, 5, 31, 22, 30, tzinfo=UTC)),
            ("june", datetime(2026, 5, 31, 23, 30, tzinfo=UTC)),
        ):
            person = m.Person(first_name="Testy", last_name=f"Month{key.title()}")
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                police_reference=f"TST-{key}",
                status="new",
                referred_at=when,
                assigned_worker_id=team["worker1"].id,
            )
            s.add(case)
            s.flush()
            ids[key] = case.id
    may = Period.custom(date(2026, 5, 1), date(2026, 5, 31))
    june = Period.custom(date(2026, 6, 1), date(2026, 6, 30))
    both = Period.custom(date(2026, 5, 1), date(2026, 6, 30))
    lead = team["lead"]
    with database.session() as s:
        assert engagement_report(s, lead, may).totals.received == 1
        assert engagement_report(s, lead, june).totals.received == 1
        months = engagement_report(s, lead, both, by="month").groups["month"]
        assert [(g.key, g.figures.received) for g in months] == [("2026-05", 1), ("2026-06", 1)]
        assert cases_behind(s, lead, both, "received", ("month", "2026-06")) == [ids["june"]]
        assert cases_behind(s, lead, may, "received") == [ids["may"]]


def test_no_code_reads_the_computers_own_zone():
    """Every wall-clock time goes through followup.uktime: no naive now, no bare astimezone(),
    no localtime, no date.today() (each would follow the computer's zone), and every Qt
    date-and-time editor is put on the UK clock (followup.ui.widgets.dates.on_uk_clock)."""
    source = Path(followup.__file__).parent
    careless = re.compile(
        r"datetime\.now\(\)|\.astimezone\(\)|time\.localtime|date\.today\(\)|toLocalTime"
    )
    found = []
    for path in sorted(source.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if careless.search(code):
                found.append(f"{path.relative_to(source)}:{number}: {line.strip()}")
            if "QDateTimeEdit(" in code and "on_uk_clock(" not in code and "class " not in code:
                found.append(f"{path.relative_to(source)}:{number}: {line.strip()}")
    assert found == []
