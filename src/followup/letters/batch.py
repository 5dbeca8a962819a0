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
  the case has no letter to the GP yet (refused, with the reason, without the practice's
  address or a patient identified by date of birth and NHS number, or name, date of birth
  and address: ``content.gp_letter_problem``).

Appointment letters are never due: they need a time and a place that only a worker can give.
A due letter whose consent is not in force (or that has no postal address) is still listed,
with the reason it will be refused; batch printing skips it and reports that reason.

Beside those still to be made, the list holds the stored letters that are not done with
(``followup.letters.states``): made but not yet printed or saved (a batch closed without
printing, a jammed printer), printed but not yet posted, and posted lately. Printing them again
sends the stored PDFs as they were made.

In a batch PDF each letter starts on a new sheet: a letter with an odd number of pages is
followed by a blank page, so double-sided printing never puts two people on one sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload

from followup import vocab
from followup.access import Actor, require
from followup.casework import consent, contact_gate, team_rules
from followup.db.engine import Database
from followup.db.models import (
    Case,
    ConsentEntry,
    ContactAttempt,
    Letter,
    Person,
    TreatmentReferral,
    User,
    not_voided,
)
from followup.errors import RuleViolation
from followup.letters.content import (
    Gathered,
    LetterRequest,
    build_letter,
    gp_letter_problem,
    letterhead_gap,
)
from followup.letters.making import (
    LetterRecord,
    may_make_letters,
    record_of,
    store_letters,
)
from followup.letters.notify_check import NotifyLayoutRefused, check_pdf
from followup.letters.render import combine_pdfs, lay_out, render_letter
from followup.letters.settings import letterhead, template_bodies
from followup.letters.states import stored_letters_open
from followup.letters.templates import spec
from followup.uktime import short_date, uk_local_to_utc
from followup.vocab import CaseStatus, ConsentScope, ConsentState, LetterState, LetterTemplate

