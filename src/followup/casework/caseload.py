"""Finding cases, with the role rules of DESIGN.md.

A worker sees the intake inbox (new, unassigned cases) and their own caseload; a lead sees
every case. The caseload query and its rows are re-exported here, so that the screens ask this
service and never the storage layer. Opening one case is ``casework.detail.open_case``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework import next_step, team_rules
from followup.db import queries
from followup.db.engine import Database
from followup.db.models import Case
from followup.db.queries import SORT_KEYS, CaseQuery, CaseRecord, CaseRow, Seek, case_row
from followup.errors import PermissionDenied
from followup.vocab import AuditAction, CaseStatus

__all__ = [
    "SEARCH_COUNT",
    "SORT_KEYS",
    "CaseQuery",
    "CaseRecord",
    "CaseRow",
    "RowDetails",
    "Seek",
    "apply_details",
    "apply_step",
    "can_view",
    "case_row",
    "count_and_record",
    "count_cases",
    "list_cases",
    "list_page",
    "list_records",
    "record_search",
    "row_details",
    "scoped_query",
    "step_infos",
]


# A search in the caseload counts its cases up to this many ("More than 1,000 cases").
SEARCH_COUNT = 1000


def scoped_query(actor: Actor, q: CaseQuery) -> CaseQuery:
    """The caseload query narrowed to what this user may see."""
    if actor.can("view_all_cases"):
        return q
    require(actor, "view_own_cases")
    if q.worker_id not in (None, actor.id):
        raise PermissionDenied(
            "A worker sees only their own caseload; ask a team lead to see another worker's."
        )
    return replace(q, worker_id=actor.id)


def _with_search_phone(q: CaseQuery) -> CaseQuery:
    """The query with its search text read as a phone number, which storage cannot do."""
    text = q.search.strip()
    if not any(ch.isdigit() for ch in text):  # no digit, no phone number: skip phonenumbers
        return replace(q, search_phone=None)
    from followup.validation import normalise_phone

    return replace(q, search_phone=normalise_phone(text))


def count_cases(session: Session, actor: Actor, q: CaseQuery, most: int | None = None) -> int:
    """How many cases the query finds among those this user may see; with ``most``, counting
    stops after that many (``most + 1``: more than ``most``)."""
    return queries.count_cases(session, _with_search_phone(scoped_query(actor, q)), most)


def record_search(
    session: Session, actor: Actor, q: CaseQuery, found: int, most: int | None = None
) -> None:
    """Audit a search (anything typed in the search box): the fields used and how many cases
    matched (or, past ``most``, that more than ``most`` did). What was typed can be a name,
    so it goes to the private values that the retention run removes."""
    if not q.search.strip():
        return
    fields = ["text"]
    fields += ["status"] if q.statuses else []
    fields += ["worker"] if q.worker_id is not None else []
    fields += ["overdue"] if q.overdue_only else []
    details: dict[str, object] = {"screen": "caseload", "fields": fields, "results": found}
    if most is not None and found > most:
        details.update(results=most, more=True)
    audit.record_with_private(
        session,
        actor.id,
        AuditAction.VIEW,
        "search",
        None,
        details,
        {"text": q.search.strip()[:200]},
        None,
    )


def count_and_record(
    db: Database,
    actor: Actor,
    q: CaseQuery,
    most: int | None = None,
    *,
    found: int | None = None,
) -> int:
    """Count the cases a query finds and, for a search, audit it, in two short transactions.
    With ``most`` a search counts no further than that (``count_cases``): a search that
    finds every demo phone number needs its first page, not a count of half the database.
    With ``found`` the count is known already (a first page that held every case the search
    finds): only the audit event is written.

    The audit is written in a transaction of its own that starts with the write: on SQLite a
    transaction that reads and then writes cannot wait for another writer (two searches at
    once would fail as busy), one that starts by writing simply waits its turn.
    """
    searching = bool(q.search.strip())
    if found is None:
        with db.session() as s:
            found = count_cases(s, actor, q, most if searching else None)
    if searching:
        with db.session() as s:
            record_search(s, actor, q, found, most)
    return found


def list_page(
    session: Session,
    actor: Actor,
    q: CaseQuery,
    after: Seek | None = None,
    limit: int = 200,
    *,
    steps: bool = True,
) -> tuple[list[CaseRow], Seek | None]:
    """One page of the cases the query finds among those this user may see, after ``after``
    (None: the first page), and where the next page starts (None after the last).

    With ``steps`` each row has its next step in words and its last contact
    (``casework.next_step``, two queries a page); without, a screen that shows only some of
    the rows asks ``step_infos`` for those it shows.
    """
    rows, seek = queries.fetch_cases(
        session, _with_search_phone(scoped_query(actor, q)), after, limit
    )
    if steps:
        infos = step_infos(session, rows)
        for r in rows:
            apply_step(r, infos[r.id])
    return rows, seek


def list_records(
    session: Session, actor: Actor, q: CaseQuery, after: Seek | None = None, limit: int = 200
) -> tuple[list[CaseRecord], Seek | None]:
    """``list_page`` without next steps and overdoses, as driver records that ``case_row``
    makes rows of: a screen that holds many rows and shows a few makes rows only of those it
    shows, and asks ``row_details`` for their next steps and overdoses."""
    return queries.fetch_case_records(
        session, _with_search_phone(scoped_query(actor, q)), after, limit, risk=False
    )


@dataclass(frozen=True, slots=True)
class RowDetails:
    """What a row of ``list_records`` lacks: its next step and last contact, and the
    person's overdoses (None when the row has them already)."""

    step: next_step.StepInfo
    overdoses: tuple[int, datetime | None] | None


