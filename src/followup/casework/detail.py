"""Everything the case screen shows, as one typed read model: header, person, police
referrals, sections and timeline.

The case screen loads one ``CaseDetail`` when a case opens (``open_case``, audited as a view)
and the same again after every save (``case_detail`` without a second audit row), so no part of
the screen can go stale. Each action comes with the reason it is unavailable, so the screen can
say why instead of silently greying a button out.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, overload

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor
from followup.casework import consent, contact_gate, corrections, kits, team_rules, treatment
from followup.casework.caseload import can_view
from followup.casework.lifecycle import (
    FORWARD,
    ForwardFacts,
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
)
from followup.db.queries import age_on
from followup.errors import NotFound
from followup.uktime import short_date, short_date_time, to_uk, uk_today
from followup.validation import display_phone
from followup.vocab import AuditAction, CaseStatus, ClosureReason, ContactOutcome

__all__ = [
    "AttemptRow",
    "CaseDetail",
    "KitRow",
    "LetterRow",
    "PersonDetails",
    "ReferralRow",
    "Timeline",
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


class Timeline(Sequence[TimelineEntry]):
    """The timeline's entries, newest first (``TimelineEntry.sort_key``).

    A long case has hundreds of contact attempts: the entry of each (its text, its amendable
    values, whether this user may correct it) is made the first time it is asked for, so
    opening the case makes only those shown. Its place in the order, its kind and whether it
    is corrected are known without making it (``kind``, ``voided``).
    """

    __slots__ = ("_items", "_kinds", "_make", "_voided")

    def __init__(
        self,
        items: list[Any],
        kinds: list[str],
        voided: list[bool],
        make: Callable[[Any], TimelineEntry],
    ) -> None:
        # Each item an entry, or what ``make`` makes one from; replaced by the entry once made.
        self._items = items
        self._kinds = kinds
        self._voided = voided
        self._make = make

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | list[TimelineEntry]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._items)))]
        item = self._items[index]
        if type(item) is not TimelineEntry:
            item = self._items[index] = self._make(item)
        return item

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Timeline({len(self._items)} entries)"

    def kind(self, index: int) -> str:
        """The kind of entry ``index`` (``TimelineEntry.kind``), without making it."""
        return self._kinds[index]

    def voided(self, index: int) -> bool:
        """Whether entry ``index`` is corrected (``TimelineEntry.voided``: struck through, with
        the line saying who corrected it under it), without making it."""
        return self._voided[index]

    def of_kind(self, kind: str) -> list[TimelineEntry]:
        """The entries of one kind, newest first (only those are made)."""
        return [self[i] for i, k in enumerate(self._kinds) if k == kind]


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
    timeline: Timeline
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

    def __init__(self, actor: Actor, case: Case, names: dict[int, str], window: int) -> None:
        self.names = names
        # Who may correct what is decided once for this user; each entry asks only about
        # its own author and time (a long case has hundreds of entries).
        self.problem: Any = (
            corrections.author_window_check(actor, window)
            if can_edit(actor, case)
            else lambda *_: (
                "Only the assigned worker or a team lead can correct entries on this case."
            )
        )
        # For each corrected entry of a kind, the time of the entry that replaced it.
        self.replaced: dict[tuple[str, int], datetime | date | None] = {}
        self._fields: dict[str, tuple[str, ...]] = {}

    def note_replacement(self, kind: str, amends_id: int | None, at: datetime | date) -> None:
        if amends_id is not None:
            self.replaced[(kind, amends_id)] = at

    def values(self, row: Any, kind: str) -> dict[str, Any]:
        """The entry's amendable values as stored (the fields of the kind that it has)."""
        fields = self._fields.get(kind)
        if fields is None:
            mapping = getattr(row, "_mapping", None)  # a plain row: its columns by name
            fields = self._fields[kind] = tuple(
                k
                for k in corrections.AMEND_FIELDS[kind]
                if (k in mapping if mapping is not None else hasattr(row, k))
            )
        return {k: getattr(row, k) for k in fields}

    def correction(self, kind: str, row: Any, at: datetime, day: date | None) -> str:
        """The line under a corrected (voided) entry: who corrected it, when and why."""
        who = self.names.get(row.voided_by_id or 0, "") or "someone"
        on = short_date(row.voided_at)
        reason = row.void_reason or ""
        if (kind, row.id) not in self.replaced:
            return f"Entered in error by {who} on {on}: {reason}"
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
        return f"Amended by {who} on {on}: {reason} ({where})"

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
        voided_at = row.voided_at
        return TimelineEntry(
            at,
            timeline_kind or kind,
            text,
            by,
            day=day,
            ref=kind,
            ref_id=row.id,
            voided=voided_at is not None,
            correction="" if voided_at is None else self.correction(kind, row, at, day),
            correct_problem=self.problem(
                getattr(row, corrections.AUTHOR_COLUMN[kind]),
                getattr(row, corrections.WHEN_COLUMN[kind]),
                voided_at,
            ),
            values=values,
        )


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


