"""Spike alerts: several overdoses in one postcode district within a short time.

When ``spikes.threshold`` referrals (team setting, default 3) arrive for incidents in the same
postcode district (the outward code of the incident postcode, ``validation.postcode_district``:
"B5" of "B5 6DD") whose incident times lie within ``spikes.window_hours`` (default 24) of
each other, intake raises a spike alert in the same transaction as the import. Referrals
without an incident postcode are not counted.

The rule, worked per district on referrals sorted by incident time:

- a referral belongs to a spike when some stretch of the window's length holds it and at least
  threshold - 1 other referrals of the district;
- such referrals no more than a window apart make one spike; one that overlaps an alert of
  the district (or comes within a window of its first or last incident) extends that alert
  (its referrals, count, window and substances) instead of raising another;
- a new alert needs at least one referral of this import: changing the settings does not
  raise alerts from old referrals on its own.

Leads and workers see an alert (district, count, window, substances) until each acknowledges
it (audited, per user); an extended alert shows again to those who acknowledged fewer
referrals. A worker sees the cases behind it only where they may open them (their own); the
count and district are for everyone. Workers with open cases in the district see a prompt in
My work. Alerts are about a place, never a person: no letter carries them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework import team_rules
from followup.db.models import (
    Case,
    Person,
    Referral,
    SpikeAlert,
    SpikeAlertAck,
    SpikeAlertCase,
    person_display_name,
    table_of,
)
from followup.errors import NotFound, RuleViolation
from followup.uktime import short_date_time
from followup.validation import postcode_district
from followup.vocab import AuditAction, CaseStatus, Role

__all__ = [
    "THRESHOLD",
    "WINDOW_HOURS",
    "AlertCase",
    "SpikeAlertInfo",
    "SpikePrompt",
    "SpikeRules",
    "Touched",
    "acknowledge",
    "alert_history",
    "detect",
    "prompt_text",
    "rules",
    "substances_summary",
    "unacknowledged",
    "work_prompts",
]

THRESHOLD = "spikes.threshold"
WINDOW_HOURS = "spikes.window_hours"


@dataclass(frozen=True)
class SpikeRules:
    threshold: int = 3
    window: timedelta = timedelta(hours=24)


def rules(session: Session) -> SpikeRules:
    """The team's spike rule (settings ``spikes.threshold`` and ``spikes.window_hours``)."""
    threshold, hours = (_whole(session, key) for key in (THRESHOLD, WINDOW_HOURS))
    return SpikeRules(max(2, threshold), timedelta(hours=max(1, hours)))


def _whole(session: Session, key: str) -> int:
    """A whole-number setting; its default when unreadable (``set_rule`` stores only good ones)."""
    try:
        return int(team_rules.get_setting(session, key) or team_rules.DEFAULTS[key])
    except ValueError:
        return int(team_rules.DEFAULTS[key])


