"""Shared pieces of the command line: exit codes, argument helpers, opening the database and
signing in as a user."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

from followup.errors import FollowupError

if TYPE_CHECKING:
    from followup.access import Actor
    from followup.db.engine import Database

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "Parser",
    "UsageError",
    "add_db_option",
    "add_user_option",
    "describe_url",
    "waiting_for_import",
    "iso_utc",
    "open_db",
    "out",
    "read_new_password",
    "read_password",
    "TEAM_OWNER_ONLY",
    "on_team_server",
    "owns_the_schema",
    "sign_in_user",
]

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2


class UsageError(FollowupError):
    """Bad arguments: reported like any other error, with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are a ``UsageError``, reported like any other error."""

    def error(self, message: str) -> NoReturn:  # argparse would print usage and exit itself
        raise UsageError(f"{message[0].upper()}{message[1:]} (see `followup --help`).")


def add_db_option(p: argparse.ArgumentParser) -> None:
    """``--db``, before or after the subcommand's name: a subcommand's own option is left out of
    the namespace when not given (``SUPPRESS``), so it does not overwrite the one given before
    the name (``followup --db FILE cases``) with its default."""
    p.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL or SQLite file (default: local file)",
    )


def add_user_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--user",
        metavar="NAME",
        help="act as this user (or FOLLOWUP_USER); the password is asked, or FOLLOWUP_PASSWORD",
    )


def out(text: str) -> None:
    sys.stdout.write(text + "\n")


def open_db(
    args: argparse.Namespace,
    *,
    create: bool = False,
    migrate: bool = True,
    checking: bool = False,
) -> Database:
    """Open the database named by ``--db`` (or the settings), its password from the keyring.

    A SQLite file recorded as damaged is refused (``DatabaseDamaged``, exit 2) before it is
    opened, and one changed since Followup last knew it good gets SQLite's quick check first,
    so that no command writes to a damaged file. ``checking`` (`followup check`) opens it
    regardless, to check it again.
    """
    from followup.db.migrate import open_database
    from followup.protection.backup.common import configured_backup_folder
    from followup.protection.backup.digest import write_digest
    from followup.settings import AppPaths, resolve_database_url, with_stored_password

    paths = AppPaths.default()
    paths.tighten_folders()
    url = resolve_database_url(getattr(args, "db", None), paths)
    return open_database(
        with_stored_password(url),
        create=create,
        migrate=migrate,
        backup_dir=configured_backup_folder(paths),
        on_backup=write_digest,
        verify_changed=not checking,
        refuse_known_damage=not checking,
    )


def describe_url(args: argparse.Namespace) -> str:
    """The database ``--db`` (or the settings) names, for a person, without opening it."""
    from followup.db.engine import describe
    from followup.settings import AppPaths, resolve_database_url

    return describe(resolve_database_url(getattr(args, "db", None), AppPaths.default()))


def waiting_for_import() -> None:
    """Said on stderr (stdout may be JSON) while an import waits for another to finish."""
    sys.stderr.write("followup: waiting for another import to finish…\n")
    sys.stderr.flush()


def read_password(prompt: str, env: str | None = None) -> str:
    if env and os.environ.get(env) is not None:
        return os.environ[env]
    if sys.stdin is None or not sys.stdin.isatty():
        line = sys.stdin.readline() if sys.stdin else ""
        if not line:
            raise UsageError(
                "No password given: type it at the terminal, or send it on standard input."
            )
        return line.rstrip("\r\n")
    return getpass.getpass(prompt)


def read_new_password(name: str) -> str:
    """A new password for ``name``: FOLLOWUP_NEW_PASSWORD, typed twice at a terminal, or a line
    of standard input. The password rule is checked at once, before it is typed again."""
    from followup.passwords import check_new_password

    if os.environ.get("FOLLOWUP_NEW_PASSWORD") is not None:
        password = os.environ["FOLLOWUP_NEW_PASSWORD"]
    elif sys.stdin is not None and sys.stdin.isatty():
        password = getpass.getpass(f"New password for {name}: ")
        check_new_password(password)
        if getpass.getpass("Type it again: ") != password:
            raise FollowupError("The two passwords differ; nothing was changed.")
    else:
        password = read_password("")
    check_new_password(password)
    return password


def sign_in_user(db: Database, args: argparse.Namespace) -> Actor:
    """Sign in the user named by --user or FOLLOWUP_USER (on a team server, ``db`` becomes
    their own connection: the server checks the password and their rights)."""
    from followup.startup import sign_in

    name = getattr(args, "user", None) or os.environ.get("FOLLOWUP_USER")
    if not name:
        raise UsageError(
            "Say who you are with --user NAME (or FOLLOWUP_USER); "
            "the password is asked, or taken from FOLLOWUP_PASSWORD."
        )
    env = "FOLLOWUP_PASSWORD" if "FOLLOWUP_PASSWORD" in os.environ else "PGPASSWORD"
    password = read_password(f"Password for {name}: ", env)
    return sign_in(db, name, password)


def owns_the_schema(db: Database) -> bool:
    """Whether this PostgreSQL connection is the schema's owner (`followup init`'s login)."""
    from sqlalchemy import text

    with db.session() as s:
        return bool(
            s.execute(
                text(
                    "SELECT pg_get_userbyid(nspowner) = session_user FROM pg_namespace "
                    "WHERE nspname = current_schema()"
                )
            ).scalar()
        )


TEAM_OWNER_ONLY = (
    "On the team server {what} only the schema's owner, who can read every row: use "
    "--db with the owner's URL (postgresql://followup_owner@HOST/followup)."
)


def on_team_server(db: Database) -> bool:
    from followup.startup import on_team_server as team

    return team(db)


def iso_utc(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None
