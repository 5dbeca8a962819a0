"""The append-only audit trail: who did what, to which record, and what changed.

Only ``record`` writes here, and nothing in Followup updates or deletes an audit row. Details
are stored in the database (which holds the case data anyway), never written to the log.

On a PostgreSQL team server no login may write the audit tables: ``record`` calls the server's
definer functions instead, which stamp the signed-in login (``session_user``) and the server's
clock, so the caller chooses neither; the server's row triggers audit every change besides.

Personal values (a person's old and new phone number, address …) never go into an audit row,
which is kept for ever: ``record_with_private`` puts them in ``audit_private_value``, linked to
the event and the person, and the event names only the fields. The retention purge deletes
those values with the person; the event stays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from followup.audit import chain  # imported for its listener: chains every SQLite audit event
from followup.db.engine import enforced_by_server
from followup.db.models import AuditEvent, AuditPrivateValue
from followup.vocab import AuditAction

__all__ = ["chain", "changes", "record", "record_many", "record_with_private", "search"]


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
) -> AuditEvent | None:
    """Add one audit event to the session's transaction (None: the server wrote it)."""
    text = json.dumps(details, default=_plain, sort_keys=True) if details else None
    if enforced_by_server(session):
        # Not flushing first: the caller's changes may be half made (a case closed whose
        # reason comes next), and the server's function needs none of them.
        with session.no_autoflush:
            session.execute(select(func.followup_audit(str(action), entity, entity_id, text)))
        return None
    event = AuditEvent(
        user_id=actor_id,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=text,
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    actor_id: int | None,
    action: AuditAction,
    entity: str,
    events: Sequence[tuple[int | None, dict[str, Any] | None]],
) -> None:
    """Write one event per (entity id, details) of ``events``, in that order, with one
    statement (a batch of letters): the same rows, and on SQLite the same chain, as
    ``record`` once for each. The session is flushed first, so they come after anything
    it holds."""
    if not events:
        return
    if enforced_by_server(session):
        for entity_id, details in events:
            record(session, actor_id, action, entity, entity_id, details)
        return
    session.flush()
    rows: list[dict[str, Any]] = [
        {
            "at": None,
            "user_id": actor_id,
            "username": None,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "details": json.dumps(details, default=_plain, sort_keys=True) if details else None,
            "chain": None,
        }
        for entity_id, details in events
    ]
    connection = session.connection()
    chain.chain_rows(connection, rows)
    # Core, not the ORM: the rows carry their chain already (no per-row listener).
    connection.execute(insert(cast(Table, AuditEvent.__table__)), rows)


def record_with_private(
    session: Session,
    actor_id: int | None,
    action: AuditAction,
    entity: str | None,
    entity_id: int | None,
    public: dict[str, Any],
    private: dict[str, Any],
    person_id: int | None,
) -> AuditEvent | None:
    """Add an audit event whose personal values are kept apart, for the retention purge.

    The event holds ``public`` (never personal data) and ``"private_values": true`` when there
    are private values; ``private`` goes to ``audit_private_value`` under ``person_id`` (None
    for a value that is nobody's in particular, such as the text of a search).
    """
    details = {**public, "private_values": True} if private else public
    if private and enforced_by_server(session):
        with session.no_autoflush:
            session.execute(
                select(
                    func.followup_audit_private(
                        str(action),
                        entity,
                        entity_id,
                        json.dumps(details, default=_plain, sort_keys=True),
                        json.dumps(private, default=_plain, sort_keys=True),
                        person_id,
                    )
                )
            )
        return None
    event = record(session, actor_id, action, entity, entity_id, details)
    if private and event is not None:
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