def substances_summary(noted: Iterable[str | None]) -> str | None:
    """What the police noted, each substance with how many referrals named it, most first:
    "heroin (3), spice (1)"; None when no referral noted any."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text in noted:
        for part in {p.strip() for p in (text or "").split(";") if p.strip()}:
            key = part.casefold()
            counts[key] += 1
            shown.setdefault(key, part)
    if not counts:
        return None
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{shown[k]} ({n})" for k, n in ordered)[:2000]


# ------------------------------------------------------------------------------ detection


@dataclass
class _Ref:
    id: int
    case_id: int
    at: datetime
    received_at: datetime
    alert_id: int | None = None


class Touched:
    """The incident districts an import wrote referrals for, each with its earliest and latest
    incident time (what ``detect`` needs; a few dates per district, whatever the file's size)."""

    def __init__(self) -> None:
        self.districts: dict[str, tuple[datetime, datetime]] = {}

    def note(self, incidents: Iterable[tuple[str | None, datetime]]) -> None:
        for postcode, at in incidents:
            district = postcode_district(postcode)
            if district is None:
                continue
            low, high = self.districts.get(district, (at, at))
            self.districts[district] = (min(low, at), max(high, at))


def _spike_runs(refs: list[_Ref], r: SpikeRules) -> list[list[_Ref]]:
    """The district's referrals (sorted by incident time) that make spikes, as runs."""
    member = [False] * len(refs)
    start = 0
    for end, ref in enumerate(refs):
        while refs[start].at < ref.at - r.window:
            start += 1
        if end - start + 1 >= r.threshold:
            for k in range(start, end + 1):
                member[k] = True
    runs: list[list[_Ref]] = []
    for ref, is_member in zip(refs, member, strict=True):
        if not is_member:
            continue
        if runs and ref.at - runs[-1][-1].at <= r.window:
            runs[-1].append(ref)
        else:
            runs.append([ref])
    return runs


def detect(
    session: Session,
    touched: Mapping[str, tuple[datetime, datetime]],
    received_at: datetime,
    now: datetime | None = None,
) -> list[int]:
    """Raise or extend the spike alerts of the districts an import touched.

    ``touched`` is each district with the earliest and latest incident time of this import's
    referrals there; ``received_at`` is when the import's referrals were received (how its
    own referrals are told from earlier ones). Runs in the import's transaction; returns the
    ids of the alerts raised or extended.
    """
    if not touched:
        return []
    now = now or datetime.now(UTC)
    r = rules(session)
    # A chain of referrals a window apart can reach back further than one window: read a
    # generous span, and the alerts that reach into it.
    reach = r.window * max(2, r.threshold)
    low = min(a for a, _ in touched.values()) - reach
    high = max(b for _, b in touched.values()) + reach
    by_district: dict[str, list[_Ref]] = {d: [] for d in touched}
    linked = select(SpikeAlertCase.alert_id).where(SpikeAlertCase.referral_id == Referral.id)
    rows = session.execute(
        select(
            Referral.id,
            Referral.case_id,
            Referral.incident_at,
            Referral.incident_postcode,
            Referral.received_at,
            linked.scalar_subquery(),
        )
        .where(
            Referral.incident_postcode.is_not(None),
            Referral.incident_at >= low,
            Referral.incident_at <= high,
        )
        .execution_options(yield_per=5000)
    )
    for rid, case_id, at, postcode, received, alert_id in rows:
        district = postcode_district(postcode)
        if district in by_district:
            by_district[district].append(_Ref(rid, case_id, at, received, alert_id))
    changed: list[int] = []
    for district, refs in sorted(by_district.items()):
        refs.sort(key=lambda x: (x.at, x.id))
        for run in _spike_runs(refs, r):
            alert_id = _alert_for(session, district, run, r)
            fresh = [x for x in run if x.alert_id is None]
            if alert_id is None:
                if not any(x.received_at == received_at for x in fresh):
                    continue
                alert_id = _raise(session, district, run, now)
            elif not fresh:
                continue
            _add_cases(session, alert_id, fresh)
            _recount(session, alert_id, now, extended=alert_id in changed or bool(fresh))
            changed.append(alert_id)
    return sorted(set(changed))


def _alert_for(session: Session, district: str, run: list[_Ref], r: SpikeRules) -> int | None:
    """The district's alert this run extends: one holding any of its referrals, else one whose
    window comes within a window of the run's."""
    held = [x.alert_id for x in run if x.alert_id is not None]
    if held:
        return min(held)
    first, last = run[0].at, run[-1].at
    return session.scalar(
        select(SpikeAlert.id)
        .where(
            SpikeAlert.district == district,
            SpikeAlert.window_start <= last + r.window,
            SpikeAlert.window_end >= first - r.window,
        )
        .order_by(SpikeAlert.window_start, SpikeAlert.id)
        .limit(1)
    )


def _raise(session: Session, district: str, run: list[_Ref], now: datetime) -> int:
    alert = SpikeAlert(
        district=district,
        window_start=run[0].at,
        window_end=run[-1].at,
        referral_count=0,
        raised_at=now,
    )
    session.add(alert)
    session.flush()
    return alert.id


def _add_cases(session: Session, alert_id: int, refs: list[_Ref]) -> None:
    if refs:
        session.execute(
            insert(table_of(SpikeAlertCase)),
            [{"alert_id": alert_id, "referral_id": x.id} for x in refs],
        )
        for x in refs:
            x.alert_id = alert_id


def _recount(session: Session, alert_id: int, now: datetime, *, extended: bool) -> None:
    """The alert's count, window and substances from the referrals behind it."""
    rows = session.execute(
        select(Referral.incident_at, Referral.substances)
        .join(SpikeAlertCase, SpikeAlertCase.referral_id == Referral.id)
        .where(SpikeAlertCase.alert_id == alert_id)
    ).all()
    alert = session.get(SpikeAlert, alert_id)
    assert alert is not None
    was = alert.referral_count
    alert.referral_count = len(rows)
    alert.window_start = min(at for at, _ in rows)
    alert.window_end = max(at for at, _ in rows)
    alert.substances = substances_summary(s for _, s in rows)
    if extended and was:
        alert.extended_at = now
    session.flush()


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class AlertCase:
    """A case behind an alert that the user may open."""

    case_id: int
    police_reference: str


@dataclass(frozen=True)
class SpikeAlertInfo:
    id: int
    district: str
    window_start: datetime
    window_end: datetime
    referral_count: int
    substances: str | None
    raised_at: datetime
    extended_at: datetime | None
    acknowledged_at: datetime | None  # by this user, at the current count; None: not yet
    cases: tuple[AlertCase, ...] = ()  # those this user may open
    case_count: int = 0  # every case behind it

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def hidden_cases(self) -> int:
        """Cases behind the alert that this user may not open (counted, not named)."""
        return self.case_count - len(self.cases)

    @property
    def window_text(self) -> str:
        return f"{short_date_time(self.window_start)} to {short_date_time(self.window_end)}"

    @property
    def text(self) -> str:
        """One line for the banner, the history and the command line (no personal data)."""
        noted = self.substances or "none noted"
        return (
            f"Spike in {self.district}: {self.referral_count} overdoses from "
            f"{self.window_text} (incident times); substances: {noted}"
        )


def _acks(session: Session, user_id: int, alert_ids: list[int]) -> dict[int, tuple[int, datetime]]:
    """Per alert, the most referrals this user acknowledged and when they last did."""
    if not alert_ids:
        return {}
    return {
        a: (n, at)
        for a, n, at in session.execute(
            select(
                SpikeAlertAck.alert_id,
                func.max(SpikeAlertAck.referral_count),
                func.max(SpikeAlertAck.acknowledged_at),
            )
            .where(SpikeAlertAck.user_id == user_id, SpikeAlertAck.alert_id.in_(alert_ids))
            .group_by(SpikeAlertAck.alert_id)
        )
    }


def _infos(session: Session, actor: Actor, alerts: list[SpikeAlert]) -> list[SpikeAlertInfo]:
    ids = [a.id for a in alerts]
    acks = _acks(session, actor.id, ids)
    every: dict[int, int] = {}
    mine: dict[int, list[AlertCase]] = {i: [] for i in ids}
    if ids:
        every = dict(
            session.execute(
                select(SpikeAlertCase.alert_id, func.count(func.distinct(Referral.case_id)))
                .join(Referral, Referral.id == SpikeAlertCase.referral_id)
                .where(SpikeAlertCase.alert_id.in_(ids))
                .group_by(SpikeAlertCase.alert_id)
            ).all()
        )
        query = (
            select(SpikeAlertCase.alert_id, Case.id, Case.police_reference)
            .distinct()
            .join(Referral, Referral.id == SpikeAlertCase.referral_id)
            .join(Case, Case.id == Referral.case_id)
            .where(SpikeAlertCase.alert_id.in_(ids))
            .order_by(SpikeAlertCase.alert_id, Case.id)
        )
        if not actor.can("view_all_cases"):
            query = query.where(Case.assigned_worker_id == actor.id)
        for alert_id, case_id, reference in session.execute(query):
            mine[alert_id].append(AlertCase(case_id, reference))
    out = []
    for a in alerts:
        n, at = acks.get(a.id, (0, None))
        out.append(
            SpikeAlertInfo(
                id=a.id,
                district=a.district,
                window_start=a.window_start,
                window_end=a.window_end,
                referral_count=a.referral_count,
                substances=a.substances,
                raised_at=a.raised_at,
                extended_at=a.extended_at,
                acknowledged_at=at if n >= a.referral_count else None,
                cases=tuple(mine[a.id]),
                case_count=every.get(a.id, 0),
            )
        )
    return out


def alert_history(session: Session, actor: Actor, limit: int = 500) -> list[SpikeAlertInfo]:
    """Every spike alert, the latest incidents first (leads and workers)."""
    require(actor, "view_own_cases")
    alerts = list(
        session.scalars(
            select(SpikeAlert)
            .order_by(SpikeAlert.window_end.desc(), SpikeAlert.id.desc())
            .limit(limit)
        )
    )
    return _infos(session, actor, alerts)


def unacknowledged(session: Session, actor: Actor) -> list[SpikeAlertInfo]:
    """The alerts this user has not yet acknowledged (at their current count): the banner."""
    if not actor.can("view_own_cases"):
        return []
    seen = (
        select(SpikeAlertAck.id)
        .where(
            SpikeAlertAck.alert_id == SpikeAlert.id,
            SpikeAlertAck.user_id == actor.id,
            SpikeAlertAck.referral_count >= SpikeAlert.referral_count,
        )
        .exists()
    )
    alerts = list(
        session.scalars(
            select(SpikeAlert)
            .where(~seen)
            .order_by(SpikeAlert.window_end.desc(), SpikeAlert.id.desc())
            .limit(50)
        )
    )
    return _infos(session, actor, alerts)


def acknowledge(session: Session, actor: Actor, alert_id: int) -> None:
    """The user has seen the alert (at its current count): it leaves their banner; audited."""
    require(actor, "view_own_cases")
    alert = session.get(SpikeAlert, alert_id)
    if alert is None:
        raise NotFound(f"There is no spike alert {alert_id}.")
    done = session.scalar(
        select(func.max(SpikeAlertAck.referral_count)).where(
            SpikeAlertAck.alert_id == alert_id, SpikeAlertAck.user_id == actor.id
        )
    )
    if done is not None and done >= alert.referral_count:
        raise RuleViolation("You have already acknowledged this spike alert.")
    at = datetime.now(UTC)
    session.add(
        SpikeAlertAck(
            alert_id=alert_id,
            user_id=actor.id,
            acknowledged_at=at,
            referral_count=alert.referral_count,
        )
    )
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        "spike_alert",
        alert_id,
        {"acknowledged_at": at, "referral_count": alert.referral_count},
    )


