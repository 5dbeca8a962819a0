"""Writing the demonstration data in bulk: one connection for the whole build, a transaction
per chunk, straight to the driver.

On SQLite the rows go in as multi-row INSERT statements (several times faster than
``executemany``, which sets each statement up again for every row), with the build's own
settings: no waiting on the disk after each chunk (``synchronous=OFF``; a crash can lose the
last chunks, never corrupt the file, and a half-built demonstration file is of no use anyway)
and a bigger page cache. The indexes of the tables written (and the trigger that keeps the
phone and NHS number search index) are dropped before the first chunk and made again, from
their own SQL, after the last: building an index from sorted rows once is much cheaper than
keeping it up to date through millions of inserts in random order. Everything is put back as
it was when the build ends, whether it succeeded or not. On PostgreSQL the rows go in through
COPY, with the indexes kept up to date as they go.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import Connection

from followup.db.engine import Database

__all__ = ["Chunk", "bulk_loading"]

log = logging.getLogger(__name__)

# One table's rows of a chunk: the table, its columns, and the rows as tuples in that order.
Chunk = Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]

# Parameters per multi-row INSERT: under every SQLite build's limit (32,766 since 3.32).
_PARAMETERS_PER_STATEMENT = 30_000
# The page cache during the build, in KiB (a negative cache_size): room for the hot pages of
# the tables and, at the end, for the index builds' sorting.
_BUILD_CACHE_KIB = 64 * 1024
# The trigram search tables kept by triggers on a table the demo writes (migration 0017).
_SEARCH_INDEXES = {"person": "person_search"}
# The triggers that keep each referral's repeat flag (migration 0019) probe the person's
# referrals through an index: with the indexes deferred, each insert would scan the table. They
# are deferred too, and the flags set once at the end by one window over the referrals.
_REPEAT_TRIGGERS = "referral_repeat_%"
_REPEAT_FLAGS = (
    "UPDATE referral SET repeat_overdose = (f.n > 1) FROM ("
    "SELECT id, row_number() OVER (PARTITION BY person_id ORDER BY received_at, id) AS n "
    "FROM referral) AS f WHERE referral.id = f.id AND referral.repeat_overdose IS NOT (f.n > 1)"
)


class _Loader:
    """Writes each chunk in its own transaction on the connection held for the build."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    def write(self, chunk: Chunk) -> None:
        with self.conn.begin():
            raw: Any = self.conn.connection.dbapi_connection
            if self.sqlite:
                cursor = raw.cursor()
                try:
                    for table, columns, rows in chunk:
                        _insert(cursor, table, columns, rows)
                finally:
                    cursor.close()
            else:
                with raw.cursor() as cursor:
                    # A lost chunk on a server crash is no harm here; waiting on its WAL flush is.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    for table, columns, rows in chunk:
                        _copy(cursor, table, columns, rows)


def _insert(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    head = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES '
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per = max(1, _PARAMETERS_PER_STATEMENT // len(columns))
    full = head + ", ".join([one] * per)
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        sql = full if len(part) == per else head + ", ".join([one] * len(part))
        cursor.execute(sql, list(chain.from_iterable(part)))


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        write = copy.write_row
        for row in rows:
            write(row)


@contextmanager
def bulk_loading(db: Database, tables: Sequence[str]) -> Iterator[_Loader]:
    """A loader for chunks of rows of ``tables``, on one connection, with the build's
    settings in force until the block ends (see the module's docstring)."""
    with db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            yield _Loader(conn)
            return
        raw: Any = conn.connection.dbapi_connection
        synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
        cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute(f"PRAGMA cache_size=-{_BUILD_CACHE_KIB}")
        try:
            deferred = _drop_indexes(conn, tables)
            try:
                yield _Loader(conn)
            finally:
                _remake_indexes(conn, deferred)
        finally:
            raw.execute(f"PRAGMA synchronous={int(synchronous)}")
            raw.execute(f"PRAGMA cache_size={int(cache)}")


def _drop_indexes(conn: Connection, tables: Sequence[str]) -> list[str]:
    """Drop the indexes of ``tables`` and their search-index triggers; returns their SQL."""
    marks = ", ".join("?" * len(tables))
    with conn.begin():
        rows = list(
            conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE type = 'index' "
                f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name",
                tuple(tables),
            )
        )
        for table, search in _SEARCH_INDEXES.items():
            if table in tables:
                rows += conn.exec_driver_sql(
                    "SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND name = ? AND tbl_name = ?",
                    (f"{search}_insert", table),
                ).all()
        if "referral" in tables:
            rows += conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'referral' AND name LIKE ?",
                (_REPEAT_TRIGGERS,),
            ).all()
        for kind, name, _sql in rows:
            conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    log.debug("Demonstration data: %d indexes and triggers deferred to the end", len(rows))
    return [sql for _kind, _name, sql in rows]


def _remake_indexes(conn: Connection, statements: list[str]) -> None:
    """Make the dropped indexes and triggers again, and the search indexes from their tables."""
    if not statements:
        return
    with conn.begin():
        for sql in statements:
            conn.exec_driver_sql(sql)
        for search in _SEARCH_INDEXES.values():
            if any(f" {search}_insert " in sql for sql in statements):
                conn.exec_driver_sql(f"INSERT INTO {search}({search}) VALUES ('rebuild')")
        if any(" referral_repeat_" in sql for sql in statements):
            conn.exec_driver_sql(_REPEAT_FLAGS)
