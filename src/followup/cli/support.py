"""Shared pieces of the command line: exit codes, argument helpers, opening the database and
signing in as a user."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime

from followup.errors import FollowupError

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2


class UsageError(FollowupError):
    """Bad arguments: reported like any other error, with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and exit itself
        raise UsageError(f"{message[0].upper()}{message[1:]} (see `followup --help`).")


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="database URL or SQLite file (default: local file)")


def _add_user(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--user",
        metavar="NAME",
        help="act as this user (or FOLLOWUP_USER); the password is asked, or FOLLOWUP_PASSWORD",
    )


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _open(args: argparse.Namespace, *, create: bool = False, migrate: bool = True):  # noqa: ANN202
    from followup.db.migrate import open_database
    from followup.protection.backup.files import configured_backup_folder
    from followup.settings import AppPaths, resolve_database_url

    paths = AppPaths.default()
    url = resolve_database_url(getattr(args, "db", None), paths)
    return open_database(
        url, create=create, migrate=migrate, backup_dir=configured_backup_folder(paths)
    )


def _password(prompt: str, env: str | None = None) -> str:
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


def _sign_in(db, args: argparse.Namespace):  # noqa: ANN001, ANN202
    from followup.accounts import sign_in

    name = getattr(args, "user", None) or os.environ.get("FOLLOWUP_USER")
    if not name:
        raise UsageError(
            "Say who you are with --user NAME (or FOLLOWUP_USER); "
            "the password is asked, or taken from FOLLOWUP_PASSWORD."
        )
    password = _password(f"Password for {name}: ", "FOLLOWUP_PASSWORD")
    with db.session() as s:
        return sign_in(s, name, password)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


# -------------------------------------------------------------------------------- commands
