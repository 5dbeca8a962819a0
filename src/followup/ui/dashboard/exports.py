"""The dashboard's exports: where to save (a dialog tests replace) and the export itself.

The case list is offered as an Excel workbook (for people) or CSV (for other programs), the
file type chosen in the save dialog deciding; the dashboard's tables as an Excel workbook.

The export runs on a pool thread through the same service functions as the command line
(``followup.reports.exports``, ``followup.reports.pdf``); they check the lead's permission, audit the
export and write the file only when it is complete. The file name suggested names the period
and the time the export was made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from followup.access import Actor
from followup.letters import settings
from followup.reports import exports, ndtms
from followup.reports.definitions import Period

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CASES",
    "CASES_FILTER",
    "COMMISSIONERS",
    "NDTMS",
    "PERIOD_EXPORTS",
    "TABLES",
    "ExportKind",
    "choose_save_path",
    "run_export",
    "suggested_name",
]


@dataclass(frozen=True)
class ExportKind:
    kind: str  # as followup.reports.exports names it
    button: str
    dialog_title: str
    file_filter: str
    tip: str


# A case list is offered both ways: an Excel workbook for people (the default) or a CSV file
# for other programs; the file type chosen in the save dialog decides.
CASES_FILTER = "Excel workbooks (*.xlsx);;CSV files for other programs (*.csv)"
CASES = ExportKind(
    "cases_xlsx",
    "Export cases…",
    "Export the case list",
    CASES_FILTER,
    "The cases received in the period, with names and contact details, as an Excel workbook "
    "(dates and times in UK time) or a CSV file for other programs, for use within the team. "
    "Needs the lead role; audited.",
)
TABLES = ExportKind(
    "tables_xlsx",
    "Tables (Excel)…",
    "Save the dashboard's tables",
    "Excel workbooks (*.xlsx)",
    "Every table of the dashboard for the period (by worker, by area, by month, with the "
    "whole team) as one Excel workbook, the figures as numbers. Needs the lead role; audited.",
)
COMMISSIONERS = ExportKind(
    "commissioner_pdf",
    "Commissioner summary (PDF)…",
    "Save the summary for commissioners",
    "PDF files (*.pdf)",
    "The period's figures, funnel and trend as a PDF for commissioners: numbers only, no "
    "personal data. Needs the lead role; audited.",
)
NDTMS = ExportKind(
    "ndtms_csv",
    "NDTMS extract (CSV)…",
    "Save the NDTMS extract",
    "CSV files (*.csv)",
    "One row per case received in the period under the NDTMS field names (the newest dataset "
    "version); cases that fail the checks (18 or over, date of birth before the referral, "
    "NDTMS consent recorded) are left out and listed. Needs the lead role; audited.",
)
PERIOD_EXPORTS = (CASES, TABLES, COMMISSIONERS, NDTMS)
_SUFFIX = re.compile(r"\(\*(\.\w+)\)")


def choose_save_path(
    parent: QWidget | None, title: str, suggested: str, file_filter: str
) -> Path | None:
    """Ask where to save an export; None when the user cancels. Tests replace this.

    A name typed without a file type gets the type chosen in the dialog.
    """
    name, chosen = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    if not name:
        return None
    path = Path(name)
    suffix = _SUFFIX.search(chosen or file_filter)
    if not path.suffix and suffix:
        path = path.with_suffix(suffix.group(1))
    return path


def suggested_name(kind: str, period: Period | None, made_at: datetime | None = None) -> str:
    if kind == "ndtms_csv" and period is not None:
        return ndtms.suggested_filename(ndtms.DEFAULT_VERSION, period, made_at or datetime.now(UTC))
    return exports.suggested_filename(kind, period, made_at or datetime.now(UTC))


def run_export(
    db: Database,
    actor: Actor,
    kind: str,
    path: Path,
    period: Period | None,
    case_ids: Sequence[int] | None = None,
) -> exports.ExportResult:
    """Write one export (on a pool thread, in its own session); raises the service's refusals.
    Exports are audited, so the session takes the write lock first (see ``view.load_report``)."""
    with db.session(write=True) as s:
        if kind in ("cases_csv", "cases_xlsx"):
            # The file type chosen decides; a folder gets the kind's own.
            as_csv = path.suffix.lower() == ".csv" if path.suffix else kind == "cases_csv"
            write = exports.export_cases_csv if as_csv else exports.export_cases_xlsx
            return write(s, actor, path, period, case_ids=case_ids)
        if period is None:
            raise ValueError(f"{kind} needs a period")
        if kind == "tables_xlsx":
            return exports.export_tables_xlsx(s, actor, path, period)
        if kind == "ndtms_csv":
            return ndtms.export_ndtms_csv(s, actor, path, period)
        from followup.reports.pdf import export_commissioner_pdf

        organisation = settings.letterhead(s).name
        return export_commissioner_pdf(s, actor, path, period, organisation=organisation)
