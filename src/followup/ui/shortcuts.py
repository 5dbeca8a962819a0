"""Every keyboard shortcut of the app, in one list: the main window's actions are made from it
and Help › Keyboard shortcuts shows it, so the two cannot drift apart.

A ``WINDOW`` shortcut is a QAction on the main window (Qt.WindowShortcut): it works wherever
the focus is, a case included. A ``FORM`` shortcut belongs to the form being typed in (a
QAction on that form, Qt.WidgetWithChildrenShortcut), so Ctrl+Enter saves the form it is
pressed in and no other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

__all__ = [
    "CLOSE_CASE",
    "FIND_CASE",
    "IMPORT_REFERRALS",
    "KEYBOARD_SHORTCUTS",
    "NEW_ATTEMPT",
    "REFRESH",
    "SAVE_FORM",
    "SHORTCUTS",
    "SIGN_OUT",
    "SWITCH_USER",
    "ABOUT",
    "USER_GUIDE",
    "Scope",
    "Shortcut",
    "add_action",
    "view_shortcuts",
    "window_shortcuts",
]


class Scope(StrEnum):
    WINDOW = "window"  # anywhere in the main window
    FORM = "form"  # in the form being typed in


@dataclass(frozen=True)
class Shortcut:
    """One action and its keys: the first key is the one shown in menus and lists."""

    name: str  # the action's words, as in a menu ("New contact attempt")
    keys: tuple[str, ...]  # QKeySequence portable text ("Ctrl+N")
    where: str  # where it works, in plain words
    scope: Scope = Scope.WINDOW
    group: str = "Cases"


NEW_ATTEMPT = Shortcut(
    "New contact attempt",
    ("Ctrl+N", "Alt+N", "Ctrl+L"),
    "With a case open: goes to the contact attempt form of the case in front",
)
FIND_CASE = Shortcut("Find a case", ("Ctrl+F",), "Anywhere: goes to the caseload's search box")
REFRESH = Shortcut(
    "Refresh", ("F5",), "Reads the case or the view in front again from the database"
)
CLOSE_CASE = Shortcut("Close the case", ("Ctrl+W",), "Closes the case in front")
SAVE_FORM = Shortcut(
    "Save the form",
    ("Ctrl+Return", "Ctrl+Enter"),
    "In a contact attempt or a note: saves what you typed",
    Scope.FORM,
)
IMPORT_REFERRALS = Shortcut(
    "Import referrals…", ("Ctrl+I",), "Anywhere: opens a police referral file", group="Intake"
)
SIGN_OUT = Shortcut(
    "Sign out", ("Ctrl+Shift+L",), "Anywhere: your unsaved work is kept", group="Account"
)
SWITCH_USER = Shortcut(
    "Switch user…", ("Ctrl+Shift+U",), "Anywhere: lets someone else sign in", group="Account"
)
USER_GUIDE = Shortcut("User guide", ("F1",), "Anywhere", group="Help")
KEYBOARD_SHORTCUTS = Shortcut("Keyboard shortcuts", ("Ctrl+/",), "Anywhere", group="Help")
ABOUT = Shortcut("About Followup", (), "Help menu", group="Help")

SHORTCUTS: tuple[Shortcut, ...] = (
    NEW_ATTEMPT,
    FIND_CASE,
    REFRESH,
    CLOSE_CASE,
    SAVE_FORM,
    IMPORT_REFERRALS,
    SIGN_OUT,
    SWITCH_USER,
    USER_GUIDE,
    KEYBOARD_SHORTCUTS,
)


def view_shortcuts(titles: Iterable[str]) -> list[Shortcut]:
    """Alt+1 to Alt+9: the first nine views of the sidebar, in its order."""
    return [
        Shortcut(f"Go to {title}", (f"Alt+{n}",), "Anywhere", group="Views")
        for n, title in enumerate(titles, start=1)
        if n <= 9
    ]


def window_shortcuts(view_titles: Iterable[str], *, can_import: bool) -> list[Shortcut]:
    """The shortcuts of one main window: its views' and those its user may use."""
    return [s for s in SHORTCUTS if can_import or s is not IMPORT_REFERRALS] + view_shortcuts(
        view_titles
    )


def add_action(widget: QWidget, shortcut: Shortcut, slot: Callable[[], object]) -> QAction:
    """A QAction with ``shortcut``'s words and keys, added to ``widget`` so its keys work."""
    action = QAction(shortcut.name, widget)
    action.setShortcuts([QKeySequence(k) for k in shortcut.keys])
    action.setShortcutContext(
        Qt.ShortcutContext.WindowShortcut
        if shortcut.scope is Scope.WINDOW
        else Qt.ShortcutContext.WidgetWithChildrenShortcut
    )
    action.setStatusTip(shortcut.where)
    action.triggered.connect(lambda _checked=False: slot())
    widget.addAction(action)
    return action
