"""Team-wide rules kept in the database, so every machine of a team applies the same ones.

Values are stored as text in the ``setting`` table; a missing key means the default of
DESIGN.md. Admins change them; everyone reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.casework.schedule import Schedule
from followup.db.models import Setting
from followup.errors import RuleViolation, StaleEdit, require_version
from followup.vocab import AuditAction

__all__ = [
    "DEFAULTS",
    "ClosureRules",
    "CLOSURE_KEYS",
    "closure_rules",
    "whole_numbers",
    "get_setting",
    "is_demo",
    "schedule",
    "DEFAULT_FORCE",
    "SETUP_DONE",
    "mark_setup_done",
    "NDTMS_AGENCY",
    "needs_organisation_setup",
    "default_force",
    "RULE_LIMITS",
    "set_default_force",
    "set_rule",
    "set_setting",
    "setting_version",
    "CORRECTION_WINDOW",
    "correction_window_days",
    "REOPEN_WITHIN_DAYS",
    "reopen_within_days",
]

# The police force a referral takes when its file names none (DESIGN.md: "default from settings").
DEFAULT_FORCE = "intake.default_force"
# Set once an administrator has been through (or skipped) the first-start organisation set-up.
SETUP_DONE = "setup.organisation_done"


@dataclass(frozen=True)
class ClosureRules:
    """When a case may be closed as unable to contact."""

    min_attempts: int = 3
    min_days: int = 7
    min_methods: int = 2


DEFAULTS = {
    "schedule.first_attempt_hours": "72",
    "schedule.follow_up_days": "1,3,7,14",
    "closure.unable_to_contact.min_attempts": "3",
    "closure.unable_to_contact.min_days": "7",
    "closure.unable_to_contact.min_methods": "2",
    "corrections.author_window_days": "7",
    "reoverdose.reopen_within_days": "90",
    "spikes.threshold": "3",
    "spikes.window_hours": "24",
    "kits.expiry_warning_days": "60",  # casework.kits: a kit held near expiry is replaced
}
# The agency code NDTMS gave the service, the AGNCY field of the NDTMS extract.
NDTMS_AGENCY = "ndtms.agency_code"
# A new overdose of a person whose case closed within this many days reopens that case.
REOPEN_WITHIN_DAYS = "reoverdose.reopen_within_days"


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    """A team setting's stored text, else its default from DESIGN.md, else ``default``."""
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    if value is None:
        return DEFAULTS.get(key, default)
    return value


def setting_version(session: Session, key: str) -> int:
    """The version of a stored setting; 0 while only its default applies."""
    return session.scalar(select(Setting.version).where(Setting.key == key)) or 0


def set_setting(
    session: Session,
    key: str,
    value: str,
    *,
    expected_version: int | None = None,
    what: str = "this setting",
) -> None:
    """Store a team setting (the caller checks who may).

    ``expected_version`` is the version the user saw (``setting_version``); a change made by
    someone else since then is refused with ``StaleEdit`` naming ``what``, and so is a first
    value that someone else stored at the same moment.
    """
    row = session.get(Setting, key)
    require_version(row.version if row is not None else 0, expected_version, what)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    try:
        session.flush()
    except IntegrityError:
        raise StaleEdit(
            f"Someone else changed {what} at the same moment; reload to see their change, "
            "then make yours again."
        ) from None


def _int(session: Session, key: str) -> int:
    return _ints(session, key)[0]


def _ints(session: Session, *keys: str) -> list[int]:
    """The settings ``keys`` as whole numbers (their defaults where unset or unreadable), in
    one query."""
    stored = dict(
        session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all()
    )
    values = []
    for key in keys:
        try:
            values.append(int(stored.get(key) or DEFAULTS[key]))
        except ValueError:
            values.append(int(DEFAULTS[key]))
    return values


def schedule(session: Session) -> Schedule:
    """The team's schedule of contact attempts."""
    raw = get_setting(session, "schedule.follow_up_days") or DEFAULTS["schedule.follow_up_days"]
    try:
        days = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        days = Schedule().follow_up_days
    return Schedule(
        first_attempt_hours=_int(session, "schedule.first_attempt_hours"),
        follow_up_days=days or Schedule().follow_up_days,
    )


CLOSURE_KEYS = (
    "closure.unable_to_contact.min_attempts",
    "closure.unable_to_contact.min_days",
    "closure.unable_to_contact.min_methods",
)


def whole_numbers(session: Session, *keys: str) -> dict[str, int]:
    """Whole-number team rules by key (their defaults where unset or unreadable), in one query:
    for a caller that needs several rules of different kinds at once (the case screen)."""
    return dict(zip(keys, _ints(session, *keys), strict=True))


