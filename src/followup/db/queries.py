"""Read queries for lists: the caseload, one page at a time, sorted and filtered in SQL.

Search understands what a worker types: an NHS number, a phone number in any UK spelling,
a police reference, or parts of a name in any order ("Smith, John" or "john smi").
Name and reference searches are prefix range scans so that they use the indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from followup.db.models import Case, CaseNote, Person, Referral, User, person_display_name
from followup.vocab import CASE_STATUSES, CaseStatus

__all__ = [
    "SORT_KEYS",
    "CaseQuery",
    "CaseRow",
    "age_on",
    "count_cases",
    "fetch_cases",
    "incident_columns",
    "search_condition",
    "status_condition",
]

SORT_KEYS = ("reference", "person", "age", "area", "status", "worker", "days", "due")
# A value sorting after every real one, for the upper end of a prefix range.
_HIGH = "\U0010ffff"


@dataclass(frozen=True)
class CaseQuery:
    """What the caseload asks for. ``worker_id`` 0 means unassigned cases.

    ``case_ids``, when given, keeps exactly those cases (a report's drill-down); the other
    filters still apply on top, so a drill-down asks for every status. ``search_phone`` is
    ``search`` as a stored phone number (E.164), or None when it is not one: the service that
    builds the query works it out, since storage knows no phone-number rules.
    """

    search: str = ""
    search_phone: str | None = None
    statuses: tuple[str, ...] = ()
    worker_id: int | None = None
    overdue_only: bool = False
    sort: str = "due"
    descending: bool = False
    case_ids: tuple[int, ...] | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class CaseRow:
    id: int
    police_reference: str
    person: str
    age: int | None
    area: str
    status: str
    worker: str
    referred_at: datetime
    next_action_due_at: datetime | None
    overdue: bool
    person_id: int = 0
    incident_at: datetime | None = None  # the case's latest overdose
    round_started_at: datetime | None = None
    overdoses: int = 0  # the person's police referrals, on every case
    last_overdose_at: datetime | None = None
    no_fixed_abode: bool = False
    # Filled by the caseload service (``casework.next_step``), which knows the rules.
    next_step: str = ""
    last_contact: str = ""
    last_contact_at: datetime | None = None

    def days_since_referral(self, now: datetime) -> int:
        return max(0, (now - self.referred_at).days)

    def days_since_incident(self, now: datetime) -> int | None:
        if self.incident_at is None:
            return None
        return max(0, (now - self.incident_at).days)


def age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _prefix(column: SQLColumnExpression[str], text: str) -> ColumnElement[bool]:
    return and_(column >= text, column < text + _HIGH)


def search_condition(text: str, phone: str | None = None) -> ColumnElement[bool] | None:
    """The WHERE clause for what was typed in the search box, or None for nothing typed.

    ``phone`` is the text as a stored phone number, when it is one. Every branch is an index
    lookup gathered into ``case.id IN (...)``: one OR across the case, referral and person
    tables would make the database read every case instead.
    """
    text = text.strip()
    if not text:
        return None
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{10}", digits) and not digits.startswith("0"):
        return Case.person_id.in_(select(Person.id).where(Person.nhs_number == digits))
    phone_like = re.fullmatch(r"\+?[\d\s()-]{7,}", text) and sum(c.isdigit() for c in text) >= 9
    if phone_like and phone:
        return Case.person_id.in_(select(Person.id).where(Person.phone == phone))
    upper = text.upper()
    tokens = [t for t in re.split(r"[\s,]+", text.lower()) if t]
    people = select(Person.id).where(
        *(
            or_(
                _prefix(func.lower(Person.last_name), token),
                _prefix(func.lower(Person.first_name), token),
            )
            for token in tokens
        )
    )
    matching_cases = union(
        select(Case.id).where(_prefix(Case.police_reference, upper)),
        select(Referral.case_id).where(Referral.police_reference == upper),
        select(Case.id).where(Case.person_id.in_(people)),
        # A case note that holds the text (notes are short and few per case).
        select(CaseNote.case_id).where(
            func.lower(CaseNote.text).contains(text.lower(), autoescape=True),
            CaseNote.voided_at.is_(None),
        ),
    )
    return Case.id.in_(matching_cases)


def status_condition(statuses: tuple[str, ...]) -> ColumnElement[bool] | None:
    """Statuses as the shorter of IN and NOT IN: "all open" becomes ``status <> 'closed'``,
    which lets the database walk the sort column's index instead of sorting most cases."""
    wanted = set(statuses)
    others = [s for s in CASE_STATUSES if s not in wanted]
    if not others:
        return None
    if len(others) < len(wanted):
        return Case.status != others[0] if len(others) == 1 else Case.status.not_in(others)
    return Case.status.in_(statuses)


def _filtered(columns: list[SQLColumnExpression[Any]], q: CaseQuery) -> Select[Any]:
    """The filtered cases; callers join ``person`` and ``user_account`` only when they need them."""
    stmt = select(*columns).select_from(Case)
    cond = search_condition(q.search, q.search_phone)
    if cond is not None:
        stmt = stmt.where(cond)
    if q.statuses:
        by_status = status_condition(q.statuses)
        if by_status is not None:
            stmt = stmt.where(by_status)
    if q.worker_id == 0:
        stmt = stmt.where(Case.assigned_worker_id.is_(None))
    elif q.worker_id is not None:
        stmt = stmt.where(Case.assigned_worker_id == q.worker_id)
    if q.overdue_only:
        stmt = stmt.where(Case.next_action_due_at < q.now, Case.status != CaseStatus.CLOSED)
    if q.case_ids is not None:
        # Rendered inline (ids are ints): a drill-down can hold more ids than a statement may
        # have bound parameters (32,766 in SQLite, 65,535 in PostgreSQL).
        ids = [int(i) for i in q.case_ids]
        stmt = stmt.where(
            Case.id.in_(bindparam("case_ids", ids, expanding=True, literal_execute=True))
        )
    return stmt


def _order(q: CaseQuery) -> list[SQLColumnExpression[Any]]:
    def d(col: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
        return col.desc() if q.descending else col.asc()

    keys: dict[str, list[SQLColumnExpression[Any]]] = {
        "reference": [d(Case.police_reference)],
        "person": [d(func.lower(Person.last_name)), d(func.lower(Person.first_name))],
        # Older people have earlier birth dates: age ascending is birth date descending.
        "age": [Person.date_of_birth.asc() if q.descending else Person.date_of_birth.desc()],
        "area": [d(Case.area)],
        "status": [d(Case.status)],
        "worker": [d(User.display_name)],
        # Days since the overdose: fewer days is a later incident.
        "days": [
            Case.incident_at.is_(None),
            Case.incident_at.asc() if q.descending else Case.incident_at.desc(),
        ],
        "due": [Case.next_action_due_at.is_(None), d(Case.next_action_due_at)],
    }
    if q.sort not in keys:
        raise ValueError(f"unknown sort key {q.sort!r}")
    return [*keys[q.sort], d(Case.id)]


def incident_columns() -> tuple[Any, Any, Any]:
    """A case's latest incident, and its person's overdose count and last overdose (labelled
    ``incident``, ``overdoses``, ``last_overdose``), for the caseload and My work lists."""
    return (
        func.coalesce(
            Case.incident_at,
            select(func.max(Referral.incident_at))
            .where(Referral.case_id == Case.id)
            .scalar_subquery(),
        ).label("incident"),
        select(func.count(Referral.id))
        .where(Referral.person_id == Case.person_id)
        .scalar_subquery()
        .label("overdoses"),
        select(func.max(Referral.incident_at))
        .where(Referral.person_id == Case.person_id)
        .scalar_subquery()
        .label("last_overdose"),
    )


def count_cases(session: Session, q: CaseQuery) -> int:
    return session.scalar(_filtered([func.count(Case.id)], q)) or 0


def fetch_cases(session: Session, q: CaseQuery, offset: int, limit: int) -> list[CaseRow]:
    stmt = (
        _filtered(
            [
                Case.id,
                Case.police_reference,
                Person.first_name,
                Person.last_name,
                Person.description,
                Person.date_of_birth,
                Case.area,
                Case.status,
                User.display_name,
                Case.referred_at,
                Case.next_action_due_at,
                Case.person_id,
                Case.round_started_at,
                Person.no_fixed_abode,
                *incident_columns(),
            ],
            q,
        )
        .join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == Case.assigned_worker_id)
        .order_by(*_order(q))
        .offset(offset)
        .limit(limit)
    )
    today = q.now.date()
    rows: list[CaseRow] = []
    for r in session.execute(stmt):
        rows.append(
            CaseRow(
                id=r.id,
                police_reference=r.police_reference,
                person=person_display_name(r.first_name, r.last_name, r.description),
                age=age_on(r.date_of_birth, today),
                area=r.area or "",
                status=r.status,
                worker=r.display_name or "",
                referred_at=r.referred_at,
                next_action_due_at=r.next_action_due_at,
                overdue=bool(
                    r.next_action_due_at is not None
                    and r.next_action_due_at < q.now
                    and r.status != CaseStatus.CLOSED
                ),
                person_id=r.person_id,
                incident_at=_aware(r.incident),
                round_started_at=r.round_started_at,
                overdoses=r.overdoses or 0,
                last_overdose_at=_aware(r.last_overdose),
                no_fixed_abode=bool(r.no_fixed_abode),
            )
        )
    return rows


def _aware(value: datetime | str | None) -> datetime | None:
    """A time read through an expression (which skips the column's type) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back its stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
