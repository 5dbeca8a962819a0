"""The `followup` command line: the desktop app with no arguments, or a subcommand.

Every subcommand acts as a named user under the same permissions as the app, except `init`,
`check`, `demo` and the first `users add`. Errors are one plain sentence on stderr, never a
traceback. Exit codes: 0 success, 1 done but some input was rejected or left out, 2 bad usage
or a file or database that cannot be used. Qt is imported only to start the desktop app.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from followup import __version__
from followup.cli.support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    Parser,
    UsageError,
    add_db_option,
    add_user_option,
    describe_url,
    iso_utc,
    open_db,
    out,
    read_password,
    sign_in_user,
    waiting_for_import,
)
from followup.errors import FollowupError
from followup.uktime import short_date_time

__all__ = [
    "COMMANDS",
    "PARSERS",
    "admin",
    "alerts",
    "build_parser",
    "chosen_command",
    "cmd_cases",
    "cmd_check",
    "cmd_demo",
    "cmd_gui",
    "cmd_import",
    "cmd_init",
    "cmd_set_password",
    "kits",
    "main",
    "reports",
    "settings",
    "support",
    "timeliness",
    "traceability",
    "users",
]

log = logging.getLogger("followup.cli")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with ``command`` only that subcommand's (and its siblings' from the
    same builder): a command then imports only its own module (see ``PARSERS``)."""
    parser = Parser(prog="followup", description="Post-overdose follow-up and referral.")
    parser.add_argument("--version", action="version", version=f"followup {__version__}")
    add_db_option(parser)
    parser.set_defaults(db=None)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    for commands, where in PARSERS:
        if command is None or command in commands:
            _load(where)(sub)
    return parser


def _add_init_parser(sub: Any) -> None:
    p = sub.add_parser("init", help="create or upgrade the database")
    add_db_option(p)
    p.add_argument(
        "--role-prefix",
        default="followup",
        metavar="PREFIX",
        help="PostgreSQL: the groups are PREFIX_worker, PREFIX_lead and PREFIX_admin",
    )
    p.add_argument(
        "--gate-role",
        default="followup_gate",
        metavar="ROLE",
        help="PostgreSQL: the login desktops use to count failed sign-ins",
    )
    p.add_argument(
        "--no-team-server",
        action="store_true",
        help="PostgreSQL: only migrate; leave roles, rights and policies as they are",
    )
    p.add_argument("--json", action="store_true")


def _add_check_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="integrity check of the database and schema version")
    add_db_option(p)
    p.add_argument(
        "--sample",
        type=int,
        default=500,
        metavar="N",
        help="recompute the report milestones of N random cases, and the repeat-overdose "
        "flags of their referrals, and compare (0: skip)",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="recompute the milestones and flags of the cases that differ",
    )
    p.add_argument("--json", action="store_true")


def _add_set_password_parser(sub: Any) -> None:
    p = sub.add_parser("set-password", help="store the team database password in the keyring")
    add_db_option(p)


