"""The naloxone kit lifecycle: kits near expiry on open cases, and a batch recall search.

A person holds the kit of their latest supply that counts (not entered in error or amended):
a later supply replaces every earlier kit, so a resupply after expiry clears the prompt, and
a later supply marked in error brings the earlier kit back. When the kit held expires within
the team's warning period (``kits.expiry_warning_days``, default 60 days; a kit that has
expired already counts too), each open case of the person gets "Offer a replacement kit" as
part of its next step (``next_step.step_info``) and is listed on the dashboard's Kits tab.

The recall search lists everyone who received a batch, whoever's caseload they are on, with
their contact consent in force (``consent.consent_states_of``); it is for team leads and is
audited as a search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework import team_rules
from followup.casework.consent import ConsentState, consent_states_of
from followup.db.models import Case, NaloxoneSupply, Person, not_voided, person_display_name
from followup.errors import RuleViolation
from followup.uktime import short_date, uk_today
from followup.vocab import AuditAction, CaseStatus, ConsentScope

__all__ = [
    "CONTACT_SCOPES",
    "CONTACT_SCOPE_NAMES",
    "EXPIRY_WARNING_DAYS",
    "ExpiringKit",
    "RecallEntry",
    "expiring_kits",
    "held_prompt",
    "normalise_batch",
    "prompt_text",
    "recall",
    "replacement_prompts",
    "warning_days",
]

# The team rule: how many days before its expiry a kit held is due for replacement.
EXPIRY_WARNING_DAYS = "kits.expiry_warning_days"

# The consent a recall needs to reach each person, in the order the list shows it.
CONTACT_SCOPES: tuple[ConsentScope, ...] = (
    ConsentScope.CONTACT_PHONE,
    ConsentScope.CONTACT_SMS,
    ConsentScope.CONTACT_LETTER,
    ConsentScope.HOME_VISIT,
)
# Their short names, as the recall list's columns and the command line name them.
CONTACT_SCOPE_NAMES: dict[str, str] = {
    ConsentScope.CONTACT_PHONE: "Phone",
    ConsentScope.CONTACT_SMS: "Text",
    ConsentScope.CONTACT_LETTER: "Letter",
    ConsentScope.HOME_VISIT: "Home visit",
}

_CHUNK = 500


def warning_days(session: Session) -> int:
    """The team's warning period for kits near expiry, in days (default 60)."""
    raw = team_rules.get_setting(session, EXPIRY_WARNING_DAYS)
    try:
        return int(raw or team_rules.DEFAULTS[EXPIRY_WARNING_DAYS])
    except ValueError:
        return int(team_rules.DEFAULTS[EXPIRY_WARNING_DAYS])


def prompt_text(expires_on: date, today: date | None = None) -> str:
    """The next step for a kit near or past its expiry, in words."""
    today = today or uk_today()
    verb = "expired" if expires_on < today else "expires"
    return f"Offer a replacement kit ({verb} {short_date(expires_on)})"


@dataclass(frozen=True)
class ExpiringKit:
    """An open case whose person's kit held expires within the warning period (or has)."""

    case_id: int
    police_reference: str
    person_id: int
    person: str  # the display name
    status: str
    assigned_worker_id: int | None
    kit_type: str
    quantity: int
    batch_number: str
    supplied_on: date
    expires_on: date
    days_left: int  # below 0 once expired

    @property
    def next_step(self) -> str:
        return prompt_text(self.expires_on, self.expires_on - timedelta(days=self.days_left))

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "police_reference": self.police_reference,
            "person_id": self.person_id,
            "person": self.person,
            "status": self.status,
            "assigned_worker_id": self.assigned_worker_id,
            "kit_type": self.kit_type,
            "quantity": self.quantity,
            "batch_number": self.batch_number,
            "supplied_on": self.supplied_on.isoformat(),
            "expires_on": self.expires_on.isoformat(),
            "days_left": self.days_left,
            "next_step": self.next_step,
        }


