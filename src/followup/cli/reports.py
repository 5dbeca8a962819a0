"""Command-line subcommands for team-lead reports, exports, letters and subject access."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from typing import Any

from followup.cli.kits import add_kits_report_parser, cmd_report_kits
from followup.cli.support import (
    EXIT_OK,
    EXIT_PARTIAL,
    Parser,
    UsageError,
    add_db_option,
    add_user_option,
    iso_utc,
    open_db,
    out,
    sign_in_user,
)
from followup.cli.timeliness import add_timeliness_parser, cmd_timeliness
from followup.cli.traceability import add_traceability_parser, cmd_traceability
from followup.uktime import DATE_FORMAT, DATE_TIME_FORMAT, short_date

__all__ = ["add_report_parsers", "cmd_export", "cmd_letters", "cmd_report", "cmd_subject_access"]


def _add_period(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from",
        dest="date_from",
        metavar="D",
        help="first day, 2026-11-01 or 01/11/2026 (default: the 1st of this month)",
    )
    p.add_argument("--to", dest="date_to", metavar="D", help="last day, included (default: today)")


def add_report_parsers(sub: Any) -> None:
    p = sub.add_parser("report", help="team-lead reports")
    reports = p.add_subparsers(dest="report_command", parser_class=Parser, required=True)
    pe = reports.add_parser("engagement", help="the funnel, rates and medians of a period")
    _add_period(pe)
    pe.add_argument("--by", choices=("worker", "area", "month"), help="break the figures down")
    add_db_option(pe)
    add_user_option(pe)
    pe.add_argument("--json", action="store_true")
    add_kits_report_parser(reports)
    add_timeliness_parser(reports, _add_period)
    add_traceability_parser(reports, _add_period)

    p = sub.add_parser("export", help="exports for team leads (audited)")
    exports = p.add_subparsers(dest="export_command", parser_class=Parser, required=True)
    for name, text in (
        (
            "cases",
            "the case list (default: every case) as CSV for other programs, or with --excel "
            "as an Excel workbook for people",
        ),
        ("tables", "the dashboard's tables (by worker, area and month) as an Excel workbook"),
        ("commissioners", "the PDF summary for commissioners (aggregates only)"),
        ("ndtms", "the NDTMS extract (CSV): checked rows under the NDTMS field names"),
    ):
        px = exports.add_parser(name, help=text)
        px.add_argument("file", metavar="FILE", help="file to write, or a folder for a dated name")
        if name == "cases":
            px.add_argument(
                "--excel",
                action="store_true",
                help="write an Excel workbook (.xlsx) instead of CSV (also chosen by a FILE "
                "ending .xlsx)",
            )
        if name == "ndtms":
            px.add_argument(
                "--dataset-version",
                metavar="VERSION",
                help="the NDTMS dataset version, cds-o or cds-p (default: the newest, cds-p)",
            )
            px.add_argument("--agency", help="the NDTMS agency code (default: the team setting)")
        _add_period(px)
        add_db_option(px)
        add_user_option(px)
        px.add_argument("--json", action="store_true")


def _report_text(report: Any) -> list[str]:
    from followup.reports.definitions import FIGURES, FUNNEL, MEDIANS, RATES

    def show(key: str, value: Any) -> str:
        if value is None:
            return "-"
        kind = FIGURES[key].kind
        return (
            f"{value * 100:.1f}%"
            if kind == "rate"
            else f"{value:.1f} h"
            if kind == "hours"
            else str(value)
        )

    t = report.totals
    lines = [
        f"Cases received {report.period.label} (first attempt target "
        f"{report.first_attempt_hours} hours)."
    ]
    lines.append("  ".join(f"{FIGURES[k].label}: {t.value(k)}" for k in FUNNEL))
    for key in (*RATES, *MEDIANS, "repeat_overdoses", "naloxone_kits", "overdue"):
        lines.append(f"{FIGURES[key].label}: {show(key, t.value(key))}")
    for by, rows in report.groups.items():
        lines.append("")
        lines.append(
            f"{by.capitalize():<24} {'recv':>6} {'att':>6} {'cont':>6} {'eng':>6} "
            f"{'ref':>6} {'treat':>6} {'in time':>8} {'med h':>7} {'overdue':>7}"
        )
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
    if args.report_command == "traceability":
        return cmd_traceability(args)
    from followup.reports.definitions import period_from_args
    from followup.reports.engagement import engagement_report

    if args.report_command == "kits":
        return cmd_report_kits(args)
    if args.report_command == "timeliness":
        return cmd_timeliness(args)
    period = period_from_args(args.date_from, args.date_to)
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            report = engagement_report(s, actor, period, by=args.by)
    finally:
        db.dispose()
    if args.json:
        out(json.dumps(report.as_json()))
    else:
        for line in _report_text(report):
            out(line)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from followup.reports.definitions import period_from_args
    from followup.reports.exports import (
        export_cases_csv,
        export_cases_xlsx,
        export_tables_xlsx,
    )
    from followup.reports.ndtms import NdtmsResult, export_ndtms_csv
    from followup.reports.pdf import export_commissioner_pdf

    kind = args.export_command
    everything = kind == "cases" and args.date_from is None and args.date_to is None
    chosen = period_from_args(args.date_from, args.date_to)
    period = None if everything else chosen
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            if kind == "cases" and (args.excel or args.file.lower().endswith(".xlsx")):
                result = export_cases_xlsx(s, actor, args.file, period)
            elif kind == "cases":
                result = export_cases_csv(s, actor, args.file, period)
            elif kind == "tables":
                result = export_tables_xlsx(s, actor, args.file, chosen)
            elif kind == "ndtms":
                result = export_ndtms_csv(
                    s, actor, args.file, chosen, version=args.dataset_version, agency=args.agency
                )
            else:
                result = export_commissioner_pdf(s, actor, args.file, chosen)
    finally:
        db.dispose()
    if isinstance(result, NdtmsResult):
        out(json.dumps(result.as_json()) if args.json else result.report_text())
    elif args.json:
        out(
            json.dumps(
                {
                    "kind": result.kind,
                    "file": str(result.path),
                    "rows": result.rows,
                    "pages": result.pages or None,
                    "period": result.period.as_json() if result.period else None,
                    "made_at": iso_utc(result.made_at),
                }
            )
        )
    else:
        out(result.describe())
    return EXIT_OK


def _appointment_time(text: str | None) -> datetime | None:
    if not text:
        return None
    for form in (DATE_TIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text.strip(), form)
        except ValueError:
            continue
    raise UsageError(f"Give the appointment time as dd/mm/yyyy HH:MM, not {text!r}.")


def _write_pdf(path: Any, pdf: bytes) -> None:
    """Write a letter PDF whole and private to the user (``0600``)."""
    from followup.files import write_atomically

    write_atomically(path, lambda fh: fh.write(pdf), binary=True)  # says why if it cannot


def cmd_letters(args: argparse.Namespace) -> int:
    from pathlib import Path

    from followup.letters.batch import letters_due, render_batch
    from followup.letters.making import create_letter, record_prints

    if args.batch == bool(args.case or args.template):
        raise UsageError("Give either --case ID and --template NAME, or --batch.")
    if not args.batch and not (args.case and args.template):
        raise UsageError("A single letter needs both --case ID and --template NAME.")
    when = _appointment_time(args.time)
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"The folder for {output} does not exist.")
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        if not args.batch:
            with db.session() as s:
                letter = create_letter(
                    s,
                    actor,
                    args.case,
                    args.template,
                    appointment_time=when,
                    appointment_place=args.place,
                    note=args.note,
                )
                _write_pdf(output, letter.pdf)
                record_prints(s, actor, [letter.id], "saved to a file (command line)")
            result: dict[str, Any] = {
                "letters": [
                    {
                        "id": letter.id,
                        "case_id": letter.case_id,
                        "template": letter.template,
                        "sha256": letter.sha256,
                    }
                ],
                "skipped": [],
                "pages": None,
                "file": str(output),
            }
            summary = f"Wrote letter {letter.id} ({letter.template}) to {output}."
            code = EXIT_OK
        else:
            with db.session() as s:
                due = letters_due(s, actor, with_problems=False)
            batch = render_batch(db, actor, due)
            if batch.pdf is not None:
                _write_pdf(output, batch.pdf)
                with db.session() as s:
                    record_prints(
                        s,
                        actor,
                        [x.id for x in batch.letters],
                        "saved to a file (command line batch)",
                    )
            result = {
                "letters": [
                    {"id": x.id, "case_id": x.case_id, "template": x.template, "sha256": x.sha256}
                    for x in batch.letters
                ],
                "skipped": [
                    {"case_id": x.case_id, "template": x.template, "reason": x.reason}
                    for x in batch.skipped
                ],
                "pages": batch.pages,
                "file": str(output) if batch.pdf is not None else None,
            }
            if batch.pdf is None and not batch.skipped:
                summary = "No letters are due; no file was written."
            elif batch.pdf is None:
                summary = "No letter could be made; no file was written."
            else:
                summary = f"Wrote {len(batch.letters)} letters ({batch.pages} pages) to {output}."
            for x in batch.skipped:
                summary += f"\nNot made: case {x.case_id}, {x.template}: {x.reason}"
            code = EXIT_PARTIAL if batch.skipped else EXIT_OK
    finally:
        db.dispose()
    out(json.dumps(result) if args.json else summary)
    return code


# ------------------------------------------------------------------- backup and restore


def _day(text: str) -> date:
    for fmt in ("%Y-%m-%d", DATE_FORMAT):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UsageError(f"{text!r} is not a date; write it as 2026-11-01 or 01/11/2026.")


def cmd_subject_access(args: argparse.Namespace) -> int:
    from followup.protection.subject_access.pack import subject_access, write_subject_access

    requested = _day(args.requested) if args.requested else None
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            pack = subject_access(s, actor, args.person, requested)
            pdf_path, json_path = write_subject_access(pack, args.output)
    finally:
        db.dispose()
    if args.json:
        out(
            json.dumps(
                {
                    "person_id": pack.person_id,
                    "pdf": str(pdf_path),
                    "json": str(json_path),
                    "letters": len(pack.letters),
                    "requested_on": pack.requested_on.isoformat(),
                    "respond_by": pack.respond_by.isoformat(),
                }
            )
        )
    else:
        out(
            f"Subject access pack written: {pdf_path} and {json_path}"
            f"{f' with {len(pack.letters)} letter(s) beside them' if pack.letters else ''}. "
            f"Hand it over by {short_date(pack.respond_by)}."
        )
    return EXIT_OK


# ------------------------------------------------------------------------------- retention
