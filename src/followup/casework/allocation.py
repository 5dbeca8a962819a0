"""Lead allocation: who holds how many open and overdue cases, and moving cases between workers.

A lead chooses a worker from a list that shows each active worker's load ("Testworker One — 12
open, 3 overdue"), read in one grouped query. Moving cases that already have a worker needs a
reason; each move is audited as ``assign`` with the worker before and after, and the reason,
which is free text that may name someone, goes to the private values the retention purge
removes with the person (as every personal value of the audit trail does).

A selection of cases, or a worker's whole open caseload, moves in one transaction. A case that
cannot move (changed by someone else since the lead chose it, closed, gone) is left as it is
and reported in the summary; the others move. Only leads may do any of this (``assign``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.models import Case, Person, User, person_display_name
from followup.errors import FollowupError, RuleViolation
from followup.vocab import AuditAction, CaseStatus, Role

__all__ = [
    "REASON_NEEDED",
    "CaseToMove",
    "MoveSummary",
    "NotMoved",
    "WorkerLoad",
    "assignable_worker",
    "cases_to_move",
    "clean_reason",
    "move_caseload",
    "move_one",
    "open_caseload",
    "reassign_cases",
    "worker_loads",
]

REASON_NEEDED = (
    "Say why the cases are moving to another worker; the reason is kept in the audit trail."
)
REASON_LIMIT = 500
HOLDERS = (Role.WORKER, Role.LEAD)

# Why a case stayed where it was, as the summary says it.
STALE = "changed by someone else since you chose it; refresh and try again"
CLOSED = "closed; reopen it first"
GONE = "no longer exists"


@dataclass(frozen=True)
class WorkerLoad:
    """An active worker (or lead) who can hold cases, with their open and overdue counts."""

    id: int
    username: str
    display_name: str
    role: str
    open: int
    overdue: int

    @property
    def label(self) -> str:
        name = self.display_name if self.role == Role.WORKER else f"{self.display_name} (lead)"
        return f"{name} — {self.open} open, {self.overdue} overdue"


@dataclass(frozen=True)
class CaseToMove:
    """A case as the lead sees it before moving it: its version is what a move expects."""

    case_id: int
    version: int
    police_reference: str
    person: str
    worker_id: int | None
    worker: str  # "" when unassigned
    closed: bool


@dataclass(frozen=True)
class NotMoved:
    case_id: int
    police_reference: str
    why: str


@dataclass(frozen=True)
class MoveSummary:
    """What a move did: the cases moved, from whom, and those left where they were."""

    to_worker: str
    moved: tuple[int, ...] = ()
    from_workers: tuple[str, ...] = ()  # names of the workers cases were moved from
    from_inbox: int = 0  # moved cases that had no worker
    already_there: int = 0
    not_moved: tuple[NotMoved, ...] = field(default=())

    @property
    def text(self) -> str:
        n = len(self.moved)
        parts: list[str] = []
        if n:
            cases = _cases(n)
            if not self.from_workers:
                parts.append(f"Assigned {cases} to {self.to_worker}")
            elif len(self.from_workers) == 1 and not self.from_inbox:
                parts.append(f"Moved {cases} from {self.from_workers[0]} to {self.to_worker}")
            else:
                sources = list(self.from_workers) + (["the inbox"] if self.from_inbox else [])
                parts.append(f"Moved {cases} to {self.to_worker} from {_and(sources)}")
        elif not self.not_moved:
            parts.append("No case was moved")
        if self.already_there:
            was = "was" if self.already_there == 1 else "were"
            parts.append(f"{_cases(self.already_there)} {was} already with {self.to_worker}")
        if self.not_moved:
            listed = ", ".join(f"{p.police_reference} ({p.why})" for p in self.not_moved)
            if n or self.already_there:
                count = len(self.not_moved)
                parts.append(f"{count} could not be moved: {listed}")
            else:
                parts.append(f"No case was moved: {listed}")
        return "; ".join(parts) + "."


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def worker_loads(session: Session, actor: Actor, now: datetime | None = None) -> list[WorkerLoad]:
    """Every active worker and lead with their open and overdue cases, by name; one query."""
    require(actor, "assign")
    at = now or datetime.now(UTC)
    overdue = func.coalesce(
        func.sum(case((and_(Case.id.is_not(None), Case.next_action_due_at < at), 1), else_=0)),
        0,
    )
    rows = session.execute(
        select(User.id, User.username, User.display_name, User.role, func.count(Case.id), overdue)
        .outerjoin(Case, and_(Case.assigned_worker_id == User.id, Case.status != CaseStatus.CLOSED))
        .where(User.active.is_(True), User.role.in_(HOLDERS))
        .group_by(User.id, User.username, User.display_name, User.role)
        .order_by(User.display_name, User.id)
    )
    return [WorkerLoad(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]


def cases_to_move(session: Session, actor: Actor, case_ids: Sequence[int]) -> list[CaseToMove]:
    """The chosen cases as they are now, in the order given (those gone are left out)."""
    require(actor, "assign")
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return []
    rows = session.execute(
        select(
            Case.id,
            Case.version,
            Case.police_reference,
            Case.assigned_worker_id,
            Case.status,
            Person.first_name,
            Person.last_name,
            Person.description,
            User.display_name,
        )
        .join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == Case.assigned_worker_id)
        .where(Case.id.in_(ids))
    ).all()
    found = {
        r.id: CaseToMove(
            case_id=r.id,
            version=r.version,
            police_reference=r.police_reference,
            person=person_display_name(r.first_name, r.last_name, r.description),
            worker_id=r.assigned_worker_id,
            worker=r.display_name or "",
            closed=r.status == CaseStatus.CLOSED,
        )
        for r in rows
    }
    return [found[i] for i in ids if i in found]


def open_caseload(session: Session, actor: Actor, worker_id: int) -> dict[int, int]:
    """A worker's open cases: case id -> version, oldest referral first."""
    require(actor, "assign")
    rows = session.execute(
        select(Case.id, Case.version)
        .where(Case.assigned_worker_id == worker_id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.referred_at, Case.id)
    )
    return {r.id: r.version for r in rows}


