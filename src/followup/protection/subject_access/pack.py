"""Subject access: everything held about one person, as a readable PDF and a JSON file.

A person may ask for all the data an organisation holds about them, and the answer is due
within one calendar month of the request (UK GDPR article 15; the ICO counts from the day
the request arrives to the same date next month, or the month's last day when there is no
such date). One call gathers it all: their details, every police referral, case, status
change, consent entry, contact attempt, treatment referral, naloxone kit and letter (each
letter's PDF is handed over too, beside the pack, with its SHA-256), who viewed their record
and when, and every other audited action about them.

Only a team lead may make a pack (``view_all_cases``): the pack spans every case of the
person, whoever works on it, and says which staff looked at the record, which a worker may
not see; an administrator sees no case data at all. Making a pack is audited as an
``export`` of the person, with no personal data in the audit details. Nothing about the
person is logged.
"""

from __future__ import annotations

import calendar
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.models import (
    AuditEvent,
    Base,
    Case,
    CaseNote,
    CaseStatusChange,
    ConsentEntry,
    ContactAttempt,
    Letter,
    LetterPrint,
    MatchReview,
    NaloxoneSupply,
    Person,
    PersonChange,
    Referral,
    ReferralWarning,
    Service,
    TreatmentReferral,
    User,
)
from followup.errors import FollowupError, NotFound
from followup.files import private_folder, write_atomically
from followup.protection.subject_access.model import LetterCopy, SubjectAccessPack, pack_stem
from followup.protection.subject_access.pdf import render_subject_access_pdf
from followup.uktime import uk_today
from followup.vocab import AuditAction

__all__ = ["export_subject_access", "respond_by", "subject_access", "write_subject_access"]

log = logging.getLogger(__name__)

# Columns that name a user: shown as the user's display name, not an internal id.
USER_COLUMNS = frozenset(
    {
        "assigned_worker_id",
        "changed_by_id",
        "recorded_by_id",
        "worker_id",
        "author_id",
        "printed_by_id",
        "decided_by_id",
        "merged_by_id",
        "undone_by_id",
        "voided_by_id",
    }
)


def respond_by(requested_on: date) -> date:
    """One calendar month after the request: the same date next month, or that month's last
    day when it has no such date (31 January → 28 or 29 February)."""
    year = requested_on.year + (1 if requested_on.month == 12 else 0)
    month = 1 if requested_on.month == 12 else requested_on.month + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(requested_on.day, last))


def _row(obj: Base, names: dict[int, str], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row; user ids become the user's name under the key without ``_id``."""
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if column.key in USER_COLUMNS:
            out[column.key.removesuffix("_id")] = names.get(value, "") if value else None
        else:
            out[column.key] = value
    return out


def _mentions(key: str, value: int) -> Any:
    # audit.record writes details with json.dumps(sort_keys=True) and default separators, so
    # a key and number appear as `"key": N` followed by a comma or the closing brace.
    return or_(
        AuditEvent.details.like(f'%"{key}": {int(value)},%'),
        AuditEvent.details.like(f'%"{key}": {int(value)}}}%'),
    )


def _about(entity: str, ids: list[int]) -> Any:
    return and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids or [-1]))


def _audit_events(
    session: Session,
    person_ids: list[int],
    case_ids: list[int],
    owned: dict[str, list[int]],
    names: dict[int, str],
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """(views of the record, every other audited action about the person), oldest first."""
    conditions = [_about("person", person_ids), _about("case", case_ids)]
    conditions += [_about(entity, ids) for entity, ids in owned.items() if ids]
    conditions += [_mentions("person_id", pid) for pid in person_ids]
    conditions += [_mentions("merged_person_id", pid) for pid in person_ids]
    conditions += [_mentions("case_id", cid) for cid in case_ids]
    usernames = {uid: name for uid, name in session.execute(select(User.id, User.username))}
    views: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    events = session.scalars(
        select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.at, AuditEvent.id)
    )
    for e in events:
        row: dict[str, Any] = {
            "at": e.at,
            "user": names.get(e.user_id or 0, ""),
            "username": usernames.get(e.user_id or 0, e.username or ""),
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
        }
        if e.action == AuditAction.VIEW:
            views.append(row)
            continue
        try:
            row["details"] = json.loads(e.details) if e.details else None
        except ValueError:
            row["details"] = e.details
        others.append(row)
    return tuple(views), tuple(others)


