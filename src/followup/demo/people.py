"""Made-up people and police referrals for the demonstration data.

Names come from Faker's en_GB lists, drawn once into pools and then picked with a seeded
``random.Random``; places are Birmingham ones from ``demo_data``. Phone numbers are only from
Ofcom's drama ranges, NHS numbers only from the 999 test range, e-mail only at example domains.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, Generic, TypeVar

from faker import Faker

from followup.demo import data as dd
from followup.intake.traceability import classify
from followup.vocab import Gender, SceneConsent, Traceability

__all__ = [
    "DAY",
    "HOUR",
    "PERSON_COLUMNS",
    "REFERRAL_COLUMNS",
    "REPEAT_SHARE_NAMED",
    "UNNAMED_SHARE",
    "WINDOW_DAYS",
    "Overdose",
    "PeopleMaker",
    "Row",
    "Weighted",
    "Who",
    "nhs_check_digit",
    "one",
    "stamp",
]

T = TypeVar("T")
# A row of one table as written in bulk: its values in the order of that table's ``*_COLUMNS``.
Row = tuple[Any, ...]
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WINDOW_DAYS = 548  # about eighteen months

PERSON_COLUMNS = (
    "id", "first_name", "last_name", "description", "date_of_birth", "gender", "nhs_number",
    "address", "postcode", "phone", "email", "gp_practice", "no_fixed_abode", "created_at",
    "updated_at",
)  # fmt: skip
REFERRAL_COLUMNS = (
    "id", "case_id", "person_id", "police_reference", "force", "incident_at",
    "incident_location", "incident_postcode", "officer_id", "officer_name", "station",
    "naloxone_doses", "naloxone_product", "ambulance_called", "conveyed_to_hospital",
    "substances", "description", "consent_at_scene", "notes", "received_at", "source_file",
    "traceability",
)  # fmt: skip

# Overdoses found by the police by hour of day: fewest before dawn, most from midday to late.
_HOUR_WEIGHTS = (3, 2, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 7, 7, 7, 7, 6, 5, 5, 4)
# One person in six has repeat overdoses; unnamed people are never matched, so named ones
# carry the whole share.
UNNAMED_SHARE = 0.10
REPEAT_SHARE_NAMED = (1 / 6) / (1 - UNNAMED_SHARE)


def one(rng: random.Random, values: Sequence[T]) -> T:
    """A uniform choice, a few times cheaper than ``random.choice``."""
    return values[int(rng.random() * len(values))]


class Weighted(Generic[T]):
    """A fixed weighted choice, cheaper than ``random.choices`` when drawn a million times."""

    __slots__ = ("values", "cum", "total")

    def __init__(self, pairs: tuple[tuple[T, int], ...]) -> None:
        self.values = [v for v, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect(self.cum, rng.random() * self.total)]


# The vocabulary is written as plain str: the drivers adapt a str subclass (a StrEnum member)
# value by value, several times slower than a plain str, and a million cases write tens of
# millions of values. Comparisons with the members still hold (StrEnum equals its value).
_MALE, _FEMALE = Gender.MALE.value, Gender.FEMALE.value
_YES, _NO, _UNKNOWN = SceneConsent.YES.value, SceneConsent.NO.value, SceneConsent.UNKNOWN.value
_HOURS = Weighted(tuple(enumerate(_HOUR_WEIGHTS)))
_SUBSTANCES = Weighted(dd.SUBSTANCES)
_DOSES = Weighted(((1, 46), (2, 35), (3, 13), (4, 4), (5, 2)))
_GENDERS = Weighted(
    (
        (_MALE, 710),
        (_FEMALE, 268),
        (Gender.NON_BINARY.value, 8),
        (Gender.OTHER.value, 4),
        (Gender.NOT_KNOWN.value, 10),
    )
)
_REPEATS = Weighted(((2, 62), (3, 27), (4, 11)))


def stamp(at: datetime) -> str:
    """A time as both backends take it in bulk: UTC text with microseconds, as SQLAlchemy
    writes it on SQLite (``2026-03-21 12:00:00.000000``); PostgreSQL's COPY parses the same."""
    return at.isoformat(" ", "microseconds")


