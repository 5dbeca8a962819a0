"""Writers wait their turn: a second import waits for the first (and says so) then lands, an
import completes while a colleague saves every 200 ms, a database busy beyond the limit is one
sentence, and a full disk says so and keeps nothing half-done.

Imports run as `python -m followup import` processes, as a user runs them, on SQLite and on
PostgreSQL (where the turn is an advisory lock: without it two imports at once store the same
person twice, or one fails on a duplicate reference).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.pool import Pool

from followup.cli import main
from followup.db import models as m
from followup.db.engine import Database
from followup.db.migrate import open_database
from followup.db.writer_lock import import_turn
from followup.errors import DatabaseBusy
from followup.intake.importer import import_file
from followup.vocab import AuditAction
from tests.intake.helpers import NOW, nhs, row, write_csv

WAITING = "followup: waiting for another import to finish…"


def referral_file(path: Path, prefix: str, count: int, start: int = 0) -> Path:
    return write_csv(
        path,
        [
            row(
                police_reference=f"TST-{prefix}-{i:05d}",
                first_name="Testperson",
                last_name=f"{prefix}{i}",
                date_of_birth=f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1950 + i % 50}",
                nhs_number=nhs(start + i),
            )
            for i in range(count)
        ],
    )


def start_import(db: Database, path: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        FOLLOWUP_USER="worker1",
        FOLLOWUP_PASSWORD="pass-worker1",
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "followup", "import", str(path), "--json", *extra, "--db", db.url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def referrals(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Referral))


def people(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(m.Person))


def test_a_second_import_waits_for_the_first_says_so_and_then_lands(database, team, tmp_path):
    path = referral_file(tmp_path / "second.csv", "B", 50)
    with ExitStack() as first:
        first.enter_context(import_turn(database))  # the first import, still running
        proc = start_import(database, path)
        assert proc.stderr is not None
        assert proc.stderr.readline().rstrip("\n") == WAITING
        assert referrals(database) == 0
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, ""), err
    assert json.loads(out)["imported"] == 50
    assert referrals(database) == 50


def test_two_imports_at_once_both_land(database, team, tmp_path):
    """Two files naming the same people, imported at the same moment: each person once."""
    one = referral_file(tmp_path / "one.csv", "ONE", 300)
    two = referral_file(tmp_path / "two.csv", "TWO", 300)  # the same 300 people, new incidents
    procs = [start_import(database, one), start_import(database, two)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "busy" not in err
    assert referrals(database) == 600
    assert people(database) == 300
    assert sorted(json.loads(out)["linked_repeat"] for out, _ in results) == [0, 300]


def test_the_same_file_imported_twice_at_once_lands_once(database, team, tmp_path):
    path = referral_file(tmp_path / "same.csv", "SAME", 300)
    procs = [start_import(database, path), start_import(database, path)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    summaries = sorted((json.loads(out) for out, _ in results), key=lambda s: s["imported"])
    assert [(s["imported"], s["duplicates"]) for s in summaries] == [(0, 300), (300, 0)]
    assert referrals(database) == 300


def test_an_import_completes_while_a_colleague_saves_every_200_ms(database, team, tmp_path):
    colleague = open_database(database.url, migrate=False)
    done = threading.Event()
    saves: list[int] = []
    failures: list[str] = []

    def save_every_200_ms() -> None:
        n = 0
        while not done.is_set():
            n += 1
            try:
                with colleague.session(write=True) as s:
                    s.merge(m.Setting(key="test.colleague", value=str(n)))
                saves.append(n)
            except Exception as exc:  # a lost save is what this test is about
                failures.append(f"{type(exc).__name__}: {exc}")
            done.wait(0.2)

    saver = threading.Thread(target=save_every_200_ms)
    saver.start()
    try:
        proc = start_import(database, referral_file(tmp_path / "busy.csv", "BUSY", 1500))
        out, err = proc.communicate(timeout=300)
        saved_during_import = len(saves)
    finally:
        done.set()
        saver.join()
        colleague.dispose()
    assert proc.returncode == 0, err
    assert json.loads(out)["imported"] == 1500 and referrals(database) == 1500
    assert failures == []
    assert saved_during_import >= 2  # the colleague really was saving while it ran
    with database.session() as s:
        assert s.get(m.Setting, "test.colleague").value == str(saves[-1])


def test_an_import_busy_beyond_the_limit_is_one_sentence_and_writes_nothing(
    database, team, tmp_path
):
    told: list[str] = []
    second = import_turn(database, waiting=lambda: told.append("waiting"), limit_s=0.5)
    with import_turn(database), pytest.raises(DatabaseBusy) as caught, second as s:
        s.add(m.Setting(key="test.never", value="x"))  # held by another: never reached
    assert told == ["waiting"]
    assert str(caught.value).count(".") == 1 and "nothing" in str(caught.value)
    with database.session() as s:
        assert s.get(m.Setting, "test.never") is None


def test_a_write_session_waits_for_its_turn_instead_of_failing(sqlite_database):
    """A save that starts with the write lock waits for another writer (SQLite's busy handler
    retries it); the other writer here finishes as soon as the save is seen waiting."""
    holder = sqlite3.connect(sqlite_database.url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO setting (key, value) VALUES ('test.first', '1')")
    started = threading.Event()
    result: list[str] = []

    def save() -> None:
        started.set()
        with sqlite_database.session(write=True) as s:
            s.add(m.Setting(key="test.second", value="2"))
        result.append("saved")

    saver = threading.Thread(target=save)
    saver.start()
    started.wait()
    holder.execute("COMMIT")
    holder.close()
    saver.join()
    assert result == ["saved"]
    with sqlite_database.session() as s:
        assert {k for k in s.scalars(select(m.Setting.key)) if k.startswith("test.")} == {
            "test.first",
            "test.second",
        }


@pytest.fixture
def full_disk(sqlite_database):
    """Every new SQLite connection finds the disk full a few pages beyond the file's size."""
    path = sqlite_database.url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    sqlite_database.engine.dispose()  # its connections are made again, with the limit

    def limit(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA max_page_count={pages + 12}")

    def make_room() -> None:
        if event.contains(Pool, "connect", limit):
            event.remove(Pool, "connect", limit)
        sqlite_database.engine.dispose()

    event.listen(Pool, "connect", limit)
    yield Path(path), make_room
    make_room()


def test_a_full_disk_during_import_says_so_and_keeps_nothing(
    full_disk, sqlite_database, team, tmp_path, monkeypatch, capsys
):
    full_disk, make_room = full_disk
    before = sqlite3.connect(full_disk)
    audit_before = before.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    before.close()
    path = referral_file(tmp_path / "big.csv", "FULL", 1500)
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-worker1")
    code = main(["import", str(path), "--db", str(full_disk), "--user", "worker1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("followup: Could not save: the disk is full (the database file ")
    assert "nothing of this was kept" in err and err.count("\n") == 1
    assert "unexpected" not in err
    make_room()
    after = sqlite3.connect(full_disk)
    try:
        assert after.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert after.execute("SELECT count(*) FROM referral").fetchone()[0] == 0
        assert after.execute("SELECT count(*) FROM person").fetchone()[0] == 0
        imports = after.execute(
            "SELECT count(*) FROM audit_event WHERE action = ?", (str(AuditAction.IMPORT),)
        ).fetchone()[0]
        assert imports == 0
        # Only the sign-in, before the import began, was recorded.
        assert after.execute("SELECT count(*) FROM audit_event").fetchone()[0] == audit_before + 1
    finally:
        after.close()
    assert not Path(f"{full_disk}-journal").exists()
    # The same file, once there is room, imports whole.
    assert import_file(sqlite_database, team["worker1"], path, now=NOW).imported == 1500
