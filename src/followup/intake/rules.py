"""The row rules of police referral intake: what rejects a row and what is left out with a warning.

A row is rejected (quarantined) only when a required field is missing or wrong: the police
reference, the incident date and time (ISO 8601 or UK dd/mm/yyyy HH:MM, day first; not in the
future; impossible dates and two-digit years refused), or a name or description; or when the
reading found the row itself wrong (``RawRow.problems``). A rejection lists every bad field.
Zero-width and text-direction characters are removed from names and descriptions with a
warning, since they can make one name look like another. An optional
field that fails is left out with a warning naming the row, field and reason. Reasons never
quote the value, so summaries can be shown or scripted without copying personal data around.

Times without a zone are UK local time (Europe/London) and are stored in UTC.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from followup import validation
from followup.intake.read import RawRow
from followup.uktime import uk_local_to_utc
from followup.vocab import Gender, SceneConsent

__all__ = [
    "FUTURE_TOLERANCE",
    "IncomingPerson",
    "ParsedRow",
    "Problem",
    "officer_source",
    "parse_birth_date",
    "parse_incident_datetime",
    "parse_row",
    "scene_consent",
]

# Police clocks and ours may differ a little; an incident a few minutes "ahead" is not future.
FUTURE_TOLERANCE = timedelta(minutes=10)

_UK_DATETIME = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d+)(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
# Zero-width and bidirectional control characters: invisible, and able to make one name look
# like another (or reverse how it reads).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff]"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

_TRUE = {"y", "yes", "true", "1", "t"}
_FALSE = {"n", "no", "false", "0", "f"}
_UNKNOWN = {"", "unknown", "u", "not known", "unk", "?", "n/k", "nk"}
_GENDERS = {
    "f": Gender.FEMALE, "female": Gender.FEMALE, "woman": Gender.FEMALE,
    "m": Gender.MALE, "male": Gender.MALE, "man": Gender.MALE,
    "non_binary": Gender.NON_BINARY, "non-binary": Gender.NON_BINARY,
    "nonbinary": Gender.NON_BINARY, "non binary": Gender.NON_BINARY, "nb": Gender.NON_BINARY,
    "other": Gender.OTHER,
    "not_known": Gender.NOT_KNOWN, "not known": Gender.NOT_KNOWN, "unknown": Gender.NOT_KNOWN,
    "u": Gender.NOT_KNOWN,
}  # fmt: skip

# The same values come again and again in a file (postcodes, phone numbers, stations, times):
# the pure conversions below remember their recent answers (bounded, so memory stays flat).
_SEEN = 1 << 14
_postcode = lru_cache(maxsize=_SEEN)(validation.normalise_postcode)
_phone = lru_cache(maxsize=_SEEN)(validation.normalise_phone_quick)

# Column widths of the model; longer text is left out (PostgreSQL would refuse it).
_MAX = {
    "police_reference": 64,
    "force": 100,
    "officer_id": 32,
    "officer_name": 120,
    "station": 120,
    "naloxone_product": 64,
    "first_name": 100,
    "last_name": 100,
}


def parse_incident_datetime(text: str) -> datetime:
    """ISO 8601 or UK dd/mm/yyyy HH:MM (day first) as aware UTC; ValueError says why not."""
    return _incident_datetime(text.strip())


@lru_cache(maxsize=_SEEN)
def _incident_datetime(value: str) -> datetime:
    if _ISO_DATETIME.fullmatch(value):
        if len(value) == 10:
            raise ValueError("give the time of the incident as well as the date")
        try:
            parsed = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            raise ValueError("not a real date and time") from None
    else:
        m = _UK_DATETIME.fullmatch(value)
        if not m:
            raise ValueError("use dd/mm/yyyy HH:MM (day first) or ISO 8601")
        day, month, year, hour, minute, second = m.groups()
        if len(year) != 4:
            raise ValueError("the year must have four digits (a two-digit year is not guessed)")
        if hour is None:
            raise ValueError("give the time of the incident as well as the date")
        try:
            parsed = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
            )
        except ValueError:
            raise ValueError("not a real date and time") from None
    if parsed.year < 1900:
        raise ValueError("the year is before 1900")
    if parsed.tzinfo is None:
        return uk_local_to_utc(parsed)
    return parsed.astimezone(UTC)


def parse_birth_date(text: str, today: date) -> date:
    """A date of birth (dd/mm/yyyy or ISO); a spreadsheet's trailing midnight is allowed."""
    return _birth_date(text.strip(), today)


