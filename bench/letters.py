"""Batch printing speed: the 500 letters due, found, rendered into one PDF and stored.

A SQLite database with 500 synthetic cases is built once (400 cases still trying to make
contact, 100 with a treatment referral waiting for its letter) with a letterhead and a logo.
Each run works on a fresh copy of it, as a team lead, and times ``letters_due`` plus
``render_batch`` (each letter rendered and stored with its own PDF, plus the combined PDF).
Its floor, timed in the same rounds, is ReportLab alone drawing the same 500 letters once, each
into its own PDF (``render_letter`` on letters already built from the database, untimed): the
batch may cost at most 1.1 times that. Prints one JSON object (``bench/common.py``'s ``emit``)::

    {"name": "letters_batch_500", "median_s": ..., "target_s": 5, "floor_s": ..., "ratio": ...}

    .venv/bin/python bench/letters.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PIL import Image

from common import emit  # bench/common.py: the script's folder is on the path
from followup.accounts import actor_of, create_user
from followup.db import models as m
from followup.db.migrate import open_database
from followup.letters.batch import letters_due, render_batch
from followup.letters.content import Gathered, build_letter
from followup.letters.render import render_letter
from followup.letters.settings import letterhead, set_letterhead, template_bodies

LETTERS = 500
TARGET_S = 5.0
RATIO = 1.1  # at most this many times ReportLab alone
FIRST = ("Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Jamie", "Charlie", "Zoë", "Łukasz")
LAST = ("Testson", "McTestface", "Example", "Sample", "Dummy", "Placeholder", "Nguyễn")


def _logo() -> bytes:
    buf = io.BytesIO()
    image = Image.new("RGB", (480, 160), (255, 255, 255))
    for x in range(0, 480, 8):
        for y in range(40, 120):
            image.putpixel((x, y), (30, 90, 160))
    image.save(buf, "PNG")
    return buf.getvalue()


def build(path: Path) -> None:
    now = datetime.now(UTC)
    db = open_database(f"sqlite:///{path}", create=True, backup_dir=path.parent / "backups")
    try:
        with db.session() as s:
            admin = actor_of(create_user(s, None, "admin", "admin", "bench", "Admin", policy=False))
            lead = create_user(s, admin, "lead", "lead", "bench", "Lee Lead", policy=False)
            set_letterhead(
                s,
                admin,
                name="Community Support Team",
                address="10 Example Road\nTesttown\nB1 1AA",
                phone="0121 496 0000",
                logo=_logo(),
            )
            service = m.Service(
                name="Test Treatment Service",
                service_type="treatment",
                address="5 Service Lane\nTesttown\nB6 6EE",
                secure_email="referrals@test-service.example",
            )
            s.add(service)
            s.flush()
            for i in range(LETTERS):
                referral = i >= 400
                person = m.Person(
                    first_name=FIRST[i % len(FIRST)],
                    last_name=LAST[i % len(LAST)],
                    date_of_birth=date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
                    nhs_number="9991000011",
                    address=f"{i + 1} Test Street, Testtown",
                    postcode="B5 6DD",
                    phone="+447700900123",
                    gp_practice="Test Surgery, 2 Practice Road, Testtown",
                )
                s.add(person)
                s.flush()
                case = m.Case(
                    person_id=person.id,
                    police_reference=f"BENCH-{i}",
                    area="B5",
                    status="referred" if referral else "contacting",
                    referred_at=now - timedelta(days=20),
                    assigned_worker_id=lead.id,
                )
                s.add(case)
                s.flush()
                s.add(
                    m.Referral(
                        case_id=case.id,
                        person_id=person.id,
                        police_reference=f"BENCH-{i}",
                        force="Test Force",
                        incident_at=now - timedelta(days=21),
                        substances="heroin",
                        naloxone_doses=2,
                    )
                )
                scope = "share_with_treatment" if referral else "contact_letter"
                s.add(
                    m.ConsentEntry(
                        person_id=person.id,
                        case_id=case.id,
                        scope=scope,
                        state="given",
                        method="verbal_by_phone",
                        recorded_by_id=lead.id,
                        recorded_at=now - timedelta(days=9),
                    )
                )
                if referral:
                    s.add(
                        m.TreatmentReferral(
                            case_id=case.id,
                            service_id=service.id,
                            referred_on=(now - timedelta(days=1)).date(),
                        )
                    )
                else:
                    for day, method in ((19, "phone"), (15, "sms"), (10, "phone")):
                        s.add(
                            m.ContactAttempt(
                                case_id=case.id,
                                method=method,
                                outcome="no_answer",
                                attempted_at=now - timedelta(days=day),
                            )
                        )
    finally:
        db.dispose()


def run_once(template: Path, work: Path) -> tuple[float, float, int, int]:
    copy = work / "run.sqlite"
    shutil.copyfile(template, copy)
    db = open_database(f"sqlite:///{copy}", migrate=False)
    try:
        with db.session() as s:
            lead = actor_of(s.query(m.User).filter_by(username="lead").one())
        start, cpu = time.perf_counter(), time.process_time()
        with db.session() as s:
            due = letters_due(s, lead, with_problems=False)
        result = render_batch(db, lead, due)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    finally:
        db.dispose()
    copy.unlink()
    return elapsed, cpu, len(result.letters), result.pages


def floor_once(template: Path, work: Path) -> tuple[float, float]:
    """ReportLab alone: the same letters drawn once each, from content built beforehand."""
    copy = work / "floor.sqlite"
    shutil.copyfile(template, copy)
    db = open_database(f"sqlite:///{copy}", migrate=False)
    try:
        with db.session() as s:
            lead = actor_of(s.query(m.User).filter_by(username="lead").one())
            due = letters_due(s, lead, with_problems=False)
            ctx = Gathered.load(s, letterhead(s), template_bodies(s))
            contents = [
                build_letter(s, s.get(m.Case, d.case_id), d.request, ctx, lead.display_name)
                for d in due
            ]
    finally:
        db.dispose()
    copy.unlink()
    start, cpu = time.perf_counter(), time.process_time()
    for content in contents:
        render_letter(content, ctx.head)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="followup-bench-letters-") as folder:
        work = Path(folder)
        template = work / "letters.sqlite"
        build(template)
        times, cpu_times, floors, cpu_floors = [], [], [], []
        run_once(template, work)  # warm: fonts registered, subsets cached, as in a session
        floor_once(template, work)
        for _ in range(args.runs):
            floor, cpu_floor = floor_once(template, work)
            floors.append(floor)
            cpu_floors.append(cpu_floor)
            elapsed, cpu, letters, pages = run_once(template, work)
            if letters != LETTERS:
                sys.stderr.write(f"expected {LETTERS} letters, made {letters}\n")
                return 1
            times.append(elapsed)
            cpu_times.append(cpu)
    floor_s = statistics.median(floors)
    median_s = statistics.median(times)
    emit(
        "letters_batch_500",
        median_s,
        TARGET_S,
        floor_s,
        target_ratio=RATIO,
        runs=[round(t, 3) for t in times],
        floor_runs=[round(t, 3) for t in floors],
        cpu_median_s=round(statistics.median(cpu_times), 3),
        cpu_floor_s=round(statistics.median(cpu_floors), 3),
        cpu_ratio=round(statistics.median(cpu_times) / statistics.median(cpu_floors), 2),
        pages=pages,
    )
    return 0 if median_s <= TARGET_S and median_s <= RATIO * floor_s else 1


if __name__ == "__main__":
    sys.exit(main())
