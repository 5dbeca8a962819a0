"""The "Subject access…" action of the case view (team leads): ask when the request arrived and
where to save, then write the pack in the background and say where it went.

The two questions are module-level functions, so tests replace them instead of clicking
through blocking dialogs. The work runs through the case view's ``TaskRunner`` with its own
short session; the service enforces that only a lead may make a pack.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QWidget,
)

from followup.access import Actor
from followup.protection.subject_access.pack import export_subject_access, respond_by
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.dates import date_of, uk_today_for_editor
from followup.ui.widgets.messages import InlineMessage
from followup.uktime import QT_DATE_FORMAT, short_date

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "ask_request_date",
    "choose_folder",
    "make_subject_access",
]

log = logging.getLogger(__name__)


def ask_request_date(parent: QWidget | None) -> date | None:
    """The day the person's request arrived (today by default, never in the future)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Subject access request")
    when = QDateEdit(uk_today_for_editor())
    when.setCalendarPopup(True)
    when.setDisplayFormat(QT_DATE_FORMAT)
    when.setMaximumDate(uk_today_for_editor())
    when.setAccessibleName("Day the request arrived")
    due = QLabel()

    def show_due() -> None:
        due.setText(
            f"The pack must be handed over by {short_date(respond_by(date_of(when.date())))}."
        )

    when.dateChanged.connect(show_due)
    show_due()
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow("Request received on", when)
    form.addRow(due)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return date_of(when.date())


def choose_folder(parent: QWidget | None) -> Path | None:
    """The folder to write the pack into, or None when the user cancels."""
    path = QFileDialog.getExistingDirectory(parent, "Choose a folder for the subject access pack")
    return Path(path) if path else None


def make_subject_access(
    parent: QWidget,
    db: Database,
    actor: Actor,
    person_id: int | None,
    runner: TaskRunner,
    message: InlineMessage,
) -> bool:
    """Ask the questions and start writing the pack; False when nothing was started."""
    if person_id is None:
        message.warn("The case is still loading; try again in a moment.")
        return False
    requested = ask_request_date(parent)
    if requested is None:
        return False
    folder = choose_folder(parent)
    if folder is None:
        return False
    message.confirm("Making the subject access pack…")

    def work() -> tuple[Path, Path]:
        with db.session(write=True) as s:
            return export_subject_access(s, actor, person_id, folder, requested)

    def done(paths: tuple[Path, Path]) -> None:
        pdf_path, json_path = paths
        message.confirm(
            f"Subject access pack saved in {pdf_path.parent}: {pdf_path.name} and "
            f"{json_path.name}. Hand it over by {short_date(respond_by(requested))}."
        )

    log.info("Subject access pack requested for person %d", person_id)
    runner.run(work, done, message_to(message.warn), name="subject access pack")
    return True
