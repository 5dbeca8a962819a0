"""Backups and restores of the Followup database, and the rolling schedule of automatic backups.

SQLite is copied with its backup API in page steps (never a file copy of a live WAL database),
the copy is checked, and it appears under its final name only when complete. PostgreSQL uses
pg_dump and pg_restore when they are installed. A restore checks the backup first and changes
nothing unless it can finish; the database it replaces is kept as a safety copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from followup.access import Actor
from followup.db.engine import SQLITE_MAGIC, Database, describe, make_engine, sqlite_path
from followup.errors import DatabaseTooNew, FollowupError
from followup.settings import AppPaths, load_local_settings, save_local_settings

log = logging.getLogger(__name__)

AUTO_LABEL = "auto"
STEP_PAGES = 2048  # 8 MB a step with 4 KB pages
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

    def describe(self) -> str:
        text = f"Restored {self.database} from {self.source} (schema now {self.revision})."
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
        folder.mkdir(parents=True, exist_ok=True)
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


def _free_name(folder: Path, stem: str, when: datetime, label: str, ext: str) -> Path:
    target = folder / backup_name(stem, when, label, ext)
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{when:%Y%m%d-%H%M%S}-{label}-{n}.{ext}"
    return target


# --------------------------------------------------------------------------- SQLite helpers


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{path.resolve().as_uri()}?{query}"


def _open_backup_file(path: Path) -> sqlite3.Connection:
    """Read a backup file without writing anything next to it (no -wal or -shm)."""
    if Path(f"{path}-wal").exists():  # a live database: its WAL holds part of the data
        return sqlite3.connect(_uri(path, mode="ro"), uri=True, timeout=LOCK_TIMEOUT_S)
    return sqlite3.connect(_uri(path, immutable="1"), uri=True)


def followup_revision(conn: sqlite3.Connection) -> str | None:
    """The schema revision of a Followup database; None when it is not one."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"alembic_version", "user_account"} <= tables:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _check_copy(conn: sqlite3.Connection, what: str) -> str:
    """Quick-check a fresh copy and return its revision, or say what is wrong with it."""
    rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
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


