"""The case lifecycle and the recorded actions of a referral worker's day.

new → contacting → engaged → referred → in_treatment → closed, and closed → contacting again.
Every rule of DESIGN.md is enforced here, each refusal naming the rule that stops it. Every
change carries the case version the user saw: a case changed by someone else in the meantime
is refused with ``StaleEdit`` rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from followup import audit, vocab
from followup.access import Actor, require
from followup.casework import consent, contact_gate, milestones, no_contact, team_rules
from followup.db.models import (
    Case,
    CaseStatusChange,
    ContactAttempt,
    Person,
    TreatmentReferral,
    not_voided,
)
from followup.errors import NotFound, PermissionDenied, RuleViolation, StaleEdit
from followup.validation import display_phone, normalise_phone
from followup.vocab import (
    AuditAction,
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentScope,
    ConsentState,
    ContactMethod,
    ContactOutcome,
)

__all__ = [
    "FORWARD",
    "ForwardFacts",
    "REMOTE_METHODS",
    "AttemptSummary",
    "advance",
    "attempt_summary",
    "close_case",
    "contact_method_problem",
    "load_case_for_edit",
    "record_consent",
    "record_contact_attempt",
    "refresh_next_action",
    "reopen_case",
    "round_attempt_times",
    "set_status",
    "touch",
    "transition_problem",
    "unable_to_contact_problem",
]

# The forward steps a worker takes; closing and reopening are separate actions.
FORWARD: dict[str, tuple[CaseStatus, ...]] = {
    CaseStatus.NEW: (CaseStatus.CONTACTING,),
    CaseStatus.CONTACTING: (CaseStatus.ENGAGED,),
    CaseStatus.ENGAGED: (CaseStatus.REFERRED,),
    CaseStatus.REFERRED: (CaseStatus.IN_TREATMENT,),
    CaseStatus.IN_TREATMENT: (),
}
# Ways of reaching a person without turning up at their door.
REMOTE_METHODS = contact_gate.REMOTE_METHODS


def load_case_for_edit(
    session: Session, actor: Actor, case_id: int, expected_version: int | None
) -> Case:
    """The case, if this user may change it and nobody else has since they looked."""
    require(actor, "edit_case")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    if not actor.can("view_all_cases") and case.assigned_worker_id != actor.id:
        raise PermissionDenied(
            "Only the assigned worker or a team lead can change this case; "
            "take it from the inbox or ask a lead to assign it to you."
        )
    if expected_version is not None and case.version != expected_version:
        raise StaleEdit(
            "Someone else changed this case since you opened it; reload it to see their "
            "changes, then make yours again."
        )
    return case


def touch(case: Case) -> None:
    """Mark the case changed, so its version goes up and concurrent edits of any of its
    parts (attempts, consent, treatment, kits) conflict instead of passing silently."""
    flag_modified(case, "status")


def _attempt_times(session: Session, case_id: int) -> list[datetime]:
    return list(
        session.scalars(
            select(ContactAttempt.attempted_at).where(
                ContactAttempt.case_id == case_id, not_voided(ContactAttempt)
            )
        )
    )


def round_attempt_times(session: Session, case: Case) -> list[datetime]:
    """The times of the attempts of the current round of contact (a new overdose or a
    reopening starts a new round, counted from ``round_started_at``)."""
    times = _attempt_times(session, case.id)
    start = case.round_started_at
    return times if start is None else [t for t in times if t >= start]


def refresh_next_action(session: Session, case: Case) -> None:
    """Recompute when the next contact attempt is due (only while trying to make contact)."""
    if case.status in (CaseStatus.NEW, CaseStatus.CONTACTING):
        case.next_action_due_at = team_rules.schedule(session).next_attempt_due(
            case.round_started_at or case.referred_at, round_attempt_times(session, case)
        )
    else:
        case.next_action_due_at = None


def set_status(
    session: Session, actor: Actor, case: Case, to_status: CaseStatus, reason: str | None = None
) -> None:
    """Move the case to ``to_status``, with its history row and audit entry (no checks)."""
    before = case.status
    at = datetime.now(UTC)
    case.status = to_status
    session.add(
        CaseStatusChange(
            case_id=case.id,
            from_status=before,
            to_status=to_status,
            changed_at=at,
            changed_by_id=actor.id,
            reason=reason,
        )
    )
    milestones.status_reached(case, to_status, at)
    audit.record(
        session, actor.id, AuditAction.UPDATE, "case", case.id, {"status": [before, to_status]}
    )


@dataclass(frozen=True)
class ForwardFacts:
    """What the forward steps check, when the caller has read the case's entries already
    (the case screen): each the same as the query ``_check_forward`` makes without it."""

    spoke_engaged: bool  # an attempt that counts with the outcome "spoke, engaged"
    treatment_referred: bool  # a treatment referral that counts
    treatment_started: bool  # ... with the date treatment started
    consents: Mapping[str, consent.ConsentState]  # the person's consent in force


def _check_forward(
    session: Session, case: Case, to_status: str, known: ForwardFacts | None = None
) -> None:
    if case.status == CaseStatus.CLOSED:
        raise RuleViolation("This case is closed; reopen it first.")
    if to_status not in FORWARD.get(case.status, ()):
        allowed = ", ".join(vocab.label(s) for s in FORWARD.get(case.status, ())) or "none"
        raise RuleViolation(
            f"A case that is {vocab.label(case.status).lower()} cannot move to "
            f"{vocab.label(to_status).lower()}; the next step is: {allowed}."
        )
    if to_status == CaseStatus.CONTACTING and case.assigned_worker_id is None:
        raise RuleViolation("A case leaves New only once a worker is assigned to it.")
    if to_status == CaseStatus.ENGAGED:
        spoke = (
            known.spoke_engaged
            if known is not None
            else session.scalar(
                select(ContactAttempt.id).where(
                    ContactAttempt.case_id == case.id,
                    ContactAttempt.outcome == ContactOutcome.SPOKE_ENGAGED,
                    not_voided(ContactAttempt),
                )
            )
            is not None
        )
        if not spoke:
            raise RuleViolation(
                "Engaged means you spoke with the person and they accepted support; log that "
                "contact attempt (outcome: spoke, engaged) first."
            )
    if to_status == CaseStatus.REFERRED:
        consent.require_in_force(
            session,
            case.person_id,
            ConsentScope.SHARE_WITH_TREATMENT,
            "a referral",
            states=known.consents if known is not None else None,
        )
        referred = (
            known.treatment_referred
            if known is not None
            else session.scalar(
                select(TreatmentReferral.id).where(
                    TreatmentReferral.case_id == case.id, not_voided(TreatmentReferral)
                )
            )
            is not None
        )
        if not referred:
            raise RuleViolation("Record the treatment referral (service and date) first.")
    if to_status == CaseStatus.IN_TREATMENT:
        started = (
            known.treatment_started
            if known is not None
            else session.scalar(
                select(TreatmentReferral.id).where(
                    TreatmentReferral.case_id == case.id,
                    TreatmentReferral.treatment_started_on.is_not(None),
                    not_voided(TreatmentReferral),
                )
            )
            is not None
        )
        if not started:
            raise RuleViolation(
                "Record the date treatment started on the treatment referral first."
            )


def advance(
    session: Session,
    actor: Actor,
    case_id: int,
    to_status: str,
    expected_version: int | None,
    reason: str | None = None,
) -> None:
    """Move a case one step forward in its lifecycle (``to_status`` as a form gives it)."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    _check_forward(session, case, to_status)
    set_status(session, actor, case, CaseStatus(to_status), reason)
    refresh_next_action(session, case)
    session.flush()


