"""Backups and restores: consistent online copies, the restore drill on each backend, the
rolling schedule, damaged files set aside, network shares, and bad input refused plainly."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from sqlalchemy import func, select, text

from followup import cli
from followup.db import models as m
from followup.db.engine import Database, make_engine
from followup.db.migrate import head_revision, open_database, schema_state
from followup.errors import DatabaseTooNew
from followup.protection.backup.common import (
    BackupProblem,
    DatabaseInUse,
    check_backup_folder,
    choose_backup_folder,
    configured_backup_folder,
)
from followup.protection.backup.database import backup_database, restore_database
from followup.protection.backup.postgres import find_tool
from followup.protection.backup.rotation import (
    automatic_backup,
    backup_files,
    newest_good_backup,
    rotate_backups,
)
from followup.protection.integrity import (
    filesystem_of,
    is_damaged_sqlite_file,
    network_share_warning,
    set_aside_damaged,
    startup_check,
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _path(db: Database) -> Path:
    return Path(db.url.removeprefix("sqlite:///"))


def add_case(db: Database, ref: str, n: int) -> int:
    """One synthetic person, case and referral."""
    now = datetime.now(UTC)
    with db.session() as s:
        person = m.Person(
            first_name="Testy",
            last_name=f"McTestface{n}",
            date_of_birth=date(1980, 1, 2),
            phone=f"+4477009001{n % 100:02d}",
            gender="not_known",
            postcode="B5 4TR",
            address="1 Test Street, Testville",
            no_fixed_abode=False,
        )
        s.add(person)
        s.flush()
        case = m.Case(
            person_id=person.id,
            status="new",
            police_reference=ref,
            referred_at=now - timedelta(days=1),
            area="B5",
        )
        s.add(case)
        s.flush()
        s.add(
            m.Referral(
                case_id=case.id,
                person_id=person.id,
                police_reference=ref,
                force="Test Force",
                incident_at=now - timedelta(days=1, hours=2),
                naloxone_doses=1,
                consent_at_scene="Y",
            )
        )
        return case.id


def case_rows(db: Database) -> list[tuple]:
    with db.session() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(m.Case.id, m.Case.police_reference, m.Person.last_name, m.Referral.force)
                .join(m.Person, m.Person.id == m.Case.person_id)
                .join(m.Referral, m.Referral.case_id == m.Case.id)
                .order_by(m.Case.id)
            )
        ]


def audit_actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(m.AuditEvent.action).order_by(m.AuditEvent.id)))


# ------------------------------------------------------------------------------- backup


def test_backup_while_another_connection_writes_is_a_consistent_copy(
    sqlite_database, team, tmp_path
):
    add_case(sqlite_database, "TST-0001", 1)
    writer = sqlite3.connect(_path(sqlite_database), isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE case_file SET area = 'ZZ1' WHERE police_reference = 'TST-0001'")
    # The writer commits a moment later, while the audit entry of the backup waits its turn.
    later = threading.Timer(0.5, lambda: writer.execute("COMMIT"))
    later.start()
    try:
        info = backup_database(sqlite_database, tmp_path / "copy.sqlite")
    finally:
        later.join()
        writer.close()
    assert info.revision == head_revision() and info.backend == "sqlite"
    copy = sqlite3.connect(info.path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        assert copy.execute("SELECT area FROM case_file").fetchall() == [("B5",)]  # committed only
    finally:
        copy.close()
    assert not list(tmp_path.glob(".copy.sqlite*"))  # no temporary file left behind
    assert "backup" in audit_actions(sqlite_database)


def test_backup_to_a_folder_gets_a_dated_name_and_never_overwrites_other_files(
    sqlite_database, tmp_path
):
    folder = tmp_path / "backups"
    folder.mkdir()
    info = backup_database(sqlite_database, folder)
    assert info.path.parent == folder and info.path.name.endswith("-manual.sqlite")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    with pytest.raises(BackupProblem, match="not a Followup backup; choose another file name"):
        backup_database(sqlite_database, notes)
    assert notes.read_text() == "my notes"


def test_an_unreachable_backup_folder_is_one_sentence_and_nothing_changes(
    sqlite_database, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    for attempt in (
        lambda: backup_database(sqlite_database, blocker / "copy.sqlite"),
        lambda: automatic_backup(sqlite_database, blocker / "backups"),
        lambda: check_backup_folder(blocker / "backups"),
    ):
        with pytest.raises(BackupProblem) as info:
            attempt()
        message = str(info.value)
        assert message.startswith(f"Cannot write to the backup folder {blocker}")
        assert message.endswith("Nothing was backed up.") and message.count(". ") <= 1
    assert blocker.read_text() == "x"


def test_the_backup_folder_is_a_local_setting(app_paths, tmp_path):
    assert configured_backup_folder(app_paths) == app_paths.backup_dir
    chosen = choose_backup_folder(tmp_path / "elsewhere", app_paths)
    assert configured_backup_folder(app_paths) == chosen
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BackupProblem):
        choose_backup_folder(blocker / "sub", app_paths)
    assert configured_backup_folder(app_paths) == chosen  # unchanged


# ------------------------------------------------------------------------------ restore


def test_restore_drill_on_each_backend(database, team, tmp_path):
    if not database.is_sqlite and (find_tool("pg_dump") is None or find_tool("pg_restore") is None):
        pytest.skip("pg_dump and pg_restore (PostgreSQL client tools) are not installed")
    for n in range(3):
        add_case(database, f"TST-{n:04d}", n)
    backed_up = case_rows(database)
    (tmp_path / "drill").mkdir()
    backup = backup_database(database, tmp_path / "drill", actor=team["lead"])
    add_case(database, "TST-LATER", 9)
    assert len(case_rows(database)) == 4
    url = database.url
    database.dispose()  # the app closes the database before a restore

    info = restore_database(url, backup.path, backup_dir=tmp_path / "safety", actor=team["admin"])

    assert info.revision == head_revision() and info.restored_revision == head_revision()
    assert info.safety_copy is not None and info.safety_copy.exists()
    restored = open_database(url)
    try:
        assert schema_state(restored).up_to_date
        assert case_rows(restored) == backed_up
        assert audit_actions(restored)[-1] == "restore"
    finally:
        restored.dispose()
    if url.startswith("sqlite"):
        target = Path(url.removeprefix("sqlite:///"))
        assert not Path(f"{target}-wal").exists()
        assert not list(target.parent.glob(f".{target.name}.restoring-*"))


def test_restoring_an_older_backup_brings_it_up_to_date(tmp_path):
    from alembic import command

    from followup.db.migrate import alembic_config, known_revisions

    older = sorted(known_revisions() - {head_revision()})
    if not older:
        pytest.skip("there is only one schema revision")
    old_url = "sqlite:///" + str(tmp_path / "old.sqlite")
    raw = Database(old_url, make_engine(old_url, create=True))
    cfg = alembic_config()
    with raw.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, older[0])
    raw.dispose()
    backup = backup_database(old_url, tmp_path / "old-backup.sqlite")
    assert backup.revision == older[0]
    url = "sqlite:///" + str(tmp_path / "current.sqlite")
    open_database(url, create=True).dispose()
    info = restore_database(url, backup.path, backup_dir=tmp_path / "b")
    assert info.restored_revision == older[0] and info.revision == head_revision()


def _not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "holiday.sqlite"
    path.write_bytes(b"Not a database at all, just some notes.\n" * 40)
    return path


def _sqlite_not_followup(tmp_path: Path) -> Path:
    path = tmp_path / "recipes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipe (name TEXT)")
    conn.commit()
    conn.close()
    return path


def _from_the_future(tmp_path: Path) -> Path:
    url = "sqlite:///" + str(tmp_path / "future.sqlite")
    open_database(url, create=True).dispose()
    conn = sqlite3.connect(tmp_path / "future.sqlite")
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    return tmp_path / "future.sqlite"


@pytest.mark.parametrize(
    ("make", "error", "sentence"),
    [
        (_not_sqlite, BackupProblem, "is not a Followup backup (it is not a SQLite file)"),
        (_sqlite_not_followup, BackupProblem, "is a SQLite file but not a Followup backup"),
        (_from_the_future, DatabaseTooNew, "is a backup from a newer version of Followup"),
        (lambda p: p / "missing.sqlite", BackupProblem, "There is no backup file at"),
    ],
)
def test_a_bad_backup_is_refused_in_one_sentence_and_changes_nothing(
    sqlite_database, team, tmp_path, make, error, sentence
):
    source_dir = tmp_path / "given"
    source_dir.mkdir()
    source = make(source_dir)
    target = _path(sqlite_database)
    sqlite_database.dispose()
    before = _digest(target)
    files_before = sorted(p.name for p in target.parent.iterdir())
    with pytest.raises(error) as info:  # even when a missing digest is allowed
        restore_database(
            sqlite_database.url, source, backup_dir=tmp_path / "safety", allow_unverified=True
        )
    message = str(info.value)
    assert sentence in message
    assert message.lower().endswith("nothing was changed.")
    assert "\n" not in message
    assert _digest(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == files_before
    assert not (tmp_path / "safety").exists()


def test_restore_over_a_database_open_elsewhere_is_refused(sqlite_database, team, tmp_path):
    backup = backup_database(sqlite_database, tmp_path / "b.sqlite")
    target = _path(sqlite_database)
    sqlite_database.dispose()
    before = _digest(target)
    other = sqlite3.connect(target)  # another program, idle, with the file open
    try:
        other.execute("SELECT count(*) FROM case_file").fetchall()
        with pytest.raises(DatabaseInUse, match="is open in another program") as info:
            restore_database(sqlite_database.url, backup.path, backup_dir=tmp_path / "safety")
        assert str(info.value).endswith("Nothing was changed.")
    finally:
        other.close()
    assert _digest(target) == before
    assert not (tmp_path / "safety").exists()
    # Followup itself, still open in this process, counts as well.
    db = open_database(sqlite_database.url)
    try:
        db.ping()
        with pytest.raises(DatabaseInUse):
            restore_database(db.url, backup.path, backup_dir=tmp_path / "safety")
    finally:
        db.dispose()


# -------------------------------------------------------------------- rolling schedule


def test_rotation_over_400_days_keeps_7_daily_4_weekly_and_12_monthly(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "followup-20250101-090000-before-0002.sqlite").write_bytes(b"")  # never rotated
    (folder / "other-20250101-090000-auto.sqlite").write_bytes(b"")  # another database's
    day = datetime(2025, 1, 1, 9, 30)
    end = datetime(2026, 2, 4, 9, 30)  # a Wednesday
    while day <= end:
        (folder / f"followup-{day:%Y%m%d-%H%M%S}-auto.sqlite").write_bytes(b"")
        rotate_backups(folder, day)  # the app rotates after each daily backup
        day += timedelta(days=1)
    kept = sorted(b.made_at.date() for b in backup_files(folder, "followup") if b.label == "auto")
    expected = sorted(
        [date(2026, 2, d) for d in (4, 3, 2, 1)]
        + [date(2026, 1, d) for d in (31, 30, 29)]  # daily
        + [date(2026, 1, 25), date(2026, 1, 18)]  # weekly: the Sundays of the 2 weeks before
        + [
            date(2025, 12, 31),
            date(2025, 11, 30),
            date(2025, 10, 31),
            date(2025, 9, 30),
            date(2025, 8, 31),
            date(2025, 7, 31),
            date(2025, 6, 30),
            date(2025, 5, 31),
            date(2025, 4, 30),
            date(2025, 3, 31),
        ]  # monthly: the last day of each month
    )
    assert kept == expected
    assert (folder / "followup-20250101-090000-before-0002.sqlite").exists()
    assert (folder / "other-20250101-090000-auto.sqlite").exists()
    # Rotating all at once gives the same answer as rotating every day.
    again = rotate_backups(folder, end)
    assert again == []


def test_automatic_backup_once_a_day_with_a_fake_clock(sqlite_database, tmp_path):
    folder = tmp_path / "auto"
    monday = datetime(2026, 3, 2, 8, 0)
    first = automatic_backup(sqlite_database, folder, monday)
    assert first is not None and first.path.name.endswith("-20260302-080000-auto.sqlite")
    assert automatic_backup(sqlite_database, folder, monday + timedelta(hours=5)) is None
    second = automatic_backup(sqlite_database, folder, monday + timedelta(days=1))
    assert second is not None
    assert newest_good_backup(folder) == second.path
    assert [a for a in audit_actions(sqlite_database) if a == "backup"] == ["backup", "backup"]


def test_automatic_backup_is_only_for_sqlite(tmp_path):
    class Team:
        url = "postgresql+psycopg://followup@db.example.invalid/team"

    assert automatic_backup(Team(), tmp_path / "b") is None  # type: ignore[arg-type]


# ---------------------------------------------------------------- damage and set-aside


def _smash(path: Path) -> None:
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xde\xad\xbe\xef" * ((4096 - 100) // 4)
    path.write_bytes(bytes(data))


def test_a_damaged_file_is_set_aside_and_the_newest_good_backup_restored(
    sqlite_database, team, tmp_path
):
    add_case(sqlite_database, "TST-0001", 1)
    folder = tmp_path / "backups"
    good = automatic_backup(sqlite_database, folder, datetime(2026, 3, 1, 8, 0))
    newer = automatic_backup(sqlite_database, folder, datetime(2026, 3, 2, 8, 0))
    assert good and newer
    _smash(newer.path)  # the newest backup is damaged too: it is skipped
    assert newest_good_backup(folder) == good.path
    assert newest_good_backup(tmp_path / "nowhere") is None

    target = _path(sqlite_database)
    sqlite_database.dispose()
    _smash(target)
    Path(f"{target}-wal").write_bytes(b"leftover")
    damaged = target.read_bytes()
    assert is_damaged_sqlite_file(target)
    aside = set_aside_damaged(target, datetime(2026, 3, 3, 9, 0))
    assert aside.name == "followup.sqlite.damaged-20260303-090000"
    assert aside.read_bytes() == damaged  # renamed, never written to
    assert Path(f"{aside}-wal").read_bytes() == b"leftover"
    assert not target.exists() and not Path(f"{target}-wal").exists()

    info = restore_database(sqlite_database.url, good.path, backup_dir=folder)
    assert info.safety_copy is None
    db = open_database(sqlite_database.url, check_integrity=True)
    try:
        assert [r[1] for r in case_rows(db)] == ["TST-0001"]
    finally:
        db.dispose()


def test_restore_over_a_damaged_file_sets_it_aside_first(sqlite_database, team, tmp_path):
    backup = backup_database(sqlite_database, tmp_path / "b.sqlite")
    target = _path(sqlite_database)
    sqlite_database.dispose()
    _smash(target)
    info = restore_database(sqlite_database.url, backup.path, backup_dir=tmp_path / "safety")
    assert info.set_aside is not None and info.set_aside.name.startswith("followup.sqlite.damaged-")
    assert not is_damaged_sqlite_file(target)


def test_the_startup_check_finds_damage_in_an_open_database(sqlite_database, team, tmp_path):
    assert startup_check(sqlite_database).damaged is None
    for n in range(40):
        add_case(sqlite_database, f"TST-{n:04d}", n)
    target = _path(sqlite_database)
    sqlite_database.dispose()
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA journal_mode=DELETE")
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'person'").fetchone()[0]
    conn.close()
    data = bytearray(target.read_bytes())
    page = 4096 * (root - 1)
    data[page + 8 : page + 4000] = b"\x07" * 3992  # garble the person table's first page
    target.write_bytes(bytes(data))
    db = Database(sqlite_database.url, make_engine(sqlite_database.url))
    try:
        found = startup_check(db)
    finally:
        db.dispose()
    assert found.damaged is not None and "damaged" in found.damaged


# ------------------------------------------------------------------------ network shares

MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
server:/export/home /home nfs4 rw,relatime 0 0
/dev/sdb1 /home/local\\040disk ext4 rw 0 0
//fileserver/team /mnt/team cifs rw 0 0
me@host:/data /mnt/ssh fuse.sshfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/var/lib/followup.sqlite", None),
        ("/home/ann/Followup/followup.sqlite", "nfs4"),
        ("/home/local disk/followup.sqlite", None),  # a local disk mounted inside the share
        ("/mnt/team/followup.sqlite", "cifs"),
        ("/mnt/teamwork/followup.sqlite", None),  # a prefix of the name is not a mount point
        ("/mnt/ssh/f.sqlite", "fuse.sshfs"),
    ],
)
def test_network_shares_are_found_from_proc_mounts(path, kind):
    warning = network_share_warning(PurePosixPath(path), mounts=MOUNTS, system="linux")
    if kind is None:
        assert warning is None
    else:
        assert filesystem_of(PurePosixPath(path), MOUNTS) == kind
        assert warning is not None and f"network drive ({kind})" in warning
        assert "PostgreSQL server" in warning


def test_a_unc_path_on_windows_is_a_network_share():
    warning = network_share_warning(
        PureWindowsPath(r"\\server\team\followup.sqlite"), system="win32"
    )
    assert warning is not None and "SQLite's file locking is not safe there" in warning
    assert (
        network_share_warning(PureWindowsPath(r"C:\Users\ann\followup.sqlite"), system="win32")
        is None
    )


# --------------------------------------------------------------------------- command line


@pytest.fixture
def as_user(monkeypatch):
    def sign_in(name: str) -> None:
        monkeypatch.setenv("FOLLOWUP_USER", name)
        monkeypatch.setenv("FOLLOWUP_PASSWORD", f"pass-{name}")

    return sign_in


def test_backup_and_restore_on_the_command_line(
    sqlite_database, team, tmp_path, as_user, app_paths, capsys
):
    add_case(sqlite_database, "TST-0001", 1)
    url = sqlite_database.url
    file = tmp_path / "cli-backup.sqlite"
    as_user("worker1")
    assert cli.main(["backup", str(file), "--db", url]) == 2
    assert "does not allow you to back up the database" in capsys.readouterr().err
    as_user("lead")
    assert cli.main(["backup", str(file), "--db", url, "--json"]) == 0
    assert file.exists()
    add_case(sqlite_database, "TST-0002", 2)
    sqlite_database.dispose()
    capsys.readouterr()

    assert cli.main(["restore", str(file), "--db", url]) == 2  # a lead may not restore
    err = capsys.readouterr().err
    assert err.startswith("followup: ") and err.count("\n") == 1
    as_user("admin")
    assert cli.main(["restore", str(tmp_path / "absent.sqlite"), "--db", url]) == 2
    assert "There is no backup file" in capsys.readouterr().err
    assert cli.main(["restore", str(file), "--db", url]) == 0
    assert "Restored the database file" in capsys.readouterr().out
    db = open_database(url)
    try:
        assert [r[1] for r in case_rows(db)] == ["TST-0001"]
        with db.session() as s:
            event = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "restore")).one()
            assert event.user_id == team["admin"].id and "cli-backup.sqlite" in event.details
            # The backup was recorded after the copy was made, so only the safety copy has it.
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(m.AuditEvent)
                    .where(m.AuditEvent.action == "backup")
                )
                == 0
            )
    finally:
        db.dispose()


def test_restore_on_the_command_line_over_a_damaged_file_signs_in_on_the_backup(
    sqlite_database, team, tmp_path, as_user, app_paths, capsys
):
    backup = backup_database(sqlite_database, tmp_path / "b.sqlite")
    target = _path(sqlite_database)
    sqlite_database.dispose()
    _smash(target)
    as_user("lead")
    assert cli.main(["restore", str(backup.path), "--db", sqlite_database.url]) == 2
    assert "does not allow you to restore" in capsys.readouterr().err
    assert target.exists() and is_damaged_sqlite_file(target)  # still where it was
    as_user("admin")
    assert cli.main(["restore", str(backup.path), "--db", sqlite_database.url, "--json"]) == 0
    assert '"set_aside": ' in capsys.readouterr().out
    assert not is_damaged_sqlite_file(target)


def test_check_prints_the_network_share_warning(sqlite_database, monkeypatch, capsys, app_paths):
    monkeypatch.setattr(
        "followup.protection.integrity.network_share_warning",
        lambda path: f"The database file {path} is on a network drive (nfs).",
    )
    assert cli.main(["check", "--db", sqlite_database.url]) == 0
    assert "Warning: The database file" in capsys.readouterr().out


def test_restore_refuses_a_backup_on_postgresql_that_is_not_followup(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL half of this test")
    if find_tool("pg_restore") is None:
        pytest.skip("pg_restore (PostgreSQL client tools) is not installed")
    open_database(db_url, create=True).dispose()
    with pytest.raises(BackupProblem, match="not a Followup backup"):
        restore_database(
            db_url, _sqlite_not_followup(tmp_path), backup_dir=tmp_path / "b", allow_unverified=True
        )
    raw = Database(db_url, make_engine(db_url))
    try:
        with raw.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        raw.dispose()


def test_restore_on_postgresql_is_refused_while_others_are_connected(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL half of this test")
    if find_tool("pg_dump") is None or find_tool("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore (PostgreSQL client tools) are not installed")
    db = open_database(db_url, create=True)
    backup = backup_database(db, tmp_path / "team.dump")
    add_case(db, "TST-0001", 1)
    try:
        with db.engine.connect() as other:  # someone still has Followup open
            other.execute(text("SELECT 1"))
            with pytest.raises(DatabaseInUse, match="in use by 1 other connection"):
                restore_database(db_url, backup.path, backup_dir=tmp_path / "b")
        assert len(case_rows(db)) == 1  # unchanged
    finally:
        db.dispose()
    assert not (tmp_path / "b").exists()