def row_details(session: Session, rows: Iterable[CaseRow]) -> dict[int, RowDetails]:
    """The details (``RowDetails``) of each of these rows' cases, in three queries."""
    rows = list(rows)
    steps = step_infos(session, rows)
    risks = queries.overdoses_of(session, (r.person_id for r in rows if not r.risk_known))
    return {
        r.id: RowDetails(steps[r.id], None if r.risk_known else risks.get(r.person_id, (0, None)))
        for r in rows
    }


def apply_details(row: CaseRow, details: RowDetails) -> None:
    """Put ``row_details`` on its row."""
    apply_step(row, details.step)
    if details.overdoses is not None:
        row.overdoses, row.last_overdose_at = details.overdoses
        row.risk_known = True


def step_infos(session: Session, rows: Iterable[CaseRow]) -> dict[int, next_step.StepInfo]:
    """The next step and last contact of each of these rows' cases, in two queries."""
    return next_step.step_info(
        session,
        (next_step.CaseFacts(r.id, r.person_id, r.status, r.round_started_at) for r in rows),
        team_rules.schedule(session),
    )


def apply_step(row: CaseRow, info: next_step.StepInfo) -> None:
    """Put a case's next step and last contact (``step_infos``) on its row."""
    last = info.last_contact
    row.next_step = info.next_step
    row.last_contact = last.text if last else ""
    row.last_contact_at = last.at if last else None
    row.steps_known = True


def list_cases(session: Session, actor: Actor, q: CaseQuery, limit: int = 200) -> list[CaseRow]:
    """The first ``limit`` cases of the query (``list_page`` for the pages after it)."""
    return list_page(session, actor, q, None, limit)[0]


def can_view(actor: Actor, case: Case) -> bool:
    """Whether this user may open the case: a lead any, a worker theirs and the inbox's."""
    if actor.can("view_all_cases"):
        return True
    if not actor.can("view_own_cases"):
        return False
    if case.assigned_worker_id == actor.id:
        return True
    return (
        actor.can("view_inbox")
        and case.assigned_worker_id is None
        and case.status == CaseStatus.NEW
    )