# A contact attempt as read: its columns as a plain tuple with names (attribute access to an
# SQLAlchemy ``Row`` costs several times as much, and a long case reads every attempt each time).
_Attempt = namedtuple(  # type: ignore[misc]
    "_Attempt", [c.key for c in ContactAttempt.__table__.columns]
)


@dataclass(frozen=True)
class _Read:
    """The case's collections, each read once and shared by the sections and the timeline."""

    referrals: list[Referral]  # the case's, by incident time
    overdoses: tuple[datetime, ...]  # the incident time of each referral of the person
    # Every attempt, voided too, in the order they were logged: plain rows with the columns as
    # attributes (hundreds on a long case; ORM objects would cost several times as much).
    attempts: list[Any]  # _Attempt
    treatments: list[tuple[TreatmentReferral, str]]  # with the service's name
    letters: list[tuple[int, str, datetime, int | None]]  # id, template, made, author; newest first
    # The person's consent entries, voided too: the states in force, the history, the gates
    # and the timeline all come from this one read.
    consents: list[ConsentEntry]
    # The case's kits, voided too, in the order they were recorded (for the timeline), and the
    # person's kits that count on any of their cases, newest first (the kits list, the kit held).
    case_kits: list[NaloxoneSupply]
    person_kits: list[NaloxoneSupply]


def _read(session: Session, case: Case) -> _Read:
    # The case's referrals and the person's (their overdoses) in one statement, and so the
    # case's kits and the person's.
    referrals = list(
        session.scalars(
            select(Referral)
            .where(or_(Referral.case_id == case.id, Referral.person_id == case.person_id))
            .order_by(Referral.incident_at, Referral.id)
        )
    )
    kits = list(
        session.scalars(
            select(NaloxoneSupply)
            .where(
                or_(
                    NaloxoneSupply.case_id == case.id,
                    NaloxoneSupply.person_id == case.person_id,
                )
            )
            .order_by(NaloxoneSupply.supplied_on.desc(), NaloxoneSupply.id.desc())
        )
    )
    return _Read(
        referrals=[r for r in referrals if r.case_id == case.id],
        overdoses=tuple(r.incident_at for r in referrals if r.person_id == case.person_id),
        attempts=[
            _Attempt._make(row)
            for row in session.execute(
                select(*ContactAttempt.__table__.columns)
                .where(ContactAttempt.case_id == case.id)
                .order_by(ContactAttempt.id)
            )
        ],
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
        case_kits=sorted((k for k in kits if k.case_id == case.id), key=lambda k: k.id),
        person_kits=[k for k in kits if k.person_id == case.person_id and k.voided_at is None],
    )


def _attempt_text(method: str, outcome: str, seeking: bool) -> str:
    return f"{vocab.label(method)}: {vocab.label(outcome).lower()}" + (
        " (seeking consent)" if seeking else ""
    )


