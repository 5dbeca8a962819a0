"""Opening the database when the desktop app starts: open, upgrade and describe it.

The UI reaches storage only through services; this is the service for the one moment the app
itself must hold the database (and its URL) before anyone has signed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from followup.db import migrate
from followup.db.engine import Database, describe, enforced_by_server, sqlite_path
from followup.errors import DatabaseUnavailable
from followup.protection.backup.digest import write_digest
from followup.settings import AppPaths, keyring_status, with_stored_password

if TYPE_CHECKING:
    from followup.access import Actor

__all__ = [
    "database_file",
    "needs_first_admin",
    "on_team_server",
    "sign_in",
    "database_username",
    "describe",
    "open_app_database",
    "password_refused",
    "sqlite_path",
]


def password_refused(exc: DatabaseUnavailable) -> bool:
    """Whether opening failed for want of the right PostgreSQL password."""
    cause = exc.__context__
    text = f"{exc} {getattr(cause, 'orig', cause) or ''}".lower()
    return any(
        s in text
        for s in ("refused the password", "password authentication failed", "no password supplied")
    )


def open_app_database(
    url: str, *, create: bool, backup_dir: Path | None, password: str | None = None
) -> Database | None:
    """Open and upgrade the database at ``url``, with ``password`` when the user typed one.

    None when a PostgreSQL server wants a password it was not given or refused (the app then
    asks for it); any other failure raises ``DatabaseUnavailable``.
    """
    AppPaths.default().tighten_folders()  # an older version left them readable by everyone
    attempt = url
    team = make_url(url).get_backend_name() == "postgresql"
    if password is not None:
        attempt = make_url(url).set(password=password).render_as_string(hide_password=False)
    elif team and keyring_status().usable:
        # Only a team database has a password; without a keyring none is stored, and the
        # server's refusal makes the app ask the user for one.
        attempt = with_stored_password(url)
    try:
        # Looked up at call time, so that tests can stand in for the real opening.
        return migrate.open_database(
            attempt, create=create, backup_dir=backup_dir, on_backup=write_digest
        )
    except DatabaseUnavailable as exc:
        if team and password_refused(exc):
            return None
        raise


def on_team_server(db: Database) -> bool:
    """Whether the server checks passwords and rules itself (``followup init`` made it so)."""
    if db.is_sqlite:
        return False
    with db.session() as s:
        return enforced_by_server(s)


def needs_first_admin(db: Database) -> bool:
    """Whether the database has no users yet (a team server's first admin is made by its owner
    with ``followup users add``, so the app never offers to make one there)."""
    from followup import accounts  # not at import: the first window waits for this module

    if on_team_server(db):
        return False
    with db.session() as s:
        return accounts.user_count(s) == 0


def sign_in(db: Database, username: str, password: str) -> Actor:
    """Check who is signing in, audited either way, on either kind of database.

    On a team server the server checks the password by letting the user connect; from then
    on ``db`` is the user's own connection, and row-level security follows them.
    """
    if on_team_server(db):
        from followup.protection import team_accounts

        return team_accounts.sign_in(db, username, password)
    from followup import accounts

    with db.session(write=True) as s:  # it records the sign-in: it waits for its turn
        return accounts.sign_in(s, username, password)


def database_username(url: str) -> str:
    """The user name in a database URL ("" when it names none)."""
    return make_url(url).username or ""


def database_file(db: object) -> Path | None:
    """The SQLite file behind an open database; None for a server (or a stand-in in tests)."""
    return sqlite_path(db.url) if isinstance(db, Database) else None
