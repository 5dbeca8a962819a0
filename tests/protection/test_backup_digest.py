"""A backup carries a digest made when it was taken; a restore refuses a backup changed since.

The attack from issue 11: a backup edited offline with the stock sqlite3 module to make a
worker an admin must not restore, and the live database must be left exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import select

from followup import cli
from followup.db import models as m
from followup.db.engine import Database, sqlite_path
from followup.protection.backup.common import BackupProblem
from followup.protection.backup.database import backup_database, restore_database
from followup.protection.backup.digest import digest_path
from followup.protection.backup.rotation import newest_good_backup, rotate_backups
from tests.memory_keyring import MemoryKeyring


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def role_of(db_path: Path, username: str) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT role FROM user_account WHERE username = ?", (username,)
        ).fetchone()[0]
    finally:
        conn.close()


def make_worker_an_admin(backup: Path) -> None:
    """What someone with the backup file and the sqlite3 shell would do."""
    conn = sqlite3.connect(backup)
    conn.execute("UPDATE user_account SET role = 'admin' WHERE username = 'worker1'")
    conn.commit()
    conn.close()


@pytest.fixture
def restore(monkeypatch, capsys, app_paths):
    """`followup restore FILE --db URL [extra]` as the admin; returns (code, stdout, stderr)."""
    monkeypatch.setenv("FOLLOWUP_USER", "admin")
    monkeypatch.setenv("FOLLOWUP_PASSWORD", "pass-admin")

    def run(backup: Path, url: str, *extra: str) -> tuple[int, str, str]:
        code = cli.main(["restore", str(backup), "--db", url, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def backed_up(sqlite_database: Database, team, tmp_path):
    """A backup made through the service; the live database's engine is closed."""
    info = backup_database(sqlite_database, tmp_path / "backups", actor=team["admin"])
    live = sqlite_path(sqlite_database.url)
    sqlite_database.dispose()
    assert live is not None
    return info.path, live, sqlite_database.url


def test_a_backup_gets_a_private_keyed_digest_beside_it(backed_up):
    backup, _, _ = backed_up
    sidecar = digest_path(backup)
    assert sidecar.name == backup.name + ".sha256"
    kind, digest, name = sidecar.read_text(encoding="ascii").split()
    assert kind == "hmac-sha256" and len(digest) == 64 and name == backup.name
    assert digest != file_hash(backup)  # keyed: not the plain SHA-256 anyone could recompute
    if os.name != "nt":
        assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600


def test_a_backup_edited_to_make_a_worker_an_admin_is_refused_and_nothing_changes(
    backed_up, restore
):
    backup, live, url = backed_up
    make_worker_an_admin(backup)
    before = file_hash(live)
    files_before = sorted(live.parent.glob(live.name + "*"))
    for extra in ((), ("--allow-unverified",)):  # a changed backup is refused regardless
        code, out, err = restore(backup, url, *extra)
        assert code != 0 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "has been changed since it was made" in err and "nothing was changed" in err
    assert file_hash(live) == before
    assert sorted(live.parent.glob(live.name + "*")) == files_before
    assert role_of(live, "worker1") == "worker"


def test_an_untouched_backup_restores(backed_up, restore):
    backup, live, url = backed_up
    code, out, err = restore(backup, url, "--json")
    assert code == 0, err
    assert json.loads(out)["verified"] is True
    assert role_of(live, "worker1") == "worker"


def test_a_backup_copied_with_its_digest_to_another_folder_restores(backed_up, restore, tmp_path):
    backup, _, url = backed_up
    elsewhere = tmp_path / "usb-stick"
    elsewhere.mkdir()
    shutil.copy2(backup, elsewhere / backup.name)
    shutil.copy2(digest_path(backup), elsewhere / digest_path(backup).name)
    code, _, err = restore(elsewhere / backup.name, url)
    assert code == 0, err


