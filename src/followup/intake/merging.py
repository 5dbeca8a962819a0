"""Deciding uncertain person matches: "same person" merges two records, and can be undone.

A merge moves the incoming person's referrals, cases, consents and kits to the person already
known, and marks the incoming record as merged. When the known person has a case still open
and the incoming referral opened a new case that nobody has worked on yet, the referral joins
the open case and the empty new case is removed, as it would have been had the match been
certain at intake, and the open case takes a re-overdose alert for its worker with its round
of contact restarted (``casework.reoverdose``). Everything moved is listed on the merge record, so undoing it puts each row
back exactly, including the removed case under its old number. Both are audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from followup import audit
from followup.access import Actor, require
from followup.casework import milestones, reoverdose, team_rules
from followup.db.models import (
    Case,
    CaseStatusChange,
    ConsentEntry,
    ContactAttempt,
    Letter,
    MatchReview,
    NaloxoneSupply,
    Person,
    PersonMerge,
    Referral,
    TreatmentReferral,
)
from followup.errors import FollowupError, NotFound
from followup.validation import display_phone
from followup.vocab import AuditAction, CaseStatus, MatchReviewState

__all__ = [
    "MatchComparison",
    "PersonFacts",
    "compare",
    "keep_separate",
    "merge",
    "undo_merge",
]

_CASE_COLUMNS = [c.key for c in Case.__table__.columns]
_CHANGE_COLUMNS = [c.key for c in CaseStatusChange.__table__.columns]


@dataclass(frozen=True)
class PersonFacts:
    """One side of the comparison, as plain text fields."""

    person_id: int
    name: str
    date_of_birth: date | None
    gender: str
    nhs_number: str
    address: str
    postcode: str
    phone: str
    email: str
    referrals: tuple[tuple[str, datetime, str], ...]  # reference, incident time, location


@dataclass(frozen=True)
class MatchComparison:
    review_id: int
    state: str
    score: float
    incoming: PersonFacts
    candidate: PersonFacts


def _facts(session: Session, person: Person) -> PersonFacts:
    refs = session.execute(
        select(Referral.police_reference, Referral.incident_at, Referral.incident_location)
        .where(Referral.person_id == person.id)
        .order_by(Referral.incident_at)
    ).all()
    return PersonFacts(
        person_id=person.id,
        name=person.display_name,
        date_of_birth=person.date_of_birth,
        gender=person.gender or "",
        nhs_number=person.nhs_number or "",
        address="No fixed abode" if person.no_fixed_abode else (person.address or ""),
        postcode=person.postcode or "",
        phone=display_phone(person.phone),
        email=person.email or "",
        referrals=tuple((r[0], r[1], r[2] or "") for r in refs),
    )


def _review(session: Session, review_id: int) -> MatchReview:
    review = session.get(MatchReview, review_id)
    if review is None:
        raise NotFound(f"Match {review_id} no longer exists; refresh the inbox.")
    return review


def compare(session: Session, actor: Actor, review_id: int) -> MatchComparison:
    """Both people side by side; opening the comparison is audited as a view of each."""
    require(actor, "view_inbox")
    review = _review(session, review_id)
    incoming = session.get(Person, review.incoming_person_id)
    candidate = session.get(Person, review.candidate_person_id)
    assert incoming is not None and candidate is not None
    for person in (incoming, candidate):
        audit.record(session, actor.id, AuditAction.VIEW, "person", person.id)
    return MatchComparison(
        review_id=review.id,
        state=review.state,
        score=review.score,
        incoming=_facts(session, incoming),
        candidate=_facts(session, candidate),
    )


def keep_separate(session: Session, actor: Actor, review_id: int) -> None:
    """Decide that the two records are different people."""
    require(actor, "merge_people")
    review = _review(session, review_id)
    if review.state != MatchReviewState.PENDING:
        raise FollowupError("Someone has already decided this match; refresh the inbox.")
    review.state = MatchReviewState.DIFFERENT_PEOPLE
    review.decided_at = datetime.now(UTC)
    review.decided_by_id = actor.id
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        "match_review",
        review.id,
        {"state": [MatchReviewState.PENDING, MatchReviewState.DIFFERENT_PEOPLE]},
    )
    session.flush()


def _ids(session: Session, column: InstrumentedAttribute[int], person_id: int) -> list[int]:
    return list(session.scalars(select(column.class_.id).where(column == person_id)))


def _untouched_new_case(session: Session, case: Case) -> bool:
    if case.status != CaseStatus.NEW or case.assigned_worker_id is not None:
        return False
    for model in (ContactAttempt, TreatmentReferral, NaloxoneSupply, Letter):
        if session.scalar(select(func.count()).where(model.case_id == case.id)):
            return False
    return True


def merge(session: Session, actor: Actor, review_id: int) -> int:
    """Decide "same person": merge the incoming record into the known one; returns the merge id."""
    require(actor, "merge_people")
    review = _review(session, review_id)
    if review.state != MatchReviewState.PENDING:
        raise FollowupError("Someone has already decided this match; refresh the inbox.")
    kept = session.get(Person, review.candidate_person_id)
    merged = session.get(Person, review.incoming_person_id)
    assert kept is not None and merged is not None
    if kept.merged_into_id is not None:
        raise FollowupError("The known record was itself merged into another; refresh the inbox.")

    moved: dict[str, Any] = {
        "referrals": _ids(session, Referral.person_id, merged.id),
        "cases": _ids(session, Case.person_id, merged.id),
        "consents": _ids(session, ConsentEntry.person_id, merged.id),
        "kits": _ids(session, NaloxoneSupply.person_id, merged.id),
    }
    for model, key in (
        (Referral, "referrals"),
        (Case, "cases"),
        (ConsentEntry, "consents"),
        (NaloxoneSupply, "kits"),
    ):
        if moved[key]:
            session.execute(update(model).where(model.id.in_(moved[key])).values(person_id=kept.id))

    open_case = session.scalar(
        select(Case)
        .where(
            Case.person_id == kept.id,
            Case.status != CaseStatus.CLOSED,
            Case.id.not_in(moved["cases"]),
        )
        .order_by(Case.referred_at.desc())
    )
    folded: list[dict[str, Any]] = []
    if open_case is not None:
        for case_id in moved["cases"]:
            case = session.get(Case, case_id)
            if case is None or not _untouched_new_case(session, case):
                continue
            folded.append(_fold_case(session, case, open_case))
    moved["folded"] = folded
    if folded and open_case is not None:
        moved["alert"] = _raise_alert(session, open_case, folded)
        milestones.refresh(session, open_case)

    merged.merged_into_id = kept.id
    review.state = MatchReviewState.SAME_PERSON
    review.decided_at = datetime.now(UTC)
    review.decided_by_id = actor.id
    record = PersonMerge(
        kept_person_id=kept.id,
        merged_person_id=merged.id,
        moved=json.dumps(moved, default=str),
        merged_by_id=actor.id,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.MERGE,
        "person",
        kept.id,
        {
            "merged_person_id": merged.id,
            "review_id": review.id,
            "merge_id": record.id,
            "folded_cases": [f["case"]["id"] for f in folded],
        },
    )
    return record.id


def _fold_case(session: Session, case: Case, into: Case) -> dict[str, Any]:
    """Move an untouched new case's referrals into an open case and remove the empty case."""
    referral_ids = list(session.scalars(select(Referral.id).where(Referral.case_id == case.id)))
    consent_ids = list(
        session.scalars(select(ConsentEntry.id).where(ConsentEntry.case_id == case.id))
    )
    changes = session.scalars(
        select(CaseStatusChange).where(CaseStatusChange.case_id == case.id)
    ).all()
    snapshot = {
        "case": {k: getattr(case, k) for k in _CASE_COLUMNS},
        "changes": [{k: getattr(c, k) for k in _CHANGE_COLUMNS} for c in changes],
        "referrals": referral_ids,
        "consents": consent_ids,
        "into": into.id,
    }
    session.execute(update(Referral).where(Referral.id.in_(referral_ids)).values(case_id=into.id))
    if consent_ids:
        session.execute(
            update(ConsentEntry).where(ConsentEntry.id.in_(consent_ids)).values(case_id=into.id)
        )
    for change in changes:
        session.delete(change)
    session.flush()
    session.delete(case)
    session.flush()
    return snapshot