def _kits_held(people: Any = None) -> Any:
    """Each person's latest supply that counts (one row a person), as a subquery; with
    ``people`` (a select of person ids), only theirs."""
    ranked = (
        select(
            NaloxoneSupply.person_id,
            NaloxoneSupply.kit_type,
            NaloxoneSupply.quantity,
            NaloxoneSupply.batch_number,
            NaloxoneSupply.supplied_on,
            NaloxoneSupply.expires_on,
            func.row_number()
            .over(
                partition_by=NaloxoneSupply.person_id,
                order_by=(NaloxoneSupply.supplied_on.desc(), NaloxoneSupply.id.desc()),
            )
            .label("newest_first"),
        )
        .where(
            not_voided(NaloxoneSupply),
            *([] if people is None else [NaloxoneSupply.person_id.in_(people)]),
        )
        .subquery()
    )
    return (
        select(ranked)
        .where(ranked.c.newest_first == 1, ranked.c.expires_on.is_not(None))
        .subquery("held")
    )


def _expiring_query(last_day: date, case_ids: list[int] | None = None) -> Any:
    if case_ids is None:
        held = _kits_held()
    else:  # a page of cases: rank only their people's kits (ix_naloxone_supply_person_latest)
        held = _kits_held(select(Case.person_id).where(Case.id.in_(case_ids)))
    query = (
        select(
            Case.id,
            Case.police_reference,
            Case.person_id,
            Case.status,
            Case.assigned_worker_id,
            Person.first_name,
            Person.last_name,
            Person.description,
            held.c.kit_type,
            held.c.quantity,
            held.c.batch_number,
            held.c.supplied_on,
            held.c.expires_on,
        )
        .join(held, held.c.person_id == Case.person_id)
        .join(Person, Person.id == Case.person_id)
        .where(Case.status != CaseStatus.CLOSED, held.c.expires_on <= last_day)
        .order_by(held.c.expires_on, Case.id)
    )
    return query if case_ids is None else query.where(Case.id.in_(case_ids))


def _row(r: Any, today: date) -> ExpiringKit:
    return ExpiringKit(
        case_id=r.id,
        police_reference=r.police_reference,
        person_id=r.person_id,
        person=person_display_name(r.first_name, r.last_name, r.description),
        status=r.status,
        assigned_worker_id=r.assigned_worker_id,
        kit_type=r.kit_type,
        quantity=r.quantity,
        batch_number=r.batch_number or "",
        supplied_on=r.supplied_on,
        expires_on=r.expires_on,
        days_left=(r.expires_on - today).days,
    )


def expiring_kits(
    session: Session, actor: Actor, days: int | None = None, today: date | None = None
) -> list[ExpiringKit]:
    """The open cases whose person's kit held expires within ``days`` (the team's warning
    period when None) of ``today``, or has expired: soonest first. A lead sees the team's, a
    worker their own cases'."""
    if days is None:
        days = warning_days(session)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
        raise RuleViolation("The number of days ahead is a whole number from 0 to 3650.")
    today = today or uk_today()
    query = _expiring_query(today + timedelta(days=days))
    if not actor.can("view_all_cases"):
        require(actor, "view_own_cases")
        query = query.where(Case.assigned_worker_id == actor.id)
    return [_row(r, today) for r in session.execute(query)]


