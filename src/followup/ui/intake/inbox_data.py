"""What the inbox shows, fetched on a pool thread and formatted as plain display-ready rows.

New unassigned cases (newest first, with the time since the referral arrived and a repeat
overdose marker), uncertain matches waiting for a decision, and, for leads, recent merges that
can still be undone. Everything here runs off the UI thread and returns frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from followup.access import Actor
from followup.db.engine import Database
from followup.db.models import Case, Person, PersonMerge, Referral, User
from followup.intake import inbox
from followup.intake.importer import referral_counts
from followup.uktime import short_date, short_date_time

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
    received: str  # full local time, for the tooltip of the waiting column
    overdoses: int  # this person's police referrals; more than one is a repeat overdose
    overdose_dates: str
    needs_review: bool


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
class InboxData:
    cases: tuple[CaseRow, ...]
    matches: tuple[MatchRow, ...]
    merges: tuple[MergeRow, ...]
    more_cases: bool  # the list stopped at CASE_LIMIT


CASE_HEADERS = (
    "Police ref.",
    "Person",
    "Date of birth",
    "Area",
    "Received",
    "Waiting",
    "Overdoses",
    "Match",
)
WAITING_COLUMN, OVERDOSE_COLUMN, MATCH_COLUMN = 5, 6, 7
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


def _case_facts(session: Session, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """case id -> (person id, version) for the listed cases."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Case.id, Case.person_id, Case.version).where(Case.id.in_(case_ids))
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def _incident_dates(session: Session, person_ids: list[int]) -> dict[int, list[datetime]]:
    dates: dict[int, list[datetime]] = {}
    if not person_ids:
        return dates
    for person_id, when in session.execute(
        select(Referral.person_id, Referral.incident_at)
        .where(Referral.person_id.in_(person_ids))
        .order_by(Referral.incident_at)
    ):
        dates.setdefault(person_id, []).append(when)
    return dates


def recent_merges(session: Session, limit: int = MERGE_LIMIT) -> list[MergeRow]:
    """Merges that can still be undone, newest first."""
    kept, merged = aliased(Person), aliased(Person)
    rows = session.execute(
        select(PersonMerge, kept, merged, User.display_name)
        .join(kept, kept.id == PersonMerge.kept_person_id)
        .join(merged, merged.id == PersonMerge.merged_person_id)
        .outerjoin(User, User.id == PersonMerge.merged_by_id)
        .where(PersonMerge.undone_at.is_(None))
        .order_by(PersonMerge.merged_at.desc(), PersonMerge.id.desc())
        .limit(limit)
    ).all()
    return [
        MergeRow(
            r[0].id,
            (short_date_time(r[0].merged_at), r[1].display_name, r[2].display_name, r[3] or ""),
        )
        for r in rows
    ]


def load_inbox(db: Database, actor: Actor, now: datetime) -> InboxData:
    """Everything the inbox shows, in one short session."""
    with db.session() as s:
        cases = inbox.new_cases(s, actor, limit=CASE_LIMIT + 1)
        matches = inbox.pending_matches(s, actor)
        more = len(cases) > CASE_LIMIT
        cases = cases[:CASE_LIMIT]
        facts = _case_facts(s, [c.case_id for c in cases])
        counts = referral_counts(s, [p for p, _ in facts.values()])
        repeats = _incident_dates(s, [p for p, n in counts.items() if n > 1])
        merges = recent_merges(s) if actor.can("merge_people") else []

    case_rows = []
    for c in cases:
        person_id, version = facts.get(c.case_id, (0, 0))
        count = max(counts.get(person_id, 0), c.referral_count)
        dates = ", ".join(short_date(d) for d in repeats.get(person_id, []))
        case_rows.append(
            CaseRow(
                case_id=c.case_id,
                version=version,
                cells=(
                    c.police_reference,
                    c.person,
                    short_date(c.date_of_birth),
                    c.area,
                    short_date_time(c.received_at),
                    time_since(c.received_at, now),
                    overdose_marker(count),
                    REVIEW_TEXT if c.needs_review else "",
                ),
                received=short_date_time(c.received_at),
                overdoses=count,
                overdose_dates=dates,
                needs_review=c.needs_review,
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
    return InboxData(tuple(case_rows), tuple(match_rows), tuple(merges), more)
