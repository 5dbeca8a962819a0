"""The intake inbox: new, unassigned cases and uncertain person matches waiting for a decision.

Each new case carries the time of its latest overdose (the incident), which is what the inbox
counts the wait from; the time the referral was received is shown beside it.

Leads assign one or many cases to a worker; a worker may take a case for themselves. Both are
audited as ``assign``. A case keeps its status when assigned: it leaves ``new`` when work on it
starts, which the lifecycle allows only once it has a worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from followup import audit
from followup.access import Actor, require
from followup.casework import allocation
from followup.db.models import (
    Case,
    MatchReview,
    Person,
    PersonMerge,
    Referral,
    User,
    person_display_name,
)
from followup.errors import FollowupError, NotFound, RuleViolation, StaleEdit
from followup.vocab import AuditAction, CaseStatus, MatchReviewState

__all__ = ["InboxCase", "PendingMatch", "assign_cases", "new_cases", "pending_matches", "take_case"]


@dataclass(frozen=True)
class InboxCase:
    case_id: int
    version: int
    person_id: int
    police_reference: str
    person: str
    date_of_birth: date | None
    area: str
    received_at: datetime
    referral_count: int
    needs_review: bool
    incident_at: datetime | None = None  # the latest overdose among the case's referrals


@dataclass(frozen=True)
class PendingMatch:
    review_id: int
    case_id: int
    police_reference: str
    received_at: datetime
    incoming: str
    candidate: str
    score: float


def new_cases(session: Session, actor: Actor, limit: int = 500) -> list[InboxCase]:
    """New, unassigned cases, newest referral first."""
    require(actor, "view_inbox")
    referrals = (
        select(
            Referral.case_id,
            func.count(Referral.id).label("n"),
            func.max(Referral.incident_at).label("incident"),
        )
        .group_by(Referral.case_id)
        .subquery()
    )
    pending = select(MatchReview.referral_id).where(MatchReview.state == MatchReviewState.PENDING)
    pending_cases = select(Referral.case_id).where(Referral.id.in_(pending))
    rows = session.execute(
        select(
            Case.id,
            Case.version,
            Case.person_id,
            Case.police_reference,
            Case.referred_at,
            Case.area,
            Person.first_name,
            Person.last_name,
            Person.description,
            Person.date_of_birth,
            referrals.c.n,
            func.coalesce(Case.incident_at, referrals.c.incident).label("incident"),
            Case.id.in_(pending_cases).label("review"),
        )
        .join(Person, Person.id == Case.person_id)
        .join(referrals, referrals.c.case_id == Case.id)
        .where(Case.status == CaseStatus.NEW, Case.assigned_worker_id.is_(None))
        .order_by(Case.referred_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return [
        InboxCase(
            case_id=r.id,
            version=r.version,
            person_id=r.person_id,
            police_reference=r.police_reference,
            person=person_display_name(r.first_name, r.last_name, r.description),
            date_of_birth=r.date_of_birth,
            area=r.area or "",
            received_at=r.referred_at,
            referral_count=r.n,
            needs_review=bool(r.review),
            incident_at=_aware(r.incident),
        )
        for r in rows
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    """A time read through an aggregate, which may skip the column's type, as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def overdose_dates(session: Session, person_ids: Iterable[int]) -> dict[int, list[datetime]]:
    """person id -> the times of their overdoses (police referrals), oldest first."""
    ids = list(person_ids)
    dates: dict[int, list[datetime]] = {}
    if not ids:
        return dates
    for person_id, when in session.execute(
        select(Referral.person_id, Referral.incident_at)
        .where(Referral.person_id.in_(ids))
        .order_by(Referral.incident_at)
    ):
        dates.setdefault(person_id, []).append(when)
    return dates


@dataclass(frozen=True)
class RecentMerge:
    merge_id: int
    merged_at: datetime
    kept: str  # the record kept
    merged: str  # the record merged into it
    merged_by: str


