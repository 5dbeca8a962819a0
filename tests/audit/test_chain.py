"""The SQLite audit trail's hash chain: an edit made with the stock sqlite3 module is found.

Events are written through the services, then the file is changed as an attacker would (drop
the append-only triggers, change a row, put the triggers back) and `followup check` must name
the first event that no longer matches the record before it.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import threading
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import func, select, text

from followup import audit
from followup.accounts import sign_in
from followup.audit.chain import KEYRING_SERVICE, SETTING_KEY, verify_chain
from followup.cli import main
from followup.db import models as m
from followup.db.engine import Database, sqlite_path
from followup.db.migrate import open_database
from followup.protection.integrity import startup_check
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def check(monkeypatch, capsys):
    """Run `followup check --db FILE`; returns (exit code, stdout)."""

    def run(path: Path, *extra: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        code = main(["check", "--db", str(path), *extra])
        return code, capsys.readouterr().out

    return run


def write_some_events(db: Database, team) -> None:
    """Sign-ins and a few more users: events written by the services, as the app writes them."""
    with db.session() as s:
        sign_in(s, "lead", "pass-lead")
    with db.session() as s:
        sign_in(s, "worker1", "pass-worker1")
    with db.session() as s:
        for n in range(3):
            audit.record(s, team["lead"].id, "view", "case", n + 1)


def event_ids(db: Database) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(m.AuditEvent.id).order_by(m.AuditEvent.id)))


def tamper(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    """What an attacker with the stock sqlite3 module does: triggers off, change, triggers on."""
    conn = sqlite3.connect(path)
    try:
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_event'"
        ).fetchall()
        assert triggers  # the append-only triggers are there to be dropped
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        for sql, params in statements:
            conn.execute(sql, params)
        for _, sql in triggers:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def trail(sqlite_database, team):
    """A database file whose trail holds events from the services; its engine is closed."""
    write_some_events(sqlite_database, team)
    ids = event_ids(sqlite_database)
    path = sqlite_path(sqlite_database.url)
    sqlite_database.dispose()
    assert path is not None and len(ids) >= 8
    return path, ids


def test_an_intact_trail_passes_and_every_event_is_chained(trail, check):
    path, ids = trail
    code, out = check(path)
    assert code == 0, out
    assert "Integrity: ok" in out and "altered" not in out and "Warning" not in out
    conn = sqlite3.connect(path)
    chains = [r[0] for r in conn.execute("SELECT chain FROM audit_event ORDER BY id")]
    setting = conn.execute("SELECT value FROM setting WHERE key = ?", (SETTING_KEY,)).fetchone()
    conn.close()
    assert all(c and len(c) == 64 for c in chains) and len(set(chains)) == len(ids)
    assert setting[0].startswith("keyed:")
    ident = setting[0].split(":", 1)[1]
    assert keyring.get_password(KEYRING_SERVICE, ident)  # the key lives in the keyring only
    assert keyring.get_password(KEYRING_SERVICE, ident) not in Path(path).read_bytes().decode(
        "latin-1"
    )


def test_an_edited_event_is_named(trail, check):
    path, ids = trail
    edited = ids[4]
    tamper(path, ("UPDATE audit_event SET details = '{\"n\": 1}' WHERE id = ?", (edited,)))
    code, out = check(path)
    assert code != 0
    assert (
        f"The audit trail has been altered: event {edited} does not match the record before "
        "it; keep this database as evidence and restore the last good backup."
    ) in out
    code, out = check(path, "--json")
    report = json.loads(out)
    assert code != 0 and report["ok"] is False
    assert any(f"event {edited} does not match" in p for p in report["problems"])


def test_an_edited_user_or_time_is_named_too(trail, check):
    path, ids = trail
    tamper(path, ("UPDATE audit_event SET user_id = NULL WHERE id = ?", (ids[2],)))
    code, out = check(path)
    assert code != 0 and f"event {ids[2]} does not match" in out


def test_a_deleted_event_breaks_the_chain_at_the_next_one(trail, check):
    path, ids = trail
    tamper(path, ("DELETE FROM audit_event WHERE id = ?", (ids[3],)))
    code, out = check(path)
    assert code != 0 and f"event {ids[4]} does not match the record before it" in out


def test_reordered_events_are_named(trail, check):
    path, ids = trail
    a, b = ids[2], ids[5]
    conn = sqlite3.connect(path)
    row_a = conn.execute("SELECT details, action FROM audit_event WHERE id = ?", (a,)).fetchone()
    row_b = conn.execute("SELECT details, action FROM audit_event WHERE id = ?", (b,)).fetchone()
    conn.close()
    assert row_a != row_b
    swap = "UPDATE audit_event SET details = ?, action = ? WHERE id = ?"
    tamper(path, (swap, (*row_b, a)), (swap, (*row_a, b)))
    code, out = check(path)
    assert code != 0 and f"event {a} does not match" in out


def test_an_inserted_event_is_named_with_or_without_a_chain(trail, check):
    path, ids = trail
    insert = (
        "INSERT INTO audit_event (at, username, action, chain) "
        "VALUES ('2026-01-01 00:00:00.000000', 'nobody', 'view', ?)"
    )
    tamper(path, (insert, (None,)))
    code, out = check(path)
    assert code != 0 and f"event {ids[-1] + 1} does not match" in out


def test_a_forged_chain_on_an_inserted_event_is_named(trail, check):
    path, ids = trail
    insert = (
        "INSERT INTO audit_event (at, username, action, chain) "
        "VALUES ('2026-01-01 00:00:00.000000', 'nobody', 'view', ?)"
    )
    tamper(path, (insert, ("0" * 64,)))
    code, out = check(path)
    assert code != 0 and f"event {ids[-1] + 1} does not match" in out


def test_the_start_up_check_reports_the_break(trail):
    path, ids = trail
    tamper(path, ("UPDATE audit_event SET username = 'someone' WHERE id = ?", (ids[1],)))
    db = open_database("sqlite:///" + str(path))
    try:
        result = startup_check(db)
    finally:
        db.dispose()
    assert result.damaged is None
    assert result.audit_altered is not None and f"event {ids[1]} does not match" in (
        result.audit_altered
    )


def test_an_older_trail_starts_chaining_after_its_unchained_events(tmp_path, check):
    path = tmp_path / "old.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    with db.engine.begin() as conn:  # as written before 0006: no chain
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, username, action) "
                    "VALUES (CURRENT_TIMESTAMP, :name, 'login_failed')"
                ),
                {"name": f"nobody{n}"},
            )
    with db.session() as s:
        for n in range(3):
            audit.record(s, None, "login_failed", username=f"later{n}")
    with db.session() as s:
        report = verify_chain(s)
        chains = list(s.scalars(select(m.AuditEvent.chain).order_by(m.AuditEvent.id)))
    db.dispose()
    assert chains[:3] == [None, None, None] and all(chains[3:])
    assert report.ok and report.checked == 3 and report.keyed is True
    tamper(path, ("DELETE FROM audit_event WHERE id = 4", ()))  # the first chained event
    code, out = check(path)
    assert code != 0 and "event 5 does not match" in out


def test_without_a_keyring_the_chain_is_unkeyed_and_check_says_so(tmp_path, check):
    keyring.set_keyring(fail.Keyring())
    path = tmp_path / "nokeyring.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    with db.session() as s:
        for n in range(4):
            audit.record(s, None, "login_failed", username=f"someone{n}")
    db.dispose()
    code, out = check(path)
    assert code == 0, out
    assert "Warning: The audit trail's hash chain has no key" in out and "anchored weaker" in out
    tamper(path, ("UPDATE audit_event SET username = 'x' WHERE id = 2", ()))
    code, out = check(path)
    assert code != 0 and "event 2 does not match" in out


def test_a_file_whose_key_is_not_in_this_keyring_cannot_be_checked_here(trail, check):
    path, _ = trail
    keyring.set_keyring(MemoryKeyring())  # another computer's keyring
    code, out = check(path)
    assert code == 0
    assert "key is not in this computer's keyring" in out


def test_two_writers_at_once_keep_one_chain(sqlite_database, team):
    url = sqlite_database.url
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        db = open_database(url)
        try:
            for n in range(15):
                with db.session() as s:
                    audit.record(s, None, "login_failed", username=f"{name}{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=writer, args=(f"w{i}-",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with sqlite_database.session() as s:
        report = verify_chain(s)
        total = s.scalar(select(func.count()).select_from(m.AuditEvent))
    assert report.ok and report.checked == total


@pytest.mark.postgres
def test_postgresql_is_not_chained(database, team):
    if database.is_sqlite:
        pytest.skip("the PostgreSQL audit table is protected by grants, not a chain")
    write_some_events(database, team)
    with database.session() as s:
        assert set(s.scalars(select(m.AuditEvent.chain))) == {None}
        report = verify_chain(s)
    assert report.ok and report.keyed is None
