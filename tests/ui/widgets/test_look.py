"""The look in one place: the style sheet loads cleanly, roles take its colours, views name none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

import followup.ui
from followup.ui.widgets.look import (
    ERROR_COLOUR,
    GOOD_COLOUR,
    ROLE_PROPERTY,
    StyleRole,
    apply_look,
    set_role,
    style_sheet,
)
from followup.ui.widgets.messages import InlineMessage

UI = Path(followup.ui.__file__).parent


@pytest.fixture
def styled(qapp: QApplication):
    """The app styled as at start-up; unstyled again afterwards, as the other tests expect."""
    apply_look(qapp)
    yield qapp
    qapp.setStyleSheet("")
    qapp.setWindowIcon(QIcon())


def test_every_window_shows_the_app_icon(styled, qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    icon = window.windowIcon()
    assert not icon.isNull()
    assert icon.pixmap(64, 64).toImage().pixelColor(32, 6).name() == "#005a70"  # its blue edge
    assert styled.desktopFileName() == "followup"  # as packaging/linux/followup.desktop


def text_colour(widget: QWidget) -> str:
    return widget.palette().color(QPalette.ColorRole.WindowText).name()


def test_the_style_sheet_loads_without_qt_warnings(styled, qtbot):
    # A sheet Qt cannot parse, or a bad property in it, logs a Qt warning: that fails the test.
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    for role in StyleRole:
        label = QLabel(f"A label in the {role.value or 'plain'} role")
        label.setProperty(ROLE_PROPERTY, role.value)
        layout.addWidget(label)
    window.show()
    qtbot.waitExposed(window)
    window.grab()  # paint every rule once
    assert styled.styleSheet() == style_sheet()


def test_every_role_has_a_look_in_the_sheet():
    sheet = style_sheet()
    for role in StyleRole:
        if role is not StyleRole.PLAIN:
            assert f'[role="{role.value}"]' in sheet, role


def test_an_error_message_shows_in_the_error_role(styled, qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    message = InlineMessage(window)
    window.show()
    assert message.isHidden()  # nothing to say yet

    message.warn("The case was changed by someone else; reload it.")
    assert message.isVisible()
    assert message.text() == "The case was changed by someone else; reload it."
    assert message.property(ROLE_PROPERTY) == StyleRole.ERROR
    assert text_colour(message) == ERROR_COLOUR.name()

    # A widget already shown takes its new role's look at once.
    message.confirm("Saved.")
    assert message.property(ROLE_PROPERTY) == StyleRole.DONE
    assert text_colour(message) == GOOD_COLOUR.name()

    message.show_outcome("The printer did not answer; check it is on.", error=True)
    assert message.property(ROLE_PROPERTY) == StyleRole.ERROR
    message.show_outcome("Printed.")
    assert message.property(ROLE_PROPERTY) == StyleRole.DONE

    message.say("Exporting…")
    assert message.property(ROLE_PROPERTY) == StyleRole.PLAIN
    assert text_colour(message) not in {ERROR_COLOUR.name(), GOOD_COLOUR.name()}

    message.clear_message()
    assert message.isHidden() and message.text() == ""


def test_a_role_given_to_a_shown_label_sizes_it_for_its_border_and_padding(styled, qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    status = QLabel()
    layout.addWidget(status)
    window.show()
    qtbot.waitExposed(window)
    plain = status.contentsMargins()

    status.setText("Engaged")
    set_role(status, StyleRole.STATUS)  # as the case header does for every case it shows
    assert status.contentsMargins().left() > plain.left()
    assert status.font().bold()

    set_role(status, StyleRole.PLAIN)
    assert status.contentsMargins() == plain
    assert not status.font().bold()


def test_no_view_writes_a_colour_a_style_or_a_date_format():
    colour = re.compile(r"""["'][^"'\n]*#[0-9a-fA-F]{3,8}\b""")
    date_format = re.compile(r"%d/%m|dd/MM|%H:%M|HH:mm")
    written = [
        f"{path.relative_to(UI)}:{number}"
        for path in sorted(UI.rglob("*.py"))
        if path.name != "look.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if colour.search(line) or date_format.search(line) or "setStyleSheet(" in line
    ]
    assert written == []
