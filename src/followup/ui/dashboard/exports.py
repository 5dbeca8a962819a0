"""The dashboard's exports: where to save (a dialog tests replace) and the export itself.

The export runs on a pool thread through the same service functions as the command line
(``followup.reports.exports``, ``followup.reports.pdf``); they check the lead's permission, audit the
export and write the file only when it is complete. The file name suggested names the period
and the time the export was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from followup.access import Actor
from followup.letters import settings
from followup.reports import exports
from followup.reports.definitions import Period

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "CASES",
    "COMMISSIONERS",
    "NDTMS",
    "PERIOD_EXPORTS",
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


CASES = ExportKind(
    "cases_csv",
    "Export cases (CSV)…",
    "Export the case list",
    "CSV files (*.csv)",
    "The cases received in the period, with names and contact details, as a spreadsheet-safe "
    "CSV file for use within the team. Needs the lead role; audited.",
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
    "Save the NDTMS-style extract",
    "CSV files (*.csv)",
    "One row per case received in the period whose person consents to sharing with treatment, "
    "in the style of the national drug treatment dataset. Needs the lead role; audited.",
)
PERIOD_EXPORTS = (CASES, COMMISSIONERS, NDTMS)


def choose_save_path(
    parent: QWidget | None, title: str, suggested: str, file_filter: str
) -> Path | None:
    """Ask where to save an export; None when the user cancels. Tests replace this."""
    name, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return Path(name) if name else None


def suggested_name(kind: str, period: Period | None, made_at: datetime | None = None) -> str:
    return exports.suggested_filename(kind, period, made_at or datetime.now(UTC))


def run_export(
    db: Database,
    actor: Actor,
    kind: str,
    path: Path,
    period: Period | None,
    case_ids: Sequence[int] | None = None,
) -> exports.ExportResult:
    """Write one export (on a pool thread, in its own session); raises the service's refusals."""
    with db.session() as s:
        if kind == "cases_csv":
            return exports.export_cases_csv(s, actor, path, period, case_ids=case_ids)
        if period is None:
            raise ValueError(f"{kind} needs a period")
        if kind == "ndtms_csv":
            return exports.export_ndtms_csv(s, actor, path, period)
        from followup.reports.pdf import export_commissioner_pdf

        organisation = settings.letterhead(s).name
        return export_commissioner_pdf(s, actor, path, period, organisation=organisation)
