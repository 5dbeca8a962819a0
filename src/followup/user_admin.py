"""User administration on either kind of database, for the app's Users screen and the CLI.

Each function opens its own short session on ``db``. On SQLite (and on a PostgreSQL database
that is not a team server) the accounts live in ``user_account`` and ``followup.accounts``
applies the rules. On a team server every user is a login role, and the server's definer
functions make each change (``followup.protection.team_accounts``); the same rules hold there:
only admins manage users, the last active admin can be neither switched off nor demoted, and a
reset password must be replaced by its user at their next sign-in. ``actor`` is ``None`` only
for a team server's owner, who acts without signing in (see ``followup users``).

Every change takes the version of the account the admin saw (``UserSummary.version``), so two
administrators cannot undo each other's change without being told.
"""

from __future__ import annotations

from followup import accounts
from followup.access import Actor, require
from followup.accounts import UserSummary
from followup.db.engine import Database
from followup.errors import FollowupError
from followup.startup import on_team_server

__all__ = [
    "add_user",
    "change_own_password",
    "list_users",
    "reset_password",
    "set_active",
    "set_role",
    "unlock",
]


def list_users(db: Database, actor: Actor) -> list[UserSummary]:
    """Every user by login name, with role, state, lock, last sign-in (administrators)."""
    with db.session() as s:
        return accounts.list_users(s, actor)


def add_user(
    db: Database,
    actor: Actor | None,
    name: str,
    role: str,
    password: str,
    display_name: str | None = None,
) -> None:
    """Add a user with a first password the admin passes on to them."""
    if on_team_server(db):
        from followup.protection import team_accounts

        with db.session(write=True) as s:
            team_accounts.create_user(s, actor, name, role, password, display_name)
        return
    with db.session(write=True) as s:
        accounts.create_user(s, actor, name, role, password, display_name)


def set_role(
    db: Database, actor: Actor | None, name: str, role: str, expected_version: int | None = None
) -> None:
    if on_team_server(db):
        _on_server(db, actor, name, expected_version, role=role)
        return
    assert actor is not None
    with db.session(write=True) as s:
        accounts.set_role(s, actor, name, role, expected_version=expected_version)


def set_active(
    db: Database,
    actor: Actor | None,
    name: str,
    active: bool,
    expected_version: int | None = None,
) -> None:
    """Switch an account on or off (a switched-off user cannot sign in)."""
    if on_team_server(db):
        if actor is not None and not active and actor.username == name.strip():
            raise FollowupError(
                "You cannot switch off your own account; another administrator can do it."
            )
        _on_server(db, actor, name, expected_version, active=active)
        return
    assert actor is not None
    service = accounts.enable_user if active else accounts.disable_user
    with db.session(write=True) as s:
        service(s, actor, name, expected_version=expected_version)


def reset_password(
    db: Database,
    actor: Actor | None,
    name: str,
    password: str,
    expected_version: int | None = None,
) -> None:
    """A one-time password for the admin to pass on; the user must replace it at sign-in."""
    if on_team_server(db):
        _on_server(db, actor, name, expected_version, password=password)
        return
    assert actor is not None
    with db.session(write=True) as s:
        accounts.reset_password(s, actor, name, password, expected_version=expected_version)


def unlock(
    db: Database, actor: Actor | None, name: str, expected_version: int | None = None
) -> None:
    if on_team_server(db):
        _on_server(db, actor, name, expected_version, unlock=True)
        return
    assert actor is not None
    with db.session(write=True) as s:
        accounts.unlock_user(s, actor, name, expected_version=expected_version)


def change_own_password(db: Database, actor: Actor, current: str, new: str) -> Actor:
    """The signed-in user replaces their password; returns them with nothing left to change."""
    if on_team_server(db):
        from followup.protection import team_accounts

        return team_accounts.change_own_password(db, actor, current, new)
    with db.session(write=True) as s:
        return accounts.change_own_password(s, actor, current, new)


def _on_server(
    db: Database,
    actor: Actor | None,
    name: str,
    expected_version: int | None,
    **change: object,
) -> None:
    from followup.protection import team_accounts

    if actor is not None:
        require(actor, "manage_users")
    with db.session(write=True) as s:
        team_accounts.change_user(
            s,
            actor,
            name,
            expected_version=expected_version,
            **change,  # type: ignore[arg-type]
        )
