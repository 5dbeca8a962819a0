"""The team-lead figures as written definitions, and the reporting period.

Each figure has one definition (what is counted, over what, and which date puts a case in
the period). The dashboard's tooltips, the command line's help and docs/metrics.md all come
from ``FIGURES`` here, so there is one source for what a number means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from followup.errors import FollowupError
from followup.reports.benchmarks import benchmarks_markdown
from followup.uktime import short_date, uk_local_to_utc, uk_today

__all__ = [
    "BREAKDOWNS",
    "COUNT",
    "FIGURES",
    "FUNNEL",
    "HOURS",
    "KIT_FIGURES",
    "MEDIANS",
    "RATE",
    "RATES",
    "TIMELINESS_BUCKETS",
    "TIMELINESS_FIGURES",
    "TIMELINESS_MEASURES",
    "TRACEABILITY",
    "TRACEABILITY_DEFS",
    "FigureDefinition",
    "Period",
    "metrics_markdown",
    "month_start",
    "next_month_start",
    "parse_day",
    "period_from_args",
    "tooltip",
    "uk_midnight",
]

# Figures whose value is a fraction of another; shown as percentages.
RATE, COUNT, HOURS = "rate", "count", "hours"


@dataclass(frozen=True)
class FigureDefinition:
    """What one figure means, in words a team lead and a commissioner can check."""

    key: str
    label: str
    kind: str  # count, rate or hours
    numerator: str
    denominator: str
    period_date: str
    drill_down: str

    @property
    def text(self) -> str:
        """The whole definition in one paragraph, for a tooltip."""
        parts = [f"{self.label}: {self.numerator}"]
        if self.denominator:
            parts.append(f"Out of: {self.denominator}")
        parts.append(f"In the period: {self.period_date}")
        return "\n".join(parts)


_COHORT = (
    "the case's referral was received (the time the police referral that opened the case "
    "arrived) on or after the first day of the period and before the day after its last day"
)
_RECEIVED = "cases whose referral was received in the period (Referrals received)"

_DEFS = (
    FigureDefinition(
        "received",
        "Referrals received",
        COUNT,
        "Cases opened by a police referral received in the period. A repeat referral that "
        "joined a case already open is not counted again here (see Repeat overdoses); a "
        "reopened case counts once.",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "attempted",
        "Attempted",
        COUNT,
        "Of the referrals received, the cases with at least one contact attempt logged, at "
        "any time up to now.",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "contacted",
        "Contacted",
        COUNT,
        "Of the referrals received, the cases with at least one attempt where the worker "
        "spoke with the person (outcome: spoke, engaged or spoke, declined), at any time up "
        "to now. An attempt through family or friends where the worker spoke with them counts "
        "too (see Engaged through their network).",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "engaged",
        "Engaged",
        COUNT,
        "Of the referrals received, the cases that have ever been Engaged, Referred or In "
        "treatment (from the case's status history), or were closed as engaged in treatment.",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "referred",
        "Referred",
        COUNT,
        "Of the referrals received, the cases that have ever been Referred or In treatment "
        "(from the case's status history).",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "in_treatment",
        "In treatment",
        COUNT,
        "Of the referrals received, the cases that have ever been In treatment (from the "
        "case's status history).",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "first_attempt_in_time",
        "First attempt in time",
        COUNT,
        "Of the referrals received, the cases whose first contact attempt was logged no "
        "later than the first-attempt target (setting, default 72 hours) after the referral "
        "was received, timed to the second.",
        "",
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "first_attempt_in_time_rate",
        "First attempt within target",
        RATE,
        "First attempt in time (cases whose first attempt came within the target, default "
        "72 hours, of receipt).",
        _RECEIVED + "; cases not yet attempted count as not in time.",
        _COHORT,
        "The cases attempted in time.",
    ),
    FigureDefinition(
        "contact_rate",
        "Contact made",
        RATE,
        "Contacted (cases where the worker spoke with the person).",
        _RECEIVED + ".",
        _COHORT,
        "The cases contacted.",
    ),
    FigureDefinition(
        "engagement_rate",
        "Engagement",
        RATE,
        "Engaged (cases that ever reached Engaged or beyond).",
        _RECEIVED + ".",
        _COHORT,
        "The cases engaged.",
    ),
    FigureDefinition(
        "treatment_entry_rate",
        "Treatment entry",
        RATE,
        "In treatment (cases that ever reached In treatment).",
        _RECEIVED + " (not of those engaged or referred).",
        _COHORT,
        "The cases in treatment.",
    ),
    FigureDefinition(
        "median_hours_to_first_attempt",
        "Median hours to first attempt",
        HOURS,
        "The median of the hours from the referral being received to the case's first contact "
        "attempt (the middle value; the mean of the two middle values when their number is "
        "even).",
        "cases received in the period that have at least one attempt; cases without one are "
        "left out, so read it together with Attempted.",
        _COHORT,
        "The cases the median is taken over.",
    ),
    FigureDefinition(
        "median_hours_to_first_contact",
        "Median hours to first contact",
        HOURS,
        "The median of the hours from the referral being received to the first attempt where "
        "the worker spoke with the person.",
        "cases received in the period that have been contacted; cases not contacted are left "
        "out, so read it together with Contacted.",
        _COHORT,
        "The cases the median is taken over.",
    ),
    FigureDefinition(
        "overdue",
        "Overdue now",
        COUNT,
        "Open cases (not closed) whose next contact attempt was due before the moment the "
        "report was made. A snapshot of today's work, not a figure of the period: the period "
        "does not change it.",
        "",
        "none: every open case counts, whenever its referral was received.",
        "The overdue cases.",
    ),
    FigureDefinition(
        "repeat_overdoses",
        "Repeat overdoses",
        COUNT,
        "Police referrals received in the period for a person who already had an earlier "
        "referral (received before it, at any time). Counts referrals, not people: a person "
        "referred three times counts twice.",
        "",
        "the referral was received in the period (its own received time, which for a "
        "referral joining an open case is later than the case's).",
        "The cases the repeat referrals belong to.",
    ),
    FigureDefinition(
        "naloxone_kits",
        "Naloxone kits supplied",
        COUNT,
        "The number of take-home naloxone kits supplied by the service (the sum of quantities "
        "recorded), new supplies and resupplies alike. Doses police gave at the scene are "
        "not counted.",
        "",
        "the date the kits were supplied falls in the period.",
        "The cases the kits were recorded on.",
    ),
    FigureDefinition(
        "engaged_network",
        "Engaged through their network",
        COUNT,
        "Of the cases counted in Engaged, those reached only through the person's family or "
        "friends: every attempt where the worker spoke with someone (outcome: spoke, engaged "
        "or spoke, declined; attempts entered in error left out) was made through family or "
        "friends (method: Through family or friends), and there was at least one. Part of "
        "Engaged, shown on its own, as Massachusetts' Post Overdose Support Teams report "
        "engagement through a survivor's social network.",
        "",
        _COHORT,
        "The cases counted.",
    ),
)

FIGURES: dict[str, FigureDefinition] = {d.key: d for d in _DEFS}
FUNNEL = (
    "received",
    "attempted",
    "contacted",
    "engaged",
    "engaged_network",
    "referred",
    "in_treatment",
)
RATES = ("first_attempt_in_time_rate", "contact_rate", "engagement_rate", "treatment_entry_rate")
MEDIANS = ("median_hours_to_first_attempt", "median_hours_to_first_contact")
BREAKDOWNS = ("worker", "area", "month")

# Figures of the dashboard's Kits tab (not of the engagement report's tiles and tables):
# defined here and documented with the others.
_KIT_DEFS = (
    FigureDefinition(
        "resupplies_by_reason",
        "Resupplies by reason",
        COUNT,
        "Naloxone resupplies (supplies recorded as a resupply, not as a new supply), counted "
        "for each resupply reason recorded: used on self, used on someone else, lost, expired, "
        "confiscated and other. Each reason gives the number of resupplies recorded and the "
        "number of kits they gave (the sum of their quantities). Supplies entered in error or "
        "amended are not counted (an amendment's corrected entry is). Every caseload counts.",
        "",
        "the date the kits were supplied falls in the period.",
        "No drill-down: the counts are shown on the Kits tab and by `followup report kits`.",
    ),
)
KIT_FIGURES: dict[str, FigureDefinition] = {d.key: d for d in _KIT_DEFS}
# Timeliness in buckets (followup.reports.timeliness): for each measure, the cases of the
# cohort by how long after receipt it came. Bounds in seconds, lower included, upper not.
TIMELINESS_MEASURES = {
    "attempt": ("first attempt", "first contact attempt"),
    "contact": (
        "first contact",
        "first attempt where the worker spoke with the person (spoke, engaged or spoke, declined)",
    ),
}
TIMELINESS_BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("under_24h", "Under 24 h", 0, 24 * 3600),
    ("24_48h", "24–48 h", 24 * 3600, 48 * 3600),
    ("48_72h", "48–72 h", 48 * 3600, 72 * 3600),
    ("3_7d", "3–7 days", 72 * 3600, 7 * 24 * 3600),
    ("7d_plus", "7 days or more", 7 * 24 * 3600, None),
    ("not_yet", "Not yet", None, None),
)


def _bucket_words(low: int | None, high: int | None) -> str:
    def hours(s: int) -> str:
        return f"{s // 3600} hours"

    if low is None:
        return ""
    if high is None:
        return f"{hours(low)} (7 days) or more after the referral was received"
    if low == 0:
        return f"less than {hours(high)} after the referral was received (or at the same time)"
    return f"{hours(low)} or more, but less than {hours(high)}, after the referral was received"


def _timeliness_defs() -> tuple[FigureDefinition, ...]:
    out = []
    for measure, (name, what) in TIMELINESS_MEASURES.items():
        for bucket, label, low, high in TIMELINESS_BUCKETS:
            if low is None:
                counts = (
                    f"Of the referrals received, the cases with no {what} logged so far (up to "
                    "the moment the report is made), so that every case is in one bucket."
                )
            else:
                counts = (
                    f"Of the referrals received, the cases whose {what} was logged "
                    f"{_bucket_words(low, high)}, timed to the second; by weekday it is the "
                    "UK day (Europe/London) the referral was received."
                )
            out.append(
                FigureDefinition(
                    f"{measure}_{bucket}",
                    f"Time to {name}: {label}",
                    COUNT,
                    counts,
                    "",
                    _COHORT,
                    "The cases counted.",
                )
            )
    return tuple(out)


_TIMELINESS_DEFS = _timeliness_defs()
TIMELINESS_FIGURES: dict[str, FigureDefinition] = {d.key: d for d in _TIMELINESS_DEFS}
# The traceability tab's figures (issue 17), kept apart from FIGURES: they are not the
# engagement report's, and are shown and exported by ``followup.reports.traceability``.
_UNTRACED = (
    "no usable address, no usable phone, no usable address or phone, wrong number, not at address"
)
TRACEABILITY_DEFS = (
    FigureDefinition(
        "referrals_by_traceability",
        "Referrals by traceability",
        COUNT,
        "Police referrals received in the period, each counted once under the traceability "
        "class it was given at intake from what the police gave with it: Name, address and "
        "phone; Name and address; Name and phone; Name only; Description only (no name). A "
        "usable phone parses as a UK number; a usable address is a UK postcode or an address "
        'line of at least five characters that is not a placeholder such as "unknown", '
        "and never one marked no fixed abode. Repeat referrals count too.",
        "",
        "the referral was received in the period (its own received time).",
        "The cases the referrals belong to.",
    ),
    FigureDefinition(
        "not_traceable_at_intake",
        "Not traceable at intake",
        COUNT,
        "Of the referrals by traceability, those classed Name only or Description only: no "
        "usable address and no usable phone came with them.",
        "police referrals received in the period (Referrals by traceability)",
        "the referral was received in the period (its own received time).",
        "The cases the referrals belong to.",
    ),
    FigureDefinition(
        "closed_without_contact",
        "Closed without contact",
        COUNT,
        "Of the referrals received (cases), those closed now without the worker ever "
        "speaking with the person (no attempt, not voided, with outcome spoke, engaged or "
        "spoke, declined), counted by the no-contact reason given at closure; cases closed "
        "before the reason was asked show as Not recorded.",
        _RECEIVED,
        _COHORT,
        "The cases counted.",
    ),
    FigureDefinition(
        "never_traced",
        "Never traced",
        COUNT,
        "Of the cases closed without contact, those whose no-contact reason says the details "
        f"given never led to the person: {_UNTRACED}.",
        _RECEIVED,
        _COHORT,
        "The cases counted.",
    ),
)
TRACEABILITY: dict[str, FigureDefinition] = {d.key: d for d in TRACEABILITY_DEFS}


def tooltip(key: str) -> str:
    """The definition of a figure, for the dashboard's tooltip."""
    return (FIGURES.get(key) or TIMELINESS_FIGURES[key]).text


