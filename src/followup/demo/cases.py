"""Case histories for the demonstration data: how each follow-up went, up to now.

Each case gets a whole story drawn from one seeded stream (assignment, contact attempts on the
team's schedule, engagement or closure, treatment, naloxone kits, consent), and only the part
that has happened by ``now`` is kept. Attempts and visits happen in office hours. Rows are
made as tuples with their ids, ready to write; each case's report milestones are set from its
own rows as they are made, as ``casework.milestones`` would set them from the facts.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from followup.casework.milestones import ENGAGED_STATUSES, REFERRED_STATUSES
from followup.casework.schedule import DEFAULT_SCHEDULE
from followup.demo import data as dd
from followup.demo.people import DAY, HOUR, Overdose, Row, Weighted, Who, one, stamp
from followup.validation import postcode_district
from followup.vocab import (
    CONTACT_MADE_OUTCOMES,
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentScope,
    ConsentState,
    ContactMethod,
    ContactOutcome,
    KitRecipient,
    KitType,
    NoContactReason,
    ResupplyReason,
    SceneConsent,
    SupplyType,
    TreatmentExitReason,
)

__all__ = [
    "ATTEMPT_COLUMNS",
    "CASE_COLUMNS",
    "CHANGE_COLUMNS",
    "CONSENT_COLUMNS",
    "KIT_COLUMNS",
    "TREATMENT_COLUMNS",
    "CaseWriter",
    "DemoCase",
]

CASE_COLUMNS = (
    "id", "person_id", "status", "assigned_worker_id", "police_reference", "referred_at",
    "area", "next_action_due_at", "opened_at", "closed_at", "closure_reason", "closure_note",
    "version", "incident_at", "first_attempt_at", "first_contact_at", "engaged_at",
    "treatment_referred_at", "in_treatment_at", "no_contact_reason", "first_direct_contact_at",
)  # fmt: skip
CHANGE_COLUMNS = (
    "id", "case_id", "from_status", "to_status", "changed_at", "changed_by_id", "reason",
)  # fmt: skip
ATTEMPT_COLUMNS = ("id", "case_id", "attempted_at", "method", "outcome", "notes", "worker_id")
CONSENT_COLUMNS = (
    "id", "person_id", "case_id", "scope", "state", "method", "recorded_at", "recorded_by_id",
    "source", "expires_on", "evidence",
)  # fmt: skip
TREATMENT_COLUMNS = (
    "id", "case_id", "service_id", "referred_on", "assessment_booked_for",
    "assessment_attended", "treatment_started_on", "exit_on", "exit_reason", "recorded_by_id",
)  # fmt: skip
KIT_COLUMNS = (
    "id", "case_id", "person_id", "supplied_on", "kit_type", "quantity", "recipient",
    "supply_type", "resupply_reason", "training_given", "batch_number", "expires_on",
    "recorded_by_id",
)  # fmt: skip

# The vocabulary as plain str, for the reason given in ``demo.people``.
_s = CaseStatus
NEW, CONTACTING, ENGAGED, REFERRED, IN_TREATMENT, CLOSED = (
    s.value for s in (_s.NEW, _s.CONTACTING, _s.ENGAGED, _s.REFERRED, _s.IN_TREATMENT, _s.CLOSED)
)
_m = ContactMethod
PHONE, SMS, LETTER, HOME_VISIT, OUTREACH, VIA_PARTNER = (
    m.value for m in (_m.PHONE, _m.SMS, _m.LETTER, _m.HOME_VISIT, _m.OUTREACH, _m.VIA_PARTNER)
)
_o = ContactOutcome
(NO_ANSWER, VOICEMAIL_LEFT, MESSAGE_SENT, SPOKE_ENGAGED, SPOKE_DECLINED, WRONG_NUMBER,
 NOT_AT_ADDRESS, LETTER_SENT, RETURNED_MAIL, OTHER_OUTCOME) = (o.value for o in (
    _o.NO_ANSWER, _o.VOICEMAIL_LEFT, _o.MESSAGE_SENT, _o.SPOKE_ENGAGED, _o.SPOKE_DECLINED,
    _o.WRONG_NUMBER, _o.NOT_AT_ADDRESS, _o.LETTER_SENT, _o.RETURNED_MAIL, _o.OTHER,
))  # fmt: skip
_cs = ConsentScope
CONTACT_PHONE, CONTACT_SMS, CONTACT_LETTER, VISITS, SHARE_TREATMENT, SHARE_GP = (
    c.value for c in (_cs.CONTACT_PHONE, _cs.CONTACT_SMS, _cs.CONTACT_LETTER, _cs.HOME_VISIT,
                      _cs.SHARE_WITH_TREATMENT, _cs.SHARE_WITH_GP)
)  # fmt: skip
GIVEN, REFUSED, WITHDRAWN = (
    c.value for c in (ConsentState.GIVEN, ConsentState.REFUSED, ConsentState.WITHDRAWN)
)
_cm = ConsentMethod
AT_SCENE, BY_PHONE, IN_PERSON, WRITTEN = (
    c.value for c in (_cm.VERBAL_AT_SCENE_VIA_POLICE, _cm.VERBAL_BY_PHONE, _cm.IN_PERSON,
                      _cm.WRITTEN)
)  # fmt: skip
SCENE_YES, SCENE_UNKNOWN = SceneConsent.YES.value, SceneConsent.UNKNOWN.value
_C = ClosureReason
(UNABLE_TO_CONTACT, DECLINED, CONSENT_WITHDRAWN, ALREADY_IN_TREATMENT, IN_CUSTODY, MOVED_AWAY,
 DECEASED, INAPPROPRIATE, OTHER_REASON, IN_TREATMENT_REASON) = (c.value for c in (
    _C.UNABLE_TO_CONTACT, _C.DECLINED, _C.CONSENT_WITHDRAWN, _C.ALREADY_IN_TREATMENT,
    _C.IN_CUSTODY, _C.MOVED_AWAY, _C.DECEASED, _C.INAPPROPRIATE_REFERRAL, _C.OTHER,
    _C.ENGAGED_IN_TREATMENT,
))  # fmt: skip
NASAL, INJECTABLE = KitType.NASAL.value, KitType.INJECTABLE.value
NEW_SUPPLY, RESUPPLY = SupplyType.NEW.value, SupplyType.RESUPPLY.value

_NOT_ENGAGED = Weighted((
    (UNABLE_TO_CONTACT, 56), (DECLINED, 17), (CONSENT_WITHDRAWN, 3), (ALREADY_IN_TREATMENT, 7),
    (IN_CUSTODY, 5), (MOVED_AWAY, 4), (DECEASED, 2), (INAPPROPRIATE, 2), (OTHER_REASON, 4),
))  # fmt: skip
_EARLY_NOTES = {
    ALREADY_IN_TREATMENT: "The treatment service confirmed they are already on its caseload.",
    IN_CUSTODY: "Probation confirmed they are in custody.",
    MOVED_AWAY: "Family said they have moved out of the area.",
    DECEASED: "The coroner's office told us they have died.",
    INAPPROPRIATE: "The police confirmed the overdose was not opioid-related.",
    OTHER_REASON: "Closed after discussion with the team lead.",
}
_AFTER_ENGAGED = (ALREADY_IN_TREATMENT, DECLINED, MOVED_AWAY, IN_CUSTODY, OTHER_REASON)
# The attempt (0 = the first) at which the person is reached.
_REACHED_AT = Weighted(((0, 40), (1, 30), (2, 20), (3, 10)))
_R = ResupplyReason
_RESUPPLY = Weighted((
    (_R.USED_ON_SELF.value, 40), (_R.LOST.value, 20), (_R.USED_ON_SOMEONE_ELSE.value, 15),
    (_R.EXPIRED.value, 10), (_R.CONFISCATED.value, 10), (_R.OTHER.value, 5),
))  # fmt: skip
_K = KitRecipient
_RECIPIENT = Weighted((
    (_K.PERSON.value, 85), (_K.FAMILY.value, 8), (_K.FRIEND.value, 5), (_K.OTHER.value, 2),
))  # fmt: skip
_X = TreatmentExitReason
_EXITS = Weighted((
    (_X.INCOMPLETE_DROPPED_OUT.value, 45), (_X.TREATMENT_COMPLETED_DRUG_FREE.value, 15),
    (_X.TRANSFERRED_NOT_IN_CUSTODY.value, 15), (_X.TRANSFERRED_IN_CUSTODY.value, 10),
    (_X.INCOMPLETE_TREATMENT_WITHDRAWN.value, 10), (_X.OTHER.value, 5),
))  # fmt: skip
_SHARING = Weighted(((BY_PHONE, 40), (IN_PERSON, 35), (WRITTEN, 25)))
_CONTACT_SCOPES = (CONTACT_PHONE, CONTACT_SMS, CONTACT_LETTER)
_ATTEMPT_NOTES = {str(k): v for k, v in dd.ATTEMPT_NOTES.items()}
_CONTACT_MADE = frozenset(o.value for o in CONTACT_MADE_OUTCOMES)
_VIA_FAMILY = ContactMethod.VIA_FAMILY.value
_ENGAGED = frozenset(s.value for s in ENGAGED_STATUSES)
_REFERRED = frozenset(s.value for s in REFERRED_STATUSES)
_STILL_TRYING = (NEW, CONTACTING)  # the statuses in which a next attempt is due
_EVIDENCE = "Signed form scanned to the case file."
_NINE = time(9)
# (when, method, outcome, a check-in after engagement) and (when, the status it moves to).
Attempt = tuple[datetime, str, str, bool]
Step = tuple[datetime, str]


def _how(method: str) -> str:
    """How consent given during a contact was recorded: on the phone, else in person."""
    return BY_PHONE if method == PHONE else IN_PERSON


class DemoCase:
    """A case being made: its row once ``row`` is called, at the end of its chunk (a repeat
    overdose of the same person may still join it until then)."""

    __slots__ = (
        "id", "person_id", "status", "assigned_worker_id", "police_reference", "referred_at",
        "area", "next_action_due_at", "closed_at", "closure_reason", "closure_note", "version",
        "incident_at", "first_attempt_at", "first_contact_at", "engaged_at",
        "treatment_referred_at", "in_treatment_at", "no_contact_reason", "first_direct_contact_at",
    )  # fmt: skip

    def __init__(self, id: int, who: Who, overdose: Overdose, reference: str) -> None:
        self.id = id
        self.person_id = who.id
        self.status = NEW
        self.assigned_worker_id: int | None = None
        self.police_reference = reference
        self.referred_at = overdose.received_at
        self.area = _district(who.postcode or overdose.postcode)
        self.next_action_due_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.closure_reason: str | None = None
        self.closure_note: str | None = None
        self.version = 1
        self.incident_at = overdose.incident_at  # its latest overdose, for the caseload
        self.first_attempt_at: datetime | None = None
        self.first_contact_at: datetime | None = None
        self.engaged_at: datetime | None = None
        self.treatment_referred_at: datetime | None = None
        self.in_treatment_at: datetime | None = None
        self.no_contact_reason: str | None = None
        self.first_direct_contact_at: datetime | None = None

    def row(self) -> Row:
        due, closed = self.next_action_due_at, self.closed_at
        first, contact = self.first_attempt_at, self.first_contact_at
        direct = self.first_direct_contact_at
        engaged, referred, treated = (
            self.engaged_at,
            self.treatment_referred_at,
            self.in_treatment_at,
        )
        referred_at = stamp(self.referred_at)
        return (
            self.id, self.person_id, self.status, self.assigned_worker_id,
            self.police_reference, referred_at, self.area, due and stamp(due), referred_at,
            closed and stamp(closed), self.closure_reason, self.closure_note, self.version,
            stamp(self.incident_at), first and stamp(first), contact and stamp(contact),
            engaged and stamp(engaged), referred and stamp(referred),
            treated and stamp(treated), self.no_contact_reason, direct and stamp(direct),
        )  # fmt: skip


# Why a case closed without contact, by its closure reason (else from its attempts).
_NO_CONTACT_BY_CLOSURE = {
    DECLINED: NoContactReason.DECLINED_VIA_THIRD_PARTY.value,
    CONSENT_WITHDRAWN: NoContactReason.DECLINED_VIA_THIRD_PARTY.value,
    MOVED_AWAY: NoContactReason.MOVED_AWAY.value,
    IN_CUSTODY: NoContactReason.IN_CUSTODY.value,
    DECEASED: NoContactReason.DECEASED.value,
    ALREADY_IN_TREATMENT: NoContactReason.OTHER.value,
    INAPPROPRIATE: NoContactReason.OTHER.value,
    OTHER_REASON: NoContactReason.OTHER.value,
}


def _no_contact_reason(closure_reason: str | None, attempts: list[Attempt]) -> str:
    """The no-contact reason a worker would give for a case closed without contact."""
    known = _NO_CONTACT_BY_CLOSURE.get(closure_reason or "")
    if known:
        return known
    outcomes = {a[2] for a in attempts}
    if not attempts:
        return NoContactReason.NO_USABLE_DETAILS.value
    if WRONG_NUMBER in outcomes:
        return NoContactReason.WRONG_NUMBER.value
    if NOT_AT_ADDRESS in outcomes or RETURNED_MAIL in outcomes:
        return NoContactReason.NOT_AT_ADDRESS.value
    return NoContactReason.NO_RESPONSE_TO_ATTEMPTS.value


_DISTRICTS: dict[str | None, str | None] = {}


def _district(postcode: str | None) -> str | None:
    """``validation.postcode_district``, remembered: the demo has a few thousand postcodes."""
    try:
        return _DISTRICTS[postcode]
    except KeyError:
        found = _DISTRICTS[postcode] = postcode_district(postcode)
        return found


class CaseWriter:
    """Makes the rows of a chunk of cases, numbered on from the ids it is given."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        workers: list[int],
        lead: int | None,
        treatment_services: list[int],
        other_services: list[int],
        next_ids: dict[str, int],
    ) -> None:
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.workers = workers
        self.lead = lead
        self.treatment_services = treatment_services
        self.other_services = other_services
        self.next_ids = next_ids
        self.cases: list[DemoCase] = []
        self.changes: list[Row] = []
        self.attempts: list[Row] = []
        self.consents: list[Row] = []
        self.treatment: list[Row] = []
        self.kits: list[Row] = []
        self._bases: dict[str, int] = {}
        self.start_chunk()

    def start_chunk(self) -> None:
        """Forget the rows made so far: the next chunk of cases starts empty, its ids on from
        the last chunk's."""
        ids = self.next_ids
        made: dict[str, list[Any]] = {
            "case_file": self.cases, "case_status_change": self.changes,
            "contact_attempt": self.attempts, "consent_entry": self.consents,
            "treatment_referral": self.treatment, "naloxone_supply": self.kits,
        }  # fmt: skip
        for name, rows in made.items():
            ids[name] += len(rows)
        self.cases, self.changes, self.attempts = [], [], []
        self.consents, self.treatment, self.kits = [], [], []
        self._case0 = ids["case_file"]
        self._change0 = ids["case_status_change"]
        self._attempt0 = ids["contact_attempt"]
        self._consent0 = ids["consent_entry"]
        self._treatment0 = ids["treatment_referral"]
        self._kit0 = ids["naloxone_supply"]

    # ------------------------------------------------------------------------- helpers

    def _office(self, t: datetime) -> datetime:
        """``t`` if in office hours, else the next weekday morning (a little after nine)."""
        if 9 <= t.hour < 17 and t.weekday() < 5:
            return t
        day = t.date() if t.hour < 9 else t.date() + DAY
        while day.weekday() >= 5:
            day += DAY
        return datetime.combine(day, _NINE) + timedelta(minutes=150 * self.rng.random())

    def consent(self, who: Who, case: DemoCase, scope: str, state: str, method: str,
                at: datetime, by: int | None, source: str | None = None) -> None:  # fmt: skip
        expires = None
        if scope == SHARE_TREATMENT and state == GIVEN and self.rng.random() < 0.25:
            expires = (at + 365 * DAY).date().isoformat()
        if at > self.now:
            return
        consents = self.consents
        consents.append((
            self._consent0 + len(consents), who.id, case.id, scope, state, method, stamp(at),
            by, source, expires, _EVIDENCE if method == WRITTEN else None,
        ))  # fmt: skip

    def _kit(self, who: Who, case: DemoCase, on: date, by: int, resupply: bool = False) -> None:
        rng = self.rng
        nasal = rng.random() < 0.65
        reason = _RESUPPLY.pick(rng) if (resupply or who.kits) else None
        recipient = _RECIPIENT.pick(rng)
        expires = date(on.year + 2, on.month, 1) - DAY * int(45 * rng.random())
        two = rng.random() < 0.12
        if on > self.today:
            return
        who.kits += 1
        kits = self.kits
        kits.append((
            self._kit0 + len(kits), case.id, who.id, on.isoformat(),
            NASAL if nasal else INJECTABLE, 2 if two else 1, recipient,
            RESUPPLY if reason else NEW_SUPPLY, reason, reason is None or two,
            f"{'NX' if nasal else 'PX'}{on:%y%m}{'ABC'[on.day % 3]}", expires.isoformat(), by,
        ))  # fmt: skip

    def _outcome(self, method: str) -> str:
        u = self.rng.random()
        if method == PHONE:
            return NO_ANSWER if u < 0.55 else (VOICEMAIL_LEFT if u < 0.93 else WRONG_NUMBER)
        if method == SMS:
            return MESSAGE_SENT
        if method == LETTER:
            return LETTER_SENT if u < 0.93 else RETURNED_MAIL
        if method == HOME_VISIT:
            return NOT_AT_ADDRESS if u < 0.85 else OTHER_OUTCOME
        if method == VIA_PARTNER:
            return MESSAGE_SENT if u < 0.6 else OTHER_OUTCOME
        return OTHER_OUTCOME

    def _next_attempt(self, received: datetime, made: list[datetime]) -> datetime:
        """When the worker makes the next attempt: on the day the schedule says, or late."""
        rng = self.rng
        due = DEFAULT_SCHEDULE.next_attempt_due(received, made)
        late = DAY * (1 + 3 * rng.random()) if rng.random() < 0.1 else timedelta(0)
        return max(self._office(due - HOUR * (20 * rng.random()) + late), made[-1] + HOUR)

    @staticmethod
    def _plan(who: Who, scene: str) -> tuple[str, ...]:
        """The methods tried in turn: only those the person's consent and details allow."""
        if scene == SCENE_YES and who.can_phone:
            letter = LETTER if who.has_address else OUTREACH
            visit = HOME_VISIT if who.has_address else OUTREACH
            return (PHONE, SMS if who.mobile else PHONE, PHONE, letter, visit, PHONE)
        if scene == SCENE_YES and who.has_address:
            return (LETTER, HOME_VISIT, LETTER, HOME_VISIT, OUTREACH, LETTER)
        return (OUTREACH, VIA_PARTNER, OUTREACH, OUTREACH, VIA_PARTNER, OUTREACH)

    # ---------------------------------------------------------------------------- cases

    def attach(self, who: Who, overdose: Overdose, case: DemoCase) -> None:
        """A repeat overdose while the case is open joins that case."""
        if case.incident_at < overdose.incident_at:
            case.incident_at = overdose.incident_at
        self._scene_consent(who, overdose, case)

    def _scene_consent(self, who: Who, overdose: Overdose, case: DemoCase) -> None:
        # Y at the scene covers contact by phone, text and letter, and nothing more.
        if overdose.consent_at_scene == SCENE_YES:
            source = f"{overdose.officer_name} ({overdose.officer_id}), {dd.FORCE}"
            for scope in _CONTACT_SCOPES:
                self.consent(who, case, scope, GIVEN, AT_SCENE, overdose.received_at, None, source)  # fmt: skip

    def open_case(self, who: Who, overdose: Overdose, reference: str) -> tuple[DemoCase, datetime]:
        """Make one case opened by ``overdose``; returns it and when its story closes it."""
        rng = self.rng
        received = overdose.received_at
        scene = overdose.consent_at_scene
        worker = self.lead if (self.lead and rng.random() < 0.05) else one(rng, self.workers)
        case = DemoCase(self._case0 + len(self.cases), who, overdose, reference)
        self.cases.append(case)
        self._scene_consent(who, overdose, case)
        assign_at = self._office(received + HOUR * (0.3 + 20 * rng.random()))
        first = self._office(assign_at + HOUR * rng.expovariate(1 / 3))
        if rng.random() < 0.12:  # a busy week: the first attempt is late
            first = self._office(first + DAY * (2 + 4 * rng.random()))
        if who.named:
            engage = 0.52 if scene == SCENE_YES else (0.38 if scene == SCENE_UNKNOWN else 0.22)
        else:
            engage = 0.16
        reason = None if rng.random() < engage else _NOT_ENGAGED.pick(rng)
        if reason == CONSENT_WITHDRAWN and scene != SCENE_YES:
            reason = DECLINED
        reached = rng.choice((4, 5, 5, 6)) if reason == UNABLE_TO_CONTACT else _REACHED_AT.pick(rng)  # fmt: skip
        times = [first]
        while len(times) <= reached:
            times.append(self._next_attempt(received, times))

        plan = self._plan(who, scene)
        phone_ok = scene == SCENE_YES and who.can_phone
        attempts: list[Attempt] = []
        for k in range(reached):  # the attempts before the person is reached, if ever
            method = plan[k]
            if method in (PHONE, SMS) and not phone_ok:
                method = LETTER if who.has_address and scene == SCENE_YES else OUTREACH
            outcome = self._outcome(method)
            phone_ok = phone_ok and outcome != WRONG_NUMBER
            attempts.append((times[k], method, outcome, False))
        steps: list[Step] = [(first, CONTACTING)]
        if reason == UNABLE_TO_CONTACT:
            end = times[reached - 1] + DAY * (2 + 4 * rng.random())
        else:
            at = times[reached]
            if plan[reached] in (PHONE, SMS) and phone_ok:
                method = PHONE
            elif plan[reached] in (HOME_VISIT, OUTREACH):
                method = plan[reached]
            elif reached > 0 and who.has_address and scene == SCENE_YES:
                method = HOME_VISIT  # after a remote attempt, so a visit is allowed
            else:
                method = OUTREACH
            if reason is None:
                attempts.append((at, method, SPOKE_ENGAGED, False))
                end = self._engaged(who, case, worker, received, at, method, phone_ok, scene, attempts, steps)  # fmt: skip
            elif reason in (DECLINED, CONSENT_WITHDRAWN):
                attempts.append((at, method, SPOKE_DECLINED, False))
                end = at + HOUR * (0.2 + 30 * rng.random())
                if reason == CONSENT_WITHDRAWN:
                    case.closure_note = "Asked us to stop contacting them."
                    how = _how(method)
                    for scope in _CONTACT_SCOPES:
                        self.consent(who, case, scope, WITHDRAWN, how, at, worker)
                elif method != PHONE and rng.random() < 0.2:
                    self._kit(who, case, at.date(), worker)
            else:
                attempts.append((at, method, OTHER_OUTCOME, False))
                case.closure_note = _EARLY_NOTES[reason]
                end = at + HOUR * (1 + 71 * rng.random())
                who.died = reason == DECEASED
        if reason is not None:
            case.closure_reason = reason
            steps.append((end, CLOSED))
        self._finish(case, received, assign_at, worker, attempts, steps)
        return case, end

    def _engaged(
        self,
        who: Who,
        case: DemoCase,
        worker: int,
        received: datetime,
        at: datetime,
        method: str,
        phone_ok: bool,
        scene: str,
        attempts: list[Attempt],
        steps: list[Step],
    ) -> datetime:
        """Consent, kits, treatment and check-ins after the person accepts support."""
        rng = self.rng
        steps.append((at, ENGAGED))
        how = _how(method)
        if scene != SCENE_YES:
            for scope, ok in zip(_CONTACT_SCOPES, (who.can_phone, who.mobile, who.has_address), strict=True):  # fmt: skip
                if ok:
                    self.consent(who, case, scope, GIVEN, how, at, worker)
        home_visits = who.has_address and rng.random() < 0.35
        if home_visits:
            self.consent(who, case, VISITS, GIVEN, how, at, worker)
        gp = rng.random()
        if gp < 0.5:
            self.consent(who, case, SHARE_GP, GIVEN if gp < 0.4 else REFUSED, how, at, worker)
        if rng.random() < 0.65:
            self._kit(who, case, (at + DAY * rng.choice((0, 0, 0, 2, 5))).date(), worker)
        if rng.random() < 0.78:
            end = self._referred(who, case, worker, at, steps)
        else:
            end = at + DAY * (3 + 27 * rng.random())
            case.closure_reason = rng.choice(_AFTER_ENGAGED)
            steps.append((end, CLOSED))
        # Check-ins while the case stays open: by phone when allowed, else in person.
        phone = who.can_phone and (scene != SCENE_YES or phone_ok)
        check = PHONE if phone else (HOME_VISIT if home_visits else OUTREACH)
        made = [a[0] for a in attempts]
        t = self._next_attempt(received, made)
        while t < end:
            attempts.append((t, check, SPOKE_ENGAGED, True))
            if rng.random() < 0.06:
                self._kit(who, case, t.date(), worker, resupply=True)
            made.append(t)
            t = self._next_attempt(received, made)
        return end

    def _referred(
        self, who: Who, case: DemoCase, worker: int, engaged_at: datetime, steps: list[Step]
    ) -> datetime:
        """Referral to treatment (with sharing consent first), assessment and treatment."""
        rng = self.rng
        at = self._office(engaged_at + DAY * (0.5 + 7.5 * rng.random()))
        self.consent(who, case, SHARE_TREATMENT, GIVEN, _SHARING.pick(rng), at, worker)
        steps.append((at + timedelta(minutes=5), REFERRED))
        booked = self._office(at + DAY * (4 + 12 * rng.random()))
        booked = booked.replace(minute=30 if booked.minute >= 30 else 0, second=0, microsecond=0)
        attended: bool | None = rng.random() < 0.76
        start = (booked + DAY * (10 * rng.random())).date() if attended else None
        if rng.random() < 0.03:  # changed their mind: sharing withdrawn before assessment
            end = at + DAY * (1 + 2 * rng.random())
            attended = start = None
            case.closure_reason = CONSENT_WITHDRAWN
            self.consent(who, case, SHARE_TREATMENT, WITHDRAWN, BY_PHONE, end, worker)
        elif start is not None:
            started_at = max(self._office(datetime.combine(start, time(10))), booked + HOUR)
            steps.append((started_at, IN_TREATMENT))
            end = started_at + DAY * (10 + 25 * rng.random())
            case.closure_reason = IN_TREATMENT_REASON
        else:
            end = booked + DAY * (5 + 9 * rng.random())
            case.closure_reason = DECLINED
            case.closure_note = "Did not attend the assessment and did not want to rebook."
        steps.append((end, CLOSED))
        exit_on: date | None = None
        exit_reason: str | None = None
        if start is not None and rng.random() < 0.2:
            exit_on = start + DAY * rng.randrange(30, 240)
            exit_reason = _EXITS.pick(rng)
        self._treatment(case, rng.choice(self.treatment_services), at, booked, attended, start, exit_on, exit_reason, worker)  # fmt: skip
        if self.other_services and rng.random() < 0.1:
            self._treatment(case, rng.choice(self.other_services), at + DAY * (5 * rng.random()), None, None, None, None, None, worker)  # fmt: skip
        return end

    def _treatment(
        self,
        case: DemoCase,
        service: int,
        at: datetime,
        booked: datetime | None,
        attended: bool | None,
        start: date | None,
        exit_on: date | None,
        exit_reason: str | None,
        by: int,
    ) -> None:
        now = self.now
        if at > now:
            return
        today = self.today
        left = exit_on is not None and exit_on <= today
        started = start.isoformat() if start and start <= today else None
        treatment = self.treatment
        treatment.append((
            self._treatment0 + len(treatment), case.id, service, at.date().isoformat(),
            booked and stamp(booked), attended if booked and booked <= now else None, started,
            exit_on.isoformat() if left and exit_on else None, exit_reason if left else None, by,
        ))  # fmt: skip

    def _finish(
        self,
        case: DemoCase,
        received: datetime,
        assign_at: datetime,
        worker: int,
        attempts: list[Attempt],
        steps: list[Step],
    ) -> None:
        """Keep what has happened by now and fill in the caseload and report columns."""
        now, rng = self.now, self.rng
        assigned = assign_at <= now
        if assigned:
            case.assigned_worker_id = worker
        done = [a for a in attempts if a[0] <= now]
        rows = self.attempts
        start = self._attempt0 + len(rows)
        for i, (t, method, outcome, check_in) in enumerate(done, start):
            notes = dd.CHECK_IN_NOTES if check_in else _ATTEMPT_NOTES[outcome]
            rows.append((
                i, case.id, stamp(t), method, outcome,
                one(rng, notes) if rng.random() < 0.6 else None, worker,
            ))  # fmt: skip
        if done:  # the report milestones, as casework.milestones takes them from the facts
            case.first_attempt_at = min(a[0] for a in done)
            case.first_contact_at = min((a[0] for a in done if a[2] in _CONTACT_MADE), default=None)
            case.first_direct_contact_at = min(
                (a[0] for a in done if a[2] in _CONTACT_MADE and a[1] != _VIA_FAMILY), default=None
            )
        changes = self.changes
        changes.append(
            (self._change0 + len(changes), case.id, None, NEW, stamp(received), None, None)
        )
        status = NEW
        steps.sort(key=lambda s: s[0])
        for t, to in steps:
            if t > now:
                break
            changes.append((
                self._change0 + len(changes), case.id, status, to, stamp(t), worker,
                case.closure_reason if to == CLOSED else None,
            ))  # fmt: skip
            status = to
            if to in _ENGAGED and case.engaged_at is None:
                case.engaged_at = t
            if to in _REFERRED and case.treatment_referred_at is None:
                case.treatment_referred_at = t
            if to == IN_TREATMENT and case.in_treatment_at is None:
                case.in_treatment_at = t
        case.status = status
        case.version = 1 + int(assigned) + sum(1 for t, _ in steps if t <= now)
        if status == CLOSED:
            case.closed_at = steps[-1][0]
            if case.first_contact_at is None:  # as a worker must say when closing
                case.no_contact_reason = _no_contact_reason(case.closure_reason, done)
        else:
            case.closure_reason = case.closure_note = None
            # As casework does: a due time only while the service is still trying to make contact.
            if status in _STILL_TRYING:
                case.next_action_due_at = DEFAULT_SCHEDULE.next_attempt_due(
                    received, [a[0] for a in done]
                )
