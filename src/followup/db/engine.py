"""Opening a database: the engine, its connection settings, and short sessions.

SQLite gets foreign keys, WAL, a busy timeout and real transactions (the sqlite3 module's
legacy transaction handling is switched off and BEGIN is emitted by SQLAlchemy, as its SQLite
dialect documentation recommends). A PostgreSQL password comes in the URL: whoever opens the
database looks it up first (``settings.with_stored_password`` reads the OS keyring), so storage
knows nothing of settings.
Failures become one plain sentence (``DatabaseUnavailable``) that never includes the password.

A SQLite file is private to the user: it is created ``0600`` (in a ``0700`` folder when Followup
makes the folder) before SQLite first opens it, so that SQLite, which on unix gives the -wal and
-shm files the database file's mode, creates those private too; every new connection sets the
three again, for a file made by an older version (``followup.files``; nothing on Windows).

Writers wait their turn. A session opened with ``write=True`` starts with ``BEGIN IMMEDIATE``:
it takes SQLite's write lock before it reads, so that SQLite's busy handler retries it with
growing pauses (1 ms up to 100 ms) for up to ``WRITE_WAIT_S`` while another writer (an
import, say) finishes, then ``DatabaseBusy`` says so in one sentence. (A transaction that
reads first and then writes cannot wait: SQLite refuses its write at once while another
connection is writing.) An import waits for another import longer (``db.writer_lock``).

Two SQLite failures become one sentence whatever statement meets them: a damaged file ("database
disk image is malformed": ``DatabaseDamaged``, recorded beside the file by ``followup.db.health``
so that nothing opens it for writing again) and a full disk (``DiskFull``). Either way the
transaction is rolled back, so nothing half-done is kept.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import ConnectionPoolEntry

from followup.db import health
from followup.errors import DatabaseBusy, DatabaseDamaged, DatabaseUnavailable, DiskFull, StaleEdit
from followup.files import create_private_file, private_file, private_folder

__all__ = [
    "BUSY_TIMEOUT_MS",
    "BEGIN_OPTION",
    "WRITE_WAIT_S",
    "begin_immediate",
    "disk_full_sentence",
    "is_busy",
    "sqlite_failure",
    "TEAM_SERVER_PROBE",
    "enforced_by_server",
    "SQLITE_MAGIC",
    "Database",
    "check_sqlite_file",
    "describe",
    "explain_connection_error",
    "make_engine",
    "sqlite_path",
    "where_it_is",
]

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for a lock (documented in README)
WRITE_WAIT_S = 60.0  # how long a write session waits for its turn (documented in README)
# The execution option naming how a SQLite transaction begins: a callable given the driver's
# connection, which must leave a transaction open (``begin_immediate``).
BEGIN_OPTION = "followup_begin"


# A function that exists only once `followup init` has made the database a team server.
TEAM_SERVER_PROBE = "followup_audit(text,text,integer,text)"
_ENFORCING: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def enforced_by_server(session: Session) -> bool:
    """Whether this PostgreSQL database enforces the rules itself (a team server).

    There, the audit trail is written by the server's definer functions, and reads follow
    row-level security. Remembered per engine once true (a database never stops being one).
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    engine = bind.engine
    if _ENFORCING.get(engine):
        return True
    with session.no_autoflush:  # asking must not write the caller's half-made changes
        found = bool(
            session.execute(
                text(f"SELECT to_regprocedure('{TEAM_SERVER_PROBE}') IS NOT NULL")
            ).scalar()
        )
    if found:
        _ENFORCING[engine] = True
    return found


