"""Synthetic people with closed and open cases, letters and the rest, for the retention tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from followup.db import models as m

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
NAME = ("Quintessa", "Zorbwhistle")  # synthetic, searched for after destruction


def years_ago(years: float) -> datetime:
    return NOW - timedelta(days=365.25 * years)


def add_person(
    database,
    team,
    closures: list[datetime | None],
    *,
    name: tuple[str, str] = NAME,
    ref: str = "RET",
    letters: int = 1,
    phone: str = "+447700900111",
) -> tuple[int, list[int]]:
    """A person with one case per closure time (None: still open); returns (person, cases)."""
    worker = team["worker1"].id
    with database.session() as s:
        service = s.query(m.Service).filter_by(name="Synthetic Service").one_or_none()
        if service is None:
            service = m.Service(name="Synthetic Service", service_type="treatment")
            s.add(service)
        person = m.Person(
            first_name=name[0],
            last_name=name[1],
            date_of_birth=date(1979, 3, 4),
            phone=phone,
            address=f"1 {name[1]} Street",
            postcode="B5 6DD",
        )
        s.add(person)
        s.flush()
        case_ids = []
        for n, closed_at in enumerate(closures):
            opened = (closed_at or NOW) - timedelta(days=60)
            case = m.Case(
                person_id=person.id,
                police_reference=f"{ref}-{person.id}-{n}",
                referred_at=opened,
                opened_at=opened,
                assigned_worker_id=worker,
                status="closed" if closed_at else "contacting",
                closed_at=closed_at,
                closure_reason="declined" if closed_at else None,
            )
            s.add(case)
            s.flush()
            case_ids.append(case.id)
            s.add(
                m.Referral(
                    case_id=case.id,
                    person_id=person.id,
                    police_reference=case.police_reference,
                    force="Test Force",
                    incident_at=opened,
                    incident_location=f"Near {name[1]} House",
                    received_at=opened,
                )
            )
            s.add(
                m.ConsentEntry(
                    person_id=person.id,
                    case_id=case.id,
                    scope="contact_phone",
                    state="given",
                    method="verbal_by_phone",
                    recorded_at=opened,
                )
            )
            s.add(
                m.ContactAttempt(
                    case_id=case.id,
                    attempted_at=opened,
                    method="phone",
                    outcome="no_answer",
                    notes=f"Rang {name[0]}",
                    worker_id=worker,
                )
            )
            s.add(
                m.NaloxoneSupply(
                    case_id=case.id,
                    person_id=person.id,
                    supplied_on=opened.date(),
                    kit_type="nasal",
                )
            )
            s.add(
                m.TreatmentReferral(
                    case_id=case.id, service_id=service.id, referred_on=opened.date()
                )
            )
            s.add(m.CaseStatusChange(case_id=case.id, to_status="new", changed_at=opened))
            for _ in range(letters):
                letter = m.Letter(
                    case_id=case.id,
                    template="appointment",
                    sha256="0" * 64,
                    pdf=f"%PDF synthetic letter to {name[0]} {name[1]}".encode(),
                )
                s.add(letter)
                s.flush()
                s.add(m.LetterPrint(letter_id=letter.id, destination="Test printer"))
        return person.id, case_ids
