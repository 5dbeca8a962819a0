"""Users, passwords and sign-in.

Passwords are hashed with scrypt from the standard library (memory-hard, no extra
dependency). Adding a user and every sign-in, good or bad, go into the audit trail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.models import User
from followup.errors import FollowupError, PermissionDenied, SignInFailed
from followup.vocab import ROLES, AuditAction, Role

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "actor_of",
    "create_user",
    "hash_password",
    "list_workers",
    "sign_in",
    "user_count",
    "validate_new_user",
    "verify_password",
]

# scrypt cost: 2**14 iterations with r=8 uses 16 MiB and takes tens of milliseconds.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 4


def actor_of(user: User) -> Actor:
    return Actor(
        id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role)
    )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A fixed hash to check against when the user name is unknown, so that the time taken does
# not reveal which names exist.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def validate_new_user(username: str, display_name: str, role: str, password: str) -> None:
    if not username or not username.strip():
        raise FollowupError("A user needs a login name.")
    if len(username) > 64 or any(c.isspace() for c in username):
        raise FollowupError("A login name has no spaces and at most 64 characters.")
    if role not in ROLES:
        raise FollowupError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    if not display_name.strip():
        raise FollowupError("A user needs a display name.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FollowupError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(
    session: Session,
    actor: Actor | None,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    *,
    password_hash: str | None = None,
) -> User:
    """Add a user. Only an admin may, except for the very first user, who must be an admin."""
    username = username.strip()
    display_name = (display_name or username).strip()
    validate_new_user(username, display_name, role, password)
    if actor is None:
        if user_count(session) > 0:
            raise PermissionDenied(
                "Only an administrator can add users once the first one exists; "
                "sign in as an administrator (--user NAME)."
            )
        if role != Role.ADMIN:
            raise FollowupError("The first user must be an administrator (--role admin).")
    else:
        require(actor, "manage_users")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise FollowupError(f"There is already a user called {username}; choose another name.")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        active=True,
        password_hash=password_hash or hash_password(password),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor.id if actor else user.id,
        AuditAction.CREATE,
        "user",
        user.id,
        {"username": username, "role": role},
    )
    return user


def sign_in(session: Session, username: str, password: str) -> Actor:
    """Check a user name and password; success and failure are both audited."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok or not user.active:
        audit.record(
            session,
            user.id if user else None,
            AuditAction.LOGIN_FAILED,
            "user",
            user.id if user else None,
            {"reason": "inactive" if (user and ok) else "wrong name or password"},
            username=username[:64],
        )
        # The failed attempt must stay on record although the caller's block fails.
        session.commit()
        if user is not None and ok and not user.active:
            raise SignInFailed("This account has been switched off; ask an administrator.")
        raise SignInFailed("The user name or password is wrong; check them and try again.")
    audit.record(session, user.id, AuditAction.LOGIN, "user", user.id, username=user.username)
    return actor_of(user)


def list_workers(session: Session) -> list[Actor]:
    """Active users who can hold a caseload (workers and leads), by name."""
    users = session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_((Role.WORKER, Role.LEAD)))
        .order_by(User.display_name)
    )
    return [actor_of(u) for u in users]
