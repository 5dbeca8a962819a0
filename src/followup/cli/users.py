"""Command-line user management: `followup users add|list|disable|enable|set-role|reset-password|unlock`.

Every subcommand but the very first `users add` acts as a signed-in administrator (--user NAME
or FOLLOWUP_USER, the password from FOLLOWUP_PASSWORD or asked). A new password is typed twice
at a terminal, or taken from FOLLOWUP_NEW_PASSWORD or a line of standard input; the password
rule applies to it. A reset password is a one-time password: its user chooses their own at their
next sign-in in the app. The last active administrator can be neither switched off nor given
another role. Every change is audited; ``followup.user_admin`` makes it on either database.

On a team server the same commands manage login roles (``followup.protection.team_accounts``):
the server checks the acting admin's rights itself. There, the login that owns the schema (the
one `followup init` runs as) acts without signing in: it adds the first admin, and after an
upgrade from one shared role it gives the first admin a one-time password.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from followup.access import Actor, require
from followup.cli.support import (
    EXIT_OK,
    Parser,
    add_db_option,
    add_user_option,
    iso_utc,
    on_team_server,
    open_db,
    out,
    owns_the_schema,
    read_new_password,
    sign_in_user,
)
from followup.errors import FollowupError
from followup.uktime import DATE_TIME_FORMAT, DATE_TIME_SECONDS_FORMAT, to_uk
from followup.vocab import ROLES, Role, label

if TYPE_CHECKING:  # SQLAlchemy loads only for a command that opens the database
    from followup.db.engine import Database

__all__ = ["acting_admin", "add_users_parser", "cmd_users", "cmd_users_add"]


def add_users_parser(sub: Any) -> None:
    p = sub.add_parser("users", help="user management (administrators)")
    users = p.add_subparsers(dest="users_command", parser_class=Parser, required=True)
    pa = users.add_parser("add", help="add a user (the password is read from the terminal)")
    pa.add_argument("name")
    pa.add_argument("--role", required=True, choices=[r.value for r in ROLES])
    pa.add_argument("--display-name", metavar="TEXT")
    add_db_option(pa)
    add_user_option(pa)

    pl = users.add_parser("list", help="every user: role, switched on or off, locked until")
    add_db_option(pl)
    add_user_option(pl)
    pl.add_argument("--json", action="store_true")

    pr = users.add_parser("set-role", help="give a user another role (worker, lead or admin)")
    pr.add_argument("name")
    pr.add_argument("role", choices=[r.value for r in ROLES])
    add_db_option(pr)
    add_user_option(pr)

    for name, text in (
        ("disable", "switch a user's account off: they can no longer sign in"),
        ("enable", "switch a user's account back on"),
        (
            "reset-password",
            "give a user a one-time password to pass on; they choose their own at sign-in",
        ),
        ("unlock", "lift the lock that failed sign-ins put on an account"),
    ):
        pc = users.add_parser(name, help=text)
        pc.add_argument("name")
        add_db_option(pc)
        add_user_option(pc)


def acting_admin(db: Database, args: argparse.Namespace) -> Actor | None:
    """The signed-in admin; None for a team server's owner, who acts without signing in."""
    if on_team_server(db) and owns_the_schema(db):
        return None
    actor = sign_in_user(db, args)
    require(actor, "manage_users")  # before asking for a password in vain
    return actor


def _add_on_team_server(db: Database, args: argparse.Namespace) -> int:
    from followup.protection import team_accounts

    actor = acting_admin(db, args)
    password = read_new_password(args.name)
    with db.session() as s:
        team_accounts.create_user(s, actor, args.name, args.role, password, args.display_name)
    out(f"Added {args.name} as {args.role}, with a login of their own on the team server.")
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace) -> int:
    from followup.accounts import create_user, user_count

    db = open_db(args, create=True)
    try:
        if on_team_server(db):
            return _add_on_team_server(db, args)
        with db.session() as s:
            first = user_count(s) == 0
        actor = None if first else sign_in_user(db, args)
        if actor is not None:
            require(actor, "manage_users")  # before asking for a password in vain
        elif args.role != Role.ADMIN:
            raise FollowupError("The first user must be an administrator (--role admin).")
        password = read_new_password(args.name)
        with db.session() as s:
            create_user(s, actor, args.name, args.role, password, args.display_name)
        out(f"Added {args.name} as {args.role}.")
    finally:
        db.dispose()
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    from followup.accounts import list_users

    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            users = list_users(s, actor)
    finally:
        db.dispose()
    if args.json:
        out(
            json.dumps(
                [
                    {
                        "name": u.username,
                        "display_name": u.display_name,
                        "role": u.role.value,
                        "active": u.active,
                        "locked_until": iso_utc(u.locked_until),
                        "last_sign_in_at": iso_utc(u.last_sign_in_at),
                        "password_must_change": u.password_must_change,
                    }
                    for u in users
                ]
            )
        )
        return EXIT_OK
    out(f"{'NAME':<20} {'DISPLAY NAME':<30} {'ROLE':<7} {'ON':<4} {'LAST SIGN-IN':<17} NOTES")
    for u in users:
        state = "on" if u.active else "off"
        last = to_uk(u.last_sign_in_at).strftime(DATE_TIME_FORMAT) if u.last_sign_in_at else "never"
        notes = []
        if u.locked_until:
            notes.append(f"locked until {to_uk(u.locked_until).strftime(DATE_TIME_SECONDS_FORMAT)}")
        if u.password_must_change:
            notes.append("must choose a new password")
        line = f"{u.username:<20} {u.display_name[:30]:<30} {u.role:<7} {state:<4} {last:<17}"
        out(f"{line} {'; '.join(notes)}".rstrip())
    out(f"{len(users)} users.")
    return EXIT_OK


def _change(args: argparse.Namespace, change: Callable[[Database, Actor | None], None]) -> None:
    """One change to a user by an admin (on a team server, to their login role too)."""
    db = open_db(args, migrate=False)
    try:
        change(db, acting_admin(db, args))
    finally:
        db.dispose()


def cmd_users(args: argparse.Namespace) -> int:
    from followup import user_admin

    name = getattr(args, "name", "")
    command = args.users_command
    if command == "add":
        return cmd_users_add(args)
    if command == "list":
        return _cmd_list(args)
    if command == "set-role":
        role = args.role
        _change(args, lambda db, actor: user_admin.set_role(db, actor, name, role))
        out(f"{name}'s role is now {label(role).lower()}.")
    elif command in ("disable", "enable"):
        active = command == "enable"
        _change(args, lambda db, actor: user_admin.set_active(db, actor, name, active))
        out(
            f"{name} is switched on and can sign in."
            if active
            else f"{name} is switched off and can no longer sign in."
        )
    elif command == "unlock":
        _change(args, lambda db, actor: user_admin.unlock(db, actor, name))
        out(f"{name} is unlocked and can sign in.")
    else:
        _change(
            args,
            lambda db, actor: user_admin.reset_password(db, actor, name, read_new_password(name)),
        )
        out(
            f"{name} has a one-time password; pass it on to them privately. They choose their "
            "own when they next sign in to the app."
        )
    return EXIT_OK
