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
from followup.demo.people import DAY, HOUR, Weighted, Who, one
from followup.validation import postcode_district

_NOT_ENGAGED = Weighted((
    ("unable_to_contact", 56), ("declined", 17), ("consent_withdrawn", 3),
    ("already_in_treatment", 7), ("in_custody", 5), ("moved_away", 4), ("deceased", 2),
    ("inappropriate_referral", 2), ("other", 4),
))  # fmt: skip
_EARLY_NOTES = {
    "already_in_treatment": "The treatment service confirmed they are already on its caseload.",
    "in_custody": "Probation confirmed they are in custody.",
    "moved_away": "Family said they have moved out of the area.",
    "deceased": "The coroner's office told us they have died.",
    "inappropriate_referral": "The police confirmed the overdose was not opioid-related.",
    "other": "Closed after discussion with the team lead.",
}
_AFTER_ENGAGED = ("already_in_treatment", "declined", "moved_away", "in_custody", "other")
# The attempt (0 = the first) at which the person is reached.
_REACHED_AT = Weighted(((0, 40), (1, 30), (2, 20), (3, 10)))
_RESUPPLY = Weighted((
    ("used_on_self", 40), ("lost", 20), ("used_on_someone_else", 15), ("expired", 10),
    ("confiscated", 10), ("other", 5),
))  # fmt: skip
_RECIPIENT = Weighted((("person", 85), ("family", 8), ("friend", 5), ("other", 2)))
_EXITS = Weighted((
    ("incomplete_dropped_out", 45), ("treatment_completed_drug_free", 15),
    ("transferred_not_in_custody", 15), ("transferred_in_custody", 10),
    ("incomplete_treatment_withdrawn", 10), ("other", 5),
))  # fmt: skip
_SHARING = Weighted((("verbal_by_phone", 40), ("in_person", 35), ("written", 25)))
_CONTACT_SCOPES = ("contact_phone", "contact_sms", "contact_letter")
_NINE = time(9)


