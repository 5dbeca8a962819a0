"""Guarding the database file: the start-up integrity check, setting a damaged file aside,
and the warning against keeping a SQLite file on a network share.

A damaged file is renamed, never written to, so that it can still be examined or salvaged.

The start-up check runs in the background while the user signs in and works, paced by a
``Pacer``: after every ``work_s`` of checking it pauses for ``pause_s``, so that it never
holds the interpreter (or the disk) for long at a stretch. SQLite's quick check pauses in its
progress handler, the audit chain's walk between events, the backup between page steps. The
pacer also stops the work when the app closes (``MaintenanceStopped``).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from followup.db import health
from followup.db.engine import SQLITE_MAGIC, Database, sqlite_path
from followup.errors import DatabaseUnavailable, FollowupError, MaintenanceStopped
from followup.uktime import uk_now

__all__ = [
    "NETWORK_FILESYSTEMS",
    "PAUSE_S",
    "WORK_S",
    "Pacer",
    "StartupCheck",
    "filesystem_of",
    "is_damage_message",
    "is_damaged_sqlite_file",
    "known_damaged",
    "network_share_warning",
    "set_aside_damaged",
    "startup_check",
]

log = logging.getLogger(__name__)

# File systems on which SQLite's file locking cannot be trusted.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ncpfs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "davfs",
        "fuse.davfs2",
        "fuse.rclone",
    }
)
DRIVE_REMOTE = 4


def is_damage_message(message: str) -> bool:
    """Whether a sentence from opening the database says the file is damaged."""
    text = message.lower()
    return "damaged" in text or "malformed" in text


def is_damaged_sqlite_file(path: Path) -> bool:
    """A file that starts like SQLite (so it is a database, not some other file chosen by
    mistake) but that SQLite cannot read or whose quick check fails."""
    import sqlite3

    try:
        with path.open("rb") as fh:
            if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return False
    except OSError:
        return False
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            return [r[0] for r in conn.execute("PRAGMA quick_check")] != ["ok"]
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        return "locked" not in str(exc).lower() and "busy" not in str(exc).lower()
    except sqlite3.DatabaseError:
        return True


def known_damaged(path: Path) -> bool:
    """Whether ``path`` is a damaged SQLite file: recorded so by the last integrity check (see
    ``followup.db.health``), with a header that is not sane, or failing the quick check now."""
    known = health.last_check(path)
    if path.is_file() and known is not None and not known.ok:
        return True
    if path.is_file() and not health.check_header(path):
        return True
    return is_damaged_sqlite_file(path)


def set_aside_damaged(path: Path, now: datetime | None = None) -> Path:
    """Rename a damaged database (with its -wal and -shm) to ``<name>.damaged-<timestamp>``.

    Nothing is written to it; SQLite finds the renamed -wal beside the renamed file if anyone
    tries to salvage it later.
    """
    stamp = (now or uk_now()).strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    try:
        os.rename(path, aside)
        for extra in ("-wal", "-shm"):
            companion = Path(f"{path}{extra}")
            if companion.exists():
                os.rename(companion, Path(f"{aside}{extra}"))
    except OSError as exc:
        raise FollowupError(
            f"Could not set the damaged database {path} aside ({exc.strerror}); close every "
            "program that uses it and try again."
        ) from None
    health.forget(path)  # whatever is restored there gets its own check
    log.warning("Set a damaged database file aside as %s", aside.name)
    return aside


WORK_S = 0.02  # at most this long working at a stretch …
PAUSE_S = 0.01  # … then this long paused
SQLITE_STEPS = 200_000  # SQLite machine steps between two calls of the progress handler


class Pacer:
    """Work in bursts of ``work_s`` with pauses of ``pause_s`` between; ``stop()`` ends the work
    at its next call (``MaintenanceStopped``). Called from the worker thread only, except
    ``stop``, which any thread may call."""

    def __init__(self, work_s: float = WORK_S, pause_s: float = PAUSE_S) -> None:
        self.work_s = work_s
        self.pause_s = pause_s
        self._stopped = threading.Event()
        self._since = time.perf_counter()
        self.pauses = 0

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def __call__(self, *_: object) -> None:
        """A point where the work may pause (any arguments, as a backup's progress gives)."""
        if self._stopped.is_set():
            raise MaintenanceStopped
        now = time.perf_counter()
        if now - self._since >= self.work_s:
            self.pauses += 1
            if self._stopped.wait(self.pause_s):
                raise MaintenanceStopped
            self._since = time.perf_counter()

    def sqlite_progress(self) -> int:
        """For ``set_progress_handler``: pauses like a call; non-zero stops the statement."""
        try:
            self()
        except MaintenanceStopped:
            return 1
        return 0


@dataclass(frozen=True)
class StartupCheck:
    """What the background check after opening found."""

    damaged: str | None  # the sentence to show when the file is damaged
    network_warning: str | None
    audit_altered: str | None = None  # the sentence when the audit trail's hash chain breaks


def startup_check(db: Database, pace: Pacer | None = None) -> StartupCheck:
    """SQLite's quick check, the network-share test and the audit trail's hash chain, for the
    background after opening (the chain is streamed: seconds for a million events), paced by
    ``pace`` when given."""
    from followup.audit.chain import verify_chain
    from followup.db.migrate import quick_check

    path = sqlite_path(db.url)
    if not db.is_sqlite or path is None:
        return StartupCheck(None, None)
    warning = network_share_warning(path)
    try:
        # Records the result beside the file (followup.db.health).
        quick_check(db, pace.sqlite_progress if pace else None, SQLITE_STEPS)
    except DatabaseUnavailable as exc:
        return StartupCheck(str(exc), warning)
    except Exception as exc:  # a malformed file raises from the driver
        if is_damage_message(str(getattr(exc, "orig", exc))) or "not a database" in str(exc):
            return StartupCheck(
                f"{db.description[:1].upper()}{db.description[1:]} is damaged (SQLite could "
                "not read it); restore the newest backup.",
                warning,
            )
        raise
    try:
        with db.session() as s:
            chain = verify_chain(s, pace)
    except DatabaseUnavailable as exc:  # damage the quick check missed, met reading the chain
        return StartupCheck(str(exc), warning)
    return StartupCheck(None, warning, chain.problem)


# ------------------------------------------------------------------------ network shares


def _unescape_mount(field: str) -> str:
    r"""/proc/mounts writes a space as \040, a tab as \011 and so on."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def filesystem_of(path: PurePath, mounts: str) -> str | None:
    """The file system type of ``path`` from the text of /proc/mounts (longest mount point)."""
    best, best_len = None, -1
    parts = path.parts
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = PurePath(_unescape_mount(fields[1]))
        if parts[: len(point.parts)] == point.parts and len(point.parts) > best_len:
            best, best_len = fields[2], len(point.parts)
    return best


def _advice(path: PurePath, kind: str) -> str:
    return (
        f"The database file {path} is on a network drive ({kind}). SQLite's file locking is "
        "not safe there, so two people using it at once can damage it: keep the file on this "
        "computer, or use the team's PostgreSQL server."
    )


def network_share_warning(
    path: Path | PurePath, *, mounts: str | None = None, system: str | None = None
) -> str | None:
    """A warning when ``path`` is on a network file system; None when it is local or unknown."""
    system = system or sys.platform
    if system.startswith("win"):
        text = str(path)
        if text.startswith(("\\\\", "//")):
            return _advice(path, "a shared folder")
        drive = PurePath(text).drive if not isinstance(path, PurePath) else path.drive
        if drive and system == sys.platform and _windows_remote(drive):
            return _advice(path, f"mapped drive {drive}")
        return None
    if system.startswith("linux"):
        if mounts is None:
            try:
                mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
        full = Path(path).resolve() if isinstance(path, Path) and system == sys.platform else path
        kind = filesystem_of(PurePath(full), mounts)
        if kind and kind.lower() in NETWORK_FILESYSTEMS:
            return _advice(path, kind)
    return None


def _windows_remote(drive: str) -> bool:
    try:
        import ctypes

        windll: Any = getattr(ctypes, "windll", None)  # Windows only
        if windll is None:
            return False
        return bool(windll.kernel32.GetDriveTypeW(f"{drive}\\") == DRIVE_REMOTE)
    except (AttributeError, OSError):
        return False
