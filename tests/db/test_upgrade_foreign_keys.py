"""Upgrading a SQLite file changes tables with its foreign keys off, as SQLite's own
procedure for altering a table says, and checks them all before it commits.

With them on, rebuilding a table that refers to itself (an attempt amends another; migration
0021 rebuilds contact_attempt to allow a new method) made SQLite check each dropped row against
every other: a 100,000-case file had not finished upgrading after an hour, and now takes well
under a minute (bench/README.md). These tests check what a user would notice of it: the links
survive, the rules are enforced again afterwards, and a file with broken links is refused
whole rather than half upgraded.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from followup.db.migrate import head_revision, open_database
from followup.errors import DatabaseUnavailable
from tests.db.revisions import upgrade_to

BEFORE = "0019_report_facts"  # before 0021 rebuilds contact_attempt


def _one_case_with_an_amended_attempt(path) -> None:
    raw = sqlite3.connect(path)
    raw.executescript(
        "INSERT INTO person (id, first_name, last_name, no_fixed_abode, created_at, updated_at, "
        "version) VALUES (1, 'Testy', 'Upgrade', 0, '2026-01-01 00:00:00', "
        "'2026-01-01 00:00:00', 1);"
        "INSERT INTO case_file (id, person_id, status, police_reference, referred_at, opened_at, "
        "version) VALUES (1, 1, 'contacting', 'UPG-1', '2026-01-01 00:00:00', "
        "'2026-01-01 00:00:00', 1);"
        "INSERT INTO contact_attempt (id, case_id, attempted_at, method, outcome, "
        "seeking_consent, voided_at) VALUES (1, 1, '2026-01-02 09:00:00', 'phone', "
        "'no_answer', 0, '2026-01-03 09:00:00');"
        "INSERT INTO contact_attempt (id, case_id, attempted_at, method, outcome, "
        "seeking_consent, amends_id) VALUES (2, 1, '2026-01-02 09:00:00', 'phone', "
        "'spoke_engaged', 0, 1);"
    )
    raw.commit()
    raw.close()


def test_an_upgrade_keeps_the_links_and_enforces_them_again(tmp_path):
    path = tmp_path / "older.sqlite"
    url = f"sqlite:///{path}"
    upgrade_to(url, BEFORE)
    _one_case_with_an_amended_attempt(path)

    db = open_database(url, backup_dir=tmp_path / "backups")
    try:
        with db.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT amends_id FROM contact_attempt WHERE id = 2")).one()[0]
                == 1
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:  # no such case
            conn.execute(
                text(
                    "INSERT INTO contact_attempt (case_id, attempted_at, method, outcome, "
                    "seeking_consent) VALUES (99, '2026-01-04 09:00:00', 'phone', "
                    "'no_answer', false)"
                )
            )
    finally:
        db.dispose()


def test_a_file_with_broken_links_is_refused_whole(tmp_path):
    path = tmp_path / "broken.sqlite"
    url = f"sqlite:///{path}"
    upgrade_to(url, BEFORE)
    _one_case_with_an_amended_attempt(path)
    raw = sqlite3.connect(path)  # foreign keys are off in a bare connection
    raw.execute("UPDATE contact_attempt SET amends_id = 77 WHERE id = 2")
    raw.commit()
    raw.close()

    with pytest.raises(DatabaseUnavailable, match="upgrade was undone and nothing changed"):
        open_database(url, backup_dir=tmp_path / "backups")
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(BEFORE,)]
    finally:
        raw.close()
    assert head_revision() != BEFORE
