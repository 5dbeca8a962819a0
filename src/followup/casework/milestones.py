"""A case's milestones: the per-case facts the reports count, kept on the case itself.

Six columns of ``case_file``, each the earliest time of a fact of the case:

- ``first_attempt_at``: its first contact attempt (attempts not voided);
- ``first_contact_at``: its first attempt where the worker spoke with the person;
- ``engaged_at``: when it first reached Engaged, Referred or In treatment (status history);
- ``treatment_referred_at``: when it first reached Referred or In treatment;
- ``in_treatment_at``: when it first reached In treatment;
- ``first_direct_contact_at``: its first contact made by any method but through family or
  friends (so an engaged case with a first contact and none of these was reached only
  through its network).

They are written in the same transaction as the change of the facts: ``refresh`` after an
attempt is logged, amended or marked entered in error and after a merge or its undo, and
``status_reached`` for a status change (status history is only ever added to, so the earliest
time can only be set, never moved). ``recompute`` and ``backfill`` do the same from the facts
for many cases at once, in set-based SQL, and ``compare_sample`` checks a sample of stored
milestones against the facts for `followup check`.

A referral's ``repeat_overdose`` (the person already had an earlier referral) is kept by the
database's own triggers (migration 0019) on every write of a referral, whatever path makes it;
``expected_repeats`` gives it from the referrals themselves, ``compare_sample`` checks it for
the sampled cases' referrals, and ``refresh_repeats`` sets it again for some people.

Closing a case as "engaged in treatment" counts as engaged in the reports without a
milestone: the case's own ``closure_reason`` says so (and the rules allow it only from In
treatment, which has its milestone). A reopening adds a change to Contacting or New, which is
no milestone, so re-overdose reopening (also the team server's function) needs nothing here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from followup import vocab
from followup.db.models import (
    Case,
    CaseStatusChange,
    ContactAttempt,
    Referral,
    not_voided,
    table_of,
)
from followup.vocab import CaseStatus

__all__ = [
    "ENGAGED_STATUSES",
    "MILESTONES",
    "REFERRED_STATUSES",
    "Mismatch",
    "SampleCheck",
    "backfill",
    "compare_sample",
    "expected",
    "expected_repeats",
    "recompute",
    "refresh",
    "refresh_repeats",
    "status_reached",
]

# A case that reached any of these statuses counts as engaged (or as referred).
ENGAGED_STATUSES = (CaseStatus.ENGAGED, CaseStatus.REFERRED, CaseStatus.IN_TREATMENT)
REFERRED_STATUSES = (CaseStatus.REFERRED, CaseStatus.IN_TREATMENT)
TREATMENT_STATUSES = (CaseStatus.IN_TREATMENT,)

MILESTONES = (
    "first_attempt_at",
    "first_contact_at",
    "engaged_at",
    "treatment_referred_at",
    "in_treatment_at",
    "first_direct_contact_at",
)
_STATUS_MILESTONES: tuple[tuple[str, tuple[CaseStatus, ...]], ...] = (
    ("engaged_at", ENGAGED_STATUSES),
    ("treatment_referred_at", REFERRED_STATUSES),
    ("in_treatment_at", TREATMENT_STATUSES),
)
_CHUNK = 500


def _facts(case_id: Any) -> dict[str, Any]:
    """Each milestone as a scalar subquery over the facts of the case ``case_id``."""
    a, c = ContactAttempt, CaseStatusChange
    out: dict[str, Any] = {
        "first_attempt_at": select(func.min(a.attempted_at))
        .where(a.case_id == case_id, not_voided(a))
        .scalar_subquery(),
        "first_contact_at": select(func.min(a.attempted_at))
        .where(a.case_id == case_id, not_voided(a), a.outcome.in_(vocab.CONTACT_MADE_OUTCOMES))
        .scalar_subquery(),
        "first_direct_contact_at": select(func.min(a.attempted_at))
        .where(
            a.case_id == case_id,
            not_voided(a),
            a.outcome.in_(vocab.CONTACT_MADE_OUTCOMES),
            a.method != vocab.ContactMethod.VIA_FAMILY,
        )
        .scalar_subquery(),
    }
    for name, statuses in _STATUS_MILESTONES:
        out[name] = (
            select(func.min(c.changed_at))
            .where(c.case_id == case_id, c.to_status.in_(statuses))
            .scalar_subquery()
        )
    return out


def expected(session: Session, case_ids: Sequence[int]) -> dict[int, dict[str, datetime | None]]:
    """The milestones of these cases as their facts give them now."""
    out: dict[int, dict[str, datetime | None]] = {}
    t = table_of(Case)
    for start in range(0, len(case_ids), _CHUNK):
        chunk = list(case_ids[start : start + _CHUNK])
        facts = _facts(t.c.id)
        rows = session.execute(
            select(t.c.id, *[facts[m].label(m) for m in MILESTONES]).where(t.c.id.in_(chunk))
        )
        for r in rows:
            out[int(r.id)] = {m: _utc(getattr(r, m)) for m in MILESTONES}
    return out


def _utc(value: Any) -> datetime | None:
    """A time from an aggregate (raw text on SQLite) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def refresh(session: Session, case: Case) -> None:
    """Set the case's milestones from its facts as they now stand (flushes first)."""
    session.flush()
    values = expected(session, [case.id]).get(case.id)
    if values is None:
        return
    for name, value in values.items():
        if getattr(case, name) != value:
            setattr(case, name, value)


