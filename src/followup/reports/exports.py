"""Exports for team leads: the case list (CSV or Excel), the dashboard's tables (Excel), and the
NDTMS extract (CSV, in followup.reports.ndtms).

Every export needs the lead's "export" permission, is audited (kind, period, row count; never
personal data), is written to a temporary file and moved into place only when complete, and
names its period and the time it was made in its file name. The rows are described once
(``followup.spreadsheets.Column``) and written either as CSV for machines (the header first,
times in UK time with their offset, a quote only where a cell would run as a formula) or as an
Excel workbook of typed cells for people (dates as dates, times in UK time, text as text; what
it is, its period and when it was made on its "About" sheet). Phones are in national form.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import audit, vocab
from followup.access import Actor, require
from followup.db.models import (
    Case,
    ContactAttempt,
    Person,
    User,
    not_voided,
    person_display_name,
)
from followup.errors import FollowupError
from followup.reports.definitions import FIGURES, HOURS, RATE, Period
from followup.reports.engagement import Figures, engagement_report
from followup.reports.resupplies import resupplies_by_reason, resupplies_sheet
from followup.reports.timeliness import TIMELINESS_BY, timeliness_report, timeliness_sheets
from followup.reports.traceability import traceability_report, traceability_sheets
from followup.spreadsheets import CellKind, Column, Sheet, write_csv, write_xlsx
from followup.uktime import DATE_TIME_FORMAT, to_uk
from followup.validation import display_phone
from followup.vocab import AuditAction, CaseStatus

__all__ = [
    "CASE_COLUMNS",
    "CASE_SHEET",
    "KIND_TEXT",
    "TABLE_BREAKDOWNS",
    "ExportResult",
    "about_line",
    "about_rows",
    "export_cases_csv",
    "export_cases_xlsx",
    "export_tables_xlsx",
    "record_export",
    "resolve_target",
    "suggested_filename",
]

log = logging.getLogger(__name__)


KIND_TEXT = {
    "cases_csv": "Followup case list",
    "cases_xlsx": "Followup case list (Excel)",
    "tables_xlsx": "Followup dashboard tables (Excel)",
    "ndtms_csv": "Followup NDTMS extract",
    "commissioner_pdf": "Followup summary for commissioners",
}


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
        if self.kind == "tables_xlsx":
            size = f"{self.rows} cases in the figures"
        elif self.kind == "commissioner_pdf":
            size = f"{self.rows} cases summarised, {self.pages} pages"
        else:
            size = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        return f"Wrote {what}{period} to {self.path} ({size})."


def about_line(kind: str, period: Period | None, made_at: datetime) -> str:
    """What an export is, its period, and when it was made (UK time): the PDF's page header."""
    covers = f"period {period.label}" if period else "all cases"
    made = to_uk(made_at).strftime(DATE_TIME_FORMAT)
    return f"# {KIND_TEXT[kind]}; {covers}; made {made} UK time"


def about_rows(kind: str, period: Period | None, made_at: datetime) -> list[tuple[str, str]]:
    """A workbook's "About" sheet: what it is, its period, and when it was made (UK time)."""
    return [
        ("What", KIND_TEXT[kind]),
        ("Period", period.label if period else "All cases"),
        ("Made", f"{to_uk(made_at).strftime(DATE_TIME_FORMAT)} UK time"),
        ("Holds", "Personal data: keep it within the team." if kind == "cases_xlsx" else ""),
    ]


def suggested_filename(kind: str, period: Period | None, made_at: datetime) -> str:
    """A file name naming the period and the time made, for save dialogs and folders."""
    stem = {
        "cases_csv": "followup-cases",
        "cases_xlsx": "followup-cases",
        "tables_xlsx": "followup-dashboard-tables",
        "ndtms_csv": "followup-ndtms",
        "commissioner_pdf": "followup-commissioner-summary",
    }[kind]
    covers = period.slug if period else "all"
    ext = kind.rpartition("_")[2]
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


# ------------------------------------------------------------------------- the case list

CASE_SHEET: tuple[Column, ...] = (
    Column("case_id", "Case", CellKind.WHOLE, 8),
    Column("police_reference", "Police reference", CellKind.TEXT, 18),
    Column("person", "Person", CellKind.TEXT, 26),
    Column("date_of_birth", "Date of birth", CellKind.DATE, 12),
    Column("nhs_number", "NHS number", CellKind.TEXT, 13),
    Column("phone", "Phone", CellKind.TEXT, 15),
    Column("area", "Area", CellKind.TEXT, 8),
    Column("status", "Status", CellKind.TEXT, 16),
    Column("worker", "Worker", CellKind.TEXT, 20),
    Column("referral_received", "Referral received (UK time)", CellKind.TIME, 17),
    Column("first_attempt", "First attempt (UK time)", CellKind.TIME, 17),
    Column("next_action_due", "Next action due (UK time)", CellKind.TIME, 17),
    Column("overdue", "Overdue", CellKind.YES_NO, 9),
    Column("closed", "Closed (UK time)", CellKind.TIME, 17),
    Column("closure_reason", "Closure reason", CellKind.TEXT, 22),
)
CASE_COLUMNS = tuple(c.key for c in CASE_SHEET)


