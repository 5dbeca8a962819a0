"""A referral's traceability class in SQL, from its person's record.

The same rules as ``followup.intake.traceability`` (which intake uses on the referral's own
fields), written over the ``person`` row for a referral written through the ORM without a
class (a correction, a test's fixture): the person's stored phone is already a checked UK
number (E.164) and their stored postcode a checked one, so presence is enough for those two.
Migration 0022 keeps its own copy of this expression for the backfill.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["ADDRESS_PLACEHOLDERS", "MIN_ADDRESS_CHARACTERS", "traceability_of", "traceability_sql"]

MIN_ADDRESS_CHARACTERS = 5
# What the police write when they have no address; compared whole, lower case (intake
# compares the referral's own address with the same list).
ADDRESS_PLACEHOLDERS = (
    "unknown",
    "not known",
    "no fixed abode",
    "homeless",
    "not given",
    "refused",
    "no address",
    "not stated",
)


def traceability_sql(person: Any) -> ColumnElement[str]:
    """The class as a SQL expression over a ``person`` table (or alias)."""
    p = person.c
    named = or_(
        func.trim(func.coalesce(p.first_name, "")) != "",
        func.trim(func.coalesce(p.last_name, "")) != "",
    )
    line = func.trim(func.coalesce(p.address, ""))
    address = and_(
        not_(func.coalesce(p.no_fixed_abode, False)),
        or_(
            func.coalesce(p.postcode, "") != "",
            and_(
                func.length(line) >= MIN_ADDRESS_CHARACTERS,
                func.lower(line).not_in(ADDRESS_PLACEHOLDERS),
            ),
        ),
    )
    phone = func.coalesce(p.phone, "") != ""
    return case(
        (not_(named), "description_only"),
        (and_(address, phone), "full"),
        (address, "name_address"),
        (phone, "name_phone"),
        else_="name_only",
    )


def traceability_of(connection: Connection, person: Any, person_id: int | None) -> str:
    """The class for a referral of this person, read with ``connection``."""
    if person_id is None:
        return "description_only"
    found = connection.scalar(select(traceability_sql(person)).where(person.c.id == person_id))
    return found or "description_only"
