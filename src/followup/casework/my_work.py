"""A worker's open cases for the "My work" screen: new overdoses first (until acknowledged),
then overdue, then due today, then later.

Each item says what the next step is and by when, when the overdose was and how long ago, the
last contact, and the person's risk markers (``casework.next_step``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup.access import Actor, require
from followup.casework import next_step, team_rules
from followup.casework.reoverdose import alert_text
from followup.db.models import Case, Person, person_display_name
from followup.db.queries import incident_columns
from followup.errors import PermissionDenied
from followup.uktime import to_uk
from followup.vocab import CaseStatus

__all__ = ["BUCKET_ORDER", "WorkItem", "my_work"]

BUCKET_ORDER = ("alert", "overdue", "today", "later")


@dataclass(frozen=True)
class WorkItem:
    case_id: int
    police_reference: str
    person: str
    status: str
    next_action_due_at: datetime | None
    bucket: str  # alert (a new overdose not yet acknowledged), overdue, today, later
    version: int = 0
    alert: str = ""  # "New overdose on DD/MM/YYYY HH:MM" until acknowledged
    next_step: str = ""
    incident_at: datetime | None = None
    days_since_incident: int | None = None
    last_contact: str = ""
    last_contact_at: datetime | None = None
    risk: str = ""


def my_work(
    session: Session, actor: Actor, worker_id: int | None = None, now: datetime | None = None
) -> list[WorkItem]:
    """A worker's open cases: new overdoses, overdue, due today, then the rest by due time."""
    require(actor, "view_own_cases")
    worker_id = worker_id or actor.id
    if worker_id != actor.id and not actor.can("view_all_cases"):
        raise PermissionDenied("A worker sees only their own work; a team lead can see anyone's.")
    now = now or datetime.now(UTC)
    # The end of today on the UK clock, whatever the computer's own time zone.
    local_midnight = (to_uk(now) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    rows = session.execute(
        select(
            Case.id,
            Case.version,
            Case.person_id,
            Case.police_reference,
            Case.status,
            Case.next_action_due_at,
            Case.round_started_at,
            Case.reoverdose_at,
            Case.reoverdose_acknowledged_at,
            *incident_columns(),
            Person.first_name,
            Person.last_name,
            Person.description,
            Person.no_fixed_abode,
        )
        .join(Person, Person.id == Case.person_id)
        .where(Case.assigned_worker_id == worker_id, Case.status != CaseStatus.CLOSED)
    ).all()
    steps = next_step.step_info(
        session,
        (next_step.CaseFacts(r.id, r.person_id, r.status, r.round_started_at) for r in rows),
        team_rules.schedule(session),
    )
    items = []
    for r in rows:
        due = r.next_action_due_at
        alerted = r.reoverdose_at is not None and r.reoverdose_acknowledged_at is None
        if alerted:
            bucket = "alert"
        elif due is not None and due < now:
            bucket = "overdue"
        elif due is not None and due < local_midnight:
            bucket = "today"
        else:
            bucket = "later"
        info = steps[r.id]
        last = info.last_contact
        incident = r.incident
        items.append(
            WorkItem(
                case_id=r.id,
                police_reference=r.police_reference,
                person=person_display_name(r.first_name, r.last_name, r.description),
                status=r.status,
                next_action_due_at=due,
                bucket=bucket,
                version=r.version,
                alert=alert_text(r.reoverdose_at) if alerted else "",
                next_step=info.next_step,
                incident_at=incident,
                days_since_incident=None if incident is None else max(0, (now - incident).days),
                last_contact=last.text if last else "",
                last_contact_at=last.at if last else None,
                risk=next_step.risk_text(r.overdoses or 0, r.last_overdose, r.no_fixed_abode),
            )
        )
    order = {key: i for i, key in enumerate(BUCKET_ORDER)}
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (order[i.bucket], i.next_action_due_at or far, i.case_id))
    return items
