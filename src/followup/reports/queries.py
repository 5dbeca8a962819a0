"""The SQL behind the team-lead figures: per-case facts and the dialect helpers they need.

SQLite keeps UTC times as text and has no interval type, PostgreSQL has both: the few places
that differ (seconds between two times, the month of a time) are behind small helpers, so
that the same queries run on both and agree to the second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from followup import vocab
from followup.db.models import (
    Case,
    CaseStatusChange,
    ContactAttempt,
    NaloxoneSupply,
    Referral,
    not_voided,
)
from followup.errors import FollowupError
from followup.reports.definitions import BREAKDOWNS, Period
from followup.vocab import CaseStatus, ClosureReason

__all__ = [
    "ENGAGED_STATUSES",
    "REFERRED_STATUSES",
    "GroupKey",
    "attempt_facts",
    "group_filter",
    "in_period",
    "is_sqlite",
    "kits_in",
    "month_of",
    "overdue_now",
    "repeat_referrals",
    "seconds_between",
    "status_facts",
]

# A case that reached any of these statuses counts as engaged (or as referred).
ENGAGED_STATUSES = (CaseStatus.ENGAGED, CaseStatus.REFERRED, CaseStatus.IN_TREATMENT)
REFERRED_STATUSES = (CaseStatus.REFERRED, CaseStatus.IN_TREATMENT)

GroupKey = tuple[str, "int | str | None"]


# ------------------------------------------------------------------------- dialect helpers


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Whole seconds from ``earlier`` to ``later`` (NULL when either is NULL), on either backend.

    SQLite keeps UTC as text, so the difference goes through julianday(); rounding to the
    second makes both backends agree exactly.
    """
    if is_sqlite(session):
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0)
    return func.round(extract("epoch", later - earlier))


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """'YYYY-MM' of a UTC time or a date."""
    if is_sqlite(session):
        return func.substr(column, 1, 7)
    return func.to_char(column, "YYYY-MM")


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start_at, column < period.end_at)


def group_filter(session: Session, group: GroupKey | None, month_column: Any) -> list[Any]:
    if group is None:
        return []
    by, key = group
    if by == "worker":
        return [
            Case.assigned_worker_id.is_(None) if key is None else Case.assigned_worker_id == key
        ]
    if by == "area":
        return [Case.area.is_(None) if key is None else Case.area == key]
    if by == "month":
        return [month_of(session, month_column) == key]
    raise FollowupError(f"A breakdown is by {', '.join(BREAKDOWNS)}, not {by!r}.")


# ------------------------------------------------------------------------- per-case facts


def attempt_facts(session: Session, period: Period, group: GroupKey | None = None) -> Any:
    """Per case of the cohort: its slice keys and the seconds to first attempt and contact."""
    first_attempt = func.min(ContactAttempt.attempted_at)
    first_contact = func.min(
        case((ContactAttempt.outcome.in_(vocab.CONTACT_MADE_OUTCOMES), ContactAttempt.attempted_at))
    )
    inner = (
        select(
            Case.id.label("id"),
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            month_of(session, Case.referred_at).label("month"),
            Case.referred_at.label("received"),
            first_attempt.label("first_attempt"),
            first_contact.label("first_contact"),
        )
        .outerjoin(
            ContactAttempt, and_(ContactAttempt.case_id == Case.id, not_voided(ContactAttempt))
        )
        .where(in_period(Case.referred_at, period), *group_filter(session, group, Case.referred_at))
        .group_by(Case.id)
        .subquery()
    )
    return select(
        inner.c.id,
        inner.c.worker,
        inner.c.area,
        inner.c.month,
        seconds_between(session, inner.c.first_attempt, inner.c.received).label("to_attempt"),
        seconds_between(session, inner.c.first_contact, inner.c.received).label("to_contact"),
    ).subquery()


def status_facts(session: Session, period: Period, group: GroupKey | None = None) -> Any:
    """Per case of the cohort: its slice keys and 1/0 for every stage it ever reached."""

    def ever(statuses: tuple[str, ...], *also: ColumnElement[bool]) -> Any:
        return func.max(case((or_(CaseStatusChange.to_status.in_(statuses), *also), 1), else_=0))

    return (
        select(
            Case.id.label("id"),
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            month_of(session, Case.referred_at).label("month"),
            ever(ENGAGED_STATUSES, Case.closure_reason == ClosureReason.ENGAGED_IN_TREATMENT).label(
                "engaged"
            ),
            ever(REFERRED_STATUSES).label("referred"),
            ever((CaseStatus.IN_TREATMENT,)).label("in_treatment"),
        )
        .outerjoin(CaseStatusChange, CaseStatusChange.case_id == Case.id)
        .where(in_period(Case.referred_at, period), *group_filter(session, group, Case.referred_at))
        .group_by(Case.id)
        .subquery()
    )


def repeat_referrals(
    session: Session, period: Period, group: GroupKey | None = None
) -> Select[int | None]:
    earlier = aliased(Referral)
    had_earlier = exists().where(
        earlier.person_id == Referral.person_id,
        or_(
            earlier.received_at < Referral.received_at,
            and_(earlier.received_at == Referral.received_at, earlier.id < Referral.id),
        ),
    )
    return (
        select(Referral.case_id)
        .join(Case, Case.id == Referral.case_id)
        .where(
            in_period(Referral.received_at, period),
            had_earlier,
            *group_filter(session, group, Referral.received_at),
        )
    )


def kits_in(period: Period) -> ColumnElement[bool]:
    return and_(
        NaloxoneSupply.supplied_on >= period.start,
        NaloxoneSupply.supplied_on < period.end,
        not_voided(NaloxoneSupply),
    )


def overdue_now(now: datetime) -> list[ColumnElement[bool]]:
    return [Case.status != CaseStatus.CLOSED, Case.next_action_due_at < now]
