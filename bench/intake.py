"""Intake speed: a 10,000-row referral file into a database that already holds 100,000 people.

About 5% of the rows are bad (no reference, a future incident, a two-digit year, no name),
about 3% have a field to leave out, and about 10% are repeat overdoses of known people (half
by NHS number, half by date of birth and name, some spelt differently). The 100k-people
database is built once with Core inserts and cached under the temporary folder; each run
copies it, opens it and imports the file end to end (reading, rules, matching, writing,
commit). Prints one JSON line: ``{"name": ..., "median_s": ..., "target_s": 5}`` plus the
peak memory growth of the import in MB.

    .venv/bin/python bench/intake.py [--runs 5] [--people 100000] [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from followup.accounts import actor_of, hash_password
from followup.db.migrate import head_revision, open_database
from followup.db.models import Case, Person, User
from followup.intake.importer import import_file
from followup.intake.read import KNOWN_FIELDS

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
    db.dispose()
    partial.rename(path)
    return path


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
            if roll < 0.10:  # a repeat overdose of a known person
                first, last, dob, nhs = rng.choice(known)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    base = base_database(args.people)
    with tempfile.TemporaryDirectory(prefix="followup-bench-intake-") as tmp:
        folder = Path(tmp)
        file = referral_file(base, args.rows, folder)
        times = []
        for _ in range(args.runs):
            elapsed, details, _ = one_run(base, file, folder)
            times.append(elapsed)
            print(f"# {elapsed:.2f} s, {details}", file=sys.stderr)
        # Memory is traced in a separate, untimed run (tracing slows Python down).
        _, _, peak = one_run(base, file, folder, trace=True)
    print(json.dumps({
        "name": f"intake_{args.rows // 1000}k_rows_into_{args.people // 1000}k_people",
        "median_s": round(statistics.median(times), 3),
        "target_s": 5,
        "peak_traced_mb": round(peak, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
