"""Letters on screen and on paper: a QtPdf preview with Print… and Save as PDF….

The preview shows PDF bytes in a ``QPdfView`` (all pages, fitted to the width). Print… sends
the PDF itself to a CUPS queue on Linux and macOS (``letters.printing.send_to_cups``): the
printer gets text, not page images, and a queue that is stopped, refusing jobs or gone, or a
job that is cancelled, is refused in one sentence. On Windows Qt's print dialog chooses the
printer and each page is drawn at the printer's own resolution. Either way the whole document
prints: page ranges are off for letters (see ``print_dialog``).

Only a print the system accepted, or a file written, is recorded against the stored letters
(``letters.record_prints``, audited as a print), and that makes them printed; a refused print
leaves them due. A letter that is not stored yet cannot be printed, so every letter on paper is
kept with its case. The dialogs sit behind module functions that tests replace.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from followup.access import Actor
from followup.errors import FollowupError
from followup.files import write_atomically
from followup.letters.making import record_prints
from followup.letters.notify_check import check_pdf
from followup.letters.printing import send_to_cups, uses_cups
from followup.ui.tasks import TaskRunner, message_to
from followup.ui.widgets.messages import InlineMessage
from followup.ui.widgets.print_dialog import CupsPrintDialog, PrintChoice
from followup.ui.widgets.screens import fit_to_screen

if TYPE_CHECKING:
    from followup.db.engine import Database

__all__ = [
    "MAX_PRINT_DPI",
    "NOT_STORED",
    "PdfPreview",
    "PdfPreviewDialog",
    "ask_pdf_path",
    "ask_printer",
    "ask_queue",
    "make_printer",
    "page_image",
    "print_pdf",
    "printer_destination",
    "uses_cups",
]

# Qt's route (Windows) draws each page at the printer's resolution, up to this: a 1200 dpi A4
# page would be half a gigabyte of image and no sharper on an office printer.
MAX_PRINT_DPI = 600
PART_PRINTED = (
    "Letters are printed whole, so nothing was printed and the letters are still due; "
    "choose All pages (to print some letters again, choose them in Letters due)."
)
NOT_STORED = (
    "Save the letter to the case first: every letter that is printed or saved as a "
    "file is kept with its case."
)


# ------------------------------------------------------------------- replaceable dialogs


def ask_pdf_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Ask where to save the PDF; None when the user cancels."""
    name, _ = QFileDialog.getSaveFileName(parent, "Save as PDF", suggested, "PDF files (*.pdf)")
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")


def make_printer() -> QPrinter:
    """A printer set up for the letters: A4, named so the print queue shows what it is."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName("Followup letters")
    return printer


def ask_printer(parent: QWidget | None, printer: QPrinter) -> bool:
    """Qt's print dialog for ``printer`` (Windows), without page ranges; False on Cancel."""
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print letters")
    for option in (
        QAbstractPrintDialog.PrintDialogOption.PrintPageRange,
        QAbstractPrintDialog.PrintDialogOption.PrintCurrentPage,
        QAbstractPrintDialog.PrintDialogOption.PrintSelection,
    ):
        dialog.setOption(option, False)
    return dialog.exec() == QDialog.DialogCode.Accepted


def ask_queue(parent: QWidget | None, pages: int) -> PrintChoice | None:
    """The CUPS printer and copies (Linux, macOS); None when the user cancels."""
    dialog = CupsPrintDialog(parent, pages)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.choice()


# ------------------------------------------------------------------- work off the UI thread


