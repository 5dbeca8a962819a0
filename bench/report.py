"""Team-lead report: one month and 12 months of every figure and every breakdown.

Times ``engagement_report`` with every figure and every breakdown (worker, area, month), as
the dashboard asks for them, on the cached demo database (``bench/common.py``): SQLite, and
PostgreSQL when ``FOLLOWUP_BENCH_PG_URL`` is set; 100,000 cases, and 1,000,000 when that file
is already cached. The floor is the same funnel, counts, seconds for the medians and overdue
snapshot by one hand-written SQL statement per figure group over the case's milestone columns,
run by the bare driver (sqlite3 / psycopg) in the same run. On a database from before the
milestone columns (schema 0016 and older) the floor is the same raw SQL over the per-case
subqueries instead, so that a before/after comparison has a floor on both sides; from schema
0019 the floor counts repeat overdoses from the referral's stored flag, before it from the
correlated subquery.

    .venv/bin/python bench/report.py [--runs 7] [--sizes 100k,1m] [--no-pg]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEMO_NOW,
    SIZES,
    cached_postgres,
    emit,
    median_time,
    sized_demo,
)
from followup.accounts import actor_of
from followup.db.engine import Database
from followup.db.migrate import head_revision, open_database
from followup.db.models import User
from followup.reports.definitions import Period
from followup.reports.engagement import cases_behind, engagement_report

TARGETS = {"100k": 0.1, "1m": 0.5}
BY = ("worker", "area", "month")

# The floor over the milestone columns: a cohort of the period, grouped by the slices.
FLOOR_MILESTONES = """
SELECT assigned_worker_id, area, {month} AS month, count(*),
       count(first_attempt_at), count(first_contact_at),
       sum(CASE WHEN first_attempt_at <= referred_at + {limit} THEN 1 ELSE 0 END),
       sum(CASE WHEN engaged_at IS NOT NULL OR closure_reason = 'engaged_in_treatment'
                THEN 1 ELSE 0 END),
       count(treatment_referred_at), count(in_treatment_at)
FROM case_file WHERE referred_at >= {p} AND referred_at < {p}
GROUP BY assigned_worker_id, area, month
"""
FLOOR_SECONDS = """
SELECT {secs_attempt}, {secs_contact} FROM case_file
WHERE referred_at >= {p} AND referred_at < {p} AND first_attempt_at IS NOT NULL
"""
# Before the milestone columns: the per-case subqueries, by hand.
FLOOR_OLD = """
SELECT c.assigned_worker_id, c.area, {month_c}, count(*),
       count(a.first_attempt), count(a.first_contact), sum(s.engaged)
FROM case_file c
LEFT JOIN (SELECT case_id, min(attempted_at) AS first_attempt,
                  min(CASE WHEN outcome IN ('spoke_engaged', 'spoke_declined')
                      THEN attempted_at END) AS first_contact
           FROM contact_attempt WHERE voided_at IS NULL GROUP BY case_id) a ON a.case_id = c.id
LEFT JOIN (SELECT case_id, max(CASE WHEN to_status IN ('engaged', 'referred', 'in_treatment')
                               THEN 1 ELSE 0 END) AS engaged
           FROM case_status_change GROUP BY case_id) s ON s.case_id = c.id
WHERE c.referred_at >= {p} AND c.referred_at < {p}
GROUP BY 1, 2, 3
"""
FLOOR_OVERDUE = """
SELECT assigned_worker_id, area, count(*) FROM case_file
WHERE status <> 'closed' AND next_action_due_at < {p} GROUP BY assigned_worker_id, area
"""
FLOOR_REPEATS = """
SELECT count(*) FROM referral r WHERE r.received_at >= {p} AND r.received_at < {p}
AND EXISTS (SELECT 1 FROM referral e WHERE e.person_id = r.person_id
            AND (e.received_at < r.received_at OR (e.received_at = r.received_at AND e.id < r.id)))
