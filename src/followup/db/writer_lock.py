"""An import's turn to write: one import at a time, the next waiting for it, on either backend.

An import is one transaction that reads (duplicates, people to match) and then writes. Two at
once would each match against what the other has not stored yet: on SQLite the second fails
as busy the moment the first writes, and on PostgreSQL both store the same person twice (or the
second fails on a duplicate police reference). So an import takes its turn before it reads:

- SQLite: the transaction begins ``BEGIN IMMEDIATE`` (the database's write lock), so that a
  colleague's save cannot slip in between its reads and its writes either;
- PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``), released by the
  commit or rollback; other writers are not held up.

``wait_for_imports`` waits for the turn without keeping it (before the command line signs in).
When the turn is not free at once, ``waiting()`` is called once (the command line and the
import dialog say "waiting for another import to finish") and the import waits up to
``IMPORT_WAIT_S``, checking ``stop()`` (a cancelled import) about every second, before one
sentence (``DatabaseBusy``) says the database stayed busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import text

from followup.db.engine import BEGIN_OPTION, begin_immediate
from followup.errors import DatabaseBusy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from followup.db.engine import Database

__all__ = ["FIRST_TRY_MS", "IMPORT_LOCK_KEY", "IMPORT_WAIT_S", "import_turn", "wait_for_imports"]

IMPORT_WAIT_S = 600.0  # ten minutes: a large import takes a minute or two (documented in README)
FIRST_TRY_MS = 300  # a colleague's save holds the lock for milliseconds: no message for that
IMPORT_LOCK_KEY = 0x466F6C6C6F77_0001  # "Follow", 1: the advisory lock of imports


@contextmanager
def import_turn(
    db: Database,
    *,
    waiting: Callable[[], None] | None = None,
    stop: Callable[[], None] | None = None,
    limit_s: float = IMPORT_WAIT_S,
) -> Iterator[Session]:
    """A session (as ``Database.session``) whose transaction holds the import's turn."""
    with db.session() as session:
        if db.is_sqlite:
            begin = partial(
                begin_immediate,
                limit_s=limit_s,
                first_try_ms=FIRST_TRY_MS,
                waiting=waiting,
                stop=stop,
            )
            session.connection(execution_options={BEGIN_OPTION: begin})
        else:
            _advisory_turn(session, waiting, stop, limit_s)
        yield session


def wait_for_imports(
    db: Database,
    *,
    waiting: Callable[[], None] | None = None,
    stop: Callable[[], None] | None = None,
    limit_s: float = IMPORT_WAIT_S,
) -> None:
    """Wait, saying so, until no import holds the turn, without keeping it.

    For a command that must write something else before its import (the command line signs
    in, which is recorded): on SQLite that write would otherwise wait silently behind the
    other import's lock.
    """
    with import_turn(db, waiting=waiting, stop=stop, limit_s=limit_s):
        pass


def _advisory_turn(
    session: Session,
    waiting: Callable[[], None] | None,
    stop: Callable[[], None] | None,
    limit_s: float,
) -> None:
    try_lock = text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=IMPORT_LOCK_KEY)
    deadline = time.monotonic() + limit_s
    pause = 0.05
    told = False
    while not session.execute(try_lock).scalar():
        if time.monotonic() >= deadline:
            raise DatabaseBusy(
                f"Another import was still running after {limit_s / 60:.0f} minutes, so this "
                "one did not start and nothing was imported; try again when it has finished."
            )
        if waiting is not None and not told:
            told = True
            waiting()
        if stop is not None:
            stop()
        time.sleep(pause)
        pause = min(1.0, pause * 2)
