"""The caseload query: search, filters, sorting and who may see what, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from followup.casework.caseload import count_and_record, count_cases, list_cases, list_page
from followup.casework.detail import open_case
from followup.db import models as m
from followup.db import queries
from followup.db.queries import SORT_KEYS, CaseQuery
from followup.errors import NotFound, PermissionDenied
from followup.vocab import CASE_STATUSES

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

PEOPLE = [
    # first, last, dob, nhs, phone, worker, status, ref, days ago, due in hours
    (
        "Testy",
        "McTestface",
        date(1980, 1, 2),
        "9990000018",
        "+447700900001",
        "worker1",
        "contacting",
        "TST-0001",
        10,
        -5,
    ),
    (
        "Sample",
        "O'Example",
        date(1991, 6, 30),
        None,
        "+441214960001",
        "worker1",
        "engaged",
        "TST-0002",
        3,
        20,
    ),
    ("Demo", "Dummyson", date(1975, 3, 3), None, None, "worker2", "contacting", "TST-0003", 1, 30),
    (None, None, None, None, None, None, "new", "TST-0004", 0, 70),
    (
        "Fakey",
        "McTestface",
        date(2001, 12, 12),
        None,
        None,
        "worker2",
        "closed",
        "TST-0005",
        40,
        None,
    ),
]


@pytest.fixture
def caseload(database, team):
    ids = {}
    with database.session() as s:
        for first, last, dob, nhs, phone, worker, status, ref, days, due in PEOPLE:
            person = m.Person(
                first_name=first,
                last_name=last,
                date_of_birth=dob,
                nhs_number=nhs,
                phone=phone,
                description=None if first else "tall, grey coat",
            )
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                status=status,
                police_reference=ref,
                assigned_worker_id=team[worker].id if worker else None,
                referred_at=NOW - timedelta(days=days),
                incident_at=NOW - timedelta(days=days, hours=6),
                area="B5",
                next_action_due_at=NOW + timedelta(hours=due) if due is not None else None,
                closure_reason="declined" if status == "closed" else None,
            )
            s.add(case)
            s.flush()
            s.add(
                m.Referral(
                    case_id=case.id,
                    person_id=person.id,
                    police_reference=ref,
                    force="Test Force",
                    incident_at=case.incident_at,
                )
            )
            ids[ref] = case.id
    return ids


def refs(session, actor, **kw):
    q = CaseQuery(now=NOW, **kw)
    return [r.police_reference for r in list_cases(session, actor, q)]


def test_lead_sees_every_case_and_worker_only_their_own(database, team, caseload):
    with database.session() as s:
        assert sorted(refs(s, team["lead"])) == [
            "TST-0001",
            "TST-0002",
            "TST-0003",
            "TST-0004",
            "TST-0005",
        ]
        assert sorted(refs(s, team["worker1"])) == ["TST-0001", "TST-0002"]
        assert count_cases(s, team["worker2"], CaseQuery(now=NOW)) == 2
        with pytest.raises(PermissionDenied):
            list_cases(s, team["worker1"], CaseQuery(worker_id=team["worker2"].id))
        with pytest.raises(PermissionDenied):
            list_cases(s, team["admin"], CaseQuery())


SEARCHES = [
    ("mctestface", ["TST-0001", "TST-0005"]),
    ("McTestface, Testy", ["TST-0001"]),
    ("testy mct", ["TST-0001"]),
    ("o'exa", ["TST-0002"]),
    ("999 000 0018", ["TST-0001"]),
    ("07700 900001", ["TST-0001"]),
    ("+44 121 496 0001", ["TST-0002"]),
    # Part of a phone number, from its start as written or from anywhere in it, and part
    # of an NHS number (trigram indexes: FTS5 on SQLite, pg_trgm on PostgreSQL).
    ("07700 900", ["TST-0001"]),
    ("0121 496", ["TST-0002"]),
    ("+44 7700", ["TST-0001"]),
    ("496 0001", ["TST-0002"]),
    ("900 001", ["TST-0001"]),
    ("990 000 01", ["TST-0001"]),
    ("tst-0003", ["TST-0003"]),
    ("TST-000", ["TST-0001", "TST-0002", "TST-0003", "TST-0004", "TST-0005"]),
    ("nobody", []),
]


@pytest.mark.parametrize(("search", "expected"), SEARCHES)
def test_search_by_name_nhs_number_phone_and_reference(database, team, caseload, search, expected):
    with database.session() as s:
        assert sorted(refs(s, team["lead"], search=search)) == expected


@pytest.mark.parametrize(("search", "expected"), SEARCHES)
def test_a_search_that_finds_very_many_people_finds_the_same_cases(
    database, team, caseload, monkeypatch, search, expected
):
    """A search that many people match ("07700 900" among a million) walks the cases in the
    sort's order and keeps those whose person matches; one for part of a number that few
    match looks them up first. Told that every search is broad and no number's people are
    few, the caseload finds and counts the same cases."""
    monkeypatch.setattr(queries, "BROAD_SEARCH", 0)
    monkeypatch.setattr(queries, "FOUND_PEOPLE", 0)
    q = CaseQuery(now=NOW, search=search)
    with database.session() as s:
        assert sorted(refs(s, team["lead"], search=search)) == expected
        assert count_cases(s, team["lead"], q) == len(expected)
        assert count_cases(s, team["lead"], q, most=1000) == len(expected)


def test_a_search_counts_no_further_than_asked_and_the_audit_says_so(database, team, caseload):
    q = CaseQuery(now=NOW, search="TST-000")  # all five
    with database.session() as s:
        assert count_cases(s, team["lead"], q, most=2) == 3  # more than two
        assert count_cases(s, team["lead"], q, most=5) == 5
    assert count_and_record(database, team["lead"], q, most=2) == 3
    with database.session() as s:
        event = s.scalars(
            select(m.AuditEvent)
            .where(m.AuditEvent.entity == "search")
            .order_by(m.AuditEvent.id.desc())
        ).first()
    assert event is not None
    details = json.loads(event.details or "{}")
    assert details["results"] == 2 and details["more"] is True


def test_filters_status_worker_unassigned_and_overdue(database, team, caseload):
    with database.session() as s:
        assert refs(s, team["lead"], statuses=("contacting",), sort="reference") == [
            "TST-0001",
            "TST-0003",
        ]
        assert refs(s, team["lead"], worker_id=0) == ["TST-0004"]
        assert refs(s, team["lead"], worker_id=team["worker2"].id, sort="reference") == [
            "TST-0003",
            "TST-0005",
        ]
        assert refs(s, team["lead"], overdue_only=True) == ["TST-0001"]
        rows = list_cases(s, team["lead"], CaseQuery(now=NOW, sort="reference"))
    assert [r.overdue for r in rows] == [True, False, False, False, False]
    assert rows[3].person == "Unnamed: tall, grey coat"


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        ("reference", True, ["TST-0005", "TST-0004", "TST-0003", "TST-0002", "TST-0001"]),
        ("due", False, ["TST-0001", "TST-0002", "TST-0003", "TST-0004", "TST-0005"]),
        ("days", False, ["TST-0004", "TST-0003", "TST-0002", "TST-0001", "TST-0005"]),
        ("age", False, ["TST-0005", "TST-0002", "TST-0001", "TST-0003", "TST-0004"]),
        ("worker", False, ["TST-0004", "TST-0003", "TST-0005", "TST-0001", "TST-0002"]),
    ],
)
def test_sorting_is_done_in_sql(database, team, caseload, sort, descending, expected):
    with database.session() as s:
        got = refs(s, team["lead"], sort=sort, descending=descending)
    if (
        sort == "age"
    ):  # people without a date of birth sort at one end; which end differs by backend
        got = [r for r in got if r != "TST-0004"]
        expected = [r for r in expected if r != "TST-0004"]
    if sort == "worker":  # unassigned (NULL) sorts first on SQLite and last on PostgreSQL
        got = [r for r in got if r != "TST-0004"]
        expected = [r for r in expected if r != "TST-0004"]
    assert got == expected


def _paged(session, actor, q, size: int) -> list[str]:
    """The references of up to five pages of ``size``, each starting where the last ended."""
    paged: list[str] = []
    seek = None
    for _ in range(5):
        rows, seek = list_page(session, actor, q, seek, size)
        paged += [r.police_reference for r in rows]
        if seek is None:
            break
    return paged


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("descending", [False, True])
def test_paging_returns_each_case_once_in_every_sort(database, team, caseload, sort, descending):
    """Two cases a page, each page starting where the last ended (keyset paging), gives the
    same cases in the same order as one page of all of them, whatever the sort (several sorts
    have empty values: no date of birth, no worker, no next action)."""
    q = CaseQuery(now=NOW, sort=sort, descending=descending, statuses=CASE_STATUSES)
    with database.session() as s:
        whole, end = list_page(s, team["lead"], q, None, 10)
        assert end is None
        paged = _paged(s, team["lead"], q, 2)
    assert len(whole) == 5
    assert paged == [r.police_reference for r in whole]


def test_opening_a_case_is_audited_and_respects_the_caseload(database, team, caseload):
    with database.session() as s:
        summary = open_case(s, team["worker1"], caseload["TST-0001"])
    assert summary.person_name == "Testy McTestface"
    assert summary.person.phone_display == "07700 900001"
    assert [r.police_reference for r in summary.referrals] == ["TST-0001"]
    with database.session() as s:
        # A worker may open the unassigned new case in the inbox, but not a colleague's case.
        open_case(s, team["worker1"], caseload["TST-0004"])
        with pytest.raises(NotFound):
            open_case(s, team["worker1"], caseload["TST-0003"])
    with database.session() as s:
        views = s.execute(
            select(m.AuditEvent.user_id, m.AuditEvent.entity_id)
            .where(m.AuditEvent.action == "view")
            .order_by(m.AuditEvent.id)
        ).all()
    assert [tuple(v) for v in views] == [
        (team["worker1"].id, caseload["TST-0001"]),
        (team["worker1"].id, caseload["TST-0004"]),
    ]


def test_case_ids_keep_exactly_those_cases_with_the_scope_still_applied(database, team, caseload):
    wanted = (caseload["TST-0001"], caseload["TST-0003"], caseload["TST-0005"])
    with database.session() as s:
        assert refs(s, team["lead"], case_ids=wanted, sort="reference") == [
            "TST-0001",
            "TST-0003",
            "TST-0005",
        ]
        assert count_cases(s, team["lead"], CaseQuery(now=NOW, case_ids=wanted)) == 3
        # Other filters still apply on top; a worker still sees only their own cases.
        assert refs(s, team["lead"], case_ids=wanted, statuses=("closed",)) == ["TST-0005"]
        assert refs(s, team["worker1"], case_ids=wanted) == ["TST-0001"]
        assert refs(s, team["lead"], case_ids=()) == []
        assert count_cases(s, team["lead"], CaseQuery(now=NOW, case_ids=())) == 0
        # More ids than a statement may bind (SQLite: 32,766) still work.
        many = (*range(10_000_000, 10_040_000), caseload["TST-0002"])
        assert refs(s, team["lead"], case_ids=many) == ["TST-0002"]


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("search", ["McTestface", "999 000 0018", "900 001"])
def test_a_search_of_few_people_pages_in_every_sort(database, team, caseload, sort, search):
    """A search that names its few people first (a name, a whole or part NHS or phone number)
    looks their cases up by person in every sort, empty sort values included, and pages them
    the same as one page of all of them."""
    q = CaseQuery(now=NOW, sort=sort, statuses=CASE_STATUSES, search=search)
    with database.session() as s:
        whole, end = list_page(s, team["lead"], q, None, 10)
        assert end is None
        paged = _paged(s, team["lead"], q, 1)
    expected = {"McTestface": 2, "999 000 0018": 1, "900 001": 1}[search]
    assert len(whole) == expected
    assert paged == [r.police_reference for r in whole]


def test_a_count_known_already_is_only_audited(database, team, caseload):
    """A search whose first page held every case it finds is not counted again: only its
    audit event is written, with the number found."""
    from sqlalchemy import event

    q = CaseQuery(now=NOW, search="McTestface")
    statements: list[str] = []

    def seen(_conn, _cursor, sql, *_args):
        statements.append(sql)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        assert count_and_record(database, team["lead"], q, most=1000, found=2) == 2
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    assert not [sql for sql in statements if sql.lower().startswith("select count(")]
    with database.session() as s:
        audit = s.scalars(
            select(m.AuditEvent)
            .where(m.AuditEvent.entity == "search")
            .order_by(m.AuditEvent.id.desc())
        ).first()
    assert audit is not None
    assert json.loads(audit.details or "{}")["results"] == 2
