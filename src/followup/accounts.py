"""Users, sign-in and its lockout, and the administrator's user management.

Passwords are checked and hashed by ``followup.passwords`` (scrypt at OWASP's cost, the
NCSC length rule, the common-password list). Five failed sign-ins in a row lock an account
for a time that grows with each further failure (``lock_delay``); while locked even the right
password is refused. Every sign-in, good or bad, every lock and every change to a user goes
into the audit trail, never with a password.

The rules that do not touch storage (``lock_delay``, ``lock_until``, ``is_locked``,
``locked_message``) are plain functions, so the team server's sign-in can apply the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from followup import audit
from followup.access import Actor, require
from followup.db.models import User
from followup.errors import (
    FollowupError,
    NotFound,
    PermissionDenied,
    SignInFailed,
    require_version,
)
from followup.passwords import (
    MIN_PASSWORD_LENGTH,
    check_new_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from followup.uktime import DATE_TIME_SECONDS_FORMAT, now_utc, to_uk
from followup.vocab import ROLES, AuditAction, Role

__all__ = [
    "FIRST_LOCK",
    "LOCK_AFTER_FAILURES",
    "LONGEST_LOCK",
    "MIN_PASSWORD_LENGTH",
    "WRONG_NAME_OR_PASSWORD",
    "UserSummary",
    "actor_of",
    "change_own_password",
    "create_user",
    "disable_user",
    "enable_user",
    "hash_password",
    "is_locked",
    "keep_an_admin",
    "list_users",
    "list_workers",
    "lock_delay",
    "lock_until",
    "locked_message",
    "reset_password",
    "set_role",
    "sign_in",
    "unlock_user",
    "user_count",
    "validate_new_user",
    "verify_password",
]

LOCK_AFTER_FAILURES = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)

WRONG_NAME_OR_PASSWORD = "The user name or password is wrong; check them and try again."


# ------------------------------------------------------------------ lockout rules (no storage


def lock_delay(failures: int) -> timedelta:
    """How long an account stays locked after its ``failures``-th failed sign-in in a row.

    Nothing for the first four; 30 seconds after the fifth, doubling with each further
    failure, never more than 15 minutes.
    """
    if failures < LOCK_AFTER_FAILURES:
        return timedelta(0)
    doublings = min(failures - LOCK_AFTER_FAILURES, 16)  # past 15 minutes long before 16
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


def lock_until(failures: int, now: datetime) -> datetime | None:
    """Until when ``failures`` failed sign-ins in a row lock the account; None: not locked."""
    delay = lock_delay(failures)
    return now + delay if delay else None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def locked_message(until: datetime) -> str:
    """The one sentence a locked account gets, with the time in UK time."""
    when = to_uk(until).strftime(DATE_TIME_SECONDS_FORMAT)
    return (
        f"This account is locked after too many failed sign-ins until {when} (UK time); "
        "try again then, or ask an administrator to unlock it."
    )


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# ------------------------------------------------------------------ users


@dataclass(frozen=True)
class UserSummary:
    """One user as the administrator's list shows them; ``locked_until`` only while locked."""

    username: str
    display_name: str
    role: Role
    active: bool
    locked_until: datetime | None
    last_sign_in_at: datetime | None
    password_must_change: bool  # reset by an administrator, not yet changed by the user
    version: int  # given back with a change, so that two administrators cannot cross


