"""The SQL behind the team-lead figures: per-case facts and the dialect helpers they need.

SQLite keeps UTC times as text and has no interval type, PostgreSQL has both: the few places
that differ (seconds between two times, the month of a time) are behind small helpers, so
that the same queries run on both and agree to the second.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Select,
    Text,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from followup.casework.milestones import ENGAGED_STATUSES, REFERRED_STATUSES
from followup.db.models import Case, NaloxoneSupply, Referral, not_voided
from followup.errors import FollowupError
from followup.reports.definitions import (
    BREAKDOWNS,
    Period,
    month_start,
    next_month_start,
    uk_midnight,
)
from followup.vocab import ClosureReason

__all__ = [
    "ENGAGED_STATUSES",
    "REFERRED_STATUSES",
    "GroupKey",
    "attempt_facts",
    "engaged_now",
    "group_filter",
    "in_month",
    "in_period",
    "is_repeat",
    "is_sqlite",
    "joined_values",
    "kits_between",
    "kits_in",
    "month_days",
    "month_of",
    "month_ranges",
    "overdue_now",
    "repeat_referrals",
    "seconds_between",
    "status_facts",
]


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


def joined_values(session: Session, value: Any) -> ColumnElement[str]:
    """The group's non-NULL values as text joined by commas (for medians worked out in Python)."""
    if is_sqlite(session):
        return func.group_concat(value)
    return func.string_agg(cast(value, Text), ",")


def _is_date(column: Any) -> bool:
    """A calendar date (a kit's day of supply), already a UK day, rather than a UTC time."""
    return isinstance(column.type, Date) and not isinstance(column.type, DateTime)


def _time_literal(session: Session, value: datetime) -> ColumnElement[Any]:
    """A UTC time written into the SQL as stored: the same text in SELECT and GROUP BY, which
    PostgreSQL needs to see that the two are one expression (bound parameters differ)."""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    if is_sqlite(session):
        return literal_column(f"'{naive.strftime('%Y-%m-%d %H:%M:%S.%f')}'")
    return literal_column(f"TIMESTAMP '{naive.isoformat(sep=' ')}'")


def month_of(session: Session, column: Any, period: Period) -> ColumnElement[str]:
    """'YYYY-MM' of the UK calendar month a time in ``period`` falls in, or of a date.

    Times are stored in UTC, and a UK month starts at UK midnight (23:00 UTC the evening
    before in summer time), so a time's month is found from the period's month boundaries;
    every time read is in the period, so nothing falls outside them.
    """
    if _is_date(column):
        if is_sqlite(session):
            return func.substr(column, 1, 7)
        return func.to_char(column, "YYYY-MM")
    keys = period.months()
    # One comparison per month: a bare constant (a one-month period) is no expression to
    # PostgreSQL's GROUP BY, so even one month is a CASE.
    whens: list[tuple[Any, Any]] = [
        (
            column < _time_literal(session, uk_midnight(next_month_start(key))),
            literal_column(f"'{key}'"),
        )
        for key in keys
    ]
    return case(*whens, else_=literal_column(f"'{keys[-1]}'"))


def month_ranges(period: Period) -> list[tuple[str, datetime, datetime]]:
    """Each UK calendar month of ``period`` as ('YYYY-MM', from, to): the part of the period
    in it, from UK midnight to UK midnight, ``to`` exclusive. A time of the period is in
    exactly one, the month ``month_of`` gives it."""
    keys = period.months()
    last = len(keys) - 1
    return [
        (
            key,
            period.start_at if i == 0 else uk_midnight(month_start(key)),
            period.end_at if i == last else uk_midnight(next_month_start(key)),
        )
        for i, key in enumerate(keys)
    ]


def month_days(period: Period) -> list[tuple[str, date, date]]:
    """Each calendar month of ``period`` as ('YYYY-MM', first day, day after), the part of the
    period in it, for calendar dates (a kit's day of supply)."""
    keys = period.months()
    last = len(keys) - 1
    return [
        (
            key,
            period.start if i == 0 else month_start(key),
            period.end if i == last else next_month_start(key),
        )
        for i, key in enumerate(keys)
    ]


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start_at, column < period.end_at)


