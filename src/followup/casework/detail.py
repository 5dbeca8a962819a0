"""Everything the case screen shows, as one typed read model: header, person, police
referrals, sections and timeline.

The case screen loads one ``CaseDetail`` when a case opens (``open_case``, audited as a view)
and the same again after every save (``case_detail`` without a second audit row), so no part of
the screen can go stale. Each action comes with the reason it is unavailable, so the screen can
say why instead of silently greying a button out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor
from followup.casework import consent, contact_gate, corrections, team_rules, treatment
from followup.casework.caseload import can_view
from followup.casework.kits import replacement_prompts
from followup.casework.lifecycle import (
    FORWARD,
    transition_problem,
    unable_to_contact_problem,
)
from followup.db.models import (
    Case,
    CaseNote,
    CaseStatusChange,
    ConsentEntry,
    ContactAttempt,
    Letter,
    NaloxoneSupply,
    Person,
    PersonChange,
    Referral,
    ReferralWarning,
    Service,
    TreatmentReferral,
    User,
    not_voided,
)
from followup.db.queries import age_on
from followup.errors import NotFound
from followup.uktime import short_date, short_date_time, to_uk, uk_today
from followup.validation import display_phone
from followup.vocab import AuditAction, CaseStatus, ClosureReason

__all__ = [
    "AttemptRow",
    "CaseDetail",
    "KitRow",
    "LetterRow",
    "PersonDetails",
    "ReferralRow",
    "TimelineEntry",
    "TreatmentRow",
    "WarningRow",
    "can_edit",
    "case_detail",
    "open_case",
]


@dataclass(frozen=True)
class PersonDetails:
    """The person on the case as stored; text left blank is "" and a missing date is None."""

    id: int
    name: str  # as the app shows it: the name, else the description
    first_name: str
    last_name: str
    description: str
    date_of_birth: date | None
    age: int | None  # today, in whole years
    gender: str | None
    nhs_number: str
    address: str
    postcode: str
    no_fixed_abode: bool
    phone: str  # as stored, in international form
    phone_display: str  # as a person reads it
    email: str
    gp_practice: str
    version: int  # the person's, given back with a save so that no save undoes another


@dataclass(frozen=True)
class ReferralRow:
    """One police referral behind the case, read only."""

    police_reference: str
    force: str
    incident_at: datetime
    incident_location: str
    incident_postcode: str
    officer: str
    naloxone_doses: int | None
    naloxone_product: str
    ambulance_called: bool | None
    conveyed_to_hospital: bool | None
    substances: str
    consent_at_scene: str
    notes: str
    received_at: datetime


@dataclass(frozen=True)
class WarningRow:
    """A value left out when the referral was imported, and why."""

    field: str
    reason: str


@dataclass(frozen=True)
class LetterRow:
    id: int
    template: str
    created_at: datetime
    author: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # referral, attempt, consent, status, treatment, naloxone, letter, note, person
    text: str
    by: str = ""
    # A date-only event (a kit supplied, a treatment step): it is the whole of this day.
    day: date | None = None
    # The correctable entry behind it ("attempt", "consent", … with its id), else "".
    ref: str = ""
    ref_id: int | None = None
    voided: bool = False
    # "Entered in error by X on DD/MM/YYYY: reason" or "Amended by …", for a voided entry.
    correction: str = ""
    # Why this user may not correct the entry now (None: they may); "" when not correctable.
    correct_problem: str | None = ""
    # The entry's amendable values as stored, to start the amend form from.
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def correctable(self) -> bool:
        return bool(self.ref) and self.ref_id is not None

    @property
    def sort_key(self) -> tuple[date, bool, datetime, bool]:
        """Newest first when sorted in reverse: by UK day; a whole-day event heads its day;
        then by time; an entry corrected comes just above the entry that corrects it."""
        when = self.day or to_uk(self.at).date()
        return (when, self.day is not None, self.at, self.voided)


@dataclass(frozen=True)
class AttemptRow:
    at: datetime
    method: str
    outcome: str
    notes: str
    worker: str
    seeking_consent: bool = False


@dataclass(frozen=True)
class TreatmentRow:
    id: int
    service: str
    referred_on: date
    assessment_booked_for: datetime | None
    assessment_attended: bool | None
    treatment_started_on: date | None
    exit_on: date | None
    exit_reason: str | None
    version: int


@dataclass(frozen=True)
class KitRow:
    supplied_on: date
    kit_type: str
    quantity: int
    recipient: str
    supply_type: str
    resupply_reason: str | None
    training_given: bool
    batch_number: str
    expires_on: date | None


@dataclass(frozen=True)
class CaseDetail:
    """One case as its screen shows it, read in one session."""

    id: int
    version: int
    status: CaseStatus
    police_reference: str
    person_id: int
    person_name: str
    worker_id: int | None
    worker: str
    referred_at: datetime
    next_action_due_at: datetime | None
    closed_at: datetime | None
    closure_reason: ClosureReason | None
    closure_note: str
    overdoses: tuple[datetime, ...]
    person: PersonDetails
    referrals: tuple[ReferralRow, ...]
    consents: Mapping[str, consent.ConsentState]
    consent_history: tuple[consent.ConsentRecord, ...]
    attempts: tuple[AttemptRow, ...]
    treatments: tuple[TreatmentRow, ...]
    kits: tuple[KitRow, ...]
    warnings: tuple[WarningRow, ...]
    timeline: tuple[TimelineEntry, ...]
    method_problems: Mapping[str, str | None]
    next_status: str | None
    next_status_problem: str | None
    unable_to_contact_problem: str | None
    referral_problem: str | None
    can_edit: bool
    letters: tuple[LetterRow, ...] = field(default=())
    # Each contact method's gate now (``contact_gate``): allowed, seeking consent, outcomes.
    method_gates: Mapping[str, contact_gate.MethodGate] = field(default_factory=dict)
    # "Offer a replacement kit (expires …)" while the kit held is near expiry (``kits``).
    kit_prompt: str = ""

    @property
    def overdose_count(self) -> int:
        """Referrals for the person: each one an overdose the police attended."""
        return len(self.overdoses)

    @property
    def last_overdose(self) -> datetime | None:
        return self.overdoses[-1] if self.overdoses else None

    @property
    def overdue(self) -> bool:
        return (
            self.status != CaseStatus.CLOSED
            and self.next_action_due_at is not None
            and self.next_action_due_at < datetime.now(UTC)
        )

    @property
    def kits_supplied(self) -> int:
        return sum(k.quantity for k in self.kits)

    @property
    def latest_kit_expiry(self) -> date | None:
        dates = [k.expires_on for k in self.kits if k.expires_on]
        return max(dates) if dates else None


def _names(session: Session) -> dict[int, str]:
    return {uid: name for uid, name in session.execute(select(User.id, User.display_name))}


def _whole_day(value: date) -> datetime:
    # Noon UTC is the same calendar day in the UK all year round.
    return datetime.combine(value, time(12), UTC)


class _Corrections:
    """What the timeline says about corrections, and who may make them."""

    def __init__(self, session: Session, actor: Actor, case: Case, names: dict[int, str]) -> None:
        self.actor = actor
        self.names = names
        self.window = team_rules.correction_window_days(session)
        self.editable = can_edit(actor, case)
        # For each corrected entry of a kind, the time of the entry that replaced it.
        self.replaced: dict[tuple[str, int], datetime | date | None] = {}

    def note_replacement(self, kind: str, amends_id: int | None, at: datetime | date) -> None:
        if amends_id is not None:
            self.replaced[(kind, amends_id)] = at

    def entry(
        self,
        kind: str,
        row: Any,
        at: datetime,
        text: str,
        by: str,
        values: Mapping[str, Any],
        *,
        day: date | None = None,
        timeline_kind: str | None = None,
    ) -> TimelineEntry:
        voided = row.voided_at is not None
        correction = ""
        if voided:
            who = self.names.get(row.voided_by_id or 0, "") or "someone"
            on = short_date(row.voided_at)
            reason = row.void_reason or ""
            if (kind, row.id) in self.replaced:
                replaced_at = self.replaced[(kind, row.id)]
                same = replaced_at == (day or at)
                where = (
                    "see the corrected entry below"
                    if same
                    else "see the corrected entry of "
                    + (
                        short_date(replaced_at)
                        if not isinstance(replaced_at, datetime)
                        else short_date_time(replaced_at)
                    )
                )
                correction = f"Amended by {who} on {on}: {reason} ({where})"
            else:
                correction = f"Entered in error by {who} on {on}: {reason}"
        if not self.editable:
            problem: str | None = (
                "Only the assigned worker or a team lead can correct entries on this case."
            )
        else:
            problem = corrections.author_window_problem(
                self.actor,
                getattr(row, corrections.AUTHOR_COLUMN[kind]),
                getattr(row, corrections.WHEN_COLUMN[kind]),
                self.window,
                row.voided_at,
            )
        return TimelineEntry(
            at,
            timeline_kind or kind,
            text,
            by,
            day=day,
            ref=kind,
            ref_id=row.id,
            voided=voided,
            correction=correction,
            correct_problem=problem,
            values=values,
        )


def _values(row: Any, kind: str) -> dict[str, Any]:
    mapping = getattr(row, "_mapping", None)  # a plain row: its columns by name, no lookups
    if mapping is not None:
        return {k: mapping[k] for k in corrections.AMEND_FIELDS[kind] if k in mapping}
    return {k: getattr(row, k) for k in corrections.AMEND_FIELDS[kind] if hasattr(row, k)}


def _person_value_text(field_name: str, stored: str | None) -> str:
    value = corrections.person_value(field_name, stored)
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return short_date(value)
    if field_name == "phone":
        return display_phone(str(value))
    return vocab.label(str(value)) if field_name == "gender" else str(value)


@dataclass(frozen=True)
class _Read:
    """The case's collections, each read once and shared by the sections and the timeline."""

    referrals: list[Referral]
    # Every attempt, voided too, in the order they were logged: plain rows with the columns as
    # attributes (hundreds on a long case; ORM objects would cost several times as much).
    attempts: list[Row[Any]]
    treatments: list[tuple[TreatmentReferral, str]]  # with the service's name
    letters: list[tuple[int, str, datetime, int | None]]  # id, template, made, author; newest first
    # The person's consent entries, voided too: the states in force, the history, the gates
    # and the timeline all come from this one read.
    consents: list[ConsentEntry]


