"""Backing up and restoring the Followup database, whichever backend holds it.

A SQLite database is copied with the backup API (``common.copy_sqlite``); a PostgreSQL one
with pg_dump and pg_restore when they are installed (``postgres``). Each backup gets a digest
beside it (``digest``). A restore checks the backup first, its digest before anything else, and
changes nothing unless it can finish; the database it replaces is kept as a safety copy. Both
are recorded in the audit trail.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from followup.access import Actor
from followup.db.engine import SQLITE_MAGIC, Database, describe, make_engine, sqlite_path
from followup.errors import FollowupError
from followup.protection.backup.common import (
    BackupInfo,
    BackupProblem,
    RestoreInfo,
    check_backup_folder,
    configured_backup_folder,
    copy_sqlite,
    free_name,
    sqlite_reason,
    sqlite_uri,
)
from followup.protection.backup.digest import Verified, check_digest, digest_path, write_digest
from followup.protection.backup.postgres import pg_dump, pg_restore
from followup.protection.backup.sqlite import restore_sqlite
from followup.uktime import uk_now
from followup.vocab import AuditAction

__all__ = ["backup_database", "restore_database"]

log = logging.getLogger(__name__)


def backup_database(
    db_or_url: Database | str,
    target: Path,
    *,
    actor: Actor | None = None,
    label: str = "manual",
    automatic: bool = False,
    pace: Callable[..., object] | None = None,
) -> BackupInfo:
    """Write a consistent, checked backup of the database to ``target`` (a file or a folder).

    An existing ``target`` is replaced only when it is itself a backup. When an open
    ``Database`` is given, the backup is recorded in its audit trail. ``pace`` paces a SQLite
    copy in the background (``common.copy_sqlite``).
    """
    url = db_or_url.url if isinstance(db_or_url, Database) else db_or_url
    target = Path(target).expanduser()
    backend = make_url(url).get_backend_name()
    source = sqlite_path(url)
    stem = source.stem if source else (make_url(url).database or "followup")
    if target.is_dir():
        ext = "dump" if backend == "postgresql" else "sqlite"
        target = free_name(target, stem, uk_now(), label, ext)
    else:
        check_backup_folder(target.parent)
        _refuse_overwrite(target)
    if backend == "sqlite":
        if source is None or not source.exists():
            raise BackupProblem(f"There is no database file to back up at {source}.")
        if target.exists() and target.resolve() == source.resolve():
            raise BackupProblem("A backup cannot be written over the database itself.")
        try:
            src = sqlite3.connect(sqlite_uri(source, mode="rw"), uri=True, timeout=10)
        except sqlite3.Error as exc:
            raise BackupProblem(
                f"Could not open {describe(url)} ({sqlite_reason(exc)}); no backup was made."
            ) from None
        try:
            revision: str | None = copy_sqlite(src, target, describe(url), pace)
        finally:
            src.close()
    elif backend == "postgresql":
        revision = pg_dump(url, target)
    else:
        raise BackupProblem(f"Followup cannot back up a {backend} database.")
    try:
        write_digest(target)
    except (OSError, FollowupError):
        target.unlink(missing_ok=True)
        digest_path(target).unlink(missing_ok=True)
        raise BackupProblem(
            f"Could not write the digest beside the backup {target}; no backup was kept."
        ) from None
    info = BackupInfo(target, backend, revision, target.stat().st_size)
    log.info("Backed up the database to %s", target.name)
    if isinstance(db_or_url, Database):
        _audit(db_or_url, actor, AuditAction.BACKUP, {"file": target.name, "automatic": automatic})
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


def _audit(
    db: Database, actor: Actor | None, action: AuditAction, details: dict[str, object]
) -> None:
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
    except Exception as exc:  # the backup itself is done and checked
        log.warning("Could not record the %s in the audit trail (%s)", action, type(exc).__name__)


def restore_database(
    url: str,
    source: Path,
    *,
    backup_dir: Path | None = None,
    actor: Actor | None = None,
    authorise: Callable[[Database], None] | None = None,
    allow_unverified: bool = False,
    damaged: bool = False,
) -> RestoreInfo:
    """Replace the database at ``url`` with the backup ``source``, then bring it up to date.

    The backup is checked first (a Followup backup, undamaged, not from a newer version), the
    database must not be open elsewhere, and the current database is copied to ``backup_dir``
    first. Anything that stops the restore leaves the database as it was. ``authorise`` is
    called with the checked backup open when the current database cannot be opened to sign
    in (a damaged file); it raises to refuse. A backup changed since its digest was made is
    always refused; one that cannot be checked (no digest, made on another computer) only
    with ``allow_unverified``. A SQLite file known to be ``damaged`` is set aside, never
    written over.
    """
    source = Path(source).expanduser()
    folder = backup_dir or configured_backup_folder()
    if not source.is_file():
        raise BackupProblem(f"There is no backup file at {source}; nothing was changed.")
    verified = check_digest(source, allow_unverified=allow_unverified) is Verified.UNCHANGED
    backend = make_url(url).get_backend_name()
    safety: Path | None
    if backend == "postgresql":
        restored, safety = pg_restore(url, source, folder)
        info = RestoreInfo(
            describe(url), source, restored, _migrate(url, folder), safety, verified=verified
        )
    elif backend == "sqlite" and sqlite_path(url) is not None:
        restored, safety, set_aside = restore_sqlite(
            url, source, folder, authorise, damaged=damaged
        )
        info = RestoreInfo(
            describe(url), source, restored, _migrate(url, folder), safety, set_aside, verified
        )
    else:
        raise BackupProblem("Only a SQLite file or a PostgreSQL database can be restored.")
    log.info("Restored the database from a backup (schema %s)", info.restored_revision)
    db = Database(url, make_engine(url))
    try:
        _audit(
            db,
            actor,
            AuditAction.RESTORE,
            {
                "file": source.name,
                "schema": info.restored_revision,
                "safety_copy": safety.name if safety else None,
                "verified": verified,
            },
        )
    finally:
        db.dispose()
    return info


def _migrate(url: str, folder: Path) -> str | None:
    """Bring a restored (older) database up to this version's schema."""
    from followup.db.migrate import open_database, schema_state

    db = open_database(url, migrate=True, backup_dir=folder, on_backup=write_digest)
    try:
        return schema_state(db).current
    finally:
        db.dispose()
