"""What every backup and restore shares: the problems they raise, what they report, the backup
folder, backup file names, and the checked SQLite copy that appears only when complete.

SQLite is copied with its backup API in page steps (never a file copy of a live WAL database),
the copy is checked, and it appears under its final name only when it is complete.

A paced copy (the daily backup in the background, ``pace`` given) holds one read transaction
on the source for the whole copy, so that it copies one consistent snapshot however the
user writes meanwhile (without it, SQLite starts a backup again after every write by another
connection), and it pauses between small page steps and within the check of the copy.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from followup.errors import DatabaseTooNew, FollowupError
from followup.files import create_private_file, private_folder
from followup.settings import AppPaths, load_local_settings, save_local_settings

__all__ = [
    "BACKUP_NAME",
    "LOCK_TIMEOUT_S",
    "SETTING_KEY",
    "STEP_PAGES",
    "BackupInfo",
    "BackupProblem",
    "DatabaseInUse",
    "RestoreInfo",
    "backup_name",
    "check_backup_folder",
    "choose_backup_folder",
    "configured_backup_folder",
    "copy_sqlite",
    "free_name",
    "followup_revision",
    "open_backup_file",
    "refuse_newer",
    "sqlite_reason",
    "sqlite_uri",
]

STEP_PAGES = 2048  # 8 MB a step with 4 KB pages
PACED_STEP_PAGES = 256  # 1 MB a step when paced: a few milliseconds each
LOCK_TIMEOUT_S = 0.5
SETTING_KEY = "backup_folder"
# <database name>-<YYYYmmdd-HHMMSS>-<label>[-n].sqlite, as db.migrate.backup_sqlite names them.
BACKUP_NAME = re.compile(
    r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})-(?P<label>[A-Za-z0-9_.-]+?)(?:-(?P<n>\d+))?"
    r"\.(?P<ext>sqlite|dump)$"
)


class BackupProblem(FollowupError):
    """A backup or restore cannot be done; the sentence says why, and nothing was changed."""


class DatabaseInUse(BackupProblem):
    """The database to restore over is open in another program."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup file that was written and checked."""

    path: Path
    backend: str
    revision: str | None
    size: int

    def describe(self) -> str:
        return f"Backed up to {self.path} ({_size(self.size)}, schema {self.revision})."


@dataclass(frozen=True)
class RestoreInfo:
    """What a restore did."""

    database: str
    source: Path
    restored_revision: str | None
    revision: str | None
    safety_copy: Path | None
    set_aside: Path | None = None
    verified: bool = True  # False: restored without a digest to check it (--allow-unverified)

    def describe(self) -> str:
        text = f"Restored {self.database} from {self.source} (schema now {self.revision})."
        if not self.verified:
            text += " It could not be checked against a digest."
        if self.safety_copy:
            text += f" The database as it was before is kept in {self.safety_copy}."
        if self.set_aside:
            text += f" The damaged file was set aside as {self.set_aside}."
        return text


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


# ------------------------------------------------------------------------ the backup folder


def configured_backup_folder(paths: AppPaths | None = None) -> Path:
    """The folder for backups: the ``backup_folder`` local setting, else the data folder's."""
    paths = paths or AppPaths.default()
    value = load_local_settings(paths).get(SETTING_KEY)
    return Path(str(value)).expanduser() if value else paths.backup_dir


def choose_backup_folder(folder: Path, paths: AppPaths | None = None) -> Path:
    """Keep backups in ``folder`` from now on, once it has been shown to be writable."""
    folder = check_backup_folder(Path(folder).expanduser())
    settings = load_local_settings(paths)
    settings[SETTING_KEY] = str(folder)
    save_local_settings(settings, paths)
    return folder


def check_backup_folder(folder: Path) -> Path:
    """Make sure backups can be written to ``folder``, or say plainly why not."""
    try:
        private_folder(folder)
        probe = folder / f".followup-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BackupProblem(
            f"Cannot write to the backup folder {folder} ({exc.strerror or type(exc).__name__}); "
            "check that it exists and that a network drive is connected, or choose another "
            "folder. Nothing was backed up."
        ) from None
    return folder


def backup_name(stem: str, when: datetime, label: str, ext: str = "sqlite") -> str:
    return f"{stem}-{when:%Y%m%d-%H%M%S}-{label}.{ext}"


def free_name(folder: Path, stem: str, when: datetime, label: str, ext: str) -> Path:
    """A backup file name in ``folder`` that is not taken yet (``-2``, ``-3`` … when it is)."""
    target = folder / backup_name(stem, when, label, ext)
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{when:%Y%m%d-%H%M%S}-{label}-{n}.{ext}"
    return target


