"""What row-level security costs on a team server: the caseload's first page and the 12-month
report, with and without the policies, on PostgreSQL at 100,000 demonstration cases.

Needs a PostgreSQL server and a superuser URL in FOLLOWUP_BENCH_PG_URL (or FOLLOWUP_TEST_PG_URL),
e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``; without one it says so and stops. It
makes a throwaway team (owner, gate, groups, database), fills it with demonstration cases as the
owner, runs ``followup init`` (rights, policies, triggers), gives the demo lead and a worker
their logins, and times each workload as those logins: first with the policies, then with row
security switched off on every table (the grants stay), side by side in one run. Everything is
dropped at the end. One JSON object per line, ``target_s`` being 1.3 times the figure without
the policies (issue 11's limit):

    .venv/bin/python bench/rls.py [--runs 7] [--cases 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from followup import cli
from followup.casework.caseload import count_cases, list_cases
from followup.db.engine import Database
from followup.db.migrate import open_database
from followup.db.models import Case
from followup.db.queries import CaseQuery
from followup.demo.populate import populate
from followup.protection import team_accounts, team_server
from followup.reports.definitions import Period
from followup.reports.engagement import engagement_report

LIMIT = 1.3
PASSWORD = "bench-synthetic-passphrase"


def timed(db: Database, work: Callable[[Session], Any], runs: int) -> float:
    times = []
    for _ in range(runs + 1):  # the first run warms the caches and is not counted
        started = time.perf_counter()
        with db.session() as s:
            work(s)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database, to look at plans")
    args = parser.parse_args()
    admin_url = os.environ.get("FOLLOWUP_BENCH_PG_URL") or os.environ.get("FOLLOWUP_TEST_PG_URL")
    if not admin_url:
        print(
            "# bench/rls.py needs a PostgreSQL superuser URL in FOLLOWUP_BENCH_PG_URL; skipped",
            file=sys.stderr,
        )
        return 0
    base, host = admin_url.rsplit("/", 1)[0], admin_url.rsplit("@", 1)[1].rsplit("/", 1)[0]
    tag = uuid.uuid4().hex[:8]
    roles = team_server.TeamRoles(owner=f"bo_{tag}", gate=f"bg_{tag}", prefix=f"bt_{tag}")
    database = f"bench_rls_{tag}"
    logins = {"lead": f"lead_{tag}", "worker": f"worker_{tag}"}
    su = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    owner_url = f"postgresql://{roles.owner}:{PASSWORD}@{host}/{database}"
    try:
        with su.connect() as conn:
            for statement in team_server.server_setup_statements(database, roles):
                conn.exec_driver_sql(statement)
            for role in (roles.owner, roles.gate):
                conn.exec_driver_sql(f"ALTER ROLE {role} PASSWORD '{PASSWORD}'")
        in_db = create_engine(
            base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}",
            isolation_level="AUTOCOMMIT",
        )
        with in_db.connect() as conn:
            for statement in team_server.database_setup_statements(roles):
                conn.exec_driver_sql(statement)
        in_db.dispose()

        print(f"# filling {args.cases:,} demo cases as the owner", file=sys.stderr)
        owner = open_database(owner_url, create=True)
        populate(owner, args.cases, seed=1)
        with owner.engine.begin() as conn:  # the demo's users, renamed to this run's logins
            for demo_name, login in (("lead", logins["lead"]), ("worker1", logins["worker"])):
                conn.execute(
                    text("UPDATE user_account SET username = :new WHERE username = :old"),
                    {"new": login, "old": demo_name},
                )
        owner.dispose()
        code = cli.main(
            ["init", "--db", owner_url, "--role-prefix", roles.prefix, "--gate-role", roles.gate]
        )
        if code != 0:
            return code
        owner = open_database(owner_url)
        with owner.session() as s:  # an upgrade's one-time passwords give them their logins
            for login in logins.values():
                team_accounts.change_user(s, None, login, password=PASSWORD)
        with owner.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")

        gate_url = f"postgresql://{roles.gate}:{PASSWORD}@{host}/{database}"
        signed: dict[str, tuple[Database, Any]] = {}
        from followup import startup

        for key, login in logins.items():
            db = open_database(gate_url)
            signed[key] = (db, startup.sign_in(db, login, PASSWORD))
        lead_db, lead = signed["lead"]
        with lead_db.session() as s:
            latest = s.scalar(select(Case.referred_at).order_by(Case.referred_at.desc()).limit(1))
        today = latest.date() if latest else date.today()
        year = Period(today.replace(day=1) - timedelta(days=365), today + timedelta(days=1))

        def first_page(actor: Any) -> Callable[[Session], Any]:
            def work(s: Session) -> None:
                q = CaseQuery()
                count_cases(s, actor, q)
                list_cases(s, actor, q, limit=200)

            return work

        size = f"{args.cases // 1000}k" if args.cases >= 1000 else str(args.cases)
        workloads = {
            f"rls_caseload_first_page_lead_{size}": ("lead", first_page(lead)),
            f"rls_caseload_first_page_worker_{size}": ("worker", first_page(signed["worker"][1])),
            f"rls_report_12_months_lead_{size}": (
                "lead",
                lambda s: engagement_report(s, lead, year, by=("worker", "area", "month")),
            ),
        }
        tables = (*team_server.PERSONAL_TABLES, *sorted(team_server.APPEND_ONLY))

        def row_security(on: bool) -> None:
            verb = "ENABLE" if on else "DISABLE"
            with owner.engine.begin() as conn:
                for table in tables:
                    conn.exec_driver_sql(f"ALTER TABLE {table} {verb} ROW LEVEL SECURITY")

        # Side by side: each round times every workload with the policies, then without, so
        # that the machine's noise falls on both alike.
        samples: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}
        for _ in range(args.runs):
            for on in (True, False):
                row_security(on)
                for name, (who, work) in workloads.items():
                    samples[on].setdefault(name, []).append(timed(signed[who][0], work, 1))
        row_security(True)
        with_policies = {name: statistics.median(t) for name, t in samples[True].items()}
        without = {name: statistics.median(t) for name, t in samples[False].items()}
        for name, seconds in with_policies.items():
            print(
                json.dumps(
                    {
                        "name": name,
                        "median_s": round(seconds, 4),
                        "target_s": round(without[name] * LIMIT, 4),
                        "without_policies_s": round(without[name], 4),
                        "ratio": round(seconds / without[name], 2) if without[name] else None,
                    }
                )
            )
        for db, _ in signed.values():
            db.dispose()
        owner.dispose()
        return 0
    finally:
        if args.keep:
            print(
                f"# kept: {owner_url} (lead {logins['lead']}, worker {logins['worker']})",
                file=sys.stderr,
            )
            su.dispose()
            return 0  # noqa: B012 - only for looking at plans by hand
        with su.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            for role in (*logins.values(), *roles.groups, roles.gate, roles.owner):
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        su.dispose()


if __name__ == "__main__":
    sys.exit(main())