def assignable_worker(session: Session, worker_id: int) -> User:
    worker = session.get(User, worker_id)
    if worker is None or not worker.active or worker.role not in HOLDERS:
        raise FollowupError("Cases can be assigned only to an active worker or lead.")
    return worker


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) > REASON_LIMIT:
        raise RuleViolation(f"Keep the reason to {REASON_LIMIT} characters or fewer.")
    return text


def move_one(session: Session, actor: Actor, case_file: Case, worker: User, reason: str) -> None:
    """Give the case to ``worker`` and audit it (``reason`` already cleaned; may be empty)."""
    before = case_file.assigned_worker_id
    case_file.assigned_worker_id = worker.id
    public = {"assigned_worker_id": [before, worker.id]}
    if reason:
        audit.record_with_private(
            session,
            actor.id,
            AuditAction.ASSIGN,
            "case",
            case_file.id,
            {**public, "fields": ["reason"]},
            {"reason": reason},
            case_file.person_id,
        )
    else:
        audit.record(session, actor.id, AuditAction.ASSIGN, "case", case_file.id, public)


def reassign_cases(
    session: Session,
    actor: Actor,
    seen: Mapping[int, int | None],
    to_worker_id: int,
    reason: str | None,
    *,
    from_worker_id: int | None = None,
) -> MoveSummary:
    """Move the cases ``seen`` (case id -> the version the lead saw) to one worker.

    Cases are locked first (on PostgreSQL), then each is checked against what the lead saw; a
    case changed since, closed, gone, or (with ``from_worker_id``) no longer that worker's is
    reported and left alone. Moving a case that has a worker needs ``reason``; without one
    nothing is written.
    """
    require(actor, "assign")
    worker = assignable_worker(session, to_worker_id)
    text = clean_reason(reason)
    ids = list(dict.fromkeys(seen))
    locked = {
        c.id: c
        for c in session.scalars(
            select(Case).where(Case.id.in_(ids)).order_by(Case.id).with_for_update()
        )
    }
    movable: list[Case] = []
    not_moved: list[NotMoved] = []
    already = 0
    for case_id in ids:
        found = locked.get(case_id)
        expected = seen[case_id]
        if found is None:
            not_moved.append(NotMoved(case_id, f"Case {case_id}", GONE))
        elif (expected is not None and found.version != expected) or (
            from_worker_id is not None and found.assigned_worker_id != from_worker_id
        ):
            not_moved.append(NotMoved(case_id, found.police_reference, STALE))
        elif found.status == CaseStatus.CLOSED:
            not_moved.append(NotMoved(case_id, found.police_reference, CLOSED))
        elif found.assigned_worker_id == worker.id:
            already += 1
        else:
            movable.append(found)
    if not text and any(c.assigned_worker_id is not None for c in movable):
        raise RuleViolation(REASON_NEEDED)
    before = {c.assigned_worker_id for c in movable if c.assigned_worker_id is not None}
    names = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(before))).all())
        if before
        else {}
    )
    from_inbox = sum(1 for c in movable if c.assigned_worker_id is None)
    for c in movable:
        move_one(session, actor, c, worker, text)
    session.flush()
    return MoveSummary(
        to_worker=worker.display_name,
        moved=tuple(c.id for c in movable),
        from_workers=tuple(sorted(names[i] for i in before)),
        from_inbox=from_inbox,
        already_there=already,
        not_moved=tuple(not_moved),
    )


def move_caseload(
    session: Session, actor: Actor, from_worker_id: int, to_worker_id: int, reason: str | None
) -> MoveSummary:
    """Move every open case of one worker to another (a worker off sick), in one transaction."""
    require(actor, "assign")
    if from_worker_id == to_worker_id:
        raise RuleViolation("Choose two different workers: the cases would stay where they are.")
    assignable_worker(session, to_worker_id)
    if not clean_reason(reason):
        raise RuleViolation(REASON_NEEDED)
    seen: dict[int, int | None] = dict(open_caseload(session, actor, from_worker_id))
    return reassign_cases(session, actor, seen, to_worker_id, reason, from_worker_id=from_worker_id)