def _add_demo_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="fill an empty database with synthetic demonstration data")
    p.add_argument("--cases", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    add_db_option(p)
    p.add_argument("--json", action="store_true")


def _add_cases_parser(sub: Any) -> None:
    p = sub.add_parser("cases", help="list cases")
    p.add_argument("--search", default="", metavar="TEXT")
    p.add_argument("--status", action="append", metavar="S", help="repeat for several")
    p.add_argument("--overdue", action="store_true")
    p.add_argument("--limit", type=int, default=100)
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def _add_import_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="import a police referral file (CSV or JSON)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and match, but write nothing")
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def _add_letters_parser(sub: Any) -> None:
    p = sub.add_parser("letters", help="make one letter, or every letter due (--batch), as a PDF")
    p.add_argument("--case", type=int, metavar="ID")
    p.add_argument(
        "--template",
        metavar="NAME",
        help="appointment, unable_to_contact, treatment_referral or gp_notification",
    )
    p.add_argument("--batch", action="store_true", help="every letter due, in one PDF")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.add_argument("--time", metavar='"dd/mm/yyyy HH:MM"', help="appointment time (UK time)")
    p.add_argument("--place", metavar="TEXT", help="appointment place")
    p.add_argument("--note", metavar="TEXT", help="a note for the letter's {note} placeholder")
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def _add_subject_access_parser(sub: Any) -> None:
    p = sub.add_parser(
        "subject-access", help="everything held about one person, as PDF and JSON (team leads)"
    )
    p.add_argument("--person", type=int, required=True, metavar="ID")
    p.add_argument("-o", "--output", required=True, metavar="FOLDER", help="an existing folder")
    p.add_argument(
        "--requested",
        metavar="D",
        help="the day the request arrived, 2026-11-01 or 01/11/2026 (default: today)",
    )
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def cmd_init(args: argparse.Namespace) -> int:
    from followup.db.migrate import schema_state

    db = open_db(args, create=True)
    try:
        state = schema_state(db)
        result: dict[str, object] = {"database": db.description, "schema_revision": state.current}
        if not db.is_sqlite and not args.no_team_server:
            from followup.protection.team_server import TeamRoles, install

            roles = TeamRoles(gate=args.gate_role, prefix=args.role_prefix)
            install(db, roles)
            result["groups"] = list(roles.groups)
        if args.json:
            out(json.dumps(result))
        else:
            out(f"{db.description} is ready (schema {state.current}).")
            if "groups" in result:
                out(
                    "The server enforces Followup's rules itself: users are logins in the "
                    f"groups {', '.join(roles.groups)}."
                )
    finally:
        db.dispose()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Integrity, schema and, on SQLite, the audit trail's hash chain (followup.audit.chain)."""
    from followup.audit.chain import verify_chain
    from followup.db.engine import sqlite_path
    from followup.db.migrate import IntegrityReport, integrity_report
    from followup.errors import DatabaseDamaged
    from followup.protection.integrity import network_share_warning

    path = None
    chain = None
    milestones = None
    unreadable = False
    try:
        db = open_db(args, migrate=False, checking=True)
    except DatabaseDamaged as exc:  # too damaged to read its schema revision
        from followup.db.migrate import head_revision

        unreadable = True
        report: IntegrityReport = {
            "database": describe_url(args),
            "schema_revision": None,
            "app_revision": head_revision(),
            "ok": False,
            "problems": [str(exc)],
            "details": [],
        }
    else:
        try:
            report = integrity_report(db)
            path = sqlite_path(db.url)
            if report["ok"] and report["schema_revision"] == report["app_revision"]:
                try:
                    with db.session() as s:
                        chain = verify_chain(s)
                except DatabaseDamaged as exc:
                    report["problems"].append(str(exc))
                    report["ok"] = False
                if report["ok"] and args.sample > 0:
                    from followup.casework.milestones import compare_sample

                    with db.session(write=args.repair) as s:
                        milestones = compare_sample(s, args.sample, repair=args.repair)
        finally:
            db.dispose()
    warnings = [w for w in (network_share_warning(path) if path else None,) if w]
    if chain is not None and chain.problem:
        report["problems"].append(chain.problem)
        report["ok"] = False
    if chain is not None and chain.warning:
        warnings.append(chain.warning)
    extra: dict[str, Any] = {}
    if milestones is not None:
        extra["milestones"] = milestones.as_json()
        if milestones.repaired:
            warnings.append(milestones.describe())
        elif not milestones.ok:
            report["problems"].append(milestones.describe())
            report["ok"] = False
    if args.json:
        out(json.dumps({**report, **extra, "warnings": warnings}))
    else:
        out(f"Database: {report['database']}")
        out(
            f"Schema revision: {report['schema_revision'] or ('unreadable' if unreadable else 'none')}"
            f" (this app: {report['app_revision']})"
        )
        if report["ok"]:
            out("Integrity: ok")
        if milestones is not None and milestones.ok:
            out(f"Report milestones: ok ({milestones.checked} cases recomputed and compared)")
        for problem in report["problems"]:
            out(f"Problem: {problem}")
        for warning in warnings:
            out(f"Warning: {warning}")
    return EXIT_OK if report["ok"] else EXIT_FAILED


