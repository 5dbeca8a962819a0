"""Case histories for the demonstration data: how each follow-up went, up to now.

Each case gets a whole story drawn from one seeded stream (assignment, contact attempts on the
team's schedule, engagement or closure, treatment, naloxone kits, consent), and only the part
that has happened by ``now`` is kept. Attempts and visits happen in office hours.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from followup.casework.schedule import DEFAULT_SCHEDULE
from followup.demo import data as dd
from followup.demo.people import DAY, HOUR, Row, Weighted, Who, one
from followup.validation import postcode_district
from followup.vocab import (
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentScope,
    ConsentState,
    ContactMethod,
    ContactOutcome,
    KitRecipient,
    KitType,
    ResupplyReason,
    SceneConsent,
    SupplyType,
    TreatmentExitReason,
)

__all__ = ["CaseWriter"]

_C = ClosureReason
_NOT_ENGAGED = Weighted((
    (_C.UNABLE_TO_CONTACT, 56), (_C.DECLINED, 17), (_C.CONSENT_WITHDRAWN, 3),
    (_C.ALREADY_IN_TREATMENT, 7), (_C.IN_CUSTODY, 5), (_C.MOVED_AWAY, 4), (_C.DECEASED, 2),
    (_C.INAPPROPRIATE_REFERRAL, 2), (_C.OTHER, 4),
))  # fmt: skip
_EARLY_NOTES = {
    _C.ALREADY_IN_TREATMENT: "The treatment service confirmed they are already on its caseload.",
    _C.IN_CUSTODY: "Probation confirmed they are in custody.",
    _C.MOVED_AWAY: "Family said they have moved out of the area.",
    _C.DECEASED: "The coroner's office told us they have died.",
    _C.INAPPROPRIATE_REFERRAL: "The police confirmed the overdose was not opioid-related.",
    _C.OTHER: "Closed after discussion with the team lead.",
}
_AFTER_ENGAGED = (_C.ALREADY_IN_TREATMENT, _C.DECLINED, _C.MOVED_AWAY, _C.IN_CUSTODY, _C.OTHER)
# The attempt (0 = the first) at which the person is reached.
_REACHED_AT = Weighted(((0, 40), (1, 30), (2, 20), (3, 10)))
_R = ResupplyReason
_RESUPPLY = Weighted((
    (_R.USED_ON_SELF, 40), (_R.LOST, 20), (_R.USED_ON_SOMEONE_ELSE, 15), (_R.EXPIRED, 10),
    (_R.CONFISCATED, 10), (_R.OTHER, 5),
))  # fmt: skip
_K = KitRecipient
_RECIPIENT = Weighted(((_K.PERSON, 85), (_K.FAMILY, 8), (_K.FRIEND, 5), (_K.OTHER, 2)))
_X = TreatmentExitReason
_EXITS = Weighted((
    (_X.INCOMPLETE_DROPPED_OUT, 45), (_X.TREATMENT_COMPLETED_DRUG_FREE, 15),
    (_X.TRANSFERRED_NOT_IN_CUSTODY, 15), (_X.TRANSFERRED_IN_CUSTODY, 10),
    (_X.INCOMPLETE_TREATMENT_WITHDRAWN, 10), (_X.OTHER, 5),
))  # fmt: skip
_SHARING = Weighted((
    (ConsentMethod.VERBAL_BY_PHONE, 40), (ConsentMethod.IN_PERSON, 35),
    (ConsentMethod.WRITTEN, 25),
))  # fmt: skip
_CONTACT_SCOPES = (
    ConsentScope.CONTACT_PHONE,
    ConsentScope.CONTACT_SMS,
    ConsentScope.CONTACT_LETTER,
)
_NINE = time(9)
# (when, method, outcome, a check-in after engagement) and (when, the status it moves to).
Attempt = tuple[datetime, ContactMethod, ContactOutcome, bool]
Step = tuple[datetime, CaseStatus]


def _how(method: ContactMethod) -> ConsentMethod:
    """How consent given during a contact was recorded: on the phone, else in person."""
    return (
        ConsentMethod.VERBAL_BY_PHONE if method == ContactMethod.PHONE else ConsentMethod.IN_PERSON
    )


class CaseWriter:
    """Collects the rows of a chunk of cases; ids are filled in later (see ``demo.populate``)."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        workers: list[int],
        lead: int | None,
        treatment_services: list[int],
        other_services: list[int],
    ) -> None:
        self.rng = rng
        self.now = now
        self.workers = workers
        self.lead = lead
        self.treatment_services = treatment_services
        self.other_services = other_services
        self.cases: list[Row] = []
        self.changes: list[Row] = []
        self.attempts: list[Row] = []
        self.consents: list[Row] = []
        self.treatment: list[Row] = []
        self.kits: list[Row] = []

    def start_chunk(self) -> None:
        """Forget the rows written so far: the next chunk of cases starts empty."""
        self.cases = []
        self.changes = []
        self.attempts = []
        self.consents = []
        self.treatment = []
        self.kits = []

    # ------------------------------------------------------------------------- helpers

    def _office(self, t: datetime) -> datetime:
        """``t`` if in office hours, else the next weekday morning (a little after nine)."""
        if 9 <= t.hour < 17 and t.weekday() < 5:
            return t
        day = t.date() if t.hour < 9 else t.date() + DAY
        while day.weekday() >= 5:
            day += DAY
        return datetime.combine(day, _NINE) + timedelta(minutes=150 * self.rng.random())

    def consent(self, who: Who, case: Row, scope: ConsentScope, state: ConsentState,
                method: ConsentMethod, at: datetime, by: int | None,
                source: str | None = None) -> None:  # fmt: skip
        expires = None
        if (
            scope == ConsentScope.SHARE_WITH_TREATMENT
            and state == ConsentState.GIVEN
            and self.rng.random() < 0.25
        ):
            expires = (at + 365 * DAY).date()
        if at > self.now:
            return
        self.consents.append({
            "id": None, "person_id": who.row, "case_id": case, "scope": scope, "state": state,
            "method": method, "recorded_at": at, "recorded_by_id": by, "source": source,
            "expires_on": expires,
            "evidence": "Signed form scanned to the case file." if method == ConsentMethod.WRITTEN else None,
        })  # fmt: skip

    def _kit(self, who: Who, case: Row, on: date, by: int, resupply: bool = False) -> None:
        rng = self.rng
        nasal = rng.random() < 0.65
        reason = _RESUPPLY.pick(rng) if (resupply or who.kits) else None
        recipient = _RECIPIENT.pick(rng)
        expires = date(on.year + 2, on.month, 1) - DAY * int(45 * rng.random())
        two = rng.random() < 0.12
        if on > self.now.date():
            return
        who.kits += 1
        self.kits.append({
            "id": None, "case_id": case, "person_id": who.row, "supplied_on": on,
            "kit_type": KitType.NASAL if nasal else KitType.INJECTABLE, "quantity": 2 if two else 1,
            "recipient": recipient,
            "supply_type": SupplyType.RESUPPLY if reason else SupplyType.NEW,
            "resupply_reason": reason, "training_given": reason is None or two,
            "batch_number": f"{'NX' if nasal else 'PX'}{on:%y%m}{'ABC'[on.day % 3]}",
            "expires_on": expires, "recorded_by_id": by,
        })  # fmt: skip

    def _outcome(self, method: ContactMethod) -> ContactOutcome:
        u = self.rng.random()
        o = ContactOutcome
        if method == ContactMethod.PHONE:
            return o.NO_ANSWER if u < 0.55 else (o.VOICEMAIL_LEFT if u < 0.93 else o.WRONG_NUMBER)
        if method == ContactMethod.SMS:
            return o.MESSAGE_SENT
        if method == ContactMethod.LETTER:
            return o.LETTER_SENT if u < 0.93 else o.RETURNED_MAIL
        if method == ContactMethod.HOME_VISIT:
            return o.NOT_AT_ADDRESS if u < 0.85 else o.OTHER
        if method == ContactMethod.VIA_PARTNER:
            return o.MESSAGE_SENT if u < 0.6 else o.OTHER
        return o.OTHER

    def _next_attempt(self, received: datetime, made: list[datetime]) -> datetime:
        """When the worker makes the next attempt: on the day the schedule says, or late."""
        rng = self.rng
        due = DEFAULT_SCHEDULE.next_attempt_due(received, made)
        late = DAY * (1 + 3 * rng.random()) if rng.random() < 0.1 else timedelta(0)
        return max(self._office(due - HOUR * (20 * rng.random()) + late), made[-1] + HOUR)

    @staticmethod
    def _plan(who: Who, scene: str) -> tuple[ContactMethod, ...]:
        """The methods tried in turn: only those the person's consent and details allow."""
        m = ContactMethod
        if scene == SceneConsent.YES and who.can_phone:
            letter = m.LETTER if who.has_address else m.OUTREACH
            visit = m.HOME_VISIT if who.has_address else m.OUTREACH
            return (m.PHONE, m.SMS if who.mobile else m.PHONE, m.PHONE, letter, visit, m.PHONE)
        if scene == SceneConsent.YES and who.has_address:
            return (m.LETTER, m.HOME_VISIT, m.LETTER, m.HOME_VISIT, m.OUTREACH, m.LETTER)
        return (m.OUTREACH, m.VIA_PARTNER, m.OUTREACH, m.OUTREACH, m.VIA_PARTNER, m.OUTREACH)

    # ---------------------------------------------------------------------------- cases

    def attach(self, who: Who, referral: Row, case: Row) -> None:
        """A repeat overdose while the case is open joins that case."""
        referral["case_id"] = case
        self._scene_consent(who, referral, case)

    def _scene_consent(self, who: Who, referral: Row, case: Row) -> None:
        # Y at the scene covers contact by phone, text and letter, and nothing more.
        if referral["consent_at_scene"] == SceneConsent.YES:
            source = f"{referral['officer_name']} ({referral['officer_id']}), {dd.FORCE}"
            for scope in _CONTACT_SCOPES:
                self.consent(who, case, scope, ConsentState.GIVEN, ConsentMethod.VERBAL_AT_SCENE_VIA_POLICE, referral["received_at"], None, source)  # fmt: skip

    def open_case(self, who: Who, referral: Row) -> datetime:
        """Write one case opened by ``referral``; returns when its story closes it."""
        rng = self.rng
        received = referral["received_at"]
        scene = referral["consent_at_scene"]
        worker = self.lead if (self.lead and rng.random() < 0.05) else one(rng, self.workers)
        case: Row = {
            "id": None, "person_id": who.row, "status": CaseStatus.NEW, "assigned_worker_id": None,
            "police_reference": referral, "referred_at": received,
            "area": postcode_district(who.row["postcode"] or referral["incident_postcode"]),
            "next_action_due_at": None, "opened_at": received, "closed_at": None,
            "closure_reason": None, "closure_note": None, "version": 1,
        }  # fmt: skip
        referral["case_id"] = case
        self.cases.append(case)
        self._scene_consent(who, referral, case)
        assign_at = self._office(received + HOUR * (0.3 + 20 * rng.random()))
        first = self._office(assign_at + HOUR * rng.expovariate(1 / 3))
        if rng.random() < 0.12:  # a busy week: the first attempt is late
            first = self._office(first + DAY * (2 + 4 * rng.random()))
        if who.named:
            engage = (
                0.52
                if scene == SceneConsent.YES
                else (0.38 if scene == SceneConsent.UNKNOWN else 0.22)
            )
        else:
            engage = 0.16
        reason = None if rng.random() < engage else _NOT_ENGAGED.pick(rng)
        if reason == _C.CONSENT_WITHDRAWN and scene != SceneConsent.YES:
            reason = _C.DECLINED
        reached = rng.choice((4, 5, 5, 6)) if reason == _C.UNABLE_TO_CONTACT else _REACHED_AT.pick(rng)  # fmt: skip
        times = [first]
        while len(times) <= reached:
            times.append(self._next_attempt(received, times))

        plan = self._plan(who, scene)
        phone_ok = scene == SceneConsent.YES and who.can_phone
        m = ContactMethod
        attempts: list[Attempt] = []
        for k in range(reached):  # the attempts before the person is reached, if ever
            method = plan[k]
            if method in (m.PHONE, m.SMS) and not phone_ok:
                method = m.LETTER if who.has_address and scene == SceneConsent.YES else m.OUTREACH
            outcome = self._outcome(method)
            phone_ok = phone_ok and outcome != ContactOutcome.WRONG_NUMBER
            attempts.append((times[k], method, outcome, False))
        steps: list[Step] = [(first, CaseStatus.CONTACTING)]
        if reason == _C.UNABLE_TO_CONTACT:
            end = times[reached - 1] + DAY * (2 + 4 * rng.random())
        else:
            at = times[reached]
            if plan[reached] in (m.PHONE, m.SMS) and phone_ok:
                method = m.PHONE
            elif plan[reached] in (m.HOME_VISIT, m.OUTREACH):
                method = plan[reached]
            elif reached > 0 and who.has_address and scene == SceneConsent.YES:
                method = m.HOME_VISIT  # after a remote attempt, so a visit is allowed
            else:
                method = m.OUTREACH
            if reason is None:
                attempts.append((at, method, ContactOutcome.SPOKE_ENGAGED, False))
                end = self._engaged(who, case, worker, received, at, method, phone_ok, scene, attempts, steps)  # fmt: skip
            elif reason in (_C.DECLINED, _C.CONSENT_WITHDRAWN):
                attempts.append((at, method, ContactOutcome.SPOKE_DECLINED, False))
                end = at + HOUR * (0.2 + 30 * rng.random())
                if reason == _C.CONSENT_WITHDRAWN:
                    case["closure_note"] = "Asked us to stop contacting them."
                    how = _how(method)
                    for scope in _CONTACT_SCOPES:
                        self.consent(who, case, scope, ConsentState.WITHDRAWN, how, at, worker)
                elif method != m.PHONE and rng.random() < 0.2:
                    self._kit(who, case, at.date(), worker)
            else:
                attempts.append((at, method, ContactOutcome.OTHER, False))
                case["closure_note"] = _EARLY_NOTES[reason]
                end = at + HOUR * (1 + 71 * rng.random())
                who.died = reason == _C.DECEASED
        if reason is not None:
            case["closure_reason"] = reason
            steps.append((end, CaseStatus.CLOSED))
        self._finish(case, received, assign_at, worker, attempts, steps)
        return end

    def _engaged(
        self,
        who: Who,
        case: Row,
        worker: int,
        received: datetime,
        at: datetime,
        method: ContactMethod,
        phone_ok: bool,
        scene: str,
        attempts: list[Attempt],
        steps: list[Step],
    ) -> datetime:
        """Consent, kits, treatment and check-ins after the person accepts support."""
        rng = self.rng
        steps.append((at, CaseStatus.ENGAGED))
        how = _how(method)
        given = ConsentState.GIVEN
        if scene != SceneConsent.YES:
            for scope, ok in zip(_CONTACT_SCOPES, (who.can_phone, who.mobile, who.has_address), strict=True):  # fmt: skip
                if ok:
                    self.consent(who, case, scope, given, how, at, worker)
        home_visits = who.has_address and rng.random() < 0.35
        if home_visits:
            self.consent(who, case, ConsentScope.HOME_VISIT, given, how, at, worker)
        gp = rng.random()
        if gp < 0.5:
            self.consent(who, case, ConsentScope.SHARE_WITH_GP, given if gp < 0.4 else ConsentState.REFUSED, how, at, worker)  # fmt: skip
        if rng.random() < 0.65:
            self._kit(who, case, (at + DAY * rng.choice((0, 0, 0, 2, 5))).date(), worker)
        if rng.random() < 0.78:
            end = self._referred(who, case, worker, at, steps)
        else:
            end = at + DAY * (3 + 27 * rng.random())
            case["closure_reason"] = rng.choice(_AFTER_ENGAGED)
            steps.append((end, CaseStatus.CLOSED))
        # Check-ins while the case stays open: by phone when allowed, else in person.
        phone = who.can_phone and (scene != SceneConsent.YES or phone_ok)
        m = ContactMethod
        check = m.PHONE if phone else (m.HOME_VISIT if home_visits else m.OUTREACH)
        made = [a[0] for a in attempts]
        t = self._next_attempt(received, made)
        while t < end:
            attempts.append((t, check, ContactOutcome.SPOKE_ENGAGED, True))
            if rng.random() < 0.06:
                self._kit(who, case, t.date(), worker, resupply=True)
            made.append(t)
            t = self._next_attempt(received, made)
        return end

    def _referred(
        self, who: Who, case: Row, worker: int, engaged_at: datetime, steps: list[Step]
    ) -> datetime:
        """Referral to treatment (with sharing consent first), assessment and treatment."""
        rng = self.rng
        at = self._office(engaged_at + DAY * (0.5 + 7.5 * rng.random()))
        sharing = ConsentScope.SHARE_WITH_TREATMENT
        self.consent(who, case, sharing, ConsentState.GIVEN, _SHARING.pick(rng), at, worker)
        steps.append((at + timedelta(minutes=5), CaseStatus.REFERRED))
        booked = self._office(at + DAY * (4 + 12 * rng.random()))
        booked = booked.replace(minute=30 if booked.minute >= 30 else 0, second=0, microsecond=0)
        attended: bool | None = rng.random() < 0.76
        start = (booked + DAY * (10 * rng.random())).date() if attended else None
        if rng.random() < 0.03:  # changed their mind: sharing withdrawn before assessment
            end = at + DAY * (1 + 2 * rng.random())
            attended = start = None
            case["closure_reason"] = _C.CONSENT_WITHDRAWN
            self.consent(who, case, sharing, ConsentState.WITHDRAWN, ConsentMethod.VERBAL_BY_PHONE, end, worker)  # fmt: skip
        elif start is not None:
            started_at = max(self._office(datetime.combine(start, time(10))), booked + HOUR)
            steps.append((started_at, CaseStatus.IN_TREATMENT))
            end = started_at + DAY * (10 + 25 * rng.random())
            case["closure_reason"] = _C.ENGAGED_IN_TREATMENT
        else:
            end = booked + DAY * (5 + 9 * rng.random())
            case["closure_reason"] = _C.DECLINED
            case["closure_note"] = "Did not attend the assessment and did not want to rebook."
        steps.append((end, CaseStatus.CLOSED))
        exit_on: date | None = None
        exit_reason: TreatmentExitReason | None = None
        if start is not None and rng.random() < 0.2:
            exit_on = start + DAY * rng.randrange(30, 240)
            exit_reason = _EXITS.pick(rng)
        self._treatment(case, rng.choice(self.treatment_services), at, booked, attended, start, exit_on, exit_reason, worker)  # fmt: skip
        if self.other_services and rng.random() < 0.1:
            self._treatment(case, rng.choice(self.other_services), at + DAY * (5 * rng.random()), None, None, None, None, None, worker)  # fmt: skip
        return end

    def _treatment(
        self,
        case: Row,
        service: int,
        at: datetime,
        booked: datetime | None,
        attended: bool | None,
        start: date | None,
        exit_on: date | None,
        exit_reason: TreatmentExitReason | None,
        by: int,
    ) -> None:
        now = self.now
        if at > now:
            return
        today = now.date()
        left = exit_on is not None and exit_on <= today
        self.treatment.append({
            "id": None, "case_id": case, "service_id": service, "referred_on": at.date(),
            "assessment_booked_for": booked,
            "assessment_attended": attended if booked and booked <= now else None,
            "treatment_started_on": start if start and start <= today else None,
            "exit_on": exit_on if left else None, "exit_reason": exit_reason if left else None,
            "recorded_by_id": by,
        })  # fmt: skip

    def _finish(
        self,
        case: Row,
        received: datetime,
        assign_at: datetime,
        worker: int,
        attempts: list[Attempt],
        steps: list[Step],
    ) -> None:
        """Keep what has happened by now and fill in the caseload columns."""
        now, rng = self.now, self.rng
        assigned = assign_at <= now
        if assigned:
            case["assigned_worker_id"] = worker
        done = [a for a in attempts if a[0] <= now]
        for t, method, outcome, check_in in done:
            notes = dd.CHECK_IN_NOTES if check_in else dd.ATTEMPT_NOTES[outcome]
            self.attempts.append({
                "id": None, "case_id": case, "attempted_at": t, "method": method,
                "outcome": outcome, "notes": one(rng, notes) if rng.random() < 0.6 else None,
                "worker_id": worker,
            })  # fmt: skip
        self.changes.append({
            "id": None, "case_id": case, "from_status": None, "to_status": CaseStatus.NEW,
            "changed_at": received, "changed_by_id": None, "reason": None,
        })  # fmt: skip
        status = CaseStatus.NEW
        steps.sort(key=lambda s: s[0])
        for t, to in steps:
            if t > now:
                break
            self.changes.append({
                "id": None, "case_id": case, "from_status": status, "to_status": to,
                "changed_at": t, "changed_by_id": worker,
                "reason": case["closure_reason"] if to == CaseStatus.CLOSED else None,
            })  # fmt: skip
            status = to
        case["status"] = status
        case["version"] = 1 + int(assigned) + sum(1 for t, _ in steps if t <= now)
        if status == CaseStatus.CLOSED:
            case["closed_at"] = steps[-1][0]
        else:
            case["closure_reason"] = case["closure_note"] = None
            # As casework does: a due time only while the service is still trying to make contact.
            if status in (CaseStatus.NEW, CaseStatus.CONTACTING):
                case["next_action_due_at"] = DEFAULT_SCHEDULE.next_attempt_due(
                    received, [a[0] for a in done]
                )