def _read(session: Session, case: Case) -> _Read:
    return _Read(
        referrals=list(
            session.scalars(
                select(Referral).where(Referral.case_id == case.id).order_by(Referral.incident_at)
            )
        ),
        attempts=list(
            session.execute(
                select(*ContactAttempt.__table__.columns)
                .where(ContactAttempt.case_id == case.id)
                .order_by(ContactAttempt.id)
            )
        ),
        treatments=[
            (t, name)
            for t, name in session.execute(
                select(TreatmentReferral, Service.name)
                .join(Service)
                .where(TreatmentReferral.case_id == case.id)
                .order_by(TreatmentReferral.referred_on, TreatmentReferral.id)
            )
        ],
        consents=list(
            session.scalars(select(ConsentEntry).where(ConsentEntry.person_id == case.person_id))
        ),
        letters=[
            (lid, template, made, author)
            for lid, template, made, author in session.execute(
                select(Letter.id, Letter.template, Letter.created_at, Letter.author_id)
                .where(Letter.case_id == case.id)
                .order_by(Letter.created_at.desc(), Letter.id.desc())
            )
        ],
    )


def _timeline(
    session: Session, actor: Actor, case: Case, names: dict[int, str], read: _Read
) -> list[TimelineEntry]:
    fix = _Corrections(session, actor, case, names)
    entries: list[TimelineEntry] = []
    for r in read.referrals:
        doses = (
            f", {r.naloxone_doses} naloxone dose(s) given" if r.naloxone_doses is not None else ""
        )
        entries.append(
            TimelineEntry(r.incident_at, "referral", f"Police referral {r.police_reference}{doses}")
        )
    attempts = read.attempts
    consents = read.consents
    treatments = read.treatments
    kits = list(session.scalars(select(NaloxoneSupply).where(NaloxoneSupply.case_id == case.id)))
    notes = list(session.scalars(select(CaseNote).where(CaseNote.case_id == case.id)))
    changes = list(
        session.scalars(select(PersonChange).where(PersonChange.person_id == case.person_id))
    )
    for kind, rows, when in (
        ("attempt", attempts, "attempted_at"),
        ("consent", consents, "recorded_at"),
        ("treatment", [t for t, _ in treatments], "referred_on"),
        ("naloxone", kits, "supplied_on"),
        ("note", notes, "written_at"),
        ("person", changes, "changed_at"),
    ):
        for row in rows:
            fix.note_replacement(kind, row.amends_id, getattr(row, when))
    for a in attempts:
        entries.append(
            fix.entry(
                "attempt",
                a,
                a.attempted_at,
                f"{vocab.label(a.method)}: {vocab.label(a.outcome).lower()}"
                + (" (seeking consent)" if a.seeking_consent else "")
                + (f" — {a.notes}" if a.notes else ""),
                names.get(a.worker_id or 0, ""),
                _values(a, "attempt"),
            )
        )
    for c in consents:
        entries.append(
            fix.entry(
                "consent",
                c,
                c.recorded_at,
                f"Consent to {consent.SCOPE_TEXT[c.scope]} {c.state} ({vocab.label(c.method).lower()})"
                + (f" — {c.evidence}" if c.evidence else ""),
                names.get(c.recorded_by_id or 0, "") or c.source or "",
                {**_values(c, "consent"), "scope": c.scope},
            )
        )
    for ch in session.scalars(select(CaseStatusChange).where(CaseStatusChange.case_id == case.id)):
        text = f"Status: {vocab.label(ch.to_status)}"
        if ch.to_status == CaseStatus.CLOSED and ch.reason:
            text += f" ({vocab.label(ch.reason).lower()})"
        elif ch.reason:
            text += f" — {ch.reason}"
        entries.append(
            TimelineEntry(ch.changed_at, "status", text, names.get(ch.changed_by_id or 0, ""))
        )
    for t, service in treatments:
        values = _values(t, "treatment")
        steps = [(t.referred_on, f"Referred to {service}", names.get(t.recorded_by_id or 0, ""))]
        if t.treatment_started_on:
            steps.append((t.treatment_started_on, f"Treatment started at {service}", ""))
        if t.exit_on:
            steps.append((t.exit_on, f"Left treatment: {vocab.label(t.exit_reason).lower()}", ""))
        for on, text, by in steps:
            entries.append(fix.entry("treatment", t, _whole_day(on), text, by, values, day=on))
    for k in kits:
        entries.append(
            fix.entry(
                "naloxone",
                k,
                _whole_day(k.supplied_on),
                f"{k.quantity} {k.kit_type} naloxone kit(s) supplied to "
                f"{vocab.label(k.recipient).lower()} ({k.supply_type})",
                names.get(k.recorded_by_id or 0, ""),
                _values(k, "naloxone"),
                day=k.supplied_on,
            )
        )
    for n in notes:
        entries.append(
            fix.entry(
                "note", n, n.written_at, n.text, names.get(n.author_id or 0, ""), {"text": n.text}
            )
        )
    for p in changes:
        label = {"nhs_number": "NHS number", "gp_practice": "GP practice"}.get(
            p.field, p.field.replace("_", " ").capitalize()
        )
        entries.append(
            fix.entry(
                "person",
                p,
                p.changed_at,
                f"{label} changed from {_person_value_text(p.field, p.before)} to "
                f"{_person_value_text(p.field, p.after)}",
                names.get(p.changed_by_id or 0, ""),
                {"field": p.field, "value": corrections.person_value(p.field, p.after)},
                timeline_kind="person",
            )
        )
    for _id, template, made, author in read.letters:
        entries.append(
            TimelineEntry(
                made, "letter", f"Letter: {vocab.label(template)}", names.get(author or 0, "")
            )
        )
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries


