"""Choosing a CUPS print queue for letters: the printer and the number of copies, no page range.

Letters are printed whole: a page range that starts inside a batch could put the end of one
person's letter and the start of another's on one sheet, and a letter printed in part is not a
letter sent. To print some letters again, choose them in Letters due or reprint one from its
case. The queues come from ``lpstat`` (``letters.printing.cups_destinations``), which answers
at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from followup.letters.printing import cups_destinations
from followup.ui.widgets.look import StyleRole, set_role

__all__ = ["NO_PRINTERS", "CupsPrintDialog", "PrintChoice"]

NO_PRINTERS = (
    "This computer has no printers set up; add one in the system's printer settings, "
    "or use Save as PDF…."
)


@dataclass(frozen=True)
class PrintChoice:
    """Where to print and how many copies."""

    queue: str
    copies: int = 1


class CupsPrintDialog(QDialog):
    """Printer and copies; Print is enabled once there is a printer to choose."""

    def __init__(self, parent: QWidget | None = None, pages: int = 0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Print letters")
        names, default = cups_destinations()
        self.printer = QComboBox()
        self.printer.addItems(names)
        self.printer.setAccessibleName("Printer")
        if default:
            self.printer.setCurrentText(default)
        self.copies = QSpinBox()
        self.copies.setRange(1, 20)
        self.copies.setAccessibleName("Copies")
        what = f"All {pages} pages" if pages > 1 else "The whole letter"
        self.note = QLabel(
            f"{what} will be printed. Each letter starts on a new sheet, so printing on both "
            "sides never puts two people's letters on one sheet."
        )
        self.note.setWordWrap(True)
        set_role(self.note, StyleRole.NOTE)
        self.missing = QLabel(NO_PRINTERS)
        self.missing.setWordWrap(True)
        self.missing.setVisible(not names)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Print")
        ok.setEnabled(bool(names))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Printer:", self.printer)
        form.addRow("Copies:", self.copies)
        layout = QVBoxLayout(self)
        layout.addWidget(self.missing)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def choice(self) -> PrintChoice | None:
        name = self.printer.currentText()
        return PrintChoice(name, self.copies.value()) if name else None