"""
# From schema 0019 the database keeps a repeat flag on each referral.
FLOOR_REPEATS_FLAG = """
SELECT count(*) FROM referral r WHERE r.repeat_overdose = {true}
AND r.received_at >= {p} AND r.received_at < {p}
"""
FLOOR_KITS = """
SELECT sum(quantity) FROM naloxone_supply
WHERE supplied_on >= {p} AND supplied_on < {p} AND voided_at IS NULL
"""


def has_column(db: Database, table: str, column: str) -> bool:
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        return column in {c["name"] for c in inspect(conn).get_columns(table)}


def has_milestones(db: Database) -> bool:
    return has_column(db, "case_file", "first_attempt_at")


def has_repeat_flag(db: Database) -> bool:
    return has_column(db, "referral", "repeat_overdose")


def floor_statements(sqlite: bool, milestones: bool, flag: bool = False) -> list[str]:
    p = "?" if sqlite else "%s"
    if sqlite:
        month, month_c = "substr(referred_at, 1, 7)", "substr(c.referred_at, 1, 7)"
        limit = "0"  # replaced below: SQLite compares text, so the limit goes through julianday

        def secs(col: str) -> str:
            return f"round((julianday({col}) - julianday(referred_at)) * 86400.0)"
    else:
        month, month_c = "to_char(referred_at, 'YYYY-MM')", "to_char(c.referred_at, 'YYYY-MM')"
        limit = "interval '72 hours'"

        def secs(col: str) -> str:
            return f"round(extract(epoch from {col} - referred_at))"

    if not milestones:
        stmts = [FLOOR_OLD.format(month_c=month_c, p=p)]
    else:
        grouped = FLOOR_MILESTONES.format(month=month, limit=limit, p=p)
        if sqlite:
            grouped = grouped.replace(
                "first_attempt_at <= referred_at + 0",
                "julianday(first_attempt_at) - julianday(referred_at) <= 3.0",
            )
        stmts = [
            grouped,
            FLOOR_SECONDS.format(
                secs_attempt=secs("first_attempt_at"), secs_contact=secs("first_contact_at"), p=p
            ),
        ]
    repeats = (
        FLOOR_REPEATS_FLAG.format(p=p, true="1" if sqlite else "true")
        if flag
        else FLOOR_REPEATS.format(p=p)
    )
    return [*stmts, repeats, FLOOR_KITS.format(p=p)]


def floor_sqlite(path: Path, period: Period, milestones: bool, flag: bool) -> float:
    conn = sqlite3.connect(path)
    start = period.start_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    end = period.end_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    now = DEMO_NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    stmts = floor_statements(True, milestones, flag)
    dates = (period.start.isoformat(), period.end.isoformat())

    def run() -> None:
        for sql in stmts[:-1]:
            conn.execute(sql, (start, end)).fetchall()
        conn.execute(stmts[-1], dates).fetchall()
        conn.execute(FLOOR_OVERDUE.format(p="?"), (now,)).fetchall()

    try:
        return median_time(run, 7)
    finally:
        conn.close()


def naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)


def floor_postgres(url: str, period: Period, milestones: bool, flag: bool) -> float:
    import psycopg

    stmts = floor_statements(False, milestones, flag)
    with psycopg.connect(url) as conn:

        def run() -> None:
            with conn.cursor() as cur:
                for sql in stmts[:-1]:
                    cur.execute(sql, (naive(period.start_at), naive(period.end_at)))
                    cur.fetchall()
                cur.execute(stmts[-1], (period.start, period.end))
                cur.fetchall()
                cur.execute(FLOOR_OVERDUE.format(p="%s"), (naive(DEMO_NOW),))
                cur.fetchall()

        return median_time(run, 7)


def periods(db: Database) -> dict[str, Period]:
    with db.session() as s:
        latest = s.execute(text("SELECT max(referred_at) FROM case_file")).scalar()
    today = date.fromisoformat(str(latest)[:10])
    return {
        "1_month": Period.last_month(today),
        "12_months": Period(today.replace(day=1) - timedelta(days=365), today + timedelta(days=1)),
    }


def run_backend(
    db: Database, backend: str, size: str, runs: int, floor: Any, milestones: bool
) -> bool:
    ok = True
    with db.session() as s:
        lead = actor_of(s.scalars(select(User).where(User.username == "lead")).one())
    now = datetime(2026, 11, 25, 12, 0, tzinfo=DEMO_NOW.tzinfo)
    for label, period in periods(db).items():

        def report(p: Period = period) -> None:
            with db.session() as s:
                engagement_report(s, lead, p, by=BY, now=now)

        median = median_time(report, runs)
        ok &= emit(
            f"report_{label}_{backend}_{size}",
            median,
            TARGETS[size] if label == "12_months" else None,
            floor(period),
            period=period.slug,
            floor_over="milestone columns" if milestones else "per-case subqueries",
            revision=head_revision(),
        )
    quarter = periods(db)["12_months"]

    def drill() -> None:
        with db.session() as s:
            cases_behind(s, lead, quarter, "engaged", ("area", "B5"), now=now)

    emit(f"report_drill_down_12_months_{backend}_{size}", median_time(drill, runs), None)
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    ok = True
    for size in args.sizes.split(","):
        path = sized_demo(size)
        if path is None:
            continue
        db = open_database("sqlite:///" + str(path), migrate=False)
        try:
            milestones, flag = has_milestones(db), has_repeat_flag(db)
            ok &= run_backend(
                db,
                "sqlite",
                size,
                args.runs,
                lambda p, f=path, m=milestones, r=flag: floor_sqlite(f, p, m, r),
                milestones,
            )
        finally:
            db.dispose()
        if args.no_pg:
            continue
        pg = cached_postgres(SIZES[size])
        if pg is None:
            print("# FOLLOWUP_BENCH_PG_URL not set; skipping PostgreSQL", file=sys.stderr)
            continue
        try:
            milestones, flag = has_milestones(pg), has_repeat_flag(pg)
            url = pg.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            ok &= run_backend(
                pg,
                "pg",
                size,
                args.runs,
                lambda p, u=url, m=milestones, r=flag: floor_postgres(u, p, m, r),
                milestones,
            )
        finally:
            pg.dispose()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
