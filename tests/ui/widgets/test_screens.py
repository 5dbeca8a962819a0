"""Windows fit the screen they open on, and the main window keeps its size and place.

The test screen (Qt's offscreen platform) is smaller than the smallest laptop the app is used
on, so a window that fits here fits on 1366×768 and on 1280×720 at 125 % too.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from followup.settings import load_local_settings
from followup.ui.shell.main_window import GEOMETRY_KEY, PREFERRED_SIZE, MainWindow
from followup.ui.widgets.pdf_preview import PdfPreviewDialog
from tests.ui.case.helpers import make_case


def _available() -> QRect:
    return QGuiApplication.primaryScreen().availableGeometry()


def _inside(widget) -> bool:
    return _available().contains(widget.frameGeometry())


def _window(qtbot, db, actor) -> MainWindow:
    window = MainWindow(db, actor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_main_window_fits_and_stays_inside_with_a_case_open(ui_db, team, qtbot):
    area = _available()
    assert area.width() < PREFERRED_SIZE[0] or area.height() < PREFERRED_SIZE[1]
    window = _window(qtbot, ui_db, team["lead"])
    assert _inside(window)
    assert window.statusBar().isVisible()
    bottom = window.statusBar().mapTo(window, window.statusBar().rect().bottomLeft()).y()
    assert bottom <= window.height()
    case_view = window.open_case(make_case(ui_db, team, status="contacting"))
    qtbot.waitUntil(lambda: case_view.detail is not None and not case_view.busy, timeout=5000)
    width = window.width()
    window.show_views()  # the view comes back beside the case: the window must not widen
    qtbot.waitUntil(lambda: window.stack.isVisible(), timeout=5000)
    assert window.width() == width and _inside(window)


def test_the_window_opens_as_it_was_left(ui_db, team, qtbot):
    window = _window(qtbot, ui_db, team["lead"])
    window.resize(640, 480)
    window.move(_available().topLeft())
    qtbot.waitUntil(lambda: window.width() == 640, timeout=5000)
    window.close()
    assert load_local_settings().get(GEOMETRY_KEY)
    again = _window(qtbot, ui_db, team["lead"])
    assert (again.width(), again.height()) == (640, 480)


def test_a_broken_saved_place_falls_back_to_a_fitted_window(ui_db, team, qtbot):
    from followup.settings import save_local_settings

    save_local_settings({GEOMETRY_KEY: "not a saved geometry"})
    window = _window(qtbot, ui_db, team["lead"])
    assert _inside(window)


def test_the_letter_preview_fits_so_its_close_button_can_be_reached(ui_db, team, qtbot):
    dialog = PdfPreviewDialog(ui_db, team["worker1"], "Letters")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _inside(dialog)
    close = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Close")
    corner = close.mapTo(dialog, close.rect().bottomRight())
    assert dialog.rect().contains(corner)
