"""How traceable a referral is, from what the police gave with it (issue 17).

Each referral gets one class at intake (``referral.traceability``), from the referral's own
fields, whatever the person's record already held:

- **Usable phone**: a number that parses as a UK number (``validation.normalise_phone_quick``,
  phonenumbers); a number that cannot be one is left out at intake with a warning, so it
  does not count.
- **Usable address**: not marked no fixed abode, and either a valid UK postcode or an address
  line of at least five characters that is not a placeholder ("unknown", "not known", "no
  fixed abode", "homeless", "not given", "refused", "no address", "not stated").
- **Named**: a first or last name was given.

The classes: *Name, address and phone* (``full``), *Name and address*, *Name and phone*, *Name
only* (a name but no usable address or phone) and *Description only* (no name: the police only
described the person, whatever else they gave, since nobody can be asked for by name).
*Name only* and *Description only* are "not traceable at intake" (``vocab.UNTRACEABLE``).

Migration 0022 filled the class of earlier referrals by the same rules in SQL, from the
person's record (the referral did not keep its own address and phone); referrals written
through the ORM without a class get it the same way (``followup.db.traceability``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup import validation
from followup.db.models import Referral
from followup.db.traceability import ADDRESS_PLACEHOLDERS, MIN_ADDRESS_CHARACTERS
from followup.vocab import Traceability

__all__ = [
    "ADDRESS_PLACEHOLDERS",
    "MIN_ADDRESS_CHARACTERS",
    "classify",
    "latest_classes",
    "usable_address",
    "usable_phone",
]


def usable_phone(phone: str | None) -> bool:
    """Whether ``phone`` is a number the service could ring (a UK number)."""
    return (
        bool(phone and phone.strip()) and validation.normalise_phone_quick(phone or "") is not None
    )


def usable_address(address: str | None, postcode: str | None, no_fixed_abode: bool = False) -> bool:
    """Whether a letter or a visit could find the person (see the module for the rule)."""
    if no_fixed_abode:
        return False
    if postcode and validation.normalise_postcode(postcode):
        return True
    line = (address or "").strip()
    return len(line) >= MIN_ADDRESS_CHARACTERS and line.lower() not in ADDRESS_PLACEHOLDERS


def classify(
    *,
    first_name: str | None,
    last_name: str | None,
    address: str | None,
    postcode: str | None,
    phone: str | None,
    no_fixed_abode: bool = False,
) -> Traceability:
    """The traceability class of a referral that gave these details."""
    if not ((first_name or "").strip() or (last_name or "").strip()):
        return Traceability.DESCRIPTION_ONLY
    address_ok = usable_address(address, postcode, no_fixed_abode)
    phone_ok = usable_phone(phone)
    if address_ok and phone_ok:
        return Traceability.FULL
    if address_ok:
        return Traceability.NAME_ADDRESS
    if phone_ok:
        return Traceability.NAME_PHONE
    return Traceability.NAME_ONLY


def latest_classes(session: Session, case_ids: Iterable[int]) -> dict[int, Traceability]:
    """Each case's traceability: that of its latest referral (received last), for the inbox."""
    wanted = sorted(set(case_ids))
    found: dict[int, Traceability] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Referral.case_id, Referral.traceability)
            .where(Referral.case_id.in_(wanted[start : start + 500]))
            .order_by(Referral.received_at, Referral.id)
        )
        for case_id, value in rows:
            found[case_id] = Traceability(value)
    return found
