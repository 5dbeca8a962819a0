"""The services directory: the treatment and support services a person can be referred to.

Administrators keep it (``manage_services``): add a service, change its details, and switch
it off when it closes (a service is never deleted, since referrals name it; a switched-off one
is no longer offered). Each change is audited, and made with the version of the entry the user
saw, so two administrators cannot undo each other's change. Workers choose from the active
services (``followup.casework.treatment.services``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor, require
from followup.db.models import Service
from followup.errors import NotFound, RuleViolation, require_version
from followup.validation import display_phone, looks_like_email, normalise_phone
from followup.vocab import AuditAction

__all__ = [
    "FIELDS",
    "ServiceEntry",
    "add_service",
    "directory",
    "set_service_active",
    "update_service",
]

FIELDS = ("name", "service_type", "address", "phone", "secure_email", "referral_notes")
_LIMITS = {"name": 200, "address": 400, "secure_email": 254, "referral_notes": 2000}


@dataclass(frozen=True)
class ServiceEntry:
    """One service as the directory screen shows it; text left blank is ""."""

    id: int
    name: str
    service_type: str
    address: str
    phone: str  # as a person reads it
    secure_email: str
    referral_notes: str
    active: bool
    version: int


def _entry(s: Service) -> ServiceEntry:
    return ServiceEntry(
        id=s.id,
        name=s.name,
        service_type=s.service_type,
        address=s.address or "",
        phone=display_phone(s.phone) if s.phone else "",
        secure_email=s.secure_email or "",
        referral_notes=s.referral_notes or "",
        active=s.active,
        version=s.version,
    )


def directory(session: Session, actor: Actor) -> list[ServiceEntry]:
    """Every service, active ones first, by name (administrators)."""
    require(actor, "manage_services")
    rows = session.scalars(select(Service).order_by(Service.active.desc(), Service.name))
    return [_entry(s) for s in rows]


def _clean(session: Session, values: dict[str, Any], service_id: int | None) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise RuleViolation(f"Unknown service fields: {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    for key, value in values.items():
        text = (value or "").replace("\r\n", "\n").strip() if isinstance(value, str) else value
        out[key] = text or None
    if "name" in out:
        if not out["name"]:
            raise RuleViolation("A service needs a name.")
        taken = session.scalar(
            select(Service.id).where(
                func.lower(Service.name) == out["name"].lower(),
                Service.id != (service_id or 0),
            )
        )
        if taken is not None:
            raise RuleViolation(
                f"The directory already has a service called {out['name']}; choose another name."
            )
    if "service_type" in out and out["service_type"] not in vocab.SERVICE_TYPES:
        raise RuleViolation("Choose the kind of service from the list.")
    for key, limit in _LIMITS.items():
        if out.get(key) and len(out[key]) > limit:
            raise RuleViolation(
                f"The {key.replace('_', ' ')} is too long; keep it under {limit} characters."
            )
    if out.get("phone"):
        phone = normalise_phone(out["phone"])
        if phone is None:
            raise RuleViolation("Phone: that is not a UK phone number; check the digits.")
        out["phone"] = phone
    if out.get("secure_email") and not looks_like_email(out["secure_email"]):
        raise RuleViolation("Secure email: that does not look like an email address.")
    return out


def add_service(session: Session, actor: Actor, **values: Any) -> ServiceEntry:
    """Add a service to the directory (administrators); it is offered at once."""
    require(actor, "manage_services")
    cleaned = _clean(session, {"service_type": None, **values}, None)
    if not cleaned.get("name"):
        raise RuleViolation("A service needs a name.")
    service = Service(active=True, **cleaned)
    session.add(service)
    session.flush()
    audit.record(
        session,
        actor.id,
        AuditAction.CREATE,
        "service",
        service.id,
        {"name": service.name, "service_type": service.service_type},
    )
    return _entry(service)


def _existing(session: Session, service_id: int, expected_version: int | None) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise NotFound("That service is no longer in the directory; reload the list.")
    require_version(service.version, expected_version, "this service")
    return service


def update_service(
    session: Session,
    actor: Actor,
    service_id: int,
    expected_version: int | None,
    **values: Any,
) -> ServiceEntry:
    """Change a service's details; referrals already made keep pointing at it."""
    require(actor, "manage_services")
    service = _existing(session, service_id, expected_version)
    cleaned = _clean(session, values, service.id)
    before = {k: getattr(service, k) for k in cleaned}
    diff = audit.changes(before, cleaned)
    for key in diff:
        setattr(service, key, cleaned[key])
    if diff:
        session.flush()
        audit.record(session, actor.id, AuditAction.UPDATE, "service", service.id, diff)
    return _entry(service)


def set_service_active(
    session: Session,
    actor: Actor,
    service_id: int,
    active: bool,
    expected_version: int | None,
) -> ServiceEntry:
    """Switch a service off (no longer offered) or back on."""
    require(actor, "manage_services")
    service = _existing(session, service_id, expected_version)
    if service.active != active:
        service.active = active
        session.flush()
        audit.record(
            session,
            actor.id,
            AuditAction.UPDATE,
            "service",
            service.id,
            {"active": [not active, active]},
        )
    return _entry(service)