def actor_of(user: User) -> Actor:
    return Actor(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        must_change_password=bool(user.password_must_change),
    )


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def _find(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def _existing(session: Session, username: str, expected_version: int | None = None) -> User:
    """The user called ``username``; refused when changed since the admin saw ``expected_version``."""
    user = _find(session, username)
    if user is None:
        raise NotFound(f"There is no user called {username.strip()}; check the name.")
    require_version(user.version, expected_version, "this user's account")
    return user


def validate_new_user(
    username: str, display_name: str, role: str, password: str, *, policy: bool = True
) -> None:
    """Check a new user's details; ``policy=False`` skips the password rule (see create_user)."""
    if not username or not username.strip():
        raise FollowupError("A user needs a login name.")
    if len(username) > 64 or any(c.isspace() for c in username):
        raise FollowupError("A login name has no spaces and at most 64 characters.")
    if role not in ROLES:
        raise FollowupError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    if not display_name.strip():
        raise FollowupError("A user needs a display name.")
    if policy:
        check_new_password(password)


def create_user(
    session: Session,
    actor: Actor | None,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    *,
    password_hash: str | None = None,
    policy: bool = True,
) -> User:
    """Add a user. Only an admin may, except for the very first user, who must be an admin.

    The password must meet the rule in ``followup.passwords``. ``policy=False`` waives it, for
    synthetic demonstration data and tests only: nothing a person types goes through it.
    """
    username = username.strip()
    display_name = (display_name or username).strip()
    validate_new_user(username, display_name, role, password, policy=policy)
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
    if _find(session, username) is not None:
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


# ------------------------------------------------------------------ sign-in


def _refuse(session: Session, user: User | None, username: str, details: dict[str, object]) -> None:
    audit.record(
        session,
        user.id if user else None,
        AuditAction.LOGIN_FAILED,
        "user",
        user.id if user else None,
        details,
        username=username[:64],
    )
    # The failed attempt must stay on record although the caller's block fails.
    session.commit()


def sign_in(
    session: Session, username: str, password: str, *, now: datetime | None = None
) -> Actor:
    """Check a user name and password; success, failure and locking are all audited.

    A wrong name and a wrong password get the same sentence and take about the same time (an
    unknown name is checked against a dummy hash). A locked account is refused whatever the
    password, without checking it. A good sign-in clears the failure count and, when the
    stored hash was made at an older cost, hashes the password again at today's.
    """
    now = now or now_utc()
    user = _find(session, username)
    if user is not None and is_locked(user.locked_until, now):
        until = user.locked_until
        assert until is not None  # is_locked said so
        _refuse(session, user, username, {"reason": "locked", "locked_until": _iso(until)})
        raise SignInFailed(locked_message(until))
    ok = verify_password(password, user.password_hash if user else dummy_hash())
    if user is None:
        _refuse(session, None, username, {"reason": "wrong name or password"})
        raise SignInFailed(WRONG_NAME_OR_PASSWORD)
    if not ok:
        # One statement, so two attempts at once cannot both count as the same failure.
        failures = session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_sign_ins=User.failed_sign_ins + 1)
            .returning(User.failed_sign_ins)
        ).scalar_one()
        details: dict[str, object] = {"reason": "wrong name or password", "failures": failures}
        locked = lock_until(failures, now)
        if locked is not None:
            session.execute(update(User).where(User.id == user.id).values(locked_until=locked))
            details["locked_until"] = _iso(locked)
        _refuse(session, user, username, details)
        raise SignInFailed(locked_message(locked) if locked else WRONG_NAME_OR_PASSWORD)
    if not user.active:
        _refuse(session, user, username, {"reason": "inactive"})
        raise SignInFailed("This account has been switched off; ask an administrator.")
    # Sign-in bookkeeping is one statement that leaves the account's version alone: two
    # sign-ins at once (two imports, say) must not conflict, and an administrator's open
    # list of users is not made stale by someone signing in.
    values: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None, "last_sign_in_at": now}
    details = {}
    if needs_rehash(user.password_hash):
        values["password_hash"] = hash_password(password)
        details["password_hash_upgraded"] = True
    session.execute(
        update(User).where(User.id == user.id).values(**values),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        session,
        user.id,
        AuditAction.LOGIN,
        "user",
        user.id,
        details or None,
        username=user.username,
    )
    return actor_of(user)


# ------------------------------------------------------------------ administration


def _changed(session: Session, actor: Actor, user: User, details: dict[str, object]) -> None:
    audit.record(
        session,
        actor.id,
        AuditAction.UPDATE,
        "user",
        user.id,
        {"username": user.username, **details},
    )


