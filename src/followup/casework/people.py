"""Editing a person's details, with the same validation as intake."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor
from followup.casework.lifecycle import load_case_for_edit, touch
from followup.db.models import Person, PersonChange
from followup.errors import RuleViolation, require_version
from followup.validation import (
    date_of_birth_problem,
    looks_like_email,
    nhs_number_problem,
    normalise_nhs_number,
    normalise_phone,
    normalise_postcode,
)
from followup.vocab import AuditAction

__all__ = ["EDITABLE", "clean_person_fields", "update_person"]

EDITABLE = (
    "first_name",
    "last_name",
    "description",
    "date_of_birth",
    "gender",
    "nhs_number",
    "address",
    "postcode",
    "no_fixed_abode",
    "phone",
    "email",
    "gp_practice",
)


def clean_person_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise edited details; raises RuleViolation naming the first problem."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise RuleViolation(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        out[key] = value
    if out.get("nhs_number"):
        problem = nhs_number_problem(out["nhs_number"])
        if problem:
            raise RuleViolation(f"NHS number: {problem}.")
        out["nhs_number"] = normalise_nhs_number(out["nhs_number"])
    if out.get("phone"):
        phone = normalise_phone(out["phone"])
        if phone is None:
            raise RuleViolation("Phone: that is not a UK phone number; check the digits.")
        out["phone"] = phone
    if out.get("postcode"):
        postcode = normalise_postcode(out["postcode"])
        if postcode is None:
            raise RuleViolation("Postcode: that is not a UK postcode (for example B5 6DD).")
        out["postcode"] = postcode
    if out.get("date_of_birth") is not None:
        if not isinstance(out["date_of_birth"], date):
            raise RuleViolation("Date of birth: give a date.")
        problem = date_of_birth_problem(out["date_of_birth"])
        if problem:
            raise RuleViolation(f"Date of birth: {problem}.")
    if out.get("email") and not looks_like_email(out["email"]):
        raise RuleViolation("Email: that does not look like an email address.")
    if out.get("gender") and out["gender"] not in vocab.GENDERS:
        raise RuleViolation("Gender: choose from the list.")
    if "no_fixed_abode" in out:
        out["no_fixed_abode"] = bool(out["no_fixed_abode"])
    return out


def update_person(
    session: Session,
    actor: Actor,
    case_id: int,
    expected_version: int | None,
    values: dict[str, Any],
    *,
    person_version: int | None,
) -> dict[str, list[Any]]:
    """Change the details of the case's person; returns what changed (also audited).

    A person's details are shared by all their cases, so the case's version alone does not
    protect them: ``person_version`` is the person's version the user saw, and a save made
    through another case since then is refused (``StaleEdit``) rather than undone.
    """
    case = load_case_for_edit(session, actor, case_id, expected_version)
    person = session.get(Person, case.person_id)
    assert person is not None
    require_version(person.version, person_version, "this person's details")
    cleaned = clean_person_fields(values)
    after = {k: cleaned.get(k, getattr(person, k)) for k in EDITABLE}
    if not (after["first_name"] or after["last_name"] or after["description"]):
        raise RuleViolation("Keep a name, or a description when the name is not known.")
    before = {k: getattr(person, k) for k in EDITABLE}
    diff = audit.changes(before, after)
    if not diff:
        return {}
    for key in diff:
        setattr(person, key, after[key])
        # Kept for the timeline and the subject-access pack; correctable, purged with the person.
        session.add(
            PersonChange(
                person_id=person.id,
                case_id=case.id,
                changed_by_id=actor.id,
                field=key,
                before=json.dumps(diff[key][0]),
                after=json.dumps(diff[key][1]),
            )
        )
    # Every field of a person is personal: the values go where the retention purge reaches.
    audit.record_with_private(
        session,
        actor.id,
        AuditAction.UPDATE,
        "person",
        person.id,
        {"fields": sorted(diff)},
        diff,
        person.id,
    )
    touch(case)
    session.flush()
    return diff
