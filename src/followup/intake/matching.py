"""Matching incoming referrals to known people, so that a repeat overdose is seen as one.

Rules (DESIGN.md, intake): the same NHS number links automatically. Otherwise the same date of
birth with a close name: names are normalised (accents and case folded, apostrophes and full
stops dropped so O'Brien = OBrien, other punctuation a space so "Smith, John" = "John Smith")
and compared with rapidfuzz's token_sort_ratio, which ignores word order and forgives small
spelling differences (Jon ~ John scores 95). A score of at least ``CERTAIN`` links
automatically, unless the genders recorded disagree; a score of at least ``POSSIBLE``, or one
name wholly inside the other ("Khan" and "Aisha Khan"), is uncertain and waits for a person to
decide. Two different NHS numbers always mean two people. People without a date of birth and
unnamed people (a description only) are linked only by NHS number.

Candidates are narrowed in SQL by NHS number and date of birth (both indexed), one batch of
rows at a time, before any fuzzy comparison; people created earlier in the same file are
candidates too.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Row, select, text
from sqlalchemy.orm import Session

from followup.db.engine import enforced_by_server
from followup.db.models import Person
from followup.intake.rules import IncomingPerson
from followup.vocab import Gender, MatchOutcome

__all__ = [
    "CERTAIN",
    "POSSIBLE",
    "QUERY_BATCH",
    "Candidate",
    "MatchResult",
    "Matcher",
    "name_key",
    "name_score",
    "names_nested",
]

CERTAIN = 92.0
POSSIBLE = 80.0
# Keep IN lists well under every backend's parameter limit.
QUERY_BATCH = 500


def name_key(first: str | None, last: str | None) -> str:
    """A name for comparison: "O'Brien, Seán" -> "obrien sean"."""
    return _name_key(first or "", last or "")


@lru_cache(maxsize=1 << 16)
def _name_key(first: str, last: str) -> str:
    # Cached: a batch compares thousands of known people, and names repeat a great deal.
    text = f"{first} {last}"
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’‘`´.]", "", text)
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


def name_score(a: str, b: str) -> float:
    """0-100: how close two normalised names are, word order ignored."""
    return float(fuzz.token_sort_ratio(a, b))


def names_nested(a: str, b: str) -> bool:
    """One name's words all appear in the other ("khan" in "aisha khan")."""
    if not (a and b):
        return False
    words_a, words_b = _words(a), _words(b)
    return words_a <= words_b or words_b <= words_a


@lru_cache(maxsize=1 << 16)
def _words(key: str) -> frozenset[str]:
    return frozenset(key.split())


@dataclass(eq=False)
class Candidate:
    """A person a referral may belong to: known already, or created earlier in this file.

    ``person_id`` is None until a person created by this import has been written.
    """

    person_id: int | None
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    nhs_number: str | None
    gender: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    email: str | None = None
    in_file: bool = False
    incoming: IncomingPerson | None = None
    # Details learnt from this file's rows that the stored record does not have yet.
    unsaved: set[str] = field(default_factory=set)
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = name_key(self.first_name, self.last_name)

    @classmethod
    def from_incoming(cls, person: IncomingPerson) -> Candidate:
        return cls(
            person_id=None,
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth,
            nhs_number=person.nhs_number,
            gender=person.gender,
            phone=person.phone,
            address=person.address,
            postcode=person.postcode,
            email=person.email,
            in_file=True,
            incoming=person,
        )


@dataclass
class MatchResult:
    """``linked`` to a candidate, ``review`` (new person, candidate to decide on) or ``new``."""

    outcome: MatchOutcome
    candidate: Candidate | None = None
    score: float = 0.0


_COLUMNS = (
    Person.id,
    Person.first_name,
    Person.last_name,
    Person.date_of_birth,
    Person.nhs_number,
    Person.gender,
    Person.phone,
    Person.address,
    Person.postcode,
    Person.email,
    Person.merged_into_id,
)