def describe(url: str | URL) -> str:
    """The database named for a person, without any password."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"the database file {u.database}"
    return f"the PostgreSQL database {u.database} on {u.host or 'localhost'}:{u.port or 5432}"


def where_it_is(url: str | URL) -> str:
    """The database as a person finds it again: the SQLite file's path, or the server's URL
    with any password shown as ``***`` (for Help › About)."""
    path = sqlite_path(url)
    if path is not None:
        return f"SQLite file: {path}"
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return "SQLite, in memory"
    return f"Server: {u.render_as_string(hide_password=True)}"


def sqlite_path(url: str | URL) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def check_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse a missing, unreadable or non-SQLite file before SQLite can touch it."""
    if path.exists():
        if path.is_dir():
            raise DatabaseUnavailable(f"{path} is a folder, not a Followup database file.")
        try:
            with path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise DatabaseUnavailable(
                f"Cannot read the database file {path} ({exc.strerror}); check its permissions."
            ) from None
        if head and head != SQLITE_MAGIC:
            raise DatabaseUnavailable(
                f"{path} is not a Followup database (it is not an SQLite file, or it is damaged); "
                "choose the right file or restore a backup."
            )
        return
    if not create:
        raise DatabaseUnavailable(
            f"There is no database file at {path}; check the path, "
            "or run `followup init` to create a new database there."
        )
    try:
        private_folder(path.parent)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"Cannot create the folder {path.parent} for the database ({exc.strerror})."
        ) from None
    try:
        create_private_file(path)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"Cannot create the database file {path} ({exc.strerror}); check the folder."
        ) from None


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _keep_private(path: Path) -> Callable[[sqlite3.Connection, ConnectionPoolEntry], None]:
    """After each connection opens: the database, its -wal and its -shm readable by us only."""

    def tighten(_dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        for name in (str(path), f"{path}-wal", f"{path}-shm"):
            private_file(Path(name))

    return tighten


def _sqlite_begin(conn: Connection) -> None:
    begin = conn.get_execution_options().get(BEGIN_OPTION)
    if begin is None:
        conn.exec_driver_sql("BEGIN")
        return
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    begin(raw)


def is_busy(exc: BaseException) -> bool:
    """Whether a SQLite error means another connection holds the lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "locked" in text or "busy" in text


def begin_immediate(
    raw: sqlite3.Connection,
    *,
    limit_s: float = BUSY_TIMEOUT_MS / 1000,
    first_try_ms: int | None = None,
    waiting: Callable[[], None] | None = None,
    stop: Callable[[], None] | None = None,
) -> None:
    """``BEGIN IMMEDIATE``: take the write lock now, waiting up to ``limit_s`` for it.

    SQLite's busy handler does the waiting (pauses growing from 1 ms to 100 ms). When the
    first ``first_try_ms`` pass without the lock, ``waiting()`` is called once, and ``stop()``
    (which raises to give up, as a cancelled import does) about every second after that.
    Raises ``DatabaseBusy`` when the limit passes.
    """
    deadline = time.monotonic() + limit_s
    step_ms = first_try_ms if first_try_ms is not None else int(limit_s * 1000)
    told = False
    try:
        while True:
            raw.execute(f"PRAGMA busy_timeout={max(1, step_ms)}")
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
            left = deadline - time.monotonic()
            if left <= 0:
                span = f"{limit_s / 60:.0f} minutes" if limit_s >= 120 else f"{limit_s:.0f} seconds"
                raise DatabaseBusy(
                    f"The database stayed busy with someone else's change for {span}, so "
                    "nothing of yours was saved; try again in a moment."
                )
            if waiting is not None and not told:
                told = True
                waiting()
            if stop is not None:
                stop()
            step_ms = int(min(1.0, left) * 1000)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def sqlite_failure(exc: BaseException) -> str | None:
    """What a SQLite error says about the file or the disk: "damaged", "full" or None."""
    orig = getattr(exc, "orig", exc)
    name = getattr(orig, "sqlite_errorname", "") or ""
    text = str(orig).lower()
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        "malformed" in text or "file is not a database" in text
    ):
        return "damaged"
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return "full"
    return None


def disk_full_sentence(where: str) -> str:
    return (
        f"Could not save: the disk is full ({where} has no room to grow), so nothing of this "
        "was kept; free some space on the disk and try again."
    )


def _sqlite_errors(url: URL, path: Path | None) -> Callable[[ExceptionContext], None]:
    """Damage and a full disk, met by any statement, become one sentence (and damage is
    recorded beside the file, so that nothing opens it for writing again)."""
    where = describe(url)

    def handle(context: ExceptionContext) -> None:
        failure = sqlite_failure(context.original_exception)
        if failure == "damaged" and path is not None:
            health.record(path, ok=False)
            raise DatabaseDamaged(health.damage_sentence(where))
        if failure == "full":
            raise DiskFull(disk_full_sentence(where))

    return handle


def _server_disk_full(url: URL) -> Callable[[ExceptionContext], None]:
    """The server's disk is full (SQLSTATE 53100): the same sentence as on SQLite."""
    where = describe(url)

    def handle(context: ExceptionContext) -> None:
        if getattr(context.original_exception, "sqlstate", None) == "53100":
            raise DiskFull(disk_full_sentence(where))

    return handle


def make_engine(url: str, *, create: bool = False) -> Engine:
    """Build an engine for ``url``; a PostgreSQL password, if any, is already in the URL."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(u)
        if path is not None:
            check_sqlite_file(path, create=create)
        engine = create_engine(u, hide_parameters=True, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        if path is not None:
            event.listen(engine, "connect", _keep_private(path))
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _sqlite_errors(u, path))
        return engine
    if backend == "postgresql":
        from followup.db.models import add_postgresql_options

        add_postgresql_options()  # the models' PostgreSQL-only options, now that it is used
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        engine = create_engine(
            u,
            hide_parameters=True,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5, "application_name": "followup"},
        )
        event.listen(engine, "handle_error", _server_disk_full(u))
        return engine
    raise DatabaseUnavailable(
        f"Followup works with SQLite and PostgreSQL databases, not {backend!r}; "
        "check the database URL."
    )


def explain_connection_error(url: str | URL, exc: BaseException) -> str:
    """Turn a driver error into a sentence saying what is wrong and what to do."""
    where = describe(url)
    message = str(getattr(exc, "orig", exc)).lower()
    if "password authentication failed" in message or "no password supplied" in message:
        user = make_url(url).username or "the user"
        return (
            f"The server refused the password for {user} on {where}; for the team's shared "
            "login store the right one with `followup set-password` (it is kept in the system "
            "keyring), and for your own sign in again or ask an administrator."
        )
    if "does not exist" in message and "database" in message:
        return (
            f"There is no database called {make_url(url).database} on that server; check the URL."
        )
    if any(
        s in message
        for s in (
            "connection refused",
            "could not translate host",
            "timeout",
            "timed out",
            "could not connect",
            "name or service not known",
            "no route to host",
        )
    ):
        return (
            f"Cannot reach {where}; check that the server is running and the address is right, "
            "or ask whoever runs it."
        )
    if "file is not a database" in message or "malformed" in message:
        return f"{where[0].upper()}{where[1:]} is damaged or not a Followup database; restore a backup."
    if "unable to open database" in message or "readonly" in message:
        return f"Cannot open {where}; check that the file and its folder can be read and written."
    if "permission denied" in message or "must be owner" in message:
        return (
            f"The account used for {where} lacks the rights for this; schema changes run only "
            "as the owner account through `followup init`, and an administrator grants the app "
            "account its rights with `followup init --grant-app-role ROLE`."
        )
    if "locked" in message:
        return f"{where[0].upper()}{where[1:]} is busy in another program; try again in a moment."
    return (
        f"Cannot use {where} ({type(getattr(exc, 'orig', exc)).__name__}); check the database URL."
    )


class Database:
    """An engine plus a session factory; one short session per user action."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Whether this file was known good when opened (or checked since): then closing it
        # records it as Followup leaves it (``followup.db.health.vouch``).
        self.trusted = False

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def description(self) -> str:
        return describe(self.url)

    @property
    def location(self) -> str:
        """The file's path or the server's URL, password hidden (see ``where_it_is``)."""
        return where_it_is(self.url)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it fails.

        ``write=True`` for a change: on SQLite it takes the write lock first, so that it waits
        its turn behind another writer (up to ``WRITE_WAIT_S``) instead of failing.
        """
        session = self._sessions()
        try:
            if write and self.is_sqlite:
                begin = partial(begin_immediate, limit_s=WRITE_WAIT_S)
                session.connection(execution_options={BEGIN_OPTION: begin})
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if is_busy(exc):
                raise DatabaseBusy(
                    "The database is busy with someone else's change; nothing of yours was "
                    "saved. Reload and try again in a moment."
                ) from None
            raise
        except StaleDataError:
            session.rollback()
            raise StaleEdit(
                "Someone else changed this record while you were working on it; reload it to "
                "see their changes, then make yours again."
            ) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def reconnect_as(self, username: str, password: str) -> None:
        """Use the same server as another login (a team server's user signing in).

        The new connection is tried first; only when the server accepts it does this database
        stop using the old one. Raises ``DatabaseUnavailable`` (with the driver's error as its
        context) when the server refuses.
        """
        url = make_url(self.url).set(username=username, password=password)
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            raise DatabaseUnavailable(explain_connection_error(url, exc)) from exc
        self.engine.dispose()
        self.url = url.render_as_string(hide_password=False)
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(explain_connection_error(self.url, exc)) from None

    def dispose(self) -> None:
        self.engine.dispose()
        path = sqlite_path(self.url) if self.is_sqlite else None
        if self.trusted and path is not None and path.exists():
            health.vouch(path)