def nhs_check_digit(nine: str) -> int | None:
    """The mod-11 check digit of nine digits, or None when no valid number has them."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


class Overdose:
    """One police referral as drawn, before it is numbered and joined to a case."""

    __slots__ = (
        "incident_at", "location", "postcode", "officer_id", "officer_name", "station", "doses",
        "product", "ambulance", "conveyed", "substances", "consent_at_scene", "notes",
        "received_at",
    )  # fmt: skip

    def __init__(
        self, incident_at: datetime, location: str | None, postcode: str | None,
        officer_id: str, officer_name: str, station: str, doses: int | None, product: str,
        ambulance: bool, conveyed: bool, substances: str, consent_at_scene: str,
        notes: str | None, received_at: datetime,
    ) -> None:  # fmt: skip
        self.incident_at = incident_at
        self.location = location
        self.postcode = postcode
        self.officer_id = officer_id
        self.officer_name = officer_name
        self.station = station
        self.doses = doses
        self.product = product
        self.ambulance = ambulance
        self.conveyed = conveyed
        self.substances = substances
        self.consent_at_scene = consent_at_scene
        self.notes = notes
        self.received_at = received_at

    def row(self, ids: tuple[int, int, int], reference: str, who: Who) -> Row:
        """The referral's row, given (its id, its case's, its person's) and its reference."""
        received = self.received_at
        return (
            *ids, reference, dd.FORCE, stamp(self.incident_at), self.location, self.postcode,
            self.officer_id, self.officer_name, self.station, self.doses, self.product,
            self.ambulance, self.conveyed, self.substances, who.description,
            self.consent_at_scene, self.notes, stamp(received),
            f"wmp-naloxone-referrals-{received.date().isoformat()}.csv",
            who.traceability,
        )  # fmt: skip


class Who:
    """A person as drawn, and what a case history needs to know about them."""

    __slots__ = (
        "id", "first_name", "last_name", "description", "date_of_birth", "gender", "nhs_number",
        "address", "postcode", "phone", "email", "gp_practice", "no_fixed_abode", "created_at",
        "updated_at", "named", "can_phone", "mobile", "has_address", "referrals", "kits", "died",
        "traceability",
    )  # fmt: skip

    def __init__(self, gender: str) -> None:
        self.id = 0
        self.first_name: str | None = None
        self.last_name: str | None = None
        self.description: str | None = None
        self.date_of_birth: date | None = None
        self.gender = gender
        self.nhs_number: str | None = None
        self.address: str | None = None
        self.postcode: str | None = None
        self.phone: str | None = None
        self.email: str | None = None
        self.gp_practice: str | None = None
        self.no_fixed_abode = False
        self.created_at = self.updated_at = datetime.min
        self.named = self.can_phone = self.mobile = self.has_address = False
        self.referrals: list[Overdose] = []
        self.kits = 0
        self.died = False
        self.traceability = Traceability.DESCRIPTION_ONLY.value

    def settle(self) -> None:
        """Derive what the case histories ask about, once every detail is drawn."""
        self.named = self.description is None
        phone = self.phone
        self.can_phone = phone is not None
        self.mobile = bool(phone and phone.startswith("+447"))
        self.has_address = self.address is not None
        # Each demo referral gives the person's details as drawn (intake's rule).
        self.traceability = classify(
            first_name=self.first_name,
            last_name=self.last_name,
            address=self.address,
            postcode=self.postcode,
            phone=phone,
            no_fixed_abode=self.no_fixed_abode,
        ).value

    def row(self) -> Row:
        dob = self.date_of_birth
        return (
            self.id, self.first_name, self.last_name, self.description,
            dob and dob.isoformat(), self.gender,
            self.nhs_number, self.address, self.postcode, self.phone, self.email,
            self.gp_practice, self.no_fixed_abode, stamp(self.created_at),
            stamp(self.updated_at),
        )  # fmt: skip