# --------------------------------------------------------------------------- SQLite helpers


def sqlite_uri(path: Path, **params: str) -> str:
    """A ``file:`` URI for sqlite3 with query parameters such as ``mode=ro``."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{path.resolve().as_uri()}?{query}"


def open_backup_file(path: Path) -> sqlite3.Connection:
    """Read a backup file without writing anything next to it (no -wal or -shm)."""
    if Path(f"{path}-wal").exists():  # a live database: its WAL holds part of the data
        return sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=LOCK_TIMEOUT_S)
    return sqlite3.connect(sqlite_uri(path, immutable="1"), uri=True)


def followup_revision(conn: sqlite3.Connection) -> str | None:
    """The schema revision of a Followup database; None when it is not one."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"alembic_version", "user_account"} <= tables:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _check_copy(
    conn: sqlite3.Connection, what: str, pace: Callable[..., object] | None = None
) -> str:
    """Quick-check a fresh copy and return its revision, or say what is wrong with it."""
    if pace is not None:
        conn.set_progress_handler(_progress(pace), 200_000)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    finally:
        conn.set_progress_handler(None, 0)
    if rows != ["ok"]:
        raise BackupProblem(
            f"The copy of {what} failed SQLite's integrity check, so the database itself may be "
            "damaged; run `followup check`. No backup was kept."
        )
    revision = followup_revision(conn)
    if revision is None:
        raise BackupProblem(f"{_cap(what)} is not a Followup database; no backup was kept.")
    return revision


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _progress(pace: Callable[..., object]) -> Callable[[], int]:
    """``pace`` as SQLite's progress handler: an exception from it stops the statement (which
    then fails as "interrupted")."""

    def handler() -> int:
        try:
            pace()
        except Exception:
            return 1
        return 0

    return handler


def copy_sqlite(
    source: sqlite3.Connection,
    target: Path,
    what: str,
    pace: Callable[..., object] | None = None,
) -> str:
    """Copy with the backup API to a temporary name, check, then rename into place.

    With ``pace`` (called between steps; it may pause, or raise to stop) the copy is one
    snapshot of the source, in small steps; see the module docstring.
    """
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    snapshot = pace is not None and not source.in_transaction
    try:
        create_private_file(tmp)  # 0600, and SQLite gives its journal the same mode
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            if snapshot:
                source.execute("BEGIN")  # a read transaction: one snapshot for the whole copy
                source.execute("SELECT count(*) FROM sqlite_master").fetchall()
            if pace is None:
                source.backup(dst, pages=STEP_PAGES, sleep=0.01)
            else:
                source.backup(dst, pages=PACED_STEP_PAGES, progress=pace, sleep=0.01)
            if snapshot:
                source.rollback()
            # A backup is one self-contained file, whatever the journal mode of the original.
            dst.execute("PRAGMA journal_mode=DELETE")
            try:
                revision = _check_copy(dst, what, pace)
            except sqlite3.OperationalError as exc:
                if pace is not None and "interrupted" in str(exc):
                    from followup.errors import MaintenanceStopped

                    raise MaintenanceStopped from None
                raise
        finally:
            if snapshot and source.in_transaction:
                source.rollback()
            dst.close()
        _fsync(tmp)
        os.replace(tmp, target)
        if hasattr(os, "O_DIRECTORY"):
            _fsync(target.parent)
    except sqlite3.Error as exc:
        raise BackupProblem(
            f"Could not copy {what} ({sqlite_reason(exc)}); no backup was kept."
        ) from None
    except OSError as exc:
        raise BackupProblem(
            f"Could not write the backup {target} ({exc.strerror or type(exc).__name__}); "
            "no backup was kept."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
        for extra in ("-journal", "-wal", "-shm"):
            Path(f"{tmp}{extra}").unlink(missing_ok=True)
    return revision


def sqlite_reason(exc: sqlite3.Error) -> str:
    """Why SQLite refused, in words for the person reading the message."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "it is busy in another program"
    if "malformed" in text or "not a database" in text:
        return "it is damaged"
    return str(exc)


def refuse_newer(revision: str | None, source: Path) -> None:
    """Refuse a backup made by a newer version of Followup than this one."""
    from followup.db.migrate import known_revisions

    if revision is not None and revision not in known_revisions():
        raise DatabaseTooNew(
            f"{source} is a backup from a newer version of Followup (schema {revision}); "
            "install that version to restore it. Nothing was changed."
        )
