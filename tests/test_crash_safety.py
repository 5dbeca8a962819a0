"""Crash safety: a referral import and a batch letter run are killed with SIGKILL at random
moments; afterwards the SQLite file passes its integrity check, and the import (or the batch)
is wholly present or wholly absent.

The commands run as real `python -m followup` processes, as a user would start them. The
first run of each goes to the end, to time it; the kills then fall across that time.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from followup.db import models as m
from followup.db.engine import Database

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

ROWS = 1500  # about a second of importing on a small machine
KILLS = 10
LETTER_CASES = 30


def _nhs(n: int) -> str:
    """An NHS number in the 999 test range with a valid mod-11 check digit."""
    while True:
        base = f"999{n:06d}"
        check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(base)) % 11
        if check != 10:
            return base + str(0 if check == 11 else check)
        n += 1


def _referral_file(path: Path, run: int) -> None:
    start = datetime(2026, 1, 1, 12, 0)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "police_reference",
                "force",
                "incident_datetime",
                "first_name",
                "last_name",
                "date_of_birth",
                "nhs_number",
                "phone",
                "consent_to_share",
                "postcode",
            ]
        )
        for i in range(ROWS):
            n = run * ROWS + i
            w.writerow(
                [
                    f"CS{run:02d}-{i:05d}",
                    "Test Force",
                    (start + timedelta(minutes=i)).strftime("%d/%m/%Y %H:%M"),
                    "Testy",
                    f"McTestface{n}",
                    f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1950 + n % 50}",
                    _nhs(n),
                    f"+447700900{n % 1000:03d}",
                    "Y",
                    "B5 4TR",
                ]
            )


def _env(user: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FOLLOWUP_USER=user,
        FOLLOWUP_PASSWORD=f"pass-{user}",
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
    )
    return env


def _start(args: list[str], db: Path, user: str, *, capture: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "followup", *args, "--db", str(db)],
        env=_env(user),
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
    )


def _kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL after ``delay`` seconds; False when the process had already finished."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def _check(db: Path, table: str) -> int:
    """SQLite's integrity check (recovering the WAL like any next user would), and a count."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def _run_to_end(args: list[str], db: Path, user: str) -> float:
    started = time.perf_counter()
    proc = _start(args, db, user, capture=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), err.decode(errors="replace")
    assert b"Wrote" in out or b"Imported" in out or b"imported" in out, out.decode(errors="replace")
    return time.perf_counter() - started


def test_an_import_killed_at_random_moments_is_all_or_nothing(sqlite_database, team, tmp_path):
    path = Path(sqlite_database.url.removeprefix("sqlite:///"))
    sqlite_database.dispose()
    rng = random.Random(20260301)
    first = tmp_path / "run-00.csv"
    _referral_file(first, 0)
    took = _run_to_end(["import", str(first)], path, "worker1")
    assert _check(path, "referral") == ROWS
    outcomes = []
    for run in range(1, KILLS + 1):
        file = tmp_path / f"run-{run:02d}.csv"
        _referral_file(file, run)
        before = _check(path, "referral")
        killed = _kill_after(
            _start(["import", str(file)], path, "worker1"), rng.uniform(0.3 * took, 1.05 * took)
        )
        after = _check(path, "referral")
        assert after in (before, before + ROWS), f"run {run}: {after - before} of {ROWS} rows"
        outcomes.append((killed, after - before))
    # At least one kill landed while the import was still running.
    assert any(killed for killed, _ in outcomes)


def _letter_cases(db: Database, team: dict) -> None:
    """Open cases where three attempts have not reached the person: a letter is due for each."""
    from followup.letters.settings import set_letterhead

    now = datetime.now(UTC)
    with db.session() as s:
        set_letterhead(
            s,
            team["admin"],
            name="Community Support Team",
            address="10 Example Road\nTesttown\nB1 1AA",
            phone="0121 496 0000",
        )
        for n in range(LETTER_CASES):
            person = m.Person(
                first_name="Sample",
                last_name=f"Examplewood{n}",
                date_of_birth=date(1980, 1, 1 + n % 28),
                gender="not_known",
                address=f"{n + 1} Test Street, Testville",
                postcode="B5 4TR",
                no_fixed_abode=False,
                phone=f"+447700900{n:03d}",
            )
            s.add(person)
            s.flush()
            case = m.Case(
                person_id=person.id,
                status="contacting",
                police_reference=f"LT-{n:04d}",
                assigned_worker_id=team["worker1"].id,
                referred_at=now - timedelta(days=20),
                area="B5",
            )
            s.add(case)
            s.flush()
            s.add(
                m.ConsentEntry(
                    person_id=person.id,
                    case_id=case.id,
                    scope="contact_letter",
                    state="given",
                    method="verbal_at_scene_via_police",
                    recorded_at=now - timedelta(days=20),
                    source="PC Example",
                )
            )
            for day in (19, 15, 10):
                s.add(
                    m.ContactAttempt(
                        case_id=case.id,
                        attempted_at=now - timedelta(days=day),
                        method="phone",
                        outcome="no_answer",
                        worker_id=team["worker1"].id,
                    )
                )


def _forget_letters(db: Path) -> None:
    """Make the letters due again after a batch that finished, for the next kill."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("DELETE FROM letter_print")
        conn.execute("DELETE FROM letter")
        conn.commit()
    finally:
        conn.close()


def test_a_batch_letter_run_killed_at_random_moments_is_all_or_nothing(
    sqlite_database, team, tmp_path
):
    from followup.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    if "letters" not in commands:
        pytest.skip("`followup letters` does not exist yet")
    _letter_cases(sqlite_database, team)
    path = Path(sqlite_database.url.removeprefix("sqlite:///"))
    sqlite_database.dispose()
    rng = random.Random(20260302)
    args = ["letters", "--batch", "-o", str(tmp_path / "out.pdf")]
    took = _run_to_end(args, path, "worker1")
    assert _check(path, "letter") == LETTER_CASES
    killed_any = False
    for run in range(KILLS):
        _forget_letters(path)
        before = _check(path, "letter")
        killed_any |= _kill_after(
            _start(args, path, "worker1"), rng.uniform(0.3 * took, 1.05 * took)
        )
        after = _check(path, "letter")
        assert after in (before, before + LETTER_CASES), f"run {run}: {after - before} letters"
    assert killed_any
