"""`followup alerts [--json]`: the spike alerts (several overdoses in one postcode district
within the team's window), latest first, as the dashboard's Alerts tab lists them.

Each alert gives its district, count, window (incident times, UK time), the substances the
police noted and whether the signed-in user has acknowledged it; the cases behind it are
listed by id only where the user may open them (a worker, their own), and counted otherwise.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from followup.cli.support import (
    EXIT_OK,
    add_db_option,
    add_user_option,
    iso_utc,
    open_db,
    out,
    sign_in_user,
)
from followup.uktime import short_date_time

__all__ = ["add_alerts_parser", "cmd_alerts"]


def add_alerts_parser(sub: Any) -> None:
    p = sub.add_parser("alerts", help="spike alerts: overdoses clustered in one district")
    p.add_argument("--limit", type=int, default=100)
    add_db_option(p)
    add_user_option(p)
    p.add_argument("--json", action="store_true")


def cmd_alerts(args: argparse.Namespace) -> int:
    from followup.casework.spikes import alert_history

    db = open_db(args, migrate=False)
    try:
        actor = sign_in_user(db, args)
        with db.session() as s:
            alerts = alert_history(s, actor, limit=max(1, args.limit))
    finally:
        db.dispose()
    if args.json:
        # An object, so that other kinds of alert can sit beside the spikes.
        out(
            json.dumps(
                {
                    "spike_alerts": [
                        {
                            "id": a.id,
                            "district": a.district,
                            "referrals": a.referral_count,
                            "window_start": iso_utc(a.window_start),
                            "window_end": iso_utc(a.window_end),
                            "substances": a.substances,
                            "raised_at": iso_utc(a.raised_at),
                            "extended_at": iso_utc(a.extended_at),
                            "acknowledged_at": iso_utc(a.acknowledged_at),
                            "cases": [c.case_id for c in a.cases],
                            "other_cases": a.hidden_cases,
                        }
                        for a in alerts
                    ]
                }
            )
        )
        return EXIT_OK
    for a in alerts:
        seen = f"acknowledged {short_date_time(a.acknowledged_at)}" if a.acknowledged else "NEW"
        out(f"{a.id:>5}  {a.text}  [{seen}]")
        cases = ", ".join(str(c.case_id) for c in a.cases)
        others = f"{a.hidden_cases} not yours" if a.hidden_cases else ""
        out(f"       cases: {', '.join(p for p in (cases, others) if p) or '-'}")
    out(f"{len(alerts)} spike alert{'' if len(alerts) == 1 else 's'}.")
    return EXIT_OK