# ------------------------------------------------------------------------------ My work


@dataclass(frozen=True)
class SpikePrompt:
    """A spike in a district where a worker has open cases: check on those people."""

    alert: SpikeAlertInfo
    cases: list[tuple[int, str, str]] = field(default_factory=list)  # id, reference, person

    @property
    def text(self) -> str:
        return prompt_text(self.alert.district, len(self.cases))


def prompt_text(district: str, people: int) -> str:
    noun = "person" if people == 1 else "people"
    return (
        f"Spike in {district}: check on your {people} {noun} there and pass on "
        "harm-reduction advice"
    )


def work_prompts(session: Session, actor: Actor, worker_id: int | None = None) -> list[SpikePrompt]:
    """For My work: each alert the worker has not acknowledged in a district (case area) where
    they have open cases, with those cases."""
    worker_id = worker_id or actor.id
    require(actor, "view_own_cases")
    if worker_id != actor.id:
        require(actor, "view_all_cases")
    # The worker's own acknowledgements count, whoever is looking at their list.
    worker = actor if worker_id == actor.id else Actor(worker_id, "", "", Role.WORKER)
    alerts = [a for a in unacknowledged(session, worker) if a.district]
    if not alerts:
        return []
    districts = sorted({a.district for a in alerts})
    rows = session.execute(
        select(
            Case.area,
            Case.id,
            Case.police_reference,
            Person.first_name,
            Person.last_name,
            Person.description,
        )
        .join(Person, Person.id == Case.person_id)
        .where(
            and_(
                Case.assigned_worker_id == worker_id,
                Case.status != CaseStatus.CLOSED,
                or_(*(Case.area == d for d in districts)),
            )
        )
        .order_by(Case.id)
    ).all()
    by_area: dict[str, list[tuple[int, str, str]]] = {}
    for area, case_id, reference, first, last, description in rows:
        by_area.setdefault(area or "", []).append(
            (case_id, reference, person_display_name(first, last, description))
        )
    return [SpikePrompt(a, by_area[a.district]) for a in alerts if by_area.get(a.district)]
