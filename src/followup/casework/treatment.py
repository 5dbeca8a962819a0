"""Treatment referrals and take-home naloxone kits recorded on a case.

A referral into treatment needs ``share_with_treatment`` consent in force and moves an engaged
case to referred; recording the date treatment started moves it to in treatment. Kits are the
service's own supply, separate from the doses police gave at the incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor
from followup.casework import consent
from followup.casework.lifecycle import load_case_for_edit, refresh_next_action, set_status, touch
from followup.db.models import Case, NaloxoneSupply, Service, TreatmentReferral
from followup.errors import NotFound, RuleViolation, require_version
from followup.uktime import now_utc, short_date, uk_today
from followup.vocab import (
    AuditAction,
    CaseStatus,
    ConsentScope,
    KitRecipient,
    KitType,
    ResupplyReason,
    ServiceType,
    SupplyType,
)

__all__ = [
    "EXAMPLE_SERVICES",
    "TREATMENT_FIELDS",
    "ServiceChoice",
    "record_naloxone_supply",
    "refer_to_treatment",
    "referral_problem",
    "seed_example_services",
    "services",
    "update_treatment",
]


@dataclass(frozen=True)
class ServiceChoice:
    """A service of the directory, as a choice in a list."""

    id: int
    name: str
    service_type: str
    referral_notes: str


def services(session: Session) -> list[ServiceChoice]:
    """Active services of the directory, by name."""
    return [
        ServiceChoice(s.id, s.name, s.service_type, s.referral_notes or "")
        for s in session.scalars(
            select(Service).where(Service.active.is_(True)).order_by(Service.name)
        )
    ]


EXAMPLE_SERVICES: tuple[tuple[str, ServiceType, str], ...] = (
    (
        "Example Community Drug and Alcohol Service",
        ServiceType.TREATMENT,
        "Open-access assessment weekdays; refer by secure email.",
    ),
    (
        "Example Harm Reduction Hub",
        ServiceType.HARM_REDUCTION,
        "Needle exchange and naloxone training.",
    ),
    ("Example Housing Support Team", ServiceType.HOUSING, "For people with no fixed abode."),
    (
        "Example Mental Health Crisis Team",
        ServiceType.MENTAL_HEALTH,
        "Urgent referrals by phone.",
    ),
)


def seed_example_services(session: Session) -> int:
    """Put a few example services in an empty directory, so a new team can start at once."""
    if session.scalar(select(func.count()).select_from(Service)):
        return 0
    for name, kind, notes in EXAMPLE_SERVICES:
        session.add(Service(name=name, service_type=kind, referral_notes=notes))
    session.flush()
    return len(EXAMPLE_SERVICES)


def _today() -> date:
    return uk_today()


def _not_future(value: date | None, what: str) -> None:
    if value is not None and value > _today():
        raise RuleViolation(f"The {what} cannot be in the future.")


def _booked_in_future(booked: datetime | None) -> None:
    if booked is not None and booked <= now_utc():
        raise RuleViolation(
            "The assessment time has already passed; enter the time it is booked for, "
            "or leave it empty."
        )


def referral_problem(
    session: Session, case: Case, consents: Mapping[str, consent.ConsentState] | None = None
) -> str | None:
    """Why the case cannot be referred to treatment now, or None when it can (``consents``:
    the person's states in force, when the caller has read them)."""
    if case.status not in (CaseStatus.ENGAGED, CaseStatus.REFERRED, CaseStatus.IN_TREATMENT):
        return (
            "Refer to treatment once the person has engaged (spoken with you and accepted support)."
        )
    try:
        consent.require_in_force(
            session,
            case.person_id,
            ConsentScope.SHARE_WITH_TREATMENT,
            "a referral to treatment",
            states=consents,
        )
    except RuleViolation as exc:
        return str(exc)
    return None


def refer_to_treatment(
    session: Session,
    actor: Actor,
    case_id: int,
    service_id: int,
    referred_on: date,
    expected_version: int | None,
    *,
    assessment_booked_for: datetime | None = None,
) -> TreatmentReferral:
    """Refer the person to a service of the directory; an engaged case becomes referred."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    problem = referral_problem(session, case)
    if problem:
        raise RuleViolation(problem)
    service = session.get(Service, service_id) if service_id else None
    if service is None or not service.active:
        raise RuleViolation("Choose a service from the directory.")
    _booked_in_future(assessment_booked_for)
    _not_future(referred_on, "referral date")
    if referred_on < case.referred_at.date():
        raise RuleViolation("The referral date is before the case was received; check it.")
    tr = TreatmentReferral(
        case_id=case.id,
        service_id=service.id,
        referred_on=referred_on,
        assessment_booked_for=assessment_booked_for,
        recorded_by_id=actor.id,
    )
    session.add(tr)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.CREATE,
        "treatment_referral",
        tr.id,
        {"case_id": case.id, "service_id": service.id, "referred_on": referred_on},
    )
    if case.status == CaseStatus.ENGAGED:
        set_status(session, actor, case, CaseStatus.REFERRED, f"referred to {service.name}")
    refresh_next_action(session, case)
    touch(case)
    session.flush()
    return tr


TREATMENT_FIELDS = (
    "assessment_booked_for",
    "assessment_attended",
    "treatment_started_on",
    "exit_on",
    "exit_reason",
)


def update_treatment(
    session: Session,
    actor: Actor,
    treatment_id: int,
    expected_version: int | None,
    *,
    treatment_version: int | None,
    **changes: Any,
) -> None:
    """Record assessment, start and exit on a treatment referral.

    ``treatment_version`` is the referral's version the user saw; a save on an older
    reading is refused (``StaleEdit``).
    """
    tr = session.get(TreatmentReferral, treatment_id)
    if tr is None:
        raise NotFound("That treatment referral no longer exists; reload the case.")
    case = load_case_for_edit(session, actor, tr.case_id, expected_version)
    require_version(tr.version, treatment_version, "this treatment referral")
    unknown = set(changes) - set(TREATMENT_FIELDS)
    if unknown:
        raise RuleViolation(f"Unknown treatment fields: {', '.join(sorted(unknown))}.")
    after = {k: changes.get(k, getattr(tr, k)) for k in TREATMENT_FIELDS}
    for key in ("treatment_started_on", "exit_on"):
        _not_future(after[key], key.replace("_on", " date").replace("_", " "))
    if after["assessment_booked_for"] != tr.assessment_booked_for:
        _booked_in_future(after["assessment_booked_for"])
    if after["treatment_started_on"] and after["treatment_started_on"] < tr.referred_on:
        raise RuleViolation("Treatment cannot start before the referral was made.")
    if after["exit_on"] and not after["treatment_started_on"]:
        raise RuleViolation("Record when treatment started before recording an exit.")
    if after["exit_on"] and after["exit_on"] < after["treatment_started_on"]:
        raise RuleViolation("The exit date is before treatment started.")
    if bool(after["exit_on"]) != bool(after["exit_reason"]):
        raise RuleViolation("An exit needs both a date and a reason.")
    if after["exit_reason"] and after["exit_reason"] not in vocab.TREATMENT_EXIT_REASONS:
        raise RuleViolation("Choose an exit reason from the list.")
    before = {k: getattr(tr, k) for k in TREATMENT_FIELDS}
    for key, value in after.items():
        setattr(tr, key, value)
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        "treatment_referral",
        tr.id,
        audit.changes(before, after),
    )
    if after["treatment_started_on"] and case.status == CaseStatus.REFERRED:
        set_status(session, actor, case, CaseStatus.IN_TREATMENT, "treatment started")
    touch(case)
    session.flush()


def record_naloxone_supply(
    session: Session,
    actor: Actor,
    case_id: int,
    expected_version: int | None,
    *,
    supplied_on: date,
    kit_type: KitType,
    quantity: int = 1,
    recipient: KitRecipient = KitRecipient.PERSON,
    supply_type: SupplyType = SupplyType.NEW,
    resupply_reason: ResupplyReason | None = None,
    training_given: bool = False,
    batch_number: str | None = None,
    expires_on: date | None = None,
) -> NaloxoneSupply:
    """Record a take-home naloxone kit given on the case: 1 to 10 kits, with the batch
    number and an expiry date not in the past."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    if kit_type not in vocab.KIT_TYPES:
        raise RuleViolation("Choose the kit type: nasal or injectable.")
    if recipient not in vocab.KIT_RECIPIENTS:
        raise RuleViolation("Choose who received the kit.")
    if supply_type not in vocab.SUPPLY_TYPES:
        raise RuleViolation("Say whether this is a new supply or a resupply.")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10:
        raise RuleViolation("The quantity is a whole number of kits from 1 to 10.")
    _not_future(supplied_on, "supply date")
    if supply_type == SupplyType.RESUPPLY and resupply_reason not in vocab.RESUPPLY_REASONS:
        raise RuleViolation(
            "A resupply needs a reason (used, lost, expired, confiscated or other)."
        )
    if supply_type == SupplyType.NEW and resupply_reason:
        raise RuleViolation("A resupply reason goes only with a resupply.")
    if not (batch_number or "").strip():
        raise RuleViolation("Enter the batch number printed on the kit.")
    if expires_on is None:
        raise RuleViolation("Enter the kit's expiry date, printed on the kit.")
    if expires_on < _today():
        raise RuleViolation(
            f"That kit expired on {short_date(expires_on)}; supply one that is in date."
        )
    if expires_on is not None and expires_on <= supplied_on:
        raise RuleViolation("The kit's expiry date must be after the supply date.")
    kit = NaloxoneSupply(
        case_id=case.id,
        person_id=case.person_id,
        supplied_on=supplied_on,
        kit_type=kit_type,
        quantity=quantity,
        recipient=recipient,
        supply_type=supply_type,
        resupply_reason=resupply_reason,
        training_given=training_given,
        batch_number=(batch_number or "").strip() or None,
        expires_on=expires_on,
        recorded_by_id=actor.id,
    )
    session.add(kit)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.CREATE,
        "naloxone_supply",
        kit.id,
        {"case_id": case.id, "kit_type": kit_type, "quantity": quantity},
    )
    touch(case)
    session.flush()
    return kit
