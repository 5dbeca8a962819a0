"""Referral letters: make, store, reopen and print them, for one case or in a batch.

Four templates (``followup.letters.templates``) are drawn on the organisation's letterhead
(``followup.letters.settings``) by ``followup.letters.render``; what each letter says and the
rules that can refuse it live in ``followup.letters.content``. Every letter made is stored with
its template, author, time, the SHA-256 of its PDF and the PDF itself; making one is audited
as a create, reopening it as a view and each print as a print.

Who may: a user with the ``print_letters`` permission, for a case they may work on — a
worker only for cases assigned to them, a team lead for any case. Administrators edit the
wording and the letterhead but see no case data, so they cannot make letters.

All functions return plain data, so the desktop app can call them on a worker thread with a
short session of its own. ``followup.letters.batch`` has the letters due and batch printing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.models import Case, Letter, LetterPrint, User
from followup.db.types import utcnow
from followup.errors import NotFound
from followup.letters.content import Gathered, LetterRequest, build_letter
from followup.letters.render import render_letter
from followup.letters.settings import letterhead, template_bodies
from followup.letters.templates import TEMPLATES, spec
from followup.vocab import AuditAction, LetterState

__all__ = [
    "LetterRecord",
    "LetterRequest",
    "LetterSummary",
    "create_letter",
    "letter_pdf",
    "letters_for_case",
    "case_for_letters",
    "may_make_letters",
    "preview_letter",
    "record_print",
    "record_of",
    "record_prints",
    "store_letters",
]


@dataclass(frozen=True)
class LetterRecord:
    """A stored letter with its PDF."""

    id: int
    case_id: int
    template: str
    author: str
    created_at: datetime
    sha256: str
    pdf: bytes

    @property
    def label(self) -> str:
        return TEMPLATES[self.template].label


@dataclass(frozen=True)
class LetterSummary:
    """A stored letter as the case view lists it (no PDF)."""

    id: int
    case_id: int
    template: str
    label: str
    author: str
    created_at: datetime
    sha256: str
    prints: int
    last_printed_at: datetime | None
    state: str = LetterState.DUE
    state_at: datetime | None = None


def may_make_letters(actor: Actor, case: Case) -> bool:
    """Whether this user may make and print letters for ``case``."""
    return actor.can("print_letters") and (
        actor.can("view_all_cases") or case.assigned_worker_id == actor.id
    )


def case_for_letters(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, if this user may make and print its letters."""
    require(actor, "print_letters")
    case = session.get(Case, case_id)
    if case is None or not may_make_letters(actor, case):
        # The same answer for "missing" and "not yours": a worker learns nothing of other cases.
        raise NotFound(f"Case {case_id} does not exist or is not in your caseload.")
    return case


def _letter_for(session: Session, actor: Actor, letter_id: int) -> Letter:
    require(actor, "print_letters")
    letter = session.get(Letter, letter_id)
    case = session.get(Case, letter.case_id) if letter else None
    if letter is None or case is None or not may_make_letters(actor, case):
        raise NotFound(f"Letter {letter_id} does not exist or is not in your caseload.")
    return letter


def preview_letter(session: Session, actor: Actor, request: LetterRequest) -> bytes:
    """The PDF the letter would be, without storing it (for a preview before saving)."""
    case = case_for_letters(session, actor, request.case_id)
    spec(request.template)
    ctx = Gathered.load(session, letterhead(session), template_bodies(session))
    content = build_letter(session, case, request, ctx, actor.display_name)
    return render_letter(content, ctx.head)


def store_letters(
    session: Session, actor: Actor, made: Sequence[tuple[int, str, bytes]]
) -> list[LetterRecord]:
    """Store the letters made, each (case id, template, PDF), with their SHA-256, and audit
    each as a create: one statement for the letters and one for their audit events, however
    many there are. Returns them as stored, in the same order."""
    if not made:
        return []
    at = [utcnow() for _ in made]
    digests = [hashlib.sha256(pdf).hexdigest() for _, _, pdf in made]
    ids = session.scalars(
        insert(Letter).returning(Letter.id, sort_by_parameter_order=True),
        [
            {
                "case_id": case_id,
                "template": template,
                "author_id": actor.id,
                "created_at": created_at,
                "sha256": digest,
                "pdf": pdf,
                "state": LetterState.DUE,
            }
            for (case_id, template, pdf), created_at, digest in zip(made, at, digests, strict=True)
        ],
    ).all()
    audit.record_many(
        session,
        actor.id,
        AuditAction.CREATE,
        "letter",
        [
            (letter_id, {"case_id": case_id, "template": template, "sha256": digest})
            for letter_id, (case_id, template, _), digest in zip(ids, made, digests, strict=True)
        ],
    )
    return [
        LetterRecord(letter_id, case_id, template, actor.display_name, created_at, digest, pdf)
        for letter_id, (case_id, template, pdf), created_at, digest in zip(
            ids, made, at, digests, strict=True
        )
    ]


