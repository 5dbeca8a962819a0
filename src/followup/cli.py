"""The `followup` command line: the desktop app with no arguments, or a subcommand.

Every subcommand acts as a named user under the same permissions as the app, except `init`,
`check`, `demo` and the first `users add`. Errors are one plain sentence on stderr, never a
traceback. Exit codes: 0 success, 1 done but some input was rejected or left out, 2 bad usage
or a file or database that cannot be used. Qt is imported only to start the desktop app.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from followup import __version__
from followup.errors import FollowupError

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2

log = logging.getLogger("followup.cli")


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="followup", description="Post-overdose follow-up and referral.")
    parser.add_argument("--version", action="version", version=f"followup {__version__}")
    _add_db(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("init", help="create or upgrade the database")
    _add_db(p)
    p.add_argument("--grant-app-role", metavar="ROLE",
                   help="PostgreSQL: after upgrading as the owner, grant ROLE the app's rights")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("check", help="integrity check of the database and schema version")
    _add_db(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("users", help="user management")
    users = p.add_subparsers(dest="users_command", parser_class=_Parser, required=True)
    pa = users.add_parser("add", help="add a user (the password is read from the terminal)")
    pa.add_argument("name")
    pa.add_argument("--role", required=True, choices=("worker", "lead", "admin"))
    pa.add_argument("--display-name", metavar="TEXT")
    _add_db(pa)
    _add_user(pa)

    p = sub.add_parser("set-password", help="store the team database password in the keyring")
    _add_db(p)

    p = sub.add_parser("demo", help="fill an empty database with synthetic demonstration data")
    p.add_argument("--cases", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    _add_db(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("cases", help="list cases")
    p.add_argument("--search", default="", metavar="TEXT")
    p.add_argument("--status", action="append", metavar="S", help="repeat for several")
    p.add_argument("--overdue", action="store_true")
    p.add_argument("--limit", type=int, default=100)
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("import", help="import a police referral file (CSV or JSON)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and match, but write nothing")
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("letters", help="make one letter, or every letter due (--batch), as a PDF")
    p.add_argument("--case", type=int, metavar="ID")
    p.add_argument("--template", metavar="NAME",
                   help="appointment, unable_to_contact, treatment_referral or gp_notification")
    p.add_argument("--batch", action="store_true", help="every letter due, in one PDF")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.add_argument("--time", metavar='"dd/mm/yyyy HH:MM"', help="appointment time (UK time)")
    p.add_argument("--place", metavar="TEXT", help="appointment place")
    p.add_argument("--note", metavar="TEXT", help="a note for the letter's {note} placeholder")
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("subject-access",
                       help="everything held about one person, as PDF and JSON (team leads)")
    p.add_argument("--person", type=int, required=True, metavar="ID")
    p.add_argument("-o", "--output", required=True, metavar="FOLDER", help="an existing folder")
    p.add_argument("--requested", metavar="D",
                   help="the day the request arrived, 2026-11-01 or 01/11/2026 (default: today)")
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")

    _add_report_parsers(sub)
    _add_backup_parsers(sub)
    _add_retention_parser(sub)
    return parser


# --------------------------------------------------------------------------------- helpers


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _open(args: argparse.Namespace, *, create: bool = False, migrate: bool = True):  # noqa: ANN202
    from followup.backups import configured_backup_folder
    from followup.db.migrate import open_database
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
    from followup.access import sign_in

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


def cmd_init(args: argparse.Namespace) -> int:
    from followup.db.migrate import schema_state

    db = _open(args, create=True)
    try:
        state = schema_state(db)
        result = {"database": db.description, "schema_revision": state.current}
        if args.grant_app_role:
            from followup.db.roles import grant_app_role

            grant_app_role(db, args.grant_app_role)
            result["app_role"] = args.grant_app_role
        if args.json:
            _out(json.dumps(result))
        else:
            _out(f"{db.description} is ready (schema {state.current}).")
            if args.grant_app_role:
                _out(f"The role {args.grant_app_role} has the app's rights, and no more.")
    finally:
        db.dispose()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from followup.db.engine import sqlite_path
    from followup.db.migrate import integrity_report
    from followup.integrity import network_share_warning

    db = _open(args, migrate=False)
    try:
        report = integrity_report(db)
        path = sqlite_path(db.url)
    finally:
        db.dispose()
    warning = network_share_warning(path) if path is not None else None
    report["warnings"] = [warning] if warning else []
    if args.json:
        _out(json.dumps(report))
    else:
        _out(f"Database: {report['database']}")
        _out(
            f"Schema revision: {report['schema_revision'] or 'none'} (this app: {report['app_revision']})"
        )
        if report["ok"]:
            _out("Integrity: ok")
        for problem in report["problems"]:
            _out(f"Problem: {problem}")
        if warning:
            _out(f"Warning: {warning}")
    return EXIT_OK if report["ok"] else EXIT_FAILED


def cmd_users_add(args: argparse.Namespace) -> int:
    from followup.access import create_user, user_count

    db = _open(args, create=True)
    try:
        with db.session() as s:
            first = user_count(s) == 0
        actor = None if first else _sign_in(db, args)
        if first and args.role != "admin":
            raise FollowupError("The first user must be an administrator (--role admin).")
        if sys.stdin is not None and sys.stdin.isatty():
            password = getpass.getpass(f"New password for {args.name}: ")
            if getpass.getpass("Type it again: ") != password:
                raise FollowupError("The two passwords differ; nothing was changed.")
        else:
            password = _password("")
        with db.session() as s:
            create_user(s, actor, args.name, args.role, password, args.display_name)
        _out(f"Added {args.name} as {args.role}.")
    finally:
        db.dispose()
    return EXIT_OK


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
    store_database_password(url, _password("Database password: "))
    _out(f"Stored the password in {status.backend}.")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from followup.demo import populate

    if args.cases < 1:
        raise UsageError("--cases must be at least 1.")
    db = _open(args, create=True)
    try:
        result = populate(db, cases=args.cases, seed=args.seed)
    finally:
        db.dispose()
    if args.json:
        _out(json.dumps(result.as_dict()))
    else:
        _out(result.describe())
    return EXIT_OK


def cmd_cases(args: argparse.Namespace) -> int:
    from followup.cases import count_cases, list_cases
    from followup.db.queries import CaseQuery
    from followup.vocab import CASE_STATUSES

    for status in args.status or ():
        if status not in CASE_STATUSES:
            raise UsageError(f"Unknown status {status!r}; use one of {', '.join(CASE_STATUSES)}.")
    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        q = CaseQuery(
            search=args.search, statuses=tuple(args.status or ()), overdue_only=args.overdue
        )
        with db.session() as s:
            total = count_cases(s, actor, q)
            rows = list_cases(s, actor, q, limit=max(1, args.limit))
    finally:
        db.dispose()
    if args.json:
        _out(
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
                            "due": _iso(r.next_action_due_at),
                            "overdue": r.overdue,
                        }
                        for r in rows
                    ],
                }
            )
        )
    else:
        for r in rows:
            due = (
                r.next_action_due_at.astimezone().strftime("%d/%m/%Y %H:%M")
                if r.next_action_due_at
                else "-"
            )
            mark = " OVERDUE" if r.overdue else ""
            _out(
                f"{r.id:>7}  {r.police_reference:<20} {r.person[:28]:<28} {r.status:<12} "
                f"{(r.worker or '-')[:16]:<16} {due}{mark}"
            )
        _out(f"{len(rows)} of {total} cases shown.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from followup.intake import import_file

    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        summary = import_file(db, actor, args.file, dry_run=args.dry_run)
    finally:
        db.dispose()
    _out(json.dumps(summary.as_json()) if args.json else summary.describe())
    return EXIT_OK if summary.clean else EXIT_PARTIAL


# ------------------------------------------------------------------ reports and exports


def _add_period(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="date_from", metavar="D",
                   help="first day, 2026-11-01 or 01/11/2026 (default: the 1st of this month)")
    p.add_argument("--to", dest="date_to", metavar="D",
                   help="last day, included (default: today)")


def _add_report_parsers(sub: Any) -> None:
    p = sub.add_parser("report", help="team-lead reports")
    reports = p.add_subparsers(dest="report_command", parser_class=_Parser, required=True)
    pe = reports.add_parser("engagement", help="the funnel, rates and medians of a period")
    _add_period(pe)
    pe.add_argument("--by", choices=("worker", "area", "month"), help="break the figures down")
    _add_db(pe)
    _add_user(pe)
    pe.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="exports for team leads (audited)")
    exports = p.add_subparsers(dest="export_command", parser_class=_Parser, required=True)
    for name, text in (
        ("cases", "the case list as spreadsheet-safe CSV (default: every case)"),
        ("commissioners", "the PDF summary for commissioners (aggregates only)"),
        ("ndtms", "CSV extract of consented cases, in the style of NDTMS"),
    ):
        px = exports.add_parser(name, help=text)
        px.add_argument("file", metavar="FILE", help="file to write, or a folder for a dated name")
        _add_period(px)
        _add_db(px)
        _add_user(px)
        px.add_argument("--json", action="store_true")


def _report_text(report: Any) -> list[str]:
    from followup.report_figures import FIGURES, FUNNEL, MEDIANS, RATES

    def show(key: str, value: Any) -> str:
        if value is None:
            return "-"
        kind = FIGURES[key].kind
        return f"{value * 100:.1f}%" if kind == "rate" else f"{value:.1f} h" if kind == "hours" else str(value)

    t = report.totals
    lines = [f"Cases received {report.period.label} (first attempt target "
             f"{report.first_attempt_hours} hours)."]
    lines.append("  ".join(f"{FIGURES[k].label}: {t.value(k)}" for k in FUNNEL))
    for key in (*RATES, *MEDIANS, "repeat_overdoses", "naloxone_kits", "overdue"):
        lines.append(f"{FIGURES[key].label}: {show(key, t.value(key))}")
    for by, rows in report.groups.items():
        lines.append("")
        lines.append(f"{by.capitalize():<24} {'recv':>6} {'att':>6} {'cont':>6} {'eng':>6} "
                     f"{'ref':>6} {'treat':>6} {'in time':>8} {'med h':>7} {'overdue':>7}")
        for g in rows:
            f = g.figures
            lines.append(
                f"{g.label[:24]:<24} {f.received:>6} {f.attempted:>6} {f.contacted:>6} "
                f"{f.engaged:>6} {f.referred:>6} {f.in_treatment:>6} "
                f"{show('first_attempt_in_time_rate', f.first_attempt_in_time_rate):>8} "
                f"{show('median_hours_to_first_attempt', f.median_hours_to_first_attempt):>7} "
                f"{'-' if f.overdue is None else f.overdue:>7}"
            )
    return lines


def cmd_report(args: argparse.Namespace) -> int:
    from followup.report_figures import period_from_args
    from followup.reports import engagement_report

    period = period_from_args(args.date_from, args.date_to)
    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        with db.session() as s:
            report = engagement_report(s, actor, period, by=args.by)
    finally:
        db.dispose()
    if args.json:
        _out(json.dumps(report.as_json()))
    else:
        for line in _report_text(report):
            _out(line)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from followup.exports import export_cases_csv, export_ndtms_csv
    from followup.report_figures import period_from_args
    from followup.report_pdf import export_commissioner_pdf

    kind = args.export_command
    everything = kind == "cases" and args.date_from is None and args.date_to is None
    period = None if everything else period_from_args(args.date_from, args.date_to)
    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        with db.session() as s:
            if kind == "cases":
                result = export_cases_csv(s, actor, args.file, period)
            elif kind == "ndtms":
                result = export_ndtms_csv(s, actor, args.file, period)
            else:
                result = export_commissioner_pdf(s, actor, args.file, period)
    finally:
        db.dispose()
    if args.json:
        _out(json.dumps({"kind": result.kind, "file": str(result.path), "rows": result.rows,
                         "pages": result.pages or None,
                         "period": result.period.as_json() if result.period else None,
                         "made_at": _iso(result.made_at)}))
    else:
        _out(result.describe())
    return EXIT_OK


def _appointment_time(text: str | None) -> datetime | None:
    if not text:
        return None
    for form in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text.strip(), form)
        except ValueError:
            continue
    raise UsageError(f"Give the appointment time as dd/mm/yyyy HH:MM, not {text!r}.")


def _write_pdf(path: Any, pdf: bytes) -> None:
    try:
        path.write_bytes(pdf)
    except OSError as exc:
        raise FollowupError(f"Could not write {path} ({exc.strerror}); nothing was saved.") from None


def cmd_letters(args: argparse.Namespace) -> int:
    from pathlib import Path

    from followup.letter_batch import letters_due, render_batch
    from followup.letters import create_letter, record_prints

    if args.batch == bool(args.case or args.template):
        raise UsageError("Give either --case ID and --template NAME, or --batch.")
    if not args.batch and not (args.case and args.template):
        raise UsageError("A single letter needs both --case ID and --template NAME.")
    when = _appointment_time(args.time)
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"The folder for {output} does not exist.")
    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        if not args.batch:
            with db.session() as s:
                letter = create_letter(s, actor, args.case, args.template, appointment_time=when,
                                       appointment_place=args.place, note=args.note)
                _write_pdf(output, letter.pdf)
                record_prints(s, actor, [letter.id], "saved to a file (command line)")
            result = {"letters": [{"id": letter.id, "case_id": letter.case_id,
                                   "template": letter.template, "sha256": letter.sha256}],
                      "skipped": [], "pages": None, "file": str(output)}
            summary = f"Wrote letter {letter.id} ({letter.template}) to {output}."
            code = EXIT_OK
        else:
            with db.session() as s:
                due = letters_due(s, actor, with_problems=False)
            batch = render_batch(db, actor, due)
            if batch.pdf is not None:
                _write_pdf(output, batch.pdf)
                with db.session() as s:
                    record_prints(s, actor, [x.id for x in batch.letters],
                                  "saved to a file (command line batch)")
            result = {
                "letters": [{"id": x.id, "case_id": x.case_id, "template": x.template,
                             "sha256": x.sha256} for x in batch.letters],
                "skipped": [{"case_id": x.case_id, "template": x.template, "reason": x.reason}
                            for x in batch.skipped],
                "pages": batch.pages,
                "file": str(output) if batch.pdf is not None else None,
            }
            if batch.pdf is None and not batch.skipped:
                summary = "No letters are due; no file was written."
            elif batch.pdf is None:
                summary = "No letter could be made; no file was written."
            else:
                summary = (f"Wrote {len(batch.letters)} letters ({batch.pages} pages) "
                           f"to {output}.")
            for x in batch.skipped:
                summary += f"\nNot made: case {x.case_id}, {x.template}: {x.reason}"
            code = EXIT_PARTIAL if batch.skipped else EXIT_OK
    finally:
        db.dispose()
    _out(json.dumps(result) if args.json else summary)
    return code


# ------------------------------------------------------------------- backup and restore


def _add_backup_parsers(sub: Any) -> None:
    p = sub.add_parser("backup", help="consistent online backup of the database to FILE")
    p.add_argument("file", metavar="FILE", help="backup file to write, or a folder for a dated name")
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("restore", help="replace the database with the backup FILE (admin)")
    p.add_argument("file", metavar="FILE")
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from followup.access import require
    from followup.backups import backup_database

    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        require(actor, "backup")
        info = backup_database(db, Path(args.file), actor=actor)
    finally:
        db.dispose()
    if args.json:
        _out(json.dumps({"file": str(info.path), "backend": info.backend,
                         "schema_revision": info.revision, "bytes": info.size}))
    else:
        _out(info.describe())
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Sign in on the current database; when it is missing or damaged, on the backup itself."""
    from pathlib import Path

    from followup.access import require
    from followup.backups import configured_backup_folder, restore_database
    from followup.db.engine import sqlite_path
    from followup.db.migrate import open_database
    from followup.errors import DatabaseTooNew, DatabaseUnavailable
    from followup.integrity import is_damaged_sqlite_file
    from followup.settings import AppPaths, resolve_database_url

    paths = AppPaths.default()
    url = resolve_database_url(args.db, paths)
    source = Path(args.file)
    if not source.is_file():
        raise FollowupError(f"There is no backup file at {source}; nothing was changed.")
    signed: list[Any] = []

    def authorise(db: Any) -> None:
        signed.append(_sign_in(db, args))
        require(signed[-1], "restore")

    try:
        db = open_database(url, migrate=False)
    except DatabaseTooNew:
        raise
    except DatabaseUnavailable:
        path = sqlite_path(url)
        if path is None or (path.exists() and not is_damaged_sqlite_file(path)):
            raise
        db = None
    if db is not None:
        try:
            authorise(db)
        finally:
            db.dispose()
    info = restore_database(url, source, backup_dir=configured_backup_folder(paths),
                            actor=signed[0] if signed else None,
                            authorise=None if signed else authorise)
    if args.json:
        _out(json.dumps({"database": info.database, "file": str(info.source),
                         "restored_revision": info.restored_revision,
                         "schema_revision": info.revision,
                         "safety_copy": str(info.safety_copy) if info.safety_copy else None,
                         "set_aside": str(info.set_aside) if info.set_aside else None}))
    else:
        _out(info.describe())
    return EXIT_OK