__all__ = [
    "RECENT_LETTER_DAYS",
    "BatchResult",
    "DueLetter",
    "SkippedLetter",
    "letter_problem",
    "letterhead_gaps",
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
    letter_id: int | None = None  # a stored letter; None for one still to be made
    state: str = LetterState.DUE
    state_at: datetime | None = None

    @property
    def made(self) -> bool:
        return self.letter_id is not None

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
    starts: tuple[int, ...] = ()  # the page each letter starts on (odd: a new sheet)


def _open_cases(actor: Actor) -> Select[int]:
    q = select(Case.id).where(Case.status != CaseStatus.CLOSED)
    if not actor.can("view_all_cases"):
        q = q.where(Case.assigned_worker_id == actor.id)
    return q


def letterhead_gaps(session: Session) -> dict[str, str]:
    """The templates the letterhead cannot yet carry, each with the reason and the fix."""
    head, bodies = letterhead(session), template_bodies(session)
    return {name: gap for name, body in bodies.items() if (gap := letterhead_gap(head, body))}


def letter_problem(
    session: Session,
    person: Person,
    template: str,
    gaps: dict[str, str] | None = None,
    consents: Mapping[str, consent.ConsentState] | None = None,
) -> str | None:
    """Why a letter of ``template`` to or about ``person`` would be refused now, or None.

    ``gaps`` is ``letterhead_gaps``, read once for many letters (read here when not given);
    ``consents`` the person's ``consent.consent_states``, when the caller has read them.
    """
    gap = (letterhead_gaps(session) if gaps is None else gaps).get(template)
    if gap:
        return gap
    s = spec(template)
    states = consents if consents is not None else consent.consent_states(session, person.id)
    if s.to_person:
        # the attempt log's gate too
        return contact_gate.letter_problem(session, person, states)
    problem = consent.refusal(states[s.consent_scope], s.consent_purpose)
    if problem:
        return problem
    if template == LetterTemplate.GP_NOTIFICATION:
        return gp_letter_problem(session, person)
    return None


def letters_due(
    session: Session,
    actor: Actor,
    now: datetime | None = None,
    *,
    with_problems: bool = True,
    under_way: bool = False,
    gaps: dict[str, str] | None = None,
) -> list[DueLetter]:
    """Every letter due on the cases this user works on, by case (see the module docstring).

    Due letters are those still to be made and those made but not yet printed or saved; with
    ``under_way`` the list also holds letters printed but not posted, and posted lately (the
    Letters view marks them posted or returned). With ``with_problems`` each comes with the
    reason it would be refused now (a query per letter); batch printing finds and reports
    those reasons itself, so it can skip them.
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
        .where(
            Case.id.in_(scope),
            Case.status == CaseStatus.CONTACTING,
            Case.id.not_in(recent),
            not_voided(ContactAttempt),
        )
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
            not_voided(TreatmentReferral),
        )
        .order_by(TreatmentReferral.case_id, TreatmentReferral.referred_on)
    ):
        last = last_referral_letter.get(case_id)
        if last is None or last < uk_local_to_utc(datetime.combine(referred_on, time())):
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
        not_voided(ConsentEntry),
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

    stored = [
        letter
        for letter in stored_letters_open(session, actor, now)
        if under_way or letter.state == LetterState.DUE
    ]
    cases = _load_cases(session, {w[0] for w in wanted} | {s.case_id for s in stored})
    names = dict(session.execute(select(User.id, User.display_name)).all())
    if gaps is None:  # the caller may have read them already (``letterhead_gaps``)
        gaps = letterhead_gaps(session) if with_problems else {}
    due = []
    for case_id, template, reason, referral_id in sorted(wanted, key=lambda w: (w[0], w[1])):
        c = cases[case_id]
        due.append(
            DueLetter(
                request=LetterRequest(case_id, template, treatment_referral_id=referral_id),
                reason=reason,
                person=c.person.display_name,
                worker=names.get(c.assigned_worker_id or 0, ""),
                problem=(
                    letter_problem(session, c.person, template, gaps) if with_problems else None
                ),
            )
        )
    for letter in stored:
        c = cases[letter.case_id]
        printable = letter.state in (LetterState.DUE, LetterState.PRINTED)
        due.append(
            DueLetter(
                request=LetterRequest(letter.case_id, letter.template),
                reason=_stored_reason(letter.state, letter.created_at, letter.state_at),
                person=c.person.display_name,
                worker=names.get(c.assigned_worker_id or 0, ""),
                problem=(
                    # made already: the letterhead it was drawn on no longer matters
                    letter_problem(session, c.person, letter.template, {})
                    if with_problems and printable
                    else None
                ),
                letter_id=letter.letter_id,
                state=letter.state,
                state_at=letter.state_at,
            )
        )
    due.sort(key=lambda d: (d.case_id, d.letter_id is None, d.letter_id or 0, d.template))
    return due


def _day(value: datetime | None) -> str:
    if value is None:
        return "an unknown day"
    return short_date(value if value.tzinfo else value.replace(tzinfo=UTC))


def _stored_reason(state: str, made: datetime, changed: datetime | None) -> str:
    if state == LetterState.DUE:
        return f"Made on {_day(made)}; not printed or saved yet."
    if state == LetterState.PRINTED:
        return f"Printed on {_day(changed)}; mark it posted once it is in the post."
    return f"Posted on {_day(changed)}; mark it returned if the post brings it back."


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

    Items that are stored letters (``DueLetter.letter_id``) are not made again: their stored
    PDFs go into the batch as they are. Each letter starts on a new sheet (a blank page after
    a letter with an odd number of pages). Letters that are refused (consent not in force, no
    address, a case not in this user's caseload…) are skipped and reported with the reason.
    ``progress`` is called with (letters done, letters in all) after each letter; when
    ``cancelled`` returns True the batch stops and nothing is stored. Every letter stays due
    until the batch is printed or saved. Safe to call from a worker thread: it opens its own
    session.
    """
    total = len(items)
    with db.session() as session:
        require(actor, "print_letters")
        ctx = Gathered.load(session, letterhead(session), template_bodies(session))
        requests = [i.request if isinstance(i, DueLetter) else i for i in items]
        cases = _load_cases(session, {r.case_id for r in requests})
        stored_ids = [i.letter_id for i in items if isinstance(i, DueLetter) and i.made]
        stored = _load_letters(session, stored_ids)
        # What every letter rests on, read once for the batch rather than once a letter.
        ctx.prefetch(
            session, [(cases[r.case_id], r.template) for r in requests if r.case_id in cases]
        )
        # Each entry: a stored letter, or one made now (its request and PDF).
        entries: list[LetterRecord | tuple[LetterRequest, bytes]] = []
        skipped: list[SkippedLetter] = []
        for done, item in enumerate(items, start=1):
            if cancelled is not None and cancelled():
                session.rollback()
                return BatchResult(None, 0, (), tuple(skipped), cancelled=True)
            request = requests[done - 1]
            case = cases.get(request.case_id)
            stored_id = item.letter_id if isinstance(item, DueLetter) else None
            letter = stored.get(stored_id) if stored_id is not None else None
            if (
                case is None
                or not may_make_letters(actor, case)
                or (stored_id is not None and (letter is None or letter.case_id != case.id))
            ):
                skipped.append(
                    SkippedLetter(
                        request.case_id,
                        request.template,
                        f"Case {request.case_id} does not exist or is not in your caseload.",
                    )
                )
            elif letter is not None:
                problem = letter_problem(
                    session, case.person, letter.template, {}, ctx.consents[case.person_id]
                )
                if not problem:
                    try:  # a stored letter is printed as it is, so it must be in the format
                        check_pdf(letter.pdf)
                    except NotifyLayoutRefused as exc:
                        problem = str(exc)
                if problem:
                    skipped.append(SkippedLetter(case.id, letter.template, problem))
                else:
                    entries.append(record_of(letter, ctx.users.get(letter.author_id or 0, "")))
            else:
                try:
                    laid = lay_out(
                        build_letter(session, case, request, ctx, actor.display_name), ctx.head
                    )
                    entries.append((request, render_letter(laid, ctx.head)))
                except RuleViolation as exc:
                    skipped.append(SkippedLetter(request.case_id, request.template, str(exc)))
            if progress is not None:
                progress(done, total)
        if not entries:
            return BatchResult(None, 0, (), tuple(skipped))
        # Each letter is drawn once: the print job is the letters' own PDFs, joined.
        combined = combine_pdfs([e.pdf if isinstance(e, LetterRecord) else e[1] for e in entries])
        if cancelled is not None and cancelled():
            session.rollback()
            return BatchResult(None, 0, (), tuple(skipped), cancelled=True)
        # One statement for the new letters and one for their audit events.
        fresh = iter(
            store_letters(
                session,
                actor,
                [
                    (e[0].case_id, e[0].template, e[1])
                    for e in entries
                    if not isinstance(e, LetterRecord)
                ],
            )
        )
        records = tuple(e if isinstance(e, LetterRecord) else next(fresh) for e in entries)
    return BatchResult(
        combined.pdf, combined.pages, records, tuple(skipped), starts=combined.starts
    )


def _load_letters(session: Session, ids: Sequence[int | None]) -> dict[int, Letter]:
    """The stored letters of a batch, in a query per 500."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, Letter] = {}
    for start in range(0, len(wanted), 500):
        for letter in session.scalars(
            select(Letter).where(Letter.id.in_(wanted[start : start + 500]))
        ):
            found[letter.id] = letter
    return found
