"""Files that hold personal data are created 0600, in folders Followup creates 0700.

Real files on disk, their modes read back with ``stat``; POSIX only (on Windows the per-user
profile folder is private already and nothing is chmod-ed).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from followup.db.migrate import backup_sqlite, open_database
from followup.files import private_folder, write_safe_csv
from followup.protection.backup.database import backup_database
from followup.reports.exports import export_cases_csv
from followup.settings import AppPaths

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The common default umask, so that only Followup's own care makes files private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_its_wal_and_shm_are_private_in_a_private_folder(tmp_path, loose_umask):
    path = tmp_path / "made-here" / "inner" / "followup.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO setting (key, value) VALUES ('probe', '1')"))
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    finally:
        db.dispose()


def test_an_older_database_is_tightened_when_opened(tmp_path, loose_umask):
    path = tmp_path / "followup.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    db.dispose()
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        if Path(name).exists():
            os.chmod(name, 0o644)
    before = mode(tmp_path)
    db = open_database("sqlite:///" + str(path))
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert mode(path) == 0o600 and mode(Path(f"{path}-wal")) == 0o600
        assert mode(Path(f"{path}-shm")) == 0o600
    finally:
        db.dispose()
    assert mode(tmp_path) == before  # the user's folder is never changed


def test_backups_are_private_and_their_folder_too(sqlite_database, team, tmp_path, loose_umask):
    folder = tmp_path / "new-backups"
    info = backup_database(sqlite_database, folder / "manual.sqlite", actor=team["admin"])
    assert mode(info.path) == 0o600 and mode(folder) == 0o700
    before_migration = backup_sqlite(sqlite_database, tmp_path / "pre", "before-x")
    assert before_migration is not None and mode(before_migration) == 0o600
    assert mode(tmp_path / "pre") == 0o700


def test_followup_tightens_its_own_data_folder_but_not_a_chosen_one(tmp_path, loose_umask):
    paths = AppPaths(tmp_path / "data", tmp_path / "config", tmp_path / "log")
    paths.backup_dir.mkdir(parents=True, mode=0o755)
    os.chmod(paths.data_dir, 0o755)
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o755)
    paths.tighten_folders()
    private_folder(chosen)
    assert mode(paths.data_dir) == 0o700 and mode(paths.backup_dir) == 0o700
    assert mode(chosen) == 0o755


def test_exports_are_private(database, team, tmp_path, loose_umask):
    target = tmp_path / "cases.csv"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o644)
    with database.session() as s:
        export_cases_csv(s, team["lead"], target)
    assert mode(target) == 0o600
    plain = tmp_path / "plain.csv"
    write_safe_csv(plain, "# about", ["a"], [["1"]])
    assert mode(plain) == 0o600