@lru_cache(maxsize=_SEEN)
def _birth_date(text: str, today: date) -> date:
    value = re.sub(r"[ T]00:00(:00)?$", "", text.strip())
    try:
        born = validation.parse_uk_date(value)
    except ValueError as exc:
        if "digit" in str(exc) or "use" in str(exc):
            raise
        raise ValueError("not a real date") from None
    problem = validation.date_of_birth_problem(born, today)
    if problem:
        raise ValueError(problem)
    return born


@dataclass(frozen=True)
class Problem:
    """A rejected row or a left-out field: the spreadsheet row, the field and why."""

    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class IncomingPerson:
    first_name: str | None = None
    last_name: str | None = None
    description: str | None = None
    date_of_birth: date | None = None
    gender: Gender | None = None
    nhs_number: str | None = None
    address: str | None = None
    postcode: str | None = None
    no_fixed_abode: bool = False
    phone: str | None = None
    email: str | None = None

    @property
    def named(self) -> bool:
        return bool(self.first_name or self.last_name)


@dataclass
class ParsedRow:
    """A row that will land (unless it is a duplicate): referral columns plus the person."""

    row: int
    police_reference: str
    force: str
    incident_at: datetime
    referral: dict[str, Any]
    person: IncomingPerson
    warnings: list[Problem] = field(default_factory=list)
    force_given: bool = True


class _Row:
    """Helpers over one raw row that collect warnings as fields are read."""

    def __init__(self, raw: RawRow) -> None:
        self.raw = raw
        self.warnings: list[Problem] = []

    def text(self, name: str) -> str | None:
        value = " ".join(self.raw.fields.get(name, "").split())
        if not value:
            return None
        limit = _MAX.get(name)
        if limit and len(value) > limit:
            self.warn(name, f"longer than {limit} characters, so left out")
            return None
        return value

    def name(self, name: str, *, long: bool = False) -> str | None:
        """A name or description, without invisible characters that could disguise it."""
        raw = self.raw.fields.get(name, "")
        shown = _INVISIBLE.sub("", raw)
        if shown != raw:
            count = len(raw) - len(shown)
            self.warn(
                name,
                f"held {count} invisible character{'s' if count != 1 else ''} (zero-width or "
                "text-direction), which could disguise the name; removed",
            )
            self.raw.fields[name] = shown
        return self.long_text(name) if long else self.text(name)

    def long_text(self, name: str) -> str | None:
        value = self.raw.fields.get(name, "").strip()
        return value or None

    def warn(self, name: str, reason: str) -> None:
        self.warnings.append(Problem(self.raw.row, name, reason))

    def checked(self, name: str, convert: Any, reason: str) -> Any:
        """The converted value, or None with a warning when ``convert`` gives None."""
        value = self.text(name)
        if value is None:
            return None
        result = convert(value)
        if result is None:
            self.warn(name, reason)
        return result

    def boolean(self, name: str) -> bool | None:
        value = (self.text(name) or "").lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if value not in _UNKNOWN:
            self.warn(name, "not a yes or no answer (use Y/N, yes/no, true/false or 1/0)")
        return None


def _doses(value: str) -> int | None:
    v = value.strip()
    if re.fullmatch(r"\d{1,2}(\.0+)?", v) and 0 <= int(float(v)) <= 10:
        return int(float(v))
    return None


def _email(value: str) -> str | None:
    return value if len(value) <= 254 and _EMAIL.fullmatch(value) else None


def _gender(value: str) -> Gender | None:
    return _GENDERS.get(value.strip().lower())


