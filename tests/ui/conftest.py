"""Fixtures for the desktop app tests: small synthetic caseloads built with the ORM.

Names are obviously made up, NHS numbers come from the 999 test range and phone numbers from
Ofcom's drama range. Background tasks are waited for before each test's database is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from followup.db import models as m
from followup.db.engine import Database
from followup.ui.tasks import wait_for_tasks


@dataclass(frozen=True)
class PersonSpec:
    first: str | None
    last: str | None
    dob: date | None
    nhs: str | None
    phone: str | None
    worker: str | None
    status: str
    ref: str
    days_ago: int
    due_hours: int | None  # negative: overdue


PEOPLE = (
    PersonSpec(
        "Testy",
        "McTestface",
        date(1980, 1, 2),
        "9990000018",
        "+447700900001",
        "worker1",
        "contacting",
        "TST-0001",
        10,
        -5,
    ),
    PersonSpec(
        "Sample",
        "Examplewood",
        date(1991, 6, 30),
        None,
        "+447700900002",
        "worker1",
        "engaged",
        "TST-0002",
        3,
        20,
    ),
    PersonSpec(
        "Demo", "Dummyson", date(1975, 3, 3), None, None, "worker2", "contacting", "TST-0003", 1, 30
    ),
    PersonSpec(None, None, None, None, None, None, "new", "TST-0004", 0, 70),
    PersonSpec(
        "Fakey",
        "McTestface",
        date(2001, 12, 12),
        None,
        None,
        "worker2",
        "closed",
        "TST-0005",
        40,
        None,
    ),
)


def add_case(db: Database, team: dict, spec: PersonSpec, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    with db.session() as s:
        person = m.Person(
            first_name=spec.first,
            last_name=spec.last,
            date_of_birth=spec.dob,
            nhs_number=spec.nhs,
            phone=spec.phone,
            gender="not_known",
            postcode="B5 4TR" if spec.first else None,
            address="1 Test Street, Testville" if spec.first else None,
            no_fixed_abode=not spec.first,
            description=None if spec.first else "tall, grey coat",
        )
        s.add(person)
        s.flush()
        case = m.Case(
            person_id=person.id,
            status=spec.status,
            police_reference=spec.ref,
            assigned_worker_id=team[spec.worker].id if spec.worker else None,
            referred_at=now - timedelta(days=spec.days_ago),
            incident_at=now - timedelta(days=spec.days_ago, hours=2),
            area="B5",
            next_action_due_at=now + timedelta(hours=spec.due_hours)
            if spec.due_hours is not None
            else None,
            closure_reason="declined" if spec.status == "closed" else None,
        )
        s.add(case)
        s.flush()
        s.add(
            m.Referral(
                case_id=case.id,
                person_id=person.id,
                police_reference=spec.ref,
                force="Test Force",
                incident_at=case.incident_at,
                incident_location="Test Park",
                officer_name="PC Example",
                officer_id="1234",
                naloxone_doses=2,
                naloxone_product="nasal",
                ambulance_called=True,
                conveyed_to_hospital=False,
                substances="heroin",
                consent_at_scene="Y",
                notes="<b>not markup</b>",
            )
        )
        return case.id


@pytest.fixture
def ui_db(sqlite_database: Database):
    """The SQLite test database; background tasks finish before it is closed."""
    yield sqlite_database
    wait_for_tasks()


@pytest.fixture
def ui_any_db(database: Database):
    """The test database on each backend (SQLite, and PostgreSQL when configured)."""
    yield database
    wait_for_tasks()


@pytest.fixture
def caseload(request, team) -> dict[str, int]:
    """The five synthetic cases of PEOPLE in whichever UI database the test uses."""
    name = "ui_any_db" if "ui_any_db" in request.fixturenames else "ui_db"
    db: Database = request.getfixturevalue(name)
    return {spec.ref: add_case(db, team, spec) for spec in PEOPLE}


@pytest.fixture(autouse=True)
def fresh_window_place():
    """Each test's main window opens fitted to the screen, not where an earlier test left one
    (the app keeps the window's size and place in the local settings file)."""
    from followup.settings import load_local_settings, save_local_settings
    from followup.ui.shell.main_window import GEOMETRY_KEY

    values = load_local_settings()
    if values.pop(GEOMETRY_KEY, None) is not None:
        save_local_settings(values)
