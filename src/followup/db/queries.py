"""Read queries for lists: the caseload, one page at a time, sorted and filtered in SQL.

Search understands what a worker types: an NHS number, a phone number in any UK spelling,
a police reference, or parts of a name in any order ("Smith, John" or "john smi").
Name and reference searches are prefix range scans so that they use the indexes. A search
that many people match (the start of a phone number every demo phone shares) walks the
sort's index and stops after a page; one that few match hands their ids to the case query.

Pages after the first are read as driver records (``fetch_case_records``), without
SQLAlchemy's per-row conversions: a scrolled caseload reads a hundred thousand rows and shows
a few dozen, which become ``CaseRow`` objects (``case_row``) when they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    type_coerce,
    union,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from followup.db.models import Case, CaseNote, Person, Referral, User, person_display_name
from followup.vocab import CASE_STATUSES, CaseStatus

__all__ = [
    "SORT_KEYS",
    "CaseQuery",
    "CaseRecord",
    "CaseRow",
    "Seek",
    "BROAD_SEARCH",
    "FOUND_PEOPLE",
    "age_on",
    "range_people",
    "exact_people",
    "found_people",
    "case_row",
    "count_cases",
    "fetch_case_records",
    "fetch_cases",
    "incident_columns",
    "overdoses_of",
    "search_condition",
    "status_condition",
]

SORT_KEYS = ("reference", "person", "age", "area", "status", "worker", "days", "due")
# A search that finds more people than this by an index range is broad (``range_people``).
BROAD_SEARCH = 5000
# A search for part of a number anywhere that finds at most this many people names them.
FOUND_PEOPLE = 5000
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


@dataclass(slots=True)
class CaseRow:
    """One caseload row. Slotted, as a million of them may be held by a scrolled caseload."""

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
    steps_known: bool = False  # whether the three above have been filled
    risk_known: bool = True  # whether ``overdoses`` and ``last_overdose_at`` have been read

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


def _prefix(
    column: SQLColumnExpression[str] | SQLColumnExpression[str | None], text: str
) -> ColumnElement[bool]:
    return and_(column >= text, column < text + _HIGH)


# The trigram tables of migration 0017 on SQLite (FTS5, external content: row ids only).
_person_search = table("person_search", column("rowid"), column("phone"), column("nhs_number"))
_note_search = table("case_note_search", column("rowid"), column("text"))


def _fts_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: for the trigram tokenizer, that substring anywhere."""
    return '"' + text.replace('"', '""') + '"'


def _phone_start(text: str, digits: str) -> str | None:
    """The start of a stored phone number (+44…) that these typed digits are, if they are."""
    if digits.startswith("0"):  # the UK trunk prefix: no NHS number starts with 0
        return "+44" + digits[1:]
    if text.startswith("+"):
        return "+" + digits
    return None


def _people_condition(text: str) -> ColumnElement[bool] | None:
    """For a search that finds people by an index range (the start of a phone number, the
    start of a name), the condition on ``person``; None for any other search."""
    text = text.strip()
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{10}", digits) and not digits.startswith("0"):
        return None  # an NHS number: one person
    if re.fullmatch(r"\+?[\d\s()-]+", text):
        number = re.sub(r"\D", "", text)
        start = _phone_start(text, number) if len(number) >= 4 else None
        if start is None or (len(number) >= 9 and re.fullmatch(r"\+?[\d\s()-]{7,}", text)):
            return None  # part of a number anywhere, or a whole phone number
        return _prefix(Person.phone, start)
    return _name_condition(text)


def _name_condition(text: str) -> ColumnElement[bool]:
    tokens = [t for t in re.split(r"[\s,]+", text.lower()) if t]
    return and_(
        *(
            or_(
                _prefix(func.lower(Person.last_name), token),
                _prefix(func.lower(Person.first_name), token),
            )
            for token in tokens
        )
    )


