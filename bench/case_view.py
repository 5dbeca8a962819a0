"""Opening one case with 500 contact attempts in the case view, in the 100k demo database.

A copy of the cached demo database (``bench/common.py``) gets one synthetic case with 500
contact attempts, consent changes, notes, kits and a treatment referral. Each run opens the
real ``CaseView`` offscreen as the team lead, through its real background path, and is timed
from the view being made until its case is shown and painted (what it reads afterwards, in
the background, for later — a lead's list of workers for Assign… — is left out). The floor,
timed in the same rounds, is the bare query of that case's data with ``sqlite3`` (every row the
view shows, from each table, fetched). Also printed: the number of SQL statements one read of
the case costs. One JSON object per figure (``emit``).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/case_view.py [--runs 9] [--cases 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication
from sqlalchemy import event, select

from common import DEMO_NOW, cached_sqlite, emit, median_time
from followup.accounts import actor_of
from followup.casework.detail import case_detail
from followup.db import models as m
from followup.db.migrate import open_database

ATTEMPTS = 500
TARGET_S = 0.040
TIMEOUT_S = 30
METHODS = ("phone", "sms", "phone", "letter")
OUTCOMES = ("no_answer", "voicemail_left", "message_sent", "letter_sent")


def add_case(path: Path) -> tuple[int, int]:
    """The busy case and the lead's user id."""
    db = open_database(f"sqlite:///{path}", migrate=False)
    try:
        with db.session() as s:
            lead = s.scalars(select(m.User).where(m.User.role == "lead")).first()
            assert lead is not None, "the demo has a team lead"
            person = m.Person(
                first_name="Busy",
                last_name="Testcase",
                date_of_birth=date(1985, 3, 4),
                phone="+447700900777",
                address="7 Bench Street\nTesttown",
                postcode="B5 7BB",
            )
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                police_reference="BENCH-CASE-VIEW",
                area="B5",
                status="contacting",
                referred_at=DEMO_NOW - timedelta(days=400),
                assigned_worker_id=lead.id,
            )
            s.add(case)
            s.flush()
            s.add(
                m.Referral(
                    case_id=case.id,
                    person_id=person.id,
                    police_reference="BENCH-CASE-VIEW",
                    force="Test Force",
                    incident_at=case.referred_at - timedelta(hours=2),
                    naloxone_doses=2,
                )
            )
            for i, scope in enumerate(("contact_phone", "contact_sms", "contact_letter") * 4):
                s.add(
                    m.ConsentEntry(
                        person_id=person.id,
                        case_id=case.id,
                        scope=scope,
                        state="given" if i % 4 != 3 else "withdrawn",
                        method="verbal_by_phone",
                        recorded_by_id=lead.id,
                        recorded_at=case.referred_at + timedelta(days=i * 20),
                    )
                )
            for i in range(ATTEMPTS):
                s.add(
                    m.ContactAttempt(
                        case_id=case.id,
                        method=METHODS[i % 4],
                        outcome=OUTCOMES[i % 4],
                        attempted_at=case.referred_at + timedelta(hours=18 * i + 1),
                        worker_id=lead.id,
                        notes=f"Bench attempt {i}" if i % 5 == 0 else None,
                    )
                )
            for i in range(20):
                s.add(
                    m.CaseNote(
                        case_id=case.id,
                        person_id=person.id,
                        author_id=lead.id,
                        text=f"Bench note {i}.",
                        written_at=case.referred_at + timedelta(days=i * 15),
                    )
                )
            return case.id, lead.id
    finally:
        db.dispose()


def floor_query(path: Path, case_id: int) -> None:
    """Every row the case view shows, by the bare library."""
    conn = sqlite3.connect(path)
    try:
        person_id = conn.execute(
            "SELECT person_id FROM case_file WHERE id = ?", (case_id,)
        ).fetchone()[0]
        conn.execute("SELECT * FROM case_file WHERE id = ?", (case_id,)).fetchall()
        conn.execute("SELECT * FROM person WHERE id = ?", (person_id,)).fetchall()
        for table in (
            "referral",
            "contact_attempt",
            "treatment_referral",
            "naloxone_supply",
            "case_note",
            "case_status_change",
            "letter",
        ):
            conn.execute(f"SELECT * FROM {table} WHERE case_id = ?", (case_id,)).fetchall()
        for table in ("consent_entry", "person_change"):
            conn.execute(f"SELECT * FROM {table} WHERE person_id = ?", (person_id,)).fetchall()
        conn.execute("SELECT id, display_name FROM user_account").fetchall()
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from followup.ui.case.view import CaseView

    with tempfile.TemporaryDirectory(prefix="followup-bench-case-") as folder:
        path = Path(folder) / "case.sqlite"
        shutil.copyfile(cached_sqlite(args.cases), path)
        case_id, lead_id = add_case(path)
        db = open_database(f"sqlite:///{path}", migrate=False)
        try:
            with db.session() as s:
                lead = actor_of(s.get(m.User, lead_id))
            statements = []
            listener = lambda *a: statements.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            with db.session() as s:
                case_detail(s, lead, case_id, audit_view=False)
            event.remove(db.engine, "before_cursor_execute", listener)

            views = []

            def open_once() -> None:
                view = CaseView(db, lead, case_id)
                view.resize(1300, 850)
                view.show()
                deadline = time.perf_counter() + TIMEOUT_S
                while view.detail is None:
                    app.processEvents()
                    if time.perf_counter() > deadline:
                        raise TimeoutError("the case did not open")
                    time.sleep(0.0005)
                app.processEvents()  # laid out and painted
                views.append(view)

            def close() -> None:
                """Untimed: what the view still reads for later (a lead's worker list)."""
                view = views.pop()
                while view.busy:
                    app.processEvents()
                    time.sleep(0.001)
                view.close()
                view.deleteLater()
                app.processEvents()

            def opened() -> None:
                open_once()

            floors, times, cpus = [], [], []
            open_once()
            close()
            floor_query(path, case_id)
            for _ in range(args.runs):
                floors.append(median_time(lambda: floor_query(path, case_id), 1, warm=0))
                cpu = time.process_time()
                times.append(median_time(opened, 1, warm=0))
                cpus.append(time.process_time() - cpu)
                close()
            import statistics

            emit(
                f"case_view_open_{ATTEMPTS}_attempts",
                statistics.median(times),
                TARGET_S,
                statistics.median(floors),
                cases=args.cases,
                runs=[round(t, 4) for t in times],
                cpu_median_s=round(statistics.median(cpus), 4),
                statements=len(statements),
            )
        finally:
            db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
