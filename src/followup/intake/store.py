"""Writing accepted referrals: people, cases, referrals, warnings, match reviews, scene consent;
and rejected rows, kept in quarantine (``keep_rejected``).

Rows are written a batch at a time with set-based inserts (one statement per table per batch,
ids returned in order) inside the caller's transaction; the caller commits once for the whole
file or rolls everything back.

- A referral for a person with an open case (any status but closed) attaches to that case and
  raises a re-overdose alert on it (``casework.reoverdose``): the case's worker sees it in My
  work, and its round of contact restarts, the first attempt due by the schedule from this
  receipt. A person whose case closed within the team's period (default 90 days) has that case
  reopened first (to the same worker if still active, else to the inbox). Otherwise a new
  case opens: status new, unassigned, referred at the time received, area the
  postcode district of the person's postcode (else the incident's), first attempt due by the
  team's schedule (``team_settings.schedule``), and an initial status change to new.
- A person linked by a match keeps their record: blanks (NHS number, phone, address, postcode,
  email, gender) are filled from the referral, and details that differ from the record are
  kept on the referral's notes instead of overwriting it.
- Scene consent: Y records `given` for contact_phone, contact_sms and contact_letter only,
  method verbal_at_scene_via_police, given at the scene through the officer named in the
  referral: source the officer ("PC Name (collar 1234), Station, Force"), recorded by no user
  of the app (the importing user is the actor of the import's audit event, not the one who
  took the consent), recorded at the time of the incident (so a later withdrawal stays in
  force). N and unknown record no consent entry: DESIGN.md has
  Y record consent "and nothing more", and a refusal relayed by the police at the scene must
  not silently stop the service ever trying to reach someone who has just survived an overdose.
  The answer stays on the referral (``consent_at_scene``) and shows on the case, so the worker
  sees it and asks the person themselves.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, text, update
from sqlalchemy import case as when_then
from sqlalchemy.orm import Session

from followup.casework import reoverdose
from followup.casework.schedule import DEFAULT_SCHEDULE, Schedule
from followup.db.engine import enforced_by_server
from followup.db.models import (
    Base,
    Case,
    CaseStatusChange,
    ConsentEntry,
    MatchReview,
    Person,
    QuarantinedRow,
    Referral,
    ReferralWarning,
    table_of,
)
from followup.intake.matching import QUERY_BATCH, Candidate, MatchResult
from followup.intake.read import RawRow
from followup.intake.rules import ParsedRow, Problem, officer_source
from followup.intake.traceability import classify
from followup.validation import postcode_district
from followup.vocab import (
    CaseStatus,
    ConsentMethod,
    ConsentScope,
    ConsentState,
    MatchOutcome,
    MatchReviewState,
    QuarantineState,
    SceneConsent,
)

__all__ = ["SCENE_CONSENT_SCOPES", "IntakeWriter", "Rejected", "Resolved", "keep_rejected"]

SCENE_CONSENT_SCOPES = (
    ConsentScope.CONTACT_PHONE,
    ConsentScope.CONTACT_SMS,
    ConsentScope.CONTACT_LETTER,
)
_FILLABLE = ("nhs_number", "phone", "address", "postcode", "email", "gender")
_DIFFERENCES = ("phone", "address", "postcode", "email")


@dataclass
class Resolved:
    """An accepted row with the person it belongs to, as decided by matching."""

    parsed: ParsedRow
    match: MatchResult
    person: Candidate


@dataclass
class Rejected:
    """A rejected row with every reason, to be kept in quarantine."""

    raw: RawRow
    problems: list[Problem]


def keep_rejected(
    session: Session,
    rows: list[Rejected],
    *,
    actor_id: int,
    received_at: datetime,
    source_file: str,
    file_format: str,
    header: str,
) -> None:
    """Keep rejected rows as they stood in the file, with their reasons (no ids read back:
    on a team server a worker may add quarantined rows but not read them)."""
    _insert(
        session,
        QuarantinedRow,
        [
            {
                "source_file": source_file[:255],
                "file_format": file_format,
                "row_number": r.raw.row,
                "line_number": r.raw.line,
                "header": header,
                "original": r.raw.text,
                "reasons": json.dumps(
                    [{"field": p.field, "reason": p.reason} for p in r.problems],
                    ensure_ascii=False,
                ),
                "received_at": received_at,
                "received_by_id": actor_id,
                "state": QuarantineState.PENDING,
            }
            for r in rows
        ],
    )


class _DriverInsert:
    """One table's INSERT straight to the driver's ``executemany`` (sqlite3, or psycopg, which
    sends a batch in one pipeline).

    SQLAlchemy's own executemany builds and checks a parameter dictionary per row, which costs
    more than the insert itself; here each row becomes one tuple, through the same bind
    processors SQLAlchemy would use (times as UTC text, dates, booleans), with the column
    defaults of the model filled in once per batch for columns a row does not give.
    """

    def __init__(self, conn: Connection, table: Table, columns: tuple[str, ...]) -> None:
        dialect = conn.dialect
        given = set(columns)
        self.defaults: list[tuple[str, Any]] = []
        for column in table.columns:
            default = column.default
            if column.name in given or column.primary_key or default is None:
                continue
            if getattr(default, "is_scalar", False) or getattr(default, "is_callable", False):
                self.defaults.append((column.name, default))
        names = list(columns) + [name for name, _ in self.defaults]
        self.columns = columns
        self.processors = [table.c[n].type._cached_bind_processor(dialect) for n in names]
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join([mark] * len(names))})"
        )

    def run(
        self, conn: Connection, rows: list[dict[str, Any]], ids: Sequence[int] | None = None
    ) -> None:
        extra = tuple(d.arg if d.is_scalar else d.arg(None) for _, d in self.defaults)
        columns = self.columns
        getters = [row.get for row in rows]
        # Column by column: a column without a bind processor (text, most of a row) is taken
        # as it is, and a processed value that repeats (the time received, on every row; an
        # incident time or a date of birth shared by many rows) is converted once.
        values: list[Any] = []
        for name, process in zip(columns, self.processors, strict=False):
            column = [get(name) for get in getters]
            if process is not None:
                done: dict[Any, Any] = {None: None}
                for k, v in enumerate(column):
                    try:
                        column[k] = done[v]
                    except KeyError:
                        column[k] = done[v] = process(v)
                    except TypeError:  # not hashable: converted each time
                        column[k] = process(v)
            values.append(column)
        for (_, _default), value, process in zip(
            self.defaults, extra, self.processors[len(columns) :], strict=True
        ):
            values.append(
                [value if process is None or value is None else process(value)] * len(rows)
            )
        if ids is not None:
            values.insert(0, list(ids))
        conn.exec_driver_sql(self.sql, list(zip(*values, strict=True)))


def _driver_insert(
    session: Session, model: type[Base], rows: list[dict[str, Any]], *, with_ids: bool = False
) -> _DriverInsert:
    """The cached driver insert of this model for rows with these keys (first row's order)."""
    table = table_of(model)
    columns = (("id",) if with_ids else ()) + tuple(rows[0])
    cache: dict[tuple[str, tuple[str, ...]], _DriverInsert] = session.info.setdefault(
        "followup.intake.inserts", {}
    )
    key = (table.name, columns)
    insert_ = cache.get(key)
    if insert_ is None:
        insert_ = cache[key] = _DriverInsert(session.connection(), table, columns)
        if with_ids:  # the id comes in front of the row's values, not from the row
            insert_.columns = columns[1:]
            insert_.processors = insert_.processors[1:]
    return insert_


def _insert_returning_ids(
    session: Session, model: type[Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows and return their new ids in the same order."""
    if not rows:
        return []
    table = table_of(model)
    if session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy can only keep RETURNING in order on SQLite one row per statement, which
        # is slow for thousands of rows. Take the next ids instead: safe, because SQLite lets
        # one writer at a time commit, and in WAL mode a transaction whose snapshot is out of
        # date cannot write at all (the import then fails whole and can simply be repeated).
        start = session.scalar(select(func.max(table.c.id))) or 0
        ids = range(start + 1, start + 1 + len(rows))
        insert_ = _driver_insert(session, model, rows, with_ids=True)
        insert_.run(session.connection(), rows, ids)
        return list(ids)
    # PostgreSQL: the ids from the sequence first (one query), then the rows with them. Also
    # needed on a team server, where row-level security hides a new referral on another
    # worker's case from its importer, so RETURNING could not read it back.
    found = list(
        session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)},
        )
    )
    _driver_insert(session, model, rows, with_ids=True).run(session.connection(), rows, found)
    return found


def _person_id(item: Resolved) -> int:
    """The person's id, which every item has once its new people are written."""
    assert item.person.person_id is not None
    return item.person.person_id


def _naive_utc(when: datetime) -> datetime:
    """A time as the team server's functions take it: UTC, without a zone."""
    return when.astimezone(UTC).replace(tzinfo=None)


def _insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if rows:
        _driver_insert(session, model, rows).run(session.connection(), rows)


class IntakeWriter:
    """Writes batches of resolved rows for one import, remembering this file's open cases."""

    def __init__(
        self,
        session: Session,
        actor_id: int,
        received_at: datetime,
        source_file: str,
        schedule: Schedule = DEFAULT_SCHEDULE,
    ) -> None:
        self.session = session
        self.actor_id = actor_id
        self.received_at = received_at
        self.source_file = source_file[:255]
        self.schedule = schedule
        self.first_due = schedule.first_attempt_due(received_at)
        # person id -> open case id, for people seen in this import.
        self.open_case: dict[int, int] = {}
        # The ids of the cases opened by this import, as ascending runs [first, past last]
        # (an id out of order goes in ``_stray``), so that a long file costs no memory here.
        self._runs: list[list[int]] = []
        self._starts: list[int] = []
        self._stray: set[int] = set()
        self.cases_attached: set[int] = set()
        # Cases that were closed and reopened by a new overdose in this import.
        self.cases_reopened: list[int] = []

    @property
    def cases_created(self) -> list[int]:
        """The ids of the cases opened by this import, in the order they were opened."""
        return [i for first, end in self._runs for i in range(first, end)] + sorted(self._stray)

    def __contains__(self, case_id: object) -> bool:
        """Whether this import opened the case."""
        if not isinstance(case_id, int):
            return False
        k = bisect_right(self._starts, case_id) - 1
        return (k >= 0 and case_id < self._runs[k][1]) or case_id in self._stray

    def _note_opened(self, ids: list[int]) -> None:
        runs = self._runs
        for i in ids:
            if runs and i == runs[-1][1]:
                runs[-1][1] = i + 1
            elif not runs or i > runs[-1][1]:
                runs.append([i, i + 1])
                self._starts.append(i)
            else:
                self._stray.add(i)

    def forget_people(self) -> None:
        """Drop the open cases remembered for people of earlier batches: they are found again
        in the database (written in this same transaction) should they come up again."""
        self.open_case.clear()

    def write(self, items: list[Resolved]) -> list[int]:
        """Write one batch; returns the case id of each item, in order."""
        self._insert_new_people(items)
        notes = self._update_linked_people(items)
        self._load_open_cases(items)
        case_ids = self._assign_cases(items)
        referral_ids = _insert_returning_ids(
            self.session,
            Referral,
            [
                self._referral_row(item, case_id, extra)
                for item, case_id, extra in zip(items, case_ids, notes, strict=True)
            ],
        )
        _insert(
            self.session,
            ReferralWarning,
            [
                {"referral_id": rid, "row_number": w.row, "field": w.field, "reason": w.reason}
                for item, rid in zip(items, referral_ids, strict=True)
                for w in item.parsed.warnings
            ],
        )
        _insert(
            self.session,
            MatchReview,
            [
                {
                    "referral_id": rid,
                    "incoming_person_id": item.person.person_id,
                    "candidate_person_id": item.match.candidate.person_id,
                    "score": round(item.match.score, 1),
                    "state": MatchReviewState.PENDING,
                    "created_at": self.received_at,
                }
                for item, rid in zip(items, referral_ids, strict=True)
                if item.match.outcome == MatchOutcome.REVIEW and item.match.candidate is not None
            ],
        )
        _insert(self.session, ConsentEntry, self._consent_rows(items, case_ids))
        self._raise_alerts(items, case_ids, referral_ids)
        return case_ids

    def _raise_alerts(
        self, items: list[Resolved], case_ids: list[int], referral_ids: list[int]
    ) -> None:
        """A new overdose on a case that was open (or reopened) before this import."""
        created = self  # "in": opened by this import
        newest: dict[int, tuple[datetime, int]] = {}
        for item, case_id, rid in zip(items, case_ids, referral_ids, strict=True):
            if case_id in created:
                continue
            seen = newest.get(case_id)
            if seen is None or item.parsed.incident_at >= seen[0]:
                newest[case_id] = (item.parsed.incident_at, rid)
        if not enforced_by_server(self.session):
            self._raise_alerts_here(sorted(newest.items()))
            return
        for case_id, (incident_at, rid) in sorted(newest.items()):
            # Whoever holds the case: the server raises the alert on it for intake.
            self.session.execute(
                text("SELECT followup_new_overdose(:case, :referral, :incident, :received, :due)"),
                {
                    "case": case_id,
                    "referral": rid,
                    "incident": _naive_utc(incident_at),
                    "received": _naive_utc(self.received_at),
                    "due": _naive_utc(self.first_due),
                },
            )

    def _raise_alerts_here(self, alerts: list[tuple[int, tuple[datetime, int]]]) -> None:
        """``reoverdose.raise_alert`` for every case of the batch in one executemany: the same
        values (``reoverdose.alert_values``) and the same rule for the case's latest incident."""
        if not alerts:
            return
        t = table_of(Case)
        incident = bindparam("b_incident", type_=t.c.incident_at.type)
        fixed = reoverdose.alert_values(0, self.received_at, self.received_at, self.schedule)
        del fixed["reoverdose_referral_id"], fixed["reoverdose_at"]
        stmt = (
            update(t)
            .where(t.c.id == bindparam("b_case"), t.c.status != CaseStatus.CLOSED)
            .values(
                **fixed,
                reoverdose_referral_id=bindparam("b_referral"),
                reoverdose_at=incident,
                incident_at=when_then(
                    (t.c.incident_at.is_(None) | (t.c.incident_at < incident), incident),
                    else_=t.c.incident_at,
                ),
                version=t.c.version + 1,
            )
        )
        self.session.connection().execute(
            stmt,
            [
                {"b_case": case_id, "b_referral": rid, "b_incident": incident_at}
                for case_id, (incident_at, rid) in alerts
            ],
        )

    # ---------------------------------------------------------------------------- people

    def _insert_new_people(self, items: list[Resolved]) -> None:
        new: list[Candidate] = []
        seen: set[int] = set()
        for item in items:
            c = item.person
            if c.person_id is None and id(c) not in seen:
                seen.add(id(c))
                new.append(c)
        rows = []
        for c in new:
            p = c.incoming
            assert p is not None
            rows.append(
                {
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "description": p.description,
                    "date_of_birth": p.date_of_birth,
                    "gender": p.gender,
                    "nhs_number": p.nhs_number,
                    "address": p.address,
                    "postcode": p.postcode,
                    "no_fixed_abode": p.no_fixed_abode,
                    "phone": p.phone,
                    "email": p.email,
                    "created_at": self.received_at,
                    "updated_at": self.received_at,
                }
            )
        for c, pid in zip(new, _insert_returning_ids(self.session, Person, rows), strict=True):
            c.person_id = pid

    def _update_linked_people(self, items: list[Resolved]) -> list[str | None]:
        """Fill blanks on linked people; returns per item the differing details for notes."""
        notes: list[str | None] = []
        people = table_of(Person)
        for item in items:
            if (
                item.match.outcome != MatchOutcome.LINKED
                or item.person.incoming is item.parsed.person
            ):
                notes.append(None)
                continue
            c, p = item.person, item.parsed.person
            # A blank of the record, or one this batch's matching has already filled in
            # memory (``Matcher.learn``) and that is not yet written.
            fill = {
                name: getattr(p, name)
                for name in _FILLABLE
                if getattr(p, name)
                and (
                    not getattr(c, name)
                    or (name in c.unsaved and getattr(c, name) == getattr(p, name))
                )
            }
            c.unsaved.difference_update(fill)
            differ = [
                f"{name.replace('_', ' ')} given with this referral: {getattr(p, name)}"
                for name in _DIFFERENCES
                if getattr(p, name) and getattr(c, name) and getattr(p, name) != getattr(c, name)
            ]
            if fill:
                self.session.execute(
                    update(people)
                    .where(people.c.id == c.person_id)
                    .values(**fill, updated_at=self.received_at)
                )
                for name, value in fill.items():
                    setattr(c, name, value)
            notes.append("\n".join(differ) or None)
        return notes

    # ----------------------------------------------------------------------------- cases

    def _load_open_cases(self, items: list[Resolved]) -> None:
        """Find open cases of known people linked in this batch (one query per batch)."""
        wanted = sorted(
            {
                item.person.person_id
                for item in items
                if not item.person.in_file
                and item.person.person_id is not None  # linked people are known, so have one
                and item.person.person_id not in self.open_case
            }
        )
        t = table_of(Case)
        on_server = enforced_by_server(self.session)
        for start in range(0, len(wanted), QUERY_BATCH):
            chunk = wanted[start : start + QUERY_BATCH]
            if on_server:
                # A worker may not read another worker's cases: the server says which is open.
                self._open_cases_from_server(chunk)
                continue
            rows = self.session.execute(
                select(t.c.id, t.c.person_id, t.c.next_action_due_at)
                .where(t.c.person_id.in_(chunk), t.c.status != CaseStatus.CLOSED)
                .order_by(t.c.opened_at, t.c.id)
            )
            for case_id, person_id, _due in rows:
                # The most recently opened open case wins (ordered ascending, last one kept).
                self.open_case[person_id] = case_id
        self._reopen_recent([p for p in wanted if p not in self.open_case])

    def _reopen_recent(self, person_ids: list[int]) -> None:
        """Reopen the recently closed cases of people with no open case (see the module)."""
        for start in range(0, len(person_ids), QUERY_BATCH):
            chunk = person_ids[start : start + QUERY_BATCH]
            if enforced_by_server(self.session):
                found = {
                    person_id: case_id
                    for person_id, case_id in self.session.execute(
                        text(
                            "SELECT person_id, case_id FROM followup_reopen_recent("
                            "CAST(:people AS integer[]), :at, :to_worker, :to_inbox)"
                        ),
                        {
                            "people": chunk,
                            "at": _naive_utc(self.received_at),
                            "to_worker": reoverdose.REOPEN_TO_WORKER,
                            "to_inbox": reoverdose.REOPEN_TO_INBOX,
                        },
                    )
                }
            else:
                found = reoverdose.reopen_recent(
                    self.session, chunk, self.actor_id, self.received_at
                )
            for person_id, case_id in found.items():
                self.open_case[person_id] = case_id
                self.cases_reopened.append(case_id)

    def _open_cases_from_server(self, person_ids: list[int]) -> None:
        rows = self.session.execute(
            text(
                "SELECT person_id, case_id, at FROM followup_intake_facts("
                "CAST(:people AS integer[]), CAST(:none AS text[]), CAST(:none AS text[])) "
                "WHERE kind = 'open_case' ORDER BY case_id"
            ),
            {"people": person_ids, "none": []},
        )
        for person_id, case_id, _due in rows:
            self.open_case[person_id] = case_id

    def _assign_cases(self, items: list[Resolved]) -> list[int]:
        planned: dict[int, int] = {}  # person id -> index of the item opening their case
        openers: list[int] = []
        for index, item in enumerate(items):
            pid = item.person.person_id
            assert pid is not None
            if pid not in self.open_case and pid not in planned:
                planned[pid] = index
                openers.append(index)
        latest: dict[int, datetime] = {}
        for item in items:
            pid = _person_id(item)
            if (
                pid in planned
                and latest.get(pid, item.parsed.incident_at) <= item.parsed.incident_at
            ):
                latest[pid] = item.parsed.incident_at
        rows = []
        for index in openers:
            item = items[index]
            area = postcode_district(item.person.postcode) or postcode_district(
                item.parsed.referral.get("incident_postcode")
            )
            rows.append(
                {
                    "person_id": item.person.person_id,
                    "status": CaseStatus.NEW,
                    "assigned_worker_id": None,
                    "police_reference": item.parsed.police_reference,
                    "referred_at": self.received_at,
                    "area": area,
                    "next_action_due_at": self.first_due,
                    "incident_at": latest[_person_id(item)],
                    "opened_at": self.received_at,
                    "version": 1,
                }
            )
        new_ids = _insert_returning_ids(self.session, Case, rows)
        for index, case_id in zip(openers, new_ids, strict=True):
            self.open_case[_person_id(items[index])] = case_id
        self._note_opened(new_ids)
        _insert(
            self.session,
            CaseStatusChange,
            [
                {
                    "case_id": case_id,
                    "from_status": None,
                    "to_status": CaseStatus.NEW,
                    "changed_at": self.received_at,
                    "changed_by_id": self.actor_id,
                    "reason": "police referral imported",
                }
                for case_id in new_ids
            ],
        )
        case_ids = [self.open_case[_person_id(item)] for item in items]
        opening = set(openers)
        for index, case_id in enumerate(case_ids):
            if index not in opening:
                self.cases_attached.add(case_id)
        return case_ids

    # ------------------------------------------------------------------------- referrals

    def _referral_row(self, item: Resolved, case_id: int, extra: str | None) -> dict[str, Any]:
        p = item.parsed
        row = dict(p.referral)
        if extra:
            row["notes"] = "\n".join(n for n in (row.get("notes"), extra) if n)
        row.update(
            case_id=case_id,
            person_id=item.person.person_id,
            police_reference=p.police_reference,
            force=p.force,
            incident_at=p.incident_at,
            received_at=self.received_at,
            source_file=self.source_file,
            traceability=classify(
                first_name=p.person.first_name,
                last_name=p.person.last_name,
                address=p.person.address,
                postcode=p.person.postcode,
                phone=p.person.phone,
                no_fixed_abode=p.person.no_fixed_abode,
            ),
        )
        return row

    def _consent_rows(self, items: list[Resolved], case_ids: list[int]) -> list[dict[str, Any]]:
        rows = []
        for item, case_id in zip(items, case_ids, strict=True):
            answer = item.parsed.referral.get("consent_at_scene")
            if answer != SceneConsent.YES:
                continue
            for scope in SCENE_CONSENT_SCOPES:
                rows.append(
                    {
                        "person_id": item.person.person_id,
                        "case_id": case_id,
                        "scope": scope,
                        "state": ConsentState.GIVEN,
                        "method": ConsentMethod.VERBAL_AT_SCENE_VIA_POLICE,
                        "recorded_at": item.parsed.incident_at,
                        "recorded_by_id": None,  # taken by the officer, not the importer
                        "source": officer_source(item.parsed.referral, item.parsed.force),
                        "evidence": (
                            f"Police referral {item.parsed.police_reference}: consent_to_share "
                            f"{answer}"
                        )[:1000],
                    }
                )
        return rows