def metrics_markdown(definitions: tuple[FigureDefinition, ...] | None = None) -> str:
    """The definitions as the Markdown table kept in docs/metrics.md (by default the
    team-lead figures; ``TRACEABILITY_DEFS`` for the traceability tab's)."""
    lines = [
        "| figure | key | counts (numerator) | out of (denominator) | in the period when | drill-down shows |",
        "|---|---|---|---|---|---|",
    ]
    for d in (*_DEFS, *_KIT_DEFS, *_TIMELINESS_DEFS) if definitions is None else definitions:
        lines.append(
            f"| {d.label} | `{d.key}` | {d.numerator} | {d.denominator or '-'} | "
            f"{d.period_date} | {d.drill_down} |"
        )
    table = "\n".join(lines) + "\n"
    if definitions is not None:
        return table
    return table + _BENCHMARKS_INTRO + benchmarks_markdown()


_BENCHMARKS_INTRO = """
## Published programmes to compare with

The dashboard shows these published figures beside our engagement and treatment-entry rates
(`followup.reports.benchmarks`; each figure's tooltip gives its source and how its definition
differs). Their definitions are not ours: read them as a rough guide, not a target. Our figure
beside each is the count named over Referrals received, for the period on the dashboard. The
sources were read in stored copies of the pages named, not on the live sites; the last column
says what could be checked, and where a citation could not be.

"""