def _day(text: str) -> Any:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UsageError(f"{text!r} is not a date; write it as 2026-11-01 or 01/11/2026.")


def cmd_subject_access(args: argparse.Namespace) -> int:
    from followup.subject_access import subject_access, write_subject_access

    requested = _day(args.requested) if args.requested else None
    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
        with db.session() as s:
            pack = subject_access(s, actor, args.person, requested)
            pdf_path, json_path = write_subject_access(pack, args.output)
    finally:
        db.dispose()
    if args.json:
        _out(json.dumps({"person_id": pack.person_id, "pdf": str(pdf_path), "json": str(json_path),
                         "letters": len(pack.letters), "requested_on": pack.requested_on.isoformat(),
                         "respond_by": pack.respond_by.isoformat()}))
    else:
        _out(f"Subject access pack written: {pdf_path} and {json_path}"
             f"{f' with {len(pack.letters)} letter(s) beside them' if pack.letters else ''}. "
             f"Hand it over by {pack.respond_by:%d/%m/%Y}.")
    return EXIT_OK


# ------------------------------------------------------------------------------- retention


def _add_retention_parser(sub: Any) -> None:
    p = sub.add_parser(
        "retention", help="list people past the retention period; --destroy them (admin)"
    )
    p.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")
    p.add_argument("--destroy", action="store_true", help="destroy everyone listed as due")
    _add_db(p)
    _add_user(p)
    p.add_argument("--json", action="store_true")


