"""The rolling schedule of automatic backups: one a day, kept daily, weekly and monthly.

Only automatic backups take part in the rotation; copies made before a migration or a restore,
and backups made by hand, are never deleted by it. The newest undamaged backup is what a
damaged database is offered to be restored from.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from followup.db.engine import SQLITE_MAGIC, Database, sqlite_path
from followup.protection.backup.common import (
    BACKUP_NAME,
    BackupInfo,
    BackupProblem,
    check_backup_folder,
    followup_revision,
    free_name,
    open_backup_file,
)
from followup.protection.backup.database import backup_database
from followup.protection.backup.digest import Verified, check_digest, digest_path
from followup.settings import AppPaths, load_local_settings
from followup.uktime import uk_now

__all__ = [
    "AUTO_LABEL",
    "BackupFile",
    "Schedule",
    "automatic_backup",
    "backup_files",
    "backups_to_keep",
    "is_good_backup",
    "newest_good_backup",
    "rotate_backups",
    "schedule_setting",
]

log = logging.getLogger(__name__)

AUTO_LABEL = "auto"


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
                digest_path(b.path).unlink(missing_ok=True)
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
    db: Database,
    folder: Path,
    now: datetime | None = None,
    schedule: Schedule | None = None,
    pace: Callable[..., object] | None = None,
) -> BackupInfo | None:
    """Make today's automatic backup of a SQLite database if there is none yet, then rotate.

    Returns the new backup, or None when there was one already today (or on PostgreSQL, whose
    server is backed up by whoever runs it). A failed backup deletes nothing.
    """
    source = sqlite_path(db.url)
    if source is None:
        return None
    now = now or uk_now()  # backup names carry UK wall-clock time
    schedule = schedule or Schedule()
    check_backup_folder(folder)
    mine = [b for b in backup_files(folder, source.stem) if b.label == AUTO_LABEL]
    info = None
    if not any(b.made_at.date() == now.date() for b in mine):
        target = free_name(folder, source.stem, now, AUTO_LABEL, "sqlite")
        info = backup_database(db, target, label=AUTO_LABEL, automatic=True, pace=pace)
    rotate_backups(folder, now, schedule.keep_daily, schedule.keep_weekly, schedule.keep_monthly)
    return info


def is_good_backup(path: Path) -> bool:
    """Whether ``path`` is an undamaged Followup backup this version can open."""
    from followup.db.migrate import known_revisions

    try:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                return False
        conn = open_backup_file(path)
        try:
            if [r[0] for r in conn.execute("PRAGMA quick_check")] != ["ok"]:
                return False
            return followup_revision(conn) in known_revisions()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False


def newest_good_backup(folder: Path, stem: str | None = None) -> Path | None:
    """The newest backup in ``folder`` (of database ``stem``) that passes the checks, its
    digest among them (one that cannot be checked is never offered)."""
    for b in backup_files(folder, stem):
        if b.path.suffix == ".sqlite" and is_good_backup(b.path) and _unchanged(b.path):
            return b.path
    return None


def _unchanged(path: Path) -> bool:
    try:
        return check_digest(path) is Verified.UNCHANGED
    except BackupProblem:
        return False
