"""Command-line user management: `followup users add|list|disable|enable|reset-password|unlock`.

Every subcommand but the very first `users add` acts as a signed-in administrator (--user NAME
or FOLLOWUP_USER, the password from FOLLOWUP_PASSWORD or asked). A new password is typed twice
at a terminal, or taken from FOLLOWUP_NEW_PASSWORD or a line of standard input; the password
rule applies to it. Every change is audited by ``followup.accounts``.

On a team server the same commands manage login roles (``followup.protection.team_accounts``):
the server checks the acting admin's rights itself. There, the login that owns the schema (the
one `followup init` runs as) acts without signing in: it adds the first admin, and after an
upgrade from one shared role it gives the first admin a one-time password.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

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
from followup.db.engine import Database
from followup.errors import FollowupError
from followup.uktime import DATE_TIME_SECONDS_FORMAT, to_uk
from followup.vocab import ROLES, Role

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

    for name, text in (
        ("disable", "switch a user's account off: they can no longer sign in"),
        ("enable", "switch a user's account back on"),
        (
            "reset-password",
            "give a user a new password to pass on to them (read like a new user's)",
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
                    }
                    for u in users
                ]
            )
        )
        return EXIT_OK
    for u in users:
        state = "on" if u.active else "off"
        locked = (
            f"locked until {to_uk(u.locked_until).strftime(DATE_TIME_SECONDS_FORMAT)}"
            if u.locked_until
            else ""
        )
        out(f"{u.username:<20} {u.display_name[:30]:<30} {u.role:<7} {state:<4} {locked}".rstrip())
    out(f"{len(users)} users.")
    return EXIT_OK


def _change(
    args: argparse.Namespace,
    change: Callable[[Any, Any], None],
    done: str,
    on_server: dict[str, Any],
) -> int:
    """One change to a user, by an admin: on a team server, to their login role too."""
    db = open_db(args, migrate=False)
    try:
        if on_team_server(db):
            from followup.protection import team_accounts

            actor = acting_admin(db, args)
            if "password" in on_server:
                on_server = {**on_server, "password": read_new_password(args.name)}
            with db.session() as s:
                team_accounts.change_user(s, actor, args.name, **on_server)
        else:
            signed = sign_in_user(db, args)
            if "password" in on_server:
                require(signed, "manage_users")  # before asking for a password in vain
            with db.session() as s:
                change(s, signed)
    finally:
        db.dispose()
    out(done)
    return EXIT_OK


def cmd_users(args: argparse.Namespace) -> int:
    from followup import accounts

    name = getattr(args, "name", "")
    command = args.users_command
    if command == "add":
        return cmd_users_add(args)
    if command == "list":
        return _cmd_list(args)
    simple = {
        "disable": (accounts.disable_user, "is switched off and can no longer sign in", False),
        "enable": (accounts.enable_user, "is switched on and can sign in", True),
        "unlock": (accounts.unlock_user, "is unlocked and can sign in", None),
    }
    if command in simple:
        service, done_text, active = simple[command]
        on_server: dict[str, Any] = {"unlock": True} if active is None else {"active": active}
        return _change(
            args,
            lambda s, actor: service(s, actor, name),
            f"{name} {done_text}.",
            on_server,
        )
    done = f"{name} has a new password; pass it on to them privately."

    def reset(s: Any, actor: Any) -> None:
        accounts.reset_password(s, actor, name, read_new_password(name))

    return _change(args, reset, done, {"password": None})
