"""`followup report traceability`: the traceability figures of a period (issue 17).

The same service as the dashboard's Traceability tab (``reports.traceability``); ``--json``
gives the figures, the counts by class and by no-contact reason, and their definitions.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from followup.cli.support import EXIT_OK, add_db_option, add_user_option, open_db, out, sign_in_user

__all__ = ["add_traceability_parser", "cmd_traceability"]


def add_traceability_parser(
    reports: Any, add_period: Callable[[argparse.ArgumentParser], None]
) -> None:
    p = reports.add_parser(
        "traceability",
        help="referrals by traceability class, and cases closed without contact by reason",
    )
    add_period(p)
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def _text(report: Any) -> list[str]:
    from followup import vocab
    from followup.reports.definitions import TRACEABILITY

    lines = [f"Referrals received {report.period.label}: {report.referrals}"]
    lines += [f"  {vocab.label(k):<32} {n:>6}" for k, n in report.by_class]
    lines.append(
        f"{TRACEABILITY['not_traceable_at_intake'].label}: {report.not_traceable_at_intake}"
    )
    lines.append("")
    lines.append(
        f"{TRACEABILITY['closed_without_contact'].label} (cases received in the period): "
        f"{report.closed_without_contact}"
    )
    lines += [f"  {vocab.label(k):<32} {n:>6}" for k, n in report.closed_by_reason]
    lines.append(f"{TRACEABILITY['never_traced'].label}: {report.never_traced}")
    return lines


def cmd_traceability(args: argparse.Namespace) -> int:
    from followup.reports.definitions import period_from_args
    from followup.reports.traceability import traceability_report

    period = period_from_args(args.date_from, args.date_to)
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            report = traceability_report(s, actor, period)
    finally:
        db.dispose()
    if args.json:
        out(json.dumps(report.as_json()))
    else:
        for line in _text(report):
            out(line)
    return EXIT_OK
