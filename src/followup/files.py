"""Writing files a person takes away: whole or not at all, private to the user, and safe to
open in a spreadsheet.

Every file Followup writes that can hold personal data (the SQLite database and its -wal and
-shm, backups and their digests, letters, exports, subject-access packs) is created ``0600``,
and every folder Followup creates for them ``0700``, with the helpers here rather than a
process-wide umask (which would reach into every other library's files too). A folder the
user chose (their home, a USB stick) is never changed; a folder Followup owns (its data folder,
its default backup folder) is tightened when it is found looser. On Windows nothing is
chmod-ed: the per-user profile folder where Followup keeps its files is already readable by
the user's own account only, and the POSIX mode bits mean nothing there.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from followup.errors import FollowupError

__all__ = [
    "CSV_ENCODING",
    "FORMULA_STARTS",
    "PRIVATE_FILE",
    "PRIVATE_FOLDER",
    "create_private_file",
    "private_file",
    "private_folder",
    "safe_cell",
    "write_atomically",
    "write_safe_csv",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A negative number as a spreadsheet writes it back (no leading zero, so "-05" keeps its quote).
_PLAIN_NUMBER = re.compile(r"-(0|[1-9]\d*)(\.\d+)?")
CSV_ENCODING = "utf-8-sig"  # with a byte-order mark, so Excel reads UTF-8 correctly
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def _posix() -> bool:
    return os.name != "nt"


def private_file(path: Path) -> None:
    """Make an existing file readable and writable by its owner only (nothing on Windows).

    A file this account does not own cannot be changed, and is left as it is.
    """
    if _posix():
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(path, PRIVATE_FILE)


def create_private_file(path: Path) -> None:
    """Create an empty file ``0600`` before another program (SQLite, pg_dump) writes to it.

    An existing file is kept and tightened: SQLite then opens it as an empty database, and on
    unix gives its -wal, -shm and -journal files the same mode as the database file.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    private_file(path)


def private_folder(path: Path, *, tighten: bool = False) -> Path:
    """Create ``path`` (and any missing parents) ``0700``; returns it.

    Only the folders created here are set. ``tighten`` also sets an existing ``path``: only for
    a folder Followup owns (its data folder), never for one the user chose.
    """
    created: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        created.append(probe)
        probe = probe.parent
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if _posix():
        for folder in [*created, *([path] if tighten else [])]:
            with contextlib.suppress(FileNotFoundError, PermissionError):
                os.chmod(folder, PRIVATE_FOLDER)
    return path


def safe_cell(value: Any) -> str:
    """A value as spreadsheet-safe CSV text: a quote in front only where it would run as a formula.

    A cell starting with =, +, -, @, a tab or a carriage return is what Excel and LibreOffice
    read as a formula (OWASP's CSV injection list), so it gets a quote. A plain number such as
    ``-5`` or ``-0.25`` is left alone: a spreadsheet reads it as that number and runs nothing.
    Phones are exported in national form (``07700 900123``), which starts with neither.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_atomically(
    target: Path, write: Callable[[IO[Any]], object], *, binary: bool = False
) -> None:
    """Write through a temporary file in the same folder, so a failure leaves no half file.

    The temporary file is made ``0600`` (``mkstemp``) and keeps that mode when renamed, so
    the file written is private to the user whatever it replaced.
    """
    fd, tmp = tempfile.mkstemp(prefix=".followup-export-", dir=target.parent)
    try:
        if binary:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
        else:
            with os.fdopen(fd, "w", encoding=CSV_ENCODING, newline="") as fh:
                write(fh)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FollowupError(f"Cannot write {target} ({exc.strerror}); check the folder.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_safe_csv(
    target: Path, about: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write the about line, the header and the rows, every cell made safe; returns the rows."""
    count = 0

    def write(fh: Any) -> None:
        nonlocal count
        out = csv.writer(fh)
        out.writerow([about])
        out.writerow(header)
        for row in rows:
            out.writerow([safe_cell(v) for v in row])
            count += 1

    write_atomically(target, write)
    return count
