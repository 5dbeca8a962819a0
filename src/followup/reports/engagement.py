"""Team-lead figures as plain dataclasses: the funnel, rates, medians, and their breakdowns.

One service function, ``engagement_report``, serves the dashboard and `followup report
engagement` alike; ``cases_behind`` gives the case ids behind any figure for drill-down.
Every count is a SQL aggregate: per-case facts (first attempt, first contact, statuses ever
reached) are computed in SQL and summed by worker, area and month there; Python only adds up
those few group rows. What each figure means is written in ``followup.reports.definitions``.

A case belongs to a period when its referral was received in it (a cohort): its attempts,
contact and progress count whenever they happened, up to the moment the report is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Select, case, cast, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework import team_rules
from followup.db.models import Case, NaloxoneSupply, Referral, User
from followup.errors import FollowupError
from followup.reports import queries as q
from followup.reports.definitions import BREAKDOWNS, FIGURES, FUNNEL, Period
from followup.reports.network import network_engaged
from followup.reports.queries import GroupKey
from followup.vocab import AuditAction

__all__ = [
    "UNASSIGNED",
    "UNKNOWN_AREA",
    "EngagementReport",
    "Figures",
    "GroupFigures",
    "cases_behind",
    "engagement_report",
]

UNASSIGNED = "Unassigned"
UNKNOWN_AREA = "Unknown area"


@dataclass(frozen=True)
class Figures:
    """Every figure for one slice (the team, a worker, an area or a month)."""

    received: int = 0
    attempted: int = 0
    contacted: int = 0
    engaged: int = 0
    referred: int = 0
    in_treatment: int = 0
    first_attempt_in_time: int = 0
    first_attempt_in_time_rate: float | None = None
    contact_rate: float | None = None
    engagement_rate: float | None = None
    treatment_entry_rate: float | None = None
    median_hours_to_first_attempt: float | None = None
    median_hours_to_first_contact: float | None = None
    # A snapshot, not a period figure; None for month rows, where it has no meaning.
    overdue: int | None = 0
    repeat_overdoses: int = 0
    naloxone_kits: int = 0
    # Part of Engaged: engaged only through family or friends (reports.network).
    engaged_network: int = 0

    def value(self, key: str) -> int | float | None:
        figure: int | float | None = getattr(self, key)
        return figure

    def as_json(self) -> dict[str, int | float | None]:
        return asdict(self)


@dataclass(frozen=True)
class GroupFigures:
    """One row of a breakdown; pass ``(by, key)`` to ``cases_behind`` to drill down."""

    by: str  # worker, area or month
    key: int | str | None  # worker id (None: unassigned), area (None: unknown), 'YYYY-MM'
    label: str
    figures: Figures

    @property
    def group(self) -> GroupKey:
        return (self.by, self.key)


@dataclass(frozen=True)
class EngagementReport:
    period: Period
    made_at: datetime
    first_attempt_hours: int
    totals: Figures
    groups: dict[str, tuple[GroupFigures, ...]] = field(default_factory=dict)

    def funnel(self) -> list[tuple[str, str, int]]:
        """The funnel stages in order: (figure key, label, count)."""
        return [(k, FIGURES[k].label, int(self.totals.value(k) or 0)) for k in FUNNEL]

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.as_json(),
            "made_at": self.made_at.astimezone(UTC).isoformat(timespec="seconds"),
            "first_attempt_hours": self.first_attempt_hours,
            "figures": self.totals.as_json(),
            "by": {
                by: [{"key": g.key, "label": g.label, "figures": g.figures.as_json()} for g in rows]
                for by, rows in self.groups.items()
            },
        }


# ------------------------------------------------------------------------------- the report


def _normalise_by(by: str | Iterable[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    wanted = (by,) if isinstance(by, str) else tuple(by)
    for b in wanted:
        if b not in BREAKDOWNS:
            raise FollowupError(f"A breakdown is by {', '.join(BREAKDOWNS)}, not {b!r}.")
    return tuple(dict.fromkeys(wanted))


Slice = tuple["int | None", "str | None", "str | None"]  # worker, area, month
Bucket = tuple[dict[str, int], list[float], list[float]]


class _Tally:
    """Counts and medians per breakdown row (and for the team, key None), added up while the
    database's rows per fine slice (worker, area, month) come in."""

    COUNTS = (
        "received",
        "attempted",
        "contacted",
        "first_attempt_in_time",
        "engaged",
        "referred",
        "in_treatment",
        "repeat_overdoses",
        "naloxone_kits",
        "engaged_network",
    )

    def __init__(self, by: tuple[str, ...]) -> None:
        self.targets = [(b, BREAKDOWNS.index(b)) for b in by]
        # Per fine slice while the rows come in; per breakdown row once ``roll_up`` is done.
        self.fine: dict[Slice, list[int]] = {}
        self.counts: dict[GroupKey | None, list[int]] = {}
        self.overdue: dict[tuple[int | None, str | None], int] = {}
        self.medians: dict[GroupKey | None, tuple[float | None, float | None]] = {}

    def groups(self, s: Slice) -> list[GroupKey | None]:
        """The team and the breakdown rows a fine slice counts in."""
        return [None] + [(b, s[i]) for b, i in self.targets]

    def add(self, s: Slice, index: int, value: Any) -> None:
        """Add ``value`` to the count ``COUNTS[index]`` of a fine slice."""
        acc = self.fine.get(s)
        if acc is None:
            acc = self.fine[s] = [0] * len(self.COUNTS)
        acc[index] += int(value or 0)

    def roll_up(self) -> None:
        """Add the fine slices up into the team's and each breakdown row's counts."""
        rows: dict[GroupKey | None, list[list[int]]] = {}
        for s, values in self.fine.items():
            for g in self.groups(s):
                got = rows.get(g)
                if got is None:
                    rows[g] = [values]
                else:
                    got.append(values)
        self.counts = {g: [sum(col) for col in zip(*got, strict=True)] for g, got in rows.items()}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


