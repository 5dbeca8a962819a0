"""The look of every screen: the style sheet in ``resources/`` and the colours painted in code.

Views never name a colour. They give a widget a role (``set_role(label, StyleRole.ERROR)``)
and ``followup.qss``, loaded once at start-up, says what the role looks like. Item models and
charts paint with ``QColor``, which a style sheet cannot reach; their colours are here, the
same values the sheet uses for the same meaning.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QApplication, QWidget

__all__ = [
    "AXIS_TEXT",
    "BAR_LABEL",
    "CHANGED_BACKGROUND",
    "ENGAGED_COLOUR",
    "ERROR_COLOUR",
    "FUNNEL_COLOUR",
    "GOOD_COLOUR",
    "GRID",
    "RATE_COLOUR",
    "RECEIVED_COLOUR",
    "ROLE_PROPERTY",
    "TOTAL_ROW_BACKGROUND",
    "StyleRole",
    "app_icon",
    "apply_look",
    "set_role",
    "style_sheet",
]

ROLE_PROPERTY = "role"


class StyleRole(StrEnum):
    """What a widget is for, as the style sheet's ``[role="…"]`` selectors know it."""

    PLAIN = ""
    ERROR = "error"  # a refusal or a failure: what happened and what to do next
    DONE = "done"  # a confirmation that something was saved or written
    CAUTION = "caution"  # a word of warning that is not an error
    REASON = "reason"  # why the choice just above cannot be made (indented under it)
    NOTE = "note"  # secondary text: hints, "nothing here yet"
    HEADING = "heading"
    OVERDUE = "overdue"
    ALARM = "alarm"  # the database itself is in trouble
    CHIP = "chip"  # a risk marker under the person's name
    CHIP_SERIOUS = "chip-serious"
    STATUS = "status"  # the case status beside the name
    STATUS_CLOSED = "status-closed"


# Colours for item models and charts; the first two match the "error" and "done" roles.
ERROR_COLOUR = QColor("#b00020")
GOOD_COLOUR = QColor("#1b5e20")
TOTAL_ROW_BACKGROUND = QColor("#eef3f7")
CHANGED_BACKGROUND = QColor("#fff1cc")  # a detail that differs between two records
FUNNEL_COLOUR = QColor("#2f6f9f")
RECEIVED_COLOUR = QColor("#9fbfd9")
ENGAGED_COLOUR = QColor("#2f6f9f")
RATE_COLOUR = QColor("#d9822b")
AXIS_TEXT = QColor("#44505c")
BAR_LABEL = QColor("#1d2a35")
GRID = QColor("#e3e8ed")


def set_role(widget: QWidget, role: StyleRole) -> None:
    """Give ``widget`` a role; it is restyled at once, even when already shown."""
    if widget.property(ROLE_PROPERTY) == role.value:
        return
    widget.setProperty(ROLE_PROPERTY, role.value)
    # A style sheet reads dynamic properties when it polishes a widget, so polish it again;
    # the style change makes a label take its new border and padding into its size as well.
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    QApplication.sendEvent(widget, QEvent(QEvent.Type.StyleChange))
    widget.update()


def style_sheet() -> str:
    """The text of ``resources/followup.qss``, its images' paths made absolute."""
    folder = resources.files("followup").joinpath("resources")
    text = folder.joinpath("followup.qss").read_text("utf-8")
    # The sheet names its images from resources/ ("url(icons/…)"); Qt opens them by path.
    return text.replace("url(icons/", f"url({Path(str(folder)).as_posix()}/icons/")


def app_icon() -> QIcon:
    """Followup's icon (``resources/icons``), as every window shows it."""
    icon = QIcon()
    with resources.as_file(resources.files("followup") / "resources" / "icons") as folder:
        icon.addFile(str(folder / "followup-256.png"))
    return icon


def apply_look(app: QApplication) -> None:
    """Style the whole app from the one sheet and give every window the app's icon (once, at
    start-up). The desktop file name ties the windows to the installed ``followup.desktop``."""
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("followup")
