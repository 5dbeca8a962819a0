"""The desktop app (Qt): main window, views, item models, dialogs and background tasks.

Nothing outside this package imports Qt.
"""

__all__ = [
    "admin",
    "case",
    "caseload",
    "dashboard",
    "intake",
    "letters",
    "shell",
    "system_libs",
    "tasks",
    "widgets",
]