def _median(ordered: Sequence[int]) -> float | None:
    """The median of values already in order (as ``statistics.median`` gives it)."""
    n = len(ordered)
    if not n:
        return None
    i = n // 2
    return ordered[i] if n % 2 else (ordered[i - 1] + ordered[i]) / 2


def _medians(
    t: _Tally, slices: list[tuple[Slice, list[int], list[int]]]
) -> dict[GroupKey | None, tuple[float | None, float | None]]:
    """Each breakdown row's and the team's medians of the fine slices' seconds. Every
    breakdown divides the whole cohort, so the team's values are one breakdown's rows, each
    already sorted: its sort only merges them."""
    lists: dict[GroupKey | None, tuple[list[int], list[int]]] = {}
    for sl, sa, sc in slices:
        for g in t.groups(sl)[1:]:
            pair = lists.get(g)
            if pair is None:
                pair = lists[g] = ([], [])
            pair[0].extend(sa)
            pair[1].extend(sc)
    for a, c in lists.values():
        a.sort()
        c.sort()
    first = t.targets[0][0] if t.targets else None
    team: tuple[list[int], list[int]] = ([], [])
    if first is None:
        for _, sa, sc in slices:
            team[0].extend(sa)
            team[1].extend(sc)
    else:
        for g, (a, c) in lists.items():
            if g is not None and g[0] == first:
                team[0].extend(a)
                team[1].extend(c)
    if slices:
        team[0].sort()
        team[1].sort()
        lists[None] = team
    return {g: (_median(a), _median(c)) for g, (a, c) in lists.items()}


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _buckets(t: _Tally, by: str | None) -> dict[Any, Bucket]:
    """The rows of one breakdown (or the team, for None), by key."""
    return {
        (None if g is None else g[1]): (dict(zip(_Tally.COUNTS, c, strict=True)), [], [])
        for g, c in t.counts.items()
        if (g is None if by is None else g is not None and g[0] == by)
    }


