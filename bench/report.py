"""Team-lead dashboard figures with 100,000 demonstration cases and their attempts.

Times ``engagement_report`` with every figure and every breakdown (worker, area, month), as
the dashboard asks for them, over the period picker's choices, on the SQLite demo database
(generated once with ``followup.demo.populate.populate`` and cached under the temporary folder; the
same file as bench/caseload.py). One JSON object per line:
``{"name": ..., "median_s": ..., "target_s": ...}``. ``report_all_figures_100k`` is the
dashboard's widest preset (this quarter); the 12-month line is for information.

    .venv/bin/python bench/report.py [--runs 7] [--cases 100000] [--suggested-indexes]

``--suggested-indexes`` runs on a copy of the database with the indexes proposed for the
report queries (``SUGGESTED_INDEXES`` below; not yet in a migration).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, text

from followup.accounts import actor_of
from followup.db.engine import Database
from followup.db.migrate import head_revision, open_database
from followup.db.models import User
from followup.reports.definitions import Period
from followup.reports.engagement import cases_behind, engagement_report

TARGET_S = 0.5
SUGGESTED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_contact_attempt_case_time_outcome "
    "ON contact_attempt (case_id, attempted_at, outcome)",
    "CREATE INDEX IF NOT EXISTS ix_case_status_change_case_to "
    "ON case_status_change (case_id, to_status)",
    "CREATE INDEX IF NOT EXISTS ix_referral_person_received ON referral (person_id, received_at)",
)


def cached_database(cases: int, seed: int = 1) -> Path:
    folder = Path(tempfile.gettempdir()) / "followup-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"caseload-{cases}-seed{seed}-{head_revision()}.sqlite"
    if not path.exists():
        from followup.demo.populate import populate

        partial = path.with_suffix(".partial")
        for leftover in folder.glob(partial.name + "*"):
            leftover.unlink()
        print(f"# generating {cases:,} demo cases into {path} (once)", file=sys.stderr)
        db = open_database("sqlite:///" + str(partial), create=True)
        populate(db, cases=cases, seed=seed)
        db.dispose()
        partial.rename(path)
    return path


def with_suggested_indexes(path: Path) -> Path:
    copy = path.with_name(path.stem + "-report-indexes.sqlite")
    if not copy.exists():
        shutil.copyfile(path, copy)
        db = open_database("sqlite:///" + str(copy), migrate=False)
        with db.engine.begin() as conn:
            for ddl in SUGGESTED_INDEXES:
                conn.execute(text(ddl))
            conn.execute(text("ANALYZE"))
        db.dispose()
    return copy


def timed(db: Database, fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with db.session() as s:
            fn(s)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--suggested-indexes", action="store_true")
    args = ap.parse_args()
    path = cached_database(args.cases)
    if args.suggested_indexes:
        path = with_suggested_indexes(path)
    db = open_database("sqlite:///" + str(path), migrate=False)
    with db.session() as s:
        lead = actor_of(s.scalar(select(User).where(User.username == "lead")))
        latest = s.execute(text("SELECT max(referred_at) FROM case_file")).scalar()
    today = date.fromisoformat(str(latest)[:10])
    periods = {
        "this_month": Period.this_month(today),
        "last_month": Period.last_month(today),
        "this_quarter": Period.this_quarter(today),
        "last_12_months": Period(
            today.replace(day=1) - timedelta(days=365), today + timedelta(days=1)
        ),
    }
    suffix = "_suggested_indexes" if args.suggested_indexes else ""
    by = ("worker", "area", "month")
    for name, period in periods.items():
        median = timed(db, lambda s, p=period: engagement_report(s, lead, p, by=by), args.runs)
        label = (
            "report_all_figures_100k"
            if name == "this_quarter"
            else f"report_all_figures_100k_{name}"
        )
        print(
            json.dumps(
                {
                    "name": label + suffix,
                    "median_s": round(median, 4),
                    "target_s": TARGET_S,
                    "period": period.slug,
                }
            )
        )
    quarter = periods["this_quarter"]
    median = timed(
        db, lambda s: cases_behind(s, lead, quarter, "engaged", ("area", "B5")), args.runs
    )
    print(
        json.dumps(
            {
                "name": "report_drill_down_100k" + suffix,
                "median_s": round(median, 4),
                "target_s": TARGET_S,
            }
        )
    )
    db.dispose()


if __name__ == "__main__":
    main()