def record_of(letter: Letter, author: str) -> LetterRecord:
    """A stored letter as plain data, with its PDF."""
    return LetterRecord(
        letter.id,
        letter.case_id,
        letter.template,
        author,
        letter.created_at,
        letter.sha256,
        letter.pdf,
    )


def create_letter(
    session: Session,
    actor: Actor,
    case_id: int,
    template: str,
    *,
    appointment_time: datetime | None = None,
    appointment_place: str | None = None,
    note: str | None = None,
    treatment_referral_id: int | None = None,
) -> LetterRecord:
    """Make one letter, store it with its SHA-256 and audit it; returns it with its PDF.

    Refused with a ``RuleViolation`` saying why when the consent it needs is not in force,
    when the person has no postal address (letters to the person), or when a detail the
    template needs is missing.
    """
    spec(template)  # a plain refusal for an unknown template name
    request = LetterRequest(
        case_id,
        template,
        appointment_time=appointment_time,
        appointment_place=appointment_place,
        note=note,
        treatment_referral_id=treatment_referral_id,
    )
    case = case_for_letters(session, actor, case_id)
    ctx = Gathered.load(session, letterhead(session), template_bodies(session))
    content = build_letter(session, case, request, ctx, actor.display_name)
    pdf = render_letter(content, ctx.head)
    return store_letters(session, actor, [(case.id, template, pdf)])[0]


def letters_for_case(session: Session, actor: Actor, case_id: int) -> list[LetterSummary]:
    """The case's letters, newest first, with how often each was printed."""
    case_for_letters(session, actor, case_id)
    prints = (
        select(
            LetterPrint.letter_id,
            func.count().label("n"),
            func.max(LetterPrint.printed_at).label("last"),
        )
        .group_by(LetterPrint.letter_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Letter.id,
            Letter.template,
            Letter.created_at,
            Letter.sha256,
            Letter.state,
            Letter.state_at,
            User.display_name,
            prints.c.n,
            prints.c.last,
        )
        .outerjoin(User, User.id == Letter.author_id)
        .outerjoin(prints, prints.c.letter_id == Letter.id)
        .where(Letter.case_id == case_id)
        .order_by(Letter.created_at.desc(), Letter.id.desc())
    ).all()
    return [
        LetterSummary(
            r.id,
            case_id,
            r.template,
            TEMPLATES[r.template].label,
            r.display_name or "",
            r.created_at,
            r.sha256,
            r.n or 0,
            r.last,
            r.state,
            r.state_at,
        )
        for r in rows
    ]


def letter_pdf(session: Session, actor: Actor, letter_id: int) -> LetterRecord:
    """A stored letter with its PDF, to look at or print again; audited as a view."""
    letter = _letter_for(session, actor, letter_id)
    author = session.get(User, letter.author_id) if letter.author_id else None
    audit.record(
        session, actor.id, AuditAction.VIEW, "letter", letter.id, {"case_id": letter.case_id}
    )
    return record_of(letter, author.display_name if author else "")


def record_print(
    session: Session,
    actor: Actor,
    letter_id: int,
    destination: str | None = None,
    *,
    job: str | None = None,
) -> None:
    """Log that a stored letter was printed (or saved to a file) and audit it."""
    record_prints(session, actor, [letter_id], destination, job=job)


def record_prints(
    session: Session,
    actor: Actor,
    letter_ids: Iterable[int],
    destination: str | None = None,
    *,
    job: str | None = None,
) -> None:
    """Log one print of each letter (a batch printed together) and audit each.

    Call it only once the print system accepted the job (``job`` is its id) or the file was
    written: a letter that was due is then printed. A reprint of a letter already posted or
    returned leaves its state as it is.
    """
    require(actor, "print_letters")
    where = (destination or "").strip()[:200] or None
    job_id = (job or "").strip()[:100] or None
    ids = list(dict.fromkeys(letter_ids))
    found: dict[int, tuple[int, int | None]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            (lid, (cid, worker))
            for lid, cid, worker in session.execute(
                select(Letter.id, Letter.case_id, Case.assigned_worker_id)
                .join(Case, Case.id == Letter.case_id)
                .where(Letter.id.in_(chunk))
            )
        )
    now = datetime.now(UTC)
    for letter_id in ids:
        case_id, worker = found.get(letter_id, (None, None))
        if case_id is None or not (actor.can("view_all_cases") or worker == actor.id):
            raise NotFound(f"Letter {letter_id} does not exist or is not in your caseload.")
        session.add(
            LetterPrint(
                letter_id=letter_id,
                printed_by_id=actor.id,
                destination=where,
                job=job_id,
                printed_at=now,
            )
        )
        details: dict[str, object] = {"case_id": case_id, "destination": where}
        if job_id:
            details["job"] = job_id
        audit.record(session, actor.id, AuditAction.PRINT, "letter", letter_id, details)
    for start in range(0, len(ids), 500):
        session.execute(
            update(Letter)
            .where(Letter.id.in_(ids[start : start + 500]), Letter.state == LetterState.DUE)
            .values(state=LetterState.PRINTED, state_at=now)
            .execution_options(synchronize_session="fetch")
        )
    session.flush()