# A row of ``_COLUMNS``; typed loosely, since SQLAlchemy types each column of a row separately.
_PersonRow = Row[*tuple[Any, ...]]


def _candidate(row: _PersonRow) -> Candidate:
    return Candidate(
        person_id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        nhs_number=row.nhs_number,
        gender=row.gender,
        phone=row.phone,
        address=row.address,
        postcode=row.postcode,
        email=row.email,
    )


def _batches(values: Iterable[object]) -> Iterable[list[object]]:
    items = list(values)
    for start in range(0, len(items), QUERY_BATCH):
        yield items[start : start + QUERY_BATCH]


class Matcher:
    """Finds the person for each incoming referral; ``preload`` each batch of rows first.

    Known people fetched by birth date are held as rows with their name key and become a
    ``Candidate`` only when one is chosen (most are compared and dropped), one object per
    person for the batch, so that details it gains are seen by later rows of the batch.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._db_by_nhs: dict[str, Candidate] = {}
        self._db_by_dob: dict[date, list[tuple[str, _PersonRow]]] = {}
        self._file_by_nhs: dict[str, Candidate] = {}
        self._file_by_dob: dict[date, list[Candidate]] = defaultdict(list)
        self._db_by_id: dict[int, Candidate] = {}
        self._server_rows: dict[int, _PersonRow] | None = None

    def preload(self, people: Iterable[IncomingPerson]) -> None:
        """Fetch the known people who could match this batch (same NHS number or birth date)."""
        people = list(people)
        nhs = {p.nhs_number for p in people if p.nhs_number} - set(self._file_by_nhs)
        dobs = {p.date_of_birth for p in people if p.date_of_birth and p.named}
        # Only this batch's candidates are held, so memory stays bounded on a long file.
        self._db_by_nhs, self._db_by_dob, self._db_by_id = {}, {}, {}
        if enforced_by_server(self.session):
            self._preload_from_server(sorted(nhs), sorted(dobs))
            return
        conn = self.session.connection()  # Core rows: no ORM bookkeeping per person
        for chunk in _batches(sorted(nhs)):
            rows = conn.execute(select(*_COLUMNS).where(Person.nhs_number.in_(chunk)))
            for row in rows:
                kept = self._follow_merges(row)
                if kept is not None and row.nhs_number not in self._db_by_nhs:
                    self._db_by_nhs[row.nhs_number] = kept
        for chunk in _batches(sorted(dobs)):
            rows = conn.execute(
                select(*_COLUMNS).where(
                    Person.date_of_birth.in_(chunk), Person.merged_into_id.is_(None)
                )
            )
            for row in rows:
                self._hold(row)

    def _hold(self, row: _PersonRow) -> None:
        """Keep a known person, by birth date, as a candidate for this batch."""
        # By position (the order of ``_COLUMNS``): much cheaper than by name, per person.
        key = _name_key(row[1] or "", row[2] or "")
        if key:  # an unnamed person is never matched by name
            self._db_by_dob.setdefault(row[3], []).append((key, row))

    def _preload_from_server(self, nhs: list[str], dobs: list[date]) -> None:
        """On a team server, where a worker may not read everyone: the server's definer
        function returns the candidates (and the records they were merged into), no more."""
        rows: dict[int, _PersonRow] = {}
        for start in range(0, max(len(nhs), len(dobs)), QUERY_BATCH):
            found = self.session.execute(
                text(
                    "SELECT * FROM followup_match_candidates("
                    "CAST(:nhs AS text[]), CAST(:dobs AS date[]))"
                ),
                {
                    "nhs": nhs[start : start + QUERY_BATCH],
                    "dobs": dobs[start : start + QUERY_BATCH],
                },
            )
            rows.update((row.id, row) for row in found)
        self._server_rows = rows
        wanted_nhs, wanted_dobs = set(nhs), set(dobs)
        for row in rows.values():
            if row.nhs_number in wanted_nhs:
                kept = self._follow_merges(row)
                if kept is not None and row.nhs_number not in self._db_by_nhs:
                    self._db_by_nhs[row.nhs_number] = kept
            if row.date_of_birth in wanted_dobs and row.merged_into_id is None:
                self._hold(row)

    def _known(self, row: _PersonRow) -> Candidate:
        candidate = self._db_by_id.get(row.id)
        if candidate is None:
            candidate = _candidate(row)
            self._db_by_id[row.id] = candidate
        return candidate

    def _follow_merges(self, row: _PersonRow | None) -> Candidate | None:
        """The kept person for a merged record (merges can chain, but never loop)."""
        seen: set[int] = set()
        while row is not None and row.merged_into_id is not None:
            if row.id in seen:
                return None
            seen.add(row.id)
            if self._server_rows is not None:
                row = self._server_rows.get(row.merged_into_id)
                continue
            row = self.session.execute(
                select(*_COLUMNS).where(Person.id == row.merged_into_id)
            ).first()
        return self._known(row) if row is not None else None

    def match(self, person: IncomingPerson) -> MatchResult:
        """Decide who this incoming person is, among known people and this file's people."""
        if person.nhs_number:
            hit = self._file_by_nhs.get(person.nhs_number) or self._db_by_nhs.get(person.nhs_number)
            if hit is not None:
                return MatchResult(MatchOutcome.LINKED, hit, 100.0)
        if not (person.date_of_birth and person.named):
            return MatchResult(MatchOutcome.NEW)
        key = name_key(person.first_name, person.last_name)
        best: tuple[float, bool, Candidate | _PersonRow] | None = None
        pool: list[tuple[str, Candidate | _PersonRow]] = [
            (c.key, c) for c in self._file_by_dob.get(person.date_of_birth, ())
        ]
        pool += self._db_by_dob.get(person.date_of_birth, ())
        for candidate_key, held in pool:
            if person.nhs_number:
                if isinstance(held, Candidate):
                    other = held.nhs_number
                else:  # a known person's NHS number may have been filled in by this batch
                    made = self._db_by_id.get(held[0])
                    other = made.nhs_number if made is not None else held[4]
                if other and other != person.nhs_number:
                    continue  # two different NHS numbers are two different people
            if not candidate_key:
                continue
            score = name_score(key, candidate_key)
            nested = names_nested(key, candidate_key)
            if best is None or (score, nested) > best[:2]:
                best = (score, nested, held)
        if best is None:
            return MatchResult(MatchOutcome.NEW)
        score, nested, held = best
        candidate = held if isinstance(held, Candidate) else self._known(held)
        genders_differ = (
            bool(person.gender and candidate.gender)
            and (person.gender != candidate.gender)
            and Gender.NOT_KNOWN not in (person.gender, candidate.gender)
        )
        if score >= CERTAIN and not genders_differ:
            return MatchResult(MatchOutcome.LINKED, candidate, score)
        if score >= POSSIBLE or nested:
            return MatchResult(MatchOutcome.REVIEW, candidate, score)
        return MatchResult(MatchOutcome.NEW)

    def forget_file(self) -> None:
        """Drop the people created by earlier batches of this file: once written they are found
        in the database like anyone known (in the same transaction), so memory stays flat on
        a long file."""
        self._file_by_nhs = {}
        self._file_by_dob = defaultdict(list)

    def remember(self, candidate: Candidate) -> None:
        """Make a person created by this import a candidate for the rest of the file."""
        if candidate.nhs_number:
            self._file_by_nhs.setdefault(candidate.nhs_number, candidate)
        if candidate.date_of_birth and candidate.key:
            self._file_by_dob[candidate.date_of_birth].append(candidate)

    def learn(self, candidate: Candidate, person: IncomingPerson) -> None:
        """A linked person gained details from this referral (blanks filled in)."""
        if person.nhs_number and not candidate.nhs_number:
            candidate.nhs_number = person.nhs_number
            candidate.unsaved.add("nhs_number")  # written with the batch (``IntakeWriter``)
            self._file_by_nhs.setdefault(person.nhs_number, candidate)
