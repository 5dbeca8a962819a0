"""Intake speed: a 10,000-row referral file into a database that already holds 100,000 people,
100,000 rows into an empty database, and the peak memory of a million-row file.

About 5% of the rows are bad (no reference, a future incident, a two-digit year, no name),
about 3% have a field to leave out, and about 10% are repeat overdoses of known people (half
by NHS number, half by date of birth and name, some spelt differently). The 100k-people
database is built once with Core inserts and cached under the temporary folder; each run
copies it, opens it and imports the file end to end (reading, rules, matching, writing,
commit). Each figure has its floor, measured in the same run: the bare ``sqlite3`` module
reading the same file with ``csv`` and inserting its rows (a person, a case, a status change,
a referral and the scene consent of each) with ``executemany`` in one transaction.

Figures (one JSON line each):

- ``intake_10k_rows_into_100k_people``: target 1.3 s (goal: at most twice the floor);
- ``intake_100k_rows_into_empty``: target 10 s (``--empty-rows``; 0 leaves it out);
- ``intake_peak_rss_{rows}_rows``: the whole process's peak resident memory importing a
  ``--rss-rows`` file (1,000,000 for the goal, 0 leaves it out), in a child process of its
  own, against 150 MB; with the peak of the same process at a tenth of the rows beside it, to
  show that memory does not grow with the file.

With ``FOLLOWUP_BENCH_PG_URL`` (a superuser URL) the two timed figures are measured on
PostgreSQL too (``..._pg``): the people are built once per revision into a database used as
the template of each run's copy, and the floor is psycopg's ``executemany`` of the same rows.

    .venv/bin/python bench/intake.py [--runs 5] [--people 100000] [--rows 10000]
        [--empty-rows 100000] [--rss-rows 0] [--no-trace] [--no-pg]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from followup.accounts import actor_of, hash_password
from followup.db.engine import Database
from followup.db.migrate import head_revision, open_database
from followup.db.models import Case, Person, User
from followup.intake.importer import import_file
from followup.intake.read import KNOWN_FIELDS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, pg_admin_url

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIRST = (
    "Testy",
    "Jon",
    "Aisha",
    "Liam",
    "Kerry",
    "Zoë",
    "Sean",
    "Mohammed",
    "Stacey",
    "Craig",
    "Leanne",
    "Tariq",
    "Siobhan",
    "Darren",
    "Nadia",
    "Gareth",
    "Chantelle",
    "Wayne",
    "Dean",
    "Connor",
    "Ravinder",
    "Jamie",
    "Shannon",
    "Mia",
    "Olivia",
    "Noah",
    "Oliver",
    "Amelia",
)
LAST = ("McTestface", "Testington", "O'Brien", "Khan", "Walsh", "Patel", "Begum", "Doyle",
        "Murphy", "Singh", "Hughes", "Davies", "Ward", "Price", "Reilly", "Byrne", "Cooper",
        "Brennan", "Hussain", "Ali", "Evans", "Jones", "Smith", "Taylor", "Brown", "Wilson")  # fmt: skip


def nhs_number(i: int) -> str | None:
    body = str(990_000_000 + i)
    check = 11 - sum(int(d) * (10 - k) for k, d in enumerate(body)) % 11
    if check == 10:
        return None
    return body + str(0 if check == 11 else check)


def random_dob(rng: random.Random) -> date:
    return date(1950, 1, 1) + timedelta(days=rng.randrange(55 * 365))


def base_database(people: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "followup-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"intake-{people}-people-{head_revision()}.sqlite"
    if path.exists():
        return path
    print(f"# building {people:,} people into {path} (once)", file=sys.stderr)
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(partial.name + "*"):
        leftover.unlink()
    db = open_database("sqlite:///" + str(partial), create=True)
    _fill(db, people)
    db.dispose()
    partial.rename(path)
    return path


def _fill(db: Database, people: int) -> None:
    """The bench worker and ``people`` people, each with a case (70% closed long ago)."""
    rng = random.Random(1)
    with db.session() as s:
        s.add(User(username="bench", display_name="Bench Worker", role="worker",
                   password_hash=hash_password("bench")))  # fmt: skip
        batch: list[dict] = []
        for i in range(people):
            batch.append({
                "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
                "date_of_birth": random_dob(rng),
                "nhs_number": nhs_number(i) if rng.random() < 0.6 else None,
                "phone": f"+4477009{rng.randrange(100000):05d}"[:13],
                "postcode": "B5 6DD", "no_fixed_abode": False,
            })  # fmt: skip
            if len(batch) == 5000:
                s.execute(insert(Person), batch)
                batch = []
        if batch:
            s.execute(insert(Person), batch)
        ids = s.scalars(select(Person.id)).all()
        cases = []
        for pid in ids:
            closed = rng.random() < 0.7
            cases.append({
                "person_id": pid, "status": "closed" if closed else "contacting",
                "closure_reason": "declined" if closed else None,
                "police_reference": f"BASE-{pid:07d}", "referred_at": NOW - timedelta(days=200),
                "area": "B5", "opened_at": NOW - timedelta(days=200), "version": 1,
            })  # fmt: skip
        for start in range(0, len(cases), 5000):
            s.execute(insert(Case.__table__), cases[start : start + 5000])


def referral_file(base: Path, rows: int, folder: Path) -> Path:
    """The 10k-row CSV: new people, repeats of known people, bad rows, fields to leave out."""
    rng = random.Random(2)
    db = open_database("sqlite:///" + str(base))
    with db.session() as s:
        known = s.execute(
            select(
                Person.first_name, Person.last_name, Person.date_of_birth, Person.nhs_number
            ).where(Person.id % 97 == 0)
        ).all()
    db.dispose()
    path = folder / "referrals.csv"
    known_here: list[tuple[str, str, date, str | None]] = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=KNOWN_FIELDS)
        out.writeheader()
        for i in range(rows):
            when = NOW - timedelta(hours=rng.randrange(24 * 30))
            r = {
                "police_reference": f"BENCH-{i:06d}", "force": "Bench Police",
                "incident_datetime": when.strftime("%d/%m/%Y %H:%M"),
                "incident_location": "Test Street", "incident_postcode": "B4 6AT",
                "officer_id": str(rng.randrange(1, 30000)), "officer_name": "PC Bench",
                "station": "Testville", "naloxone_doses": str(rng.randrange(0, 4)),
                "naloxone_product": "nasal", "ambulance_called": "Y", "conveyed_to_hospital": "N",
                "substances": "heroin; crack cocaine", "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST), "date_of_birth": random_dob(rng).strftime("%d/%m/%Y"),
                "gender": "", "phone": f"07700 900{rng.randrange(1000):03d}", "postcode": "B10 0AA",
                "consent_to_share": rng.choice("YN") if rng.random() < 0.7 else "unknown",
                "notes": "Found unresponsive – £5 in pocket",
            }  # fmt: skip
            roll = rng.random()
            if i % 97 == 0:  # into an empty database, repeats of people earlier in the file
                known_here.append((r["first_name"], r["last_name"],
                                   datetime.strptime(r["date_of_birth"], "%d/%m/%Y").date(), None))  # fmt: skip
            if roll < 0.10 and (
                known or len(known_here) > 1
            ):  # a repeat overdose of a known person
                first, last, dob, nhs = rng.choice(known or known_here[:-1])
                r["date_of_birth"] = dob.strftime("%d/%m/%Y")
                if nhs and rng.random() < 0.5:
                    r["nhs_number"] = nhs
                else:
                    r["first_name"], r["last_name"] = (
                        (last + ",", first) if rng.random() < 0.5 else (first, last)
                    )
            elif roll < 0.15:  # 5% bad rows
                kind = rng.randrange(4)
                if kind == 0:
                    r["police_reference"] = ""
                elif kind == 1:
                    r["incident_datetime"] = (NOW + timedelta(days=3)).strftime("%d/%m/%Y %H:%M")
                elif kind == 2:
                    r["incident_datetime"] = when.strftime("%d/%m/%y %H:%M")
                else:
                    r["first_name"] = r["last_name"] = ""
            elif roll < 0.18:  # a field to leave out
                r["phone"] = "12345"
            out.writerow(r)
    return path


def one_run(base: Path, file: Path, folder: Path, trace: bool = False) -> tuple[float, dict, float]:
    copy = folder / "run.sqlite"
    for leftover in folder.glob("run.sqlite*"):
        leftover.unlink()
    shutil.copyfile(base, copy)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    db = open_database("sqlite:///" + str(copy))
    with db.session() as s:
        actor = actor_of(s.scalars(select(User).where(User.username == "bench")).one())
    summary = import_file(db, actor, file, now=NOW)
    db.dispose()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
    tracemalloc.stop()
    return elapsed, summary.audit_details(), peak


def _floor_rows(file: Path, person_id: int, case_id: int) -> list[list[tuple]]:
    """The floor's rows of each table (as ``FLOOR_SQL``), ids following the given ones."""
    now = NOW.replace(tzinfo=None).isoformat(" ") + ".000000"
    people, cases, changes, referrals, consents = [], [], [], [], []
    with file.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if not r["police_reference"]:
                continue
            person_id += 1
            case_id += 1
            try:
                when = datetime.strptime(r["incident_datetime"], "%d/%m/%Y %H:%M")
                dob = datetime.strptime(r["date_of_birth"], "%d/%m/%Y").date().isoformat()
            except ValueError:
                continue
            at = when.isoformat(" ") + ".000000"
            people.append((person_id, r["first_name"], r["last_name"], dob,
                           r.get("nhs_number") or None, r["phone"], r["postcode"], False, now, now))  # fmt: skip
            cases.append((case_id, person_id, "new", r["police_reference"], now, now, at, 1))
            changes.append((case_id, "new", now, "police referral imported"))
            referrals.append((case_id, person_id, r["police_reference"], r["force"], at,
                              r["incident_location"], r["incident_postcode"], r["officer_id"],
                              r["officer_name"], r["station"], int(r["naloxone_doses"]),
                              r["naloxone_product"], r["ambulance_called"] == "Y",
                              r["conveyed_to_hospital"] == "Y", r["substances"],
                              r["consent_to_share"][:1].upper() if r["consent_to_share"] in "YN" else "unknown",
                              r["notes"], now, file.name))  # fmt: skip
            if r["consent_to_share"] == "Y":
                for scope in ("contact_phone", "contact_sms", "contact_letter"):
                    consents.append((person_id, case_id, scope, "given",
                                     "verbal_at_scene_via_police", at, r["officer_name"]))  # fmt: skip
    return [people, cases, changes, referrals, consents]


