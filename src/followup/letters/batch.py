"""The letters due, and batch printing: many letters in one PDF, stored all together or not at all.

A letter is due (on an open case the user may work on: a worker's own cases, every case for a
lead) when:

* ``unable_to_contact`` — the case is still ``contacting``, has at least the minimum number of
  contact attempts of the closure rule (``team_rules.closure_rules``, 3 by default), none of
  them reached the person (spoke, engaged or declined), and no such letter was made for the
  case in the last 14 days;
* ``treatment_referral`` — for each treatment referral of the case that has neither started
  nor ended, when no treatment referral letter was made for the case on or after the day of
  that referral;
* ``gp_notification`` — ``share_with_gp`` consent is in force, a GP practice is recorded, and
  the case has no letter to the GP yet.

Appointment letters are never due: they need a time and a place that only a worker can give.
A due letter whose consent is not in force (or that has no postal address) is still listed,
with the reason it will be refused; batch printing skips it and reports that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload

from followup import vocab
from followup.access import Actor, require
from followup.casework import consent, team_rules
from followup.db.engine import Database
from followup.db.models import (
    Case,
    ConsentEntry,
    ContactAttempt,
    Letter,
    Person,
    TreatmentReferral,
    User,
)
from followup.errors import RuleViolation
from followup.letters.content import Gathered, LetterRequest, build_letter
from followup.letters.making import (
    LetterRecord,
    audit_created,
    may_make_letters,
    record_of,
    store_letter,
)
from followup.letters.render import lay_out, render_letter, render_letters
from followup.letters.settings import letterhead, template_bodies
from followup.letters.templates import spec
from followup.uktime import short_date
from followup.vocab import CaseStatus, ConsentScope, ConsentState, LetterTemplate

__all__ = [
    "RECENT_LETTER_DAYS",
    "BatchResult",
    "DueLetter",
    "SkippedLetter",
    "letter_problem",
    "letters_due",
    "render_batch",
]

RECENT_LETTER_DAYS = 14


@dataclass(frozen=True)
class DueLetter:
    """A letter that is due, why, and why it would be refused now (None if it would not)."""

    request: LetterRequest
    reason: str
    person: str
    worker: str
    problem: str | None

    @property
    def case_id(self) -> int:
        return self.request.case_id

    @property
    def template(self) -> str:
        return self.request.template


@dataclass(frozen=True)
class SkippedLetter:
    """A letter of a batch that was refused, and why."""

    case_id: int
    template: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    """One combined PDF of the letters made, the stored letters, and those refused."""

    pdf: bytes | None
    pages: int
    letters: tuple[LetterRecord, ...]
    skipped: tuple[SkippedLetter, ...]
    cancelled: bool = False


def _open_cases(actor: Actor) -> Select[int]:
    q = select(Case.id).where(Case.status != CaseStatus.CLOSED)
    if not actor.can("view_all_cases"):
        q = q.where(Case.assigned_worker_id == actor.id)
    return q


def letter_problem(session: Session, person: Person, template: str) -> str | None:
    """Why a letter of ``template`` to or about ``person`` would be refused now, or None."""
    s = spec(template)
    try:
        consent.require_in_force(session, person.id, s.consent_scope, s.consent_purpose)
    except RuleViolation as exc:
        return str(exc)
    if s.to_person and (person.no_fixed_abode or not (person.address or "").strip()):
        return "There is no postal address for this person (no fixed abode)."
    return None


def letters_due(
    session: Session, actor: Actor, now: datetime | None = None, *, with_problems: bool = True
) -> list[DueLetter]:
    """Every letter due on the cases this user works on, by case (see the module docstring).

    With ``with_problems`` each comes with the reason it would be refused now (a query per
    letter); batch printing finds and reports those reasons itself, so it can skip them.
    """
    require(actor, "print_letters")
    now = now or datetime.now(UTC)
    scope = _open_cases(actor).scalar_subquery()
    rules = team_rules.closure_rules(session)
    wanted: list[tuple[int, LetterTemplate, str, int | None]] = []

    made = sql_case((ContactAttempt.outcome.in_(vocab.CONTACT_MADE_OUTCOMES), 1), else_=0)
    recent = select(Letter.case_id).where(
        Letter.template == LetterTemplate.UNABLE_TO_CONTACT,
        Letter.created_at >= now - timedelta(days=RECENT_LETTER_DAYS),
    )
    for case_id, attempts in session.execute(
        select(Case.id, func.count(ContactAttempt.id))
        .join(ContactAttempt, ContactAttempt.case_id == Case.id)
        .where(Case.id.in_(scope), Case.status == CaseStatus.CONTACTING, Case.id.not_in(recent))
        .group_by(Case.id)
        .having(func.count(ContactAttempt.id) >= rules.min_attempts, func.sum(made) == 0)
    ):
        wanted.append(
            (
                case_id,
                LetterTemplate.UNABLE_TO_CONTACT,
                f"{attempts} contact attempts have not reached the person.",
                None,
            )
        )

    last_referral_letter = dict(
        session.execute(
            select(Letter.case_id, func.max(Letter.created_at))
            .where(Letter.template == LetterTemplate.TREATMENT_REFERRAL)
            .group_by(Letter.case_id)
        ).all()
    )
    for tr_id, case_id, referred_on in session.execute(
        select(TreatmentReferral.id, TreatmentReferral.case_id, TreatmentReferral.referred_on)
        .where(
            TreatmentReferral.case_id.in_(scope),
            TreatmentReferral.exit_on.is_(None),
            TreatmentReferral.treatment_started_on.is_(None),
        )
        .order_by(TreatmentReferral.case_id, TreatmentReferral.referred_on)
    ):
        last = last_referral_letter.get(case_id)
        if last is None or last < datetime.combine(referred_on, time(), UTC):
            wanted.append(
                (
                    case_id,
                    LetterTemplate.TREATMENT_REFERRAL,
                    f"Referred on {short_date(referred_on)}; no referral letter yet.",
                    tr_id,
                )
            )

    has_gp_letter = select(Letter.case_id).where(Letter.template == LetterTemplate.GP_NOTIFICATION)
    # Only people with some record of GP consent given need the full check of what is in force.
    gp_given = select(ConsentEntry.person_id).where(
        ConsentEntry.scope == ConsentScope.SHARE_WITH_GP,
        ConsentEntry.state == ConsentState.GIVEN,
    )
    for case_id, person_id in session.execute(
        select(Case.id, Case.person_id)
        .join(Person, Person.id == Case.person_id)
        .where(
            Case.id.in_(scope),
            Person.gp_practice.is_not(None),
            Person.gp_practice != "",
            Case.id.not_in(has_gp_letter),
            Person.id.in_(gp_given),
        )
    ):
        if consent.consent_in_force(session, person_id, ConsentScope.SHARE_WITH_GP):
            wanted.append(
                (
                    case_id,
                    LetterTemplate.GP_NOTIFICATION,
                    "Consent to share with the GP is in force; the GP has not been told.",
                    None,
                )
            )

    cases = _load_cases(session, {w[0] for w in wanted})
    names = dict(session.execute(select(User.id, User.display_name)).all())
    due = []
    for case_id, template, reason, referral_id in sorted(wanted, key=lambda w: (w[0], w[1])):
        c = cases[case_id]
        due.append(
            DueLetter(
                request=LetterRequest(case_id, template, treatment_referral_id=referral_id),
                reason=reason,
                person=c.person.display_name,
                worker=names.get(c.assigned_worker_id or 0, ""),
                problem=letter_problem(session, c.person, template) if with_problems else None,
            )
        )
    return due


def _load_cases(session: Session, ids: set[int]) -> dict[int, Case]:
    """The cases with their people, in a few queries rather than two per case."""
    found: dict[int, Case] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for c in session.scalars(
            select(Case).options(selectinload(Case.person)).where(Case.id.in_(chunk))
        ):
            found[c.id] = c
    return found


def render_batch(
    db: Database,
    actor: Actor,
    items: Sequence[DueLetter | LetterRequest],
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BatchResult:
    """Make the letters of ``items`` in one combined PDF and store each one.

    Letters that are refused (consent not in force, no address, a case not in this user's
    caseload…) are skipped and reported with the reason; the others are made. ``progress`` is
    called with (letters done, letters in all) after each letter; when ``cancelled`` returns
    True the batch stops and nothing is stored. Safe to call from a worker thread: it opens
    its own session.
    """
    requests = [i.request if isinstance(i, DueLetter) else i for i in items]
    total = len(requests)
    with db.session() as session:
        require(actor, "print_letters")
        ctx = Gathered.load(session, letterhead(session), template_bodies(session))
        cases = _load_cases(session, {r.case_id for r in requests})
        made: list[tuple[LetterRequest, bytes]] = []
        contents = []
        skipped: list[SkippedLetter] = []
        for done, request in enumerate(requests, start=1):
            if cancelled is not None and cancelled():
                session.rollback()
                return BatchResult(None, 0, (), tuple(skipped), cancelled=True)
            case = cases.get(request.case_id)
            if case is None or not may_make_letters(actor, case):
                skipped.append(
                    SkippedLetter(
                        request.case_id,
                        request.template,
                        f"Case {request.case_id} does not exist or is not in your caseload.",
                    )
                )
            else:
                try:
                    laid = lay_out(
                        build_letter(session, case, request, ctx, actor.display_name), ctx.head
                    )
                    made.append((request, render_letter(laid, ctx.head)))
                    contents.append(laid)
                except RuleViolation as exc:
                    skipped.append(SkippedLetter(request.case_id, request.template, str(exc)))
            if progress is not None:
                progress(done, total)
        if not made:
            return BatchResult(None, 0, (), tuple(skipped))
        combined, pages = render_letters(contents, ctx.head)
        if cancelled is not None and cancelled():
            session.rollback()
            return BatchResult(None, 0, (), tuple(skipped), cancelled=True)
        letters = [store_letter(session, actor, r.case_id, r.template, pdf) for r, pdf in made]
        session.flush()
        audit_created(session, actor, letters)
        records = tuple(record_of(letter, actor.display_name) for letter in letters)
    return BatchResult(combined, pages, records, tuple(skipped))
