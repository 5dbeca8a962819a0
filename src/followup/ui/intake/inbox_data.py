"""What the inbox shows, fetched on a pool thread and formatted as plain display-ready rows.

New unassigned cases (newest first, with the time of the overdose, the time since it, when
the referral arrived, and a repeat overdose marker), new overdoses on open cases (for leads), uncertain matches waiting for a decision, and, for leads, recent merges that
can still be undone. Everything here runs off the UI thread and returns frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from followup import vocab
from followup.access import Actor
from followup.casework import reoverdose
from followup.intake import inbox
from followup.intake.importer import referral_counts
from followup.intake.traceability import latest_classes
from followup.uktime import short_date, short_date_time

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "ALERT_HEADERS",
    "CASE_HEADERS",
    "CASE_LIMIT",
    "MATCH_COLUMN",
    "MATCH_HEADERS",
    "MERGE_HEADERS",
    "MERGE_LIMIT",
    "OVERDOSE_COLUMN",
    "REVIEW_TEXT",
    "TRACEABILITY_COLUMN",
    "WAITING_COLUMN",
    "AlertRow",
    "CaseRow",
    "InboxData",
    "MatchRow",
    "MergeRow",
    "load_inbox",
    "merge_row",
    "ordinal",
    "overdose_marker",
    "time_since",
]

CASE_LIMIT = 500
MERGE_LIMIT = 50


def time_since(then: datetime, now: datetime) -> str:
    """How long ago, the way people say it: "12 min", "3 h", "2 days"."""
    minutes = int(max(0.0, (now - then).total_seconds()) // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def overdose_marker(count: int) -> str:
    """The words for a repeat overdose in a list: blank for a first one."""
    return f"Repeat: {ordinal(count)} overdose" if count > 1 else ""


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    version: int
    cells: tuple[str, ...]
    received: str  # the overdose's and the receipt's times, for the tooltip of the waiting column
    overdoses: int  # this person's police referrals; more than one is a repeat overdose
    overdose_dates: str
    needs_review: bool
    untraceable: bool = False  # no usable address or phone at intake (issue 17)


@dataclass(frozen=True)
class MatchRow:
    review_id: int
    case_id: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class MergeRow:
    merge_id: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class AlertRow:
    """A new overdose on an open case, not yet acknowledged by its worker (leads see these)."""

    case_id: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class InboxData:
    cases: tuple[CaseRow, ...]
    matches: tuple[MatchRow, ...]
    merges: tuple[MergeRow, ...]
    more_cases: bool  # the list stopped at CASE_LIMIT
    alerts: tuple[AlertRow, ...] = ()


CASE_HEADERS = (
    "Police ref.",
    "Person",
    "Date of birth",
    "Area",
    "Incident",
    "Waiting",
    "Received",
    "Overdoses",
    "Match",
    "Traceability",
)
# Waiting counts from the incident (the overdose), not from when the file arrived.
WAITING_COLUMN, OVERDOSE_COLUMN, MATCH_COLUMN, TRACEABILITY_COLUMN = 5, 7, 8, 9
ALERT_HEADERS = ("Police ref.", "Person", "Worker", "New overdose")
MATCH_HEADERS = (
    "Police ref.",
    "New referral",
    "Possibly the same as",
    "Score",
    "Received",
    "Waiting",
)
MERGE_HEADERS = ("Merged", "Kept record", "Merged into it", "By")
REVIEW_TEXT = "Check possible match"


def merge_row(merge: inbox.RecentMerge) -> MergeRow:
    return MergeRow(
        merge.merge_id,
        (short_date_time(merge.merged_at), merge.kept, merge.merged, merge.merged_by),
    )


def load_inbox(db: Database, actor: Actor, now: datetime) -> InboxData:
    """Everything the inbox shows, in one short session."""
    with db.session() as s:
        cases = inbox.new_cases(s, actor, limit=CASE_LIMIT + 1)
        matches = inbox.pending_matches(s, actor)
        more = len(cases) > CASE_LIMIT
        cases = cases[:CASE_LIMIT]
        counts = referral_counts(s, [c.person_id for c in cases])
        repeats = inbox.overdose_dates(s, [p for p, n in counts.items() if n > 1])
        traceability = latest_classes(s, [c.case_id for c in cases])
        merges = inbox.recent_merges(s, actor, MERGE_LIMIT) if actor.can("merge_people") else []
        alerts = reoverdose.open_alerts(s, actor) if actor.can("view_all_cases") else []

    case_rows = []
    for c in cases:
        count = max(counts.get(c.person_id, 0), c.referral_count)
        dates = ", ".join(short_date(d) for d in repeats.get(c.person_id, []))
        traced = traceability.get(c.case_id)
        case_rows.append(
            CaseRow(
                case_id=c.case_id,
                version=c.version,
                cells=(
                    c.police_reference,
                    c.person,
                    short_date(c.date_of_birth),
                    c.area,
                    short_date_time(c.incident_at),
                    time_since(c.incident_at or c.received_at, now),
                    short_date_time(c.received_at),
                    overdose_marker(count),
                    REVIEW_TEXT if c.needs_review else "",
                    vocab.label(traced),
                ),
                received=(
                    f"Overdose on {short_date_time(c.incident_at)}; referral received "
                    if c.incident_at
                    else "Referral received "
                )
                + short_date_time(c.received_at),
                overdoses=count,
                overdose_dates=dates,
                needs_review=c.needs_review,
                untraceable=traced in vocab.UNTRACEABLE,
            )
        )
    match_rows = [
        MatchRow(
            m.review_id,
            m.case_id,
            (
                m.police_reference,
                m.incoming,
                m.candidate,
                f"{m.score:.0f}",
                short_date_time(m.received_at),
                time_since(m.received_at, now),
            ),
        )
        for m in matches
    ]
    alert_rows = tuple(
        AlertRow(a.case_id, (a.police_reference, a.person, a.worker or "Unassigned", a.text))
        for a in alerts
    )
    return InboxData(
        tuple(case_rows), tuple(match_rows), tuple(merge_row(m) for m in merges), more, alert_rows
    )