def cmd_set_password(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from followup.settings import (
        AppPaths,
        keyring_status,
        resolve_database_url,
        store_database_password,
    )

    url = resolve_database_url(args.db, AppPaths.default())
    if make_url(url).get_backend_name() != "postgresql":
        raise UsageError("Only a PostgreSQL team database has a password; give its URL with --db.")
    status = keyring_status()
    if not status.usable:
        raise FollowupError(status.advice)
    password = read_password("Database password: ")
    _try_password(url, password)  # a wrong password is never kept
    store_database_password(url, password)
    out(f"The server accepted the password; it is kept in {status.backend}.")
    return EXIT_OK


def _try_password(url: str, password: str) -> None:
    """Connect once with ``password``; a refusal (or no server) is one sentence, nothing kept."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from followup.db.engine import describe, explain_connection_error, make_engine

    attempt = make_url(url).set(password=password)
    engine = make_engine(attempt.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        said = str(getattr(exc, "orig", exc)).lower()
        if "password authentication failed" in said:
            raise FollowupError(
                f"The server refused that password for {attempt.username} on "
                f"{describe(attempt)}, so it was not stored; check it and run "
                "`followup set-password` again."
            ) from None
        reason = explain_connection_error(attempt, exc).rstrip(".")
        raise FollowupError(f"{reason}; the password was not stored.") from None
    finally:
        engine.dispose()


def cmd_demo(args: argparse.Namespace) -> int:
    from followup.demo.populate import populate

    if args.cases < 1:
        raise UsageError("--cases must be at least 1.")
    db = open_db(args, create=True)
    try:
        result = populate(db, cases=args.cases, seed=args.seed)
    finally:
        db.dispose()
    if args.json:
        out(json.dumps(result.as_dict()))
    else:
        out(result.describe())
    return EXIT_OK


def cmd_cases(args: argparse.Namespace) -> int:
    from followup.casework.caseload import count_and_record, list_cases
    from followup.db.queries import CaseQuery
    from followup.vocab import CASE_STATUSES

    for status in args.status or ():
        if status not in CASE_STATUSES:
            raise UsageError(f"Unknown status {status!r}; use one of {', '.join(CASE_STATUSES)}.")
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        q = CaseQuery(
            search=args.search, statuses=tuple(args.status or ()), overdue_only=args.overdue
        )
        total = count_and_record(db, actor, q)
        with db.session() as s:
            rows = list_cases(s, actor, q, limit=max(1, args.limit))
    finally:
        db.dispose()
    if args.json:
        out(
            json.dumps(
                {
                    "total": total,
                    "cases": [
                        {
                            "id": r.id,
                            "police_reference": r.police_reference,
                            "person": r.person,
                            "status": r.status,
                            "worker": r.worker or None,
                            "due": iso_utc(r.next_action_due_at),
                            "overdue": r.overdue,
                        }
                        for r in rows
                    ],
                }
            )
        )
    else:
        for r in rows:
            due = short_date_time(r.next_action_due_at, missing="-")
            mark = " OVERDUE" if r.overdue else ""
            out(
                f"{r.id:>7}  {r.police_reference:<20} {r.person[:28]:<28} {r.status:<12} "
                f"{(r.worker or '-')[:16]:<16} {due}{mark}"
            )
        out(f"{len(rows)} of {total} cases shown.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from followup.db.writer_lock import wait_for_imports
    from followup.intake.importer import EMPTY_FILE, import_file

    said: list[bool] = []

    def waiting() -> None:  # said once, whichever wait comes first
        if not said:
            said.append(True)
            waiting_for_import()

    db = open_db(args, migrate=False)
    try:
        if not args.dry_run:  # signing in writes: first let another import finish
            wait_for_imports(db, waiting=waiting)
        actor = sign_in_user(db, args)
        summary = import_file(db, actor, args.file, dry_run=args.dry_run, waiting=waiting)
    finally:
        db.dispose()
    out(json.dumps(summary.as_json()) if args.json else summary.describe())
    if summary.empty and args.json:
        sys.stderr.write(f"followup: {summary.file_name}: {EMPTY_FILE}.\n")
    return EXIT_OK if summary.clean else EXIT_PARTIAL


# ------------------------------------------------------------------ reports and exports


def cmd_gui(args: argparse.Namespace) -> int:
    from followup.ui.shell.app import run_app

    return run_app(getattr(args, "db", None))


# The subcommands' parsers, in the order `followup --help` lists them: the commands each builder
# adds, and where it is ("module:function"). A module is imported only when one of its
# commands runs (or for the whole parser, for help), so that `followup cases` loads neither the
# backup, settings and report modules nor what they import.
PARSERS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("init",), "followup.cli:_add_init_parser"),
    (("check",), "followup.cli:_add_check_parser"),
    (("users",), "followup.cli.users:add_users_parser"),
    (("settings", "services"), "followup.cli.settings:add_settings_parsers"),
    (("set-password",), "followup.cli:_add_set_password_parser"),
    (("demo",), "followup.cli:_add_demo_parser"),
    (("cases",), "followup.cli:_add_cases_parser"),
    (("import",), "followup.cli:_add_import_parser"),
    (("letters",), "followup.cli:_add_letters_parser"),
    (("subject-access",), "followup.cli:_add_subject_access_parser"),
    (("report", "export"), "followup.cli.reports:add_report_parsers"),
    (("backup", "restore"), "followup.cli.admin:add_backup_parsers"),
    (("retention",), "followup.cli.admin:add_retention_parser"),
    (("alerts",), "followup.cli.alerts:add_alerts_parser"),
    (("kits",), "followup.cli.kits:add_kits_parsers"),
)

# Each subcommand's handler, "module:function", imported when the command runs.
COMMANDS: dict[str, str] = {
    "init": "followup.cli:cmd_init",
    "check": "followup.cli:cmd_check",
    "users": "followup.cli.users:cmd_users",
    "set-password": "followup.cli:cmd_set_password",
    "demo": "followup.cli:cmd_demo",
    "cases": "followup.cli:cmd_cases",
    "import": "followup.cli:cmd_import",
    "letters": "followup.cli.reports:cmd_letters",
    "report": "followup.cli.reports:cmd_report",
    "export": "followup.cli.reports:cmd_export",
    "backup": "followup.cli.admin:cmd_backup",
    "restore": "followup.cli.admin:cmd_restore",
    "retention": "followup.cli.admin:cmd_retention",
    "subject-access": "followup.cli.reports:cmd_subject_access",
    "settings": "followup.cli.settings:cmd_settings",
    "services": "followup.cli.settings:cmd_services",
    "alerts": "followup.cli.alerts:cmd_alerts",
    "kits": "followup.cli.kits:cmd_kits",
}


def _load(where: str) -> Any:
    module, name = where.split(":")
    return getattr(importlib.import_module(module), name)


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``, found without the parser; None when there is none or
    when help or the version comes first (the whole parser is then built)."""
    tokens = iter(argv)
    for token in tokens:
        if token in ("-h", "--help", "--version") or token == "--":
            return None
        if token.startswith("-"):
            if "=" not in token and len(token) >= 3 and "--db".startswith(token):
                next(tokens, None)  # --db URL (or an abbreviation of it)
            continue
        return token if token in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from followup.logs import configure_logging

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(chosen_command(argv)).parse_args(argv)
    except UsageError as exc:
        sys.stderr.write(f"followup: {exc}\n")
        return EXIT_FAILED
    configure_logging()
    command: Any = args.command
    handler: Callable[[argparse.Namespace], int]
    handler = cmd_gui if command is None else _load(COMMANDS[command])
    try:
        return handler(args)
    except FollowupError as exc:
        sys.stderr.write(f"followup: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("followup: stopped; nothing more was done.\n")
        return EXIT_FAILED
    except Exception as exc:  # the user gets a sentence, the log the type
        log.exception("Unexpected %s in `followup %s`", type(exc).__name__, command or "")
        sys.stderr.write(
            f"followup: something unexpected went wrong ({type(exc).__name__}); nothing more "
            "was done. The log in the Followup log folder has the details for support.\n"
        )
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
