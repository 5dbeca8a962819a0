"""The last integrity result of a SQLite file, kept cheaply beside it, and its header check.

A full check reads the whole file (seconds for a large one), so opening never runs one. It reads
instead what the last check found, from a small private file beside the database,
``.<name>.followup-check`` (``0600``, JSON, no personal data)::

    {"ok": false, "at": "2026-11-25T12:00:00+00:00", "size": 12951552, "mtime_ns": ...}

It is written by `followup check`, by the app's check after opening, by a command that checked
the file because it had changed, and, as damaged, by any statement that meets SQLite's "database
disk image is malformed". ``size`` and ``mtime_ns`` are the file as it was when Followup last
knew it to be good: when Followup closes a file it trusted, it records the file as it leaves it
(``vouch``). A file that has changed since then was changed by something else (a crash, an old
version, another program, a disk fault), and a command checks it before writing.

A damaged result stays until a check passes again or the file is restored: nothing clears it by
accident. Losing the race between two processes writing this file at the same moment costs at
most one extra check, because a damaged result is never replaced by a vouch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from followup.errors import FollowupError
from followup.files import write_atomically

__all__ = [
    "HEADER_SIZE",
    "LastCheck",
    "check_header",
    "damage_sentence",
    "forget",
    "last_check",
    "record",
    "result_path",
    "vouch",
]

log = logging.getLogger(__name__)

HEADER_SIZE = 100
_MAGIC = b"SQLite format 3\x00"


def result_path(database: Path) -> Path:
    """Where the last integrity result of ``database`` is kept."""
    return database.with_name(f".{database.name}.followup-check")


@dataclass(frozen=True)
class LastCheck:
    ok: bool
    at: str
    size: int
    mtime_ns: int

    def matches(self, database: Path) -> bool:
        """Whether the file is as it was when this result was recorded (or last vouched)."""
        try:
            st = database.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (self.size, self.mtime_ns)


def last_check(database: Path) -> LastCheck | None:
    """The recorded result; None when there is none (or it cannot be read)."""
    try:
        data = json.loads(result_path(database).read_text(encoding="utf-8"))
        return LastCheck(
            bool(data["ok"]), str(data["at"]), int(data["size"]), int(data["mtime_ns"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(database: Path, ok: bool) -> None:
    """Record the result of a check of ``database``, with the file as it is now."""
    try:
        st = database.stat()
    except OSError:
        return
    body = json.dumps(
        {
            "ok": ok,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
        }
    )
    try:
        write_atomically(
            result_path(database), lambda fh: fh.write(body.encode("utf-8")), binary=True
        )
    except FollowupError:  # the folder is read-only: the check still said what it found
        log.warning("Could not record the integrity result beside the database")
    if not ok:
        log.warning("Recorded the database file %s as damaged", database.name)


def vouch(database: Path) -> None:
    """Followup leaves a file it trusted: record it as it is now, unless it is known damaged."""
    known = last_check(database)
    if known is not None and not known.ok:
        return
    record(database, True)


def forget(database: Path) -> None:
    """The file was set aside or replaced: its recorded result no longer applies."""
    with contextlib.suppress(OSError):
        result_path(database).unlink(missing_ok=True)


def damage_sentence(where: str) -> str:
    """The one sentence for a damaged database, ``where`` as ``describe`` names it."""
    return (
        f"{where[:1].upper()}{where[1:]} is damaged (SQLite found part of it unreadable), so "
        "Followup will not write to it; run `followup restore --latest` to set it aside and "
        "restore the newest good backup."
    )


def check_header(database: Path) -> bool:
    """Whether the first 100 bytes are a sane SQLite header (and the size fits its pages).

    Cheap: one small read. An empty or new file passes; so does one SQLite has not finished
    making. See https://www.sqlite.org/fileformat.html#the_database_header.
    """
    try:
        with database.open("rb") as fh:
            head = fh.read(HEADER_SIZE)
        size = os.path.getsize(database)
    except OSError:
        return True  # unreadable: the opening itself says so, in its own sentence
    if len(head) < HEADER_SIZE or head[:16] != _MAGIC:
        return True  # empty, or not SQLite at all: the magic check names that
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return False
    if head[18] not in (1, 2) or head[19] not in (1, 2):
        return False
    if head[21:24] != b"\x40\x20\x20":  # payload fractions: always 64, 32, 32
        return False
    return size % page_size == 0
