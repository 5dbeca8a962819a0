"""The append-only audit trail: who did what, to which record, and what changed.

Only ``record`` writes here, and nothing in Followup updates or deletes an audit row. Details
are stored in the database (which holds the case data anyway), never written to the log.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from followup.db.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: Session,
    actor_id: int | None,
    action: str,
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


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that differ, as ``{field: [before, after]}``."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