class CaseWriter:
    """Collects the rows of every case; ids are filled in later, in time order."""

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
        self.cases: list[dict] = []
        self.changes: list[dict] = []
        self.attempts: list[dict] = []
        self.consents: list[dict] = []
        self.treatment: list[dict] = []
        self.kits: list[dict] = []

    # ------------------------------------------------------------------------- helpers

    def _office(self, t: datetime) -> datetime:
        """``t`` if in office hours, else the next weekday morning (a little after nine)."""
        if 9 <= t.hour < 17 and t.weekday() < 5:
            return t
        day = t.date() if t.hour < 9 else t.date() + DAY
        while day.weekday() >= 5:
            day += DAY
        return datetime.combine(day, _NINE) + timedelta(minutes=150 * self.rng.random())

    def consent(self, who: Who, case: dict, scope: str, state: str, method: str,
                at: datetime, by: int | None, source: str | None = None) -> None:  # fmt: skip
        expires = None
        if scope == "share_with_treatment" and state == "given" and self.rng.random() < 0.25:
            expires = (at + 365 * DAY).date()
        if at > self.now:
            return
        self.consents.append({
            "id": None, "person_id": who.row, "case_id": case, "scope": scope, "state": state,
            "method": method, "recorded_at": at, "recorded_by_id": by, "source": source,
            "expires_on": expires,
            "evidence": "Signed form scanned to the case file." if method == "written" else None,
        })  # fmt: skip

    def _kit(self, who: Who, case: dict, on: date, by: int, resupply: bool = False) -> None:
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
            "kit_type": "nasal" if nasal else "injectable", "quantity": 2 if two else 1,
            "recipient": recipient, "supply_type": "resupply" if reason else "new",
            "resupply_reason": reason, "training_given": reason is None or two,
            "batch_number": f"{'NX' if nasal else 'PX'}{on:%y%m}{'ABC'[on.day % 3]}",
            "expires_on": expires, "recorded_by_id": by,
        })  # fmt: skip

    def _outcome(self, method: str) -> str:
        u = self.rng.random()
        if method == "phone":
            return "no_answer" if u < 0.55 else ("voicemail_left" if u < 0.93 else "wrong_number")
        if method == "sms":
            return "message_sent"
        if method == "letter":
            return "letter_sent" if u < 0.93 else "returned_mail"
        if method == "home_visit":
            return "not_at_address" if u < 0.85 else "other"
        if method == "via_partner":
            return "message_sent" if u < 0.6 else "other"
        return "other"

    def _next_attempt(self, received: datetime, made: list[datetime]) -> datetime:
        """When the worker makes the next attempt: on the day the schedule says, or late."""
        rng = self.rng
        due = DEFAULT_SCHEDULE.next_attempt_due(received, made)
        late = DAY * (1 + 3 * rng.random()) if rng.random() < 0.1 else timedelta(0)
        return max(self._office(due - HOUR * (20 * rng.random()) + late), made[-1] + HOUR)

    @staticmethod
    def _plan(who: Who, scene: str) -> tuple[str, ...]:
        """The methods tried in turn: only those the person's consent and details allow."""
        if scene == "Y" and who.can_phone:
            letter = "letter" if who.has_address else "outreach"
            visit = "home_visit" if who.has_address else "outreach"
            return ("phone", "sms" if who.mobile else "phone", "phone", letter, visit, "phone")
        if scene == "Y" and who.has_address:
            return ("letter", "home_visit", "letter", "home_visit", "outreach", "letter")
        return ("outreach", "via_partner", "outreach", "outreach", "via_partner", "outreach")

    # ---------------------------------------------------------------------------- cases

    def attach(self, who: Who, referral: dict, case: dict) -> None:
        """A repeat overdose while the case is open joins that case."""
        referral["case_id"] = case
        self._scene_consent(who, referral, case)

    def _scene_consent(self, who: Who, referral: dict, case: dict) -> None:
        # Y at the scene covers contact by phone, text and letter, and nothing more.
        if referral["consent_at_scene"] == "Y":
            source = f"{referral['officer_name']} ({referral['officer_id']}), {dd.FORCE}"
            for scope in _CONTACT_SCOPES:
                self.consent(who, case, scope, "given", "verbal_at_scene_via_police", referral["received_at"], None, source)  # fmt: skip

    def open_case(self, who: Who, referral: dict) -> datetime:
        """Write one case opened by ``referral``; returns when its story closes it."""
        rng = self.rng
        received = referral["received_at"]
        scene = referral["consent_at_scene"]
        worker = self.lead if (self.lead and rng.random() < 0.05) else one(rng, self.workers)
        case: dict = {
            "id": None, "person_id": who.row, "status": "new", "assigned_worker_id": None,
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
            engage = 0.52 if scene == "Y" else (0.38 if scene == "unknown" else 0.22)
        else:
            engage = 0.16
        reason = None if rng.random() < engage else _NOT_ENGAGED.pick(rng)
        if reason == "consent_withdrawn" and scene != "Y":
            reason = "declined"
        reached = rng.choice((4, 5, 5, 6)) if reason == "unable_to_contact" else _REACHED_AT.pick(rng)  # fmt: skip
        times = [first]
        while len(times) <= reached:
            times.append(self._next_attempt(received, times))

        plan = self._plan(who, scene)
        phone_ok = scene == "Y" and who.can_phone
        attempts: list[tuple[datetime, str, str, bool]] = []
        for k in range(reached):  # the attempts before the person is reached, if ever
            method = plan[k]
            if method in ("phone", "sms") and not phone_ok:
                method = "letter" if who.has_address and scene == "Y" else "outreach"
            outcome = self._outcome(method)
            phone_ok = phone_ok and outcome != "wrong_number"
            attempts.append((times[k], method, outcome, False))
        steps: list[tuple[datetime, str]] = [(first, "contacting")]
        if reason == "unable_to_contact":
            end = times[reached - 1] + DAY * (2 + 4 * rng.random())
        else:
            at = times[reached]
            if plan[reached] in ("phone", "sms") and phone_ok:
                method = "phone"
            elif plan[reached] in ("home_visit", "outreach"):
                method = plan[reached]
            elif reached > 0 and who.has_address and scene == "Y":
                method = "home_visit"  # after a remote attempt, so a visit is allowed
            else:
                method = "outreach"
            if reason is None:
                attempts.append((at, method, "spoke_engaged", False))
                end = self._engaged(who, case, worker, received, at, method, phone_ok, scene, attempts, steps)  # fmt: skip
            elif reason in ("declined", "consent_withdrawn"):
                attempts.append((at, method, "spoke_declined", False))
                end = at + HOUR * (0.2 + 30 * rng.random())
                if reason == "consent_withdrawn":
                    case["closure_note"] = "Asked us to stop contacting them."
                    how = "verbal_by_phone" if method == "phone" else "in_person"
                    for scope in _CONTACT_SCOPES:
                        self.consent(who, case, scope, "withdrawn", how, at, worker)
                elif method != "phone" and rng.random() < 0.2:
                    self._kit(who, case, at.date(), worker)
            else:
                attempts.append((at, method, "other", False))
                case["closure_note"] = _EARLY_NOTES[reason]
                end = at + HOUR * (1 + 71 * rng.random())
                who.died = reason == "deceased"
        if reason is not None:
            case["closure_reason"] = reason
            steps.append((end, "closed"))
        self._finish(case, received, assign_at, worker, attempts, steps)
        return end

    def _engaged(
        self, who, case, worker, received, at, method, phone_ok, scene, attempts, steps
    ) -> datetime:  # noqa: ANN001
        """Consent, kits, treatment and check-ins after the person accepts support."""
        rng = self.rng
        steps.append((at, "engaged"))
        how = "verbal_by_phone" if method == "phone" else "in_person"
        if scene != "Y":
            for scope, ok in zip(_CONTACT_SCOPES, (who.can_phone, who.mobile, who.has_address), strict=True):  # fmt: skip
                if ok:
                    self.consent(who, case, scope, "given", how, at, worker)
        home_visits = who.has_address and rng.random() < 0.35
        if home_visits:
            self.consent(who, case, "home_visit", "given", how, at, worker)
        gp = rng.random()
        if gp < 0.5:
            self.consent(who, case, "share_with_gp", "given" if gp < 0.4 else "refused", how, at, worker)  # fmt: skip
        if rng.random() < 0.65:
            self._kit(who, case, (at + DAY * rng.choice((0, 0, 0, 2, 5))).date(), worker)
        if rng.random() < 0.78:
            end = self._referred(who, case, worker, at, steps)
        else:
            end = at + DAY * (3 + 27 * rng.random())
            case["closure_reason"] = rng.choice(_AFTER_ENGAGED)
            steps.append((end, "closed"))
        # Check-ins while the case stays open: by phone when allowed, else in person.
        phone = who.can_phone and (scene != "Y" or phone_ok)
        check = "phone" if phone else ("home_visit" if home_visits else "outreach")
        made = [a[0] for a in attempts]
        t = self._next_attempt(received, made)
        while t < end:
            attempts.append((t, check, "spoke_engaged", True))
            if rng.random() < 0.06:
                self._kit(who, case, t.date(), worker, resupply=True)
            made.append(t)
            t = self._next_attempt(received, made)
        return end

    def _referred(self, who, case, worker, engaged_at, steps) -> datetime:  # noqa: ANN001
        """Referral to treatment (with sharing consent first), assessment and treatment."""
        rng = self.rng
        at = self._office(engaged_at + DAY * (0.5 + 7.5 * rng.random()))
        self.consent(who, case, "share_with_treatment", "given", _SHARING.pick(rng), at, worker)
        steps.append((at + timedelta(minutes=5), "referred"))
        booked = self._office(at + DAY * (4 + 12 * rng.random()))
        booked = booked.replace(minute=30 if booked.minute >= 30 else 0, second=0, microsecond=0)
        attended: bool | None = rng.random() < 0.76
        start = (booked + DAY * (10 * rng.random())).date() if attended else None
        if rng.random() < 0.03:  # changed their mind: sharing withdrawn before assessment
            end = at + DAY * (1 + 2 * rng.random())
            attended = start = None
            case["closure_reason"] = "consent_withdrawn"
            self.consent(who, case, "share_with_treatment", "withdrawn", "verbal_by_phone", end, worker)  # fmt: skip
        elif start is not None:
            started_at = max(self._office(datetime.combine(start, time(10))), booked + HOUR)
            steps.append((started_at, "in_treatment"))
            end = started_at + DAY * (10 + 25 * rng.random())
            case["closure_reason"] = "engaged_in_treatment"
        else:
            end = booked + DAY * (5 + 9 * rng.random())
            case["closure_reason"] = "declined"
            case["closure_note"] = "Did not attend the assessment and did not want to rebook."
        steps.append((end, "closed"))
        exit_on = exit_reason = None
        if start is not None and rng.random() < 0.2:
            exit_on = start + DAY * rng.randrange(30, 240)
            exit_reason = _EXITS.pick(rng)
        self._treatment(case, rng.choice(self.treatment_services), at, booked, attended, start, exit_on, exit_reason, worker)  # fmt: skip
        if self.other_services and rng.random() < 0.1:
            self._treatment(case, rng.choice(self.other_services), at + DAY * (5 * rng.random()), None, None, None, None, None, worker)  # fmt: skip
        return end

    def _treatment(
        self, case, service, at, booked, attended, start, exit_on, exit_reason, by
    ) -> None:  # noqa: ANN001
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

    def _finish(self, case, received, assign_at, worker, attempts, steps) -> None:  # noqa: ANN001
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
            "id": None, "case_id": case, "from_status": None, "to_status": "new",
            "changed_at": received, "changed_by_id": None, "reason": None,
        })  # fmt: skip
        status = "new"
        steps.sort(key=lambda s: s[0])
        for t, to in steps:
            if t > now:
                break
            self.changes.append({
                "id": None, "case_id": case, "from_status": status, "to_status": to,
                "changed_at": t, "changed_by_id": worker,
                "reason": case["closure_reason"] if to == "closed" else None,
            })  # fmt: skip
            status = to
        case["status"] = status
        case["version"] = 1 + int(assigned) + sum(1 for t, _ in steps if t <= now)
        if status == "closed":
            case["closed_at"] = steps[-1][0]
        else:
            case["closure_reason"] = case["closure_note"] = None
            # As casework does: a due time only while the service is still trying to make contact.
            if status in ("new", "contacting"):
                case["next_action_due_at"] = DEFAULT_SCHEDULE.next_attempt_due(
                    received, [a[0] for a in done]
                )
