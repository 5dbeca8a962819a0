"""What the next step on a case is, in words: "2nd attempt (day 1): phone or text".

While contact is being sought (new, contacting), the step is the next attempt of the current
round (``lifecycle.round_attempt_times``): its ordinal, the day of the team's schedule it falls
on (counted from the first attempt, as ``casework.schedule`` counts), and the ways of reaching
the person that consent allows (``allowed_methods``). Later statuses name the next stage.

Everything here reads lists a page at a time: one query for the attempts of the page's cases
and one for the consent history of their people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from followup import vocab
from followup.casework import kits
from followup.casework.consent import ConsentState, consent_states_of
from followup.casework.schedule import Schedule
from followup.db.models import Case, ContactAttempt
from followup.uktime import short_date
from followup.vocab import CaseStatus, ConsentScope

__all__ = [
    "CaseFacts",
    "LastContact",
    "StepInfo",
    "allowed_methods",
    "consents_of",
    "describe",
    "methods_text",
    "ordinal",
    "risk_text",
    "step_info",
]

_LATER_STAGES: dict[str, str] = {
    CaseStatus.ENGAGED: "Refer to a treatment service",
    CaseStatus.REFERRED: "Confirm that treatment has started",
    CaseStatus.IN_TREATMENT: "Support while in treatment; close when done",
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def allowed_methods(states: Mapping[str, ConsentState]) -> list[str]:
    """The ways of reaching the person that consent allows now, in words, best first.

    Phone and text may be used while consent is not yet asked (to seek it) and are blocked once
    refused or withdrawn; a letter needs letter consent in force; a home visit is listed when
    home-visit consent is in force. (One function, so that it can follow the consent gate.)
    """
    blocked = (vocab.ConsentState.REFUSED, vocab.ConsentState.WITHDRAWN)
    methods = []
    for scope, word in ((ConsentScope.CONTACT_PHONE, "phone"), (ConsentScope.CONTACT_SMS, "text")):
        state = states.get(scope)
        if state is None or state.state not in blocked:
            methods.append(word)
    for scope, word in ((ConsentScope.CONTACT_LETTER, "letter"), (ConsentScope.HOME_VISIT, "home visit")):  # fmt: skip
        state = states.get(scope)
        if state is not None and state.in_force:
            methods.append(word)
    return methods


def methods_text(methods: list[str]) -> str:
    if not methods:
        return "no phone, text or letter allowed by consent: outreach or a partner"
    if len(methods) == 1:
        return methods[0]
    return ", ".join(methods[:-1]) + " or " + methods[-1]


def describe(
    status: str, attempts_made: int, schedule: Schedule, states: Mapping[str, ConsentState]
) -> str:
    """The next step of a case in words ("" for a closed case)."""
    if status in _LATER_STAGES:
        return _LATER_STAGES[status]
    if status not in (CaseStatus.NEW, CaseStatus.CONTACTING):
        return ""
    how = methods_text(allowed_methods(states))
    if attempts_made == 0:
        return f"1st attempt (within {schedule.first_attempt_hours} hours): {how}"
    days = schedule.follow_up_days
    if attempts_made - 1 < len(days):
        return f"{ordinal(attempts_made + 1)} attempt (day {days[attempts_made - 1]}): {how}"
    return f"Review: all {len(days) + 1} scheduled attempts made; next try {how}"


# The enumerations by stored value: a dictionary lookup costs far less than Enum(value).


def consents_of(
    session: Session, person_ids: Iterable[int], today: date | None = None
) -> dict[int, dict[str, ConsentState]]:
    """Each person's consent in force per scope, in one query per 500 people: the one
    ``consent.consent_states_of``, which passes over entries marked in error."""
    return consent_states_of(session, person_ids, today)


@dataclass(frozen=True)
class CaseFacts:
    """What the next step of one case depends on."""

    case_id: int
    person_id: int
    status: str
    round_started_at: datetime | None


@dataclass(frozen=True)
class LastContact:
    at: datetime
    method: str
    outcome: str

    @property
    def text(self) -> str:
        return f"{vocab.label(self.method)}: {vocab.label(self.outcome).lower()}"


@dataclass(frozen=True)
class StepInfo:
    next_step: str
    last_contact: LastContact | None


def step_info(
    session: Session, cases: Iterable[CaseFacts], schedule: Schedule
) -> dict[int, StepInfo]:
    """The next step and the last contact attempt of each case, in two queries.

    The database ranks the attempts: one row a case (its newest attempt, and how many attempts
    the current round has), so that My work's thousands of cases cost no more rows than cases.
    """
    facts = list(cases)
    if not facts:
        return {}
    ids = sorted({f.case_id for f in facts})
    in_this_round = or_(
        Case.round_started_at.is_(None), ContactAttempt.attempted_at >= Case.round_started_at
    )
    ranked = (
        select(
            ContactAttempt.case_id,
            ContactAttempt.attempted_at,
            ContactAttempt.method,
            ContactAttempt.outcome,
            func.row_number()
            .over(
                partition_by=ContactAttempt.case_id,
                order_by=(ContactAttempt.attempted_at.desc(), ContactAttempt.id.desc()),
            )
            .label("newest_first"),
            func.sum(case((in_this_round, 1), else_=0))
            .over(partition_by=ContactAttempt.case_id)
            .label("in_round"),
        )
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(ContactAttempt.case_id.in_(ids))
        .subquery()
    )
    newest: dict[int, tuple[LastContact, int]] = {
        case_id: (LastContact(at, method, outcome), in_round)
        for case_id, at, method, outcome, in_round in session.connection()
        .execute(
            select(
                ranked.c.case_id,
                ranked.c.attempted_at,
                ranked.c.method,
                ranked.c.outcome,
                ranked.c.in_round,
            ).where(ranked.c.newest_first == 1)
        )
        .all()
    }
    consents = consents_of(session, (f.person_id for f in facts))
    # An open case whose person's kit is near or past expiry: offer a replacement too.
    replace_kit = kits.replacement_prompts(session, ids)
    out: dict[int, StepInfo] = {}
    for f in facts:
        last, in_round = newest.get(f.case_id, (None, 0))
        step = describe(f.status, in_round, schedule, consents.get(f.person_id, {}))
        if f.case_id in replace_kit:
            step = ". ".join(part for part in (step, replace_kit[f.case_id]) if part)
        out[f.case_id] = StepInfo(step, last)
    return out


def risk_text(overdoses: int, last_overdose_at: datetime | None, no_fixed_abode: bool) -> str:
    """The risk markers of a list row: overdoses known, the last one, no fixed abode."""
    parts = []
    if overdoses:
        noun = "overdose" if overdoses == 1 else "overdoses"
        last = (
            f", last {short_date(last_overdose_at)}" if overdoses > 1 and last_overdose_at else ""
        )
        parts.append(f"{overdoses} {noun}{last}")
    if no_fixed_abode:
        parts.append("no fixed abode")
    return "; ".join(parts)