def _copy_sqlite(source: sqlite3.Connection, target: Path, what: str) -> str:
    """Copy with the backup API to a temporary name, check, then rename into place."""
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            source.backup(dst, pages=STEP_PAGES, sleep=0.01)
            # A backup is one self-contained file, whatever the journal mode of the original.
            dst.execute("PRAGMA journal_mode=DELETE")
            revision = _check_copy(dst, what)
        finally:
            dst.close()
        _fsync(tmp)
        os.replace(tmp, target)
        if hasattr(os, "O_DIRECTORY"):
            _fsync(target.parent)
    except sqlite3.Error as exc:
        raise BackupProblem(
            f"Could not copy {what} ({_sqlite_reason(exc)}); no backup was kept."
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


def _sqlite_reason(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "it is busy in another program"
    if "malformed" in text or "not a database" in text:
        return "it is damaged"
    return str(exc)


# ----------------------------------------------------------------------------------- backup


def backup_database(
    db_or_url: Database | str,
    target: Path,
    *,
    actor: Actor | None = None,
    label: str = "manual",
    automatic: bool = False,
) -> BackupInfo:
    """Write a consistent, checked backup of the database to ``target`` (a file or a folder).

    An existing ``target`` is replaced only when it is itself a backup. When an open
    ``Database`` is given, the backup is recorded in its audit trail.
    """
    url = db_or_url.url if isinstance(db_or_url, Database) else db_or_url
    target = Path(target).expanduser()
    backend = make_url(url).get_backend_name()
    source = sqlite_path(url)
    stem = source.stem if source else (make_url(url).database or "followup")
    if target.is_dir():
        ext = "dump" if backend == "postgresql" else "sqlite"
        target = _free_name(target, stem, datetime.now(), label, ext)
    else:
        check_backup_folder(target.parent)
        _refuse_overwrite(target)
    if backend == "sqlite":
        if source is None or not source.exists():
            raise BackupProblem(f"There is no database file to back up at {source}.")
        if target.exists() and target.resolve() == source.resolve():
            raise BackupProblem("A backup cannot be written over the database itself.")
        try:
            src = sqlite3.connect(_uri(source, mode="rw"), uri=True, timeout=10)
        except sqlite3.Error as exc:
            raise BackupProblem(
                f"Could not open {describe(url)} ({_sqlite_reason(exc)}); no backup was made."
            ) from None
        try:
            revision = _copy_sqlite(src, target, describe(url))
        finally:
            src.close()
    elif backend == "postgresql":
        from followup.protection.backup.postgres import pg_dump

        revision = pg_dump(url, target)
    else:
        raise BackupProblem(f"Followup cannot back up a {backend} database.")
    info = BackupInfo(target, backend, revision, target.stat().st_size)
    log.info("Backed up the database to %s", target.name)
    if isinstance(db_or_url, Database):
        _audit(db_or_url, actor, "backup", {"file": target.name, "automatic": automatic})
    return info


def _refuse_overwrite(target: Path) -> None:
    if not target.exists():
        return
    if target.is_file():
        with target.open("rb") as fh:
            head = fh.read(16)
        if head == SQLITE_MAGIC or head.startswith(b"PGDMP"):
            return
    raise BackupProblem(
        f"{target} already exists and is not a Followup backup; choose another file name. "
        "Nothing was backed up."
    )


def _audit(db: Database, actor: Actor | None, action: str, details: dict[str, object]) -> None:
    from sqlalchemy import func, select

    from followup import audit
    from followup.db.models import User

    try:
        with db.session() as s:
            user_id = None
            if actor is not None:
                user_id = s.scalar(
                    select(User.id).where(func.lower(User.username) == actor.username.lower())
                )
            audit.record(
                s,
                user_id,
                action,
                "database",
                None,
                details,
                username=actor.username if actor else None,
            )
    except Exception as exc:  # noqa: BLE001 - the backup itself is done and checked
        log.warning("Could not record the %s in the audit trail (%s)", action, type(exc).__name__)


# --------------------------------------------------------------------- the rolling schedule


@dataclass(frozen=True)
class BackupFile:
    path: Path
    stem: str
    made_at: datetime
    label: str


def backup_files(folder: Path, stem: str | None = None) -> list[BackupFile]:
    """The backups in ``folder`` (of the database ``stem``), newest first."""
    found: list[BackupFile] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        m = BACKUP_NAME.match(path.name)
        if not m or (stem is not None and m["stem"] != stem):
            continue
        try:
            made = datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S")
        except ValueError:
            continue
        found.append(BackupFile(path, m["stem"], made, m["label"]))
    found.sort(key=lambda b: (b.made_at, b.path.name), reverse=True)
    return found


def backups_to_keep(
    made: Iterable[datetime], now: datetime, keep_daily: int, keep_weekly: int, keep_monthly: int
) -> set[datetime]:
    """The newest backup of each of the last ``keep_daily`` days that have one, of each of
    the last ``keep_weekly`` ISO weeks, and of each of the last ``keep_monthly`` months."""
    times = sorted(set(made), reverse=True)
    keep = {t for t in times if t > now}  # from a clock that ran ahead: never deleted
    past = [t for t in times if t <= now]
    rules: tuple[tuple[int, Callable[[datetime], object]], ...] = (
        (keep_daily, lambda t: t.date()),
        (keep_weekly, lambda t: t.isocalendar()[:2]),
        (keep_monthly, lambda t: (t.year, t.month)),
    )
    for count, period in rules:
        seen: set[object] = set()
        for t in past:
            key = period(t)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(key)
            keep.add(t)
    return keep


def rotate_backups(
    folder: Path,
    now: datetime,
    keep_daily: int = 7,
    keep_weekly: int = 4,
    keep_monthly: int = 12,
) -> list[Path]:
    """Delete the automatic backups the schedule no longer keeps; returns the deleted files.

    Only automatic backups take part: copies made before a migration or a restore, and
    backups made by hand, are never deleted here. Each database's backups rotate separately.
    """
    removed: list[Path] = []
    autos = [b for b in backup_files(folder) if b.label == AUTO_LABEL]
    for stem in {b.stem for b in autos}:
        mine = [b for b in autos if b.stem == stem]
        keep = backups_to_keep(
            (b.made_at for b in mine), now, keep_daily, keep_weekly, keep_monthly
        )
        kept_times: set[datetime] = set()
        for b in mine:  # newest first: of two made in the same second, the first is kept
            if b.made_at in keep and b.made_at not in kept_times:
                kept_times.add(b.made_at)
                continue
            try:
                b.path.unlink()
                removed.append(b.path)
            except OSError as exc:
                log.warning("Could not delete an old backup (%s)", exc.strerror)
    return sorted(removed)


@dataclass(frozen=True)
class Schedule:
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12


def schedule_setting(paths: AppPaths | None = None) -> Schedule:
    """The rolling schedule from the local settings (``backup_keep_daily`` and so on)."""
    settings = load_local_settings(paths)

    def number(key: str, default: int) -> int:
        value = settings.get(key, default)
        return value if isinstance(value, int) and value >= 1 else default

    return Schedule(
        number("backup_keep_daily", 7),
        number("backup_keep_weekly", 4),
        number("backup_keep_monthly", 12),
    )


def automatic_backup(
    db: Database, folder: Path, now: datetime | None = None, schedule: Schedule | None = None
) -> BackupInfo | None:
    """Make today's automatic backup of a SQLite database if there is none yet, then rotate.

    Returns the new backup, or None when there was one already today (or on PostgreSQL, whose
    server is backed up by whoever runs it). A failed backup deletes nothing.
    """
    source = sqlite_path(db.url)
    if source is None:
        return None
    now = now or datetime.now()
    schedule = schedule or Schedule()
    check_backup_folder(folder)
    mine = [b for b in backup_files(folder, source.stem) if b.label == AUTO_LABEL]
    info = None
    if not any(b.made_at.date() == now.date() for b in mine):
        target = _free_name(folder, source.stem, now, AUTO_LABEL, "sqlite")
        info = backup_database(db, target, label=AUTO_LABEL, automatic=True)
    rotate_backups(folder, now, schedule.keep_daily, schedule.keep_weekly, schedule.keep_monthly)
    return info


def is_good_backup(path: Path) -> bool:
    """Whether ``path`` is an undamaged Followup backup this version can open."""
    from followup.db.migrate import known_revisions

    try:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                return False
        conn = _open_backup_file(path)
        try:
            if [r[0] for r in conn.execute("PRAGMA quick_check")] != ["ok"]:
                return False
            return followup_revision(conn) in known_revisions()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False


def newest_good_backup(folder: Path, stem: str | None = None) -> Path | None:
    """The newest backup in ``folder`` (of database ``stem``) that passes the checks."""
    for b in backup_files(folder, stem):
        if b.path.suffix == ".sqlite" and is_good_backup(b.path):
            return b.path
    return None


# ---------------------------------------------------------------------------------- restore


def restore_database(
    url: str,
    source: Path,
    *,
    backup_dir: Path | None = None,
    actor: Actor | None = None,
    authorise: Callable[[Database], None] | None = None,
) -> RestoreInfo:
    """Replace the database at ``url`` with the backup ``source``, then bring it up to date.

    The backup is checked first (a Followup backup, undamaged, not from a newer version), the
    database must not be open elsewhere, and the current database is copied to ``backup_dir``
    first. Anything that stops the restore leaves the database as it was. ``authorise`` is
    called with the checked backup open when the current database cannot be opened to sign
    in (a damaged file); it raises to refuse.
    """
    source = Path(source).expanduser()
    folder = backup_dir or configured_backup_folder()
    if not source.is_file():
        raise BackupProblem(f"There is no backup file at {source}; nothing was changed.")
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        from followup.protection.backup.postgres import pg_restore

        restored, safety = pg_restore(url, source, folder)
        info = RestoreInfo(describe(url), source, restored, _migrate(url, folder), safety)
    elif backend == "sqlite" and sqlite_path(url) is not None:
        from followup.protection.backup.sqlite import restore_sqlite

        restored, safety, set_aside = restore_sqlite(url, source, folder, authorise)
        info = RestoreInfo(
            describe(url), source, restored, _migrate(url, folder), safety, set_aside
        )
    else:
        raise BackupProblem("Only a SQLite file or a PostgreSQL database can be restored.")
    log.info("Restored the database from a backup (schema %s)", info.restored_revision)
    db = Database(url, make_engine(url))
    try:
        _audit(
            db,
            actor,
            "restore",
            {
                "file": source.name,
                "schema": info.restored_revision,
                "safety_copy": safety.name if safety else None,
            },
        )
    finally:
        db.dispose()
    return info


def _migrate(url: str, folder: Path) -> str | None:
    """Bring a restored (older) database up to this version's schema."""
    from followup.db.migrate import open_database, schema_state

    db = open_database(url, migrate=True, backup_dir=folder)
    try:
        return schema_state(db).current
    finally:
        db.dispose()


def refuse_newer(revision: str | None, source: Path) -> None:
    from followup.db.migrate import known_revisions

    if revision is not None and revision not in known_revisions():
        raise DatabaseTooNew(
            f"{source} is a backup from a newer version of Followup (schema {revision}); "
            "install that version to restore it. Nothing was changed."
        )