def replacement_prompts(
    session: Session, case_ids: Iterable[int], today: date | None = None
) -> dict[int, str]:
    """The step "Offer a replacement kit (expires …)" of each of these cases that is open and
    whose person's kit held is near or past expiry, in one query per 500 cases (and one for
    the setting). The caller has already checked who may see the cases."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    today = today or uk_today()
    last_day = today + timedelta(days=warning_days(session))
    prompts: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for r in session.execute(_expiring_query(last_day, chunk)):
            prompts[r.id] = prompt_text(r.expires_on, today)
    return prompts


def held_prompt(
    supplies: Iterable[NaloxoneSupply],
    case_status: str,
    days: int,
    today: date | None = None,
) -> str:
    """The replacement prompt of one case from its person's supplies that count, newest first
    (by ``supplied_on``, then id), when the caller has read them already (the case screen):
    the same as ``replacement_prompts`` gives the case, with ``days`` the warning period."""
    held = next(iter(supplies), None)
    if held is None or held.expires_on is None or case_status == CaseStatus.CLOSED:
        return ""
    today = today or uk_today()
    if held.expires_on > today + timedelta(days=days):
        return ""
    return prompt_text(held.expires_on, today)


@dataclass(frozen=True)
class RecallEntry:
    """One supply of the recalled batch: who received it, on which case, and how to reach
    them (the consent in force for each contact scope)."""

    supply_id: int
    case_id: int
    police_reference: str
    case_status: str
    person_id: int
    person: str
    batch_number: str
    supplied_on: date
    quantity: int
    recipient: str
    expires_on: date | None
    consent: dict[str, ConsentState]

    def consent_text(self, scope: str) -> str:
        return self.consent[scope].text

    def as_json(self) -> dict[str, Any]:
        return {
            "supply_id": self.supply_id,
            "case_id": self.case_id,
            "police_reference": self.police_reference,
            "case_status": self.case_status,
            "person_id": self.person_id,
            "person": self.person,
            "batch_number": self.batch_number,
            "supplied_on": self.supplied_on.isoformat(),
            "quantity": self.quantity,
            "recipient": self.recipient,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "consent": {
                scope: {
                    "state": state.state.value if state.state else None,
                    "in_force": state.in_force,
                    "expired": state.expired,
                    "text": state.text,
                }
                for scope in CONTACT_SCOPES
                for state in (self.consent[scope],)
            },
        }


def normalise_batch(batch: str) -> str:
    """The batch number as searched: spaces around it dropped; refused when empty."""
    text = (batch or "").strip()
    if not text:
        raise RuleViolation("Enter the batch number to search for, as printed on the kit.")
    if len(text) > 64:
        raise RuleViolation("A batch number is at most 64 characters.")
    return text


def recall(
    session: Session, actor: Actor, batch: str, today: date | None = None
) -> list[RecallEntry]:
    """Every supply of ``batch`` that counts (the batch number matched whole, in any case),
    across every caseload, with each person's contact consent in force: for team leads; the
    search is audited with the number found."""
    require(actor, "view_all_cases")
    text = normalise_batch(batch)
    rows = session.execute(
        select(
            NaloxoneSupply.id,
            NaloxoneSupply.case_id,
            NaloxoneSupply.person_id,
            NaloxoneSupply.batch_number,
            NaloxoneSupply.supplied_on,
            NaloxoneSupply.quantity,
            NaloxoneSupply.recipient,
            NaloxoneSupply.expires_on,
            Case.police_reference,
            Case.status,
            Person.first_name,
            Person.last_name,
            Person.description,
        )
        .join(Case, Case.id == NaloxoneSupply.case_id)
        .join(Person, Person.id == NaloxoneSupply.person_id)
        .where(func.lower(NaloxoneSupply.batch_number) == text.lower(), not_voided(NaloxoneSupply))
        .order_by(NaloxoneSupply.supplied_on, NaloxoneSupply.id)
    ).all()
    consents = consent_states_of(session, (r.person_id for r in rows), today)
    entries = [
        RecallEntry(
            supply_id=r.id,
            case_id=r.case_id,
            police_reference=r.police_reference,
            case_status=r.status,
            person_id=r.person_id,
            person=person_display_name(r.first_name, r.last_name, r.description),
            batch_number=r.batch_number or "",
            supplied_on=r.supplied_on,
            quantity=r.quantity,
            recipient=r.recipient,
            expires_on=r.expires_on,
            consent=consents[r.person_id],
        )
        for r in rows
    ]
    audit.record(
        session,
        actor.id,
        AuditAction.VIEW,
        "search",
        None,
        {
            "screen": "kit_recall",
            "fields": ["batch_number"],
            "batch_number": text,
            "results": len(entries),
            "people": len({e.person_id for e in entries}),
        },
    )
    return entries
