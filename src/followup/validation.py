"""Validators for personal details: NHS numbers, UK phone numbers, postcodes, dates of birth.

NHS numbers use python-stdnum's mod-11 check, plus a refusal of dummy numbers made of one
repeated digit (0000000000 passes mod-11). Phone numbers use phonenumbers (Google's
libphonenumber data) and are stored in E.164. Ofcom's ranges reserved for drama count as
valid, so demonstrations and tests never need a real person's number.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from stdnum.exceptions import ValidationError
from stdnum.gb import nhs

from followup.uktime import uk_today

__all__ = [
    "date_of_birth_problem",
    "display_phone",
    "looks_like_email",
    "nhs_number_problem",
    "normalise_nhs_number",
    "normalise_phone",
    "normalise_phone_quick",
    "normalise_postcode",
    "parse_uk_date",
    "postcode_district",
]

# Ofcom's numbers for TV and radio drama: 07700 900000-900999 and 0121 496 0000-0999.
_DRAMA_RANGES = (
    ("+447700900000", "+447700900999"),
    ("+441214960000", "+441214960999"),
)

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def nhs_number_problem(value: str) -> str | None:
    """Why ``value`` is not a usable NHS number, or None when it is."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{10}", digits):
        return "an NHS number has 10 digits"
    if len(set(digits)) == 1:
        return "a dummy NHS number (one digit repeated) is not a real one"
    try:
        nhs.validate(digits)
    except ValidationError:
        return "the NHS number fails its check digit (mod-11); check it for a typo"
    return None


def normalise_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def normalise_phone(value: str) -> str | None:
    """A UK phone number in E.164 form (+447700900123), or None if it cannot be one."""
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if any(lo <= e164 <= hi and len(e164) == len(lo) for lo, hi in _DRAMA_RANGES):
        return e164
    if parsed.country_code != 44 or not phonenumbers.is_valid_number(parsed):
        return None
    return e164


_PLAIN_UK_NUMBER = re.compile(r"(?:\+44|0044|0)([1-9]\d{8,9})")


def normalise_phone_quick(value: str) -> str | None:
    """``normalise_phone``, with a fast path for plain UK numbers (07700 900123, +44 121 …).

    Bulk intake checks thousands of numbers; parsing each with phonenumbers costs about 0.1 ms.
    Spaces, hyphens and dots are dropped and a plain national or +44 number is checked
    directly; anything else goes through ``normalise_phone``. The answers are the same.
    """
    m = _PLAIN_UK_NUMBER.fullmatch(re.sub(r"[\s.-]", "", value))
    if not m:
        return normalise_phone(value)
    e164 = "+44" + m.group(1)
    if any(lo <= e164 <= hi and len(e164) == len(lo) for lo, hi in _DRAMA_RANGES):
        return e164
    number = phonenumbers.PhoneNumber(country_code=44, national_number=int(m.group(1)))
    return e164 if phonenumbers.is_valid_number(number) else None


_UK_MOBILE = re.compile(r"\+44(7[1-57-9]\d{2})(\d{6})")


def display_phone(e164: str | None) -> str:
    """A stored number as people write it in the UK: 07700 900123, 0121 496 0123."""
    if not e164:
        return ""
    # Mobiles, most of the numbers stored, the way phonenumbers writes them (07700 900123),
    # without its parse: about 0.3 ms a number, half a minute over a 100,000-case export.
    mobile = _UK_MOBILE.fullmatch(e164)
    if mobile:
        return f"0{mobile.group(1)} {mobile.group(2)}"
    try:
        parsed = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def normalise_postcode(value: str) -> str | None:
    """A UK postcode in standard form ("B5 6DD"), or None if it is not one."""
    compact = re.sub(r"\s+", "", value.upper())
    m = _POSTCODE.match(compact)
    if not m:
        return None
    return f"{m.group(1)} {m.group(2)}"


def postcode_district(postcode: str | None) -> str | None:
    """The outward code ("B5" of "B5 6DD"), the area used in reports."""
    if not postcode:
        return None
    normal = normalise_postcode(postcode)
    return normal.split(" ")[0] if normal else None


def parse_uk_date(value: str) -> date:
    """A date as ISO 8601 or UK day-first dd/mm/yyyy; two-digit years are refused."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d+)", text)
    if m:
        day, month, year = m.groups()
        if len(year) != 4:
            raise ValueError("the year must have four digits (a two-digit year is not guessed)")
        return date(int(year), int(month), int(day))
    raise ValueError("use dd/mm/yyyy or yyyy-mm-dd")


def date_of_birth_problem(born: date, today: date | None = None) -> str | None:
    today = today or uk_today()
    if born > today:
        return "the date of birth is in the future"
    if born.year < today.year - 120:
        return "the date of birth is more than 120 years ago"
    return None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def looks_like_email(text: str) -> bool:
    """Whether ``text`` has the shape of an email address (name@domain.tld, no spaces)."""
    return bool(_EMAIL.match(text))
