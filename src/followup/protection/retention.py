"""Retention: finding the people whose records are past their keeping time, and destroying them.

Closed cases are kept for a number of years after closure (setting ``retention.closed_years``,
default 8: the NHS records management code's period for adult health records). A person is
due for destruction only when every case of theirs (and of any record merged into them) is
closed and the latest closure is more than that many years ago; one open or recent case keeps
the whole person.

Admins review the list without seeing case data (they see none elsewhere either): each item
carries the person's id, initials and year of birth, the case ids, police references, the
latest closure date and how many letters are stored, and nothing more.

``destroy`` runs as a dry run first (what would go, counted per table, nothing written), then
for real: each person goes through ``purge.purge_person`` (the only way a person is deleted),
which takes their cases, referrals, consents, attempts, kits, treatment referrals, letters
and prints, and the personal values of their audit events; a ``destruction_log`` row keeps the
identifiers, dates and who approved it. Everything happens in the caller's one transaction,
and each person is checked again at that moment, so that a case reopened meanwhile saves them.
On SQLite the deletes overwrite the rows in the file (``secure_delete``). Backups made before
the destruction still hold the data until they expire.

Rejected referrals kept in quarantine (``quarantined_row``) belong to nobody yet; each real
run removes those received, or imported or dismissed, more than the same number of years
ago (``forget_old_quarantine``).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework.team_rules import get_setting, set_setting
from followup.db.engine import enforced_by_server
from followup.db.models import Case, DestructionLog, Letter, Person, QuarantinedRow, table_of
from followup.errors import RuleViolation
from followup.protection import purge
from followup.vocab import AuditAction, CaseStatus

__all__ = [
    "DEFAULT_YEARS",
    "MAX_YEARS",
    "MIN_YEARS",
    "NOT_DUE",
    "SEARCH_TEXT_KEPT_DAYS",
    "YEARS_SETTING",
    "DestructionReport",
    "RetentionItem",
    "destroy",
    "due_for_destruction",
    "forget_old_quarantine",
    "forget_old_search_texts",
    "retention_years",
    "set_retention_years",
]

log = logging.getLogger(__name__)

YEARS_SETTING = "retention.closed_years"
DEFAULT_YEARS = 8
MIN_YEARS, MAX_YEARS = 1, 100

# The text of a search (which can hold a name) is kept this long, for an investigation into
# who looked for whom, and then removed by the retention run; the event itself stays.
SEARCH_TEXT_KEPT_DAYS = 365

NOT_DUE = "not due: a case is open or was closed less than {years} years ago, or the record is gone"


@dataclass(frozen=True)
class RetentionItem:
    """One person due for destruction, as an admin reviews them: identifiers and dates only."""

    person_id: int
    initials: str
    birth_year: int | None
    case_ids: tuple[int, ...]
    police_references: tuple[str, ...]
    closed_on: date  # the latest closure of any of their cases
    letters: int
    merged_records: int  # other person records merged into this one, destroyed with it


@dataclass(frozen=True)
class DestructionReport:
    """What a destruction did, or what a dry run would do."""

    dry_run: bool
    retention_years: int
    destroyed: tuple[int, ...]  # person ids (that would be) destroyed
    skipped: tuple[tuple[int, str], ...]  # person id and why it was kept
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows (that would be) deleted
    letters: int = 0
    log_ids: tuple[int, ...] = ()
    search_texts: int = 0  # texts of old searches removed (a real run only)
    quarantined: int = 0  # old rejected referrals removed from quarantine (a real run only)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "retention_years": self.retention_years,
            "destroyed": list(self.destroyed),
            "skipped": [{"person_id": p, "reason": r} for p, r in self.skipped],
            "rows": dict(self.rows),
            "letters": self.letters,
            "destruction_log_ids": list(self.log_ids),
            "search_texts_removed": self.search_texts,
            "quarantined_rows_removed": self.quarantined,
        }

    def describe(self) -> str:
        verb = "Would destroy" if self.dry_run else "Destroyed"
        lines = [
            f"{verb} {len(self.destroyed)} person record(s) "
            f"(retention {self.retention_years} years after closure), "
            f"{self.rows.get('case_file', 0)} case(s), {self.letters} stored letter(s)."
        ]
        for table, count in sorted(self.rows.items()):
            if count:
                lines.append(f"  {table}: {count}")
        for person_id, reason in self.skipped:
            lines.append(f"Kept person {person_id}: {reason}.")
        if self.search_texts:
            lines.append(f"Removed the text of {self.search_texts} search(es) older than a year.")
        if self.quarantined:
            lines.append(
                f"Removed {self.quarantined} rejected referral row(s) kept in quarantine for "
                f"longer than {self.retention_years} years."
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- the setting


def retention_years(session: Session) -> int:
    """Years a closed case is kept after closure."""
    raw = get_setting(session, YEARS_SETTING, str(DEFAULT_YEARS))
    try:
        years = int(raw or DEFAULT_YEARS)
    except ValueError:
        return DEFAULT_YEARS
    return years if MIN_YEARS <= years <= MAX_YEARS else DEFAULT_YEARS


def set_retention_years(session: Session, actor: Actor, years: int) -> None:
    """Change the retention period (admins); audited with before and after."""
    require(actor, "retention")
    if not isinstance(years, int) or not MIN_YEARS <= years <= MAX_YEARS:
        raise RuleViolation(
            f"Keep closed cases for a whole number of years from {MIN_YEARS} to {MAX_YEARS}."
        )
    before = retention_years(session)
    if before == years:
        return
    set_setting(session, YEARS_SETTING, str(years))
    audit.record(
        session, actor.id, AuditAction.UPDATE, "setting", None, {YEARS_SETTING: [before, years]}
    )
    log.info("Retention period changed to %d years", years)


# --------------------------------------------------------------------------- who is due


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _roots(session: Session) -> dict[int, int]:
    """Merged person id -> the person record it now lives in (following chains)."""
    parent: dict[int, int] = {
        person_id: into
        for person_id, into in session.execute(
            select(Person.id, Person.merged_into_id).where(Person.merged_into_id.is_not(None))
        )
        if into is not None
    }

    def root(person_id: int) -> int:
        seen = {person_id}
        while person_id in parent and parent[person_id] not in seen:
            person_id = parent[person_id]
            seen.add(person_id)
        return person_id

    return {person_id: root(person_id) for person_id in parent}


def _due_person_ids(session: Session, now: datetime, years: int) -> dict[int, date]:
    """Root person id -> latest closure date, for everyone past the retention period."""
    cutoff = _years_before(now, years)
    open_cases = func.sum(sql_case((Case.status != CaseStatus.CLOSED, 1), else_=0))
    rows = session.execute(
        select(Case.person_id, open_cases, func.max(Case.closed_at)).group_by(Case.person_id)
    ).all()
    roots = _roots(session)
    still_open: dict[int, int] = defaultdict(int)
    latest: dict[int, datetime] = {}
    for person_id, open_count, closed_at in rows:
        root = roots.get(person_id, person_id)
        still_open[root] += int(open_count or 0)
        if closed_at is not None and (root not in latest or closed_at > latest[root]):
            latest[root] = closed_at
    return {
        root: closed.astimezone(UTC).date()
        for root, closed in latest.items()
        if not still_open[root] and closed < cutoff
    }


def due_for_destruction(
    session: Session, actor: Actor, now: datetime | None = None
) -> list[RetentionItem]:
    """The people past the retention period, oldest closure first (admins)."""
    require(actor, "retention")
    now = now or datetime.now(UTC)
    if enforced_by_server(session):
        return _due_on_server(session, now, retention_years(session))
    years = retention_years(session)
    due = _due_person_ids(session, now, years)
    if not due:
        return []
    roots = _roots(session)
    members: dict[int, list[int]] = defaultdict(list)
    for person_id, root in roots.items():
        if root in due:
            members[root].append(person_id)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(due))))}
    every_id = list(due) + [p for ids in members.values() for p in ids]
    cases: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for case_id, person_id, reference in session.execute(
        select(Case.id, Case.person_id, Case.police_reference)
        .where(Case.person_id.in_(every_id))
        .order_by(Case.id)
    ):
        cases[roots.get(person_id, person_id)].append((case_id, reference))
    case_ids = [c for items in cases.values() for c, _ in items]
    letters: dict[int, int] = {
        case_id: count
        for case_id, count in session.execute(
            select(Letter.case_id, func.count())
            .where(Letter.case_id.in_(case_ids))
            .group_by(Letter.case_id)
        )
    }
    items = []
    for root, closed_on in due.items():
        person = people.get(root)
        if person is None:
            continue
        initials = "".join(
            (part or "").strip()[:1].upper() for part in (person.first_name, person.last_name)
        )
        items.append(
            RetentionItem(
                person_id=root,
                initials=initials or "-",
                birth_year=person.date_of_birth.year if person.date_of_birth else None,
                case_ids=tuple(c for c, _ in cases[root]),
                police_references=tuple(sorted({r for _, r in cases[root]})),
                closed_on=closed_on,
                letters=sum(letters.get(c, 0) for c, _ in cases[root]),
                merged_records=len(members.get(root, [])),
            )
        )
    items.sort(key=lambda i: (i.closed_on, i.person_id))
    return items


def _due_on_server(session: Session, now: datetime, years: int) -> list[RetentionItem]:
    """The review on a team server, where an admin reads no person or case data: the server's
    definer function gives identifiers and dates only, and the same rule is applied to them."""
    rows = session.execute(text("SELECT * FROM followup_retention_review()")).all()
    parent = {r.person_id: r.merged_into_id for r in rows if r.merged_into_id is not None}

    def root(person_id: int) -> int:
        seen = {person_id}
        while person_id in parent and parent[person_id] not in seen:
            person_id = parent[person_id]
            seen.add(person_id)
        return person_id

    cutoff = _years_before(now, years).astimezone(UTC).replace(tzinfo=None)
    people: dict[int, Any] = {}
    members: dict[int, set[int]] = defaultdict(set)
    cases: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        top = root(r.person_id)
        if r.person_id == top:
            people[top] = r
        else:
            members[top].add(r.person_id)
        if r.case_id is not None:
            cases[top].append(r)
    items = []
    for top, person in people.items():
        held = sorted(cases[top], key=lambda r: r.case_id)
        closed = [r.closed_at for r in held if r.closed_at is not None]
        if not held or any(r.status != CaseStatus.CLOSED for r in held) or not closed:
            continue
        latest = max(closed)
        if latest >= cutoff:
            continue
        items.append(
            RetentionItem(
                person_id=top,
                initials=person.initials or "-",
                birth_year=person.birth_year,
                case_ids=tuple(r.case_id for r in held),
                police_references=tuple(sorted({r.police_reference for r in held})),
                closed_on=latest.date(),
                letters=sum(r.letters or 0 for r in held),
                merged_records=len(members.get(top, ())),
            )
        )
    items.sort(key=lambda i: (i.closed_on, i.person_id))
    return items


def _destroy_on_server(
    session: Session,
    actor: Actor,
    person_ids: list[int],
    *,
    dry_run: bool,
    now: datetime,
    years: int,
) -> DestructionReport:
    """Each person through the server's definer function, which checks the rule again itself
    and writes the destruction log and the audit event: no login may delete people."""
    destroyed: list[int] = []
    skipped: list[tuple[int, str]] = []
    rows: dict[str, int] = defaultdict(int)
    letters = 0
    log_ids: list[int] = []
    for person_id in person_ids:
        try:
            with session.begin_nested():
                answer = session.execute(
                    text("SELECT followup_destroy_person(:p, :dry, :now)"),
                    {
                        "p": person_id,
                        "dry": dry_run,
                        "now": now.astimezone(UTC).replace(tzinfo=None),
                    },
                ).scalar()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "23514":  # check_violation: not due
                raise
            skipped.append((person_id, NOT_DUE.format(years=years)))
            continue
        result = json.loads(str(answer))
        for table, count in result["counts"].items():
            rows[table] += int(count)
        letters += int(result["letters"])
        destroyed.append(person_id)
        if result.get("log_id"):
            log_ids.append(int(result["log_id"]))
    session.expire_all()
    if not dry_run and destroyed:
        log.info("Retention: destroyed %d person record(s) on the team server", len(destroyed))
    return DestructionReport(
        dry_run=dry_run,
        retention_years=years,
        destroyed=tuple(destroyed),
        skipped=tuple(skipped),
        rows=dict(rows),
        letters=letters,
        log_ids=tuple(log_ids),
        search_texts=0 if dry_run else forget_old_search_texts(session, actor, now),
        quarantined=0 if dry_run else forget_old_quarantine(session, actor, now),
    )


def forget_old_search_texts(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Remove the typed text of searches older than ``SEARCH_TEXT_KEPT_DAYS`` (admins)."""
    require(actor, "retention")
    before = (now or datetime.now(UTC)) - timedelta(days=SEARCH_TEXT_KEPT_DAYS)
    before = before.astimezone(UTC).replace(tzinfo=None)
    if enforced_by_server(session):
        removed = session.execute(
            text("SELECT followup_forget_search_texts(:before)"), {"before": before}
        ).scalar()
    else:
        removed = len(
            session.execute(
                text(
                    "DELETE FROM audit_private_value WHERE person_id IS NULL AND audit_event_id "
                    "IN (SELECT id FROM audit_event WHERE at < :before) RETURNING id"
                ),
                {"before": before},
            ).all()
        )
    return int(removed or 0)


