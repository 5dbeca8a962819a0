"""Finding and opening cases, with the role rules of DESIGN.md.

A worker sees the intake inbox (new, unassigned cases) and their own caseload; a lead sees
every case. Opening a case is audited as a view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db import queries
from followup.db.models import Case, Referral, User
from followup.errors import NotFound, PermissionDenied
from followup.validation import display_phone, normalise_phone


def scoped_query(actor: Actor, q: queries.CaseQuery) -> queries.CaseQuery:
    """The caseload query narrowed to what this user may see."""
    if actor.can("view_all_cases"):
        return q
    require(actor, "view_own_cases")
    if q.worker_id not in (None, actor.id):
        raise PermissionDenied(
            "A worker sees only their own caseload; ask a team lead to see another worker's."
        )
    return replace(q, worker_id=actor.id)


def _with_search_phone(q: queries.CaseQuery) -> queries.CaseQuery:
    """The query with its search text read as a phone number, which storage cannot do."""
    text = q.search.strip()
    return replace(q, search_phone=normalise_phone(text) if text else None)


def count_cases(session: Session, actor: Actor, q: queries.CaseQuery) -> int:
    return queries.count_cases(session, _with_search_phone(scoped_query(actor, q)))


def list_cases(
    session: Session, actor: Actor, q: queries.CaseQuery, offset: int = 0, limit: int = 200
) -> list[queries.CaseRow]:
    return queries.fetch_cases(session, _with_search_phone(scoped_query(actor, q)), offset, limit)


@dataclass(frozen=True)
class ReferralSummary:
    police_reference: str
    force: str
    incident_at: datetime
    incident_location: str
    incident_postcode: str
    officer: str
    naloxone_doses: int | None
    naloxone_product: str
    ambulance_called: bool | None
    conveyed_to_hospital: bool | None
    substances: str
    consent_at_scene: str
    notes: str
    received_at: datetime


@dataclass(frozen=True)
class CaseSummary:
    id: int
    status: str
    worker: str
    referred_at: datetime
    next_action_due_at: datetime | None
    closed_at: datetime | None
    closure_reason: str | None
    person_name: str
    description: str
    date_of_birth: date | None
    age: int | None
    gender: str
    nhs_number: str
    address: str
    postcode: str
    no_fixed_abode: bool
    phone: str
    email: str
    gp_practice: str
    referrals: tuple[ReferralSummary, ...]
    version: int

    @property
    def overdue(self) -> bool:
        return (
            self.status != "closed"
            and self.next_action_due_at is not None
            and self.next_action_due_at < datetime.now(UTC)
        )


def can_view(actor: Actor, case: Case) -> bool:
    if actor.can("view_all_cases"):
        return True
    if not actor.can("view_own_cases"):
        return False
    if case.assigned_worker_id == actor.id:
        return True
    return actor.can("view_inbox") and case.assigned_worker_id is None and case.status == "new"


def open_case(session: Session, actor: Actor, case_id: int) -> CaseSummary:
    """A read-only summary of one case; the opening is audited as a view."""
    case = session.get(Case, case_id)
    if case is None or not can_view(actor, case):
        # The same answer for "missing" and "not yours": a worker learns nothing of other cases.
        raise NotFound(f"Case {case_id} does not exist or is not in your caseload.")
    person = case.person
    worker = session.get(User, case.assigned_worker_id) if case.assigned_worker_id else None
    referrals = session.scalars(
        select(Referral).where(Referral.case_id == case.id).order_by(Referral.incident_at)
    ).all()
    audit.record(session, actor.id, "view", "case", case.id)
    return CaseSummary(
        id=case.id,
        status=case.status,
        worker=worker.display_name if worker else "",
        referred_at=case.referred_at,
        next_action_due_at=case.next_action_due_at,
        closed_at=case.closed_at,
        closure_reason=case.closure_reason,
        person_name=person.display_name,
        description=person.description or "",
        date_of_birth=person.date_of_birth,
        age=queries.age_on(person.date_of_birth, datetime.now(UTC).date()),
        gender=person.gender or "",
        nhs_number=person.nhs_number or "",
        address=person.address or "",
        postcode=person.postcode or "",
        no_fixed_abode=person.no_fixed_abode,
        phone=display_phone(person.phone),
        email=person.email or "",
        gp_practice=person.gp_practice or "",
        referrals=tuple(
            ReferralSummary(
                police_reference=r.police_reference,
                force=r.force,
                incident_at=r.incident_at,
                incident_location=r.incident_location or "",
                incident_postcode=r.incident_postcode or "",
                officer=" ".join(
                    x
                    for x in (
                        r.officer_name,
                        r.officer_id and f"({r.officer_id})",
                        r.station and f"{r.station}",
                    )
                    if x
                ),
                naloxone_doses=r.naloxone_doses,
                naloxone_product=r.naloxone_product or "",
                ambulance_called=r.ambulance_called,
                conveyed_to_hospital=r.conveyed_to_hospital,
                substances=r.substances or "",
                consent_at_scene=r.consent_at_scene,
                notes=r.notes or "",
                received_at=r.received_at,
            )
            for r in referrals
        ),
        version=case.version,
    )
