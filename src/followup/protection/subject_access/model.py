"""What a subject access pack holds, as plain data: its sections, the letters handed over with
it, and the JSON form of it all. Gathering it is ``pack``; drawing it is ``pdf``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from followup.uktime import to_uk

__all__ = ["FORMAT", "SECTIONS", "LetterCopy", "SubjectAccessPack", "pack_stem"]

FORMAT = "followup-subject-access/1"

# The sections of the pack, in the order the PDF and the JSON present them.
SECTIONS = (
    ("referrals", "Police referrals"),
    ("cases", "Cases"),
    ("status_changes", "Case status changes"),
    ("consents", "Consent"),
    ("contact_attempts", "Contact attempts"),
    ("treatment_referrals", "Treatment referrals"),
    ("naloxone_kits", "Naloxone kits supplied"),
    ("case_notes", "Case notes"),
    ("person_changes", "Changes to your details"),
    ("letters", "Letters"),
    ("record_views", "Who viewed the record"),
    ("other_audit_events", "Other recorded actions about this person"),
)


@dataclass(frozen=True)
class LetterCopy:
    """A stored letter's PDF, handed over as a file beside the pack."""

    id: int
    sha256: str
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"letter-{self.id}.pdf"


@dataclass(frozen=True)
class SubjectAccessPack:
    """Everything held about one person, as plain data (values are str, int, bool, date,
    datetime or None; ``details`` of audit events are parsed JSON)."""

    person_id: int
    person_name: str
    requested_on: date
    respond_by: date
    made_at: datetime
    made_by: str
    person: dict[str, Any]
    merged_records: tuple[dict[str, Any], ...]
    sections: dict[str, tuple[dict[str, Any], ...]]
    letters: tuple[LetterCopy, ...] = field(default=())

    def count(self, section: str) -> int:
        return len(self.sections.get(section, ()))

    def as_json(self) -> dict[str, Any]:
        """The pack as JSON-ready data (dates and times in ISO 8601, times in UTC)."""
        return {
            key: _plain(value)
            for key, value in {
                "format": FORMAT,
                "person_id": self.person_id,
                "requested_on": self.requested_on,
                "respond_by": self.respond_by,
                "made_at": self.made_at,
                "made_by": self.made_by,
                "person": self.person,
                "merged_records": list(self.merged_records),
                # Each letter's "file" is in this folder, beside the JSON file.
                "letters_folder": f"{pack_stem(self)}-letters" if self.letters else None,
                **{key: list(self.sections.get(key, ())) for key, _ in SECTIONS},
            }.items()
        }


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def pack_stem(pack: SubjectAccessPack) -> str:
    """The files' common name: the person's id and the day made (in the UK), never their name."""
    return f"subject-access-person-{pack.person_id}-{to_uk(pack.made_at):%Y-%m-%d}"
