"""Re-overdose alerts: a new overdose of a person whose case is open, or closed only recently.

When a new referral links to a person with an open case (at import, or by a lead's merge of a
possible match), the case takes the referral and:

- raises an alert for the case's worker, shown at the top of My work as "New overdose on
  DD/MM/YYYY HH:MM" (the incident time, UK time) until the worker acknowledges it (audited);
  leads see open alerts in the inbox;
- restarts the round of contact attempts: the first attempt is due by the schedule from the
  new referral's receipt, and later attempts count from there (``round_started_at``).

A referral for a person whose case closed within ``team_rules.reopen_within_days`` (default 90)
reopens that case: to the same worker while their account is active (status contacting), else
to the inbox (new and unassigned), with the status change and its reason recorded; then it
takes the referral as above. A case closed longer ago stays closed and a new case opens.

On a team server, intake's writes to a case held by another worker go through the server's
``followup_new_overdose`` and ``followup_reopen_recent`` (``protection.team_server``), which
apply the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case as when_then
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework import team_rules
from followup.casework.lifecycle import load_case_for_edit, touch
from followup.casework.schedule import Schedule
from followup.db.models import Case, CaseStatusChange, Person, User, person_display_name, table_of
from followup.errors import RuleViolation
from followup.uktime import short_date_time
from followup.vocab import AuditAction, CaseStatus, Role

__all__ = [
    "REOPEN_TO_INBOX",
    "REOPEN_TO_WORKER",
    "OpenAlert",
    "acknowledge",
    "alert_text",
    "alert_values",
    "open_alerts",
    "raise_alert",
    "reopen_recent",
]

REOPEN_TO_WORKER = "new overdose within {days} days of closing: reopened to the same worker"
REOPEN_TO_INBOX = (
    "new overdose within {days} days of closing: reopened to the inbox "
    "(the previous worker is no longer active)"
)


def alert_text(incident_at: datetime) -> str:
    """What My work and the inbox say about the alert."""
    return f"New overdose on {short_date_time(incident_at)}"


def alert_values(
    referral_id: int, incident_at: datetime, received_at: datetime, schedule: Schedule
) -> dict[str, Any]:
    """The case's columns for a new overdose: the alert, and the contact round restarted."""
    return {
        "reoverdose_referral_id": referral_id,
        "reoverdose_at": incident_at,
        "reoverdose_acknowledged_at": None,
        "reoverdose_acknowledged_by_id": None,
        "round_started_at": received_at,
        "next_action_due_at": schedule.first_attempt_due(received_at),
    }


def raise_alert(
    session: Session,
    case_id: int,
    referral_id: int,
    incident_at: datetime,
    received_at: datetime,
    schedule: Schedule,
) -> None:
    """Raise the alert on an open case and restart its contact round (one statement)."""
    t = table_of(Case)
    latest = when_then(
        (t.c.incident_at.is_(None) | (t.c.incident_at < incident_at), incident_at),
        else_=t.c.incident_at,
    )
    session.execute(
        update(t)
        .where(t.c.id == case_id, t.c.status != CaseStatus.CLOSED)
        .values(
            **alert_values(referral_id, incident_at, received_at, schedule),
            incident_at=latest,
            version=t.c.version + 1,
        )
    )


def reopen_recent(
    session: Session, person_ids: list[int], actor_id: int, now: datetime
) -> dict[int, int]:
    """Reopen each person's case closed within the team's period; returns person -> case.

    Only for people with no open case (the caller asks for those). The case goes back to its
    worker while their account is active, else to the inbox unassigned.
    """
    days = team_rules.reopen_within_days(session)
    if not person_ids or days <= 0:
        return {}
    since = now - timedelta(days=days)
    t = table_of(Case)
    rows = session.execute(
        select(t.c.id, t.c.person_id, t.c.assigned_worker_id, User.active, User.role)
        .outerjoin(User, User.id == t.c.assigned_worker_id)
        .where(
            t.c.person_id.in_(person_ids),
            t.c.status == CaseStatus.CLOSED,
            t.c.closed_at >= since,
        )
        .order_by(t.c.closed_at, t.c.id)
    ).all()
    latest = {r.person_id: r for r in rows}  # the most recently closed one wins
    reopened: dict[int, int] = {}
    for person_id, r in latest.items():
        keep = r.assigned_worker_id is not None and r.active and r.role in (Role.WORKER, Role.LEAD)
        status = CaseStatus.CONTACTING if keep else CaseStatus.NEW
        session.execute(
            update(t)
            .where(t.c.id == r.id)
            .values(
                status=status,
                assigned_worker_id=r.assigned_worker_id if keep else None,
                closure_reason=None,
                closure_note=None,
                no_contact_reason=None,
                closed_at=None,
                version=t.c.version + 1,
            )
        )
        session.execute(
            insert(table_of(CaseStatusChange)).values(
                case_id=r.id,
                from_status=CaseStatus.CLOSED,
                to_status=status,
                changed_at=now,
                changed_by_id=actor_id,
                reason=(REOPEN_TO_WORKER if keep else REOPEN_TO_INBOX).format(days=days),
            )
        )
        reopened[person_id] = r.id
    return reopened


def acknowledge(
    session: Session, actor: Actor, case_id: int, expected_version: int | None = None
) -> None:
    """The case's worker (or a lead) has seen the new overdose: the alert is cleared; audited."""
    case = load_case_for_edit(session, actor, case_id, expected_version)
    if case.reoverdose_at is None or case.reoverdose_acknowledged_at is not None:
        raise RuleViolation("There is no new overdose to acknowledge on this case.")
    at = datetime.now(UTC)
    case.reoverdose_acknowledged_at = at
    case.reoverdose_acknowledged_by_id = actor.id
    touch(case)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        "case",
        case.id,
        {
            "reoverdose_acknowledged_at": [None, at],
            "reoverdose_referral_id": case.reoverdose_referral_id,
        },
    )


@dataclass(frozen=True)
class OpenAlert:
    """A new overdose on an open case that its worker has not yet acknowledged."""

    case_id: int
    police_reference: str
    person: str
    worker: str  # "" when unassigned
    incident_at: datetime

    @property
    def text(self) -> str:
        return alert_text(self.incident_at)


def open_alerts(session: Session, actor: Actor, limit: int = 500) -> list[OpenAlert]:
    """Unacknowledged new overdoses on open cases, newest overdose first (the inbox, leads)."""
    require(actor, "view_all_cases")
    rows = session.execute(
        select(
            Case.id,
            Case.police_reference,
            Case.reoverdose_at,
            Person.first_name,
            Person.last_name,
            Person.description,
            User.display_name,
        )
        .join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == Case.assigned_worker_id)
        .where(
            Case.reoverdose_at.is_not(None),
            Case.reoverdose_acknowledged_at.is_(None),
            Case.status != CaseStatus.CLOSED,
        )
        .order_by(Case.reoverdose_at.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    return [
        OpenAlert(
            case_id=r.id,
            police_reference=r.police_reference,
            person=person_display_name(r.first_name, r.last_name, r.description),
            worker=r.display_name or "",
            incident_at=r.reoverdose_at,
        )
        for r in rows
    ]