def range_people(session: Session, text: str) -> tuple[bool, list[int] | None]:
    """For a search that finds people by an index range (``_people_condition``): whether it
    is broad, finding over ``BROAD_SEARCH`` people ("07700 900" in the demo, "smi" among a
    million cases), and if not, its people. A broad search is answered by walking the sort's
    index and keeping the cases whose person matches, which stops after a page; a narrow one
    by looking up its people's cases, given as a list: as a subquery the database cannot
    tell how few they are. (False, None) for any other search."""
    people = _people_condition(text)
    if people is None:
        return False, None
    # Whether there are more than BROAD_SEARCH people first, in the index and without
    # handing thousands of ids to Python: "smi" among a million cases finds 27,000 people.
    past = select(Person.id).where(people).limit(1).offset(BROAD_SEARCH)
    if session.scalar(past) is not None:
        return True, None
    return False, [int(i) for i in session.scalars(select(Person.id).where(people))]


def found_people(session: Session, text: str) -> list[int] | None:
    """For a search for part of a number anywhere ("943 476"), its people, when there are
    at most ``FOUND_PEOPLE`` of them; None for any other search. The trigram index finds
    them, and the caseload then looks their cases up by person: given the lookup as a
    subquery, the database cannot tell how few they are and walks the open cases instead."""
    text = text.strip()
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\+?[\d\s()-]+", text) or re.fullmatch(r"\d{10}", digits):
        return None
    number = re.sub(r"\D", "", text)
    if len(number) < 4 or _phone_start(text, number) is not None:
        return None
    if len(number) >= 9 and re.fullmatch(r"\+?[\d\s()-]{7,}", text):
        return None  # a whole phone number, perhaps
    found = _number_people(number, _dialect(session) == "sqlite").limit(FOUND_PEOPLE + 1)
    ids = [int(i) for i in session.scalars(found)]
    return ids if len(ids) <= FOUND_PEOPLE else None


def exact_people(session: Session, text: str, phone: str | None) -> list[int] | None:
    """For a search for a whole NHS number or a whole phone number, the people who have it;
    None for any other search. Looked up first and handed to the case query as a list: as a
    subquery the database cannot tell that it finds one person, and walks the sort's index of
    open cases instead (every one of a million when that person's cases are closed)."""
    text = text.strip()
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{10}", digits) and not digits.startswith("0"):
        found = select(Person.id).where(Person.nhs_number == digits)
    elif phone and _whole_phone(text):
        found = select(Person.id).where(Person.phone == phone)
    else:
        return None
    ids = [int(i) for i in session.scalars(found.limit(FOUND_PEOPLE + 1))]
    return ids if len(ids) <= FOUND_PEOPLE else None


def _whole_phone(text: str) -> bool:
    return bool(re.fullmatch(r"\+?[\d\s()-]{7,}", text)) and sum(c.isdigit() for c in text) >= 9


def _partial_number(
    text: str, digits: str, sqlite: bool, broad: bool, named: list[int] | None = None
) -> ColumnElement[bool]:
    """People whose phone or NHS number holds these digits ("943 476", "900 123"), or whose
    phone starts with them when they start as a phone number does ("07700 900", "+44 7700").
    A phone is stored as +44…: the start of one is a range of the phone index, anywhere else
    the trigram index finds it."""
    start = _phone_start(text, digits)
    if start is not None:
        return _of_people(_prefix(Person.phone, start), broad, named)
    return Case.person_id.in_(_number_people(digits, sqlite))


def _number_people(digits: str, sqlite: bool) -> Any:
    """The ids of the people whose phone or NHS number holds these digits anywhere."""
    if sqlite:
        return union(
            select(_person_search.c.rowid).where(
                _person_search.c.phone.op("MATCH")(_fts_phrase(digits))
            ),
            select(_person_search.c.rowid).where(
                _person_search.c.nhs_number.op("MATCH")(_fts_phrase(digits))
            ),
        )
    return select(Person.id).where(
        or_(Person.phone.contains(digits), Person.nhs_number.contains(digits))
    )


