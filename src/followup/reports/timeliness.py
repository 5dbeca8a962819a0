"""Timeliness in buckets: how long after receipt each case's first attempt and first contact came.

One service function, ``timeliness_report``, serves the dashboard's Timeliness tab, `followup
report timeliness` and the dashboard-tables workbook; ``timeliness_cases`` gives the case ids
behind one cell for drill-down. The buckets are [0, 24 h), [24 h, 48 h), [48 h, 72 h),
[72 h, 7 days), 7 days or more, and "not yet" (nothing logged so far), timed to the second
(``queries.seconds_between``), so every case of the cohort is in exactly one bucket of each
measure. The definitions are ``definitions.TIMELINESS_FIGURES``.

The cohort is the engagement report's: cases whose referral was received in the period. The
counts are one SQL aggregate over a range of the cohort index (``ix_case_file_report_cohort``:
referral time, worker, area, first attempt and first contact), grouped by worker, area and
the UK weekday of receipt; Python only adds those few group rows up. The UK weekday is worked
out in SQL from the UTC time plus the UK offset in force then, whose changes within the period
come from ``zoneinfo`` (Europe/London, ``followup.uktime``), the same on both backends.

A team lead sees the whole team; a worker sees only the cases assigned to them now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, extract, func, literal_column, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.models import Case
from followup.errors import FollowupError
from followup.reports import queries as q
from followup.reports.definitions import (
    TIMELINESS_BUCKETS,
    TIMELINESS_MEASURES,
    Period,
)
from followup.reports.engagement import UNASSIGNED, UNKNOWN_AREA
from followup.reports.queries import GroupKey
from followup.spreadsheets import CellKind, Column, Sheet
from followup.uktime import LONDON
from followup.vocab import AuditAction

__all__ = [
    "BUCKETS",
    "BUCKET_LABELS",
    "MEASURES",
    "TIMELINESS_BY",
    "WEEKDAYS",
    "TimelinessReport",
    "TimelinessRow",
    "figure_key",
    "record_timeliness",
    "timeliness_sheets",
    "timeliness_cases",
    "timeliness_report",
    "uk_offsets",
]

MEASURES = tuple(TIMELINESS_MEASURES)  # attempt, contact
BUCKETS = tuple(b[0] for b in TIMELINESS_BUCKETS)  # under_24h ... not_yet
BUCKET_LABELS = {b[0]: b[1] for b in TIMELINESS_BUCKETS}
TIMELINESS_BY = ("worker", "area", "weekday")
# ISO weekday numbers (Monday 1 .. Sunday 7), as the keys of the weekday rows.
WEEKDAYS = {
    1: "Monday",
    2: "Tuesday",
    3: "Wednesday",
    4: "Thursday",
    5: "Friday",
    6: "Saturday",
    7: "Sunday",
}


def figure_key(measure: str, bucket: str) -> str:
    """The definition's key of one cell, such as ``attempt_24_48h``."""
    return f"{measure}_{bucket}"


@dataclass(frozen=True)
class TimelinessRow:
    """One row of the tables: the team (by None), a worker, an area or a weekday."""

    by: str | None
    key: int | str | None  # worker id (None: unassigned), area (None: unknown), ISO weekday
    label: str
    attempt: tuple[int, ...]  # counts in BUCKETS order
    contact: tuple[int, ...]

    @property
    def group(self) -> GroupKey | None:
        return None if self.by is None else (self.by, self.key)

    @property
    def received(self) -> int:
        return sum(self.attempt)

    def counts(self, measure: str) -> tuple[int, ...]:
        if measure not in MEASURES:
            raise FollowupError(f"A timeliness measure is attempt or contact, not {measure!r}.")
        counts: tuple[int, ...] = getattr(self, measure)
        return counts

    def count(self, measure: str, bucket: str) -> int:
        return self.counts(measure)[BUCKETS.index(bucket)]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "received": self.received,
            "first_attempt": dict(zip(BUCKETS, self.attempt, strict=True)),
            "first_contact": dict(zip(BUCKETS, self.contact, strict=True)),
        }


@dataclass(frozen=True)
class TimelinessReport:
    period: Period
    made_at: datetime
    own_cases_only: bool  # a worker's report: only the cases assigned to them
    totals: TimelinessRow
    groups: dict[str, tuple[TimelinessRow, ...]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.as_json(),
            "made_at": self.made_at.astimezone(UTC).isoformat(timespec="seconds"),
            "own_cases_only": self.own_cases_only,
            "buckets": {b: BUCKET_LABELS[b] for b in BUCKETS},
            "totals": self.totals.as_json(),
            "by": {by: [r.as_json() for r in rows] for by, rows in self.groups.items()},
        }


# ------------------------------------------------------------------------------- SQL parts


