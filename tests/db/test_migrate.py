"""Migrations: every earlier revision upgrades to head, with a backup first on SQLite;
databases from a newer version, damaged files and unreachable servers are refused plainly."""

from __future__ import annotations

import hashlib
import sqlite3
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from followup.db.engine import Database, make_engine
from followup.db.migrate import (
    alembic_config,
    head_revision,
    include_object,
    open_database,
    schema_state,
)
from followup.db.models import Base
from followup.errors import DatabaseTooNew, DatabaseUnavailable
from tests.db.revisions import upgrade_to

EARLIER = [
    s.revision
    for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    if s.revision != head_revision()
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_there_is_more_than_one_revision_to_upgrade_from():
    assert EARLIER, "the upgrade test below needs at least one earlier revision"


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_every_earlier_revision_keeps_data(db_url, tmp_path, revision):
    upgrade_to(db_url, revision)
    raw = Database(db_url, make_engine(db_url))
    with raw.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (username, display_name, role, active, password_hash, created_at) "
                "VALUES ('keeper', 'Kept User', 'admin', true, 'x', '2026-01-01 00:00:00')"
            )
        )
    raw.dispose()

    db = open_database(db_url, backup_dir=tmp_path / "backups")
    try:
        assert schema_state(db).up_to_date
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT username FROM user_account")).scalar() == "keeper"
    finally:
        db.dispose()
    backups = list((tmp_path / "backups").glob("*.sqlite"))
    if db_url.startswith("sqlite"):
        # The copy is a consistent SQLite database at the old revision, with the same rows.
        assert len(backups) == 1
        copy = sqlite3.connect(backups[0])
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0] == revision
        assert copy.execute("SELECT username FROM user_account").fetchall() == [("keeper",)]
        copy.close()
    else:
        assert backups == []


def test_no_backup_when_nothing_changes(sqlite_url, tmp_path):
    open_database(sqlite_url, create=True, backup_dir=tmp_path / "b").dispose()
    open_database(sqlite_url, backup_dir=tmp_path / "b").dispose()
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())


def test_models_and_migrations_agree(database):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected on SQLite
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_database_from_a_newer_version_is_refused_and_untouched(db_url, tmp_path):
    open_database(db_url, create=True).dispose()
    raw = Database(db_url, make_engine(db_url))
    with raw.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    raw.dispose()
    path = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None
    before = _digest(path) if path else None
    with pytest.raises(DatabaseTooNew, match="newer version of Followup"):
        open_database(db_url, backup_dir=tmp_path / "backups")
    if path:
        assert _digest(path) == before


def test_missing_file_is_not_created_unless_asked(tmp_path):
    url = "sqlite:///" + str(tmp_path / "nope.sqlite")
    with pytest.raises(DatabaseUnavailable, match="no database file"):
        open_database(url)
    assert not (tmp_path / "nope.sqlite").exists()


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"These are not the droids you are looking for.\n" * 50)
    before = _digest(path)
    with pytest.raises(DatabaseUnavailable, match="not a Followup database"):
        open_database("sqlite:///" + str(path), create=True)
    assert _digest(path) == before


def test_a_damaged_sqlite_file_is_refused_and_untouched(sqlite_url, tmp_path):
    open_database(sqlite_url, create=True).dispose()
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xde\xad\xbe\xef" * ((4096 - 100) // 4)  # smash the schema page
    path.write_bytes(bytes(data))
    before = _digest(path)
    with pytest.raises(DatabaseUnavailable, match="damaged|not a Followup database"):
        open_database(sqlite_url)
    assert _digest(path) == before


def test_unreachable_server_is_one_plain_sentence():
    with pytest.raises(DatabaseUnavailable, match="Cannot reach") as info:
        open_database("postgresql+psycopg://someone:pw@127.0.0.1:9/followup")
    assert "pw" not in str(info.value).replace("PostgreSQL", "")