def _note_cases(text: str, sqlite: bool) -> Select[Any]:
    """The cases with a note (not voided) that holds the text, from the trigram index."""
    if sqlite and len(text) >= 3:
        notes = select(_note_search.c.rowid).where(
            _note_search.c.text.op("MATCH")(_fts_phrase(text))
        )
        return select(CaseNote.case_id).where(CaseNote.id.in_(notes), CaseNote.voided_at.is_(None))
    holds = (
        func.lower(CaseNote.text).contains(text.lower(), autoescape=True)
        if sqlite
        else CaseNote.text.ilike("%" + _escape_like(text) + "%", escape="/")
    )
    return select(CaseNote.case_id).where(holds, CaseNote.voided_at.is_(None))


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _of_people(
    people: ColumnElement[bool], broad: bool, named: list[int] | None = None
) -> ColumnElement[bool]:
    """Cases whose person meets the condition: for a broad search checked case by case
    (``range_people``), otherwise gathered from the people first (``named``, when found
    already)."""
    if named is not None:
        return Case.person_id.in_(_id_list("named_people", named))
    if broad:
        # The person table of its own, even where the query joins ``person`` too.
        return (
            select(Person.id).where(Person.id == Case.person_id, people).correlate_except(Person)
        ).exists()
    return Case.person_id.in_(select(Person.id).where(people))


def search_condition(
    text: str,
    phone: str | None = None,
    dialect: str = "sqlite",
    *,
    broad: bool = False,
    people: list[int] | None = None,
    named: list[int] | None = None,
) -> ColumnElement[bool] | None:
    """The WHERE clause for what was typed in the search box, or None for nothing typed.

    ``phone`` is the text as a stored phone number, when it is one. Every branch is an index
    lookup gathered into ``case.id IN (...)``: one OR across the case, referral and person
    tables would make the database read every case instead. Part of a phone or NHS number,
    and words in a note, are found through trigram indexes (migration 0017).
    """
    text = text.strip()
    if not text:
        return None
    if people is not None:  # found already (``found_people``)
        if not people:
            return false()
        return Case.person_id.in_(_id_list("search_people", people))
    sqlite = dialect == "sqlite"
    digits = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\d{10}", digits) and not digits.startswith("0"):
        return Case.person_id.in_(select(Person.id).where(Person.nhs_number == digits))
    if phone and _whole_phone(text):
        return Case.person_id.in_(select(Person.id).where(Person.phone == phone))
    if re.fullmatch(r"\+?[\d\s()-]+", text):
        number = re.sub(r"\D", "", text)
        if len(number) >= 4:
            return _partial_number(text, number, sqlite, broad, named)
    upper = text.upper()
    others = (
        select(Case.id).where(_prefix(Case.police_reference, upper)),
        select(Referral.case_id).where(Referral.police_reference == upper),
        # A case note that holds the text.
        _note_cases(text, sqlite),
    )
    if broad:
        return or_(_of_people(_name_condition(text), True), Case.id.in_(union(*others)))
    people_cases = select(Case.id).where(_of_people(_name_condition(text), False, named))
    return Case.id.in_(union(people_cases, *others))


def _id_list(name: str, ids: list[int]) -> BindParameter[list[int]]:
    """Ids written into the SQL (they are ints), so that the database knows how many."""
    return bindparam(name, [int(i) for i in ids], expanding=True, literal_execute=True)