def in_month(column: Any, key: str) -> ColumnElement[bool]:
    """Within the UK calendar month ``key`` ('YYYY-MM'): a range, so an index serves it."""
    first, after = month_start(key), next_month_start(key)
    if _is_date(column):
        return and_(column >= first, column < after)
    return and_(column >= uk_midnight(first), column < uk_midnight(after))


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
        if not isinstance(key, str):
            raise FollowupError("A month is written as 2026-11.")
        return [in_month(month_column, key)]
    raise FollowupError(f"A breakdown is by {', '.join(BREAKDOWNS)}, not {by!r}.")


# ------------------------------------------------------------------------- per-case facts


def _cohort(session: Session, period: Period, group: GroupKey | None) -> list[Any]:
    return [in_period(Case.referred_at, period), *group_filter(session, group, Case.referred_at)]


def attempt_facts(session: Session, period: Period, group: GroupKey | None = None) -> Any:
    """Per case of the cohort: its slice keys and the seconds to first attempt and contact.

    Read from the case's milestone columns (``casework.milestones``): a range of the cohort
    index, with no subquery per case.
    """
    return (
        select(
            Case.id.label("id"),
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            month_of(session, Case.referred_at, period).label("month"),
            seconds_between(session, Case.first_attempt_at, Case.referred_at).label("to_attempt"),
            seconds_between(session, Case.first_contact_at, Case.referred_at).label("to_contact"),
        )
        .where(*_cohort(session, period, group))
        .subquery()
    )


def engaged_now() -> ColumnElement[bool]:
    """Ever Engaged or beyond, or closed as engaged in treatment."""
    return or_(
        Case.engaged_at.is_not(None), Case.closure_reason == ClosureReason.ENGAGED_IN_TREATMENT
    )


def status_facts(session: Session, period: Period, group: GroupKey | None = None) -> Any:
    """Per case of the cohort: its slice keys and 1/0 for every stage it ever reached."""

    def flag(condition: ColumnElement[bool]) -> Any:
        return case((condition, 1), else_=0)

    return (
        select(
            Case.id.label("id"),
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            month_of(session, Case.referred_at, period).label("month"),
            flag(engaged_now()).label("engaged"),
            flag(Case.treatment_referred_at.is_not(None)).label("referred"),
            flag(Case.in_treatment_at.is_not(None)).label("in_treatment"),
        )
        .where(*_cohort(session, period, group))
        .subquery()
    )


def repeat_referrals(
    session: Session, period: Period, group: GroupKey | None = None
) -> Select[int | None]:
    """The cases of the period's repeat referrals, one row per referral: a range of
    ``ix_referral_repeat`` (the flag the database keeps on each referral, migration 0019)."""
    return (
        select(Referral.case_id)
        .join(Case, Case.id == Referral.case_id)
        .where(
            is_repeat(),
            in_period(Referral.received_at, period),
            *group_filter(session, group, Referral.received_at),
        )
    )


def kits_in(period: Period) -> ColumnElement[bool]:
    return kits_between(period.start, period.end)


def kits_between(first: date, after: date) -> ColumnElement[bool]:
    """The kits that count, supplied from ``first`` to the day before ``after``."""
    return and_(
        NaloxoneSupply.supplied_on >= first,
        NaloxoneSupply.supplied_on < after,
        not_voided(NaloxoneSupply),
    )


def is_repeat() -> ColumnElement[bool]:
    """A repeat referral: the person had an earlier one (the flag kept since 0019)."""
    return Referral.repeat_overdose == true()


def overdue_now(now: datetime) -> list[ColumnElement[bool]]:
    """Open cases whose next attempt was due before ``now``. The status is written as a literal
    so that both backends read it from the partial index of open cases (ix_case_file_overdue),
    whose condition must appear in the query as it is written there."""
    return [Case.status != literal_column("'closed'"), Case.next_action_due_at < now]