def _figures(t: _Tally, bucket: Bucket | None, group: GroupKey | None) -> Figures:
    c = bucket[0] if bucket else dict.fromkeys(_Tally.COUNTS, 0)
    to_attempt, to_contact = t.medians.get(group, (None, None))
    overdue: int | None = None
    if group is None or group[0] != "month":
        by, key = group or (None, None)
        overdue = sum(
            n
            for (w, a), n in t.overdue.items()
            if by is None or (w if by == "worker" else a) == key
        )
    n = c["received"]
    return Figures(
        received=n,
        attempted=c["attempted"],
        contacted=c["contacted"],
        engaged=c["engaged"],
        referred=c["referred"],
        in_treatment=c["in_treatment"],
        first_attempt_in_time=c["first_attempt_in_time"],
        first_attempt_in_time_rate=_rate(c["first_attempt_in_time"], n),
        contact_rate=_rate(c["contacted"], n),
        engagement_rate=_rate(c["engaged"], n),
        treatment_entry_rate=_rate(c["in_treatment"], n),
        median_hours_to_first_attempt=_hours(to_attempt),
        median_hours_to_first_contact=_hours(to_contact),
        overdue=overdue,
        repeat_overdoses=c["repeat_overdoses"],
        naloxone_kits=c["naloxone_kits"],
        engaged_network=c["engaged_network"],
    )


def _seconds(joined: str | None) -> list[int]:
    return list(map(int, joined.split(","))) if joined else []


# The case's slice keys by its id: SQLite's planner otherwise reads each repeat referral's
# case from its wide row (twice the statement's time at 100,000 cases).
_SLICE_INDEX = "INDEXED BY ix_case_file_slice"


def _key(month: str) -> Any:
    """A month's 'YYYY-MM' (from ``Period.months()``, never user input) as a constant."""
    return literal_column(f"'{month}'")


def _union(parts: list[Any]) -> Any:
    """One statement of the months' statements."""
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _rows(session: Session, stmt: Any) -> Sequence[Any]:
    """All the rows of ``stmt`` at once (one fetch, not one call per row)."""
    return session.connection().execute(stmt).all()