def _case_rows(
    session: Session,
    period: Period | None,
    case_ids: Sequence[int] | None,
    now: datetime,
) -> Iterable[list[Any]]:
    """The case list's rows as typed values, in the order of ``CASE_SHEET``."""
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
            r.date_of_birth,
            r.nhs_number,
            display_phone(r.phone),
            r.area,
            vocab.label(r.status),
            r.display_name or "Unassigned",
            r.referred_at,
            r.first_attempt,
            r.next_action_due_at,
            overdue,
            r.closed_at,
            vocab.label(r.closure_reason),
        ]


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
    n = write_csv(target, CASE_SHEET, _case_rows(session, period, case_ids, now))
    record_export(session, actor, "cases_csv", period, n)
    return ExportResult("cases_csv", target, n, period, now)


def export_cases_xlsx(
    session: Session,
    actor: Actor,
    path: str | Path,
    period: Period | None = None,
    case_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """The case list as an Excel workbook of typed cells, for people to read, sort and filter;
    the same cases as ``export_cases_csv``. Holds personal data."""
    require(actor, "export")
    now = now or datetime.now(UTC)
    target = resolve_target(path, "cases_xlsx", period, now)
    sheet = Sheet("Cases", CASE_SHEET, _case_rows(session, period, case_ids, now))
    n = write_xlsx(target, [sheet], about_rows("cases_xlsx", period, now))
    record_export(session, actor, "cases_xlsx", period, n)
    return ExportResult("cases_xlsx", target, n, period, now)


# ------------------------------------------------------------------- the dashboard's tables

# The dashboard's breakdowns, each a worksheet: (report key, sheet name, name column heading).
TABLE_BREAKDOWNS = (
    ("worker", "By worker", "Worker"),
    ("area", "By area", "Area (postcode district)"),
    ("month", "By month", "Month"),
)
_TABLE_FIGURES = (
    "received",
    "attempted",
    "contacted",
    "engaged",
    "referred",
    "in_treatment",
    "first_attempt_in_time_rate",
    "contact_rate",
    "engagement_rate",
    "treatment_entry_rate",
    "median_hours_to_first_attempt",
    "median_hours_to_first_contact",
    "overdue",
    "repeat_overdoses",
    "naloxone_kits",
    "engaged_network",
)


def _figure_column(key: str) -> Column:
    kind = {RATE: CellKind.RATE, HOURS: CellKind.HOURS}.get(FIGURES[key].kind, CellKind.WHOLE)
    return Column(key, FIGURES[key].label, kind, 13)


def _table_rows(rows: Iterable[tuple[str, Figures]]) -> list[list[Any]]:
    return [[label, *(figures.value(k) for k in _TABLE_FIGURES)] for label, figures in rows]


def export_tables_xlsx(
    session: Session,
    actor: Actor,
    path: str | Path,
    period: Period,
    now: datetime | None = None,
) -> ExportResult:
    """Every table of the dashboard for ``period`` (by worker, by area, by month, each with the
    whole team's line last) as one Excel workbook, the figures as numbers. Names workers."""
    require(actor, "export")
    now = now or datetime.now(UTC)
    target = resolve_target(path, "tables_xlsx", period, now)
    report = engagement_report(
        session, actor, period, by=tuple(b for b, _, _ in TABLE_BREAKDOWNS), now=now
    )
    figures = [_figure_column(k) for k in _TABLE_FIGURES]
    sheets = [
        Sheet(
            name,
            [Column(by, heading, CellKind.TEXT, 26), *figures],
            _table_rows(
                [
                    *((g.label, g.figures) for g in report.groups.get(by, ())),
                    ("Whole team", report.totals),
                ]
            ),
        )
        for by, name, heading in TABLE_BREAKDOWNS
    ]
    # Timeliness in buckets, from its own service (the export itself is audited below).
    sheets += timeliness_sheets(
        timeliness_report(session, actor, period, by=TIMELINESS_BY, now=now, record=False)
    )
    # Traceability and resupplies, from the services of their dashboard tabs.
    sheets += traceability_sheets(
        traceability_report(session, actor, period, now=now, record=False)
    )
    sheets.append(resupplies_sheet(resupplies_by_reason(session, actor, period)))
    write_xlsx(target, sheets, about_rows("tables_xlsx", period, now))
    record_export(session, actor, "tables_xlsx", period, report.totals.received)
    return ExportResult("tables_xlsx", target, report.totals.received, period, now)