def _timeline(
    session: Session, case: Case, names: dict[int, str], read: _Read, fix: _Corrections
) -> Timeline:
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
    kits = read.case_kits
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
    # Hundreds on a long case: each attempt's entry is made when it is first asked for
    # (``Timeline``), the text of each method and outcome once.
    said: dict[tuple[str, str, bool], str] = {}

    def attempt_entry(a: Any) -> TimelineEntry:
        key = (a.method, a.outcome, a.seeking_consent)
        text = said.get(key)
        if text is None:
            text = said[key] = _attempt_text(*key)
        return fix.entry(
            "attempt",
            a,
            a.attempted_at,
            f"{text} — {a.notes}" if a.notes else text,
            names.get(a.worker_id or 0, ""),
            fix.values(a, "attempt"),
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
                {**fix.values(c, "consent"), "scope": c.scope},
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
        values = fix.values(t, "treatment")
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
                fix.values(k, "naloxone"),
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
    # In the order ``TimelineEntry.sort_key`` gives, an attempt's key made from its row (in
    # the order the entries were listed before: the attempts come after the referrals).
    first_attempt = len(read.referrals)
    keyed: list[tuple[Any, Any]] = [(e.sort_key, e) for e in entries[:first_attempt]]
    keyed += [
        ((to_uk(a.attempted_at).date(), False, a.attempted_at, a.voided_at is not None), a)
        for a in attempts
    ]
    keyed += [(e.sort_key, e) for e in entries[first_attempt:]]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    items = [item for _, item in keyed]
    return Timeline(
        items,
        kinds=["attempt" if type(i) is _Attempt else i.kind for i in items],
        voided=[i.voided if type(i) is TimelineEntry else i.voided_at is not None for i in items],
        make=attempt_entry,
    )


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
    """The case as its screen shows it; ``audit_view=False`` when re-read after a save.

    Each table is read once (the sections, the rules and the timeline share what was read),
    and the team rules the screen needs in one statement."""
    found = session.execute(
        select(Case, Person).join(Person, Person.id == Case.person_id).where(Case.id == case_id)
    ).first()
    if found is None or not can_view(actor, found[0]):
        # The same answer for "missing" and "not yours": a worker learns nothing of other cases.
        raise NotFound(f"Case {case_id} does not exist or is not in your caseload.")
    case, person = found
    names = _names(session)
    read = _read(session, case)
    rules = team_rules.whole_numbers(
        session, team_rules.CORRECTION_WINDOW, *team_rules.CLOSURE_KEYS, kits.EXPIRY_WARNING_DAYS
    )
    counting = [a for a in read.attempts if a.voided_at is None]
    attempts = tuple(
        AttemptRow(
            a.attempted_at,
            a.method,
            a.outcome,
            a.notes or "",
            names.get(a.worker_id or 0, ""),
            a.seeking_consent,
        )
        for a in sorted(counting, key=lambda a: a.attempted_at, reverse=True)
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
    kit_rows = tuple(
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
        for k in read.person_kits
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
        remote_attempted=any(a.method in contact_gate.REMOTE_METHODS for a in counting),
    )
    known = ForwardFacts(
        spoke_engaged=any(a.outcome == ContactOutcome.SPOKE_ENGAGED for a in counting),
        treatment_referred=bool(treatments),
        treatment_started=any(t.treatment_started_on is not None for t in treatments),
        consents=states,
    )
    fix = _Corrections(actor, case, names, rules[team_rules.CORRECTION_WINDOW])
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
        overdoses=read.overdoses,
        person=_person(person),
        referrals=_referrals(read),
        consents=states,
        consent_history=tuple(consent.entry_records(read.consents, names)),
        attempts=attempts,
        treatments=treatments,
        kits=kit_rows,
        warnings=warnings,
        timeline=_timeline(session, case, names, read, fix),
        method_problems={m: g.problem for m, g in gates.items()},
        next_status=next_status,
        next_status_problem=(
            transition_problem(session, case, next_status, known=known) if next_status else None
        ),
        unable_to_contact_problem=unable_to_contact_problem(
            session,
            case.id,
            [(a.attempted_at, a.method) for a in counting],
            rules=team_rules.closure_rules(session, rules),
        ),
        referral_problem=treatment.referral_problem(session, case, states),
        can_edit=can_edit(actor, case),
        letters=letters,
        method_gates=gates,
        kit_prompt=kits.held_prompt(read.person_kits, case.status, rules[kits.EXPIRY_WARNING_DAYS]),
    )