FLOOR_SQL = (
    "INSERT INTO person (id, first_name, last_name, date_of_birth, nhs_number, phone, "
    "postcode, no_fixed_abode, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO case_file (id, person_id, status, police_reference, referred_at, opened_at, "
    "incident_at, version) VALUES (?,?,?,?,?,?,?,?)",
    "INSERT INTO case_status_change (case_id, to_status, changed_at, reason) VALUES (?,?,?,?)",
    "INSERT INTO referral (case_id, person_id, police_reference, force, incident_at, "
    "incident_location, incident_postcode, officer_id, officer_name, station, "
    "naloxone_doses, naloxone_product, ambulance_called, conveyed_to_hospital, substances, "
    "consent_at_scene, notes, received_at, source_file, traceability) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'name_only')",
    "INSERT INTO consent_entry (person_id, case_id, scope, state, method, recorded_at, "
    "source) VALUES (?,?,?,?,?,?,?)",
)


def floor_run(base: Path, file: Path, folder: Path) -> float:
    """The same file's rows inserted by the bare sqlite3 module (see the module docstring)."""
    copy = folder / "floor.sqlite"
    for leftover in folder.glob("floor.sqlite*"):
        leftover.unlink()
    shutil.copyfile(base, copy)
    started = time.perf_counter()
    conn = sqlite3.connect(copy, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    person_id = conn.execute("SELECT coalesce(max(id), 0) FROM person").fetchone()[0]
    case_id = conn.execute("SELECT coalesce(max(id), 0) FROM case_file").fetchone()[0]
    for sql, rows in zip(FLOOR_SQL, _floor_rows(file, person_id, case_id), strict=True):
        conn.executemany(sql, rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------- PostgreSQL


def _pg_admin() -> Any:
    from sqlalchemy import create_engine

    return create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)


def pg_base(people: int) -> str:
    """The name of a PostgreSQL database holding the same ``people`` (built once per revision),
    used as the template of each run's copy."""
    name = f"followup_bench_intake_{people}_{head_revision()}".lower()
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                return name
            print(f"# building {people:,} people into PostgreSQL {name} (once)", file=sys.stderr)
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_partial"'))
            conn.execute(text(f'CREATE DATABASE "{name}_partial"'))
        db = open_database(_pg_url(name + "_partial"), create=True)
        try:
            _fill(db, people)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        finally:
            db.dispose()
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"'))
    finally:
        engine.dispose()
    return name


def _pg_copy(template: str, name: str) -> str:
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        engine.dispose()
    return _pg_url(name)


def _pg_drop(name: str) -> None:
    engine = _pg_admin()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def one_run_pg(template: str, file: Path) -> tuple[float, dict]:
    url = _pg_copy(template, f"followup_bench_intake_run_{os.getpid()}")
    try:
        started = time.perf_counter()
        db = open_database(url)
        with db.session() as s:
            actor = actor_of(s.scalars(select(User).where(User.username == "bench")).one())
        summary = import_file(db, actor, file, now=NOW)
        db.dispose()
        return time.perf_counter() - started, summary.audit_details()
    finally:
        _pg_drop(f"followup_bench_intake_run_{os.getpid()}")


def floor_run_pg(template: str, file: Path) -> float:
    """The floor on PostgreSQL: the same rows by the bare psycopg ``executemany``."""
    import psycopg

    url = _pg_copy(template, f"followup_bench_intake_floor_{os.getpid()}")
    try:
        started = time.perf_counter()
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            with conn.cursor() as cur:
                cur.execute("SELECT coalesce(max(id), 0) FROM person")
                person_id = cur.fetchone()[0]
                cur.execute("SELECT coalesce(max(id), 0) FROM case_file")
                case_id = cur.fetchone()[0]
                for sql, rows in zip(FLOOR_SQL, _floor_rows(file, person_id, case_id), strict=True):
                    cur.executemany(sql.replace("?", "%s"), rows)
            conn.commit()
        return time.perf_counter() - started
    finally:
        _pg_drop(f"followup_bench_intake_floor_{os.getpid()}")


def timed_pg(people: int, rows: int, runs: int, name: str, target: float) -> None:
    template = pg_base(people)
    with tempfile.TemporaryDirectory(prefix="followup-bench-intake-") as tmp:
        folder = Path(tmp)
        file = referral_file(base_database(people), rows, folder)  # the same file as SQLite's
        times, floors = [], []
        for _ in range(runs):
            elapsed, details = one_run_pg(template, file)
            times.append(elapsed)
            floors.append(floor_run_pg(template, file))
            print(f"# pg {elapsed:.2f} s (floor {floors[-1]:.2f} s), {details}", file=sys.stderr)
    emit(name, statistics.median(times), target, statistics.median(floors))


def peak_rss_of_import(people: int, rows: int) -> float:
    """Peak resident memory (MB) of a fresh process importing a ``rows``-row file."""
    script = (
        "import sys, tempfile; sys.path.insert(0, 'bench'); from pathlib import Path; "
        "import intake as b; "
        f"base = b.base_database({people}); folder = Path(tempfile.mkdtemp()); "
        f"file = b.referral_file(base, {rows}, folder); "
        "b.one_run(base, file, folder); "
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    )
    here = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=here, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1]) / 1024