def test_a_backup_without_a_digest_needs_allow_unverified(backed_up, restore):
    backup, live, url = backed_up
    digest_path(backup).unlink()  # made before this version, or copied without it
    before = file_hash(live)
    code, _, err = restore(backup, url)
    assert code != 0 and err.count("\n") == 1
    assert "has no digest" in err and "--allow-unverified" in err
    assert file_hash(live) == before
    code, out, err = restore(backup, url, "--allow-unverified", "--json")
    assert code == 0, err
    assert json.loads(out)["verified"] is False


def test_a_backup_from_another_computer_cannot_be_checked_here(backed_up, restore):
    backup, _, url = backed_up
    # Another computer's keyring holds neither this backup's key nor the database's.
    keyring.set_keyring(MemoryKeyring())
    code, _, err = restore(backup, url)
    assert code != 0 and "made on another computer" in err
    code, _, err = restore(backup, url, "--allow-unverified")
    assert code == 0, err


def test_without_a_keyring_the_digest_is_unkeyed_and_still_catches_a_change(
    sqlite_database, team, tmp_path
):
    keyring.set_keyring(fail.Keyring())
    info = backup_database(sqlite_database, tmp_path / "plain.sqlite", actor=team["admin"])
    kind, digest, _ = digest_path(info.path).read_text(encoding="ascii").split()
    assert kind == "sha256" and digest == file_hash(info.path)
    url = sqlite_database.url
    sqlite_database.dispose()
    restore_database(url, info.path, backup_dir=tmp_path / "safety")  # unchanged: restores
    make_worker_an_admin(info.path)
    with pytest.raises(BackupProblem, match="has been changed since it was made"):
        restore_database(url, info.path, backup_dir=tmp_path / "safety")


def test_an_unkeyed_digest_is_not_enough_where_a_keyring_is_usable(backed_up, tmp_path):
    backup, _, url = backed_up
    make_worker_an_admin(backup)  # and then rewrite the digest, as anyone could
    digest_path(backup).write_text(f"sha256 {file_hash(backup)}  {backup.name}\n")
    with pytest.raises(BackupProblem, match="only an unkeyed digest"):
        restore_database(url, backup, backup_dir=tmp_path / "safety")


def test_the_safety_copy_of_a_restore_has_a_digest_too(backed_up, restore, tmp_path):
    backup, _, url = backed_up
    code, out, err = restore(backup, url, "--json")
    assert code == 0, err
    safety = Path(json.loads(out)["safety_copy"])
    assert digest_path(safety).exists()
    code, _, err = restore(safety, url)
    assert code == 0, err


def test_a_changed_backup_is_never_offered_for_recovery(sqlite_database, team, tmp_path):
    folder = tmp_path / "auto"
    folder.mkdir()
    older = backup_database(sqlite_database, folder / "followup-20260101-090000-auto.sqlite")
    newer = backup_database(sqlite_database, folder / "followup-20260102-090000-auto.sqlite")
    assert newest_good_backup(folder) == newer.path
    make_worker_an_admin(newer.path)
    assert newest_good_backup(folder) == older.path
    with sqlite_database.session() as s:
        assert s.scalar(select(m.User.role).where(m.User.username == "worker1")) == "worker"


def test_rotation_deletes_a_backup_with_its_digest(sqlite_database, tmp_path):
    folder = tmp_path / "auto"
    folder.mkdir()
    made = [
        backup_database(sqlite_database, folder / f"followup-2026010{d}-090000-auto.sqlite")
        for d in (1, 2)
    ]
    removed = rotate_backups(folder, datetime(2026, 1, 2, 12), keep_daily=1, keep_weekly=1)
    assert removed == [made[0].path]
    assert not digest_path(made[0].path).exists() and digest_path(made[1].path).exists()


def test_the_copy_taken_before_a_migration_has_a_digest(tmp_path, app_paths, capsys):
    from alembic import command

    from followup.db.migrate import alembic_config, open_database
    from followup.protection.backup.digest import Verified, check_digest

    path = tmp_path / "older.sqlite"
    db = open_database("sqlite:///" + str(path), create=True)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    db.dispose()
    assert cli.main(["init", "--db", str(path)]) == 0, capsys.readouterr().err
    [copy] = list(tmp_path.rglob("older-*-before-*.sqlite"))
    assert check_digest(copy) is Verified.UNCHANGED