def status_condition(statuses: tuple[str, ...]) -> ColumnElement[bool] | None:
    """Statuses as the shorter of IN and NOT IN: "all open" becomes ``status <> 'closed'``,
    which lets the database walk the sort column's index instead of sorting most cases."""
    wanted = set(statuses)
    others = [s for s in CASE_STATUSES if s not in wanted]
    if not others:
        return None
    # Written into the SQL, not bound: only a literal lets the database prove that the query
    # wants open cases and read the partial indexes of open cases (``WHERE status <> 'closed'``).
    if len(others) < len(wanted):
        if len(others) == 1:
            return Case.status != _literal(others[0])
        return Case.status.not_in(bindparam("not_statuses", others, literal_execute=True))
    return Case.status.in_(bindparam("statuses", list(statuses), literal_execute=True))


def _literal(value: str) -> BindParameter[str]:
    return bindparam(None, value, literal_execute=True)


@dataclass(frozen=True)
class _Search:
    """How a query's search is best answered (``range_people``, ``found_people``)."""

    broad: bool = False
    people: list[int] | None = None
    named: list[int] | None = None
    # Whether a count walks the cases too: only for the start of a phone number, which many
    # people share. The many people a name finds are counted from the people (a count stops
    # after ``most`` cases, and most cases of a name's many people are closed).
    broad_count: bool = False


def _plan_search(session: Session, q: CaseQuery) -> _Search:
    if not q.search.strip():
        return _Search()
    people = exact_people(session, q.search, q.search_phone)
    if people is None:
        people = found_people(session, q.search)
    if people is not None:
        return _Search(people=people)
    broad, named = range_people(session, q.search)
    phone = bool(re.match(r"[+\d]", q.search.strip()))
    return _Search(broad=broad, named=named, broad_count=broad and phone)


def _filtered(
    columns: list[SQLColumnExpression[Any]], q: CaseQuery, dialect: str, search: _Search
) -> Select[Any]:
    """The filtered cases; callers join ``person`` and ``user_account`` only when they need them."""
    stmt = select(*columns).select_from(Case)
    cond = search_condition(
        q.search,
        q.search_phone,
        dialect,
        broad=search.broad,
        people=search.people,
        named=search.named,
    )
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
        stmt = stmt.where(
            Case.next_action_due_at < q.now, Case.status != _literal(CaseStatus.CLOSED)
        )
    if q.case_ids is not None:
        # Rendered inline (ids are ints): a drill-down can hold more ids than a statement may
        # have bound parameters (32,766 in SQLite, 65,535 in PostgreSQL).
        ids = [int(i) for i in q.case_ids]
        stmt = stmt.where(
            Case.id.in_(bindparam("case_ids", ids, expanding=True, literal_execute=True))
        )
    return stmt


# A sort key is a list of segments, each a condition and the columns it is ordered by (none
# of them NULL within it, so that a row-value seek can continue after any row); a column that
# can be empty gets a segment of its own for the empty rows, which come last either way.
_Segment = tuple[ColumnElement[bool] | None, tuple[SQLColumnExpression[Any], ...], bool]


def _first_name_key() -> SQLColumnExpression[Any]:
    return func.coalesce(func.lower(Person.first_name), literal_column("''"))