def can_edit(actor: Actor, case: Case) -> bool:
    """Whether this user may record on the case: a lead any, a worker their own."""
    return actor.can("edit_case") and (
        actor.can("view_all_cases") or case.assigned_worker_id == actor.id
    )


def _person(person: Person) -> PersonDetails:
    return PersonDetails(
        id=person.id,
        name=person.display_name,
        first_name=person.first_name or "",
        last_name=person.last_name or "",
        description=person.description or "",
        date_of_birth=person.date_of_birth,
        age=age_on(person.date_of_birth, uk_today()),
        gender=person.gender,
        nhs_number=person.nhs_number or "",
        address=person.address or "",
        postcode=person.postcode or "",
        no_fixed_abode=person.no_fixed_abode,
        phone=person.phone or "",
        phone_display=display_phone(person.phone),
        email=person.email or "",
        gp_practice=person.gp_practice or "",
        version=person.version,
    )


def _officer(r: Referral) -> str:
    parts = (r.officer_name, r.officer_id and f"({r.officer_id})", r.station)
    return " ".join(x for x in parts if x)


def _referrals(read: _Read) -> tuple[ReferralRow, ...]:
    return tuple(
        ReferralRow(
            police_reference=r.police_reference,
            force=r.force,
            incident_at=r.incident_at,
            incident_location=r.incident_location or "",
            incident_postcode=r.incident_postcode or "",
            officer=_officer(r),
            naloxone_doses=r.naloxone_doses,
            naloxone_product=r.naloxone_product or "",
            ambulance_called=r.ambulance_called,
            conveyed_to_hospital=r.conveyed_to_hospital,
            substances=r.substances or "",
            consent_at_scene=r.consent_at_scene,
            notes=r.notes or "",
            received_at=r.received_at,
        )
        for r in read.referrals
    )


