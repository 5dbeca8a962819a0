"""`followup report timeliness`: the time from receipt to first attempt and first contact in
buckets, for the team (a worker: their own cases), by worker, area or UK weekday.

The numbers come from ``followup.reports.timeliness.timeliness_report``, the service the
dashboard's Timeliness tab uses; --json prints its ``as_json`` as it is.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from followup.cli.support import (
    EXIT_OK,
    add_db_option,
    add_user_option,
    open_db,
    out,
    sign_in_user,
)

__all__ = ["add_timeliness_parser", "cmd_timeliness", "timeliness_text"]

_HEADINGS = ("<24 h", "24-48 h", "48-72 h", "3-7 d", "7 d+", "not yet")


def add_timeliness_parser(reports: Any, add_period: Any) -> None:
    p = reports.add_parser(
        "timeliness",
        help="time from receipt to first attempt and first contact, in buckets",
        description="Cases received in the period by how soon their first attempt and first "
        "contact came: under 24 h, 24-48 h, 48-72 h, 3-7 days, 7 days or more, not yet. A "
        "worker sees only their own cases.",
    )
    add_period(p)
    p.add_argument(
        "--by",
        choices=("worker", "area", "weekday"),
        help="break the buckets down (weekday: the UK day the referral was received)",
    )
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def timeliness_text(report: Any) -> list[str]:
    from followup.reports.timeliness import MEASURES

    whose = "your cases" if report.own_cases_only else "whole team"
    lines = [f"Time from receipt, cases received {report.period.label} ({whose})."]
    rows = [r for rows in report.groups.values() for r in rows]
    first = (next(iter(report.groups), "") or "").capitalize() or "Cases"
    for measure, title in zip(MEASURES, ("First attempt", "First contact"), strict=True):
        lines.append("")
        lines.append(title)
        lines.append(f"{first:<24} {'recv':>6} " + " ".join(f"{h:>8}" for h in _HEADINGS))
        for r in [*rows, report.totals]:
            counts = r.counts(measure)
            lines.append(
                f"{r.label[:24]:<24} {r.received:>6} " + " ".join(f"{n:>8}" for n in counts)
            )
    return lines


def cmd_timeliness(args: argparse.Namespace) -> int:
    from followup.reports.definitions import period_from_args
    from followup.reports.timeliness import timeliness_report

    period = period_from_args(args.date_from, args.date_to)
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            report = timeliness_report(s, actor, period, by=args.by)
    finally:
        db.dispose()
    if args.json:
        out(json.dumps(report.as_json()))
    else:
        for line in timeliness_text(report):
            out(line)
    return EXIT_OK