def uk_offsets(period: Period) -> list[tuple[datetime | None, int]]:
    """The UK offset from UTC (seconds) over the period, as (from when, offset) in order; the
    first starts before the period (None). Each change is found to the second from zoneinfo."""

    def offset(at: datetime) -> int:
        delta = at.astimezone(LONDON).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    day = period.start_at
    out: list[tuple[datetime | None, int]] = [(None, offset(day))]
    while day < period.end_at:
        nxt = day + timedelta(days=1)
        if offset(nxt) != out[-1][1]:
            low, high = day, nxt  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == out[-1][1]:
                    low = mid
                else:
                    high = mid
            out.append((high, offset(nxt)))
        day = nxt
    return out


def _uk_weekday(session: Session, period: Period) -> ColumnElement[Any]:
    """The weekday the referral was received on the UK clock, 0 Sunday .. 6 Saturday."""
    sqlite = q.is_sqlite(session)

    def shifted(seconds: int) -> Any:
        # Whole seconds written by this module, never user input.
        if sqlite:
            return literal_column(f"'{seconds:+d} seconds'")
        return literal_column(f"interval '{seconds:d} seconds'")

    segments = uk_offsets(period)
    if len(segments) == 1:
        shift: Any = shifted(segments[0][1])
    else:
        whens = [
            (Case.referred_at < start, shifted(before))
            for (_, before), (start, _) in zip(segments, segments[1:], strict=False)
            if start is not None
        ]
        shift = case(*whens, else_=shifted(segments[-1][1]))
    if sqlite:
        return cast(func.strftime("%w", Case.referred_at, shift), Integer)
    return cast(extract("dow", Case.referred_at + shift), Integer)


def _bucket_of(seconds: Any) -> ColumnElement[Any]:
    """The bucket's index in BUCKETS for whole seconds from receipt (NULL: not yet)."""
    whens: list[Any] = [(seconds.is_(None), BUCKETS.index("not_yet"))]
    for i, (_, _, _, high) in enumerate(TIMELINESS_BUCKETS):
        if high is not None:
            whens.append((seconds < high, i))
    return case(*whens, else_=BUCKETS.index("7d_plus"))


def _access(actor: Actor) -> tuple[list[ColumnElement[bool]], bool]:
    """The team for a lead; a worker's own cases for a worker."""
    if actor.can("reports"):
        return [], False
    require(actor, "view_own_cases")
    # "+ 0" keeps the planners on the cohort index (a range of the period, the worker checked
    # in the index): by an index of the worker they would read all their cases, of every period.
    return [Case.assigned_worker_id + 0 == actor.id], True


def _cohort(session: Session, actor: Actor, period: Period) -> tuple[list[Any], bool]:
    own, own_only = _access(actor)
    return [q.in_period(Case.referred_at, period), *own], own_only


