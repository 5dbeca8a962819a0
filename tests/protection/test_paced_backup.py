"""The paced daily backup: small steps with pauses, while the user goes on writing, and still
a correct, complete copy of the database as it was at one moment; stopped part-way, it keeps
nothing."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from followup.errors import MaintenanceStopped
from followup.protection.backup.database import backup_database
from followup.protection.integrity import Pacer

PERSON = (
    "INSERT INTO person (first_name, last_name, gender, no_fixed_abode, created_at, updated_at) "
    "VALUES ('Testy', ?, 'not_known', 0, '2026-03-01 00:00:00', '2026-03-01 00:00:00')"
)


def _fill(path: str, rows: int) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(PERSON, [(f"McTestface{n:06d}{'x' * 200}",) for n in range(rows)])
    conn.close()


def _people(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, last_name FROM person ORDER BY id").fetchall()
    finally:
        conn.close()


def test_backup_while_the_user_writes_is_a_complete_copy_of_one_moment(sqlite_database, tmp_path):
    path = str(sqlite_database.url).removeprefix("sqlite:///")
    _fill(path, 20_000)  # some megabytes: many 1 MB steps
    before = len(_people(path))
    stop = threading.Event()
    written: list[int] = []

    def user_writes() -> None:
        conn = sqlite3.connect(path, timeout=10)
        n = 0
        while not stop.is_set():
            with conn:
                conn.execute(PERSON, (f"Later{n:06d}",))
            n += 1
            written.append(n)
        conn.close()

    writer = threading.Thread(target=user_writes)
    pacer = Pacer(work_s=0.002, pause_s=0.002)

    remaining: list[int] = []

    def pace(*args: object) -> None:
        if len(args) == 3:  # a backup step: (status, pages remaining, pages in all)
            remaining.append(int(args[1]))  # type: ignore[call-overload]
        pacer(*args)
        if not writer.is_alive() and not stop.is_set():
            writer.start()  # the user starts writing once the copy is under way

    try:
        info = backup_database(sqlite_database, tmp_path / "copy.sqlite", pace=pace)
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
    assert written, "the user wrote while the backup ran"
    assert pacer.pauses > 0  # it paused between steps
    # It never started again from the beginning (SQLite does after each write by another
    # connection unless the copy holds its snapshot): it ends however much the user writes.
    assert len(remaining) > 3 and remaining == sorted(remaining, reverse=True)
    conn = sqlite3.connect(info.path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    copied = _people(info.path)
    now = _people(path)
    # Everything there was when it started, and the first of the rows written meanwhile in
    # order up to one moment: never a torn mixture.
    assert before <= len(copied) <= len(now)
    assert copied == now[: len(copied)]


def test_a_stopped_backup_keeps_nothing(sqlite_database, tmp_path):
    path = str(sqlite_database.url).removeprefix("sqlite:///")
    _fill(path, 20_000)
    pacer = Pacer(work_s=0.0, pause_s=0.0)
    calls = []

    def pace(*args: object) -> None:
        calls.append(True)
        if len(calls) == 3:
            pacer.stop()  # the app closes part-way
        pacer(*args)

    target = tmp_path / "backups"
    target.mkdir()
    with pytest.raises(MaintenanceStopped):
        backup_database(sqlite_database, target, pace=pace)
    assert list(target.iterdir()) == []
