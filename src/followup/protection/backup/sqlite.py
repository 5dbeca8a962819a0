"""Restoring a SQLite database file from a backup, changing nothing unless it can finish.

The backup is copied with the backup API to a private file beside the database and checked
there. The database is then locked exclusively (which fails while any other program has it
open), copied to the backup folder as a safety copy, and overwritten with the backup API in one
write transaction, so that a crash part-way leaves the old database whole.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from followup.db import health
from followup.db.engine import SQLITE_MAGIC, Database, describe, make_engine, sqlite_path
from followup.files import create_private_file
from followup.protection.backup.common import (
    LOCK_TIMEOUT_S,
    STEP_PAGES,
    BackupProblem,
    DatabaseInUse,
    check_backup_folder,
    copy_sqlite,
    followup_revision,
    free_name,
    open_backup_file,
    refuse_newer,
    sqlite_reason,
    sqlite_uri,
)
from followup.protection.backup.digest import write_digest
from followup.protection.integrity import set_aside_damaged
from followup.uktime import uk_now

__all__ = ["restore_sqlite"]


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupProblem(
            f"Cannot read {path} ({exc.strerror}); check its permissions. Nothing was changed."
        ) from None


def _stage(source: Path, staging: Path) -> str:
    """Copy the backup to ``staging`` and check it; returns its schema revision."""
    if _read_head(source) != SQLITE_MAGIC:
        raise BackupProblem(
            f"{source} is not a Followup backup (it is not a SQLite file); nothing was changed."
        )
    try:
        src = open_backup_file(source)
        try:
            create_private_file(staging)  # it becomes the database itself: 0600
            dst = sqlite3.connect(staging, isolation_level=None)
            try:
                src.backup(dst, pages=STEP_PAGES, sleep=0.01)
                dst.execute("PRAGMA journal_mode=DELETE")
                if [r[0] for r in dst.execute("PRAGMA quick_check")] != ["ok"]:
                    raise BackupProblem(
                        f"The backup {source} is damaged (SQLite's integrity check failed); "
                        "choose another backup. Nothing was changed."
                    )
                revision = followup_revision(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise BackupProblem(
            f"{source} cannot be read as a Followup backup ({sqlite_reason(exc)}); "
            "nothing was changed."
        ) from None
    except OSError as exc:
        raise BackupProblem(
            f"Cannot write beside the database in {staging.parent} ({exc.strerror}); "
            "nothing was changed."
        ) from None
    if revision is None:
        raise BackupProblem(
            f"{source} is a SQLite file but not a Followup backup; nothing was changed."
        )
    refuse_newer(revision, source)
    return revision


def _lock(target: Path, where: str) -> sqlite3.Connection | None:
    """An exclusive lock on the database: it fails while another connection has it open.

    In WAL mode every open connection holds a shared lock on the file, and a connection in
    exclusive locking mode needs the exclusive lock before its first read. Returns None when
    the file is damaged (SQLite cannot read it), so that it can be set aside instead.
    """
    conn = sqlite3.connect(
        sqlite_uri(target, mode="rw"), uri=True, isolation_level=None, timeout=LOCK_TIMEOUT_S
    )
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
        if [r[0] for r in conn.execute("PRAGMA quick_check")] != ["ok"]:
            conn.close()
            return None
    except sqlite3.OperationalError as exc:
        conn.close()
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseInUse(
                f"{where[:1].upper()}{where[1:]} is open in another program (perhaps Followup on "
                "this or another computer); close it there and try again. Nothing was changed."
            ) from None
        raise BackupProblem(f"Cannot restore over {where} ({exc}); nothing was changed.") from None
    except sqlite3.DatabaseError:
        conn.close()
        return None
    return conn


def restore_sqlite(
    url: str,
    source: Path,
    folder: Path,
    authorise: Callable[[Database], None] | None,
    *,
    damaged: bool = False,
) -> tuple[str, Path | None, Path | None]:
    """Restore ``source`` over the SQLite file of ``url``.

    Returns the backup's revision, the safety copy of the replaced database (if there was
    one) and where a damaged database was set aside (if it was). ``damaged``: the file is
    known damaged (its last integrity check failed) even if it opens, so it is set aside
    rather than written over. The restored file is recorded as good (``followup.db.health``).
    """
    target = sqlite_path(url)
    assert target is not None
    where = describe(url)
    if target.exists() and target.resolve() == source.resolve():
        raise BackupProblem("A database cannot be restored from itself; nothing was changed.")
    if not target.parent.is_dir():
        raise BackupProblem(f"The folder {target.parent} does not exist; nothing was changed.")
    staging = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    lock: sqlite3.Connection | None = None
    try:
        revision = _stage(source, staging)
        present = target.exists() and target.stat().st_size > 0
        if present and _read_head(target) != SQLITE_MAGIC:
            raise BackupProblem(
                f"{target} is not a Followup database, so Followup will not replace it; "
                "move it away first. Nothing was changed."
            )
        lock = _lock(target, where) if present else None
        if lock is not None and damaged:
            lock.close()  # it is not written to: only checked that nobody else has it open
            lock = None
        if authorise is not None and (lock is None):
            staged = Database("sqlite:///" + str(staging), make_engine("sqlite:///" + str(staging)))
            try:
                authorise(staged)
            finally:
                staged.dispose()
        check_backup_folder(folder)
        safety = set_aside = None
        if lock is not None:
            safety = free_name(folder, target.stem, uk_now(), "before-restore", "sqlite")
            copy_sqlite(lock, safety, where)
            write_digest(safety)  # so that it can itself be restored, checked
            src = sqlite3.connect(staging)
            try:
                # One write transaction on the locked database: all of it lands, or none.
                src.backup(lock, pages=STEP_PAGES, sleep=0.01)
            except sqlite3.Error as exc:
                safety.unlink(missing_ok=True)
                raise BackupProblem(
                    f"Could not restore over {where} ({sqlite_reason(exc)}); nothing was changed."
                ) from None
            finally:
                src.close()
        else:
            if present:
                set_aside = set_aside_damaged(target)
            for extra in ("-wal", "-shm", "-journal"):
                Path(f"{target}{extra}").unlink(missing_ok=True)
            os.replace(staging, target)
        health.record(target, ok=True)  # checked when staged
        return revision, safety, set_aside
    finally:
        if lock is not None:
            lock.close()
        for name in (str(staging), f"{staging}-wal", f"{staging}-shm", f"{staging}-journal"):
            Path(name).unlink(missing_ok=True)
