"""One consent gate per contact method, for the attempt log, letters and batches alike.

The rules, each refusal a sentence that says what to do instead:

* consent to a method refused or withdrawn blocks that method;
* a letter, whether made by the app or logged as sent, needs consent to letters in force
  (and a postal address);
* a phone call or text may be made while consent to it has not yet been asked (or has
  expired), to ask it: such an attempt is marked "seeking consent";
* a phone call or text needs a number, on file or typed in;
* a home visit needs an address, and comes after a phone call, text or letter unless the
  person agreed to home visits; for a person of no fixed abode the method is outreach;
* each method has its own outcomes (``OUTCOMES``): no "wrong number" for a home visit, no
  "voicemail" for a letter.

``method_gate`` works on plain facts (the consents in force and what is on file), so a screen
or a summary that already holds them asks without reading the database again;
``case_gates`` and ``require_attempt`` read them for a case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import vocab
from followup.casework import consent
from followup.db.models import Case, ContactAttempt, Person, not_voided
from followup.errors import RuleViolation
from followup.uktime import short_date
from followup.vocab import ConsentScope, ConsentState, ContactMethod, ContactOutcome

__all__ = [
    "NO_POSTAL_ADDRESS",
    "NUMBER_METHODS",
    "OUTCOMES",
    "REMOTE_METHODS",
    "AllowedMethods",
    "ContactFacts",
    "MethodGate",
    "allowed_methods",
    "case_facts",
    "case_gates",
    "letter_problem",
    "method_gate",
    "outcome_problem",
    "require_attempt",
]

# Ways of reaching a person without turning up where they are.
REMOTE_METHODS = (ContactMethod.PHONE, ContactMethod.SMS, ContactMethod.LETTER)
# Methods that need a phone number.
NUMBER_METHODS = (ContactMethod.PHONE, ContactMethod.SMS)
# Methods that may be used while consent is not yet asked, to ask it.
SEEKING_METHODS = NUMBER_METHODS

Out = ContactOutcome
# The outcomes each method can have, in the order a form offers them.
OUTCOMES: dict[str, tuple[ContactOutcome, ...]] = {
    ContactMethod.PHONE: (
        Out.NO_ANSWER,
        Out.VOICEMAIL_LEFT,
        Out.SPOKE_ENGAGED,
        Out.SPOKE_DECLINED,
        Out.WRONG_NUMBER,
        Out.OTHER,
    ),
    ContactMethod.SMS: (
        Out.MESSAGE_SENT,
        Out.SPOKE_ENGAGED,
        Out.SPOKE_DECLINED,
        Out.WRONG_NUMBER,
        Out.OTHER,
    ),
    ContactMethod.LETTER: (Out.LETTER_SENT, Out.RETURNED_MAIL, Out.OTHER),
    ContactMethod.HOME_VISIT: (
        Out.NO_ANSWER,
        Out.NOT_AT_ADDRESS,
        Out.MESSAGE_SENT,
        Out.SPOKE_ENGAGED,
        Out.SPOKE_DECLINED,
        Out.OTHER,
    ),
    ContactMethod.OUTREACH: (Out.MESSAGE_SENT, Out.SPOKE_ENGAGED, Out.SPOKE_DECLINED, Out.OTHER),
    ContactMethod.VIA_PARTNER: (Out.MESSAGE_SENT, Out.SPOKE_ENGAGED, Out.SPOKE_DECLINED, Out.OTHER),
    ContactMethod.EMAIL: (
        Out.MESSAGE_SENT,
        Out.SPOKE_ENGAGED,
        Out.SPOKE_DECLINED,
        Out.RETURNED_MAIL,
        Out.OTHER,
    ),
    # "Spoke" here is speaking with a family member or friend about the person.
    ContactMethod.VIA_FAMILY: (Out.MESSAGE_SENT, Out.SPOKE_ENGAGED, Out.SPOKE_DECLINED, Out.OTHER),
}

NO_POSTAL_ADDRESS = (
    "There is no postal address for this person (no fixed abode), so the letter cannot be "
    "posted; give them the message in person or reach them another way."
)

_METHOD_TEXT = {
    ContactMethod.PHONE: "a phone call",
    ContactMethod.SMS: "a text message",
    ContactMethod.LETTER: "a letter",
    ContactMethod.HOME_VISIT: "a home visit",
    ContactMethod.OUTREACH: "outreach",
    ContactMethod.VIA_PARTNER: "contact through a partner",
    ContactMethod.EMAIL: "an email",
    ContactMethod.VIA_FAMILY: "contact through family or friends",
}


@dataclass(frozen=True)
class ContactFacts:
    """What the gate needs to know about the person and the case."""

    consents: Mapping[str, consent.ConsentState]
    has_phone: bool = False
    has_address: bool = False
    no_fixed_abode: bool = False
    remote_attempted: bool = False  # a phone call, text or letter already logged on the case


@dataclass(frozen=True)
class MethodGate:
    """Whether one method may be used now, and how."""

    method: ContactMethod
    problem: str | None  # why it may not be used now, or None
    seeking_consent: bool  # allowed only to ask for consent (not yet asked or expired)
    needs_number: bool  # allowed once a number is typed in (none on file)
    outcomes: tuple[ContactOutcome, ...]

    @property
    def allowed(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class AllowedMethods:
    """The methods that may be used now; ``seeking`` are those allowed to ask for consent."""

    allowed: tuple[ContactMethod, ...]
    seeking: frozenset[ContactMethod]


def _blocked_by_consent(scope: ConsentScope, state: consent.ConsentState) -> str | None:
    if state.state in (ConsentState.REFUSED, ConsentState.WITHDRAWN):
        return (
            f"Consent to {consent.SCOPE_TEXT[scope]} was {state.state} on "
            f"{short_date(state.recorded_at)}; use another way to reach the person."
        )
    return None


def _not_in_force(state: consent.ConsentState) -> str:
    if state.state is None:
        return "has not been recorded"
    if state.expired:
        return f"expired on {short_date(state.expires_on)}"
    return f"was {state.state}"


def method_gate(method: str, facts: ContactFacts) -> MethodGate:
    """The gate for ``method`` given ``facts``; see the module docstring for the rules."""
    m = ContactMethod(method)
    outcomes = OUTCOMES[m]
    seeking = False
    needs_number = False
    problem: str | None = None
    scope = consent.METHOD_SCOPE.get(m)
    state = facts.consents.get(scope) if scope else None
    if scope is not None and state is not None and m != ContactMethod.LETTER:
        problem = _blocked_by_consent(scope, state)
    if m == ContactMethod.LETTER:
        if state is None or not state.in_force:
            why = _not_in_force(state) if state else "is not known"
            problem = f"A letter to the person needs the person's consent to letters, which {why}."
        elif facts.no_fixed_abode or not facts.has_address:
            problem = NO_POSTAL_ADDRESS
    if problem is None and m in SEEKING_METHODS:
        seeking = state is None or not state.in_force
        needs_number = not facts.has_phone
    if problem is None and m == ContactMethod.HOME_VISIT:
        if facts.no_fixed_abode:
            problem = (
                "This person has no fixed abode, so there is no home to visit; log it as "
                "outreach instead."
            )
        elif not facts.has_address:
            problem = "A home visit needs an address; add it to the person's details first."
        elif not (state is not None and state.in_force) and not facts.remote_attempted:
            problem = (
                "A home visit comes after a phone call, text or letter, unless the person has "
                "agreed to home visits; try one of those first or record their consent."
            )
    return MethodGate(m, problem, seeking, needs_number, outcomes)


def allowed_methods(facts: ContactFacts) -> AllowedMethods:
    """The methods that may be used now, in display order, and which are seeking consent."""
    gates = [method_gate(m, facts) for m in vocab.CONTACT_METHODS]
    return AllowedMethods(
        tuple(g.method for g in gates if g.allowed),
        frozenset(g.method for g in gates if g.allowed and g.seeking_consent),
    )


def case_facts(
    session: Session,
    case: Case,
    person: Person | None = None,
    *,
    consents: Mapping[str, consent.ConsentState] | None = None,
    remote_attempted: bool | None = None,
) -> ContactFacts:
    """The facts of ``case`` (and its person) that the gate reads; ``consents`` and
    ``remote_attempted`` when the caller has read them already (the case screen)."""
    person = person or session.get(Person, case.person_id)
    assert person is not None  # a case always has its person
    if remote_attempted is None:
        remote_attempted = (
            session.scalar(
                select(ContactAttempt.id)
                .where(
                    ContactAttempt.case_id == case.id,
                    ContactAttempt.method.in_(REMOTE_METHODS),
                    not_voided(ContactAttempt),
                )
                .limit(1)
            )
            is not None
        )
    return ContactFacts(
        consents=consents if consents is not None else consent.consent_states(session, person.id),
        has_phone=bool((person.phone or "").strip()),
        has_address=bool((person.address or "").strip()),
        no_fixed_abode=bool(person.no_fixed_abode),
        remote_attempted=remote_attempted,
    )


def case_gates(
    session: Session,
    case: Case,
    person: Person | None = None,
    *,
    consents: Mapping[str, consent.ConsentState] | None = None,
    remote_attempted: bool | None = None,
) -> dict[str, MethodGate]:
    """Every method's gate for ``case``, keyed by the stored method value."""
    facts = case_facts(session, case, person, consents=consents, remote_attempted=remote_attempted)
    return {m: method_gate(m, facts) for m in vocab.CONTACT_METHODS}


