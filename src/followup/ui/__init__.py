"""The desktop app (Qt): main window, views, item models, dialogs and background tasks.

Nothing outside this package imports Qt. ``shortcuts`` is the one list of keyboard shortcuts
(the main window's actions and Help › Keyboard shortcuts are made from it); ``help`` is the
Help menu: user guide, shortcuts, About.
"""

__all__ = [
    "admin",
    "case",
    "caseload",
    "dashboard",
    "help",
    "intake",
    "letters",
    "shell",
    "shortcuts",
    "system_libs",
    "tasks",
    "widgets",
]
