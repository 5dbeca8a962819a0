"""Errors that carry a plain sentence for the user: what happened and what to do next.

Messages never include personal data, because they may reach a log file.
"""

from __future__ import annotations

__all__ = [
    "DatabaseBusy",
    "DatabaseDamaged",
    "DiskFull",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "FollowupError",
    "MaintenanceStopped",
    "NotFound",
    "PermissionDenied",
    "RuleViolation",
    "SignInFailed",
    "StaleEdit",
    "require_version",
]


class FollowupError(Exception):
    """A problem the user can understand and act on; ``str()`` is the sentence to show."""


class DatabaseUnavailable(FollowupError):
    """The database cannot be opened, reached or used."""


class DatabaseTooNew(DatabaseUnavailable):
    """The database was written by a newer version of Followup."""


class PermissionDenied(FollowupError):
    """The signed-in user's role does not allow the action."""


class SignInFailed(FollowupError):
    """Wrong user name or password, or an inactive account."""


class RuleViolation(FollowupError):
    """A domain rule refuses the action; the message names the rule."""


class NotFound(FollowupError):
    """The record asked for does not exist (or is not visible to this user)."""


class StaleEdit(FollowupError):
    """Someone else changed the record since it was opened."""


def require_version(found: int, expected: int | None, what: str) -> None:
    """Refuse a save made on an old reading of a record.

    ``what`` names the record as the user knows it ("this person's details"); ``expected`` is
    the version the user saw (``None`` when nobody saw it, as in an import).
    """
    if expected is not None and found != expected:
        raise StaleEdit(
            f"Someone else changed {what} since you opened it; reload to see their changes, "
            "then make yours again."
        )


class DatabaseBusy(FollowupError):
    """Another connection holds the database's write lock (SQLite) for too long."""


class DatabaseDamaged(DatabaseUnavailable):
    """The SQLite file is damaged: it is refused, and nothing more is written to it."""


class DiskFull(FollowupError):
    """The disk (or the database's size limit) ran out of room; the change was rolled back."""


class MaintenanceStopped(FollowupError):
    """Background maintenance (the start-up check, a backup) was stopped part-way because the
    app is closing; nothing is wrong and nothing half-done was kept."""

    def __init__(self, message: str = "The check or backup was stopped; nothing was kept.") -> None:
        super().__init__(message)
