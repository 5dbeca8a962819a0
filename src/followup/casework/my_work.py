"""A worker's open cases for the "My work" screen: overdue first, then due today, then later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup.access import Actor, require
from followup.db.models import Case, Person, person_display_name
from followup.errors import PermissionDenied
from followup.vocab import CaseStatus

__all__ = ["WorkItem", "my_work"]


@dataclass(frozen=True)
class WorkItem:
    case_id: int
    police_reference: str
    person: str
    status: str
    next_action_due_at: datetime | None
    bucket: str  # overdue, today, later


def my_work(
    session: Session, actor: Actor, worker_id: int | None = None, now: datetime | None = None
) -> list[WorkItem]:
    """A worker's open cases: overdue first, then due today, then the rest by due time."""
    require(actor, "view_own_cases")
    worker_id = worker_id or actor.id
    if worker_id != actor.id and not actor.can("view_all_cases"):
        raise PermissionDenied("A worker sees only their own work; a team lead can see anyone's.")
    now = now or datetime.now(UTC)
    local_midnight = (now.astimezone() + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    rows = session.execute(
        select(
            Case.id,
            Case.police_reference,
            Case.status,
            Case.next_action_due_at,
            Person.first_name,
            Person.last_name,
            Person.description,
        )
        .join(Person, Person.id == Case.person_id)
        .where(Case.assigned_worker_id == worker_id, Case.status != CaseStatus.CLOSED)
    ).all()
    items = []
    for r in rows:
        due = r.next_action_due_at
        if due is not None and due < now:
            bucket = "overdue"
        elif due is not None and due < local_midnight:
            bucket = "today"
        else:
            bucket = "later"
        name = person_display_name(r.first_name, r.last_name, r.description)
        items.append(WorkItem(r.id, r.police_reference, name, r.status, due, bucket))
    order = {"overdue": 0, "today": 1, "later": 2}
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (order[i.bucket], i.next_action_due_at or far, i.case_id))
    return items