def status_reached(case: Case, status: str, at: datetime) -> None:
    """A status change to ``status`` at ``at`` was just added to the case's history."""
    for name, statuses in _STATUS_MILESTONES:
        if status in statuses:
            current = getattr(case, name)
            if current is None or at < current:
                setattr(case, name, at)


def recompute(session: Session, case_ids: Iterable[int]) -> int:
    """Recompute the milestones of these cases from their facts, in SQL; returns how many.

    The case objects already loaded in the session are expired, so they read the new values.
    """
    ids = sorted(set(int(i) for i in case_ids))
    t = table_of(Case)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(update(t).where(t.c.id.in_(chunk)).values(**_facts(t.c.id)))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Case) and obj.id in ids:
            session.expire(obj, list(MILESTONES))
    return len(ids)


# The whole table at once: one pass over each fact table, grouped by case. UPDATE ... FROM
# works on SQLite (3.33 and later) and PostgreSQL alike.
_OUTCOMES = ", ".join(f"'{o.value}'" for o in vocab.CONTACT_MADE_OUTCOMES)


def _in(statuses: tuple[CaseStatus, ...]) -> str:
    return "to_status IN (" + ", ".join(f"'{s.value}'" for s in statuses) + ")"


BACKFILL_SQL: tuple[str, ...] = (
    "UPDATE case_file SET first_attempt_at = NULL, first_contact_at = NULL, engaged_at = NULL, "
    "treatment_referred_at = NULL, in_treatment_at = NULL, first_direct_contact_at = NULL",
    "UPDATE case_file SET first_attempt_at = f.first_attempt, first_contact_at = f.first_contact, "
    "first_direct_contact_at = f.first_direct "
    "FROM (SELECT case_id, min(attempted_at) AS first_attempt, "
    f"min(CASE WHEN outcome IN ({_OUTCOMES}) THEN attempted_at END) AS first_contact, "
    f"min(CASE WHEN outcome IN ({_OUTCOMES}) AND method <> '{vocab.ContactMethod.VIA_FAMILY.value}' "
    "THEN attempted_at END) AS first_direct "
    "FROM contact_attempt WHERE voided_at IS NULL GROUP BY case_id) AS f "
    "WHERE case_file.id = f.case_id",
    "UPDATE case_file SET engaged_at = f.engaged, treatment_referred_at = f.referred, "
    "in_treatment_at = f.treatment "
    "FROM (SELECT case_id, "
    f"min(CASE WHEN {_in(ENGAGED_STATUSES)} THEN changed_at END) AS engaged, "
    f"min(CASE WHEN {_in(REFERRED_STATUSES)} THEN changed_at END) AS referred, "
    f"min(CASE WHEN {_in(TREATMENT_STATUSES)} THEN changed_at END) AS treatment "
    f"FROM case_status_change WHERE {_in(ENGAGED_STATUSES)} GROUP BY case_id) AS f "
    "WHERE case_file.id = f.case_id",
)


def backfill(session: Session, *, reset: bool = True) -> None:
    """Set every case's milestones from the facts, set-based (the demo and the migration).

    ``reset=False`` skips clearing them first, for cases just written with none set.
    """
    for sql in BACKFILL_SQL if reset else BACKFILL_SQL[1:]:
        session.execute(text(sql))
    session.expire_all()


# ------------------------------------------------------------------- repeat overdoses

REPEAT = "repeat_overdose"


def _had_earlier(referral: Any) -> Any:
    """Whether the person of ``referral`` (a referral table) had a referral before it."""
    e = aliased(table_of(Referral))
    return exists().where(
        e.c.person_id == referral.c.person_id,
        or_(
            e.c.received_at < referral.c.received_at,
            and_(e.c.received_at == referral.c.received_at, e.c.id < referral.c.id),
        ),
    )


def expected_repeats(session: Session, case_ids: Sequence[int]) -> dict[int, tuple[int, bool]]:
    """{referral id: (case id, whether it is a repeat)} for the referrals of these cases, as
    the person's referrals give it now."""
    r = table_of(Referral)
    out: dict[int, tuple[int, bool]] = {}
    for start in range(0, len(case_ids), _CHUNK):
        chunk = list(case_ids[start : start + _CHUNK])
        for rid, case_id, repeat in session.execute(
            select(r.c.id, r.c.case_id, _had_earlier(r)).where(r.c.case_id.in_(chunk))
        ):
            out[int(rid)] = (int(case_id), bool(repeat))
    return out


