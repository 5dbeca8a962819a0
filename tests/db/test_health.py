"""The last integrity result kept beside a SQLite file: what opening does with it, cheaply."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from followup.db import health
from followup.db.migrate import integrity_report, open_database
from followup.errors import DatabaseDamaged


def _path(db) -> Path:
    return Path(db.url.removeprefix("sqlite:///"))


def test_a_broken_header_is_refused_before_sqlite_opens_the_file(sqlite_database):
    path = _path(sqlite_database)
    sqlite_database.dispose()
    data = bytearray(path.read_bytes())
    data[16:18] = b"\x03\x00"  # a page size of 768 bytes: no SQLite file has one
    path.write_bytes(bytes(data))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatabaseDamaged, match="is damaged .*`followup restore --latest`"):
        open_database(sqlite_database.url, migrate=False)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert not health.last_check(path).ok  # and remembered


def test_a_good_file_closed_by_followup_opens_without_a_check_and_a_changed_one_is_checked(
    sqlite_database,
):
    path = _path(sqlite_database)
    sqlite_database.dispose()
    db = open_database(sqlite_database.url, migrate=False, verify_changed=True)  # checked
    assert db.trusted
    db.dispose()  # and vouched for as Followup leaves it
    known = health.last_check(path)
    assert known is not None and known.ok and known.matches(path)

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched elsewhere
    assert not health.last_check(path).matches(path)
    app_style = open_database(sqlite_database.url, migrate=False)  # the app: no check here
    assert not app_style.trusted
    app_style.dispose()
    assert not health.last_check(path).matches(path)  # not vouched for unseen
    cli_style = open_database(sqlite_database.url, migrate=False, verify_changed=True)
    assert cli_style.trusted and health.last_check(path).matches(path)
    cli_style.dispose()


def test_a_damaged_result_is_never_replaced_by_closing(sqlite_database):
    path = _path(sqlite_database)
    health.record(path, ok=False)
    health.vouch(path)
    assert not health.last_check(path).ok
    with pytest.raises(DatabaseDamaged):
        open_database(sqlite_database.url, migrate=False)
    # `followup check` opens it regardless, and a good check makes it usable again
    db = open_database(sqlite_database.url, migrate=False, refuse_known_damage=False)
    assert integrity_report(db)["ok"]
    db.dispose()
    assert health.last_check(path).ok
    assert oct(health.result_path(path).stat().st_mode & 0o777) == "0o600"