def cmd_retention(args: argparse.Namespace) -> int:
    from followup import retention

    if args.dry_run and args.destroy:
        raise UsageError("Use --dry-run or --destroy, not both.")
    db = _open(args, migrate=False)
    try:
        actor = _sign_in(db, args)
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
        out: dict[str, Any] = {
            "retention_years": years,
            "due": [
                {"person_id": i.person_id, "initials": i.initials, "birth_year": i.birth_year,
                 "case_ids": list(i.case_ids), "police_references": list(i.police_references),
                 "closed_on": i.closed_on.isoformat(), "letters": i.letters}
                for i in items
            ],
        }
        if report is not None:
            out["report"] = report.as_dict()
        _out(json.dumps(out))
        return EXIT_OK
    lines = [f"{len(items)} person record(s) closed more than {years} years ago are due."]
    lines += [
        f"  person {i.person_id} ({i.initials}, born {i.birth_year or '?'}): closed "
        f"{i.closed_on:%d/%m/%Y}, cases {', '.join(map(str, i.case_ids))}, {i.letters} letter(s)"
        for i in items
    ]
    if report is not None:
        lines.append(report.describe())
    _out("\n".join(lines))
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from followup.ui.app import run_app

    return run_app(getattr(args, "db", None))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "check": cmd_check,
    "set-password": cmd_set_password,
    "demo": cmd_demo,
    "cases": cmd_cases,
    "import": cmd_import,
    "letters": cmd_letters,
    "report": cmd_report,
    "export": cmd_export,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "retention": cmd_retention,
    "subject-access": cmd_subject_access,
}


def main(argv: Sequence[str] | None = None) -> int:
    from followup.logs import configure_logging

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        sys.stderr.write(f"followup: {exc}\n")
        return EXIT_FAILED
    configure_logging()
    command: Any = args.command
    if command is None:
        handler = cmd_gui
    elif command == "users":
        handler = cmd_users_add
    else:
        handler = COMMANDS[command]
    try:
        return handler(args)
    except FollowupError as exc:
        sys.stderr.write(f"followup: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("followup: stopped; nothing more was done.\n")
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the user gets a sentence, the log the type
        log.exception("Unexpected %s in `followup %s`", type(exc).__name__, command or "")
        sys.stderr.write(
            f"followup: something unexpected went wrong ({type(exc).__name__}); nothing more "
            "was done. The log in the Followup log folder has the details for support.\n"
        )
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
