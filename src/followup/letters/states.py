"""Where each stored letter is: due, printed, posted or returned, and the user's word on it.

A letter made is *due* until a print the system accepted, or a saved copy, makes it *printed*
(``making.record_prints``); closing the preview without printing leaves it due. The user marks
a printed letter *posted* once it is in the post, and a posted (or printed) letter *returned*
when the post comes back. For a letter to the person both are contact attempts by letter:
posting logs ``letter_sent`` and a return ``returned_mail``, through the same rules as any
attempt; when those rules refuse (the case was closed, consent withdrawn) the state still
changes and the reason is given.

The Letters view lists stored letters still due or printed, and those posted in the last
``RETURN_WINDOW_DAYS`` days, which can still come back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework.lifecycle import record_contact_attempt
from followup.db.models import Case, Letter, Person, person_display_name
from followup.errors import FollowupError, NotFound, RuleViolation
from followup.letters.templates import TEMPLATES
from followup.vocab import (
    AuditAction,
    CaseStatus,
    ContactMethod,
    ContactOutcome,
    LetterState,
)

__all__ = [
    "RETURN_WINDOW_DAYS",
    "StateChange",
    "StoredLetter",
    "mark_posted",
    "mark_returned",
    "stored_letters_open",
]

RETURN_WINDOW_DAYS = 90


@dataclass(frozen=True)
class StoredLetter:
    """A stored letter on an open case that still needs something: print, post, or a return."""

    letter_id: int
    case_id: int
    template: str
    state: str
    created_at: datetime
    state_at: datetime | None
    person_id: int
    person: str
    worker_id: int | None


@dataclass(frozen=True)
class StateChange:
    """What marking letters did: how many changed, and why an attempt was not logged."""

    changed: int
    attempts: int
    not_logged: tuple[str, ...] = ()


def stored_letters_open(
    session: Session, actor: Actor, now: datetime | None = None
) -> list[StoredLetter]:
    """Stored letters due, printed, or posted lately, on open cases this user works on."""
    require(actor, "print_letters")
    now = now or datetime.now(UTC)
    q = (
        select(
            Letter.id,
            Letter.case_id,
            Letter.template,
            Letter.state,
            Letter.created_at,
            Letter.state_at,
            Person.id.label("person_id"),
            Person.first_name,
            Person.last_name,
            Person.description,
            Case.assigned_worker_id,
        )
        .join(Case, Case.id == Letter.case_id)
        .join(Person, Person.id == Case.person_id)
        .where(
            Case.status != CaseStatus.CLOSED,
            or_(
                Letter.state.in_((LetterState.DUE, LetterState.PRINTED)),
                (Letter.state == LetterState.POSTED)
                & (Letter.state_at >= now - timedelta(days=RETURN_WINDOW_DAYS)),
            ),
        )
        .order_by(Letter.case_id, Letter.created_at, Letter.id)
    )
    if not actor.can("view_all_cases"):
        q = q.where(Case.assigned_worker_id == actor.id)
    return [
        StoredLetter(
            r.id,
            r.case_id,
            r.template,
            r.state,
            r.created_at,
            r.state_at,
            r.person_id,
            person_display_name(r.first_name, r.last_name, r.description),
            r.assigned_worker_id,
        )
        for r in session.execute(q)
    ]


def _letters(session: Session, actor: Actor, ids: Sequence[int]) -> list[tuple[Letter, Case]]:
    require(actor, "print_letters")
    rows: list[tuple[Letter, Case]] = []
    for letter_id in dict.fromkeys(ids):
        letter = session.get(Letter, letter_id, with_for_update=True)
        case = session.get(Case, letter.case_id) if letter else None
        if (
            letter is None
            or case is None
            or not (actor.can("view_all_cases") or case.assigned_worker_id == actor.id)
        ):
            raise NotFound(f"Letter {letter_id} does not exist or is not in your caseload.")
        rows.append((letter, case))
    return rows


def _change(
    session: Session,
    actor: Actor,
    letter_ids: Iterable[int],
    to_state: LetterState,
    allowed_from: tuple[LetterState, ...],
    outcome: ContactOutcome,
    refusal: str,
) -> StateChange:
    rows = _letters(session, actor, list(letter_ids))
    for letter, _case in rows:
        if letter.state not in allowed_from:
            raise RuleViolation(refusal.format(label=TEMPLATES[letter.template].label))
    now = datetime.now(UTC)
    attempts = 0
    not_logged: list[str] = []
    for letter, case in rows:
        before = letter.state
        letter.state = to_state
        letter.state_at = now
        audit.record(
            session,
            actor.id,
            AuditAction.UPDATE,
            "letter",
            letter.id,
            {"case_id": case.id, "state": [before, str(to_state)]},
        )
        if not TEMPLATES[letter.template].to_person:
            continue
        try:
            with session.begin_nested():
                record_contact_attempt(
                    session,
                    actor,
                    case.id,
                    ContactMethod.LETTER,
                    outcome,
                    None,
                    when=now,
                    notes=f"{TEMPLATES[letter.template].label} (letter {letter.id}).",
                )
            attempts += 1
        except FollowupError as exc:
            not_logged.append(f"Case {case.id}: {exc}")
    session.flush()
    return StateChange(len(rows), attempts, tuple(not_logged))


def mark_posted(session: Session, actor: Actor, letter_ids: Iterable[int]) -> StateChange:
    """The user put these printed letters in the post; audited, and a contact attempt each."""
    return _change(
        session,
        actor,
        letter_ids,
        LetterState.POSTED,
        (LetterState.PRINTED,),
        ContactOutcome.LETTER_SENT,
        "Only a printed letter can be marked posted; print the {label} first.",
    )


def mark_returned(session: Session, actor: Actor, letter_ids: Iterable[int]) -> StateChange:
    """The post brought these letters back; audited, and logged as returned mail."""
    return _change(
        session,
        actor,
        letter_ids,
        LetterState.RETURNED,
        (LetterState.PRINTED, LetterState.POSTED),
        ContactOutcome.RETURNED_MAIL,
        "Only a letter that was printed or posted can come back; the {label} was not.",
    )
