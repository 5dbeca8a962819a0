"""A worker's open cases for the "My work" screen: new overdoses first (until acknowledged),
then overdue, then due today, then later.

Each item says what the next step is and by when, when the overdose was and how long ago, the
last contact, and the person's risk markers (``casework.next_step``).

``work_list`` can stop each group at its most urgent ``per_group`` cases and count the rest in
the database, so that a worker with thousands of open cases gets their list as fast as one with
a few hundred; ``my_work`` is every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from followup.access import Actor, require
from followup.casework import next_step, team_rules
from followup.casework.reoverdose import alert_text
from followup.db.models import Case, Person, person_display_name
from followup.db.queries import incident_columns
from followup.errors import PermissionDenied
from followup.uktime import to_uk
from followup.vocab import CaseStatus

__all__ = ["BUCKET_ORDER", "WorkItem", "WorkList", "my_work", "work_list"]

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


@dataclass(frozen=True)
class WorkList:
    """The cases shown, most urgent first, and how many open cases each group has in all."""

    items: list[WorkItem]
    counts: dict[str, int]  # by bucket, BUCKET_ORDER's keys

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def my_work(
    session: Session, actor: Actor, worker_id: int | None = None, now: datetime | None = None
) -> list[WorkItem]:
    """A worker's open cases: new overdoses, overdue, due today, then the rest by due time."""
    return work_list(session, actor, worker_id, now).items


def work_list(
    session: Session,
    actor: Actor,
    worker_id: int | None = None,
    now: datetime | None = None,
    per_group: int | None = None,
) -> WorkList:
    """``my_work``, each group cut to its first ``per_group`` cases (None: all of them)."""
    require(actor, "view_own_cases")
    worker_id = worker_id or actor.id
    if worker_id != actor.id and not actor.can("view_all_cases"):
        raise PermissionDenied("A worker sees only their own work; a team lead can see anyone's.")
    now = now or datetime.now(UTC)
    # The end of today on the UK clock, whatever the computer's own time zone.
    local_midnight = (to_uk(now) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    mine = and_(Case.assigned_worker_id == worker_id, Case.status != CaseStatus.CLOSED)
    query = (
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
        .where(mine)
    )
    counts: dict[str, int] | None = None
    if per_group is not None:
        group = _group_number(now, local_midnight)
        counts = dict.fromkeys(BUCKET_ORDER, 0)
        for number, n in session.connection().execute(
            select(group, func.count()).where(mine).group_by(group)
        ):
            counts[BUCKET_ORDER[number]] = n
        ranked = (
            select(
                Case.id,
                func.row_number()
                .over(
                    partition_by=group,
                    order_by=(Case.next_action_due_at.is_(None), Case.next_action_due_at, Case.id),
                )
                .label("place"),
            )
            .where(mine)
            .subquery()
        )
        query = query.where(Case.id.in_(select(ranked.c.id).where(ranked.c.place <= per_group)))
    rows = session.connection().execute(query).all()  # Core rows: thousands of cases at 1M
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
    if counts is None:
        counts = {key: sum(1 for i in items if i.bucket == key) for key in BUCKET_ORDER}
    return WorkList(items, counts)


def _group_number(now: datetime, local_midnight: datetime) -> Any:
    """The group of a case as its place in BUCKET_ORDER, in SQL (as ``work_list`` sorts them)."""
    due = Case.next_action_due_at
    alerted = and_(Case.reoverdose_at.is_not(None), Case.reoverdose_acknowledged_at.is_(None))
    return case((alerted, 0), (due < now, 1), (due < local_midnight, 2), else_=3)