def recent_merges(session: Session, actor: Actor, limit: int = 50) -> list[RecentMerge]:
    """Merges that can still be undone, newest first: what a lead may undo from the inbox."""
    require(actor, "merge_people")
    kept, merged = aliased(Person), aliased(Person)
    rows = session.execute(
        select(PersonMerge, kept, merged, User.display_name)
        .join(kept, kept.id == PersonMerge.kept_person_id)
        .join(merged, merged.id == PersonMerge.merged_person_id)
        .outerjoin(User, User.id == PersonMerge.merged_by_id)
        .where(PersonMerge.undone_at.is_(None))
        .order_by(PersonMerge.merged_at.desc(), PersonMerge.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentMerge(merge.id, merge.merged_at, k.display_name, m.display_name, by or "")
        for merge, k, m, by in rows
    ]


def pending_matches(session: Session, actor: Actor) -> list[PendingMatch]:
    """Uncertain matches waiting for a person to decide, newest first."""
    require(actor, "view_inbox")
    incoming, candidate = aliased(Person), aliased(Person)
    rows = session.execute(
        select(MatchReview, Referral, incoming, candidate)
        .join(Referral, Referral.id == MatchReview.referral_id)
        .join(incoming, incoming.id == MatchReview.incoming_person_id)
        .join(candidate, candidate.id == MatchReview.candidate_person_id)
        .where(MatchReview.state == MatchReviewState.PENDING)
        .order_by(Referral.received_at.desc(), MatchReview.id.desc())
    ).all()
    return [
        PendingMatch(
            review_id=review.id,
            case_id=referral.case_id,
            police_reference=referral.police_reference,
            received_at=referral.received_at,
            incoming=inc.display_name,
            candidate=cand.display_name,
            score=review.score,
        )
        for review, referral, inc, cand in rows
    ]


def assign_cases(
    session: Session,
    actor: Actor,
    case_ids: Iterable[int],
    worker_id: int,
    expected_versions: dict[int, int] | None = None,
    reason: str | None = None,
) -> int:
    """Assign (or reassign) cases to a worker; returns how many changed hands.

    Moving a case that already has a worker needs ``reason`` (``casework.allocation``, which
    also moves many cases at once and reports those it cannot move instead of refusing all).
    """
    require(actor, "assign")
    worker = allocation.assignable_worker(session, worker_id)
    text = allocation.clean_reason(reason)
    cases: list[Case] = []
    for case_id in case_ids:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_id} no longer exists; refresh the list.")
        if expected_versions and expected_versions.get(case_id, case.version) != case.version:
            raise StaleEdit(
                f"Case {case_id} was changed by someone else since you opened the list; "
                "refresh and try again."
            )
        if case.status == CaseStatus.CLOSED:
            raise FollowupError(
                f"Case {case_id} is closed; reopen it before assigning it to a worker."
            )
        if case.assigned_worker_id != worker.id:
            cases.append(case)
    if not text and any(c.assigned_worker_id is not None for c in cases):
        raise RuleViolation(allocation.REASON_NEEDED)
    for case in cases:
        allocation.move_one(session, actor, case, worker, text)
    session.flush()
    return len(cases)


def take_case(session: Session, actor: Actor, case_id: int) -> None:
    """A worker takes an unassigned new case from the inbox for their own caseload."""
    require(actor, "take_case")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Case {case_id} no longer exists; refresh the inbox.")
    if case.assigned_worker_id == actor.id:
        return
    if case.assigned_worker_id is not None:
        raise FollowupError(
            f"Case {case_id} has already been taken by a colleague; refresh the inbox."
        )
    if case.status != CaseStatus.NEW:
        raise FollowupError(f"Only new cases can be taken from the inbox; case {case_id} is not.")
    case.assigned_worker_id = actor.id
    audit.record(
        session,
        actor.id,
        AuditAction.ASSIGN,
        "case",
        case.id,
        {"assigned_worker_id": [None, actor.id]},
    )
    session.flush()
