"""Corrections, never deletions: amend an entry, or mark it entered in error, with a reason.

Every entry of a case can be corrected: a contact attempt, a consent entry, a treatment
referral, a naloxone kit, a case note and a change of the person's details. The original stays
(struck through in the timeline and listed in the subject-access pack) with who corrected it,
when and why; "entered in error" only marks it, an amendment marks it and adds the corrected
entry, which names the one it replaces (``amends_id``), in the same transaction. Everything
that computes state (consent in force, the next action due, reports, letters, kit counts)
reads only entries that are not voided (``models.not_voided``).

The author of an entry may correct it for a set number of days after it was made (team rule
``corrections.author_window_days``, default 7); a team lead may at any time. Each correction
is audited; its reason, which may hold personal details, is a private value of the audit
event, purged with the person.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor
from followup.casework import consent, milestones, team_rules
from followup.casework.lifecycle import (
    load_case_for_edit,
    record_contact_attempt,
    refresh_next_action,
    touch,
)
from followup.casework.people import update_person
from followup.casework.treatment import record_naloxone_supply, update_treatment
from followup.db.models import (
    Case,
    CaseNote,
    ConsentEntry,
    ContactAttempt,
    Correctable,
    NaloxoneSupply,
    Person,
    PersonChange,
    Service,
    TreatmentReferral,
)
from followup.errors import NotFound, RuleViolation
from followup.uktime import short_date, uk_today
from followup.vocab import AuditAction

__all__ = [
    "AMEND_FIELDS",
    "AUDIT_ENTITY",
    "AUTHOR_COLUMN",
    "CORRECTABLE",
    "MAX_REASON",
    "WHAT",
    "amend",
    "author_window_check",
    "author_window_problem",
    "mark_entered_in_error",
    "note_text",
    "person_value",
    "WHEN_COLUMN",
]

# The kinds of entry the timeline offers to correct, and the table each lives in.
CORRECTABLE: dict[str, type[Correctable]] = {
    "attempt": ContactAttempt,
    "consent": ConsentEntry,
    "treatment": TreatmentReferral,
    "naloxone": NaloxoneSupply,
    "note": CaseNote,
    "person": PersonChange,
}
# The entity each kind is audited under (as its creation was).
AUDIT_ENTITY = {
    "attempt": "contact_attempt",
    "consent": "consent",
    "treatment": "treatment_referral",
    "naloxone": "naloxone_supply",
    "note": "case_note",
    "person": "person_change",
}
WHAT = {
    "attempt": "contact attempt",
    "consent": "consent entry",
    "treatment": "treatment referral",
    "naloxone": "naloxone kit",
    "note": "case note",
    "person": "change of the person's details",
}
# Who made each kind of entry, and when it was made.
AUTHOR_COLUMN = {
    "attempt": "worker_id",
    "consent": "recorded_by_id",
    "treatment": "recorded_by_id",
    "naloxone": "recorded_by_id",
    "note": "author_id",
    "person": "changed_by_id",
}
WHEN_COLUMN = {
    "attempt": "attempted_at",
    "consent": "recorded_at",
    "treatment": "referred_on",
    "naloxone": "supplied_on",
    "note": "written_at",
    "person": "changed_at",
}
# What an amendment may change, per kind ("value" is the person's field's new value).
AMEND_FIELDS: dict[str, tuple[str, ...]] = {
    "attempt": ("attempted_at", "method", "outcome", "notes"),
    "consent": ("state", "method", "expires_on", "evidence"),
    "treatment": (
        "service_id",
        "referred_on",
        "assessment_booked_for",
        "assessment_attended",
        "treatment_started_on",
        "exit_on",
        "exit_reason",
    ),
    "naloxone": (
        "supplied_on",
        "kit_type",
        "quantity",
        "recipient",
        "supply_type",
        "resupply_reason",
        "training_given",
        "batch_number",
        "expires_on",
    ),
    "note": ("text",),
    "person": ("value",),
}
MAX_REASON = 500
MAX_NOTE = 5000


def _as_time(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time(), UTC)


def author_window_problem(
    actor: Actor,
    author_id: int | None,
    made: date | datetime,
    window_days: int,
    voided_at: datetime | None,
    *,
    now: datetime | None = None,
) -> str | None:
    """Why this user may not correct an entry, or None when they may.

    A lead may correct any entry at any time; its author within ``window_days`` of making it;
    nobody an entry already corrected (they correct the entry that replaced it instead).
    """
    return author_window_check(actor, window_days, now=now)(author_id, made, voided_at)


def author_window_check(
    actor: Actor, window_days: int, *, now: datetime | None = None
) -> Callable[[int | None, date | datetime, datetime | None], str | None]:
    """``author_window_problem`` for one user, as a function of (author, made, voided_at): what
    depends on the user alone is decided once (a case's timeline asks for every entry)."""
    if actor.can("view_all_cases"):
        role_problem: str | None = None
    elif not actor.can("edit_case"):
        role_problem = "Your role does not allow you to correct entries; ask a team lead."
    else:
        role_problem = ""  # the author, within the window
    oldest = (now or datetime.now(UTC)) - timedelta(days=window_days)
    too_old = (
        f"You can correct your own entries for {window_days} days after making them; "
        "this one is older, so ask a team lead to correct it."
    )

    def problem(
        author_id: int | None, made: date | datetime, voided_at: datetime | None
    ) -> str | None:
        if voided_at is not None:
            return (
                f"This entry was already corrected on {short_date(voided_at)}; correct the "
                "entry that replaced it instead."
            )
        if role_problem != "":
            return role_problem
        if author_id != actor.id:
            return "Only the person who made this entry, or a team lead, can correct it."
        made_at = _as_time(made)
        if isinstance(made, date) and not isinstance(made, datetime):
            # A date-only entry counts from the end of its day, so its window is never shortened.
            made_at += timedelta(days=1)
        return too_old if made_at < oldest else None

    return problem


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise RuleViolation("Say why the entry is being corrected.")
    if len(text) > MAX_REASON:
        raise RuleViolation(f"Keep the reason under {MAX_REASON} characters.")
    return text


def _entry(session: Session, case: Case, kind: str, entry_id: int) -> Any:
    model = CORRECTABLE.get(kind)
    if model is None:
        raise RuleViolation("That kind of entry cannot be corrected.")
    row: Any = session.get(model, entry_id)
    if row is not None:
        owner = (
            row.case_id == case.id
            if kind in ("attempt", "treatment", "note")
            else row.person_id == case.person_id
        )
        if owner:
            return row
    raise NotFound("That entry is not on this case any more; reload the case.")


def _check(session: Session, actor: Actor, kind: str, row: Any) -> None:
    problem = author_window_problem(
        actor,
        getattr(row, AUTHOR_COLUMN[kind]),
        getattr(row, WHEN_COLUMN[kind]),
        team_rules.correction_window_days(session),
        row.voided_at,
    )
    if problem:
        raise RuleViolation(problem)


def _void(session: Session, actor: Actor, row: Any, reason: str) -> None:
    row.voided_at = datetime.now(UTC)
    row.voided_by_id = actor.id
    row.void_reason = reason
    session.flush()


def _audit(
    session: Session,
    actor: Actor,
    case: Case,
    kind: str,
    row: Any,
    correction: str,
    reason: str,
    replaced_by: int | None = None,
) -> None:
    public: dict[str, Any] = {"case_id": case.id, "correction": correction}
    if replaced_by is not None:
        public["replaced_by"] = replaced_by
    audit.record_with_private(
        session,
        actor.id,
        AuditAction.UPDATE,
        AUDIT_ENTITY[kind],
        row.id,
        public,
        {"reason": reason},
        case.person_id,
    )


def _after(session: Session, case: Case) -> None:
    # The milestones, the next attempt due and the case version follow whatever now counts.
    milestones.refresh(session, case)
    refresh_next_action(session, case)
    touch(case)
    session.flush()


def person_value(field: str, stored: str | None) -> Any:
    """A value of ``person_change.before``/``after`` as the person's field holds it."""
    value = json.loads(stored) if stored else None
    if field == "date_of_birth" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _revert_person(session: Session, actor: Actor, case: Case, change: PersonChange) -> None:
    person = session.get(Person, change.person_id)
    assert person is not None  # a change belongs to its person (a foreign key)
    current = getattr(person, change.field)
    if _plain(current) != person_value(change.field, change.after) and not (
        current in (None, "") and change.after in (None, "null")
    ):
        raise RuleViolation(
            f"The person's {change.field.replace('_', ' ')} has been changed again since; "
            "correct the later change first."
        )
    before = person_value(change.field, change.before)
    setattr(person, change.field, before)
    audit.record_with_private(
        session,
        actor.id,
        AuditAction.UPDATE,
        "person",
        person.id,
        {"fields": [change.field], "reverts": change.id},
        {change.field: [_plain(current), _plain(before)]},
        person.id,
    )


def mark_entered_in_error(
    session: Session,
    actor: Actor,
    case_id: int,
    expected_version: int | None,
    kind: str,
    entry_id: int,
    reason: str,
) -> None:
    """Mark an entry entered in error: it stays, struck through, and no longer counts.

    For a change of the person's details, the field goes back to its value before the change.
    """
    case = load_case_for_edit(session, actor, case_id, expected_version)
    row = _entry(session, case, kind, entry_id)
    why = _reason(reason)
    _check(session, actor, kind, row)
    with session.begin_nested():
        if kind == "person":
            _revert_person(session, actor, case, row)
        _void(session, actor, row, why)
    _audit(session, actor, case, kind, row, "entered_in_error", why)
    _after(session, case)


def _merged(row: Any, fields: tuple[str, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: values[k] if k in values else getattr(row, k) for k in fields}


def _amend_attempt(
    session: Session, actor: Actor, case: Case, row: ContactAttempt, values: Mapping[str, Any]
) -> Any:
    v = _merged(row, AMEND_FIELDS["attempt"], values)
    return record_contact_attempt(
        session,
        actor,
        case.id,
        v["method"],
        v["outcome"],
        None,
        when=v["attempted_at"],
        notes=v["notes"],
    )


def _amend_consent(
    session: Session, actor: Actor, case: Case, row: ConsentEntry, values: Mapping[str, Any]
) -> Any:
    v = _merged(row, AMEND_FIELDS["consent"], values)
    return consent.record(
        session,
        actor.id,
        row.person_id,
        row.case_id,
        vocab.ConsentScope(row.scope),
        v["state"],
        v["method"],
        when=row.recorded_at,
        evidence=v["evidence"],
        expires_on=v["expires_on"],
        source=row.source,
    )


def _amend_treatment(
    session: Session, actor: Actor, case: Case, row: TreatmentReferral, values: Mapping[str, Any]
) -> Any:
    v = _merged(row, AMEND_FIELDS["treatment"], values)
    service = session.get(Service, v["service_id"]) if v["service_id"] else None
    if service is None:
        raise RuleViolation("Choose a service from the directory.")
    referred_on = v["referred_on"]
    if not isinstance(referred_on, date):
        raise RuleViolation("Give the date of the referral.")
    if referred_on > uk_today():
        raise RuleViolation("The referral date cannot be in the future.")
    if referred_on < case.referred_at.date():
        raise RuleViolation("The referral date is before the case was received; check it.")
    new = TreatmentReferral(
        case_id=row.case_id,
        service_id=service.id,
        referred_on=referred_on,
        recorded_by_id=actor.id,
    )
    session.add(new)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.CREATE,
        "treatment_referral",
        new.id,
        {"case_id": row.case_id, "service_id": service.id, "referred_on": referred_on},
    )
    update_treatment(
        session,
        actor,
        new.id,
        None,
        treatment_version=None,
        **{k: v[k] for k in AMEND_FIELDS["treatment"][2:]},
    )
    return new


def _amend_kit(
    session: Session, actor: Actor, case: Case, row: NaloxoneSupply, values: Mapping[str, Any]
) -> Any:
    v = _merged(row, AMEND_FIELDS["naloxone"], values)
    kit = record_naloxone_supply(session, actor, case.id, None, **v)
    kit.case_id = row.case_id  # the kit stays on the case it was given on
    return kit


def note_text(text: str) -> str:
    """A note's text as kept; refuses an empty or over-long note."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise RuleViolation("Write the note first.")
    if len(cleaned) > MAX_NOTE:
        raise RuleViolation(f"Keep a note under {MAX_NOTE} characters; split it in two.")
    return cleaned


def _amend_note(
    session: Session, actor: Actor, case: Case, row: CaseNote, values: Mapping[str, Any]
) -> Any:
    note = CaseNote(
        case_id=row.case_id,
        person_id=row.person_id,
        written_at=row.written_at,
        author_id=actor.id,
        text=note_text(values.get("text", row.text)),
    )
    session.add(note)
    session.flush()
    audit.record(session, actor.id, AuditAction.CREATE, "case_note", note.id, {"case_id": case.id})
    return note


def _amend_person(
    session: Session, actor: Actor, case: Case, row: PersonChange, values: Mapping[str, Any]
) -> Any:
    if "value" not in values:
        raise RuleViolation("Give the corrected value.")
    # The wrong value goes back first, so that the corrected one is a change of its own.
    _revert_person(session, actor, case, row)
    session.flush()
    changed = update_person(
        session, actor, case.id, None, {row.field: values["value"]}, person_version=None
    )
    if not changed:
        raise RuleViolation(
            "That is the value the person had before this change; mark the change entered in "
            "error instead."
        )
    return session.scalars(
        select(PersonChange)
        .where(PersonChange.person_id == row.person_id, PersonChange.field == row.field)
        .order_by(PersonChange.id.desc())
        .limit(1)
    ).one()


_AMENDERS: dict[str, Callable[[Session, Actor, Case, Any, Mapping[str, Any]], Any]] = {
    "attempt": _amend_attempt,
    "consent": _amend_consent,
    "treatment": _amend_treatment,
    "naloxone": _amend_kit,
    "note": _amend_note,
    "person": _amend_person,
}


def amend(
    session: Session,
    actor: Actor,
    case_id: int,
    expected_version: int | None,
    kind: str,
    entry_id: int,
    reason: str,
    values: Mapping[str, Any],
) -> int:
    """Replace an entry by a corrected one; returns the new entry's id.

    The original is marked (it stays, struck through); the corrected entry is checked by the
    same rules as a new one and names the original in ``amends_id``. Either both happen or,
    when a rule refuses the corrected values, neither.
    """
    case = load_case_for_edit(session, actor, case_id, expected_version)
    row = _entry(session, case, kind, entry_id)
    why = _reason(reason)
    _check(session, actor, kind, row)
    unknown = set(values) - set(AMEND_FIELDS[kind])
    if unknown:
        raise RuleViolation(f"These cannot be amended here: {', '.join(sorted(unknown))}.")
    # Marked first, so that what counts while the corrected entry is checked is as if the
    # original had never been made (the consent in force, the attempts so far).
    with session.begin_nested():  # a refusal of the corrected values undoes the mark too
        _void(session, actor, row, why)
        new = _AMENDERS[kind](session, actor, case, row, values)
        new.amends_id = row.id
        session.flush()
    _audit(session, actor, case, kind, row, "amended", why, new.id)
    _after(session, case)
    return int(new.id)