_ALERT_COLUMNS = (
    "reoverdose_referral_id",
    "reoverdose_at",
    "reoverdose_acknowledged_at",
    "reoverdose_acknowledged_by_id",
    "round_started_at",
    "next_action_due_at",
    "incident_at",
)


def _raise_alert(session: Session, case: Case, folded: list[dict[str, Any]]) -> dict[str, Any]:
    """The open case took a new overdose: alert its worker and restart its contact round.
    Returns the case's values before, for an undo."""
    ids = [rid for fold in folded for rid in fold["referrals"]]
    newest = session.execute(
        select(Referral.id, Referral.incident_at, Referral.received_at)
        .where(Referral.id.in_(ids))
        .order_by(Referral.incident_at.desc(), Referral.id.desc())
    ).first()
    before = {"case": case.id, **{k: getattr(case, k) for k in _ALERT_COLUMNS}}
    if newest is None:
        return before
    values = reoverdose.alert_values(
        newest.id, newest.incident_at, newest.received_at, team_rules.schedule(session)
    )
    for key, value in values.items():
        setattr(case, key, value)
    if case.incident_at is None or case.incident_at < newest.incident_at:
        case.incident_at = newest.incident_at
    session.flush()
    return before


def _when(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def undo_merge(session: Session, actor: Actor, merge_id: int) -> None:
    """Put every moved row back, restore folded cases, and reopen the match for a decision."""
    require(actor, "merge_people")
    record = session.get(PersonMerge, merge_id)
    if record is None:
        raise NotFound(f"Merge {merge_id} does not exist.")
    if record.undone_at is not None:
        raise FollowupError("This merge has already been undone.")
    moved = json.loads(record.moved)
    alert = moved.get("alert")
    if alert is not None:
        into = session.get(Case, alert["case"])
        if into is not None:
            for key in _ALERT_COLUMNS:
                setattr(into, key, _when(alert[key]) if key.endswith("_at") else alert[key])
    for fold in moved.get("folded", []):
        values = {k: _when(v) if k.endswith("_at") else v for k, v in fold["case"].items()}
        session.add(Case(**values))
        session.flush()
        for change in fold["changes"]:
            session.add(
                CaseStatusChange(
                    **{k: _when(v) if k.endswith("_at") else v for k, v in change.items()}
                )
            )
        session.execute(
            update(Referral).where(Referral.id.in_(fold["referrals"])).values(case_id=values["id"])
        )
        if fold["consents"]:
            session.execute(
                update(ConsentEntry)
                .where(ConsentEntry.id.in_(fold["consents"]))
                .values(case_id=values["id"])
            )
    for model, key in (
        (Referral, "referrals"),
        (Case, "cases"),
        (ConsentEntry, "consents"),
        (NaloxoneSupply, "kits"),
    ):
        if moved.get(key):
            session.execute(
                update(model)
                .where(model.id.in_(moved[key]))
                .values(person_id=record.merged_person_id)
            )
    session.flush()
    # The restored cases and the one they had joined, from their facts as they now stand.
    milestones.recompute(
        session,
        [f["case"]["id"] for f in moved.get("folded", [])] + ([alert["case"]] if alert else []),
    )
    merged = session.get(Person, record.merged_person_id)
    assert merged is not None
    merged.merged_into_id = None
    for review in session.scalars(
        select(MatchReview).where(
            MatchReview.incoming_person_id == record.merged_person_id,
            MatchReview.candidate_person_id == record.kept_person_id,
            MatchReview.state == MatchReviewState.SAME_PERSON,
        )
    ):
        review.state = MatchReviewState.PENDING
        review.decided_at = None
        review.decided_by_id = None
    record.undone_at = datetime.now(UTC)
    record.undone_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.UNMERGE,
        "person",
        record.kept_person_id,
        {"merged_person_id": record.merged_person_id, "merge_id": record.id},
    )
