"""The append-only audit trail: who did what, to which record, and what changed.

Only ``record`` writes here, and nothing in Followup updates or deletes an audit row. Details
are stored in the database (which holds the case data anyway), never written to the log.

Personal values (a person's old and new phone number, address …) never go into an audit row,
which is kept for ever: ``record_with_private`` puts them in ``audit_private_value``, linked to
the event and the person, and the event names only the fields. The retention purge deletes
those values with the person; the event stays.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from followup.audit import chain  # imported for its listener: chains every SQLite audit event
from followup.db.models import AuditEvent, AuditPrivateValue
from followup.vocab import AuditAction

__all__ = ["chain", "changes", "record", "record_with_private", "search"]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: Session,
    actor_id: int | None,
    action: AuditAction,
    entity: str | None = None,
    entity_id: int | None = None,
    details: dict[str, Any] | None = None,
    *,
    username: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session's transaction."""
    event = AuditEvent(
        user_id=actor_id,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=json.dumps(details, default=_plain, sort_keys=True) if details else None,
    )
    session.add(event)
    return event


def record_with_private(
    session: Session,
    actor_id: int | None,
    action: AuditAction,
    entity: str | None,
    entity_id: int | None,
    public: dict[str, Any],
    private: dict[str, Any],
    person_id: int,
) -> AuditEvent:
    """Add an audit event whose personal values are kept apart, for the retention purge.

    The event holds ``public`` (never personal data) and ``"private_values": true`` when there
    are private values; ``private`` goes to ``audit_private_value`` under ``person_id``.
    """
    details = {**public, "private_values": True} if private else public
    event = record(session, actor_id, action, entity, entity_id, details)
    if private:
        session.add(
            AuditPrivateValue(
                event=event,
                person_id=person_id,
                details=json.dumps(private, default=_plain, sort_keys=True),
            )
        )
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that differ, as ``{field: [before, after]}``."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
