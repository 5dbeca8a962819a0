"""Followup: case management for post-overdose follow-up and treatment referral.

The kernel (``errors``, ``vocab``, ``validation``, ``settings``, ``logs``, ``files``,
``spreadsheets``, ``uktime``) holds no rules and no storage; ``access``, ``accounts`` and ``passwords`` are
roles, sign-in and the password rule, and ``user_admin`` manages users on either kind of
database; each capability is a package (``intake``,
``casework``, ``letters``, ``reports``, ``protection`` …); ``db`` is storage and ``ui`` the
desktop app. README.md draws the map.
"""

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "access",
    "accounts",
    "audit",
    "casework",
    "cli",
    "db",
    "demo",
    "errors",
    "files",
    "intake",
    "letters",
    "logs",
    "passwords",
    "pdf",
    "protection",
    "reports",
    "settings",
    "spreadsheets",
    "startup",
    "ui",
    "uktime",
    "user_admin",
    "validation",
    "vocab",
]
