"""Searching and exporting the audit trail, for team leads and administrators.

Filters: who (user), which case, what (action) and when (a UTC period, start inclusive, end
exclusive). A case matches the events about the case itself and about its parts: events
whose details name it (``"case_id": N``, as contact attempts, letters, treatment referrals and
kits record), and events about its person (entity ``person``, or details naming
``"person_id"``, as consent records do). An administrator who is not also a lead sees no case
data, so the details of events about case data are withheld from them; the rest of the row
(who, when, what, which record) is shown. Personal before/after values of an event live apart
(``audit_private_value``, see ``followup.audit``): they are shown with the event while the
person exists, and as "(removed by retention)" after the retention purge. Exports are CSV, safe to open in a spreadsheet, and
are themselves audited (the filters and the row count, never the rows).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor, require
from followup.db.models import AuditEvent, AuditPrivateValue, Case, User
from followup.errors import FollowupError
from followup.files import write_safe_csv
from followup.uktime import DATE_TIME_FORMAT, to_uk
from followup.vocab import AuditAction

__all__ = [
    "CASE_DATA_ENTITIES",
    "EXPORT_BATCH",
    "EXPORT_COLUMNS",
    "MAX_PAGE",
    "PAGE_SIZE",
    "REMOVED_BY_RETENTION",
    "WITHHELD",
    "AuditFilters",
    "AuditRow",
    "AuditUser",
    "audit_users",
    "export_audit",
    "search_audit",
]

log = logging.getLogger(__name__)

PAGE_SIZE = 200
EXPORT_BATCH = 2000
MAX_PAGE = 5000

# Events about these records can carry personal or health data in their details.
CASE_DATA_ENTITIES = frozenset(
    {
        "case",
        "person",
        "consent",
        "contact_attempt",
        "treatment_referral",
        "naloxone_supply",
        "letter",
        "match_review",
        "referral",
        "case_note",
        "person_change",
    }
)
WITHHELD = "(withheld: case data)"
REMOVED_BY_RETENTION = "(removed by retention)"

EXPORT_COLUMNS = (
    "event_id",
    "time",  # UK time with its offset: 2026-07-14T14:30:05+01:00
    "user",
    "user_name",
    "action",
    "entity",
    "entity_id",
    "details",
)


@dataclass(frozen=True)
class AuditFilters:
    """What to look for; None means any."""

    user_id: int | None = None
    case_id: int | None = None
    action: str | None = None
    start: datetime | None = None  # inclusive, aware (UTC or local)
    end: datetime | None = None  # exclusive

    def described(self) -> dict[str, Any]:
        """The filters as plain values, for the export's audit row and first line."""
        return {
            k: (v.astimezone(UTC).isoformat(timespec="seconds") if isinstance(v, datetime) else v)
            for k, v in asdict(self).items()
            if v is not None
        }


@dataclass(frozen=True)
class AuditRow:
    """One audit event as plain data."""

    id: int
    at: datetime
    user_id: int | None
    username: str  # the user's login name, or the name typed at a failed sign-in
    user_display_name: str
    action: str
    entity: str | None
    entity_id: int | None
    details: str | None  # JSON, or WITHHELD
    details_withheld: bool = False
    private_removed: bool = False  # its personal values went with the retention purge


@dataclass(frozen=True)
class AuditUser:
    id: int
    username: str
    display_name: str
    active: bool


def audit_users(session: Session, actor: Actor) -> list[AuditUser]:
    """Every user, switched off or not, for the "who" filter."""
    require(actor, "view_audit")
    users = session.scalars(select(User).order_by(User.display_name, User.username))
    return [AuditUser(u.id, u.username, u.display_name, u.active) for u in users]


def _mentions(key: str, value: int) -> Any:
    # record() writes details with json.dumps(sort_keys=True) and its default separators, so
    # a key and number appear as `"key": N` followed by a comma or the closing brace.
    return or_(
        AuditEvent.details.like(f'%"{key}": {int(value)},%'),
        AuditEvent.details.like(f'%"{key}": {int(value)}}}%'),
    )


def _check(filters: AuditFilters) -> None:
    if filters.action is not None and filters.action not in vocab.AUDIT_ACTIONS:
        raise FollowupError(
            f"There is no audit action called {filters.action!r}; choose one from the list."
        )
    for when in (filters.start, filters.end):
        if when is not None and when.tzinfo is None:
            raise ValueError("audit search times must be timezone-aware")
    if filters.start and filters.end and filters.end <= filters.start:
        raise FollowupError("The end of the period is before its start; check the dates.")