def keep_an_admin(session: Session, user: User, *, role: str, active: bool) -> None:
    """Refuse a change that would leave no active administrator to manage users."""
    if user.role != Role.ADMIN or not user.active or (role == Role.ADMIN and active):
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active, User.id != user.id)
    )
    if not others:
        raise FollowupError(
            f"{user.username} is the only active administrator; make someone else an "
            "administrator first, or nobody could manage users."
        )


def set_role(
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Give a user another role (administrators only); the last active admin keeps theirs."""
    require(actor, "manage_users")
    if role not in ROLES:
        raise FollowupError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    user = _existing(session, username, expected_version)
    if user.role == role:
        return
    keep_an_admin(session, user, role=role, active=user.active)
    before = user.role
    user.role = role
    _changed(session, actor, user, {"role": [before, role]})


def unlock_user(
    session: Session, actor: Actor, username: str, *, expected_version: int | None = None
) -> None:
    """Lift a lockout and clear the failure count (administrators only)."""
    require(actor, "manage_users")
    user = _existing(session, username, expected_version)
    user.failed_sign_ins = 0
    user.locked_until = None
    _changed(session, actor, user, {"unlocked": True})


def disable_user(
    session: Session, actor: Actor, username: str, *, expected_version: int | None = None
) -> None:
    """Switch an account off: it can no longer sign in (administrators only)."""
    require(actor, "manage_users")
    user = _existing(session, username, expected_version)
    if user.id == actor.id:
        raise FollowupError(
            "You cannot switch off your own account; another administrator can do it."
        )
    if not user.active:
        return
    keep_an_admin(session, user, role=user.role, active=False)
    user.active = False
    _changed(session, actor, user, {"active": False})


def enable_user(
    session: Session, actor: Actor, username: str, *, expected_version: int | None = None
) -> None:
    """Switch an account back on (administrators only)."""
    require(actor, "manage_users")
    user = _existing(session, username, expected_version)
    if user.active:
        return
    user.active = True
    _changed(session, actor, user, {"active": True})


def reset_password(
    session: Session,
    actor: Actor,
    username: str,
    new_password: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Give a user a one-time password, which the password rule applies to (admins only).

    The admin passes it on to the user, who must choose their own at their next sign-in
    (``change_own_password``). A reset also lifts a lockout.
    """
    require(actor, "manage_users")
    user = _existing(session, username, expected_version)
    check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    user.password_must_change = True
    user.failed_sign_ins = 0
    user.locked_until = None
    _changed(session, actor, user, {"password_reset": True})


def change_own_password(session: Session, actor: Actor, current: str, new: str) -> Actor:
    """The signed-in user replaces their password (after a reset, before anything else).

    The current password is checked again; the new one must meet the password rule and differ
    from it. Returns the actor with nothing left to change.
    """
    user = session.get(User, actor.id)
    if user is None or not user.active:
        raise SignInFailed("This account has been switched off; ask an administrator.")
    if not verify_password(current, user.password_hash):
        raise SignInFailed("The current password is not right; type it again.")
    if new == current:
        raise FollowupError("Choose a password different from the one you were given.")
    check_new_password(new)
    user.password_hash = hash_password(new)
    user.password_must_change = False
    audit.record(session, user.id, AuditAction.UPDATE, "user", user.id, {"password_changed": True})
    return actor_of(user)


def list_users(session: Session, actor: Actor, *, now: datetime | None = None) -> list[UserSummary]:
    """Every user by login name, for administrators."""
    require(actor, "manage_users")
    now = now or now_utc()
    return [
        UserSummary(
            username=u.username,
            display_name=u.display_name,
            role=Role(u.role),
            active=u.active,
            locked_until=u.locked_until if is_locked(u.locked_until, now) else None,
            last_sign_in_at=u.last_sign_in_at,
            password_must_change=bool(u.password_must_change),
            version=u.version,
        )
        for u in session.scalars(select(User).order_by(func.lower(User.username)))
    ]


def list_workers(session: Session) -> list[Actor]:
    """Active users who can hold a caseload (workers and leads), by name."""
    users = session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_((Role.WORKER, Role.LEAD)))
        .order_by(User.display_name)
    )
    return [actor_of(u) for u in users]