def subject_access(
    session: Session,
    actor: Actor,
    person_id: int,
    requested_on: date | None = None,
    *,
    now: datetime | None = None,
) -> SubjectAccessPack:
    """Gather everything held about ``person_id``; audited as an export. Team leads only."""
    require(actor, "view_all_cases")
    now = now or datetime.now(UTC)
    requested_on = requested_on or uk_today(now)
    if requested_on > uk_today(now):
        raise FollowupError("The date of the request cannot be in the future; check the date.")
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"Person {person_id} does not exist.")
    names = {uid: name for uid, name in session.execute(select(User.id, User.display_name))}
    # Records merged into this person belong to them too (their rows moved with the merge).
    merged = list(
        session.scalars(
            select(Person).where(Person.merged_into_id == person.id).order_by(Person.id)
        )
    )
    person_ids = [person.id, *(p.id for p in merged)]

    def rows(query: Any, skip: tuple[str, ...] = ()) -> tuple[dict[str, Any], ...]:
        return tuple(_row(obj, names, skip) for obj in session.scalars(query))

    cases = rows(
        select(Case).where(Case.person_id.in_(person_ids)).order_by(Case.opened_at, Case.id)
    )
    case_ids = [c["id"] for c in cases]
    referrals = []
    for r in session.scalars(
        select(Referral)
        .where(or_(Referral.person_id.in_(person_ids), Referral.case_id.in_(case_ids or [-1])))
        .order_by(Referral.incident_at, Referral.id)
    ):
        row = _row(r, names)
        row["warnings"] = [
            {"row": w.row_number, "field": w.field, "reason": w.reason}
            for w in session.scalars(
                select(ReferralWarning)
                .where(ReferralWarning.referral_id == r.id)
                .order_by(ReferralWarning.id)
            )
        ]
        referrals.append(row)
    in_cases = case_ids or [-1]
    status_changes = rows(
        select(CaseStatusChange)
        .where(CaseStatusChange.case_id.in_(in_cases))
        .order_by(CaseStatusChange.changed_at, CaseStatusChange.id)
    )
    consents = rows(
        select(ConsentEntry)
        .where(ConsentEntry.person_id.in_(person_ids))
        .order_by(ConsentEntry.recorded_at, ConsentEntry.id)
    )
    attempts = rows(
        select(ContactAttempt)
        .where(ContactAttempt.case_id.in_(in_cases))
        .order_by(ContactAttempt.attempted_at, ContactAttempt.id)
    )
    treatments = []
    for t, service in session.execute(
        select(TreatmentReferral, Service.name)
        .join(Service)
        .where(TreatmentReferral.case_id.in_(in_cases))
        .order_by(TreatmentReferral.referred_on, TreatmentReferral.id)
    ):
        treatments.append({**_row(t, names), "service": service})
    kits = rows(
        select(NaloxoneSupply)
        .where(or_(NaloxoneSupply.person_id.in_(person_ids), NaloxoneSupply.case_id.in_(in_cases)))
        .order_by(NaloxoneSupply.supplied_on, NaloxoneSupply.id)
    )
    notes = rows(
        select(CaseNote)
        .where(or_(CaseNote.case_id.in_(in_cases), CaseNote.person_id.in_(person_ids)))
        .order_by(CaseNote.written_at, CaseNote.id)
    )
    person_changes = rows(
        select(PersonChange)
        .where(PersonChange.person_id.in_(person_ids))
        .order_by(PersonChange.changed_at, PersonChange.id)
    )
    letters: list[dict[str, Any]] = []
    copies: list[LetterCopy] = []
    for lt in session.scalars(
        select(Letter).where(Letter.case_id.in_(in_cases)).order_by(Letter.created_at, Letter.id)
    ):
        copy = LetterCopy(lt.id, lt.sha256, lt.pdf)
        copies.append(copy)
        letters.append(
            {
                **_row(lt, names, skip=("pdf",)),
                "file": copy.filename,
                "prints": [
                    _row(p, names, skip=("letter_id",))
                    for p in session.scalars(
                        select(LetterPrint)
                        .where(LetterPrint.letter_id == lt.id)
                        .order_by(LetterPrint.printed_at, LetterPrint.id)
                    )
                ],
            }
        )
    owned = {
        "referral": [r["id"] for r in referrals],
        "consent": [c["id"] for c in consents],
        "contact_attempt": [a["id"] for a in attempts],
        "treatment_referral": [t["id"] for t in treatments],
        "naloxone_supply": [k["id"] for k in kits],
        "case_note": [n["id"] for n in notes],
        "person_change": [p["id"] for p in person_changes],
        "letter": [lt["id"] for lt in letters],
        "match_review": list(
            session.scalars(
                select(MatchReview.id).where(
                    or_(
                        MatchReview.incoming_person_id.in_(person_ids),
                        MatchReview.candidate_person_id.in_(person_ids),
                    )
                )
            )
        ),
    }
    views, others = _audit_events(session, person_ids, case_ids, owned, names)
    pack = SubjectAccessPack(
        person_id=person.id,
        person_name=person.display_name,
        requested_on=requested_on,
        respond_by=respond_by(requested_on),
        made_at=now,
        made_by=actor.display_name,
        person=_row(person, names),
        merged_records=tuple(_row(p, names) for p in merged),
        sections={
            "referrals": tuple(referrals),
            "cases": cases,
            "status_changes": status_changes,
            "consents": consents,
            "contact_attempts": attempts,
            "treatment_referrals": tuple(treatments),
            "naloxone_kits": kits,
            "case_notes": notes,
            "person_changes": person_changes,
            "letters": tuple(letters),
            "record_views": views,
            "other_audit_events": others,
        },
        letters=tuple(copies),
    )
    audit.record(
        session,
        actor.id,
        AuditAction.EXPORT,
        "person",
        person.id,
        {
            "kind": "subject_access",
            "person_id": person.id,
            "requested_on": requested_on.isoformat(),
        },
    )
    log.info("Subject access pack gathered for person %d", person.id)
    return pack


