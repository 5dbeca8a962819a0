"""The cases engaged through their network: reached only through family or friends.

Massachusetts' Post Overdose Support Teams count a survivor as engaged when the team reached
them "either directly or through contact with their social network" (see
``reports.benchmarks``). Our Engaged is the case's status; this module picks out the engaged
cases whose worker never spoke with the person themselves: every attempt where the worker
spoke with someone (outcome spoke, engaged or spoke, declined; attempts entered in error left
out) was made through family or friends (method ``via_family``), and there was at least one.
The figure is ``engaged_network`` in ``reports.definitions``; it is part of Engaged, shown
on its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup.db.models import Case
from followup.reports import queries as q
from followup.reports.definitions import Period
from followup.reports.queries import GroupKey

__all__ = ["network_engaged"]


def network_engaged(session: Session, period: Period, group: GroupKey | None = None) -> Any:
    """Per engaged case of the cohort reached only through its network: id and slice keys.

    A case with a first contact and no first direct contact (milestones kept by casework,
    ``casework.milestones``) spoke with someone only through family or friends, so this is a
    range of the cohort index and never reads the attempts.
    """
    month = q.month_of(session, Case.referred_at, period)
    return (
        select(
            Case.id.label("id"),
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            month.label("month"),
        )
        .where(
            q.in_period(Case.referred_at, period),
            *q.group_filter(session, group, Case.referred_at),
            Case.first_contact_at.is_not(None),
            Case.first_direct_contact_at.is_(None),
            q.engaged_now(),
        )
        .subquery()
    )