def forget_old_quarantine(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Remove rejected referrals kept in quarantine since more than the retention period
    before ``now`` (counted from their decision, else from when they were received)."""
    require(actor, "retention")
    now = now or datetime.now(UTC)
    if enforced_by_server(session):
        # The server applies its own setting and clock: the caller cannot shorten the period.
        removed = session.execute(
            text("SELECT followup_forget_quarantine(:now)"),
            {"now": now.astimezone(UTC).replace(tzinfo=None)},
        ).scalar()
        return int(removed or 0)
    cutoff = _years_before(now, retention_years(session))
    q = QuarantinedRow
    stale = select(q.id).where(func.coalesce(q.decided_at, q.received_at) < cutoff)
    ids = list(session.scalars(stale))
    for start in range(0, len(ids), 500):
        session.execute(table_of(q).delete().where(q.id.in_(ids[start : start + 500])))
    if ids:
        log.info("Retention: removed %d quarantined referral row(s)", len(ids))
    return len(ids)


# --------------------------------------------------------------------------- destruction


def _lock(session: Session, person_ids: list[int]) -> None:
    """Hold the people and their cases until commit, so nothing is added or reopened meanwhile.

    On PostgreSQL a new case for the person waits for this lock (its foreign-key check needs
    the person row) and then fails, since the person is gone; SQLite has one writer anyway.
    """
    if session.get_bind().dialect.name == "sqlite" or not person_ids:
        return
    session.execute(select(Person.id).where(Person.id.in_(person_ids)).with_for_update())
    session.execute(select(Case.id).where(Case.person_id.in_(person_ids)).with_for_update())


def destroy(
    session: Session,
    actor: Actor,
    person_ids: list[int],
    *,
    dry_run: bool,
    now: datetime | None = None,
) -> DestructionReport:
    """Destroy these people (or, on a dry run, count what would go and write nothing)."""
    require(actor, "retention")
    now = now or datetime.now(UTC)
    years = retention_years(session)
    wanted = list(dict.fromkeys(int(p) for p in person_ids))
    if enforced_by_server(session):
        return _destroy_on_server(session, actor, wanted, dry_run=dry_run, now=now, years=years)
    scopes = {p: purge.purge_scope(session, p) for p in wanted}
    if not dry_run:
        _lock(session, [q for scope in scopes.values() for q in scope["people"]])
        if session.get_bind().dialect.name == "sqlite":
            # Overwrite deleted rows in the file itself, not just unlink them from the tree.
            session.execute(text("PRAGMA secure_delete = ON"))
    due = _due_person_ids(session, now, years)
    destroyed: list[int] = []
    skipped: list[tuple[int, str]] = []
    rows: dict[str, int] = defaultdict(int)
    letters = 0
    log_ids: list[int] = []
    for person_id in wanted:
        if person_id not in due:
            skipped.append((person_id, NOT_DUE.format(years=years)))
            continue
        scope = scopes[person_id]
        for table, count in purge.purge_counts(session, person_id).items():
            rows[table] += count
        letters += len(scope["letters"])
        destroyed.append(person_id)
        if dry_run:
            continue
        purge.purge_person(session, actor, person_id)
        entry = DestructionLog(
            approved_by_id=actor.id,
            person_id=person_id,
            case_ids=json.dumps(scope["cases"]),
            closed_on=due[person_id],
            retention_years=years,
            letters_removed=len(scope["letters"]),
        )
        session.add(entry)
        session.flush()
        log_ids.append(entry.id)
    if not dry_run and destroyed:
        log.info("Retention: destroyed %d person record(s)", len(destroyed))
    return DestructionReport(
        dry_run=dry_run,
        retention_years=years,
        destroyed=tuple(destroyed),
        skipped=tuple(skipped),
        rows=dict(rows),
        letters=letters,
        log_ids=tuple(log_ids),
        search_texts=0 if dry_run else forget_old_search_texts(session, actor, now),
        quarantined=0 if dry_run else forget_old_quarantine(session, actor, now),
    )