def _reference(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip().upper()


def scene_consent(value: str | None) -> SceneConsent | None:
    """Y, N or unknown from what the police wrote; None when it is none of those."""
    v = (value or "").strip().lower()
    if v in _TRUE:
        return SceneConsent.YES
    if v in _FALSE:
        return SceneConsent.NO
    if v in _UNKNOWN:
        return SceneConsent.UNKNOWN
    return None


def parse_row(raw: RawRow, *, now: datetime, default_force: str) -> ParsedRow | list[Problem]:
    """Apply the intake rules to one row: a ParsedRow (with warnings), or every reason it is
    rejected (each bad required field, and whatever the reading found wrong with the row)."""
    problems = [Problem(raw.row, name, reason) for name, reason in raw.problems]
    if raw.broken:
        return problems
    r = _Row(raw)
    reference = _reference(raw.fields.get("police_reference", ""))
    if not reference:
        problems.append(Problem(raw.row, "police_reference", "the police reference is missing"))
    elif len(reference) > _MAX["police_reference"]:
        problems.append(Problem(raw.row, "police_reference", "the police reference is too long"))

    incident_at: datetime | None = None
    when_text = raw.fields.get("incident_datetime", "").strip()
    if not when_text:
        problems.append(
            Problem(raw.row, "incident_datetime", "the incident date and time are missing")
        )
    else:
        try:
            incident_at = parse_incident_datetime(when_text)
        except ValueError as exc:
            problems.append(Problem(raw.row, "incident_datetime", str(exc)))
        else:
            if incident_at > now + FUTURE_TOLERANCE:
                problems.append(
                    Problem(
                        raw.row, "incident_datetime", "the incident date and time is in the future"
                    )
                )

    person = IncomingPerson(
        first_name=r.name("first_name"),
        last_name=r.name("last_name"),
        description=r.name("description", long=True),
    )
    if not person.named and not person.description:
        problems.append(
            Problem(
                raw.row,
                "first_name/last_name/description",
                "the row has neither a name nor a description of the person",
            )
        )
    if problems or incident_at is None:
        return problems

    force = r.text("force")
    force_given = force is not None
    if force is None:
        force = default_force

    dob_text = r.text("date_of_birth")
    if dob_text:
        try:
            person.date_of_birth = parse_birth_date(dob_text, now.date())
        except ValueError as exc:
            r.warn("date_of_birth", f"{exc}; left out")
    person.gender = r.checked("gender", _gender, "not a gender Followup knows, so left out")
    nhs_text = r.text("nhs_number")
    if nhs_text:
        problem = validation.nhs_number_problem(nhs_text)
        if problem:
            r.warn("nhs_number", f"{problem}; left out")
        else:
            person.nhs_number = validation.normalise_nhs_number(nhs_text)
    person.address = r.long_text("address")
    person.postcode = r.checked("postcode", _postcode, "not a UK postcode, so left out")
    person.no_fixed_abode = bool(r.boolean("no_fixed_abode"))
    person.phone = r.checked("phone", _phone, "cannot be a UK phone number, so left out")
    person.email = r.checked("email", _email, "not an email address, so left out")

    consent_text = r.text("consent_to_share")
    consent = scene_consent(consent_text)
    if consent is None:
        r.warn("consent_to_share", "not Y, N or unknown, so recorded as unknown")
        consent = SceneConsent.UNKNOWN

    substances = r.long_text("substances")
    if substances:
        substances = "; ".join(s.strip() for s in substances.split(";") if s.strip()) or None

    referral = {
        "incident_location": r.long_text("incident_location"),
        "incident_postcode": r.checked(
            "incident_postcode", _postcode, "not a UK postcode, so left out"
        ),
        "officer_id": r.text("officer_id"),
        "officer_name": r.text("officer_name"),
        "station": r.text("station"),
        "naloxone_doses": r.checked(
            "naloxone_doses", _doses, "not a whole number from 0 to 10, so left out"
        ),
        "naloxone_product": r.text("naloxone_product"),
        "ambulance_called": r.boolean("ambulance_called"),
        "conveyed_to_hospital": r.boolean("conveyed_to_hospital"),
        "substances": substances,
        "description": person.description,
        "consent_at_scene": consent,
        "notes": _notes(raw),
    }
    return ParsedRow(
        row=raw.row,
        police_reference=reference,
        force=force,
        incident_at=incident_at,
        referral=referral,
        person=person,
        warnings=r.warnings,
        force_given=force_given,
    )


def _notes(raw: RawRow) -> str | None:
    """The notes column, then every unknown column as a "column: value" line."""
    lines = [raw.fields.get("notes", "").strip()]
    lines += [f"{name}: {value}" for name, value in raw.extras]
    text = "\n".join(line for line in lines if line)
    return text or None


def officer_source(referral: dict[str, Any], force: str | None = None) -> str:
    """The officer who relayed scene consent: "PC Name (collar 1234), Station, Force".

    Migration 0015 builds the same text in SQL for consent recorded by earlier imports.
    """
    name, collar, station = (
        referral.get("officer_name"),
        referral.get("officer_id"),
        referral.get("station"),
    )
    who = " ".join(p for p in (name, f"(collar {collar})" if collar else None) if p)
    text = ", ".join(p for p in (who, station, force) if p)
    return text[:200] or "police officer at the scene"