def _collect(
    session: Session, period: Period, by: tuple[str, ...], now: datetime, limit_s: int
) -> _Tally:
    t = _Tally(by)
    # Per month of the period, one range per worker and area of ix_case_file_report_slices
    # (every per-case fact is a milestone column of the case), read in group order: SQLite
    # sorts every row of a GROUP BY that no index orders, most of this statement's cost.
    to_attempt = q.seconds_between(session, Case.first_attempt_at, Case.referred_at)
    to_contact = q.seconds_between(session, Case.first_contact_at, Case.referred_at)
    counts: list[Any] = [
        func.count().label("received"),
        func.count(Case.first_attempt_at).label("attempted"),
        func.count(Case.first_contact_at).label("contacted"),
        func.sum(case((q.engaged_now(), 1), else_=0)).label("engaged"),
        func.count(Case.treatment_referred_at).label("referred"),
        func.count(Case.in_treatment_at).label("in_treatment"),
        # Each slice's whole seconds, for the medians of every breakdown row at once (one
        # pass over the cohort instead of a percentile per grouping set), and for the
        # first attempts in time (counted from them, not worked out a second time).
        q.joined_values(session, cast(to_attempt, BigInteger)).label("sa"),
        q.joined_values(session, cast(to_contact, BigInteger)).label("sc"),
    ]
    months = [
        select(
            Case.assigned_worker_id.label("worker"),
            Case.area.label("area"),
            _key(key).label("month"),
            *counts,
        )
        .where(Case.referred_at >= low, Case.referred_at < high)
        .group_by(Case.assigned_worker_id, Case.area)
        for key, low, high in q.month_ranges(period)
    ]
    # Each fine slice's whole seconds, to first attempt and to first contact.
    slice_seconds: list[tuple[Slice, list[int], list[int]]] = []
    for r in _rows(session, _union(months)):
        sl: Slice = (r[0], r[1], r[2])
        sa, sc = _seconds(r.sa), _seconds(r.sc)
        # How many first attempts came within the limit.
        in_time = sum(map(limit_s.__ge__, sa))
        t.fine[sl] = [r.received, r.attempted, r.contacted, in_time, *r[6:9], 0, 0, 0]
        slice_seconds.append((sl, sa, sc))
    t.medians = _medians(t, slice_seconds)

    # The period's repeat referrals and kits a month at a time, each month's grouped by the
    # case's worker and area: no month worked out per row, and on PostgreSQL each month's
    # few cases found by their id rather than by hashing every case.
    repeats = [
        select(Case.assigned_worker_id, Case.area, _key(key), func.count())
        .select_from(Referral)
        .join(Case, Case.id == Referral.case_id)
        .with_hint(Case, _SLICE_INDEX, "sqlite")
        .where(q.is_repeat(), Referral.received_at >= low, Referral.received_at < high)
        .group_by(Case.assigned_worker_id, Case.area)
        for key, low, high in q.month_ranges(period)
    ]
    index = _Tally.COUNTS.index("repeat_overdoses")
    for r in _rows(session, _union(repeats)):
        t.add((r[0], r[1], r[2]), index, r[3])

    kits = [
        select(Case.assigned_worker_id, Case.area, _key(key), func.sum(NaloxoneSupply.quantity))
        .join(Case, Case.id == NaloxoneSupply.case_id)
        .where(q.kits_between(first, after))
        .group_by(Case.assigned_worker_id, Case.area)
        for key, first, after in q.month_days(period)
    ]
    index = _Tally.COUNTS.index("naloxone_kits")
    for r in _rows(session, _union(kits)):
        t.add((r[0], r[1], r[2]), index, r[3])

    net = network_engaged(session, period)
    network = _Tally.COUNTS.index("engaged_network")
    for r in _rows(
        session,
        select(net.c.worker, net.c.area, net.c.month, func.count()).group_by(
            net.c.worker, net.c.area, net.c.month
        ),
    ):
        t.add((r[0], r[1], r[2]), network, r[3])

    for r in _rows(
        session,
        select(Case.assigned_worker_id, Case.area, func.count())
        .where(*q.overdue_now(now))
        .group_by(Case.assigned_worker_id, Case.area),
    ):
        t.overdue[(r[0], r[1])] = int(r[2])
    t.roll_up()
    return t


def _labels(session: Session, by: str, keys: Iterable[Any]) -> dict[Any, str]:
    if by == "worker":
        ids = [k for k in keys if k is not None]
        names = (
            {
                i: n
                for i, n in session.execute(
                    select(User.id, User.display_name).where(User.id.in_(ids))
                )
            }
            if ids
            else {}
        )
        return {k: (names.get(k, f"User {k}") if k is not None else UNASSIGNED) for k in keys}
    if by == "area":
        return {k: k or UNKNOWN_AREA for k in keys}
    return {k: datetime.strptime(k, "%Y-%m").strftime("%b %Y") for k in keys}


def _order(by: str, labels: dict[Any, str]) -> list[Any]:
    if by == "month":
        return sorted(labels)
    # Unassigned and unknown areas come last; the rest by name.
    return sorted(labels, key=lambda k: (k is None, labels[k].lower()))


