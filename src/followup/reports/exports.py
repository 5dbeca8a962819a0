"""CSV exports for team leads: the case list, and the consented extract for treatment data.

Every export needs the lead's "export" permission, is audited (kind, period, row count; never
personal data), is written to a temporary file and moved into place only when complete, and
says in its first row which period it covers and when it was made. Every cell is made safe
to open in a spreadsheet: one starting with =, +, -, @, a tab or a carriage return gets a
single quote in front, so it shows as text instead of running as a formula. That includes
UK phone numbers in international form (+447700900123 becomes '+447700900123).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from followup import audit, vocab
from followup.access import Actor, require
from followup.db.models import (
    Case,
    ConsentEntry,
    ContactAttempt,
    Person,
    Referral,
    TreatmentReferral,
    User,
    not_voided,
    person_display_name,
)
from followup.errors import FollowupError
from followup.files import write_safe_csv
from followup.reports.definitions import Period
from followup.uktime import DATE_FORMAT, DATE_TIME_FORMAT
from followup.vocab import AuditAction, CaseStatus, ConsentScope, ConsentState, Gender

__all__ = [
    "CASE_COLUMNS",
    "KIND_TEXT",
    "NDTMS_COLUMNS",
    "NO_FIXED_ABODE_DISTRICT",
    "SEX_CODES",
    "ExportResult",
    "about_line",
    "client_reference",
    "export_cases_csv",
    "export_ndtms_csv",
    "initials",
    "record_export",
    "resolve_target",
    "sharing_in_force",
    "suggested_filename",
]

log = logging.getLogger(__name__)


KIND_TEXT = {
    "cases_csv": "Followup case list",
    "ndtms_csv": "Followup consented extract (NDTMS style)",
    "commissioner_pdf": "Followup summary for commissioners",
}

# Person.gender to the sex codes of the extract (see docs/ndtms_extract.md).
SEX_CODES: dict[str, str] = {
    Gender.MALE: "M",
    Gender.FEMALE: "F",
    Gender.NON_BINARY: "I",
    Gender.OTHER: "I",
    Gender.NOT_KNOWN: "U",
}
# The pseudo-postcode district NHS data uses for people of no fixed abode.
NO_FIXED_ABODE_DISTRICT = "ZZ99"


@dataclass(frozen=True)
class ExportResult:
    """One export written: what, where, how many rows, for which period, when."""

    kind: str
    path: Path
    rows: int
    period: Period | None
    made_at: datetime
    pages: int = 0  # PDFs only; ``rows`` is then the number of cases summarised

    def describe(self) -> str:
        what = KIND_TEXT[self.kind]
        period = f" for {self.period.label}" if self.period else ""
        if self.kind == "commissioner_pdf":
            size = f"{self.rows} cases summarised, {self.pages} pages"
        else:
            size = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        return f"Wrote {what}{period} to {self.path} ({size})."


def about_line(kind: str, period: Period | None, made_at: datetime) -> str:
    """The first line of every export: what it is, the period, and when it was made."""
    covers = f"period {period.label}" if period else "all cases"
    made = made_at.astimezone(UTC).strftime(DATE_TIME_FORMAT)
    return f"# {KIND_TEXT[kind]}; {covers}; made {made} UTC"


def suggested_filename(kind: str, period: Period | None, made_at: datetime) -> str:
    """A file name naming the period and the time made, for save dialogs and folders."""
    stem = {
        "cases_csv": "followup-cases",
        "ndtms_csv": "followup-ndtms-extract",
        "commissioner_pdf": "followup-commissioner-summary",
    }[kind]
    covers = period.slug if period else "all"
    ext = "pdf" if kind == "commissioner_pdf" else "csv"
    return f"{stem}_{covers}_made-{made_at.astimezone(UTC):%Y%m%dT%H%MZ}.{ext}"


def resolve_target(path: str | Path, kind: str, period: Period | None, made_at: datetime) -> Path:
    """The file to write: ``path`` itself, or the suggested name inside it when it is a folder."""
    target = Path(path)
    if target.is_dir():
        target = target / suggested_filename(kind, period, made_at)
    if not target.parent.is_dir():
        raise FollowupError(f"There is no folder {target.parent}; choose an existing folder.")
    return target


def record_export(
    session: Session, actor: Actor, kind: str, period: Period | None, rows: int
) -> None:
    """Audit an export: what kind, which period, how many rows. Never who is in it."""
    audit.record(
        session,
        actor.id,
        AuditAction.EXPORT,
        "export",
        None,
        {"kind": kind, "period": period.slug if period else "all", "rows": rows},
    )
    log.info("Export %s made: %d rows", kind, rows)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: date | datetime | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


# ------------------------------------------------------------------------- the case list

CASE_COLUMNS = (
    "case_id",
    "police_reference",
    "person",
    "date_of_birth",
    "nhs_number",
    "phone",
    "area",
    "status",
    "worker",
    "referral_received_utc",
    "first_attempt_utc",
    "next_action_due_utc",
    "overdue",
    "closed_utc",
    "closure_reason",
)


def export_cases_csv(
    session: Session,
    actor: Actor,
    path: str | Path,
    period: Period | None = None,
    case_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """The case list as CSV: the cases received in ``period`` (all cases when None), or exactly
    ``case_ids`` (a drill-down), for use within the team. Holds personal data."""
    require(actor, "export")
    now = now or datetime.now(UTC)
    target = resolve_target(path, "cases_csv", period, now)
    first_attempt = (
        select(func.min(ContactAttempt.attempted_at))
        .where(ContactAttempt.case_id == Case.id, not_voided(ContactAttempt))
        .scalar_subquery()
    )
    stmt = (
        select(
            Case.id,
            Case.police_reference,
            Person.first_name,
            Person.last_name,
            Person.description,
            Person.date_of_birth,
            Person.nhs_number,
            Person.phone,
            Case.area,
            Case.status,
            User.display_name,
            Case.referred_at,
            first_attempt.label("first_attempt"),
            Case.next_action_due_at,
            Case.closed_at,
            Case.closure_reason,
        )
        .join(Person, Person.id == Case.person_id)
        .outerjoin(User, User.id == Case.assigned_worker_id)
        .order_by(Case.referred_at, Case.id)
    )
    if period is not None:
        stmt = stmt.where(Case.referred_at >= period.start_at, Case.referred_at < period.end_at)
    if case_ids is not None:
        stmt = stmt.where(Case.id.in_(list(case_ids)))

    def rows() -> Iterable[list[Any]]:
        for r in session.execute(stmt.execution_options(yield_per=2000)):
            overdue = (
                r.status != CaseStatus.CLOSED
                and r.next_action_due_at is not None
                and r.next_action_due_at < now
            )
            yield [
                r.id,
                r.police_reference,
                person_display_name(r.first_name, r.last_name, r.description),
                _day(r.date_of_birth),
                r.nhs_number,
                r.phone,
                r.area,
                vocab.label(r.status),
                r.display_name or "Unassigned",
                _when(r.referred_at),
                _when(r.first_attempt),
                _when(r.next_action_due_at),
                overdue,
                _when(r.closed_at),
                vocab.label(r.closure_reason),
            ]

    n = write_safe_csv(target, about_line("cases_csv", period, now), CASE_COLUMNS, rows())
    record_export(session, actor, "cases_csv", period, n)
    return ExportResult("cases_csv", target, n, period, now)


# -------------------------------------------------------------- the consented NDTMS extract

NDTMS_COLUMNS = (
    "client_reference",
    "initials",
    "date_of_birth",
    "sex",
    "postcode_district",
    "referral_date",
    "referral_source",
    "triage_date",
    "treatment_start_date",
    "exit_date",
    "exit_reason_code",
    "substances",
)


def sharing_in_force(today: date) -> Any:
    """SQL: the case's person has ``share_with_treatment`` consent in force today.

    The latest entry for the scope (by time recorded, then id, as in ``followup.casework.consent``) is
    "given" and not past its expiry date.
    """
    entry, later = aliased(ConsentEntry), aliased(ConsentEntry)
    newer = exists().where(
        later.person_id == entry.person_id,
        later.scope == entry.scope,
        later.voided_at.is_(None),
        or_(
            later.recorded_at > entry.recorded_at,
            and_(later.recorded_at == entry.recorded_at, later.id > entry.id),
        ),
    )
    return exists().where(
        entry.person_id == Case.person_id,
        entry.scope == ConsentScope.SHARE_WITH_TREATMENT,
        entry.state == ConsentState.GIVEN,
        entry.voided_at.is_(None),
        or_(entry.expires_on.is_(None), entry.expires_on >= today),
        ~newer,
    )


def client_reference(person_id: int) -> str:
    return f"FU{person_id:08d}"


def initials(first: str | None, last: str | None) -> str:
    return "".join(part.strip()[0].upper() for part in (first, last) if part and part.strip())


def export_ndtms_csv(
    session: Session,
    actor: Actor,
    path: str | Path,
    period: Period,
    now: datetime | None = None,
) -> ExportResult:
    """One row per case received in ``period`` whose person has consented to sharing with
    treatment (in force when the extract is made); fields in docs/ndtms_extract.md."""
    require(actor, "export")
    now = now or datetime.now(UTC)
    target = resolve_target(path, "ndtms_csv", period, now)
    other = aliased(TreatmentReferral)
    latest_treatment = (
        select(func.max(other.id))
        .where(other.case_id == Case.id, other.voided_at.is_(None))
        .correlate(Case)
        .scalar_subquery()
    )
    substances = (
        select(Referral.substances)
        .where(Referral.case_id == Case.id)
        .order_by(Referral.received_at, Referral.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            Case.person_id,
            Person.first_name,
            Person.last_name,
            Person.date_of_birth,
            Person.gender,
            Person.no_fixed_abode,
            Case.area,
            Case.referred_at,
            TreatmentReferral.assessment_booked_for,
            TreatmentReferral.assessment_attended,
            TreatmentReferral.treatment_started_on,
            TreatmentReferral.exit_on,
            TreatmentReferral.exit_reason,
            substances.label("substances"),
        )
        .join(Person, Person.id == Case.person_id)
        .outerjoin(TreatmentReferral, TreatmentReferral.id == latest_treatment)
        .where(
            Case.referred_at >= period.start_at,
            Case.referred_at < period.end_at,
            sharing_in_force(now.date()),
        )
        .order_by(Case.referred_at, Case.id)
    )

    def rows() -> Iterable[list[Any]]:
        for r in session.execute(stmt):
            district = NO_FIXED_ABODE_DISTRICT if r.no_fixed_abode else (r.area or "")
            yield [
                client_reference(r.person_id),
                initials(r.first_name, r.last_name),
                _day(r.date_of_birth),
                SEX_CODES.get(r.gender or "", "U"),
                district,
                _day(r.referred_at),
                "police",
                _day(r.assessment_booked_for) if r.assessment_attended else "",
                _day(r.treatment_started_on),
                _day(r.exit_on),
                r.exit_reason or "",
                ";".join(s.strip().lower() for s in (r.substances or "").split(";") if s.strip()),
            ]

    n = write_safe_csv(target, about_line("ndtms_csv", period, now), NDTMS_COLUMNS, rows())
    record_export(session, actor, "ndtms_csv", period, n)
    return ExportResult("ndtms_csv", target, n, period, now)