def _normalise_by(by: str | Iterable[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    wanted = (by,) if isinstance(by, str) else tuple(by)
    for b in wanted:
        if b not in TIMELINESS_BY:
            raise FollowupError(f"Timeliness is by {', '.join(TIMELINESS_BY)}, not {b!r}.")
    return tuple(dict.fromkeys(wanted))


def _iso(dow: Any) -> int:
    d = int(dow)
    return 7 if d == 0 else d


def _labels(session: Session, by: str, keys: Iterable[Any]) -> dict[Any, str]:
    if by == "worker":
        from followup.db.models import User

        ids = [k for k in keys if k is not None]
        names = (
            dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
            if ids
            else {}
        )
        return {k: (names.get(k, f"User {k}") if k is not None else UNASSIGNED) for k in keys}
    if by == "area":
        return {k: k or UNKNOWN_AREA for k in keys}
    return {k: WEEKDAYS[k] for k in keys}


def _order(by: str, labels: dict[Any, str]) -> list[Any]:
    if by == "weekday":
        return sorted(labels)
    return sorted(labels, key=lambda k: (k is None, labels[k].lower()))


# ------------------------------------------------------------------------------- the report


def timeliness_report(
    session: Session,
    actor: Actor,
    period: Period,
    by: str | Iterable[str] | None = None,
    now: datetime | None = None,
    *,
    record: bool = True,
) -> TimelinessReport:
    """Cases received in ``period`` by how soon their first attempt and first contact came.

    ``by`` is None, one of "worker", "area", "weekday", or several; every weekday is listed,
    even one with no cases. A worker gets only the cases assigned to them. The report is
    audited in ``session`` unless ``record`` is False, when the caller audits it
    (``record_timeliness``) in a transaction of its own that starts with the write, as the
    dashboard does: on SQLite one that reads and then writes cannot wait for another writer.
    """
    wanted = _normalise_by(by)
    cohort, own_only = _cohort(session, actor, period)
    now = now or datetime.now(UTC)
    to_attempt = q.seconds_between(session, Case.first_attempt_at, Case.referred_at)
    to_contact = q.seconds_between(session, Case.first_contact_at, Case.referred_at)
    # Per case of the cohort (a range of the cohort index), then counted per fine slice: the
    # subquery's columns are grouped by name, the same on both backends.
    facts = (
        select(
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            _uk_weekday(session, period).label("weekday"),
            _bucket_of(to_attempt).label("attempt"),
            _bucket_of(to_contact).label("contact"),
        )
        .where(*cohort)
        .subquery()
    )
    slice_ = (facts.c.worker, facts.c.area, facts.c.weekday, facts.c.attempt, facts.c.contact)
    stmt = select(*slice_, func.count()).group_by(*slice_)
    n = len(BUCKETS)
    tallies: dict[GroupKey | None, list[list[int]]] = {}
    for worker, area, dow, a, c, count in session.connection().execute(stmt).all():
        keys: dict[str, Any] = {"worker": worker, "area": area, "weekday": _iso(dow)}
        for g in [None, *((b, keys[b]) for b in wanted)]:
            acc = tallies.get(g)
            if acc is None:
                acc = tallies[g] = [[0] * n, [0] * n]
            acc[0][int(a)] += int(count)
            acc[1][int(c)] += int(count)

    def row(by_: str | None, key: Any, label: str) -> TimelinessRow:
        g = None if by_ is None else (by_, key)
        a, c = tallies.get(g, [[0] * n, [0] * n])
        return TimelinessRow(by_, key, label, tuple(a), tuple(c))

    groups: dict[str, tuple[TimelinessRow, ...]] = {}
    for b in wanted:
        keys_ = {g[1] for g in tallies if g is not None and g[0] == b}
        if b == "weekday":
            keys_ = set(WEEKDAYS)
        elif b == "worker" and own_only:
            keys_.add(actor.id)
        labels = _labels(session, b, keys_)
        groups[b] = tuple(row(b, k, labels[k]) for k in _order(b, labels))
    totals = row(None, None, "Your cases" if own_only else "Whole team")
    report = TimelinessReport(period, now, own_only, totals, groups)
    if record:
        record_timeliness(session, actor, report)
    return report


def record_timeliness(session: Session, actor: Actor, report: TimelinessReport) -> None:
    """Audit a timeliness report like a search: the period, the breakdowns, how many cases."""
    audit.record(
        session,
        actor.id,
        AuditAction.VIEW,
        "report",
        None,
        {
            "report": "timeliness",
            "from": report.period.start,
            "to": report.period.last_day,
            "by": list(report.groups),
            "own_cases_only": report.own_cases_only,
            "cases": report.totals.received,
        },
    )


def timeliness_cases(
    session: Session,
    actor: Actor,
    period: Period,
    measure: str,
    bucket: str,
    group: GroupKey | None = None,
) -> list[int]:
    """The ids of exactly the cases behind one cell (the team's, or one row's)."""
    if measure not in MEASURES or bucket not in BUCKETS:
        raise FollowupError(f"There is no timeliness figure called {measure}_{bucket}.")
    cohort, _ = _cohort(session, actor, period)
    column = Case.first_attempt_at if measure == "attempt" else Case.first_contact_at
    where: list[Any] = [
        *cohort,
        _bucket_of(q.seconds_between(session, column, Case.referred_at)) == BUCKETS.index(bucket),
    ]
    if group is not None:
        by, key = group
        if by == "weekday":
            dow = 0 if key == 7 else key
            where.append(_uk_weekday(session, period) == dow)
        elif by in ("worker", "area"):
            where.extend(q.group_filter(session, group, Case.referred_at))
        else:
            raise FollowupError(f"Timeliness is by {', '.join(TIMELINESS_BY)}, not {by!r}.")
    return sorted(int(i) for i in session.scalars(select(Case.id).where(*where)))


# ------------------------------------------------------------------------------- workbook

_BY_HEADINGS = {"worker": "Worker", "area": "Area", "weekday": "Weekday received (UK)"}


def timeliness_sheets(report: TimelinessReport) -> list[Sheet]:
    """Two worksheets for the dashboard-tables workbook, first attempt and first contact: each
    breakdown's rows (by worker, area, weekday) and the team's line last, counts as numbers."""
    columns = [
        Column("by", "By", CellKind.TEXT, 22),
        Column("row", "Row", CellKind.TEXT, 26),
        Column("received", "Referrals received", CellKind.WHOLE, 13),
        *(Column(b, BUCKET_LABELS[b], CellKind.WHOLE, 13) for b in BUCKETS),
    ]
    team = "Your cases" if report.own_cases_only else "Whole team"
    sheets = []
    for measure, name in zip(
        MEASURES, ("Time to first attempt", "Time to first contact"), strict=True
    ):
        rows: list[list[Any]] = [
            [_BY_HEADINGS[by], r.label, r.received, *r.counts(measure)]
            for by, group_rows in report.groups.items()
            for r in group_rows
        ]
        rows.append(
            [team, report.totals.label, report.totals.received, *report.totals.counts(measure)]
        )
        sheets.append(Sheet(name, columns, rows))
    return sheets