def _query(session: Session, filters: AuditFilters) -> Select[AuditEvent, str, str]:
    _check(filters)
    q = select(AuditEvent, User.username, User.display_name).outerjoin(
        User, User.id == AuditEvent.user_id
    )
    conditions = []
    if filters.user_id is not None:
        conditions.append(AuditEvent.user_id == filters.user_id)
    if filters.action is not None:
        conditions.append(AuditEvent.action == filters.action)
    if filters.start is not None:
        conditions.append(AuditEvent.at >= filters.start)
    if filters.end is not None:
        conditions.append(AuditEvent.at < filters.end)
    if filters.case_id is not None:
        about_case = [
            and_(AuditEvent.entity == "case", AuditEvent.entity_id == filters.case_id),
            _mentions("case_id", filters.case_id),
        ]
        person_id = session.scalar(select(Case.person_id).where(Case.id == filters.case_id))
        if person_id is not None:
            about_case += [
                and_(AuditEvent.entity == "person", AuditEvent.entity_id == person_id),
                _mentions("person_id", person_id),
            ]
        conditions.append(or_(*about_case))
    return q.where(*conditions).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _withheld(actor: Actor, event: AuditEvent) -> bool:
    return (
        event.details is not None
        and event.entity in CASE_DATA_ENTITIES
        and not actor.can("view_all_cases")
    )


def _has_private(event: AuditEvent) -> bool:
    return event.details is not None and '"private_values": true' in event.details


def _private_values(session: Session, actor: Actor, events: list[AuditEvent]) -> dict[int, str]:
    """The kept personal values of these events, for those the actor may see."""
    ids = [e.id for e in events if _has_private(e) and not _withheld(actor, e)]
    if not ids:
        return {}
    rows = session.execute(
        select(AuditPrivateValue.audit_event_id, AuditPrivateValue.details).where(
            AuditPrivateValue.audit_event_id.in_(ids)
        )
    )
    return {event_id: details for event_id, details in rows}


def _with_private(details: str, private: str | None) -> tuple[str, bool]:
    """The event's details with its personal values put back, or marked as removed."""
    try:
        shown = json.loads(details)
        values = json.loads(private) if private is not None else None
    except ValueError:
        return details, False
    if not isinstance(shown, dict):
        return details, False
    shown.pop("private_values", None)
    if isinstance(values, dict):
        shown.pop("fields", None)  # the values name the fields themselves
        shown.update(values)
        removed = False
    else:
        shown["values"] = REMOVED_BY_RETENTION
        removed = True
    return json.dumps(shown, sort_keys=True), removed


def _row(
    actor: Actor,
    event: AuditEvent,
    username: str | None,
    display: str | None,
    private: dict[int, str] | None = None,
) -> AuditRow:
    withheld = _withheld(actor, event)
    details, removed = event.details, False
    if not withheld and event.details is not None and _has_private(event):
        details, removed = _with_private(event.details, (private or {}).get(event.id))
    return AuditRow(
        id=event.id,
        at=event.at,
        user_id=event.user_id,
        username=username or event.username or "",
        user_display_name=display or "",
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        details=WITHHELD if withheld else details,
        details_withheld=withheld,
        private_removed=removed,
    )


def search_audit(
    session: Session,
    actor: Actor,
    *,
    user_id: int | None = None,
    case_id: int | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[AuditRow]:
    """One page of matching events, newest first."""
    require(actor, "view_audit")
    filters = AuditFilters(user_id, case_id, action, start, end)
    q = _query(session, filters).limit(max(1, min(limit, MAX_PAGE))).offset(max(0, offset))
    rows = session.execute(q).all()
    private = _private_values(session, actor, [e for e, _, _ in rows])
    return [_row(actor, e, u, d, private) for e, u, d in rows]


def _all_rows(session: Session, actor: Actor, filters: AuditFilters) -> Iterator[AuditRow]:
    # Keyset pages (newest first), so that a long export never holds the whole trail at once.
    last: tuple[datetime, int] | None = None
    base = _query(session, filters)
    while True:
        q = base
        if last is not None:
            at, event_id = last
            q = q.where(
                or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < event_id))
            )
        batch = session.execute(q.limit(EXPORT_BATCH)).all()
        private = _private_values(session, actor, [e for e, _, _ in batch])
        for event, username, display in batch:
            yield _row(actor, event, username, display, private)
        if len(batch) < EXPORT_BATCH:
            return
        last = (batch[-1][0].at, batch[-1][0].id)


def export_audit(session: Session, actor: Actor, filters: AuditFilters, path: Path) -> int:
    """Write the matching events to a CSV file; the export is audited. Returns the row count."""
    require(actor, "view_audit")
    _check(filters)
    path = Path(path)
    if not path.parent.is_dir():
        raise FollowupError(f"There is no folder {path.parent}; choose an existing folder.")
    made = datetime.now(UTC)
    described = filters.described()
    about = (
        f"# Followup audit trail; filters: "
        f"{json.dumps(described, sort_keys=True) if described else 'none'}; "
        f"made {to_uk(made).strftime(DATE_TIME_FORMAT)} UK time by {actor.username}"
    )
    rows = (
        (
            r.id,
            to_uk(r.at).isoformat(timespec="seconds"),
            r.username,
            r.user_display_name,
            r.action,
            r.entity or "",
            r.entity_id if r.entity_id is not None else "",
            r.details or "",
        )
        for r in _all_rows(session, actor, filters)
    )
    count = write_safe_csv(path, about, EXPORT_COLUMNS, rows)
    audit.record(
        session,
        actor.id,
        AuditAction.EXPORT,
        "export",
        None,
        {"kind": "audit_csv", "filters": described, "rows": count},
    )
    log.info("Audit trail export made: %d rows", count)
    return count
