"""Consent: a versioned history per person and scope; the latest entry per scope is in force.

Withdrawal adds an entry and never deletes history. An entry past its expiry date no longer
counts as given. The gates that other services ask about (may we phone? may we refer?) live
here, each with the sentence that explains a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.db.models import ConsentEntry, User, not_voided
from followup.errors import RuleViolation
from followup.uktime import short_date, uk_today
from followup.vocab import AuditAction, ConsentMethod, ConsentScope, ContactMethod

__all__ = [
    "METHOD_SCOPE",
    "SCOPE_TEXT",
    "ConsentRecord",
    "ConsentState",
    "consent_in_force",
    "consent_states",
    "consent_states_of",
    "entry_records",
    "entry_states",
    "histories",
    "refusal",
    "history",
    "record",
    "require_contact_allowed",
    "require_in_force",
]

# Which consent scope covers each contact method; methods not listed need no specific scope.
METHOD_SCOPE: dict[str, ConsentScope] = {
    ContactMethod.PHONE: ConsentScope.CONTACT_PHONE,
    ContactMethod.SMS: ConsentScope.CONTACT_SMS,
    ContactMethod.LETTER: ConsentScope.CONTACT_LETTER,
    ContactMethod.HOME_VISIT: ConsentScope.HOME_VISIT,
}

SCOPE_TEXT: dict[str, str] = {
    ConsentScope.CONTACT_PHONE: "phone calls",
    ConsentScope.CONTACT_SMS: "text messages",
    ConsentScope.CONTACT_LETTER: "letters",
    ConsentScope.HOME_VISIT: "home visits",
    ConsentScope.SHARE_WITH_TREATMENT: "sharing with a treatment service",
    ConsentScope.SHARE_WITH_GP: "sharing with their GP",
    ConsentScope.NDTMS_REPORTING: "reporting to NDTMS (national treatment data)",
}


@dataclass(frozen=True)
class ConsentState:
    """What is in force for one scope."""

    scope: ConsentScope
    state: vocab.ConsentState | None  # given / refused / withdrawn, or None when never asked
    method: ConsentMethod | None
    recorded_at: datetime | None
    expires_on: date | None
    expired: bool

    @property
    def in_force(self) -> bool:
        return self.state == vocab.ConsentState.GIVEN and not self.expired

    @property
    def text(self) -> str:
        if self.state is None:
            return "Not asked"
        if self.expired:
            return f"Expired {short_date(self.expires_on)}"
        return vocab.label(self.state)


@dataclass(frozen=True)
class ConsentRecord:
    """One entry of a person's consent history, as the case view lists it."""

    id: int
    scope: str
    state: str
    method: str
    recorded_at: datetime
    recorded_by: str
    source: str
    expires_on: date | None
    evidence: str
    # Set when the entry was marked entered in error or amended (then it no longer counts).
    voided_at: datetime | None = None
    voided_by_id: int | None = None
    void_reason: str = ""
    amends_id: int | None = None


def consent_states_of(
    session: Session, person_ids: Iterable[int], today: date | None = None
) -> dict[int, dict[str, ConsentState]]:
    """Each person's states in force (as ``consent_states``), in one query per 500 people:
    a batch of letters reads everyone's consent once instead of once a letter."""
    today = today or uk_today()
    ids = sorted(set(person_ids))
    latest: dict[int, dict[str, Any]] = {p: {} for p in ids}
    for start in range(0, len(ids), 500):
        # Plain rows, not ORM objects: only what the state in force needs.
        for entry in session.execute(
            select(
                ConsentEntry.person_id,
                ConsentEntry.scope,
                ConsentEntry.state,
                ConsentEntry.method,
                ConsentEntry.recorded_at,
                ConsentEntry.expires_on,
            )
            .where(ConsentEntry.person_id.in_(ids[start : start + 500]), not_voided(ConsentEntry))
            .order_by(ConsentEntry.recorded_at, ConsentEntry.id)
        ):
            latest[entry.person_id][entry.scope] = entry
    return {person_id: _states(entries, today) for person_id, entries in latest.items()}


# Stored strings to their members by a dict lookup: My work turns thousands of rows at once.
_STATES = {m.value: m for m in vocab.ConsentState}
_METHODS = {m.value: m for m in ConsentMethod}


def _states(latest: Mapping[str, Any], today: date) -> dict[str, ConsentState]:
    # Keyed by ConsentScope members, which are the stored strings.
    states: dict[str, ConsentState] = {}
    for scope in vocab.CONSENT_SCOPES:
        e = latest.get(scope)
        states[scope] = ConsentState(
            scope=scope,
            state=_STATES[e.state] if e else None,
            method=_METHODS[e.method] if e else None,
            recorded_at=e.recorded_at if e else None,
            expires_on=e.expires_on if e else None,
            expired=bool(e and e.expires_on and e.expires_on < today),
        )
    return states


def entry_states(
    entries: Iterable[ConsentEntry], today: date | None = None
) -> dict[str, ConsentState]:
    """``consent_states`` from a person's entries read already (voided ones are passed over)."""
    latest: dict[str, ConsentEntry] = {}
    for entry in sorted(
        (e for e in entries if e.voided_at is None), key=lambda e: (e.recorded_at, e.id)
    ):
        latest[entry.scope] = entry
    return _states(latest, today or uk_today())


def entry_records(entries: Iterable[ConsentEntry], names: Mapping[int, str]) -> list[ConsentRecord]:
    """``history`` from a person's entries read already, with ``names`` of users by id."""
    return [
        _record(e, names.get(e.recorded_by_id or 0, ""))
        for e in sorted(
            (e for e in entries if e.voided_at is None),
            key=lambda e: (e.recorded_at, e.id),
            reverse=True,
        )
    ]


