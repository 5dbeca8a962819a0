"""`followup kits expiring|recall` and `followup report kits`: the naloxone kit lifecycle.

`kits expiring` lists the open cases whose person's kit held expires within the warning
period (a worker's own cases, a lead's team); `kits recall BATCH` lists everyone who received
a batch with their contact consent (team leads; audited as a search); `report kits` counts
the period's resupplies by reason, the same service the dashboard's Kits tab shows.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from followup.cli.support import (
    EXIT_OK,
    Parser,
    add_db_option,
    add_user_option,
    open_db,
    out,
    sign_in_user,
)
from followup.uktime import short_date

__all__ = ["add_kits_parsers", "add_kits_report_parser", "cmd_kits", "cmd_report_kits"]


def add_kits_parsers(sub: Any) -> None:
    p = sub.add_parser("kits", help="naloxone kits near expiry, and a batch recall search")
    kits = p.add_subparsers(dest="kits_command", parser_class=Parser, required=True)
    pe = kits.add_parser(
        "expiring", help="open cases whose person's kit expires soon or has expired"
    )
    pe.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="days ahead (default: the setting kits.expiry_warning_days, 60 unless changed)",
    )
    add_db_option(pe)
    add_user_option(pe)
    pe.add_argument("--json", action="store_true")
    pr = kits.add_parser(
        "recall", help="everyone who received a batch, with their contact consent (team leads)"
    )
    pr.add_argument("batch", metavar="BATCH", help="the batch number (any upper or lower case)")
    add_db_option(pr)
    add_user_option(pr)
    pr.add_argument("--json", action="store_true")


def add_kits_report_parser(reports: Any) -> None:
    """`followup report kits`, under `followup report` (the period as `report engagement`)."""
    pk = reports.add_parser("kits", help="naloxone resupplies of a period, by reason")
    pk.add_argument(
        "--from",
        dest="date_from",
        metavar="D",
        help="first day, 2026-11-01 or 01/11/2026 (default: the 1st of this month)",
    )
    pk.add_argument("--to", dest="date_to", metavar="D", help="last day, included (default: today)")
    add_db_option(pk)
    add_user_option(pk)
    pk.add_argument("--json", action="store_true")


def _days_text(days_left: int) -> str:
    if days_left < 0:
        return f"expired {-days_left} day{'s' if days_left != -1 else ''} ago"
    if days_left == 0:
        return "expires today"
    return f"{days_left} day{'s' if days_left != 1 else ''} left"


def cmd_kits(args: argparse.Namespace) -> int:
    from followup.casework import kits
    from followup.vocab import label

    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        if args.kits_command == "expiring":
            with db.session() as s:
                days = kits.warning_days(s) if args.days is None else args.days
                found = kits.expiring_kits(s, actor, days)
            if args.json:
                out(json.dumps({"days": days, "cases": [k.as_json() for k in found]}))
                return EXIT_OK
            for k in found:
                out(
                    f"{k.case_id:>7}  {k.police_reference[:20]:<20} {k.person[:28]:<28} "
                    f"{label(k.kit_type):<11} {k.batch_number[:16]:<16} "
                    f"{short_date(k.expires_on)}  {_days_text(k.days_left)}"
                )
            out(
                f"{len(found)} open case{'s' if len(found) != 1 else ''} with a kit expiring "
                f"within {days} days or expired."
            )
            return EXIT_OK
        with db.session(write=True) as s:
            entries = kits.recall(s, actor, args.batch)
    finally:
        db.dispose()
    batch = kits.normalise_batch(args.batch)
    if args.json:
        out(json.dumps({"batch_number": batch, "supplies": [e.as_json() for e in entries]}))
        return EXIT_OK
    for e in entries:
        consent = ", ".join(
            f"{name}: {e.consent_text(scope).lower()}"
            for scope, name in kits.CONTACT_SCOPE_NAMES.items()
        )
        out(
            f"{e.case_id:>7}  {e.police_reference[:20]:<20} {e.person[:28]:<28} "
            f"{short_date(e.supplied_on)}  x{e.quantity}  {label(e.recipient):<7} {consent}"
        )
    people = len({e.person_id for e in entries})
    out(
        f"{len(entries)} suppl{'ies' if len(entries) != 1 else 'y'} of batch {batch} to "
        f"{people} {'people' if people != 1 else 'person'}."
    )
    return EXIT_OK


def cmd_report_kits(args: argparse.Namespace) -> int:
    from followup.reports.definitions import period_from_args
    from followup.reports.resupplies import resupplies_by_reason

    period = period_from_args(args.date_from, args.date_to)
    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            report = resupplies_by_reason(s, actor, period)
    finally:
        db.dispose()
    if args.json:
        out(json.dumps(report.as_json()))
        return EXIT_OK
    out(f"Naloxone resupplies {period.label}, by reason.")
    out(f"{'Reason':<24} {'resupplies':>10} {'kits':>6}")
    for r in report.reasons:
        out(f"{r.label:<24} {r.supplies:>10} {r.kits:>6}")
    out(f"{'Total':<24} {report.supplies:>10} {report.kits:>6}")
    return EXIT_OK