def refresh_repeats(session: Session, person_ids: Iterable[int]) -> int:
    """Set the repeat flag of every referral of these people from their referrals (what the
    triggers do on each write); returns how many people."""
    ids = sorted(set(int(i) for i in person_ids))
    r = table_of(Referral)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(
            update(r).where(r.c.person_id.in_(chunk)).values(repeat_overdose=_had_earlier(r))
        )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Referral) and obj.person_id in ids:
            session.expire(obj, [REPEAT])
    return len(ids)


# ------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Mismatch:
    case_id: int
    milestone: str  # a milestone, or "repeat_overdose" for one of the case's referrals
    stored: datetime | bool | None
    expected: datetime | bool | None


@dataclass(frozen=True)
class SampleCheck:
    checked: int
    mismatches: tuple[Mismatch, ...]
    repaired: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def cases(self) -> list[int]:
        return sorted({m.case_id for m in self.mismatches})

    def describe(self) -> str:
        """One plain sentence for `followup check` (case ids and times only, no personal data)."""
        if self.ok:
            return f"The report milestones of {self.checked} sampled cases match their facts."
        shown = "; ".join(
            f"case {m.case_id} {m.milestone.replace('_', ' ')}: stored {_text(m.stored)}, "
            f"from its facts {_text(m.expected)}"
            for m in self.mismatches[:5]
        )
        more = f" (and {len(self.mismatches) - 5} more)" if len(self.mismatches) > 5 else ""
        cases = self.cases
        if self.repaired:
            return (
                f"Repaired the report milestones of {self.repaired} of {self.checked} sampled "
                f"cases, which did not match their attempts, status history and referrals: "
                f"{shown}{more}."
            )
        return (
            f"{len(cases)} of {self.checked} sampled cases have report milestones that do not "
            f"match their attempts, status history and referrals: {shown}{more}. Run `followup check "
            "--repair` to recompute them."
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "repaired": self.repaired,
            "mismatches": [
                {
                    "case_id": m.case_id,
                    "milestone": m.milestone,
                    "stored": _text(m.stored),
                    "expected": _text(m.expected),
                }
                for m in self.mismatches
            ],
        }


def _text(value: datetime | bool | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def _sample_ids(session: Session, size: int, seed: int | None) -> list[int]:
    t = table_of(Case)
    low, high = session.execute(select(func.min(t.c.id), func.max(t.c.id))).one()
    if low is None:
        return []
    total = int(session.scalar(select(func.count()).select_from(t)) or 0)
    if total <= size:
        return [int(i) for i in session.scalars(select(t.c.id))]
    # Random ids in the range, each rounded up to the next case that exists: cheap at a million.
    rng = random.Random(seed)
    picked: set[int] = set()
    tries = 0
    while len(picked) < size and tries < size * 20:
        tries += 1
        found = session.scalar(
            select(t.c.id).where(t.c.id >= rng.randint(low, high)).order_by(t.c.id).limit(1)
        )
        if found is not None:
            picked.add(int(found))
    return sorted(picked)


def compare_sample(
    session: Session,
    size: int = 500,
    *,
    case_ids: Sequence[int] | None = None,
    repair: bool = False,
    seed: int | None = None,
) -> SampleCheck:
    """Recompute the milestones of ``size`` random cases (or of ``case_ids``) and compare them
    with those stored; with ``repair``, the cases that differ get the recomputed values."""
    ids = list(case_ids) if case_ids is not None else _sample_ids(session, size, seed)
    want = expected(session, ids)
    t = table_of(Case)
    stored: dict[int, dict[str, datetime | None]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for r in session.execute(
            select(t.c.id, *[t.c[m] for m in MILESTONES]).where(t.c.id.in_(chunk))
        ):
            stored[int(r.id)] = {m: getattr(r, m) for m in MILESTONES}
    mismatches = [
        Mismatch(case_id, m, stored[case_id][m], values[m])
        for case_id, values in sorted(want.items())
        for m in MILESTONES
        if stored[case_id][m] != values[m]
    ]
    # The repeat flag of each of these cases' referrals.
    ref = table_of(Referral)
    flags = expected_repeats(session, ids)
    people: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for rid, person_id, flag in session.execute(
            select(ref.c.id, ref.c.person_id, ref.c.repeat_overdose).where(ref.c.case_id.in_(chunk))
        ):
            case_id, repeat = flags[int(rid)]
            if bool(flag) != repeat:
                mismatches.append(Mismatch(case_id, REPEAT, bool(flag), repeat))
                people.add(int(person_id))
    mismatches.sort(key=lambda m: m.case_id)
    repaired = 0
    if repair and mismatches:
        cases = {m.case_id for m in mismatches}
        recompute(session, {m.case_id for m in mismatches if m.milestone != REPEAT})
        refresh_repeats(session, people)
        repaired = len(cases)
    return SampleCheck(checked=len(want), mismatches=tuple(mismatches), repaired=repaired)
