"""Windows that fit the screen they open on, from a 1280×720 laptop to a 1920×1080 monitor.

``fit_to_screen`` gives a window the size it would like, but never more than the screen's
available area (less the window frame), and centres it there; ``restore_geometry`` and
``geometry_text`` keep the main window's own size and place between runs, falling back to a
fitted size when the saved place is on a screen that is no longer there.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

__all__ = ["MARGIN", "fit_to_screen", "geometry_text", "restore_geometry", "screen_of"]

MARGIN = 40  # pixels left for the window frame and the desktop's own panels


def screen_of(widget: QWidget) -> QScreen:
    parent = widget.parentWidget()
    screen = (parent.window().screen() if parent is not None else None) or widget.screen()
    return screen or QGuiApplication.primaryScreen()


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Size ``widget`` to ``width`` × ``height``, or to what its screen has room for."""
    area = screen_of(widget).availableGeometry()
    w = max(min(width, area.width() - MARGIN), min(widget.minimumWidth(), area.width()))
    h = max(min(height, area.height() - MARGIN), min(widget.minimumHeight(), area.height()))
    widget.resize(w, h)
    frame = QRect(0, 0, w, h)
    frame.moveCenter(area.center())
    widget.move(frame.topLeft())


def geometry_text(widget: QWidget) -> str:
    """The window's size and place, as text for the settings file."""
    return bytes(widget.saveGeometry().toBase64().data()).decode("ascii")


def restore_geometry(widget: QWidget, saved: object, width: int, height: int) -> None:
    """Put the window back where it was; else (nothing saved, or off every screen) fit it."""
    if (
        isinstance(saved, str)
        and saved
        and widget.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))
    ):
        centre = widget.frameGeometry().center()
        if any(s.availableGeometry().contains(centre) for s in QGuiApplication.screens()):
            return
    fit_to_screen(widget, width, height)