def engagement_report(
    session: Session,
    actor: Actor,
    start: date | Period,
    end: date | None = None,
    by: str | Iterable[str] | None = None,
    now: datetime | None = None,
) -> EngagementReport:
    """Every team-lead figure for the cases received in ``[start, end)`` (end exclusive).

    ``by`` is None, one of "worker", "area", "month", or several of them: the dashboard asks
    for all three at once. ``now`` fixes the moment of the overdue snapshot (tests).
    """
    require(actor, "reports")
    period = start if isinstance(start, Period) else Period(start, end)  # type: ignore[arg-type]
    wanted = _normalise_by(by)
    now = now or datetime.now(UTC)
    hours = team_rules.schedule(session).first_attempt_hours
    tally = _collect(session, period, wanted, now, hours * 3600)
    groups: dict[str, tuple[GroupFigures, ...]] = {}
    for b in wanted:
        buckets = _buckets(tally, b)
        keys: set[Any] = set(buckets)
        if b == "month":
            keys = set(period.months())
        elif b == "worker":
            keys |= {w for w, _ in tally.overdue}
        else:
            keys |= {a for _, a in tally.overdue}
        labels = _labels(session, b, keys)
        groups[b] = tuple(
            GroupFigures(b, k, labels[k], _figures(tally, buckets.get(k), (b, k)))
            for k in _order(b, labels)
        )
    totals = _figures(tally, _buckets(tally, None).get(None), None)
    # Reports are audited like searches: which report, over which period, how many cases.
    audit.record(
        session,
        actor.id,
        AuditAction.VIEW,
        "report",
        None,
        {
            "report": "engagement",
            "from": period.start,
            "to": period.last_day,
            "by": list(wanted),
            "cases": totals.received,
        },
    )
    return EngagementReport(
        period=period,
        made_at=now,
        first_attempt_hours=hours,
        totals=totals,
        groups=groups,
    )


# ---------------------------------------------------------------------------- drill-down


def _as_period(period: Period | tuple[date, date]) -> Period:
    return period if isinstance(period, Period) else Period(*period)


def cases_behind(
    session: Session,
    actor: Actor,
    period: Period | tuple[date, date],
    figure: str,
    group: GroupKey | None = None,
    now: datetime | None = None,
) -> list[int]:
    """The ids of exactly the cases behind ``figure`` (of the team, or of one breakdown row).

    For a rate it is the cases of its numerator; for a median, the cases it is taken over.
    """
    require(actor, "reports")
    if figure not in FIGURES:
        raise FollowupError(f"There is no figure called {figure!r}.")
    period = _as_period(period)
    limit_s = team_rules.schedule(session).first_attempt_hours * 3600
    stmt: Select[Any]
    if figure in (
        "received",
        "attempted",
        "contacted",
        "first_attempt_in_time",
        "first_attempt_in_time_rate",
        "contact_rate",
        "median_hours_to_first_attempt",
        "median_hours_to_first_contact",
    ):
        a = q.attempt_facts(session, period, group)
        cond = {
            "received": None,
            "attempted": a.c.to_attempt.is_not(None),
            "median_hours_to_first_attempt": a.c.to_attempt.is_not(None),
            "contacted": a.c.to_contact.is_not(None),
            "contact_rate": a.c.to_contact.is_not(None),
            "median_hours_to_first_contact": a.c.to_contact.is_not(None),
            "first_attempt_in_time": a.c.to_attempt <= limit_s,
            "first_attempt_in_time_rate": a.c.to_attempt <= limit_s,
        }[figure]
        stmt = select(a.c.id) if cond is None else select(a.c.id).where(cond)
    elif figure in (
        "engaged",
        "engagement_rate",
        "referred",
        "in_treatment",
        "treatment_entry_rate",
    ):
        st = q.status_facts(session, period, group)
        column = {
            "engaged": st.c.engaged,
            "engagement_rate": st.c.engaged,
            "referred": st.c.referred,
            "in_treatment": st.c.in_treatment,
            "treatment_entry_rate": st.c.in_treatment,
        }[figure]
        stmt = select(st.c.id).where(column == 1)
    elif figure == "engaged_network":
        stmt = select(network_engaged(session, period, group).c.id)
    elif figure == "repeat_overdoses":
        stmt = q.repeat_referrals(session, period, group).distinct()
    elif figure == "naloxone_kits":
        stmt = (
            select(NaloxoneSupply.case_id)
            .join(Case, Case.id == NaloxoneSupply.case_id)
            .where(q.kits_in(period), *q.group_filter(session, group, NaloxoneSupply.supplied_on))
            .distinct()
        )
    else:  # overdue: a snapshot, with no month
        if group is not None and group[0] == "month":
            return []
        stmt = select(Case.id).where(
            *q.overdue_now(now or datetime.now(UTC)),
            *q.group_filter(session, group, Case.referred_at),
        )
    return sorted(int(i) for i in session.scalars(stmt))