def _open_document(pdf: bytes, parent: QWidget | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A document read from ``pdf``; the buffer must live as long as the document."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    # PySide6's stubs want a parent, but a document read off the UI thread has none yet.
    document = QPdfDocument(parent)  # type: ignore[arg-type]
    document.load(buffer)
    return document, buffer


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Draw every page of ``pdf`` on ``printer``; returns the number of pages printed.

    Safe on a pool thread: it reads its own ``QPdfDocument`` (a QObject belongs to the thread
    that made it), and Qt allows painting on a QPrinter outside the UI thread.
    """
    if printer.printRange() != QPrinter.PrintRange.AllPages:
        raise FollowupError(PART_PRINTED)
    document, buffer = _open_document(pdf)
    try:
        if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
            raise FollowupError("The letter's PDF could not be read, so nothing was printed.")
        printer.setFullPage(True)  # page coordinates start at the paper's corner
        dpi = printer.resolution()
        render_dpi = min(dpi, MAX_PRINT_DPI)
        paper = printer.paperRect(QPrinter.Unit.DevicePixel)
        painter = QPainter()
        if not painter.begin(printer):
            raise FollowupError(
                "The printer could not be started; check that it is switched "
                "on and connected, then try again."
            )
        try:
            for page in range(document.pageCount()):
                if page:
                    printer.newPage()
                points = document.pagePointSize(page)
                size = QSize(
                    round(points.width() / 72 * render_dpi),
                    round(points.height() / 72 * render_dpi),
                )
                image = document.render(page, size)
                width, height = points.width() / 72 * dpi, points.height() / 72 * dpi
                # Full size, unless the paper is smaller than the page (then shrink to fit).
                scale = min(1.0, paper.width() / width, paper.height() / height)
                painter.drawImage(
                    QRectF(0, 0, width * scale, height * scale), image, QRectF(image.rect())
                )
        finally:
            painter.end()
        if printer.printerState() in (QPrinter.PrinterState.Aborted, QPrinter.PrinterState.Error):
            raise FollowupError(
                "The printer did not take the job, so nothing was printed and the letters "
                "are still due; check the printer, then try again."
            )
        return document.pageCount()
    finally:
        document.close()
        buffer.close()


def printer_destination(printer: QPrinter) -> str:
    """Where a print went, for the print log: the printer's name or the file's name."""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        return f"PDF file {Path(printer.outputFileName()).name}"
    return f"Printer {printer.printerName() or 'default'}"


def page_image(pdf: bytes, page: int = 0, width: int = 600) -> QImage:
    """One page as an image (for tests and thumbnails)."""
    document, buffer = _open_document(pdf)
    try:
        points = document.pagePointSize(page)
        return document.render(page, QSize(width, round(width * points.height() / points.width())))
    finally:
        document.close()
        buffer.close()


# ------------------------------------------------------------------- the widget


class PdfPreview(QWidget):
    """A PDF on screen with Print… and Save as PDF… for the stored letters it holds."""

    recorded = Signal(str)  # a print or save was recorded; the sentence says what happened

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._runner = runner or TaskRunner(self)
        self._pdf: bytes | None = None
        self._letter_ids: tuple[int, ...] = ()
        self._suggested = "letter.pdf"
        self._busy = False
        self._buffer: QBuffer | None = None
        self._printer: QPrinter | None = None

        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName("Letter preview")
        self.placeholder = QLabel("Choose Preview to see the letter here.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("pdfPlaceholder")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self.view)

        self.info = QLabel("")
        self.fit_button = QPushButton("Whole page")
        self.fit_button.setCheckable(True)
        self.fit_button.setToolTip("Show whole pages instead of fitting the width")
        self.fit_button.toggled.connect(self._fit_changed)
        self.print_button = QPushButton("Print…")
        self.print_button.clicked.connect(self.print_letters)
        self.save_button = QPushButton("Save as PDF…")
        self.save_button.clicked.connect(self.save_as_pdf)
        for button in (self.fit_button, self.print_button, self.save_button):
            button.setAutoDefault(False)  # Enter in a dialog must not print or save
        self.message = InlineMessage()

        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.save_button)
        bar.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)
        self._update_buttons()

    # ------------------------------------------------------------------ showing

    @property
    def page_count(self) -> int:
        return self.document.pageCount() if self._pdf is not None else 0

    @property
    def pdf(self) -> bytes | None:
        return self._pdf

    @property
    def letter_ids(self) -> tuple[int, ...]:
        return self._letter_ids

    @property
    def busy(self) -> bool:
        return self._busy

    def show_pdf(
        self,
        pdf: bytes,
        letter_ids: Sequence[int] = (),
        *,
        suggested_name: str = "letter.pdf",
        note: str = "",
    ) -> None:
        """Show ``pdf``; Print… and Save as PDF… work when it holds stored letters."""
        old = self._buffer
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        if old is not None:
            old.close()
            old.deleteLater()
        self._pdf = pdf
        self._letter_ids = tuple(letter_ids)
        self._suggested = suggested_name
        pages = self.document.pageCount()
        if self.document.status() != QPdfDocument.Status.Ready or pages == 0:
            self.clear("The letter's PDF could not be shown.")
            return
        count = "1 page" if pages == 1 else f"{pages} pages"
        self.info.setText(f"{count}{' — ' + note if note else ''}")
        self.pages.setCurrentWidget(self.view)
        self.view.pageNavigator().jump(0, QPointF(0, 0))
        self.hide_message()
        self._update_buttons()

    def clear(self, text: str = "Choose Preview to see the letter here.") -> None:
        self.document.close()
        self._pdf = None
        self._letter_ids = ()
        self.info.setText("")
        self.placeholder.setText(text)
        self.pages.setCurrentWidget(self.placeholder)
        self._update_buttons()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.show_outcome(text, error=error)

    def hide_message(self) -> None:
        self.message.hide()

    def _fit_changed(self, whole_page: bool) -> None:
        self.view.setZoomMode(
            QPdfView.ZoomMode.FitInView if whole_page else QPdfView.ZoomMode.FitToWidth
        )

    def _update_buttons(self) -> None:
        ready = self._pdf is not None and not self._busy
        stored = bool(self._letter_ids)
        for button in (self.print_button, self.save_button):
            button.setEnabled(ready and stored)
            button.setToolTip("" if stored or self._pdf is None else NOT_STORED)
        self.fit_button.setEnabled(self._pdf is not None)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    # ------------------------------------------------------------------ printing and saving

    def print_letters(self) -> bool:
        """Ask for a printer and print in the background; False when nothing started."""
        if self._pdf is None or not self._letter_ids or self._busy:
            return False
        pdf, ids, db, actor = self._pdf, self._letter_ids, self._db, self._actor
        pages = self.page_count
        if uses_cups():
            choice = ask_queue(self, pages)
            if choice is None:
                return False

            def run() -> tuple[int, str]:
                check_pdf(pdf)  # GOV.UK Notify's printable format; refused: nothing prints
                job = send_to_cups(pdf, choice.queue, copies=choice.copies)
                where = f"Printer {choice.queue}"
                with db.session(write=True) as s:
                    record_prints(s, actor, ids, where, job=job.request_id)
                return pages, f'The printer "{choice.queue}" took the job'

        else:
            printer = make_printer()
            if not ask_printer(self, printer):
                return False
            self._printer = printer  # kept alive while the pool thread draws on it
            destination = printer_destination(printer)

            def run() -> tuple[int, str]:
                check_pdf(pdf)
                printed = print_pdf(pdf, printer)
                with db.session(write=True) as s:
                    record_prints(s, actor, ids, destination)
                return printed, "Sent to the printer"

        self._set_busy(True)
        self.show_message("Printing…")
        self._runner.run(run, self._printed, message_to(self._failed), name="print letters")
        return True

    def _printed(self, outcome: tuple[int, str]) -> None:
        pages, said = outcome
        self._printer = None
        self._set_busy(False)
        what = "1 page" if pages == 1 else f"{pages} pages"
        letters = "the letter is" if len(self._letter_ids) == 1 else "the letters are"
        text = f"{said} ({what}); {letters} recorded as printed with the case."
        self.show_message(text)
        self.recorded.emit(text)

    def save_as_pdf(self) -> bool:
        """Ask for a file name and write the PDF there; False when nothing started."""
        if self._pdf is None or not self._letter_ids or self._busy:
            return False
        path = ask_pdf_path(self, self._suggested)
        if path is None:
            return False
        pdf, ids, db, actor = self._pdf, self._letter_ids, self._db, self._actor

        def run() -> str:
            check_pdf(pdf)  # GOV.UK Notify's printable format; refused: nothing is written
            # Whole and private to the user (0600); a failure says why, in one sentence.
            write_atomically(path, lambda fh: fh.write(pdf), binary=True)
            with db.session(write=True) as s:
                record_prints(s, actor, ids, f"Saved as PDF file {path.name}")
            return path.name

        self._set_busy(True)
        self._runner.run(run, self._saved, message_to(self._failed), name="save letters as PDF")
        return True

    def _saved(self, name: str) -> None:
        self._set_busy(False)
        text = f"Saved as {name}; the copy is recorded with the case and counts as printed."
        self.show_message(text)
        self.recorded.emit(text)

    def _failed(self, message: str) -> None:
        self._printer = None
        self._set_busy(False)
        self.show_message(message, error=True)


class PdfPreviewDialog(QDialog):
    """A window with the preview of stored letters, opened without blocking the app."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        title: str,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.hide()
        self.preview = PdfPreview(db, actor, self, runner=runner)
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        fit_to_screen(self, 760, 900)

    def set_heading(self, text: str) -> None:
        self.heading.setText(text)
        self.heading.setVisible(bool(text))
