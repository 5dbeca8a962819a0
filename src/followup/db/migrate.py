"""Schema migrations with Alembic, run in-process, with a backup first on SQLite.

A database whose revision this version of Followup does not know was written by a newer
version: it is refused, never touched. A SQLite file whose last integrity result says damaged
(``followup.db.health``) is refused before it is opened at all.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from followup.db import health
from followup.db.engine import (
    Database,
    describe,
    explain_connection_error,
    make_engine,
    sqlite_path,
)
from followup.errors import DatabaseDamaged, DatabaseTooNew, DatabaseUnavailable
from followup.files import create_private_file, private_folder

__all__ = [
    "IntegrityReport",
    "SchemaState",
    "alembic_config",
    "backup_sqlite",
    "current_revision",
    "head_revision",
    "include_object",
    "integrity_report",
    "known_revisions",
    "open_database",
    "quick_check",
    "schema_state",
    "upgrade",
]

log = logging.getLogger(__name__)


# Kept up by the database itself, not described by the models (migration 0017): the FTS5
# trigram tables of SQLite (and the tables FTS5 keeps for them) and pg_trgm's GIN indexes.
_SEARCH_TABLES = ("person_search", "case_note_search")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's filter: leave out the search tables and trigram indexes of migration 0017."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(_SEARCH_TABLES)
    if type_ == "index":
        return not name.endswith("_trgm")
    return True


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_state(db: Database) -> SchemaState:
    current = current_revision(db)
    if current is not None and current not in known_revisions():
        raise DatabaseTooNew(
            f"{db.description[0].upper()}{db.description[1:]} was written by a newer version of "
            f"Followup (schema {current}); install that version to use it. Nothing was changed."
        )
    return SchemaState(current=current, head=head_revision())


def backup_sqlite(db: Database, backup_dir: Path, label: str) -> Path | None:
    """Copy a live SQLite database with the backup API; returns the copy's path (``0600``)."""
    source = sqlite_path(db.url)
    if source is None or not source.exists() or source.stat().st_size == 0:
        return None
    private_folder(backup_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backup_dir / f"{source.stem}-{stamp}-{label}.sqlite"
    n = 1
    while target.exists():
        n += 1
        target = backup_dir / f"{source.stem}-{stamp}-{label}-{n}.sqlite"
    create_private_file(target)  # before SQLite creates it with the umask's mode
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    log.info("Backed up the database before migration to %s", target.name)
    return target


def upgrade(
    db: Database,
    backup_dir: Path | None = None,
    on_backup: Callable[[Path], object] | None = None,
) -> SchemaState:
    """Bring the schema to head; on SQLite take a backup first when something will change.

    ``on_backup`` is handed that backup's path (the backup service writes its digest there:
    storage knows nothing of the keyring).
    """
    state = schema_state(db)
    if state.up_to_date:
        return state
    if db.is_sqlite and state.current is not None and backup_dir is not None:
        copy = backup_sqlite(db, backup_dir, f"before-{state.head}")
        if copy is not None and on_backup is not None:
            on_backup(copy)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.info("Database schema upgraded from %s to %s", state.current, state.head)
    return schema_state(db)


def open_database(
    url: str,
    *,
    create: bool = False,
    migrate: bool = True,
    backup_dir: Path | None = None,
    check_integrity: bool = False,
    on_backup: Callable[[Path], object] | None = None,
    verify_changed: bool = False,
    refuse_known_damage: bool = True,
) -> Database:
    """Open (and by default upgrade) a database, or raise ``DatabaseUnavailable``.

    A SQLite file is refused as ``DatabaseDamaged`` when its header is not sane or its last
    integrity result says damaged (``refuse_known_damage=False`` for `followup check`, which
    checks again). SQLite's quick check reads the whole file (seconds for a large one), so it
    runs only before a migration writes anything, when asked, or with ``verify_changed`` (the
    command line) when the file changed since Followup last knew it good.
    """
    path = sqlite_path(url)
    known: health.LastCheck | None = None
    if path is not None and path.exists() and path.stat().st_size > 0:
        known = health.last_check(path)
        if refuse_known_damage and known is not None and not known.ok:
            raise DatabaseDamaged(health.damage_sentence(describe(url)))
        if not health.check_header(path):
            health.record(path, ok=False)
            raise DatabaseDamaged(health.damage_sentence(describe(url)))
    unchanged = known is not None and known.ok and path is not None and known.matches(path)
    db = Database(url, make_engine(url, create=create))
    try:
        db.ping()
        state = schema_state(db)
        file_backed = db.is_sqlite and path is not None
        db.trusted = file_backed and unchanged
        if file_backed and (
            check_integrity
            or (migrate and not state.up_to_date and state.current)
            or (verify_changed and not unchanged)
        ):
            quick_check(db)
        if migrate:
            state = upgrade(db, backup_dir, on_backup)
        if not state.up_to_date:
            raise DatabaseUnavailable(
                f"{db.description[0].upper()}{db.description[1:]} needs upgrading to this version "
                "of Followup; run `followup init` to upgrade it (a backup is taken first)."
            )
    except DBAPIError as exc:
        db.dispose()
        raise DatabaseUnavailable(explain_connection_error(url, exc)) from None
    except BaseException:
        db.dispose()
        raise
    return db


def quick_check(db: Database) -> None:
    """SQLite's quick integrity check; a damaged file is refused before anything writes to it.

    The result is recorded beside the file (``followup.db.health``); a good one makes the
    database trusted, so that closing it records the file as Followup leaves it.
    """
    with db.engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    path = sqlite_path(db.url)
    if path is not None:
        health.record(path, ok=rows == ["ok"])
    if rows != ["ok"]:
        raise DatabaseDamaged(health.damage_sentence(db.description))
    db.trusted = path is not None


class IntegrityReport(TypedDict):
    """What `followup check` reports, as plain JSON-ready values."""

    database: str
    schema_revision: str | None
    app_revision: str
    ok: bool
    problems: list[str]
    details: list[str]


def integrity_report(db: Database) -> IntegrityReport:
    """Full integrity check and schema revision, for `followup check`.

    On SQLite the result is recorded beside the file (``followup.db.health``): a damaged file
    is then refused by every command and the app until it is restored or checks good again.
    Damage is one sentence in ``problems``; SQLite's own first findings are in ``details``.
    """
    state = schema_state(db)
    problems: list[str] = []
    details: list[str] = []
    path = sqlite_path(db.url)
    if db.is_sqlite:
        try:
            with db.engine.connect() as conn:
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
                fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        except DatabaseDamaged:  # SQLite could not even read it through
            rows, fk = [], []
        if rows != ["ok"]:
            problems.append(health.damage_sentence(db.description))
            details.extend(rows[:20])
        if fk:
            problems.append(f"{len(fk)} rows refer to missing records")
        if path is not None:
            health.record(path, ok=rows == ["ok"])
    if not state.up_to_date:
        problems.append(
            "the schema is not up to date; run `followup init` to upgrade it"
            if state.current
            else "the database is empty; run `followup init` to create it"
        )
    return {
        "database": db.description,
        "schema_revision": state.current,
        "app_revision": state.head,
        "ok": not problems,
        "problems": problems,
        "details": details,
    }
