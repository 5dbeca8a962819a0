"""Schema migrations with Alembic, run in-process, with a backup first on SQLite.

A database whose revision this version of Followup does not know was written by a newer
version: it is refused, never touched. A SQLite file whose last integrity result says damaged
(``followup.db.health``) is refused before it is opened at all.

Alembic (with mako and pygments, some 0.15 s of imports) is loaded only when a migration runs.
Checking whether one is needed is one query of ``alembic_version`` against the head revision,
which is read from the text of the migration files (``revision = "…"`` and ``down_revision``);
a test checks that it is the head Alembic itself finds.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from followup.db import health
from followup.db.engine import (
    Database,
    describe,
    explain_connection_error,
    make_engine,
    sqlite_path,
)
from followup.errors import (
    DatabaseDamaged,
    DatabaseTooNew,
    DatabaseUnavailable,
    MaintenanceStopped,
)
from followup.files import create_private_file, private_folder
from followup.uktime import uk_now

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

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
    "revision_graph",
    "schema_state",
    "upgrade",
]

log = logging.getLogger(__name__)


MIGRATIONS = Path(__file__).parent / "migrations"
# `revision: str = "0016"` and `down_revision: str | None = "0015"` (or None, or a tuple of
# revisions where branches merge), at the start of a line, as Alembic's template writes them.
_ASSIGNMENT = re.compile(
    r"^(?P<name>revision|down_revision)\s*(?::[^=\n]*)?=\s*(?P<value>[^\n#]*)", re.MULTILINE
)
_REVISION_ID = re.compile(r"[\"']([^\"']+)[\"']")


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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@functools.cache
def revision_graph() -> dict[str, tuple[str, ...]]:
    """Each revision this version knows, with the revisions it follows, from the migration
    files' text (without importing Alembic)."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found: dict[str, str] = {}
        for m in _ASSIGNMENT.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m["name"], m["value"].strip())
        if "revision" not in found:
            continue  # not a migration (__init__.py)
        ids = _REVISION_ID.findall(found["revision"])
        if len(ids) != 1:
            raise RuntimeError(f"Cannot read the revision id of the migration {path.name}")
        graph[ids[0]] = tuple(_REVISION_ID.findall(found.get("down_revision", "None")))
    return graph


def head_revision() -> str:
    graph = revision_graph()
    followed = {down for downs in graph.values() for down in downs}
    heads = sorted(set(graph) - followed)
    if len(heads) != 1:
        raise RuntimeError(f"The migrations have {len(heads)} heads ({', '.join(heads)}), not one")
    return heads[0]


def known_revisions() -> set[str]:
    return set(revision_graph())


def _missing_table(exc: DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "42P01":  # PostgreSQL: undefined_table
        return True
    return isinstance(orig, sqlite3.OperationalError) and "no such table" in str(orig)


def current_revision(db: Database) -> str | None:
    """The database's schema revision, in one query; None when it has none (empty)."""
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError as exc:
        if _missing_table(exc):
            return None
        raise
    if len(rows) > 1:
        raise DatabaseUnavailable(
            f"{db.description[0].upper()}{db.description[1:]} records {len(rows)} schema "
            "revisions at once; ask support to look at it. Nothing was changed."
        )
    return str(rows[0]) if rows else None


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
    stamp = uk_now().strftime("%Y%m%d-%H%M%S")
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


@contextmanager
def _foreign_keys_checked_at_commit(conn: Connection) -> Iterator[bool]:
    """On SQLite, foreign keys off while the block runs (yields True: the caller checks them
    whole before it commits); elsewhere nothing (yields False).

    SQLite's own procedure for changing a table: foreign keys off outside the transaction,
    checked whole before it commits. With them on, dropping the old copy of a table that refers
    to itself (an attempt amends another) checked every row against every other: hours for half
    a million attempts."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        yield False
        return
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield True
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


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
    from alembic import command  # only now: a migration is needed

    cfg = alembic_config()
    with (
        db.engine.connect() as conn,
        _foreign_keys_checked_at_commit(conn) as sqlite,
        conn.begin(),
    ):
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
            raise DatabaseUnavailable(
                f"Upgraded, {db.description} would hold records that refer to "
                "records that are not there, so the upgrade was undone and nothing "
                "changed; run `followup check` on it."
            )
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


def quick_check(
    db: Database, progress: Callable[[], int] | None = None, every: int = 1_000_000
) -> None:
    """SQLite's quick integrity check; a damaged file is refused before anything writes to it.

    The result is recorded beside the file (``followup.db.health``); a good one makes the
    database trusted, so that closing it records the file as Followup leaves it. ``progress``
    is SQLite's progress handler, called every ``every`` steps of its machine while the check
    runs: it may pause there, or return non-zero to stop the check (``MaintenanceStopped``).
    """
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        if progress is not None and isinstance(driver, sqlite3.Connection):
            driver.set_progress_handler(progress, every)
        try:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
        except DBAPIError as exc:
            if progress is not None and "interrupted" in str(exc.orig):
                raise MaintenanceStopped from None
            raise
        finally:
            if progress is not None and isinstance(driver, sqlite3.Connection):
                driver.set_progress_handler(None, 0)
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