@dataclass(frozen=True)
class AttemptSummary:
    count: int
    methods: frozenset[str]  # the stored values of ContactMethod
    first: datetime | None
    last: datetime | None

    @property
    def span_days(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds() / 86400


def attempt_summary(
    session: Session,
    case_id: int,
    attempts: Iterable[tuple[datetime, str]] | None = None,
) -> AttemptSummary:
    """The case's attempts that count; ``attempts`` (time, method) when read already."""
    rows = (
        list(attempts)
        if attempts is not None
        else session.execute(
            select(ContactAttempt.attempted_at, ContactAttempt.method).where(
                ContactAttempt.case_id == case_id, not_voided(ContactAttempt)
            )
        ).all()
    )
    times = [r[0] for r in rows]
    return AttemptSummary(
        count=len(rows),
        methods=frozenset(r[1] for r in rows),
        first=min(times) if times else None,
        last=max(times) if times else None,
    )


def unable_to_contact_problem(
    session: Session,
    case_id: int,
    attempts: Iterable[tuple[datetime, str]] | None = None,
    *,
    rules: team_rules.ClosureRules | None = None,
) -> str | None:
    """Why the case may not yet be closed as unable to contact, or None when it may
    (``attempts``: the (time, method) of those that count, and ``rules``, the team's closure
    rules, when the caller has them)."""
    rules = rules or team_rules.closure_rules(session)
    s = attempt_summary(session, case_id, attempts)
    missing = []
    if s.count < rules.min_attempts:
        missing.append(f"{rules.min_attempts} attempts (so far {s.count})")
    if s.span_days < rules.min_days:
        missing.append(f"attempts spread over {rules.min_days} days (so far {s.span_days:.0f})")
    if len(s.methods) < rules.min_methods:
        missing.append(f"{rules.min_methods} different methods (so far {len(s.methods)})")
    if not missing:
        return None
    return "Closing as unable to contact needs " + ", ".join(missing) + "."


def close_case(
    session: Session,
    actor: Actor,
    case_id: int,
    closure_reason: str,
    expected_version: int | None,
    note: str | None = None,
    no_contact_reason: str | None = None,
) -> None:
    """Close a case for ``closure_reason`` (as a form gives it), if the rules allow it now.

    A case where the worker never spoke with the person also needs ``no_contact_reason``
    (``no_contact.require_reason``); it is kept only for such a case.
    """
    case = load_case_for_edit(session, actor, case_id, expected_version)
    if case.status == CaseStatus.CLOSED:
        raise RuleViolation("This case is already closed.")
    if closure_reason not in vocab.CLOSURE_REASONS:
        raise RuleViolation("Choose a closure reason from the list.")
    closure_reason = ClosureReason(closure_reason)
    if closure_reason == ClosureReason.UNABLE_TO_CONTACT:
        problem = unable_to_contact_problem(session, case.id)
        if problem:
            raise RuleViolation(problem)
    if (
        closure_reason == ClosureReason.ENGAGED_IN_TREATMENT
        and case.status != CaseStatus.IN_TREATMENT
    ):
        raise RuleViolation(
            "Closing as engaged in treatment needs the case to be In treatment first."
        )
    if closure_reason == ClosureReason.OTHER and not (note or "").strip():
        raise RuleViolation("Say why in a note when the closure reason is Other.")
    without_contact = no_contact.require_reason(session, case.id, no_contact_reason, note)
    set_status(session, actor, case, CaseStatus.CLOSED, closure_reason)
    case.no_contact_reason = without_contact
    case.closure_reason = closure_reason
    case.closure_note = (note or "").strip() or None
    case.closed_at = datetime.now(UTC)
    case.next_action_due_at = None
    session.flush()


def reopen_case(
    session: Session, actor: Actor, case_id: int, expected_version: int | None, reason: str
) -> None:
    """Open a closed case again, for a fresh round of contact; ``reason`` says why."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    if case.status != CaseStatus.CLOSED:
        raise RuleViolation("Only a closed case can be reopened.")
    if not reason.strip():
        raise RuleViolation("Say why the case is being reopened.")
    if case.assigned_worker_id is None:
        raise RuleViolation("Assign a worker before reopening the case.")
    set_status(session, actor, case, CaseStatus.CONTACTING, reason.strip())
    case.closure_reason = None
    case.closure_note = None
    case.no_contact_reason = None
    case.closed_at = None
    # A reopened case starts a fresh round of contact, due at once.
    case.round_started_at = datetime.now(UTC)
    case.next_action_due_at = case.round_started_at + timedelta(
        hours=team_rules.schedule(session).first_attempt_hours
    )
    session.flush()


def contact_method_problem(session: Session, case: Case, method: ContactMethod) -> str | None:
    """Why contact by ``method`` is not allowed now, or None when it is (``contact_gate``)."""
    return contact_gate.case_gates(session, case)[method].problem


def transition_problem(
    session: Session, case: Case, to_status: str, *, known: ForwardFacts | None = None
) -> str | None:
    """Why the case cannot move forward to ``to_status`` now, or None when it can
    (``known``: what the checks would read, when the caller has it already)."""
    try:
        _check_forward(session, case, to_status, known)
    except RuleViolation as exc:
        return str(exc)
    return None


def record_contact_attempt(
    session: Session,
    actor: Actor,
    case_id: int,
    method: ContactMethod,
    outcome: ContactOutcome,
    expected_version: int | None,
    *,
    when: datetime | None = None,
    notes: str | None = None,
    number: str | None = None,
    save_number: bool = False,
) -> ContactAttempt:
    """Log an attempt, if the contact gate (``contact_gate``) allows the method and outcome.

    A phone call or text needs a number: the one on file, or ``number`` as typed (kept on the
    person with ``save_number``, else noted on the attempt). One made while consent to it is
    not yet asked is marked as seeking consent.
    """
    case = load_case_for_edit(session, actor, case_id, expected_version)
    if method not in vocab.CONTACT_METHODS:
        raise RuleViolation("Choose how you tried to make contact.")
    if outcome not in vocab.CONTACT_OUTCOMES:
        raise RuleViolation("Choose the outcome of the attempt.")
    when = when or datetime.now(UTC)
    if when > datetime.now(UTC) + timedelta(minutes=5):
        raise RuleViolation("A contact attempt cannot be logged for a time in the future.")
    if when < case.referred_at - timedelta(days=1):
        raise RuleViolation("That time is before the referral was received; check the date.")
    if case.status == CaseStatus.CLOSED:
        raise RuleViolation("This case is closed; reopen it before logging contact.")
    if case.status == CaseStatus.NEW and case.assigned_worker_id is None:
        raise RuleViolation("Assign the case to a worker (or take it) before logging contact.")
    typed = (number or "").strip()
    phone: str | None = None
    if typed and method in contact_gate.NUMBER_METHODS:
        phone = normalise_phone(typed)
        if phone is None:
            raise RuleViolation("That is not a UK phone number; check the digits.")
    gate = contact_gate.require_attempt(
        session, case, method, outcome, number_given=phone is not None
    )
    notes = (notes or "").strip() or None
    person = session.get(Person, case.person_id)
    assert person is not None  # a case always has its person
    if phone is not None and phone != person.phone:
        if save_number:
            before = person.phone
            person.phone = phone
            audit.record_with_private(
                session,
                actor.id,
                AuditAction.UPDATE,
                "person",
                person.id,
                {"fields": ["phone"]},
                {"phone": [before, phone]},
                person.id,
            )
        else:
            used = f"Number used: {display_phone(phone)}"
            notes = f"{notes} ({used})" if notes else used
    attempt = ContactAttempt(
        case_id=case.id,
        attempted_at=when,
        method=method,
        outcome=outcome,
        notes=notes,
        worker_id=actor.id,
        seeking_consent=gate.seeking_consent,
    )
    session.add(attempt)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.CREATE,
        "contact_attempt",
        attempt.id,
        {
            "case_id": case.id,
            "method": method,
            "outcome": outcome,
            "seeking_consent": gate.seeking_consent,
        },
    )
    if case.status == CaseStatus.NEW:
        set_status(session, actor, case, CaseStatus.CONTACTING, "first contact attempt")
    if outcome == ContactOutcome.SPOKE_ENGAGED and case.status == CaseStatus.CONTACTING:
        set_status(
            session, actor, case, CaseStatus.ENGAGED, "spoke with the person; support accepted"
        )
    milestones.refresh(session, case)
    refresh_next_action(session, case)
    touch(case)
    session.flush()
    return attempt


def record_consent(
    session: Session,
    actor: Actor,
    case_id: int,
    scope: ConsentScope,
    state: ConsentState,
    method: ConsentMethod,
    expected_version: int | None,
    **kwargs: Any,
) -> None:
    """Record consent for the case's person; the case version guards against lost updates."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    consent.record(session, actor.id, case.person_id, case.id, scope, state, method, **kwargs)
    touch(case)
    session.flush()