def timed(base: Path, rows: int, runs: int, name: str, target: float, trace: bool = True) -> None:
    with tempfile.TemporaryDirectory(prefix="followup-bench-intake-") as tmp:
        folder = Path(tmp)
        file = referral_file(base, rows, folder)
        times, floors = [], []
        for _ in range(runs):
            elapsed, details, _ = one_run(base, file, folder)
            times.append(elapsed)
            floors.append(floor_run(base, file, folder))
            print(f"# {elapsed:.2f} s (floor {floors[-1]:.2f} s), {details}", file=sys.stderr)
        # Memory is traced in a separate, untimed run (tracing slows Python down).
        extra = {}
        if trace:
            extra["peak_traced_mb"] = round(one_run(base, file, folder, trace=True)[2], 1)
    emit(name, statistics.median(times), target, statistics.median(floors), **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--empty-rows", type=int, default=100_000)
    parser.add_argument("--rss-rows", type=int, default=0)
    parser.add_argument("--no-trace", action="store_true", help="leave out the traced run")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    trace = not args.no_trace
    timed(base_database(args.people), args.rows, args.runs,
          f"intake_{args.rows // 1000}k_rows_into_{args.people // 1000}k_people", 1.3, trace)  # fmt: skip
    if args.empty_rows:
        timed(base_database(0), args.empty_rows, max(1, args.runs // 2),
              f"intake_{args.empty_rows // 1000}k_rows_into_empty", 10.0, trace)  # fmt: skip
    if pg_admin_url() and not args.no_pg:
        timed_pg(args.people, args.rows, args.runs,
                 f"intake_{args.rows // 1000}k_rows_into_{args.people // 1000}k_people_pg", 1.3)  # fmt: skip
        if args.empty_rows:
            timed_pg(0, args.empty_rows, max(1, args.runs // 2),
                     f"intake_{args.empty_rows // 1000}k_rows_into_empty_pg", 10.0)  # fmt: skip
    if args.rss_rows:
        tenth = peak_rss_of_import(0, args.rss_rows // 10)
        peak = peak_rss_of_import(0, args.rss_rows)
        print(json.dumps({"name": f"intake_peak_rss_{args.rss_rows}_rows", "peak_rss_mb": round(peak, 1),
                          "target_mb": 150, f"peak_rss_mb_at_{args.rss_rows // 10}_rows": round(tenth, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