def open_case(session: Session, actor: Actor, case_id: int) -> CaseDetail:
    """The case as its screen shows it; the opening is audited as a view."""
    return case_detail(session, actor, case_id, audit_view=True)


def case_detail(
    session: Session, actor: Actor, case_id: int, *, audit_view: bool = True
) -> CaseDetail:
    """The case as its screen shows it; ``audit_view=False`` when re-read after a save."""
    case = session.get(Case, case_id)
    if case is None or not can_view(actor, case):
        # The same answer for "missing" and "not yours": a worker learns nothing of other cases.
        raise NotFound(f"Case {case_id} does not exist or is not in your caseload.")
    person = session.get(Person, case.person_id)
    assert person is not None  # a case always has its person (a foreign key, not null)
    names = _names(session)
    read = _read(session, case)
    overdoses = tuple(
        session.scalars(
            select(Referral.incident_at)
            .where(Referral.person_id == person.id)
            .order_by(Referral.incident_at)
        )
    )
    attempts = tuple(
        AttemptRow(
            a.attempted_at,
            a.method,
            a.outcome,
            a.notes or "",
            names.get(a.worker_id or 0, ""),
            a.seeking_consent,
        )
        for a in sorted(
            (a for a in read.attempts if a.voided_at is None),
            key=lambda a: a.attempted_at,
            reverse=True,
        )
    )
    treatments = tuple(
        TreatmentRow(
            t.id,
            name,
            t.referred_on,
            t.assessment_booked_for,
            t.assessment_attended,
            t.treatment_started_on,
            t.exit_on,
            t.exit_reason,
            t.version,
        )
        for t, name in read.treatments
        if t.voided_at is None
    )
    kits = tuple(
        KitRow(
            k.supplied_on,
            k.kit_type,
            k.quantity,
            k.recipient,
            k.supply_type,
            k.resupply_reason,
            k.training_given,
            k.batch_number or "",
            k.expires_on,
        )
        for k in session.scalars(
            select(NaloxoneSupply)
            .where(NaloxoneSupply.person_id == person.id, not_voided(NaloxoneSupply))
            .order_by(NaloxoneSupply.supplied_on.desc())
        )
    )
    warnings = tuple(
        WarningRow(f, r)
        for f, r in session.execute(
            select(ReferralWarning.field, ReferralWarning.reason)
            .join(Referral)
            .where(Referral.case_id == case.id)
            .order_by(ReferralWarning.id)
        )
    )
    letters = tuple(
        LetterRow(lid, template, made, names.get(author or 0, ""))
        for lid, template, made, author in read.letters
    )
    states = consent.entry_states(read.consents)
    gates = contact_gate.case_gates(
        session,
        case,
        person,
        consents=states,
        remote_attempted=any(
            a.voided_at is None and a.method in contact_gate.REMOTE_METHODS for a in read.attempts
        ),
    )
    following = FORWARD.get(case.status, ())
    next_status = following[0] if following else None
    if audit_view:
        audit.record(session, actor.id, AuditAction.VIEW, "case", case.id)
    return CaseDetail(
        id=case.id,
        version=case.version,
        status=CaseStatus(case.status),
        police_reference=case.police_reference,
        person_id=person.id,
        person_name=person.display_name,
        worker_id=case.assigned_worker_id,
        worker=names.get(case.assigned_worker_id or 0, ""),
        referred_at=case.referred_at,
        next_action_due_at=case.next_action_due_at,
        closed_at=case.closed_at,
        closure_reason=ClosureReason(case.closure_reason) if case.closure_reason else None,
        closure_note=case.closure_note or "",
        overdoses=overdoses,
        person=_person(person),
        referrals=_referrals(read),
        consents=states,
        consent_history=tuple(consent.entry_records(read.consents, names)),
        attempts=attempts,
        treatments=treatments,
        kits=kits,
        warnings=warnings,
        timeline=tuple(_timeline(session, actor, case, names, read)),
        method_problems={m: g.problem for m, g in gates.items()},
        next_status=next_status,
        next_status_problem=transition_problem(session, case, next_status) if next_status else None,
        unable_to_contact_problem=unable_to_contact_problem(
            session,
            case.id,
            [(a.attempted_at, a.method) for a in read.attempts if a.voided_at is None],
        ),
        referral_problem=treatment.referral_problem(session, case, states),
        can_edit=can_edit(actor, case),
        letters=letters,
        method_gates=gates,
        kit_prompt=replacement_prompts(session, [case.id]).get(case.id, ""),
    )
