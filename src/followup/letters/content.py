"""What a letter says: the case's details turned into the plain text of one letter.

This is where each template's rules are applied before anything is drawn: the consent the
letter rests on must be in force (``consent.require_in_force``, the same gate for the app, the
command line and batch printing), a letter to the person needs a postal address and a name,
an appointment letter needs a time and a place, a treatment referral needs a recorded
referral, and a letter to the GP needs the practice's address and the patient identified
(``gp_letter_problem``). A letter to the person goes through the same gate as the attempt
log (``contact_gate.letter_problem``). Refusals say what is missing, never who
the person is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import vocab
from followup.casework import consent, contact_gate
from followup.db.models import (
    Case,
    Person,
    Referral,
    Service,
    TreatmentReferral,
    User,
    not_voided,
)
from followup.errors import RuleViolation
from followup.letters.render import LetterContent, Letterhead, Section, address_lines
from followup.letters.templates import (
    banned_word,
    discretion_refusal,
    fill,
    placeholders_in,
    spec,
)
from followup.pdf.text import clean
from followup.uktime import clock, long_date, now_utc, short_date, short_date_time, to_uk, uk_today
from followup.validation import display_phone
from followup.vocab import ConsentScope, LetterTemplate, ServiceType

__all__ = [
    "NO_LETTERHEAD_PHONE",
    "Gathered",
    "LetterRequest",
    "build_letter",
    "gp_letter_problem",
    "gp_practice_lines",
    "letterhead_gap",
    "nhs_display",
]

NOT_KNOWN = "Not known"
NO_LETTERHEAD_PHONE = (
    "This letter gives our phone number, but the letterhead has none; an administrator adds "
    "it under Letter templates, Letterhead."
)


def letterhead_gap(head: Letterhead, body: str) -> str | None:
    """Why the letterhead cannot yet carry a letter with wording ``body``, or None."""
    if "service_phone" in placeholders_in(body) and not head.phone.strip():
        return NO_LETTERHEAD_PHONE
    return None


def gp_practice_lines(session: Session, person: Person) -> list[str]:
    """The GP practice's name and postal address, or [] when its address is not known.

    From the services directory (an active service of type GP whose name is the practice
    the person's record names), else from the person's GP record when it holds an address
    as well as the practice's name.
    """
    practice = address_lines(person.gp_practice)
    if not practice:
        return []
    name = practice[0]
    for service in session.scalars(
        select(Service).where(
            Service.service_type == ServiceType.GP,
            Service.active.is_(True),
            func.lower(Service.name) == name.lower(),
        )
    ):
        lines = address_lines(service.address)
        if lines:
            return [clean(service.name).strip(), *lines]
    return practice if len(practice) >= 2 else []


def gp_letter_problem(session: Session, person: Person) -> str | None:
    """Why a letter to the person's GP cannot be made, or None: the practice's address and
    the patient identified by date of birth and NHS number, or by name, date of birth and
    address."""
    if not address_lines(person.gp_practice):
        return "No GP practice is recorded for this person; add it to their details first."
    if not gp_practice_lines(session, person):
        return (
            "A letter to the GP needs the practice's address: add the practice to the services "
            "directory (type GP) with its address, or add the address to the GP practice in "
            "the person's details."
        )
    named = bool((person.first_name or "").strip() and (person.last_name or "").strip())
    has_address = not person.no_fixed_abode and bool(address_lines(person.address))
    if person.date_of_birth and (person.nhs_number or (named and has_address)):
        return None
    missing = [
        what
        for what, known in (
            ("date of birth", person.date_of_birth is not None),
            ("NHS number", bool(person.nhs_number)),
        )
        if not known
    ]
    return (
        "A letter to the GP must identify the patient by date of birth and NHS number, or by "
        "full name, date of birth and address; this person's "
        + " and ".join(missing or ["full name or address"])
        + (" is" if len(missing) < 2 else " are")
        + " not recorded."
    )


@dataclass(frozen=True)
class LetterRequest:
    """One letter to make: the case, the template and what only the worker can say."""

    case_id: int
    template: str  # a LetterTemplate value, as a form gives it; ``spec`` checks it
    appointment_time: datetime | None = None  # naive means UK local time
    appointment_place: str | None = None
    note: str | None = None
    treatment_referral_id: int | None = None  # default: the case's latest referral


def nhs_display(number: str | None) -> str:
    if not number:
        return NOT_KNOWN
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


def _check_field(text: str, where: str) -> None:
    word = banned_word(clean(text))
    if word:
        raise discretion_refusal(word, where)


@dataclass
class Gathered:
    """Shared look-ups for a run of letters, so a batch does not repeat them per letter.

    What each letter rests on (its person's consent, and for a letter to a professional the
    latest police referral, the person's referrals, their consent history and the case's
    treatment referrals) is read by ``prefetch`` for many cases at once, in the batch's own
    transaction; ``build_letter`` reads it for a case not prefetched, the same way.
    """

    head: Letterhead
    bodies: dict[str, str]
    today: date
    users: dict[int, str]
    consents: dict[int, dict[str, consent.ConsentState]] = field(default_factory=dict)
    histories: dict[int, list[consent.ConsentRecord]] = field(default_factory=dict)
    latest_referral: dict[int, Referral | None] = field(default_factory=dict)
    person_referrals: dict[int, int] = field(default_factory=dict)
    treatments: dict[int, list[TreatmentReferral]] = field(default_factory=dict)
    services: dict[int, Service] = field(default_factory=dict)

    @cached_property
    def today_text(self) -> str:
        """Today as every letter of the run dates it."""
        return long_date(self.today)

    @classmethod
    def load(
        cls, session: Session, head: Letterhead, bodies: dict[str, str], today: date | None = None
    ) -> Gathered:
        users = dict(session.execute(select(User.id, User.display_name)).all())
        return cls(head, bodies, today or uk_today(), users)

    def prefetch(self, session: Session, letters: Iterable[tuple[Case, str]]) -> None:
        """Read what the letters of these (case, template) pairs rest on, a query per kind."""
        people: set[int] = set()
        professional: dict[int, int] = {}  # case id: person id
        for case, template in letters:
            if case.person_id not in self.consents:
                people.add(case.person_id)
            if not spec(template).to_person and case.id not in self.latest_referral:
                professional[case.id] = case.person_id
        if people:
            self.consents.update(consent.consent_states_of(session, people, self.today))
        if not professional:
            return
        cases = sorted(professional)
        persons = sorted(set(professional.values()) - set(self.histories))
        self.histories.update(consent.histories(session, persons))
        self.person_referrals.update(dict.fromkeys(persons, 0))
        for start in range(0, len(persons), 500):
            self.person_referrals.update(
                (person_id, count)
                for person_id, count in session.execute(
                    select(Referral.person_id, func.count())
                    .where(Referral.person_id.in_(persons[start : start + 500]))
                    .group_by(Referral.person_id)
                ).all()
            )
        self.latest_referral.update(dict.fromkeys(cases))
        self.treatments.update({c: [] for c in cases})
        for start in range(0, len(cases), 500):
            chunk = cases[start : start + 500]
            # Oldest first: the last one kept per case is the latest.
            for referral in session.scalars(
                select(Referral)
                .where(Referral.case_id.in_(chunk))
                .order_by(Referral.incident_at, Referral.id)
            ):
                self.latest_referral[referral.case_id] = referral
            # Newest first, as a letter picks the latest.
            for tr in session.scalars(
                select(TreatmentReferral)
                .where(TreatmentReferral.case_id.in_(chunk), not_voided(TreatmentReferral))
                .order_by(TreatmentReferral.referred_on.desc(), TreatmentReferral.id.desc())
            ):
                self.treatments[tr.case_id].append(tr)
        wanted = {t.service_id for c in cases for t in self.treatments[c]} - set(self.services)
        if wanted:
            self.services.update(
                (service.id, service)
                for service in session.scalars(select(Service).where(Service.id.in_(wanted)))
            )


def _consent_rows(
    history: list[consent.ConsentRecord], scope: ConsentScope
) -> tuple[tuple[str, str], ...]:
    entry = next((e for e in history if e.scope == scope), None)
    if entry is None:  # cannot happen once require_in_force has passed
        return (("Consent", "Not recorded"),)
    state = vocab.label(entry.state)
    if entry.expires_on:
        state += f" (until {short_date(entry.expires_on)})"
    by = ", ".join(x for x in (entry.recorded_by, entry.source) if x) or "Not recorded"
    return (
        ("Consent to", consent.SCOPE_TEXT[scope][0].upper() + consent.SCOPE_TEXT[scope][1:]),
        ("State", state),
        ("How", vocab.label(entry.method)),
        ("When", short_date_time(entry.recorded_at)),
        ("Recorded by", by),
    )


def _person_rows(
    person: Person, referral: Referral | None, overdoses: int, worker: str, head: Letterhead
) -> list[tuple[str, str]]:
    address = ", ".join(address_lines(person.address, person.postcode))
    doses = "None recorded"
    if referral is not None and referral.naloxone_doses:
        doses = f"{referral.naloxone_doses} dose{'s' if referral.naloxone_doses != 1 else ''}"
        if referral.naloxone_product:
            doses += f" ({referral.naloxone_product})"
    substances = ""
    if referral is not None and referral.substances:
        substances = ", ".join(p.strip() for p in referral.substances.split(";") if p.strip())
    return [
        ("Name", person.display_name),
        ("Date of birth", short_date(person.date_of_birth, NOT_KNOWN)),
        ("NHS number", nhs_display(person.nhs_number)),
        ("Address", "No fixed abode" if person.no_fixed_abode or not address else address),
        ("Phone", display_phone(person.phone) or NOT_KNOWN),
        (
            "Incident date",
            short_date(referral.incident_at) if referral else NOT_KNOWN,
        ),
        ("Substances suspected", substances or NOT_KNOWN),
        ("Police naloxone doses", doses),
        ("Referrals to us", str(overdoses)),
        ("Our worker", f"{worker}, {head.name}" + (f", {head.phone}" if head.phone else "")),
    ]


def build_letter(
    session: Session, case: Case, request: LetterRequest, ctx: Gathered, author_name: str
) -> LetterContent:
    """The text of one letter for ``case``, or a ``RuleViolation`` saying why not."""
    s = spec(request.template)
    person = case.person
    if case.person_id not in ctx.consents or (
        not s.to_person and case.id not in ctx.latest_referral
    ):
        ctx.prefetch(session, [(case, request.template)])
    states = ctx.consents[case.person_id]
    if s.to_person:
        # the attempt log's gate too
        problem = contact_gate.letter_problem(session, person, states)
        if problem:
            raise RuleViolation(problem)
    else:
        consent.require_in_force(
            session, person.id, s.consent_scope, s.consent_purpose, states=states
        )
    if request.template == LetterTemplate.GP_NOTIFICATION:
        problem = gp_letter_problem(session, person)
        if problem:
            raise RuleViolation(problem)
    body = ctx.bodies[s.name]
    worker = ctx.users.get(case.assigned_worker_id or 0) or author_name
    first = clean(person.first_name or person.last_name or "").strip()
    values = {
        "first_name": first,
        "last_name": clean(person.last_name).strip(),
        "full_name": " ".join(
            p for p in (clean(person.first_name).strip(), clean(person.last_name).strip()) if p
        ),
        "worker_name": worker,
        "service_name": ctx.head.name,
        "service_phone": ctx.head.phone.strip(),
        "today": ctx.today_text,
        "case_reference": str(case.id),
        "note": clean(request.note).strip(),
    }
    gap = letterhead_gap(ctx.head, body)
    if gap:
        raise RuleViolation(gap)
    if s.to_person:
        return _person_letter(case, request, ctx, values, body)
    return _professional_letter(session, case, request, ctx, values, body, worker)


def _person_letter(
    case: Case, request: LetterRequest, ctx: Gathered, values: dict[str, str], body: str
) -> LetterContent:
    person = case.person
    if not values["first_name"]:
        raise RuleViolation(
            "This person's name is not known, so a letter cannot be addressed to them; reach "
            "them another way."
        )
    lines = address_lines(person.address)
    if person.no_fixed_abode or not lines:
        raise RuleViolation(
            "There is no postal address for this person (no fixed abode), so the letter cannot "
            "be posted; give them the message in person or reach them another way."
        )
    postcode = clean(person.postcode).strip()
    if (
        postcode
        and postcode.replace(" ", "").upper() not in "".join(lines).replace(" ", "").upper()
    ):
        lines.append(postcode)
    if request.template == LetterTemplate.APPOINTMENT:
        if request.appointment_time is None or not clean(request.appointment_place).strip():
            raise RuleViolation(
                "An appointment letter needs the time and the place of the appointment."
            )
        when = to_uk(request.appointment_time)
        # A naive appointment time is UK wall-clock time: compare it with the UK clock, not
        # the computer's.
        now = to_uk(now_utc()) if when.tzinfo else to_uk(now_utc()).replace(tzinfo=None)
        if when < now:
            raise RuleViolation(
                "The appointment time has already passed; choose a time in the future."
            )
        values["appointment_date"] = f"{when:%A} {long_date(when.date())}"
        values["appointment_time"] = clock(when)
        values["appointment_place"] = clean(request.appointment_place).strip()
        _check_field(values["appointment_place"], "the appointment place")
    recipient = (values["full_name"], *lines)
    _check_field(" ".join(recipient), "the person's name or address")
    _check_field(values["note"], "the note")
    return LetterContent(
        recipient=recipient,
        date_text=ctx.today_text,
        reference=str(case.id),
        body=fill(body, values),
        to_person=True,
    )


def _professional_letter(
    session: Session,
    case: Case,
    request: LetterRequest,
    ctx: Gathered,
    values: dict[str, str],
    body: str,
    worker: str,
) -> LetterContent:
    person = case.person
    referral = ctx.latest_referral[case.id]
    values["full_name"] = values["full_name"] or person.display_name
    values["first_name"] = values["first_name"] or values["full_name"]
    values["date_of_birth"] = short_date(person.date_of_birth, NOT_KNOWN)
    values["nhs_number"] = nhs_display(person.nhs_number)
    values["incident_date"] = long_date(referral.incident_at) if referral else "a date not recorded"
    right_lines: tuple[str, ...] = ()
    rows = _person_rows(person, referral, ctx.person_referrals[person.id], worker, ctx.head)
    s = spec(request.template)
    if request.template == LetterTemplate.TREATMENT_REFERRAL:
        tr = next(
            (t for t in ctx.treatments[case.id] if request.treatment_referral_id in (None, t.id)),
            None,
        )
        if tr is None:
            raise RuleViolation(
                "Record the treatment referral (service and date) on the case "
                "first; the letter goes to that service."
            )
        service = ctx.services.get(tr.service_id)
        assert service is not None
        lines = address_lines(service.address)
        if not lines and not service.secure_email:
            raise RuleViolation(
                "The services directory has no address or secure email for "
                "this service; ask an administrator to add one."
            )
        recipient = (clean(service.name).strip(), *lines)
        if service.secure_email:
            right_lines = (f"By secure email to {service.secure_email}",)
        values["recipient_name"] = clean(service.name).strip()
        values["referred_on"] = long_date(tr.referred_on)
        rows.insert(6, ("Referred to you on", short_date(tr.referred_on, NOT_KNOWN)))
        if tr.assessment_booked_for:
            rows.insert(7, ("Assessment booked for", short_date_time(tr.assessment_booked_for)))
        title = "Referral summary"
        subject = f"Referral: {values['full_name']}, born {values['date_of_birth']}"
    else:
        practice = gp_practice_lines(session, person)  # gp_letter_problem has checked it
        recipient = ("The GP", *practice)
        values["recipient_name"] = practice[0]
        title = "About your patient"
        subject = (
            f"Your patient: {values['full_name']}, born {values['date_of_birth']}, "
            f"NHS number {values['nhs_number']}"
        )
    return LetterContent(
        recipient=recipient,
        date_text=ctx.today_text,
        reference=str(case.id),
        body=fill(body, values),
        to_person=False,
        subject=subject,
        right_lines=right_lines,
        sections=(
            Section(title, tuple(rows)),
            Section(
                "The consent this letter rests on",
                _consent_rows(ctx.histories[person.id], s.consent_scope),
            ),
        ),
    )