# ---------------------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """Whole days ``[start, end)``: ``end`` is the day after the last day of the period.

    Days are UK days (Europe/London): a period starts at midnight on the UK wall clock of its
    first day, which is 23:00 UTC the evening before in summer time, and its months are UK
    calendar months (``reports.queries.month_of``).
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise FollowupError("The period must end after it starts; check the dates.")

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        """UK midnight at the start of the first day, as the aware UTC time stored times use."""
        return uk_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """UK midnight at the start of the day after the last day."""
        return uk_midnight(self.end)

    @property
    def label(self) -> str:
        return f"{short_date(self.start)} to {short_date(self.last_day)}"

    @property
    def slug(self) -> str:
        """For file names and audit details: 2026-11-01_to_2026-11-30 (last day inclusive)."""
        return f"{self.start.isoformat()}_to_{self.last_day.isoformat()}"

    def months(self) -> list[str]:
        """Every month the period touches, as 'YYYY-MM', in order."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.last_day.year, self.last_day.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def as_json(self) -> dict[str, str]:
        return {
            "from": self.start.isoformat(),
            "to": self.last_day.isoformat(),
            "end_exclusive": self.end.isoformat(),
        }

    # The period picker's choices.
    @classmethod
    def this_month(cls, today: date | None = None) -> Period:
        """From the 1st of this month up to and including today."""
        today = today or uk_today()
        return cls(today.replace(day=1), today + timedelta(days=1))

    @classmethod
    def last_month(cls, today: date | None = None) -> Period:
        today = today or uk_today()
        first = today.replace(day=1)
        return cls((first - timedelta(days=1)).replace(day=1), first)

    @classmethod
    def this_quarter(cls, today: date | None = None) -> Period:
        """From the 1st of this calendar quarter up to and including today."""
        today = today or uk_today()
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return cls(start, today + timedelta(days=1))

    @classmethod
    def custom(cls, first_day: date, last_day: date) -> Period:
        """From ``first_day`` to ``last_day``, both included."""
        if last_day < first_day:
            raise FollowupError(
                "The period must end on or after the day it starts; check the dates."
            )
        return cls(first_day, last_day + timedelta(days=1))


def uk_midnight(day: date) -> datetime:
    """The aware UTC time of midnight at the start of ``day`` on the UK wall clock."""
    return uk_local_to_utc(datetime.combine(day, time()))


def month_start(key: str) -> date:
    """The 1st of the month ``key`` ('YYYY-MM')."""
    year, month = key.split("-")
    return date(int(year), int(month), 1)


def next_month_start(key: str) -> date:
    """The 1st of the month after ``key`` ('YYYY-MM')."""
    first = month_start(key)
    return date(first.year + 1, 1, 1) if first.month == 12 else first.replace(month=first.month + 1)


def parse_day(value: str) -> date:
    """A date typed by a person: ISO (2026-11-01) or UK day-first (01/11/2026)."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        pass
    raise FollowupError(f"{value!r} is not a date; write it as 2026-11-01 or 01/11/2026.")


def period_from_args(first: str | None, last: str | None, today: date | None = None) -> Period:
    """The period for --from/--to (both days included); by default this month so far."""
    today = today or uk_today()
    if first is None and last is None:
        return Period.this_month(today)
    start = parse_day(first) if first else today.replace(day=1)
    end = parse_day(last) if last else today
    return Period.custom(start, end)
