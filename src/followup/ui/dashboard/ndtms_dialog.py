"""After an NDTMS extract: the cases left out and why, in a dialog the lead can keep open.

Only case numbers and reasons are shown (no names): the lead opens each case to put it right
(record NDTMS consent, correct a date of birth) and makes the extract again.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from followup.reports.ndtms import NdtmsResult

__all__ = ["ExclusionsDialog", "show_exclusions"]


class ExclusionsDialog(QDialog):
    def __init__(self, result: NdtmsResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("NDTMS extract: cases left out")
        n = len(result.excluded)
        self.summary = QLabel(
            f"{n} case{'s' if n != 1 else ''} of the period {'were' if n != 1 else 'was'} left "
            f"out of {result.path.name}. Put each right and make the extract again."
        )
        self.summary.setWordWrap(True)
        self.cases = QListWidget()
        self.cases.setAccessibleName("Cases left out of the NDTMS extract, with the reasons")
        for exclusion in result.excluded:
            self.cases.addItem(exclusion.text)
        self.summary.setBuddy(self.cases)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close the list of cases left out")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.cases)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def reasons(self) -> list[str]:
        return [self.cases.item(i).text() for i in range(self.cases.count())]


def show_exclusions(parent: QWidget, result: object) -> ExclusionsDialog | None:
    """Open the list (not modal) when an NDTMS extract left cases out; None otherwise."""
    if not isinstance(result, NdtmsResult) or not result.excluded:
        return None
    dialog = ExclusionsDialog(result, parent)
    dialog.open()
    return dialog
