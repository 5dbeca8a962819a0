"""Command-line subcommands for backup, restore and retention (administrators and leads)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from followup.cli.support import (
    EXIT_OK,
    TEAM_OWNER_ONLY,
    UsageError,
    add_db_option,
    add_user_option,
    on_team_server,
    open_db,
    out,
    owns_the_schema,
    sign_in_user,
)
from followup.errors import FollowupError
from followup.uktime import short_date

__all__ = [
    "add_backup_parsers",
    "add_retention_parser",
    "cmd_backup",
    "cmd_restore",
    "cmd_retention",
]


def add_backup_parsers(sub: Any) -> None:
    p = sub.add_parser("backup", help="consistent online backup of the database to FILE")
    p.add_argument(
        "file", metavar="FILE", help="backup file to write, or a folder for a dated name"
    )
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "restore",
        help="replace the database with the backup FILE, or with the newest good backup "
        "(--latest), setting a damaged database aside (admin)",
    )
    p.add_argument("file", metavar="FILE", nargs="?")
    p.add_argument(
        "--latest",
        action="store_true",
        help="the newest good backup in the backup folder (a SQLite database)",
    )
    p.add_argument(
        "--allow-unverified",
        action="store_true",
        help="restore a backup that has no digest to check it (made before digests were kept, "
        "or on another computer); a backup changed since its digest is refused regardless",
    )
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from followup.access import require
    from followup.protection.backup.database import backup_database

    db = open_db(args, migrate=False)
    try:
        actor = None
        if on_team_server(db):
            if not owns_the_schema(db):
                raise FollowupError(TEAM_OWNER_ONLY.format(what="backups are taken by"))
        else:
            actor = sign_in_user(db, args)
            require(actor, "backup")
        info = backup_database(db, Path(args.file), actor=actor)
    finally:
        db.dispose()
    if args.json:
        out(
            json.dumps(
                {
                    "file": str(info.path),
                    "backend": info.backend,
                    "schema_revision": info.revision,
                    "bytes": info.size,
                }
            )
        )
    else:
        out(info.describe())
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Sign in on the current database; when it is missing or damaged, on the backup itself."""
    from pathlib import Path

    from followup.access import require
    from followup.db.engine import sqlite_path
    from followup.db.migrate import open_database
    from followup.errors import DatabaseTooNew, DatabaseUnavailable
    from followup.protection.backup.common import configured_backup_folder
    from followup.protection.backup.database import restore_database
    from followup.protection.backup.digest import check_digest
    from followup.protection.backup.rotation import newest_good_backup
    from followup.protection.integrity import known_damaged
    from followup.settings import AppPaths, resolve_database_url, with_stored_password

    paths = AppPaths.default()
    url = with_stored_password(resolve_database_url(args.db, paths))
    folder = configured_backup_folder(paths)
    path = sqlite_path(url)
    if bool(args.file) == bool(args.latest):
        raise UsageError("Name the backup FILE to restore or say --latest: one of the two.")
    if args.latest:
        if path is None:
            raise UsageError(
                "--latest restores a SQLite database from the backup folder; for a "
                "PostgreSQL database name the backup FILE."
            )
        found = newest_good_backup(folder, path.stem)
        if found is None:
            raise FollowupError(
                f"There is no good backup of {path.name} in {folder} to restore; nothing was "
                "changed."
            )
        source = found
    else:
        source = Path(args.file)
    if not source.is_file():
        raise FollowupError(f"There is no backup file at {source}; nothing was changed.")
    # Before signing in, which writes to the audit trail: a refused backup changes nothing.
    check_digest(source, allow_unverified=args.allow_unverified)
    signed: list[Any] = []

    def authorise(db: Any) -> None:
        if on_team_server(db):
            if not owns_the_schema(db):
                raise FollowupError(TEAM_OWNER_ONLY.format(what="a backup is restored by"))
            return
        signed.append(sign_in_user(db, args))
        require(signed[-1], "restore")

    damaged = False
    db: Any
    try:
        db = open_database(url, migrate=False, verify_changed=True)
    except DatabaseTooNew:
        raise
    except DatabaseUnavailable:
        # A damaged file is never signed in to (that writes): the backup is, once checked.
        if path is None or (path.exists() and not known_damaged(path)):
            raise
        db, damaged = None, path.exists()
    if db is not None:
        try:
            authorise(db)
        finally:
            db.dispose()
    info = restore_database(
        url,
        source,
        backup_dir=folder,
        actor=signed[0] if signed else None,
        authorise=None if signed else authorise,
        allow_unverified=args.allow_unverified,
        damaged=damaged,
    )
    if args.json:
        out(
            json.dumps(
                {
                    "database": info.database,
                    "file": str(info.source),
                    "restored_revision": info.restored_revision,
                    "schema_revision": info.revision,
                    "safety_copy": str(info.safety_copy) if info.safety_copy else None,
                    "set_aside": str(info.set_aside) if info.set_aside else None,
                    "verified": info.verified,
                }
            )
        )
    else:
        out(info.describe())
    return EXIT_OK


def add_retention_parser(sub: Any) -> None:
    p = sub.add_parser(
        "retention", help="list people past the retention period; --destroy them (admin)"
    )
    p.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")
    p.add_argument("--destroy", action="store_true", help="destroy everyone listed as due")
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def cmd_retention(args: argparse.Namespace) -> int:
    from followup.protection import retention

    if args.dry_run and args.destroy:
        raise UsageError("Use --dry-run or --destroy, not both.")
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            items = retention.due_for_destruction(s, actor)
            years = retention.retention_years(s)
        report = None
        if args.dry_run or args.destroy:
            with db.session() as s:
                report = retention.destroy(
                    s, actor, [i.person_id for i in items], dry_run=not args.destroy
                )
    finally:
        db.dispose()
    if args.json:
        answer: dict[str, Any] = {
            "retention_years": years,
            "due": [
                {
                    "person_id": i.person_id,
                    "initials": i.initials,
                    "birth_year": i.birth_year,
                    "case_ids": list(i.case_ids),
                    "police_references": list(i.police_references),
                    "closed_on": i.closed_on.isoformat(),
                    "letters": i.letters,
                }
                for i in items
            ],
        }
        if report is not None:
            answer["report"] = report.as_dict()
        out(json.dumps(answer))
        return EXIT_OK
    lines = [f"{len(items)} person record(s) closed more than {years} years ago are due."]
    lines += [
        f"  person {i.person_id} ({i.initials}, born {i.birth_year or '?'}): closed "
        f"{short_date(i.closed_on)}, cases {', '.join(map(str, i.case_ids))}, {i.letters} letter(s)"
        for i in items
    ]
    if report is not None:
        lines.append(report.describe())
    out("\n".join(lines))
    return EXIT_OK