def _writing(data: bytes) -> Callable[[IO[Any]], object]:
    return lambda fh: fh.write(data)


def write_subject_access(pack: SubjectAccessPack, folder: str | Path) -> tuple[Path, Path]:
    """Write the PDF, the JSON and (in a ``-letters`` folder beside them) each letter's PDF.

    Returns ``(pdf_path, json_path)``. Each file is written through a temporary file, so a
    failure never leaves half a file behind, and is private to the user (``0600``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FollowupError(f"There is no folder {folder}; choose an existing folder.")
    stem = pack_stem(pack)
    pdf_path, json_path = folder / f"{stem}.pdf", folder / f"{stem}.json"
    if pack.letters:
        letters_dir = folder / f"{stem}-letters"
        try:
            private_folder(letters_dir)  # 0700 when made here; the user's folder is left alone
        except OSError as exc:
            raise FollowupError(
                f"Cannot make the folder {letters_dir} ({exc.strerror}); check the folder."
            ) from None
        for copy in pack.letters:
            write_atomically(letters_dir / copy.filename, _writing(copy.pdf), binary=True)
    data = json.dumps(pack.as_json(), ensure_ascii=False, indent=2).encode("utf-8")
    write_atomically(json_path, _writing(data), binary=True)
    write_atomically(pdf_path, _writing(render_subject_access_pdf(pack)), binary=True)
    return pdf_path, json_path


def export_subject_access(
    session: Session,
    actor: Actor,
    person_id: int,
    folder: str | Path,
    requested_on: date | None = None,
) -> tuple[Path, Path]:
    """Gather and write a pack in one go; if writing fails, the audit entry is rolled back with
    the session. Returns ``(pdf_path, json_path)``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FollowupError(f"There is no folder {folder}; choose an existing folder.")
    pack = subject_access(session, actor, person_id, requested_on)
    return write_subject_access(pack, folder)