class PeopleMaker:
    """Draws people with their referrals; every draw comes from one seeded stream."""

    def __init__(self, rng: random.Random, fake: Faker, now: datetime, cases: int) -> None:
        self.rng = rng
        self.now = now
        self.latest = now - 2 * HOUR  # the latest an overdose can be and have arrived by now
        self.male = [fake.first_name_male() for _ in range(400)]
        self.female = [fake.first_name_female() for _ in range(400)]
        self.last = [fake.last_name() for _ in range(1200)]
        self.side_streets = [
            f"{one(rng, self.last)} {one(rng, dd.STREET_SUFFIXES)}" for _ in range(300)
        ]
        self.districts = dd.DISTRICTS
        self.by_district = {d[0]: d for d in dd.DISTRICTS}
        self.officers: dict[str, list[tuple[str, str]]] = {}
        per_station = max(6, min(40, cases // 300))
        collars = rng.sample(range(2000, 23000), per_station * len(dd.STATIONS))
        for i, station in enumerate(dd.STATIONS):
            self.officers[station] = [
                (
                    str(collars[i * per_station + j]),
                    f"{'Sgt' if rng.random() < 0.1 else 'PC'} {self._first(rng.random() < 0.7)} "
                    f"{one(rng, self.last)}",
                )
                for j in range(per_station)
            ]
        self.stations = {s: f"{s} Police Station" for s in dd.STATIONS}
        # NHS numbers walk the 999 range in a seeded order, so none is given twice.
        self._nhs_step = 7919 * 2 + 1
        self._nhs_at = rng.randrange(1_000_000)
        self._nhs_left = 1_000_000

    # ----------------------------------------------------------------------- small pieces

    def _first(self, male: bool) -> str:
        return one(self.rng, self.male if male else self.female)

    def _nhs_number(self) -> str | None:
        while self._nhs_left > 0:
            self._nhs_left -= 1
            self._nhs_at = (self._nhs_at + self._nhs_step) % 1_000_000
            nine = f"999{self._nhs_at:06d}"
            check = nhs_check_digit(nine)
            if check is not None and len(set(nine + str(check))) > 1:
                return nine + str(check)
        return None

    def _postcode(self, district: dd.District) -> str:
        rng = self.rng
        letters = dd.POSTCODE_UNIT_LETTERS
        return f"{district[0]} {one(rng, district[2])}{one(rng, letters)}{one(rng, letters)}"

    def _street(self, district: dd.District) -> str:
        rng = self.rng
        return one(rng, district[3]) if rng.random() < 0.6 else one(rng, self.side_streets)

    def _phone(self) -> str:
        if self.rng.random() < 0.85:
            return f"+447700900{self.rng.randrange(1000):03d}"
        return f"+441214960{self.rng.randrange(1000):03d}"

    def _incident_time(self) -> datetime:
        rng, latest = self.rng, self.latest
        day = (self.now - DAY * rng.uniform(0, WINDOW_DAYS)).date()
        hour = _HOURS.pick(rng)
        at = datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600))
        # Never in the future, and long enough ago for the referral to have arrived.
        while at > latest:
            at -= DAY
        return at

    # --------------------------------------------------------------------------- person

    def person(self) -> Who:
        """One person with every referral they will have (the caller may use fewer)."""
        rng = self.rng
        named = rng.random() >= UNNAMED_SHARE
        gender = _GENDERS.pick(rng)
        male = gender == _MALE or (gender not in (_MALE, _FEMALE) and rng.random() < 0.5)
        home = one(rng, self.districts)
        who = Who(gender)
        k = 1
        if named and rng.random() < REPEAT_SHARE_NAMED:
            k = _REPEATS.pick(rng)
        incidents = sorted(self._incident_time() for _ in range(k))
        for i in range(1, len(incidents)):
            incidents[i] = max(incidents[i], incidents[i - 1] + 2 * DAY)
        incidents = [t for t in incidents if t <= self.latest]
        if named:
            first = self._first(male)
            last = one(rng, self.last)
            who.first_name, who.last_name = first, last
            age_days = max(18.2, min(74.0, rng.gauss(41, 9))) * 365.25
            if rng.random() < 0.92:
                who.date_of_birth = (incidents[0] - DAY * age_days).date()
                if rng.random() < 0.4:
                    who.nhs_number = self._nhs_number()
            if rng.random() < 0.65:
                who.phone = self._phone()
            if rng.random() < 0.08:
                local = "".join(c for c in f"{first}.{last}".lower() if c.isalnum() or c == ".")
                domain = "example.com" if rng.random() < 0.6 else "example.org"
                who.email = f"{local}{rng.randrange(1, 100)}@{domain}"
            if rng.random() < 0.14:
                who.no_fixed_abode = True
            elif rng.random() < 0.88:
                street = self._street(home)
                flat = f"Flat {rng.randrange(1, 40)}, " if rng.random() < 0.2 else ""
                who.address = f"{flat}{rng.randrange(1, 240)} {street}, {home[1]}, Birmingham"
                who.postcode = self._postcode(home)
                if rng.random() < 0.5:
                    who.gp_practice = one(rng, dd.GP_FORMS).format(
                        area=home[1], street=one(rng, home[3])
                    )
        else:
            who.gender = _MALE if male else _FEMALE
            who.description = (
                f"{one(rng, dd.DESCRIPTION_LOOKS)} {'male' if male else 'female'}, "
                f"about {5 * round(rng.gauss(40, 9) / 5)}, {one(rng, dd.DESCRIPTION_CLOTHES)}"
            )
        who.settle()
        who.referrals = [self.referral(who, home, at) for at in incidents]
        who.created_at = who.updated_at = who.referrals[0].received_at
        return who

    # ------------------------------------------------------------------------- referral

    def referral(self, who: Who, home: dd.District, incident_at: datetime) -> Overdose:
        rng = self.rng
        place = rng.random()
        if place < 0.3 and who.has_address:
            location, postcode = who.address, who.postcode
            district = home
        elif place < 0.5:
            location, postcode = one(rng, dd.CITY_CENTRE_PLACES)
            district = self.by_district[postcode.split()[0]]
        elif place < 0.58:
            park, code = one(rng, dd.PARKS)
            district = self.by_district[code]
            location, postcode = f"{park}, {district[1]}", self._postcode(district)
        else:
            district = home if rng.random() < 0.6 else one(rng, self.districts)
            location = one(rng, dd.PUBLIC_PLACE_FORMS).format(
                street=self._street(district), area=district[1], num=rng.randrange(1, 240)
            )
            postcode = self._postcode(district)
        collar, officer = one(rng, self.officers[district[4]])
        scene_roll = rng.random()
        if who.named:
            yes, no = 0.55, 0.70
        else:
            yes, no = 0.08, 0.25
        consent = _YES if scene_roll < yes else (_NO if scene_roll < no else _UNKNOWN)
        ambulance = rng.random() < 0.93
        received = min(incident_at + HOUR * rng.uniform(0.5, 20), self.now - timedelta(minutes=1))
        return Overdose(
            incident_at, location, postcode, collar, officer, self.stations[district[4]],
            _DOSES.pick(rng) if rng.random() < 0.97 else None,
            "nasal" if rng.random() < 0.62 else "injectable",
            ambulance, ambulance and rng.random() < 0.45, _SUBSTANCES.pick(rng), consent,
            one(rng, dd.REFERRAL_NOTES) if rng.random() < 0.15 else None, received,
        )  # fmt: skip