def outcome_problem(method: str, outcome: str) -> str | None:
    """Why ``outcome`` cannot go with ``method``, or None when it can."""
    offered = OUTCOMES.get(method, ())
    if outcome in offered:
        return None
    choices = ", ".join(vocab.label(o).lower() for o in offered)
    return (
        f"{vocab.label(outcome)} is not an outcome of {_METHOD_TEXT[ContactMethod(method)]}; "
        f"choose one of: {choices}."
    )


def require_attempt(
    session: Session, case: Case, method: str, outcome: str, *, number_given: bool = False
) -> MethodGate:
    """Refuse an attempt the gate does not allow (one sentence); returns the gate passed."""
    gate = case_gates(session, case)[method]
    if gate.problem:
        raise RuleViolation(gate.problem)
    problem = outcome_problem(method, outcome)
    if problem:
        raise RuleViolation(problem)
    if gate.needs_number and not number_given:
        raise RuleViolation(
            f"There is no phone number on file; type the number you used for "
            f"{_METHOD_TEXT[gate.method]}."
        )
    return gate


def letter_problem(
    session: Session,
    person: Person,
    consents: Mapping[str, consent.ConsentState] | None = None,
) -> str | None:
    """Why a letter to ``person`` may not be made or sent now, or None (the letter gate).

    ``consents`` is the person's ``consent.consent_states`` when the caller has them already."""
    facts = ContactFacts(
        consents=consents if consents is not None else consent.consent_states(session, person.id),
        has_address=bool((person.address or "").strip()),
        no_fixed_abode=bool(person.no_fixed_abode),
    )
    return method_gate(ContactMethod.LETTER, facts).problem