def _record(e: ConsentEntry, recorded_by: str | None) -> ConsentRecord:
    return ConsentRecord(
        id=e.id,
        scope=e.scope,
        state=e.state,
        method=e.method,
        recorded_at=e.recorded_at,
        recorded_by=recorded_by or "",
        source=e.source or "",
        expires_on=e.expires_on,
        evidence=e.evidence or "",
        voided_at=e.voided_at,
        voided_by_id=e.voided_by_id,
        void_reason=e.void_reason or "",
        amends_id=e.amends_id,
    )


def consent_states(
    session: Session, person_id: int, today: date | None = None
) -> dict[str, ConsentState]:
    """Every scope's state in force, in the order of DESIGN.md."""
    return consent_states_of(session, [person_id], today)[person_id]


def consent_in_force(session: Session, person_id: int, scope: ConsentScope) -> bool:
    """Whether consent for ``scope`` is given now (and not expired)."""
    return consent_states(session, person_id)[scope].in_force


def history(
    session: Session, person_id: int, *, include_voided: bool = False
) -> list[ConsentRecord]:
    """Every consent entry of the person that counts, newest first; with ``include_voided``
    also those corrected (entered in error or amended), as the timeline shows them."""
    return histories(session, [person_id], include_voided=include_voided)[person_id]


def histories(
    session: Session, person_ids: Iterable[int], *, include_voided: bool = False
) -> dict[int, list[ConsentRecord]]:
    """``history`` of each person, in one query per 500 people."""
    ids = sorted(set(person_ids))
    found: dict[int, list[ConsentRecord]] = {p: [] for p in ids}
    for start in range(0, len(ids), 500):
        query = (
            select(ConsentEntry, User.display_name)
            .outerjoin(User, User.id == ConsentEntry.recorded_by_id)
            .where(ConsentEntry.person_id.in_(ids[start : start + 500]))
            .order_by(ConsentEntry.recorded_at.desc(), ConsentEntry.id.desc())
        )
        if not include_voided:
            query = query.where(not_voided(ConsentEntry))
        for e, name in session.execute(query):
            found[e.person_id].append(_record(e, name))
    return found


def record(
    session: Session,
    actor_id: int,
    person_id: int,
    case_id: int | None,
    scope: ConsentScope,
    state: vocab.ConsentState,
    method: ConsentMethod,
    *,
    when: datetime | None = None,
    evidence: str | None = None,
    expires_on: date | None = None,
    source: str | None = None,
) -> ConsentEntry:
    """Add one entry to the history (the caller checks who may change the case)."""
    if scope not in vocab.CONSENT_SCOPES:
        raise RuleViolation(f"There is no consent scope called {scope!r}.")
    if state not in vocab.CONSENT_STATES:
        raise RuleViolation("Consent is given, refused or withdrawn.")
    if method not in vocab.CONSENT_METHODS:
        raise RuleViolation(
            "Say how consent was recorded: at the scene, by phone, in person or written."
        )
    when = when or datetime.now(UTC)
    if when > datetime.now(UTC):
        raise RuleViolation("Consent cannot be recorded for a time in the future.")
    if expires_on is not None and state != vocab.ConsentState.GIVEN:
        raise RuleViolation("Only consent that is given can have an expiry date.")
    if expires_on is not None and expires_on <= when.date():
        raise RuleViolation("The expiry date must be after the day consent was given.")
    current = consent_states(session, person_id)[scope]
    if state == vocab.ConsentState.WITHDRAWN and current.state != vocab.ConsentState.GIVEN:
        raise RuleViolation(
            f"Consent to {SCOPE_TEXT[scope]} can be withdrawn only when it was given; "
            "record it as refused instead."
        )
    entry = ConsentEntry(
        person_id=person_id,
        case_id=case_id,
        scope=scope,
        state=state,
        method=method,
        recorded_at=when,
        recorded_by_id=actor_id,
        source=source,
        expires_on=expires_on,
        evidence=(evidence or "").strip() or None,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor_id,
        AuditAction.CREATE,
        "consent",
        entry.id,
        {"person_id": person_id, "scope": scope, "state": [current.state, state], "method": method},
    )
    return entry


def require_contact_allowed(session: Session, person_id: int, method: ContactMethod) -> None:
    """Refuse an attempt by a method whose consent was refused or withdrawn."""
    scope = METHOD_SCOPE.get(method)
    if scope is None:
        return
    state = consent_states(session, person_id)[scope]
    if state.state in (vocab.ConsentState.REFUSED, vocab.ConsentState.WITHDRAWN):
        raise RuleViolation(
            f"Consent to {SCOPE_TEXT[scope]} was {state.state} on "
            f"{short_date(state.recorded_at)}; use another way to reach the person."
        )


def require_in_force(
    session: Session,
    person_id: int,
    scope: ConsentScope,
    purpose: str,
    *,
    states: Mapping[str, ConsentState] | None = None,
) -> None:
    """Refuse ``purpose`` unless consent for ``scope`` is in force, saying what is missing.

    ``states`` is the person's ``consent_states`` when the caller has read them already."""
    state = (states if states is not None else consent_states(session, person_id))[scope]
    problem = refusal(state, purpose)
    if problem:
        raise RuleViolation(problem)


def refusal(state: ConsentState, purpose: str) -> str | None:
    """Why ``purpose`` may not go ahead with this state of consent in force, or None."""
    if state.in_force:
        return None
    if state.state is None:
        why = "has not been recorded"
    elif state.expired:
        why = f"expired on {short_date(state.expires_on)}"
    else:
        why = f"was {state.state}"
    return (
        f"{purpose[0].upper()}{purpose[1:]} needs the person's consent to "
        f"{SCOPE_TEXT[state.scope]}, which {why}."
    )
