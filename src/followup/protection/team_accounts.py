"""Users on a PostgreSQL team server: each one a login role, checked by the server itself.

Signing in *is* connecting as the user: the server checks the password (SCRAM), and
``Database.reconnect_as`` swaps the desktop's connection (until then the team's gate login,
which may only count failures and read lockouts) for the user's own. The lockout lives in the
database, kept by the definer functions ``followup_sign_in_lock``, ``followup_sign_in_failed``
and ``followup_signed_in`` (``team_server``), so it holds for every desktop and the command
line alike. Creating and changing users goes through ``followup_create_user`` and
``followup_change_user``: passwords reach the server only as SCRAM verifiers, computed here by
libpq, so a password is never sent, logged or stored in clear.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import psycopg
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from followup.access import Actor, require
from followup.accounts import WRONG_NAME_OR_PASSWORD, actor_of, locked_message
from followup.db.engine import Database
from followup.db.models import User
from followup.errors import DatabaseUnavailable, FollowupError, SignInFailed, require_version
from followup.vocab import ROLES

__all__ = [
    "SWITCHED_OFF",
    "change_user",
    "create_user",
    "scram_verifier",
    "sign_in",
]

log = logging.getLogger(__name__)

SWITCHED_OFF = "This account has been switched off; ask an administrator."


def _locked(until: datetime) -> str:
    return locked_message(until.replace(tzinfo=UTC))  # the server answers in naive UTC


def _refused_password(exc: BaseException) -> bool:
    message = str(getattr(exc, "orig", exc)).lower()
    return "password authentication failed" in message or "no password supplied" in message


def _server_sentence(exc: DBAPIError) -> str:
    """The first line of a message the server's definer function raised for a person."""
    orig = exc.orig
    if isinstance(orig, psycopg.Error) and orig.diag.message_primary:
        return orig.diag.message_primary
    return str(orig).splitlines()[0]


def sign_in(db: Database, username: str, password: str) -> Actor:
    """Sign in on a team server: connect as the user; ``db`` is then their connection."""
    name = username.strip()
    if not name or not password:
        raise SignInFailed(WRONG_NAME_OR_PASSWORD)
    with db.session() as s:
        until = s.scalar(select(func.followup_sign_in_lock(name)))
    if until is not None:
        raise SignInFailed(_locked(until))
    try:
        db.reconnect_as(name, password)
    except DatabaseUnavailable as exc:
        cause = exc.__context__ or exc
        if "not permitted to log in" in str(getattr(cause, "orig", cause)):
            # The server checked the password first: only the account's owner learns this.
            raise SignInFailed(SWITCHED_OFF) from None
        if not _refused_password(cause):
            raise
        with db.session() as s:
            until = s.scalar(select(func.followup_sign_in_failed(name)))
        log.info("Sign-in refused by the team server")
        raise SignInFailed(_locked(until) if until else WRONG_NAME_OR_PASSWORD) from None
    try:
        with db.session() as s:
            until = s.scalar(select(func.followup_signed_in()))
            user = s.scalar(select(User).where(User.username == literal_column("session_user")))
    except DBAPIError as exc:
        raise SignInFailed(_server_sentence(exc)) from None
    if until is not None:
        raise SignInFailed(_locked(until))
    if user is None:
        raise SignInFailed("This login is not a Followup user; ask an administrator.")
    return actor_of(user)


def scram_verifier(session: Session, username: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of a password, computed by libpq on this computer."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    verifier = raw.pgconn.encrypt_password(
        password.encode("utf-8"), username.encode("utf-8"), b"scram-sha-256"
    )
    return verifier.decode("ascii")


def _call(session: Session, statement: str, values: dict[str, object]) -> object:
    try:
        return session.execute(text(statement), values).scalar()
    except DBAPIError as exc:
        raise FollowupError(_server_sentence(exc)) from None


def create_user(
    session: Session,
    actor: Actor | None,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
) -> int:
    """Add a user as a login role of the team server (an admin, or the owner for the first)."""
    from followup.accounts import validate_new_user

    username = username.strip()
    display_name = (display_name or username).strip()
    validate_new_user(username, display_name, role, password)
    if actor is not None:
        require(actor, "manage_users")
    if role not in ROLES:
        raise FollowupError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    user_id = _call(
        session,
        "SELECT followup_create_user(:u, :d, :r, :v)",
        {
            "u": username,
            "d": display_name,
            "r": role,
            "v": scram_verifier(session, username, password),
        },
    )
    assert isinstance(user_id, int)
    return user_id


def change_user(
    session: Session,
    actor: Actor | None,
    username: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    unlock: bool = False,
    expected_version: int | None = None,
) -> None:
    """Change a user's role, switch them off or on, set a one-time password, or unlock them.

    ``actor`` is None only for the schema's owner (after an upgrade nobody has a login yet);
    the server refuses anyone else who is not an admin. ``expected_version`` is the account's
    version the admin saw (the server's function raises it with each change).
    """
    if actor is not None:
        require(actor, "manage_users")
    if expected_version is not None:
        found = session.scalar(
            select(User.version).where(func.lower(User.username) == username.strip().lower())
        )
        if found is not None:
            require_version(found, expected_version, "this user's account")
    verifier = scram_verifier(session, username, password) if password is not None else None
    _call(
        session,
        "SELECT followup_change_user(:u, :r, :a, :v, :k)",
        {"u": username, "r": role, "a": active, "v": verifier, "k": unlock},
    )


def change_own_password(db: Database, actor: Actor, current: str, new: str) -> Actor:
    """The signed-in user sets their login's password (after a reset, before anything else).

    The current password is checked by connecting with it; the new one must meet the password
    rule. The desktop then reconnects with the new password, so that later connections work.
    """
    from followup.passwords import check_new_password

    if new == current:
        raise FollowupError("Choose a password different from the one you were given.")
    check_new_password(new)
    try:
        db.reconnect_as(actor.username, current)
    except DatabaseUnavailable:
        raise SignInFailed("The current password is not right; type it again.") from None
    with db.session() as s:
        _call(
            s,
            "SELECT followup_change_my_password(:v)",
            {"v": scram_verifier(s, actor.username, new)},
        )
    db.reconnect_as(actor.username, new)
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == literal_column("session_user")))
    if user is None:
        raise SignInFailed("This login is not a Followup user; ask an administrator.")
    return actor_of(user)