def _segments(q: CaseQuery, few: bool = False) -> list[_Segment]:
    """The segments of the query's sort: (condition, key columns, descending).

    With ``few`` (a search that has named its few people already) a segment's test for an
    empty column is written so that no index can serve it: SQLite would otherwise walk the
    index of open cases with no due date (25,000 of them at a million cases) to find the
    people's few cases, instead of looking them up by person."""
    down = q.descending
    by_id = (Case.id,)

    def _plain(column: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
        return func.coalesce(column, None) if few else column

    def null(column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
        return _plain(column).is_(None)

    def not_null(column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
        return _plain(column).is_not(None)

    segments: dict[str, list[_Segment]] = {
        "reference": [(None, (Case.police_reference, Case.id), down)],
        "person": [
            (
                not_null(Person.last_name),
                (func.lower(Person.last_name), _first_name_key(), Case.id),
                down,
            ),
            (null(Person.last_name), (_first_name_key(), Case.id), down),
        ],
        # Older people have earlier birth dates: age ascending is birth date descending.
        "age": [
            (not_null(Person.date_of_birth), (Person.date_of_birth, Case.id), not down),
            (null(Person.date_of_birth), by_id, down),
        ],
        "area": [
            (not_null(Case.area), (Case.area, Case.id), down),
            (null(Case.area), by_id, down),
        ],
        "status": [(None, (Case.status, Case.id), down)],
        "worker": [
            (not_null(Case.assigned_worker_id), (User.display_name, Case.id), down),
            (null(Case.assigned_worker_id), by_id, down),
        ],
        # Days since the overdose: fewer days is a later incident.
        "days": [
            (not_null(Case.incident_at), (Case.incident_at, Case.id), not down),
            (null(Case.incident_at), by_id, down),
        ],
        "due": [
            (not_null(Case.next_action_due_at), (Case.next_action_due_at, Case.id), down),
            (null(Case.next_action_due_at), by_id, down),
        ],
    }
    if q.sort not in segments:
        raise ValueError(f"unknown sort key {q.sort!r}")
    return segments[q.sort]


@dataclass(frozen=True)
class Seek:
    """Where the next page of a sorted caseload starts: just after the row with these sort
    values in this segment of the sort (``_segments``)."""

    segment: int
    values: tuple[Any, ...]


def _after(
    keys: tuple[SQLColumnExpression[Any], ...], values: tuple[Any, ...], down: bool
) -> list[ColumnElement[bool]]:
    """The seek conditions after ``values``, as steps that each read one index range in
    order: the same first keys and a later last one, from the longest prefix to the first key
    alone. (One row-value comparison cannot use an index across a join; these can.)"""
    steps = []
    for n in range(len(keys), 0, -1):
        equal = [k == v for k, v in zip(keys[: n - 1], values[: n - 1], strict=True)]
        later = keys[n - 1] < values[n - 1] if down else keys[n - 1] > values[n - 1]
        steps.append(and_(*equal, later))
    return steps


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


def count_cases(session: Session, q: CaseQuery, most: int | None = None) -> int:
    """How many cases the query finds; with ``most``, counting stops after that many and
    more (``most + 1`` means "more than ``most``")."""
    planned = _plan_search(session, q)
    search = replace(planned, broad=planned.broad_count)
    if most is None:
        return session.scalar(_filtered([func.count(Case.id)], q, _dialect(session), search)) or 0
    first = _filtered([Case.id], q, _dialect(session), search).limit(most + 1).subquery()
    return session.scalar(select(func.count()).select_from(first)) or 0


CaseRecord = Sequence[Any]
"""One caseload row as the driver hands it over (``case_row`` makes a ``CaseRow`` of it)."""
_RECORD_WIDTH = 17


def _raw(expr: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    """The expression read as the driver gives it, without SQLAlchemy's per-row conversion:
    a scrolled caseload reads a hundred thousand rows and shows a few dozen of them, so the
    times and dates of a row are converted only when the row is shown (``case_row``)."""
    return type_coerce(expr, NullType())


def fetch_case_records(
    session: Session, q: CaseQuery, after: Seek | None, limit: int, *, risk: bool = True
) -> tuple[list[CaseRecord], Seek | None]:
    """Up to ``limit`` cases of the query, in its sort, after ``after`` (None: from the top),
    as driver records (``case_row``), and the seek for the next page (None when these were
    the last). Without ``risk`` the person's overdoses are left out (two lookups a row, most
    of a page's cost), for ``overdoses_of`` to read for the rows that are shown.

    Keyset paging: each page is an index range read from where the last one ended, so the
    thousandth page costs what the first does (``OFFSET`` would sort and skip every earlier
    case again). A seek belongs to its query: a new sort or filter starts from the top.
    """
    columns = [
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
    ]
    if not risk:
        columns[-2:] = [literal_column("NULL"), literal_column("NULL")]
    dialect = session.get_bind().dialect
    search = _plan_search(session, q)
    base = (
        _filtered([_raw(c) for c in columns], q, dialect.name, search)
        .join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == Case.assigned_worker_id)
    )
    connection = session.connection()
    assert len(columns) == _RECORD_WIDTH
    rows: list[CaseRecord] = []
    seek = after
    segments = _segments(q, few=search.people is not None or search.named is not None)
    first = 0 if after is None else after.segment
    for number in range(first, len(segments)):
        condition, keys, down = segments[number]
        steps: list[ColumnElement[bool] | None] = [None]
        if after is not None and number == after.segment:
            steps = list(_after(keys, after.values, down))
        for step in steps:
            want = limit - len(rows)
            if want <= 0:
                break
            stmt = base.add_columns(*(_raw(k) for k in keys))
            for cond in (condition, step):
                if cond is not None:
                    stmt = stmt.where(cond)
            stmt = stmt.order_by(*(k.desc() if down else k.asc() for k in keys)).limit(want)
            found = connection.execute(stmt).all()
            if found:
                rows += found  # rows with the sort values after the record's columns
                seek = Seek(number, _seek_values(keys, found[-1][_RECORD_WIDTH:], dialect))
        if len(rows) >= limit:
            return rows, seek
    return rows, None


def _seek_values(
    keys: tuple[SQLColumnExpression[Any], ...], raw: Any, dialect: Any
) -> tuple[Any, ...]:
    """The sort values of a page's last row, read raw, converted as their types read them."""
    values = []
    for key, value in zip(keys, raw, strict=True):
        kind = getattr(key, "type", None) or NullType()
        convert = kind.result_processor(dialect, None)
        values.append(convert(value) if convert is not None and value is not None else value)
    return tuple(values)


def fetch_cases(
    session: Session, q: CaseQuery, after: Seek | None, limit: int
) -> tuple[list[CaseRow], Seek | None]:
    """``fetch_case_records`` as ``CaseRow`` objects."""
    records, seek = fetch_case_records(session, q, after, limit)
    return [case_row(r, q.now) for r in records], seek


def case_row(record: CaseRecord, now: datetime) -> CaseRow:
    """The caseload row of a driver record of ``fetch_case_records``."""
    (
        case_id,
        reference,
        first_name,
        last_name,
        description,
        born,
        area,
        status,
        worker,
        referred_at,
        due,
        person_id,
        round_started_at,
        no_fixed_abode,
        incident,
        overdoses,
        last_overdose,
    ) = record[:_RECORD_WIDTH]
    due = _aware(due)
    if isinstance(born, str):
        born = date.fromisoformat(born)
    return CaseRow(
        id=case_id,
        police_reference=reference,
        person=person_display_name(first_name, last_name, description),
        age=age_on(born, now.date()),
        area=area or "",
        status=status,
        worker=worker or "",
        referred_at=_aware(referred_at),  # type: ignore[arg-type]  # never empty
        next_action_due_at=due,
        overdue=bool(due is not None and due < now and status != CaseStatus.CLOSED),
        person_id=person_id,
        incident_at=_aware(incident),
        round_started_at=_aware(round_started_at),
        overdoses=overdoses or 0,
        last_overdose_at=_aware(last_overdose),
        no_fixed_abode=bool(no_fixed_abode),
        risk_known=overdoses is not None,
    )


def overdoses_of(
    session: Session, person_ids: Iterable[int]
) -> dict[int, tuple[int, datetime | None]]:
    """Each person's police referrals: how many, and the latest overdose (for those with any)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    found = session.execute(
        select(Referral.person_id, func.count(Referral.id), _raw(func.max(Referral.incident_at)))
        .where(Referral.person_id.in_(ids))
        .group_by(Referral.person_id)
    )
    return {person: (count, _aware(last)) for person, count, last in found}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _aware(value: datetime | str | None) -> datetime | None:
    """A time read through an expression (which skips the column's type) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back its stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