def closure_rules(session: Session, numbers: Mapping[str, int] | None = None) -> ClosureRules:
    """The team's rule for closing a case as unable to contact (``numbers``: read already by
    ``whole_numbers`` with ``CLOSURE_KEYS``)."""
    if numbers is None:
        numbers = whole_numbers(session, *CLOSURE_KEYS)
    attempts, days, methods = (numbers[key] for key in CLOSURE_KEYS)
    return ClosureRules(min_attempts=attempts, min_days=days, min_methods=methods)


# How many days after an entry its author may still correct it (a lead may at any time).
CORRECTION_WINDOW = "corrections.author_window_days"


def correction_window_days(session: Session) -> int:
    """The days in which the author of an entry may amend it or mark it entered in error."""
    return _int(session, CORRECTION_WINDOW)


def reopen_within_days(session: Session) -> int:
    """Days after closing within which a new overdose reopens the case (0: never)."""
    return _int(session, REOPEN_WITHIN_DAYS)


def is_demo(session: Session) -> bool:
    """Whether this database holds demonstration data only."""
    return get_setting(session, "demo") == "1"


def default_force(session: Session) -> str:
    """The force a referral without one is taken to come from ("" while none is set)."""
    return get_setting(session, DEFAULT_FORCE) or ""


def set_default_force(session: Session, actor: Actor, force: str) -> None:
    """Set the default police force (administrators and leads with ``settings``); audited."""
    require(actor, "settings")
    force = " ".join(force.split())
    if not force:
        raise RuleViolation("Name the police force, for example West Midlands Police.")
    if len(force) > 100:
        raise RuleViolation("The force's name is too long; keep it under 100 characters.")
    _store_audited(session, actor, DEFAULT_FORCE, force, "the default police force")


def needs_organisation_setup(session: Session) -> bool:
    """Whether the first-start set-up (letterhead, force, services) is still to be offered."""
    return get_setting(session, SETUP_DONE) is None


def mark_setup_done(session: Session, actor: Actor) -> None:
    """The set-up was finished or skipped: it is not offered again (change things later)."""
    require(actor, "settings")
    if get_setting(session, SETUP_DONE) is None:
        set_setting(session, SETUP_DONE, "1", what="the organisation set-up")
        audit.record(session, actor.id, AuditAction.UPDATE, "setting", None, {SETUP_DONE: "1"})


# Whole-number team rules and the range each may take.
RULE_LIMITS: dict[str, tuple[int, int]] = {
    "schedule.first_attempt_hours": (1, 720),
    "closure.unable_to_contact.min_attempts": (1, 20),
    "closure.unable_to_contact.min_days": (1, 90),
    "closure.unable_to_contact.min_methods": (1, 4),
    "corrections.author_window_days": (0, 365),
    REOPEN_WITHIN_DAYS: (0, 365),
    "spikes.threshold": (2, 50),  # referrals in one district within the window: a spike
    "spikes.window_hours": (1, 168),
    "kits.expiry_warning_days": (1, 365),
}


def set_rule(session: Session, actor: Actor, key: str, value: str) -> str:
    """Change the contact schedule or the unable-to-contact rule; audited. Returns the value
    as stored. ``schedule.follow_up_days`` is a list of days after the first attempt."""
    require(actor, "settings")
    text = value.strip()
    if key == "schedule.follow_up_days":
        try:
            days = [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError:
            days = []
        if not days or any(d < 1 or d > 365 for d in days) or days != sorted(set(days)):
            raise RuleViolation(
                "Give the follow-up days as whole numbers from 1 to 365, rising, separated by "
                "commas (for example 1,3,7,14)."
            )
        text = ",".join(str(d) for d in days)
    elif key == NDTMS_AGENCY:
        text = text.upper()
        if not re.fullmatch(r"[A-Z0-9]{1,16}", text):
            raise RuleViolation(
                f"{key} is the agency code NDTMS gave the service: letters and digits only, at "
                "most 16 (for example N1234)."
            )
    elif key in RULE_LIMITS:
        low, high = RULE_LIMITS[key]
        if not text.isdigit() or not low <= int(text) <= high:
            raise RuleViolation(f"{key} is a whole number from {low} to {high}.")
        text = str(int(text))
    else:
        raise RuleViolation(f"{key} is not a team rule.")
    _store_audited(session, actor, key, text, key)
    return text


def _store_audited(session: Session, actor: Actor, key: str, value: str, what: str) -> None:
    """Store a changed setting and audit it with its value before and after."""
    before = get_setting(session, key)
    if before != value:
        set_setting(session, key, value, what=what)
        audit.record(session, actor.id, AuditAction.UPDATE, "setting", None, {key: [before, value]})
