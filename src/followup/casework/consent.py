"""Consent: a versioned history per person and scope; the latest entry per scope is in force.

Withdrawal adds an entry and never deletes history. An entry past its expiry date no longer
counts as given. The gates that other services ask about (may we phone? may we refer?) live
here, each with the sentence that explains a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.db.models import ConsentEntry, User
from followup.errors import RuleViolation

# Which consent scope covers each contact method; methods not listed need no specific scope.
METHOD_SCOPE = {
    "phone": "contact_phone",
    "sms": "contact_sms",
    "letter": "contact_letter",
    "home_visit": "home_visit",
}

SCOPE_TEXT = {
    "contact_phone": "phone calls",
    "contact_sms": "text messages",
    "contact_letter": "letters",
    "home_visit": "home visits",
    "share_with_treatment": "sharing with a treatment service",
    "share_with_gp": "sharing with their GP",
}


@dataclass(frozen=True)
class ConsentState:
    """What is in force for one scope."""

    scope: str
    state: str | None  # given / refused / withdrawn, or None when never asked
    method: str | None
    recorded_at: datetime | None
    expires_on: date | None
    expired: bool

    @property
    def in_force(self) -> bool:
        return self.state == "given" and not self.expired

    @property
    def text(self) -> str:
        if self.state is None:
            return "Not asked"
        if self.expired:
            return f"Expired {self.expires_on:%d/%m/%Y}"
        return vocab.label(self.state)


@dataclass(frozen=True)
class ConsentRecord:
    id: int
    scope: str
    state: str
    method: str
    recorded_at: datetime
    recorded_by: str
    source: str
    expires_on: date | None
    evidence: str


def _latest(session: Session, person_id: int) -> dict[str, ConsentEntry]:
    entries = session.scalars(
        select(ConsentEntry)
        .where(ConsentEntry.person_id == person_id)
        .order_by(ConsentEntry.recorded_at, ConsentEntry.id)
    )
    latest: dict[str, ConsentEntry] = {}
    for entry in entries:
        latest[entry.scope] = entry
    return latest


def consent_states(
    session: Session, person_id: int, today: date | None = None
) -> dict[str, ConsentState]:
    """Every scope's state in force, in the order of DESIGN.md."""
    today = today or datetime.now(UTC).date()
    latest = _latest(session, person_id)
    states = {}
    for scope in vocab.CONSENT_SCOPES:
        e = latest.get(scope)
        states[scope] = ConsentState(
            scope=scope,
            state=e.state if e else None,
            method=e.method if e else None,
            recorded_at=e.recorded_at if e else None,
            expires_on=e.expires_on if e else None,
            expired=bool(e and e.expires_on and e.expires_on < today),
        )
    return states


def consent_in_force(session: Session, person_id: int, scope: str) -> bool:
    return consent_states(session, person_id)[scope].in_force


def history(session: Session, person_id: int) -> list[ConsentRecord]:
    rows = session.execute(
        select(ConsentEntry, User.display_name)
        .outerjoin(User, User.id == ConsentEntry.recorded_by_id)
        .where(ConsentEntry.person_id == person_id)
        .order_by(ConsentEntry.recorded_at.desc(), ConsentEntry.id.desc())
    ).all()
    return [
        ConsentRecord(
            id=e.id,
            scope=e.scope,
            state=e.state,
            method=e.method,
            recorded_at=e.recorded_at,
            recorded_by=name or "",
            source=e.source or "",
            expires_on=e.expires_on,
            evidence=e.evidence or "",
        )
        for e, name in rows
    ]


def record(
    session: Session,
    actor_id: int,
    person_id: int,
    case_id: int | None,
    scope: str,
    state: str,
    method: str,
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
    if expires_on is not None and state != "given":
        raise RuleViolation("Only consent that is given can have an expiry date.")
    if expires_on is not None and expires_on <= when.date():
        raise RuleViolation("The expiry date must be after the day consent was given.")
    current = consent_states(session, person_id)[scope]
    if state == "withdrawn" and current.state != "given":
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
        "create",
        "consent",
        entry.id,
        {"person_id": person_id, "scope": scope, "state": [current.state, state], "method": method},
    )
    return entry


def require_contact_allowed(session: Session, person_id: int, method: str) -> None:
    """Refuse an attempt by a method whose consent was refused or withdrawn."""
    scope = METHOD_SCOPE.get(method)
    if scope is None:
        return
    state = consent_states(session, person_id)[scope]
    if state.state in ("refused", "withdrawn"):
        raise RuleViolation(
            f"Consent to {SCOPE_TEXT[scope]} was {state.state} on "
            f"{state.recorded_at:%d/%m/%Y}; use another way to reach the person."
        )


def require_in_force(session: Session, person_id: int, scope: str, purpose: str) -> None:
    """Refuse ``purpose`` unless consent for ``scope`` is in force, saying what is missing."""
    state = consent_states(session, person_id)[scope]
    if state.in_force:
        return
    if state.state is None:
        why = "has not been recorded"
    elif state.expired:
        why = f"expired on {state.expires_on:%d/%m/%Y}"
    else:
        why = f"was {state.state}"
    raise RuleViolation(
        f"{purpose[0].upper()}{purpose[1:]} needs the person's consent to {SCOPE_TEXT[scope]}, "
        f"which {why}."
    )
