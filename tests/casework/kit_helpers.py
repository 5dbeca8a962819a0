"""Hand-made kits for the kit lifecycle tests: people, open cases and supplies, written
straight to the database (a kit that expired long ago cannot be recorded through the service,
which refuses a kit already out of date)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from followup.db import models as m
from followup.uktime import uk_today

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = uk_today()


def person_case(s, team, first: str, *, worker: str = "worker1", status: str = "contacting"):
    """A person called ``first`` Kitson with one case of ``worker``; returns the case."""
    person = m.Person(first_name=first, last_name="Kitson", date_of_birth=date(1980, 1, 2))
    s.add(person)
    s.flush()
    case = m.Case(
        person_id=person.id,
        status=status,
        police_reference=f"TST-{first}",
        assigned_worker_id=team[worker].id,
        referred_at=NOW - timedelta(days=30),
        incident_at=NOW - timedelta(days=31),
        area="B5",
        next_action_due_at=NOW + timedelta(hours=5),
        closed_at=NOW - timedelta(days=1) if status == "closed" else None,
        closure_reason="declined" if status == "closed" else None,
    )
    s.add(case)
    s.flush()
    return case


def kit(
    s,
    case,
    *,
    supplied_days_ago: int = 300,
    expires_in: int,
    batch: str = "TST-BATCH-1",
    quantity: int = 1,
    supply_type: str = "new",
    reason: str | None = None,
    recipient: str = "person",
    voided: bool = False,
    supplied_on: date | None = None,
):
    """A kit on ``case`` supplied ``supplied_days_ago`` and expiring ``expires_in`` days from
    today (below 0: expired)."""
    supply = m.NaloxoneSupply(
        case_id=case.id,
        person_id=case.person_id,
        supplied_on=supplied_on or TODAY - timedelta(days=supplied_days_ago),
        kit_type="nasal",
        quantity=quantity,
        recipient=recipient,
        supply_type=supply_type,
        resupply_reason=reason,
        training_given=True,
        batch_number=batch,
        expires_on=TODAY + timedelta(days=expires_in),
        voided_at=NOW if voided else None,
        void_reason="Entered in error (test)" if voided else None,
    )
    s.add(supply)
    s.flush()
    return supply


def consent(s, case, scope: str, state: str, *, hours_ago: int = 48, voided: bool = False):
    s.add(
        m.ConsentEntry(
            person_id=case.person_id,
            case_id=case.id,
            scope=scope,
            state=state,
            method="in_person",
            recorded_at=NOW - timedelta(hours=hours_ago),
            voided_at=NOW if voided else None,
            void_reason="Entered in error (test)" if voided else None,
        )
    )
    s.flush()
